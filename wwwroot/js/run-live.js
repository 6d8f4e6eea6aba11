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

const epochKeys = new Set(['val_loss', 'val_accuracy', 'val_ap', 'train_accuracy', 'train_loss', 'distance', 'epoch_time', 'epoch']);

function createChart(el) {
  const keys = el.dataset.traces.split(',');
  // Markers only on the epoch metrics, whose few points each matter; step metrics are lines.
  const traces = keys.map(name => ({ x: [], y: [], name, type: 'scatter', mode: epochKeys.has(name) ? 'lines+markers' : 'lines', marker: { size: 5 } }));
  const layout = {
    title: { text: el.dataset.title },
    xaxis: { title: { text: el.dataset.xTitle } },
    margin: { t: 40, r: 20, b: 45, l: 55 },
    legend: { orientation: 'h' },
  };
  Plotly.newPlot(el, traces, layout, { responsive: true, displaylogo: false });
  return { el, keys };
}

// A trace longer than this is replaced by the server's min/max downsampled series (every spike and the last point
// kept), so that a long or fast run never makes the page redraw ever longer curves.
const MaxTracePoints = 3000;
// Each extendTraces redraws a whole chart; a page of a dozen charts redraws them at most this often.
const DrawEveryMs = 200;
const ChartPoints = 1500;

function markDivergence(chart, step) {
  const shapes = [{ type: 'line', x0: step, x1: step, yref: 'paper', y0: 0, y1: 1, line: { color: '#c0392b', width: 2, dash: 'dot' } }];
  const annotations = [{ x: step, yref: 'paper', y: 1, text: `diverged at step ${step}`, showarrow: false, font: { color: '#c0392b' }, xanchor: 'left' }];
  Plotly.relayout(chart.el, { shapes, annotations });
}

async function downsampled(id, key) {
  const response = await fetch(`api/runs/${id}/metrics?key=${encodeURIComponent(key)}&points=${ChartPoints}`);
  if (!response.ok) return { x: [], y: [] };
  const points = await response.json();
  return { x: points.map(p => p.step), y: points.map(p => p.value) };
}

export async function watchRun(root) {
  const id = root.dataset.runId;
  const charts = [...root.querySelectorAll('.live-chart')].map(createChart);
  const keys = charts.flatMap(c => c.keys);
  const lastStep = {};

  // History first, downsampled; then the live stream from after the last point drawn.
  await Promise.all(charts.map(async chart => {
    const series = await Promise.all(chart.keys.map(key => downsampled(id, key)));
    chart.keys.forEach((key, i) => { lastStep[key] = series[i].x.length ? series[i].x[series[i].x.length - 1] : -1; });
    if (series.some(s => s.x.length)) Plotly.restyle(chart.el, { x: series.map(s => s.x), y: series.map(s => s.y) });
  }));
  const after = keys.map(k => `${k}:${lastStep[k]}`).join(',');
  const source = new EventSource(`api/runs/${id}/live?keys=${encodeURIComponent(keys.join(','))}&after=${encodeURIComponent(after)}`);

  const refetching = new Set();
  async function refetch(chart) {
    if (refetching.has(chart)) return;
    refetching.add(chart);
    const series = await Promise.all(chart.keys.map(key => downsampled(id, key)));
    chart.keys.forEach((key, i) => {
      const x = series[i].x;
      // Points drawn while this was fetched are in the next events' queue or in this series; the trace restarts here.
      lastStep[key] = x.length ? x[x.length - 1] : -1;
    });
    Plotly.restyle(chart.el, { x: series.map(s => s.x), y: series.map(s => s.y) });
    refetching.delete(chart);
  }

  // Points are queued and drawn at most once per frame: Plotly redraws a whole chart on every extendTraces, so
  // drawing each small event as it comes would keep the page busy redrawing while a fast run streams.
  const queued = {};
  let frame = 0;
  const draw = () => {
    frame = 0;
    for (const chart of charts) {
      const indices = [], xs = [], ys = [];
      chart.keys.forEach((key, i) => {
        const q = queued[key];
        if (!q) return;
        // Drop what the trace already holds (a refetch may have brought these steps).
        const keep = q.x.map((step, j) => j).filter(j => q.x[j] > lastStep[key]);
        if (!keep.length) return;
        indices.push(i); xs.push(keep.map(j => q.x[j])); ys.push(keep.map(j => q.y[j]));
        lastStep[key] = q.x[keep[keep.length - 1]];
      });
      if (indices.length) Plotly.extendTraces(chart.el, { x: xs, y: ys }, indices);
      if (chart.el.data.some(t => t.x.length > MaxTracePoints)) refetch(chart);
    }
    for (const key of Object.keys(queued)) delete queued[key];
  };
  source.addEventListener('points', e => {
    const points = JSON.parse(e.data);
    for (const [key, p] of Object.entries(points)) {
      const q = queued[key] ??= { x: [], y: [] };
      q.x.push(...p.x); q.y.push(...p.y);
    }
    if (!frame) frame = setTimeout(() => requestAnimationFrame(draw), DrawEveryMs);
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
      for (const chart of charts) markDivergence(chart, run.diverged_at_step);
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
