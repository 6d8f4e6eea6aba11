// A sweep's page counter (the form helper's page; the runs table itself is live through the Blazor circuit).
import { setProgress } from './run-live.js';

// A sweep's page: its done-of-N counter and bar, from /api/experiments/{id}, until every run has ended.
export function watchSweep(root) {
  const id = root.dataset.experimentId;
  const timer = setInterval(async () => {
    try {
      const response = await fetch(`api/experiments/${id}`);
      if (!response.ok) return;
      const sweep = await response.json();
      root.querySelector('#sweep-done').textContent = sweep.done;
      setProgress(root.querySelector('#sweep-progress'), sweep.done, sweep.runs);
      if (sweep.done === sweep.runs) clearInterval(timer);
    } catch { /* try again on the next tick */ }
  }, 2000);
}
