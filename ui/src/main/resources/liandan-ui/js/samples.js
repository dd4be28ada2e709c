// Sample-generation tables: one run's rows as logged, and the generations of the same prompt side
// by side across stages (run page) or runs (compare view). Generations are model output, the most
// untrusted text there is: they only ever become text nodes.
import {api} from './api.js';
import {fmtValue, h} from './dom.js';

const PROMPT_FIELDS = ['prompt', 'input', 'question', 'instruction', 'query'];
const OUTPUT_FIELDS = ['output', 'completion', 'generation', 'response', 'answer', 'text'];

function pick(data, fields) {
  return fields.find((f) => data && Object.prototype.hasOwnProperty.call(data, f));
}

function cellText(v) {
  return typeof v === 'string' ? v : fmtValue(v);
}

/** Rows of one table as logged: step, then each field (prompt first, outputs next). */
export function rowsTable(rows) {
  const cols = [];
  for (const r of rows) for (const k of Object.keys(r.data || {})) if (!cols.includes(k)) cols.push(k);
  const rank = (k) => (PROMPT_FIELDS.includes(k) ? 0 : OUTPUT_FIELDS.includes(k) ? 1 : 2);
  cols.sort((a, b) => rank(a) - rank(b));
  return h('div', {class: 'table-wrap'},
    h('table', {class: 'grid samples'},
      h('thead', null, h('tr', null, h('th', null, 'step'), cols.map((c) => h('th', null, c)))),
      h('tbody', null, rows.map((r) => h('tr', null,
        h('td', {class: 'num'}, r.step == null ? '' : String(r.step)),
        cols.map((c) => h('td', null, h('div', {class: 'gen'}, cellText((r.data || {})[c])))))))));
}

/**
 * The same prompt side by side: entries are [{label, rows}] (a stage or a run each); one row per
 * prompt, one column per entry with that entry's latest generation for the prompt.
 */
export function sideBySide(entries) {
  const prompts = new Map(); // prompt → Map(entry index → {step, text})
  entries.forEach((e, i) => {
    for (const r of e.rows) {
      const pf = pick(r.data, PROMPT_FIELDS);
      if (!pf) continue;
      const prompt = cellText(r.data[pf]);
      const of = pick(r.data, OUTPUT_FIELDS);
      const text = of ? cellText(r.data[of]) : fmtValue(r.data);
      if (!prompts.has(prompt)) prompts.set(prompt, new Map());
      const prev = prompts.get(prompt).get(i);
      if (!prev || (r.step ?? -1) >= (prev.step ?? -1)) prompts.get(prompt).set(i, {step: r.step, text});
    }
  });
  if (!prompts.size) return null;
  return h('div', {class: 'table-wrap'},
    h('table', {class: 'grid samples side-by-side'},
      h('thead', null, h('tr', null, h('th', null, 'prompt'),
        entries.map((e) => h('th', null, e.color ? h('span', {class: 'dot', style: {background: e.color}}) : null, e.label)))),
      h('tbody', null, [...prompts.entries()].map(([prompt, byEntry]) => h('tr', null,
        h('td', null, h('div', {class: 'gen prompt'}, prompt)),
        entries.map((e, i) => {
          const g = byEntry.get(i);
          return h('td', null, g ? [h('div', {class: 'gen'}, g.text),
            g.step == null ? null : h('div', {class: 'muted small'}, 'step ' + g.step)] : h('span', {class: 'muted'}, '—'));
        }))))));
}

/** Every sample row of a run, all tables: [{table, rows}]. */
export async function runSamples(runId) {
  const tables = await api.sampleTables(runId);
  return Promise.all(tables.map(async (t) => ({table: t.name, rows: await api.samples(runId, t.name)})));
}
