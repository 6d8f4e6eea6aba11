// Keeps the runs table's status, progress and duration current by polling /api/runs.
import { statusBadge, setProgress } from './run-live.js';

function duration(run) {
  if (!run.started_at) return '';
  const end = run.finished_at ? new Date(run.finished_at) : new Date();
  const s = Math.max(0, Math.floor((end - new Date(run.started_at)) / 1000));
  const pad = n => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

export function watchRuns(table) {
  async function refresh() {
    try {
      const response = await fetch('api/runs');
      if (!response.ok) return;
      for (const run of await response.json()) {
        const row = table.querySelector(`tr[data-run-id="${run.id}"]`);
        if (!row) continue;
        row.querySelector('.run-status').replaceChildren(statusBadge(run.status));
        setProgress(row.querySelector('.progress-cell'), run.epoch, run.max_epochs);
        row.querySelector('.run-duration').textContent = duration(run);
      }
    } catch { /* the server may be restarting; try again on the next tick */ }
  }
  setInterval(refresh, 2000);
}
