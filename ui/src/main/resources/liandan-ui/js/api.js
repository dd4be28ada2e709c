// The tracker's JSON API (/api/v1), as the pages read it. Reads need no token unless the server
// was started with LIANDAN_READS_NEED_TOKEN=true; then the token is taken from localStorage
// ("liandan.token") and sent as a bearer token.

async function get(path) {
  const headers = {};
  const token = localStorage.getItem('liandan.token');
  if (token) headers.Authorization = 'Bearer ' + token;
  const r = await fetch('/api/v1' + path, {headers});
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const msg = body && body.error ? body.error : r.status + ' ' + r.statusText;
    const e = new Error(msg);
    e.status = r.status;
    e.field = body && body.field;
    throw e;
  }
  return body;
}

/** A query string; an array value becomes one parameter per element (key=a&key=b). */
const q = (o) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) {
    if (v != null && v !== '') [].concat(v).forEach((x) => p.append(k, x));
  }
  return p.toString();
};

// The tracker's limits on one multi-key read (Limits.MAX_SERIES_KEYS, MAX_SERIES_PER_READ,
// MAX_READ_POINTS = maxPoints × series), and a URL length every server and proxy takes: longer key
// lists go in several requests.
const MAX_KEYS = 100;
const MAX_SERIES = 1000;
const MAX_READ_POINTS = 250000;
const MAX_KEYS_CHARS = 6000;
// Runs in one GET /runs?ids= (Limits.MAX_COMPARE_RUNS).
const MAX_RUNS = 100;

/** keys in the fewest requests within those limits, for a read of `runs` runs at `maxPoints`. */
function keyChunks(keys, runs, maxPoints) {
  const max = Math.max(1, Math.min(MAX_KEYS, Math.floor(MAX_SERIES / runs),
    Math.floor(MAX_READ_POINTS / (runs * (maxPoints || 1)))));
  const out = [];
  let part = [];
  let chars = 0;
  for (const k of keys) {
    const n = encodeURIComponent(k).length + 5; // "&key="
    if (part.length && (part.length >= max || chars + n > MAX_KEYS_CHARS)) {
      out.push(part);
      part = [];
      chars = 0;
    }
    part.push(k);
    chars += n;
  }
  if (part.length) out.push(part);
  return out;
}

const inChunks = (keys, runs, maxPoints, read) =>
  Promise.all(keyChunks(keys, runs, maxPoints).map(read)).then((parts) => parts.flat());

export const api = {
  projects: () => get('/projects').then((b) => b.projects),
  runs: (project, filter, limit = 1000) =>
    get('/projects/' + encodeURIComponent(project) + '/runs?' + q({filter, limit})).then((b) => b.runs),
  run: (id) => get('/runs/' + encodeURIComponent(id)),
  /** Runs by id, from any projects, in the order asked (the compare view's runs in one request). */
  runsByIds: (ids) => Promise.all(Array.from({length: Math.ceil(ids.length / MAX_RUNS)}, (_, i) =>
    get('/runs?' + q({ids: ids.slice(i * MAX_RUNS, (i + 1) * MAX_RUNS).join(',')})).then((b) => b.runs)))
    .then((parts) => parts.flat()),
  keys: (id) => get('/runs/' + encodeURIComponent(id) + '/metrics/keys'),
  /** One run's series, downsampled by the server to at most maxPoints; range: {from, to} steps. */
  series: (id, key, maxPoints, times, range = {}) =>
    get('/runs/' + encodeURIComponent(id) + '/metrics?' + q({key, maxPoints, times: times ? 'true' : null, ...range})),
  /** Several keys of one run in one request (the run page's charts): one series per key, in order. */
  seriesOfKeys: (id, keys, maxPoints, times) => inChunks(keys, 1, maxPoints, (part) =>
    get('/runs/' + encodeURIComponent(id) + '/metrics/series?' + q({key: part, maxPoints, times: times ? 'true' : null}))
      .then((b) => b.series)),
  /** The same key for many runs in one request (a zoomed compare chart). */
  compare: (ids, key, maxPoints, times, range = {}) =>
    get('/metrics?' + q({runs: ids.join(','), key, maxPoints, times: times ? 'true' : null, ...range})).then((b) => b.runs),
  /** Several keys for many runs in one request (the compare view's charts): [{key, runs: [series]}], keys in order. */
  compareKeys: (ids, keys, maxPoints, times) => inChunks(keys, ids.length, maxPoints, (part) =>
    get('/metrics/series?' + q({runs: ids.join(','), key: part, maxPoints, times: times ? 'true' : null}))
      .then((b) => b.series)),
  sampleTables: (id) => get('/runs/' + encodeURIComponent(id) + '/samples').then((b) => b.tables),
  samples: (id, table, limit = 500) =>
    get('/runs/' + encodeURIComponent(id) + '/samples?' + q({table, limit})).then((b) => b.rows),
  artifacts: (id) => get('/runs/' + encodeURIComponent(id) + '/artifacts'),
  lineage: (artifactId) => get('/artifacts/' + encodeURIComponent(artifactId)),
};

/** A filter-language string literal: "..." with backslash escapes. */
export function quote(s) {
  return '"' + String(s).replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}
