// The runs table: keeps the shown runs' status, progress, ETA and duration current by polling /api/runs for their
// ids, and drives the selection (select all, compare the selected runs).
import { statusBadge, setProgress } from './run-live.js';

export function formatSpan(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

function duration(run) {
  if (!run.started_at) return '';
  const end = run.finished_at ? new Date(run.finished_at) : new Date();
  return formatSpan((end - new Date(run.started_at)) / 1000);
}

function eta(run) {
  if (run.status !== 'running' || !run.started_at || run.epoch < 1 || run.epoch >= run.max_epochs) return '';
  const spent = (Date.now() - new Date(run.started_at)) / 1000;
  return `ETA ${formatSpan(spent / run.epoch * (run.max_epochs - run.epoch))}`;
}

function watchSelection(table) {
  const boxes = () => [...table.querySelectorAll('.run-select')];
  const compare = document.getElementById('compare-selected');
  const all = document.getElementById('select-all');
  const update = () => {
    const n = boxes().filter(b => b.checked).length;
    compare.disabled = n < 1;
    compare.textContent = n ? `Compare ${n} selected` : 'Compare selected';
    all.checked = n > 0 && n === boxes().length;
    all.indeterminate = n > 0 && n < boxes().length;
  };
  table.addEventListener('change', e => {
    if (e.target === all) boxes().forEach(b => { b.checked = all.checked; });
    update();
  });
  compare.addEventListener('click', () => {
    const ids = boxes().filter(b => b.checked).map(b => b.value);
    if (ids.length) window.location.href = `compare?runs=${ids.join(',')}`;
  });
  update();
}

export function watchRuns(table) {
  if (!table) return;
  watchSelection(table);
  const ids = [...table.querySelectorAll('tr[data-run-id]')].map(r => r.dataset.runId);
  const finished = ['completed', 'failed', 'diverged', 'cancelled'];
  async function refresh() {
    const open = ids.filter(id => {
      const badge = table.querySelector(`tr[data-run-id="${id}"] .run-status .badge`);
      return !badge || !finished.includes(badge.dataset.status);
    });
    if (!open.length) return;
    try {
      const response = await fetch(`api/runs?ids=${open.join(',')}&limit=1000`);
      if (!response.ok) return;
      for (const run of await response.json()) {
        const row = table.querySelector(`tr[data-run-id="${run.id}"]`);
        if (!row) continue;
        const badge = row.querySelector('.run-status .badge');
        if (badge.dataset.status !== run.status) badge.replaceWith(statusBadge(run.status));
        setProgress(row.querySelector('.progress-cell'), run.epoch, run.max_epochs);
        row.querySelector('.run-eta').textContent = eta(run);
        row.querySelector('.run-duration').textContent = duration(run);
      }
    } catch { /* the server may be restarting; try again on the next tick */ }
  }
  setInterval(refresh, 2000);
}

// A sweep's page: its done-of-N counter and bar, from /api/experiments/{id}, until every run has ended.
