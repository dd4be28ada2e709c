// The compare view for N runs: each metric from every run overlaid on one chart (one colour per run,
// the same on every chart), the config keys whose values differ, summaries side by side, and the
// generations of the same prompt side by side. The selection and chart settings live in the URL:
// compare.html?runs=3,5,8&keys=train/loss,eval/loss&q=loss&x=step&smooth=0.6&log=1 (keys: only
// those charts; q: the metric search box)
import {api} from './api.js';
import {byMaxPoints, chartControls, chartGroups, chartsFailed, colorOf, keySearch, toggleRun, markDrawn, maxPointsFor, MetricChart, resizeWith, settingsFrom,
  settingsParams} from './charts.js';
import {errorBox, fill, flatten, fmtDuration, fmtValue, h, params, runHref, runName, runSeconds,
  runsHref, section, setParams, stateBadge, summaryValues, topBar} from './dom.js';
import {runSamples, sideBySide} from './samples.js';

const app = document.getElementById('app');
const p = params();
const ids = [...new Set((p.get('runs') || '').split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)))];
const onlyKeys = p.get('keys') ? p.get('keys').split(',').filter(Boolean) : null;
let settings = settingsFrom(p);
const charts = [];

/** Legend labels: the run's name, with its id where two runs share a name. */
function labels(runs) {
  const count = new Map();
  runs.forEach((r) => count.set(runName(r), (count.get(runName(r)) || 0) + 1));
  return runs.map((r) => (count.get(runName(r)) > 1 ? `${runName(r)} #${r.id}` : runName(r)));
}

async function main() {
  if (!ids.length) {
    fill(app, topBar(['Projects', './'], 'Compare'), h('main', null,
      h('p', {class: 'muted'}, 'Select runs in a project\'s runs table and press Compare.')));
    return;
  }
  const runs = await api.runsByIds(ids);
  const names = labels(runs);
  const projects = [...new Set(runs.map((r) => r.project))];
  document.title = `Compare ${runs.length} runs · Liandan`;

  const allKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics || {})))];
  const keys = onlyKeys ? allKeys.filter((k) => onlyKeys.includes(k)) : allKeys;
  for (const k of keys) {
    const chart = new MetricChart(k, {refetch: (from, to) =>
      api.compare(ids, k, maxPointsFor(chart.el), settings.x !== 'step', {from, to})});
    charts.push(chart);
  }

  const search = keySearch(() => charts);
  const copy = h('button', {id: 'copy-link', onclick: () => {
    navigator.clipboard?.writeText(location.href);
    copy.textContent = 'Link copied';
  }}, 'Copy link');

  fill(app,
    topBar(['Projects', './'], projects.length === 1 ? [projects[0], runsHref(projects[0])] : null,
      `Compare ${runs.length} runs`),
    h('main', null,
      h('div', {class: 'page-head'}, h('h1', null, `Compare ${runs.length} runs`), copy),
      // the legend of every chart: a run's colour hides or shows it everywhere
      h('div', {class: 'run-chips', id: 'run-legend'}, runs.map((r, i) => h('span', {class: 'run-chip', dataset: {runId: r.id}},
        h('button', {class: 'dot toggle', style: {background: colorOf(i)}, title: 'hide or show on every chart',
          onclick: (e) => {
            const chip = e.target.closest('.run-chip');
            chip.classList.toggle('off');
            toggleRun(charts, names[i], !chip.classList.contains('off'));
          }}),
        h('a', {href: runHref(r.id)}, names[i]), stateBadge(r.state),
        h('a', {class: 'remove', title: 'remove from comparison',
          href: 'compare.html?' + withRuns(ids.filter((x) => x !== String(r.id)))}, '×')))),
      h('section', {class: 'card'},
        h('div', {class: 'card-head'}, h('h2', null, 'Charts'),
          chartControls(settings, (s) => {
            settings = s;
            setParams(settingsParams(s));
            load(runs, names);
          }), search.input),
        h('div', {id: 'charts'}, chartGroups(charts)),
        keys.length ? null : h('p', {class: 'muted'}, 'These runs logged no metrics.')),
      section('Config differences', h('div', {id: 'config-diff'}, configDiff(runs, names))),
      section('Summary', h('div', {id: 'summary-compare'}, summaryTable(runs, names))),
      h('div', {id: 'samples'})));
  search.apply();
  resizeWith(() => charts);
  // the series request goes out before the charts are created (echarts.init, five times), so the
  // server reads while the browser builds them; render() mounts a chart not mounted yet
  const loaded = load(runs, names);
  charts.forEach((c) => c.mount());
  try {
    await loaded;
    markDrawn(charts);
  } catch (e) {
    chartsFailed(document.getElementById('charts'), e);
  }
  loadSamples(runs, names).catch((e) => fill(document.getElementById('samples'), errorBox(e)));
}

function withRuns(list) {
  const q = params();
  q.set('runs', list.join(','));
  return q.toString();
}

/** One request for every chart (per chart width): each key's series of every run, downsampled to
 * what the chart can draw. */
function load(runs, names) {
  const times = settings.x !== 'step';
  return Promise.all(byMaxPoints(charts).map(async ([maxPoints, group]) => {
    const all = await api.compareKeys(ids, group.map((c) => c.key), maxPoints, times);
    await Promise.all(group.map((chart, k) => {
      chart.set(all[k].runs.map((s, i) => ({id: 'r' + runs[i].id, name: names[i], color: colorOf(i), series: s,
        start: Date.parse(runs[i].createdAt)})));
      return chart.render(settings);
    }));
  }));
}

function valueKey(v) {
  return v === undefined ? '\u0000missing' : JSON.stringify(v);
}

/** Only the hyperparameters whose values differ between the runs (a missing key differs too). */
function configDiff(runs, names) {
  const flat = runs.map((r) => flatten(r.config));
  const keys = [...new Set(flat.flatMap((c) => Object.keys(c)))].sort();
  const differing = keys.filter((k) => new Set(flat.map((c) => valueKey(c[k]))).size > 1);
  if (!differing.length) {
    return h('p', {class: 'muted'}, `All ${runs.length} runs share the same config (${keys.length} keys).`);
  }
  return h('div', {class: 'table-wrap'}, h('table', {class: 'grid diff'},
    h('thead', null, h('tr', null, h('th', null, 'key'), names.map((n, i) => h('th', null,
      h('span', {class: 'dot', style: {background: colorOf(i)}}), n)))),
    h('tbody', null, differing.map((k) => h('tr', {dataset: {key: k}}, h('th', null, k),
      flat.map((c) => h('td', {class: k in c ? null : 'muted'}, k in c ? fmtValue(c[k]) : '—')))))),
  h('p', {class: 'muted small'}, `${keys.length - differing.length} of ${keys.length} keys are the same in every run.`));
}

function summaryTable(runs, names) {
  const vals = runs.map((r) => summaryValues(r));
  const keys = [...new Set(vals.flatMap((v) => Object.keys(v)))].sort();
  const rows = [
    ['state', runs.map((r) => stateBadge(r.state))],
    ['pipeline', runs.map((r) => r.group || '')],
    ['stage', runs.map((r) => r.jobType || '')],
    ['duration', runs.map((r) => fmtDuration(runSeconds(r)))],
    ...keys.map((k) => [k, vals.map((v) => fmtValue(v[k]))]),
  ];
  return h('div', {class: 'table-wrap'}, h('table', {class: 'grid diff'},
    h('thead', null, h('tr', null, h('th', null, ''), names.map((n, i) => h('th', null,
      h('span', {class: 'dot', style: {background: colorOf(i)}}), n)))),
    h('tbody', null, rows.map(([k, cells]) => h('tr', {dataset: {key: k}}, h('th', null, k),
      cells.map((c) => h('td', {class: typeof c === 'string' && /^-?[\d.]/.test(c) ? 'num' : null}, c)))))));
}

async function loadSamples(runs, names) {
  const entries = await Promise.all(runs.map(async (r, i) => ({
    label: names[i], color: colorOf(i), rows: (await runSamples(r.id)).flatMap((t) => t.rows),
  })));
  const table = sideBySide(entries);
  fill(document.getElementById('samples'), section('Samples: the same prompt side by side',
    table || h('p', {class: 'muted'}, 'No sample generations with a prompt in these runs.')));
}

main().catch((e) => fill(app, topBar(['Projects', './'], 'Compare'), h('main', null, errorBox(e))));
