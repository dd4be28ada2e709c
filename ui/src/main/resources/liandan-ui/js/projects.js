// The start page: every project with its run count and last activity.
import {api} from './api.js';
import {errorBox, fill, fmtTime, h, runsHref, topBar} from './dom.js';

const app = document.getElementById('app');

async function main() {
  const projects = await api.projects();
  fill(app, topBar('Projects'),
    h('main', null,
      h('h1', null, 'Projects'),
      projects.length
        ? h('table', {class: 'grid projects'},
          h('thead', null, h('tr', null, h('th', null, 'project'), h('th', {class: 'num'}, 'runs'),
            h('th', null, 'created'), h('th', null, 'last activity'))),
          h('tbody', null, projects.map((p) => h('tr', null,
            h('td', null, h('a', {href: runsHref(p.name)}, p.name)),
            h('td', {class: 'num'}, String(p.runs)),
            h('td', null, fmtTime(p.createdAt)),
            h('td', null, fmtTime(p.lastActivity))))))
        : h('p', {class: 'muted'}, 'No projects yet: log a run (./liandan demo) and it appears here.')));
}

main().catch((e) => fill(app, topBar('Projects'), h('main', null, errorBox(e))));
