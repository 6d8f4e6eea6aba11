// Workers page: re-reads /api/workers every few seconds and redraws the table (heartbeats, busy slots, runs).
const everyMs = 3000;

function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

function row(w) {
  const tr = document.createElement('tr');
  tr.dataset.worker = w.name;
  const state = document.createElement('span');
  state.className = `badge ${w.alive ? 'text-bg-success' : 'text-bg-danger'}`;
  state.textContent = w.alive ? 'alive' : 'lost';
  const stateCell = document.createElement('td');
  stateCell.append(state);
  tr.append(cell(w.name), stateCell, cell(w.devices), cell(`${w.busy} of ${w.slots}`), cell(w.runs.join(', ')),
    cell(`${w.seconds_since_heartbeat} s ago`), cell(new Date(w.started_at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')));
  return tr;
}

export function watchWorkers(table, empty) {
  async function refresh() {
    try {
      const response = await fetch('api/workers', { cache: 'no-store' });
      if (!response.ok) return;
      const workers = await response.json();
      table.tBodies[0].replaceChildren(...workers.map(row));
      table.hidden = workers.length === 0;
      empty.hidden = workers.length > 0;
    } catch {
      // The server restarting: try again at the next tick.
    }
  }
  setInterval(refresh, everyMs);
}
