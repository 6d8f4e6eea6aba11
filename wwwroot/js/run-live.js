// Live run page: draws the page's charts and grows them from /api/runs/{id}/live (server-sent events).

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

function createChart(el) {
  const keys = el.dataset.traces.split(',');
  const traces = keys.map(name => ({ x: [], y: [], name, mode: 'lines+markers', type: 'scatter', marker: { size: 4 } }));
  const layout = {
    title: { text: el.dataset.title },
    xaxis: { title: { text: el.dataset.xTitle } },
    margin: { t: 40, r: 20, b: 45, l: 55 },
    legend: { orientation: 'h' },
  };
  Plotly.newPlot(el, traces, layout, { responsive: true, displaylogo: false });
  return { el, keys };
}

function markDivergence(chart, step) {
  const shapes = [{ type: 'line', x0: step, x1: step, yref: 'paper', y0: 0, y1: 1, line: { color: '#c0392b', width: 2, dash: 'dot' } }];
  const annotations = [{ x: step, yref: 'paper', y: 1, text: `diverged at step ${step}`, showarrow: false, font: { color: '#c0392b' }, xanchor: 'left' }];
  Plotly.relayout(chart.el, { shapes, annotations });
}

export function watchRun(root) {
  const id = root.dataset.runId;
  const charts = [...root.querySelectorAll('.live-chart')].map(createChart);
  const keys = charts.flatMap(c => c.keys);
  const source = new EventSource(`api/runs/${id}/live?keys=${encodeURIComponent(keys.join(','))}`);

  // Points are queued and drawn at most once per frame: Plotly redraws a whole chart on every extendTraces, so
  // drawing each small event as it comes would keep the page busy redrawing while a fast run streams.
  const queued = {};
  let frame = 0;
  const draw = () => {
    frame = 0;
    for (const chart of charts) {
      const indices = [], xs = [], ys = [];
      chart.keys.forEach((key, i) => {
        if (!queued[key]) return;
        indices.push(i); xs.push(queued[key].x); ys.push(queued[key].y);
      });
      if (indices.length) Plotly.extendTraces(chart.el, { x: xs, y: ys }, indices);
    }
    for (const key of Object.keys(queued)) delete queued[key];
  };
  source.addEventListener('points', e => {
    const points = JSON.parse(e.data);
    for (const [key, p] of Object.entries(points)) {
      const q = queued[key] ??= { x: [], y: [] };
      q.x.push(...p.x); q.y.push(...p.y);
    }
    if (!frame) frame = requestAnimationFrame(draw);
  });

  source.addEventListener('run', e => {
    const run = JSON.parse(e.data);
    root.querySelector('#run-status').replaceChildren(statusBadge(run.status));
    const cancel = root.querySelector('#cancel-form');
    if (cancel && ['completed', 'failed', 'diverged', 'cancelled'].includes(run.status)) cancel.hidden = true;
    root.querySelector('#run-epoch').textContent = run.epoch;
    setProgress(root.querySelector('#run-progress'), run.epoch, run.max_epochs);
    const diverged = root.querySelector('#run-diverged');
    const error = root.querySelector('#run-error');
    diverged.hidden = run.status !== 'diverged';
    if (run.status === 'diverged') {
      diverged.querySelector('.step').textContent = run.diverged_at_step;
      if (charts.length) markDivergence(charts[0], run.diverged_at_step);
    }
    error.hidden = run.status === 'diverged' || !run.error;
    error.textContent = run.error || '';
  });

  // The server ends the stream when the run is finished; don't let EventSource reconnect then.
  source.addEventListener('error', () => {
    const status = root.querySelector('#run-status .badge')?.dataset.status;
    if (['completed', 'failed', 'diverged', 'cancelled'].includes(status)) source.close();
  });
  source.addEventListener('missing', () => source.close());
}
