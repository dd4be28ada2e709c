// The runs table of one project: state, name, pipeline, stage, created, duration, and the config and
// summary columns the user picks; sortable; filtered by the API's filter language; grouped by
// pipeline (a pipeline's stages together, in the order they ran); checkboxes to compare runs.
import {api} from './api.js';
import {compareHref, errorBox, resumes, fill, flatten, fmtDuration, fmtTime, fmtValue, h, params, runHref,
  runName, runSeconds, setParams, stateBadge, summaryValues, topBar} from './dom.js';

const app = document.getElementById('app');
const p = params();
const project = p.get('project');
const state = {
  filter: p.get('filter') || '',
  cols: p.get('cols') ? p.get('cols').split(',').filter(Boolean) : null,
  sort: p.get('sort') || '-created',
  group: p.get('group') !== '0',
  runs: [],
  selected: new Set(),
  error: null,
};

const BASE = [
  {id: 'state', label: 'state', value: (r) => r.state},
  {id: 'name', label: 'name', value: (r) => runName(r)},
  {id: 'group', label: 'pipeline', value: (r) => r.group},
  {id: 'jobType', label: 'stage', value: (r) => r.jobType},
  {id: 'created', label: 'created', value: (r) => Date.parse(r.createdAt)},
  {id: 'duration', label: 'duration', value: (r) => runSeconds(r)},
];

/**
 * Each run's flattened config and summary values, made once per load: columns, sorting, the
 * default columns and the picker all read them for every run (made per cell, 2 runs × 5,000 config
 * keys took 23 s to draw).
 */
let flat = new Map(); // run id → {config, summary}

function flatOf(r) {
  let f = flat.get(r.id);
  if (!f) {
    f = {config: flatten(r.config), summary: summaryValues(r)};
    flat.set(r.id, f);
  }
  return f;
}

function dynamicColumn(id) {
  const dot = id.indexOf('.');
  const kind = id.slice(0, dot);
  const key = id.slice(dot + 1);
  const value = kind === 'config' ? (r) => flatOf(r).config[key] : (r) => flatOf(r).summary[key];
  return {id, label: key, kind, value, dynamic: true};
}

let keysOfRuns = null; // availableKeys() of the loaded runs

/** Every config and summary key of the loaded runs. */
function availableKeys() {
  if (keysOfRuns) return keysOfRuns;
  const config = new Set();
  const summary = new Set();
  for (const r of state.runs) {
    Object.keys(flatOf(r).config).forEach((k) => config.add(k));
    Object.keys(flatOf(r).summary).forEach((k) => summary.add(k));
  }
  keysOfRuns = {config: [...config].sort(), summary: [...summary].sort()};
  return keysOfRuns;
}

/** The metrics a user looks for first, shown by default where any run logged them. */
const FIRST_METRICS = ['train/loss', 'eval/loss', 'rewards/accuracies'];

/**
 * Without a choice: train/loss, eval/loss and rewards/accuracies where present, then up to four
 * config keys whose values differ among the training runs (those that logged train/loss; an eval
 * stage's config says nothing about training). Keys every training run has come first: a
 * hyperparameter changed between runs says more than one only some stages take.
 */
function defaultColumns() {
  const {summary} = availableKeys();
  const metrics = FIRST_METRICS.filter((k) => summary.includes(k));
  const training = state.runs.filter((r) => flatOf(r).summary['train/loss'] !== undefined);
  const pool = training.length > 1 ? training : state.runs;
  return [...metrics.map((k) => 'summary.' + k), ...differingConfig(pool).slice(0, 4).map((k) => 'config.' + k)];
}

/** Config keys whose value is not the same in every run of runs (linear in runs × keys). */
function differingConfig(runs) {
  const first = new Map(); // key → the first value seen, as text
  const seenIn = new Map(); // key → how many runs have it
  const differ = new Set();
  for (const r of runs) {
    for (const [k, v] of Object.entries(flatOf(r).config)) {
      const text = typeof v === 'object' ? JSON.stringify(v) : typeof v + ':' + v;
      if (!first.has(k)) first.set(k, text);
      else if (first.get(k) !== text) differ.add(k);
      seenIn.set(k, (seenIn.get(k) || 0) + 1);
    }
  }
  for (const [k, n] of seenIn) if (n < runs.length && runs.length > 1) differ.add(k);
  const inAll = (k) => (seenIn.get(k) === runs.length ? 0 : 1);
  return [...differ].sort((a, b) => inAll(a) - inAll(b) || a.localeCompare(b));
}

function columns() {
  // grouped, the pipeline is the group's header row
  const base = BASE.filter((c) => !(state.group && c.id === 'group'));
  return [...base, ...(state.cols || defaultColumns()).map(dynamicColumn)];
}

function compareValues(a, b) {
  const na = a == null || (typeof a === 'number' && isNaN(a));
  const nb = b == null || (typeof b === 'number' && isNaN(b));
  if (na || nb) return na === nb ? 0 : na ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), undefined, {numeric: true});
}

function sorted(runs, cols) {
  const desc = state.sort.startsWith('-');
  const id = desc ? state.sort.slice(1) : state.sort;
  const col = cols.find((c) => c.id === id) || BASE[4];
  return [...runs].sort((x, y) => {
    const c = compareValues(col.value(x), col.value(y));
    const nullish = (v) => v == null;
    if (nullish(col.value(x)) !== nullish(col.value(y))) return c; // missing values last either way
    return (desc ? -c : c) || y.id - x.id;
  });
}

async function load() {
  try {
    state.runs = await api.runs(project, state.filter);
    state.error = null;
    flat = new Map();
    keysOfRuns = null;
  } catch (e) {
    state.error = e;
    state.runs = [];
    flat = new Map();
    keysOfRuns = null;
  }
  const known = new Set(state.runs.map((r) => r.id));
  state.selected = new Set([...state.selected].filter((id) => known.has(id)));
  render();
}

function saveParams() {
  setParams({
    filter: state.filter,
    cols: state.cols ? state.cols.join(',') : null,
    sort: state.sort === '-created' ? null : state.sort,
    group: state.group ? null : '0',
  });
}

function render() {
  const t0 = performance.now();
  const cols = columns();
  const filterInput = h('input', {id: 'filter', type: 'search', value: state.filter, spellcheck: 'false',
    placeholder: 'filter: state = running and config.learning_rate < 1e-4 and summary.eval/loss < 2'});
  const form = h('form', {class: 'filter', onsubmit: (e) => {
    e.preventDefault();
    state.filter = filterInput.value.trim();
    saveParams();
    load();
  }}, filterInput, h('button', {type: 'submit'}, 'Filter'));

  const compareBtn = h('a', {id: 'compare', class: 'button primary' + (state.selected.size ? '' : ' disabled'),
    href: state.selected.size ? compareHref([...state.selected]) : null},
  'Compare', state.selected.size ? ` (${state.selected.size})` : '');

  const toolbar = h('div', {class: 'toolbar'}, form,
    h('label', {class: 'toggle'}, h('input', {id: 'group-toggle', type: 'checkbox', checked: state.group,
      onchange: (e) => {
        state.group = e.target.checked;
        saveParams();
        render();
      }}), ' Group by pipeline'),
    columnPicker(cols), compareBtn);

  fill(app, topBar(['Projects', './'], project),
    h('main', null,
      h('div', {class: 'page-head'}, h('h1', null, project),
        state.error ? null : h('span', {class: 'muted', id: 'run-count'}, `${state.runs.length} run${state.runs.length === 1 ? '' : 's'}`)),
      toolbar,
      state.error ? errorBox(state.error) : null,
      table(cols)));
  document.body.dataset.runsRendered = String(performance.now());
  document.body.dataset.runsRenderMs = String(performance.now() - t0);
}

/** The column picker: a checkbox per config and summary key, made when it is opened (a project
 * can have thousands of keys, and the table re-renders on every click). */
function columnPicker(cols) {
  const chosen = new Set(cols.filter((c) => c.dynamic).map((c) => c.id));
  const box = (id, label) => h('label', {class: 'pick'}, h('input', {type: 'checkbox', checked: chosen.has(id),
    dataset: {col: id}, onchange: (e) => {
      const next = cols.filter((c) => c.dynamic).map((c) => c.id).filter((c) => c !== id);
      if (e.target.checked) next.push(id);
      state.cols = next;
      saveParams();
      render();
      document.getElementById('columns').open = true;
    }}), ' ', label);
  const body = h('div', {class: 'picker-body'});
  const fillBody = () => {
    if (body.firstChild) return;
    const {config, summary} = availableKeys();
    fill(body,
      h('div', null, h('h4', null, 'Config'), config.length ? config.map((k) => box('config.' + k, k)) : h('p', {class: 'muted'}, 'none')),
      h('div', null, h('h4', null, 'Summary'), summary.length ? summary.map((k) => box('summary.' + k, k)) : h('p', {class: 'muted'}, 'none')));
  };
  return h('details', {id: 'columns', class: 'picker', ontoggle: (e) => e.target.open && fillBody()},
    h('summary', null, 'Columns'), body);
}

function headerCell(col) {
  const desc = state.sort === '-' + col.id;
  const asc = state.sort === col.id;
  return h('th', {class: 'sortable' + (asc || desc ? ' sorted' : '') + (col.kind ? ' ' + col.kind : ''),
    dataset: {col: col.id}, title: col.kind ? col.kind + '.' + col.label : col.label,
    onclick: () => {
      state.sort = desc ? col.id : '-' + col.id;
      saveParams();
      render();
    }},
  col.kind ? h('span', {class: 'col-kind'}, col.kind === 'config' ? 'cfg' : 'sum') : null,
  col.label, asc ? ' ▲' : desc ? ' ▼' : '');
}

function table(cols) {
  if (!state.runs.length) return h('p', {class: 'muted empty'}, state.error ? '' : 'No runs match.');
  const head = h('tr', null, h('th', {class: 'check'}), cols.map(headerCell));
  const body = [];
  if (state.group) {
    const groups = new Map();
    for (const r of state.runs) {
      const g = r.group || '';
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(r);
    }
    // pipelines ordered by the table's sort of their best member; stages in the order they ran
    const order = sorted(state.runs, cols).map((r) => r.group || '');
    const names = [...new Set(order)].sort((a, b) => (a === '') - (b === '') || order.indexOf(a) - order.indexOf(b));
    for (const g of names) {
      const stages = groups.get(g).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.id - b.id);
      if (g) body.push(groupRow(g, stages, cols.length + 1));
      stages.forEach((r) => body.push(runRow(r, cols, !!g)));
    }
  } else {
    sorted(state.runs, cols).forEach((r) => body.push(runRow(r, cols, false)));
  }
  return h('div', {class: 'table-wrap'}, h('table', {id: 'runs', class: 'grid runs'}, h('thead', null, head), h('tbody', null, body)));
}

function groupRow(name, stages, span) {
  const all = stages.every((r) => state.selected.has(r.id));
  return h('tr', {class: 'group-row', dataset: {group: name}},
    h('td', {class: 'check'}, h('input', {type: 'checkbox', checked: all, title: 'select every stage',
      onchange: (e) => {
        stages.forEach((r) => (e.target.checked ? state.selected.add(r.id) : state.selected.delete(r.id)));
        render();
      }})),
    h('td', {colspan: span - 1},
      h('span', {class: 'group-name'}, name),
      h('span', {class: 'stages'}, stages.map((r, i) => [i ? h('span', {class: 'arrow'}, '→') : null,
        h('a', {class: 'stage-chip state-' + r.state, href: runHref(r.id)}, r.jobType || runName(r), resumes(r))])),
      h('span', {class: 'muted'}, ` ${stages.length} stage${stages.length === 1 ? '' : 's'}`)));
}

function runRow(r, cols, inGroup) {
  const cells = cols.map((c) => {
    switch (c.id) {
      case 'state': return h('td', null, stateBadge(r.state), resumes(r));
      case 'name': return h('td', {class: 'name' + (inGroup ? ' indented' : '')},
        h('a', {href: runHref(r.id)}, runName(r)),
        (r.tags || []).map((t) => h('span', {class: 'tag'}, t)));
      case 'created': return h('td', {class: 'nowrap'}, fmtTime(r.createdAt));
      case 'duration': return h('td', {class: 'num'}, fmtDuration(runSeconds(r)));
      default: {
        const v = c.value(r);
        return h('td', {class: typeof v === 'number' ? 'num' : null, dataset: {col: c.id}}, fmtValue(v));
      }
    }
  });
  return h('tr', {dataset: {runId: r.id}, class: state.selected.has(r.id) ? 'selected' : null},
    h('td', {class: 'check'}, h('input', {type: 'checkbox', class: 'select-run', checked: state.selected.has(r.id),
      onchange: (e) => {
        e.target.checked ? state.selected.add(r.id) : state.selected.delete(r.id);
        render();
      }})),
    cells);
}

if (!project) {
  location.replace('./');
} else {
  document.title = project + ' · Liandan';
  load().catch((e) => fill(app, topBar(['Projects', './'], project), h('main', null, errorBox(e))));
}
