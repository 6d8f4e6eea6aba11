// Status badge and progress bar drawn by script, for runs-live.js until the runs table draws them in its circuit; the run
// page itself is live through its Blazor circuit.

const statusColours = {
  queued: 'text-bg-secondary', running: 'text-bg-primary', completed: 'text-bg-success',
  failed: 'text-bg-danger', diverged: 'text-bg-warning', cancelled: 'text-bg-light',
};

export function statusBadge(status) {
  const badge = document.createElement('span');
  badge.className = `badge status-badge ${statusColours[status] || 'text-bg-light'}`;
  badge.dataset.status = status;
  badge.textContent = status;
  return badge;
}

export function setProgress(container, done, total) {
  const bar = container.querySelector('.progress');
  const fill = container.querySelector('.progress-bar');
  if (!bar || !fill) return;
  bar.setAttribute('aria-valuenow', done);
  fill.style.width = `${total ? (100 * done) / total : 0}%`;
  fill.textContent = `${done} / ${total}`;
}

