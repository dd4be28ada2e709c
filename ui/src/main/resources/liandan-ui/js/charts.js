// Metric charts on ECharts (the global `echarts` from its WebJar): one chart per metric key, any
// number of lines (one per run), x axis by step, wall time or time since the run started, EMA
// smoothing as TensorBoard and wandb do it, log scale, zoom. Names reach ECharts only as series
// names (its legend is hidden) and through the escaping tooltip formatter below.
import {errorBox, escapeHtml, fill, fmtDuration, fmtValue, groupKeys, h, params, setParams, toNumber} from './dom.js';

/** One colour per run, by its position in the selection: the same run has the same colour on every
 * chart of a page, and in the same URL. */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
  '#9c755f', '#79706e', '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2',
  '#17becf', '#bcbd22', '#393b79', '#ad494a',
];

export function colorOf(i) {
  return PALETTE[i % PALETTE.length];
}

/**
 * Resolves once the global `echarts` exists; rejects, with the script's address, when it cannot
 * load. The pages preload ECharts' script (<link id="echarts-src">) so that fetching it overlaps the
 * API requests; the script element is made here, its listeners attached before it starts, so a
 * failed load can never go unnoticed (a listener added to an async <script> after its error fired
 * waits forever: the charts once stayed empty without a word). Charts wait for it in render().
 */
export const echartsReady = window.echarts ? Promise.resolve() : new Promise((resolve, reject) => {
  const src = document.getElementById('echarts-src').href;
  const failed = () => reject(new Error(`The charts cannot be drawn: ECharts did not load from ${src}`));
  const script = document.createElement('script');
  script.addEventListener('load', () => (window.echarts ? resolve() : failed()));
  script.addEventListener('error', failed);
  script.src = src;
  document.head.append(script);
});
echartsReady.catch(() => {}); // reported where the charts are, not as an unhandled rejection

/** Points to ask the server for: about two per pixel of the chart's width, never raw history. */
export function maxPointsFor(el) {
  return Math.max(200, Math.min(1500, Math.round((el.clientWidth || 600) * 2)));
}

/** charts grouped by the points each asks for (one series request per group; usually one). */
export function byMaxPoints(charts) {
  const groups = new Map();
  for (const c of charts) {
    const n = maxPointsFor(c.el);
    if (!groups.has(n)) groups.set(n, []);
    groups.get(n).push(c);
  }
  return [...groups];
}

/** TensorBoard's debiased exponential moving average; non-finite values pass through. */
export function ema(values, weight) {
  if (!(weight > 0)) return values;
  const out = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null || !isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n++;
    out[i] = last / (1 - Math.pow(weight, n));
  }
  return out;
}

/** Settings every chart of a page shares; kept in the page's URL. */
export const DEFAULT_SETTINGS = {x: 'step', smoothing: 0, log: false};

export function settingsFrom(params) {
  const s = Number(params.get('smooth'));
  return {
    x: ['step', 'wall', 'relative'].includes(params.get('x')) ? params.get('x') : 'step',
    smoothing: isFinite(s) && s >= 0 && s < 1 ? s : 0,
    log: params.get('log') === '1',
  };
}

export function settingsParams(s) {
  return {x: s.x === 'step' ? null : s.x, smooth: s.smoothing || null, log: s.log ? '1' : null};
}

/** The chart controls: x axis, smoothing slider, log scale; onChange(settings) on every change. */
export function chartControls(settings, onChange) {
  const value = h('span', {class: 'smooth-value'}, settings.smoothing.toFixed(2));
  const x = h('select', {id: 'x-axis', onchange: () => change()},
    h('option', {value: 'step', selected: settings.x === 'step'}, 'Step'),
    h('option', {value: 'wall', selected: settings.x === 'wall'}, 'Wall time'),
    h('option', {value: 'relative', selected: settings.x === 'relative'}, 'Relative time'));
  const smooth = h('input', {id: 'smoothing', type: 'range', min: 0, max: 0.99, step: 0.01,
    value: settings.smoothing, oninput: () => change()});
  const log = h('input', {id: 'log-scale', type: 'checkbox', checked: settings.log, onchange: () => change()});
  function change() {
    const s = {x: x.value, smoothing: Number(smooth.value), log: log.checked};
    value.textContent = s.smoothing.toFixed(2);
    onChange(s);
  }
  return h('div', {class: 'controls'},
    h('label', null, 'X axis ', x),
    h('label', null, 'Smoothing ', smooth, value),
    h('label', null, log, ' Log scale'));
}

/**
 * A chart card for one metric key. set(lines) gives it its data: [{name, color, series, start}]
 * where series is the API's {points: [[step, value]], times?: [ms]} and start the run's start (ms,
 * for relative time); render(settings) draws it. drawn is a promise of the next finished render.
 */
export class MetricChart {
  /** opts.refetch(from, to): the lines' series over steps [from, to], in
   * the order of set()'s lines, fetched when the step axis is zoomed. */
  constructor(key, opts = {}) {
    this.key = key;
    this.refetch = opts.refetch || null;
    this.el = h('div', {class: 'chart', dataset: {key}});
    this.card = h('div', {class: 'chart-card'}, h('div', {class: 'chart-title', title: key}, key), this.el);
    this.full = []; // the lines over the whole history
    this.lines = []; // what is drawn: the full lines, or a zoomed range of them at full resolution
    this.zoomedTo = null; // [from, to] steps while zoomed
    this.settings = null;
    this.chart = null;
    this.drawn = Promise.resolve();
  }

  /** Creates the ECharts instance once the card is in the page (it needs a size) and ECharts has
   * loaded (until then render() does it). */
  mount() {
    if (!this.chart && window.echarts) {
      this.chart = echarts.init(this.el, null, {renderer: 'canvas'});
      let pending = 0;
      this.chart.on('datazoom', () => {
        clearTimeout(pending);
        pending = setTimeout(() => this.zoomed(), 250);
      });
      this.chart.on('restore', () => { // the toolbox's reset: the whole history again
        this.zoomedTo = null;
        this.lines = this.full;
        if (this.settings) this.render(this.settings);
      });
    }
    return this;
  }

  /** New data for the whole history (first load, live updates); a zoomed chart stays zoomed. */
  set(lines) {
    this.full = lines;
    if (!this.zoomedTo) this.lines = lines;
    return this;
  }

  /** Draws with new settings (axes, smoothing, log scale: the zoom resets) or new data. */
  render(settings) {
    if (!window.echarts) {
      this.drawn = echartsReady.then(() => this.render(settings));
      return this.drawn;
    }
    this.mount();
    const chart = this.chart;
    const first = !this.settings;
    const sameAxes = this.settings && this.settings.x === settings.x && this.settings.log === settings.log;
    if (!sameAxes) {
      this.zoomedTo = null;
      this.lines = this.full;
    }
    this.settings = settings;
    const how = {replaceMerge: sameAxes ? ['series'] : ['series', 'xAxis', 'yAxis']};
    if (!this.el.offsetWidth) { // hidden by the search box: ECharts draws it when it is resized
      chart.setOption(this.option(settings), how);
      this.drawn = Promise.resolve();
      return this.drawn;
    }
    this.drawn = new Promise((resolve) => {
      const done = () => {
        chart.off('finished', done);
        resolve();
      };
      chart.on('finished', done);
    });
    chart.setOption(this.option(settings), how);
    // new axes drop the zoom; a first draw has none to drop (and the action would lay it out twice)
    if (!sameAxes && !first) chart.dispatchAction({type: 'dataZoom', start: 0, end: 100});
    return this.drawn;
  }

  /** After a zoom on the step axis: the visible steps again from the server, downsampled to the
   * chart's width; zoomed back out, the whole history. */
  async zoomed() {
    if (!this.refetch || !this.settings || this.settings.x !== 'step') return;
    const [lo, hi] = this.extent(this.full);
    const [x0, x1] = this.chart.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
    const seq = (this.zoomSeq = (this.zoomSeq || 0) + 1);
    if (x0 <= lo && x1 >= hi) {
      if (!this.zoomedTo) return;
      this.zoomedTo = null;
      this.lines = this.full;
    } else {
      const range = [Math.floor(x0), Math.ceil(x1)];
      const series = await this.refetch(range[0], range[1]);
      if (seq !== this.zoomSeq) return; // a later zoom won
      this.zoomedTo = range;
      this.lines = this.full.map((line, i) => ({...line, series: series[i]}));
    }
    this.render(this.settings);
  }

  /** [min, max] of the x values of lines (the axis stays there while zoomed data is drawn). */
  extent(lines) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const line of lines) {
      const pts = line.series.points || [];
      const times = line.series.times;
      for (const i of pts.length ? [0, pts.length - 1] : []) {
        const x = xValue(this.settings.x, pts[i][0], times && times[i], line.start);
        if (x != null) {
          lo = Math.min(lo, x);
          hi = Math.max(hi, x);
        }
      }
    }
    return lo <= hi ? [lo, hi] : [null, null];
  }

  resize() {
    if (this.chart) this.chart.resize();
  }

  dispose() {
    if (this.chart) this.chart.dispose();
    this.chart = null;
  }

  option(settings) {
    const [xMin, xMax] = this.extent(this.full);
    const series = [];
    const smoothing = settings.smoothing;
    for (const line of this.lines) {
      const pts = line.series.points || [];
      const times = line.series.times;
      const xs = pts.map((p, i) => xValue(settings.x, p[0], times && times[i], line.start));
      const ys = pts.map((p) => yValue(toNumber(p[1]), settings.log));
      const base = {
        type: 'line', name: line.name, showSymbol: false, symbol: 'none', animation: false,
        sampling: 'lttb', connectNulls: false, color: line.color,
      };
      if (smoothing > 0) {
        series.push({...base, id: line.id + ':raw', silent: true, z: 1,
          lineStyle: {width: 1, opacity: 0.22}, data: zip(xs, ys), tooltip: {show: false}});
        series.push({...base, id: line.id, z: 2, lineStyle: {width: 1.6}, data: zip(xs, ema(ys, smoothing))});
      } else {
        series.push({...base, id: line.id, lineStyle: {width: 1.4}, data: zip(xs, ys)});
      }
    }
    return {
      animation: false,
      grid: {left: 8, right: 16, top: 12, bottom: 28, containLabel: true},
      xAxis: {
        type: settings.x === 'wall' ? 'time' : 'value',
        min: xMin ?? 'dataMin', max: xMax ?? 'dataMax', scale: true,
        axisLabel: settings.x === 'relative' ? {formatter: (v) => fmtDuration(v)} : {hideOverlap: true},
        splitLine: {show: false},
      },
      yAxis: {
        type: settings.log ? 'log' : 'value', scale: true,
        axisLabel: {formatter: (v) => fmtValue(v)},
        splitLine: {lineStyle: {color: '#eef0f3'}},
      },
      // hidden: the page's legend (the compare view's run chips) toggles runs on every chart
      legend: {show: false},
      tooltip: {
        trigger: 'axis', renderMode: 'html', confine: true, axisPointer: {type: 'line'},
        formatter: (params) => tooltipHtml(params, settings.x),
      },
      toolbox: {right: 4, top: -6, itemSize: 12,
        feature: {dataZoom: {filterMode: 'none', title: {zoom: 'Zoom', back: 'Undo zoom'}},
          restore: {title: 'Reset'}}},
      dataZoom: [{type: 'inside', xAxisIndex: 0, filterMode: 'none'}],
      series,
    };
  }
}

function zip(xs, ys) {
  const out = new Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = [xs[i], ys[i]];
  return out;
}

function xValue(mode, step, ms, start) {
  if (mode === 'wall') return ms == null ? null : ms;
  if (mode === 'relative') return ms == null ? null : (ms - start) / 1000;
  return step;
}

function yValue(v, log) {
  if (v == null || !isFinite(v)) return null;
  if (log && v <= 0) return null;
  return v;
}

/** ECharts' tooltip is HTML: every name is escaped here, and colours are our own palette's. */
function tooltipHtml(params, xMode) {
  const list = Array.isArray(params) ? params : [params];
  if (!list.length) return '';
  const x = list[0].value[0];
  const head = xMode === 'wall' ? new Date(x).toLocaleString()
    : xMode === 'relative' ? fmtDuration(x) : 'step ' + x;
  const rows = list
    .filter((p) => !String(p.seriesId).endsWith(':raw') && p.value[1] != null)
    .slice(0, 20)
    .map((p) => `<div class="tt-row"><span class="tt-dot" style="background:${escapeHtml(p.color)}"></span>`
      + `<span class="tt-name">${escapeHtml(p.seriesName)}</span>`
      + `<span class="tt-val">${escapeHtml(fmtValue(p.value[1]))}</span></div>`);
  return `<div class="tt"><div class="tt-head">${escapeHtml(head)}</div>${rows.join('')}</div>`;
}

/** Marks the moment every chart of the page has drawn: window.__chartsDrawnAt (ms since
 * navigation) and a performance mark, for the browser tests and the page-budget benchmark. */
export function markDrawn(charts) {
  return Promise.all(charts.map((c) => c.drawn)).then(() => {
    performance.mark('liandan-charts-drawn');
    window.__chartsDrawnAt = performance.now();
    document.body.dataset.chartsDrawn = String(charts.length);
  });
}

/** The charts could not be drawn (ECharts did not load, or their data did not come): the reason
 * where the charts would be, and on the body for the browser tests; the rest of the page goes on. */
export function chartsFailed(box, e) {
  fill(box, errorBox(e));
  document.body.dataset.chartsFailed = String(e.message || e);
}

/** Resizes every chart with the window. */
export function resizeWith(charts) {
  let pending = 0;
  window.addEventListener('resize', () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => charts().forEach((c) => c.resize()));
  });
}

/** The charts' cards under one heading per key prefix (train, eval, rewards, system, ...). */
export function chartGroups(charts) {
  const byKey = new Map(charts.map((c) => [c.key, c]));
  return groupKeys([...byKey.keys()]).map(([prefix, keys]) => h('div', {class: 'chart-group', dataset: {prefix}},
    h('h3', null, prefix, h('span', {class: 'count'}, String(keys.length))),
    h('div', {class: 'chart-grid'}, keys.map((k) => byKey.get(k).card))));
}

/** The metric search box: hides the charts whose key does not contain the text; kept in the URL
 * as q. charts() gives the page's current MetricCharts. */
export function keySearch(charts) {
  const input = h('input', {id: 'key-filter', type: 'search', placeholder: 'search metrics',
    value: params().get('q') || '', oninput: () => apply()});
  function apply() {
    const t = input.value.trim().toLowerCase();
    setParams({q: t});
    for (const c of charts()) c.card.hidden = t !== '' && !c.key.toLowerCase().includes(t);
    document.querySelectorAll('.chart-group').forEach((g) => {
      g.hidden = [...g.querySelectorAll('.chart-card')].every((c) => c.hidden);
    });
    charts().forEach((c) => c.resize());
  }
  return {input, apply};
}

/** Shows or hides the run named name on every chart (the legend's toggle, for all charts). */
export function toggleRun(charts, name, shown) {
  for (const c of charts) {
    if (c.chart) c.chart.dispatchAction({type: shown ? 'legendSelect' : 'legendUnSelect', name});
  }
}
