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

const q = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v != null && v !== '')).toString();

export const api = {
  projects: () => get('/projects').then((b) => b.projects),
  runs: (project, filter, limit = 1000) =>
    get('/projects/' + encodeURIComponent(project) + '/runs?' + q({filter, limit})).then((b) => b.runs),
  run: (id) => get('/runs/' + encodeURIComponent(id)),
  keys: (id) => get('/runs/' + encodeURIComponent(id) + '/metrics/keys'),
  /** One run's series, downsampled by the server to at most maxPoints; range: {from, to} steps. */
  series: (id, key, maxPoints, times, range = {}) =>
    get('/runs/' + encodeURIComponent(id) + '/metrics?' + q({key, maxPoints, times: times ? 'true' : null, ...range})),
  /** The same key for many runs in one request (the compare view). */
  compare: (ids, key, maxPoints, times, range = {}) =>
    get('/metrics?' + q({runs: ids.join(','), key, maxPoints, times: times ? 'true' : null, ...range})).then((b) => b.runs),
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
