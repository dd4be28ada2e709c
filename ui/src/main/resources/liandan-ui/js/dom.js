// DOM building and formatting shared by every page. Untrusted text (run names, tags, config
// values, model generations) only ever reaches the page through text nodes and attribute values
// set here: no innerHTML anywhere with data in it.

/** h('a', {href, class, onclick}, child, ...): an element; strings become text nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'checked' || k === 'value' || k === 'disabled' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The five characters that matter in HTML, for the one place that must produce markup (ECharts'
 * HTML tooltip). */
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

export function params() {
  return new URLSearchParams(location.search);
}

/** Writes the page's settings into its URL (shareable, survives reload), without a navigation. */
export function setParams(values) {
  const p = params();
  for (const [k, v] of Object.entries(values)) {
    if (v == null || v === '' || v === false) p.delete(k);
    else p.set(k, String(v));
  }
  const q = p.toString();
  history.replaceState(null, '', location.pathname + (q ? '?' + q : ''));
}

export function runHref(id) {
  return 'run.html?id=' + encodeURIComponent(id);
}

export function runsHref(project, extra) {
  const p = new URLSearchParams({project, ...(extra || {})});
  return 'runs.html?' + p.toString();
}

export function compareHref(ids) {
  return 'compare.html?runs=' + ids.map(encodeURIComponent).join(',');
}

/** A run's display name: its name, else its key, else "run <id>". */
export function runName(run) {
  return run.name || run.key || 'run ' + run.id;
}

export function stateBadge(state) {
  const label = state === 'running' ? 'live' : state;
  return h('span', {class: 'badge state-' + state, title: state}, label);
}

/** "↻2" for a run resumed twice (a retried or resumed pipeline stage); nothing otherwise. */
export function resumes(run) {
  const n = (run.resumedAt || []).length;
  return n ? h('span', {class: 'resumes', title: `resumed ${n}×`}, '↻' + n) : null;
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Seconds → "1h 02m", "3m 05s", "42s". */
export function fmtDuration(seconds) {
  if (seconds == null || !isFinite(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
  const hh = Math.floor(m / 60);
  if (hh < 48) return hh + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  return Math.floor(hh / 24) + 'd ' + (hh % 24) + 'h';
}

/** A run's duration in seconds: to its end, or to its last heartbeat while it runs. */
export function runSeconds(run) {
  const end = run.finishedAt || run.heartbeatAt || run.updatedAt;
  return (new Date(end) - new Date(run.createdAt)) / 1000;
}

/** Numbers as a person reads them; strings, booleans and JSON as text. */
export function fmtValue(v) {
  if (v == null) return '';
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !isFinite(v)) return String(v);
    return String(Number(v.toPrecision(5))); // 0.0001, 2e-7, 1.4142
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** {a: {b: 1}, c: 2} → {"a.b": 1, "c": 2}; arrays stay values. */
export function flatten(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

/** What a run's summary column shows: the client's summary value, else the metric's last value. */
export function summaryValues(run) {
  const out = {};
  for (const [k, s] of Object.entries(run.metrics || {})) out[k] = toNumber(s.last);
  Object.assign(out, flatten(run.summary));
  return out;
}

/** The API writes NaN and ±Infinity as strings. */
export function toNumber(v) {
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  return v;
}

/** A key's group on the run page: "train/loss" → "train"; keys without a slash → "other". */
export function prefixOf(key) {
  const i = key.indexOf('/');
  return i > 0 ? key.slice(0, i) : 'other';
}

const PREFIX_ORDER = ['train', 'eval', 'rewards', 'system'];

/** Metric keys grouped by prefix: train, eval, rewards first, system last but one, then others. */
export function groupKeys(keys) {
  const groups = new Map();
  // within a group: losses first, then by name
  const loss = (k) => (/loss/.test(k) ? 0 : 1);
  for (const k of [...keys].sort((a, b) => loss(a) - loss(b) || a.localeCompare(b))) {
    const p = prefixOf(k);
    if (!groups.has(p)) groups.set(p, []);
    groups.get(p).push(k);
  }
  const rank = (p) => {
    const i = PREFIX_ORDER.indexOf(p);
    return i < 0 ? (p === 'other' ? 99 : 50) : i;
  };
  return [...groups.entries()].sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
}

/** The page's top bar and breadcrumb trail: [[label, href], ..., label]. */
export function topBar(...crumbs) {
  const trail = [];
  crumbs.filter(Boolean).forEach((c, i) => {
    if (i > 0) trail.push(h('span', {class: 'sep'}, '/'));
    trail.push(Array.isArray(c) ? h('a', {href: c[1]}, c[0]) : h('span', {class: 'here'}, c));
  });
  return h('header', {class: 'topbar'},
    h('a', {class: 'brand', href: './', title: 'Liandan 炼丹'}, h('span', {class: 'logo'}, 'L'), 'Liandan',
      h('span', {class: 'brand-sub'}, 'tracker')),
    h('nav', {class: 'crumbs'}, trail));
}

export function section(title, ...children) {
  return h('section', {class: 'card'}, h('h2', null, title), children);
}

/** An API error as a message; a 401 (a server with LIANDAN_READS_NEED_TOKEN=true) asks for a
 * token, keeps it in this browser's localStorage and reloads. */
export function errorBox(e) {
  if (e.status !== 401) return h('div', {class: 'error'}, String(e.message || e));
  const input = h('input', {id: 'token', type: 'password', placeholder: 'ldn_…', autocomplete: 'off'});
  return h('form', {class: 'error token-form', onsubmit: (ev) => {
    ev.preventDefault();
    localStorage.setItem('liandan.token', input.value.trim());
    location.reload();
  }}, h('p', null, 'This tracker needs an API token to read (', String(e.message || e), '). ',
    'Create one with ./liandan token create NAME; it is kept in this browser only.'),
  input, h('button', {type: 'submit'}, 'Use token'));
}

/** A plain two-column key/value table. */
export function kvTable(entries, emptyText) {
  if (!entries.length) return h('p', {class: 'muted'}, emptyText || 'nothing');
  return h('table', {class: 'kv'},
    h('tbody', null, entries.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, fmtValue(v))))));
}
