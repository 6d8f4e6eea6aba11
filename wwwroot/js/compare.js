// Compare page: one metric of several runs from /api/compare, drawn with plotly. Smoothing and log axes are applied
// here without asking the server again; metric, x-axis and grouping fetch again. Every change is written into the
// address (history.replaceState), so reloading or sharing it shows the same view.

const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

// A legend of more entries than this is a wall of names; hovering a line names it instead.
const maxLegend = 25;

// TensorBoard's smoothing: an exponential moving average, debiased so that the first points are not pulled
// towards zero (the average starts at 0 and is divided by 1 - weight^n).
export function smooth(ys, weight) {
  if (!(weight > 0)) return ys;
  const out = new Array(ys.length);
  let last = 0, n = 0;
  for (let i = 0; i < ys.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y)) { out[i] = y; continue; }
    last = last * weight + (1 - weight) * y;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

function translucent(hex, alpha) {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${v >> 16}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}

// RFC 3986 escaping, as the server's Uri.EscapeDataString: the page's preloaded first query is the same text.
const uriEscape = s => encodeURIComponent(s).replace(/[!'()*]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function runTraces(runs, s) {
  const traces = [];
  runs.forEach((run, i) => {
    const color = palette[i % palette.length];
    const common = { type: 'scatter', mode: 'lines', x: run.x, name: run.name, legendgroup: String(run.id) };
    if (s.smooth > 0) {
      // The raw curve stays, faint, behind the smoothed one: smoothing must not hide a spike.
      traces.push({ ...common, y: run.y, meta: 'raw', showlegend: false, hoverinfo: 'skip', opacity: 0.25, line: { color, width: 1 } });
      traces.push({ ...common, y: smooth(run.y, s.smooth), meta: 'smoothed', line: { color, width: 1.5 } });
    } else {
      traces.push({ ...common, y: run.y, meta: 'raw', line: { color, width: 1.5 } });
    }
  });
  return traces;
}

function groupTraces(groups, s) {
  const traces = [];
  groups.forEach((g, i) => {
    const color = palette[i % palette.length];
    const mean = smooth(g.mean, s.smooth), std = smooth(g.std, s.smooth);
    const n = Math.max(0, ...g.n);
    const common = { type: 'scatter', mode: 'lines', x: g.x, legendgroup: g.label };
    // 'tonexty' fills down to the trace before it: lower bound first, then the upper one filled to it.
    traces.push({ ...common, y: mean.map((m, k) => m - std[k]), meta: 'band-lower', name: `${g.label} − std`,
      showlegend: false, hoverinfo: 'skip', line: { color, width: 0 } });
    traces.push({ ...common, y: mean.map((m, k) => m + std[k]), meta: 'band', name: `${g.label} ± std`,
      fill: 'tonexty', fillcolor: translucent(color, 0.2), showlegend: false, hoverinfo: 'skip', line: { color, width: 0 } });
    if (s.smooth > 0) {
      traces.push({ ...common, y: g.mean, meta: 'raw', name: g.label, showlegend: false, hoverinfo: 'skip', opacity: 0.3, line: { color, width: 1 } });
    }
    traces.push({ ...common, y: mean, meta: 'mean', name: `${g.label} (${n} run${n === 1 ? '' : 's'})`, line: { color, width: 2 } });
  });
  return traces;
}

function divergenceTrace(runs) {
  const diverged = runs.filter(r => r.diverged_x != null && r.diverged_y != null);
  if (!diverged.length) return [];
  return [{
    type: 'scatter', mode: 'markers', meta: 'diverged', name: 'diverged',
    x: diverged.map(r => r.diverged_x), y: diverged.map(r => r.diverged_y), text: diverged.map(r => r.name),
    marker: { symbol: 'x', size: 12, color: '#c0392b', line: { width: 2 } },
    hovertemplate: '%{text} diverged here<extra></extra>',
  }];
}

export function compareRuns(root) {
  const form = root.querySelector('#compare-controls');
  const chart = root.querySelector('#compare-chart');
  const status = root.querySelector('#compare-status');
  const runs = root.dataset.runs;
  const points = root.dataset.points;   // per run, chosen by the server for this many runs
  const control = id => form.querySelector(`#${id}`);
  form.querySelector('#compare-apply').hidden = true;   // every change applies at once

  const showAll = root.querySelector('#show-all-params');
  const showRows = () => root.querySelectorAll('#param-diff tr.same').forEach(tr => { tr.hidden = !showAll.checked; });
  showAll.addEventListener('change', showRows);
  showRows();   // a checkbox the browser restored on reload

  let data = null, fetched = '', latest = 0, draws = 0;

  const state = () => ({
    key: control('key').value, x: control('x').value, smooth: Number(control('smooth').value),
    logx: control('logx').checked, logy: control('logy').checked, group: control('group').value,
  });

  function remember(s) {
    const q = `runs=${runs}&key=${uriEscape(s.key)}&x=${s.x}&smooth=${s.smooth}&logx=${+s.logx}&logy=${+s.logy}&group=${uriEscape(s.group)}`;
    history.replaceState(null, '', `compare?${q}`);
  }

  async function draw(s) {
    const xLabel = control('x').selectedOptions[0].textContent;
    const traces = [...(s.group ? groupTraces(data.groups, s) : runTraces(data.runs, s)), ...divergenceTrace(data.runs)];
    const lines = s.group ? data.groups.length : data.runs.length;
    const layout = {
      xaxis: { title: { text: xLabel }, type: data.x === 'wall' ? 'date' : s.logx ? 'log' : 'linear' },
      yaxis: { title: { text: data.key }, type: s.logy ? 'log' : 'linear' },
      showlegend: lines <= maxLegend,
      // Above the plot: below it, a legend of several rows would cover the x-axis title.
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom' },
      hovermode: 'closest',
      margin: { t: 30, r: 20, b: 50, l: 60 },
    };
    await Plotly.react(chart, traces, layout, { responsive: true, displaylogo: false });
    draws++;
    // Markers for tests and the benchmark: how many draws are done, and when the first one was.
    if (!chart.dataset.firstDrawnAt) chart.dataset.firstDrawnAt = String(performance.now());
    chart.dataset.draws = String(draws);
    chart.dataset.state = 'drawn';
    const names = runs => runs.length === data.runs.length ? 'these runs'
      : runs.slice(0, 5).map(r => r.name).join(', ') + (runs.length > 5 ? ` and ${runs.length - 5} more` : '');
    const missing = data.runs.filter(r => r.stored_points === 0);
    const unplaced = data.runs.filter(r => r.stored_points > 0 && r.y.length === 0);
    status.textContent = [
      missing.length ? `No ${data.key} points stored for ${names(missing)}.` : '',
      unplaced.length ? `The ${data.key} points of ${names(unplaced)} have no place on the ${xLabel} axis (${data.x === 'epoch' ? 'no epoch finished yet' : `no ${data.x} logged`}).` : '',
    ].filter(Boolean).join(' ');
  }

  async function update() {
    const s = state();
    control('smooth-value').textContent = s.smooth.toFixed(2);
    remember(s);
    const query = `runs=${runs}&key=${uriEscape(s.key)}&x=${s.x}&points=${points}` + (s.group ? `&group=${uriEscape(s.group)}` : '');
    const ticket = ++latest;
    if (query !== fetched) {
      chart.dataset.state = 'loading';
      let body;
      try {
        const response = await fetch(`api/compare?${query}`);
        if (!response.ok) throw new Error(`${response.status} ${(await response.json().catch(() => ({}))).detail ?? response.statusText}`);
        body = await response.json();
      } catch (e) {
        if (ticket === latest) { chart.dataset.state = 'error'; status.textContent = `Could not load the runs: ${e.message}`; }
        return;
      }
      if (ticket !== latest) return;   // a later change is already on its way
      data = body;
      fetched = query;
    }
    if (ticket === latest) await draw(state());
  }

  form.addEventListener('input', update);
  form.addEventListener('submit', e => { e.preventDefault(); update(); });
  update();
}
