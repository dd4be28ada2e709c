// The run page: a grid of charts (one per metric key, grouped by prefix), the pipeline's stage
// timeline, config and summary, sample generations (side by side by stage), artifacts with
// lineage. While the run is running it polls every few seconds and redraws without a reload.
import {api, quote} from './api.js';
import {byMaxPoints, chartControls, chartsFailed, chartGroups, colorOf, keySearch, markDrawn, maxPointsFor, MetricChart, resizeWith, settingsFrom,
  settingsParams} from './charts.js';
import {errorBox, fill, resumes, flatten, fmtDuration, fmtTime, fmtValue, h, kvTable, params,
  runHref, runName, runSeconds, runsHref, section, setParams, stateBadge, toNumber, topBar} from './dom.js';
import {rowsTable, runSamples, sideBySide} from './samples.js';

const POLL_MS = 3000;
const app = document.getElementById('app');
const id = params().get('id');
let settings = settingsFrom(params());
let run = null;
const charts = new Map(); // key → MetricChart
let summaries = {}; // key → the server's series summary, to refetch only what changed
let search = null; // the metric search box

async function main() {
  run = await api.run(id);
  document.title = runName(run) + ' · Liandan';
  const chartsBox = h('div', {id: 'charts'});
  search = keySearch(() => [...charts.values()]);
  fill(app,
    topBar(['Projects', './'], [run.project, runsHref(run.project)], runName(run)),
    h('main', null,
      h('div', {id: 'run-head'}, header()),
      h('nav', {class: 'section-nav'}, [['Charts', 'charts-section'], ['Pipeline', 'pipeline'], ['Config', 'config'],
        ['Samples', 'samples'], ['Artifacts', 'artifacts']].map(([label, to]) => h('a', {href: '#' + to}, label))),
      h('section', {class: 'card', id: 'charts-section'},
        h('div', {class: 'card-head'}, h('h2', null, 'Charts'),
          chartControls(settings, (s) => {
            settings = s;
            setParams(settingsParams(s));
            drawAll();
          }), search.input),
        chartsBox),
      h('div', {id: 'pipeline'}),
      h('div', {id: 'config', class: 'two-col'}),
      h('div', {id: 'samples'}),
      h('div', {id: 'artifacts'})));
  resizeWith(() => [...charts.values()]);
  try {
    await refreshCharts(true);
    markDrawn([...charts.values()]);
  } catch (e) {
    chartsFailed(chartsBox, e);
  }
  renderConfig();
  loadPipeline().catch(showIn('pipeline'));
  loadSamples().catch(showIn('samples'));
  loadArtifacts().catch(showIn('artifacts'));
  if (run.state === 'running') setTimeout(poll, POLL_MS);
}

function showIn(elId) {
  return (e) => fill(document.getElementById(elId), errorBox(e));
}

/** The workflow's page in the Temporal Web UI, as the worker labelled the run; http(s) only. */
function temporalLink() {
  const url = (run.labels || {}).temporal_ui;
  return typeof url === 'string' && /^https?:\/\//.test(url) ? url : null;
}

function header() {
  const meta = [
    ['project', h('a', {href: runsHref(run.project)}, run.project)],
    run.group ? ['pipeline', h('a', {href: runsHref(run.project, {filter: 'group = ' + quote(run.group)})}, run.group)] : null,
    temporalLink() ? ['Temporal', h('a', {href: temporalLink(), target: '_blank', rel: 'noopener'}, 'workflow ' + (run.workflowId || run.group))] : null,
    run.jobType ? ['stage', run.jobType] : null,
    (run.resumedAt || []).length ? ['resumed', `${run.resumedAt.length}× (last ${fmtTime(run.resumedAt.at(-1))})`] : null,
    ['created', fmtTime(run.createdAt)],
    ['duration', fmtDuration(runSeconds(run))],
    ['id', String(run.id)],
  ].filter(Boolean);
  return h('div', {class: 'run-head'},
    h('div', {class: 'title-row'}, h('h1', {id: 'run-name'}, runName(run)), stateBadge(run.state),
      h('a', {class: 'button', href: 'compare.html?runs=' + run.id}, 'Compare…')),
    h('dl', {class: 'meta'}, meta.map(([k, v]) => h('div', null, h('dt', null, k), h('dd', null, v)))),
    (run.tags || []).length ? h('div', {class: 'tags'}, run.tags.map((t) => h('span', {class: 'tag'}, t))) : null,
    run.notes ? h('p', {class: 'notes'}, run.notes) : null);
}

/** Creates charts for new keys, refetches series whose summary changed, redraws. */
async function refreshCharts(first) {
  const keys = await api.keys(run.id);
  const changed = [];
  let added = false;
  for (const key of keys.keys) {
    const s = JSON.stringify(keys.summaries[key]);
    if (!charts.has(key)) {
      const chart = new MetricChart(key, {refetch: (from, to) =>
        api.series(run.id, key, maxPointsFor(chart.el), true, {from, to}).then((s) => [s])});
      charts.set(key, chart);
      added = true;
    }
    if (summaries[key] !== s) changed.push(key);
    summaries[key] = s;
  }
  if (added || first) layoutCharts();
  // every changed series in one request (per chart width)
  await Promise.all(byMaxPoints(changed.map((key) => charts.get(key))).map(async ([maxPoints, group]) => {
    const all = await api.seriesOfKeys(run.id, group.map((c) => c.key), maxPoints, true);
    await Promise.all(group.map((chart, i) => {
      chart.set([{id: 'r' + run.id, name: runName(run), color: colorOf(0), series: all[i], start: Date.parse(run.createdAt)}]);
      return chart.render(settings);
    }));
  }));
}

function layoutCharts() {
  const box = document.getElementById('charts');
  if (!charts.size) {
    fill(box, h('p', {class: 'muted'}, 'No metrics logged yet.'));
    return;
  }
  fill(box, chartGroups([...charts.values()]));
  charts.forEach((c) => c.mount().resize());
  search.apply();
}

function drawAll() {
  return Promise.all([...charts.values()].map((c) => c.render(settings)));
}

async function poll() {
  try {
    run = await api.run(id);
    fill(document.getElementById('run-head'), header());
    await refreshCharts(false);
    renderConfig();
  } catch (e) {
    console.warn('live update failed', e);
  }
  if (run.state === 'running') setTimeout(poll, POLL_MS);
}

function renderConfig() {
  const config = Object.entries(flatten(run.config)).sort((a, b) => a[0].localeCompare(b[0]));
  const summary = Object.entries(flatten(run.summary)).sort((a, b) => a[0].localeCompare(b[0]));
  const metrics = Object.entries(run.metrics || {});
  fill(document.getElementById('config'),
    section('Config', h('div', {id: 'config-table'}, kvTable(config, 'no config'))),
    section('Summary', h('div', {id: 'summary-table'}, kvTable(summary, 'no summary set by the run')),
      metrics.length ? h('table', {class: 'grid metrics-summary'},
        h('thead', null, h('tr', null, ['metric', 'last', 'min', 'max', 'last step', 'points'].map((c) => h('th', null, c)))),
        h('tbody', null, metrics.map(([k, s]) => h('tr', null, h('td', null, k),
          [s.last, s.min, s.max].map((v) => h('td', {class: 'num'}, fmtValue(toNumber(v)))),
          h('td', {class: 'num'}, String(s.lastStep)), h('td', {class: 'num'}, String(s.count)))))) : null));
}

/** The runs of this run's pipeline, in the order they started. */
async function pipelineRuns() {
  if (!run.group) return [run];
  const runs = await api.runs(run.project, 'group = ' + quote(run.group));
  return runs.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
}

let stages = null;

async function loadPipeline() {
  stages = await pipelineRuns();
  const el = document.getElementById('pipeline');
  if (!run.group) {
    fill(el);
    return;
  }
  const start = Math.min(...stages.map((r) => Date.parse(r.createdAt)));
  const end = Math.max(...stages.map((r) => Date.parse(r.createdAt) + runSeconds(r) * 1000));
  const span = Math.max(1, end - start);
  fill(el, section('Pipeline · ' + run.group,
    h('div', {class: 'timeline', id: 'timeline'},
      stages.map((r) => {
        const left = ((Date.parse(r.createdAt) - start) / span) * 100;
        const width = Math.max(0.6, ((runSeconds(r) * 1000) / span) * 100);
        return h('div', {class: 'tl-row' + (r.id === run.id ? ' current' : ''), dataset: {runId: r.id}},
          h('a', {class: 'tl-label', href: runHref(r.id), title: r.jobType || runName(r)}, r.jobType || runName(r)),
          h('div', {class: 'tl-track'},
            h('div', {class: 'tl-bar state-' + r.state,
              style: {left: left + '%', width: Math.min(width, 100 - left) + '%'},
              title: `${runName(r)}: ${r.state}, ${fmtTime(r.createdAt)} → ${r.finishedAt ? fmtTime(r.finishedAt) : 'now'}`},
            h('span', null, fmtDuration(runSeconds(r)))),
            // each resume (a retried or resumed stage) as a mark where it happened
            (r.resumedAt || []).map((t) => h('div', {class: 'tl-resume',
              style: {left: Math.min(100, ((Date.parse(t) - start) / span) * 100) + '%'},
              title: 'resumed ' + fmtTime(t)}))),
          h('span', null, stateBadge(r.state), resumes(r)));
      }),
      h('div', {class: 'tl-axis muted small'}, h('span', null, fmtTime(new Date(start).toISOString())),
        h('span', null, fmtDuration(span / 1000) + ' in all'), h('span', null, fmtTime(new Date(end).toISOString()))))));
}

async function loadSamples() {
  const el = document.getElementById('samples');
  const own = await runSamples(run.id);
  const parts = own.map((t) => h('div', {class: 'sample-table'},
    h('h3', null, t.table, h('span', {class: 'muted'}, ` ${t.rows.length} rows`)), rowsTable(t.rows)));
  // the same prompts across the pipeline's stages
  if (!stages) stages = await pipelineRuns();
  if (stages.length > 1) {
    const entries = await Promise.all(stages.map(async (r) => ({
      label: r.jobType || runName(r),
      rows: (r.id === run.id ? own : await runSamples(r.id)).flatMap((t) => t.rows),
    })));
    const withRows = entries.filter((e) => e.rows.length);
    const table = withRows.length > 1 ? sideBySide(withRows) : null;
    if (table) parts.unshift(h('div', {class: 'sample-table', id: 'by-stage'}, h('h3', null, 'Same prompt, by stage'), table));
  }
  fill(el, section('Samples', parts.length ? parts : h('p', {class: 'muted'}, 'No sample generations logged.')));
}

async function loadArtifacts() {
  const a = await api.artifacts(run.id);
  const usedBy = await Promise.all(a.produced.map((x) => api.lineage(x.id).then((l) => l.usedBy)));
  const runLink = (rid) => h('a', {href: runHref(rid)}, '#' + rid);
  const table = (rows, last) => h('table', {class: 'grid artifacts'},
    h('thead', null, h('tr', null, ['name', 'type', 'uri', 'sha256', 'size', last].map((c) => h('th', null, c)))),
    h('tbody', null, rows.map(([x, links]) => h('tr', null,
      h('td', null, x.name), h('td', null, x.type), h('td', {class: 'mono'}, x.uri),
      h('td', {class: 'mono', title: x.sha256 || ''}, x.sha256 ? x.sha256.slice(0, 12) : ''),
      h('td', {class: 'num'}, x.size == null ? '' : fmtBytes(x.size)),
      h('td', null, links.length ? links.map((l, i) => [i ? ', ' : '', l]) : h('span', {class: 'muted'}, '—'))))));
  fill(document.getElementById('artifacts'), section('Artifacts',
    h('h3', null, 'Produced'),
    a.produced.length ? table(a.produced.map((x, i) => [x, usedBy[i].map(runLink)]), 'used by') : h('p', {class: 'muted'}, 'none'),
    h('h3', null, 'Used'),
    a.used.length ? table(a.used.map((x) => [x, x.producerRunId ? [runLink(x.producerRunId)] : []]), 'produced by') : h('p', {class: 'muted'}, 'none')));
}

function fmtBytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i ? n.toFixed(1) : n) + ' ' + units[i];
}

main().catch((e) => fill(app, topBar(['Projects', './'], 'run ' + id), h('main', null, errorBox(e))));
