// The status screen: devices, upload queue, last sync, link quality and verifications per
// hour; every part that has not landed says so instead of showing made-up numbers.
import type { StatusView } from '../main/api/contract.js';
import type { AppContext } from './context.js';
import { field, h, replace } from './dom.js';
import { strings, vnDateTime } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A bar chart with its numbers also in a table, for screen readers and for exactness. */
function perHourChart(points: Array<{ hour: string; count: number }>, title: string): HTMLElement {
  const w = 480;
  const hgt = 140;
  const max = Math.max(1, ...points.map((p) => p.count));
  const bw = points.length ? w / points.length : w;
  const chart = svg('svg', { viewBox: `0 0 ${w} ${hgt + 20}`, role: 'img', 'aria-label': title, class: 'chart' });
  points.forEach((p, i) => {
    const bh = (p.count / max) * hgt;
    chart.append(svg('rect', { x: i * bw + 2, y: hgt - bh, width: Math.max(1, bw - 4), height: bh, class: 'bar' }));
    const label = svg('text', { x: i * bw + bw / 2, y: hgt + 15, 'text-anchor': 'middle', class: 'axis' });
    label.textContent = p.hour.slice(11, 13);
    chart.append(label);
  });
  const table = h('table', { class: 'sr-only' }, ...points.map((p) => h('tr', {}, h('td', {}, p.hour), h('td', {}, String(p.count)))));
  const fig = h('figure', { class: 'chart-wrap' }, h('figcaption', {}, title), table);
  fig.insertBefore(chart, table);
  return fig;
}

function fill(app: AppContext, box: HTMLElement, s: StatusView): void {
  const lang = app.settings.lang;
  const t = strings(lang);
  const store = s.store;
  replace(
    box,
    h('h2', {}, t.devices),
    h(
      'ul',
      { class: 'devices', 'data-testid': 'devices' },
      // A part that is off says why (e.g. the face models did not load), never just disappears.
      ...s.devices.map((d) => h('li', { class: `device ${d.state}`, 'data-kind': d.kind }, h('span', { class: `dot ${d.state}`, 'aria-hidden': 'true' }), `${t.deviceKinds[d.kind]} (${d.name}): ${t.deviceState[d.state]}${d.reason ? ` — ${d.reason.messages[lang]}` : ''}`)),
    ),
    h('h2', {}, t.queue),
    store.available
      ? h(
          'div',
          { 'data-testid': 'store', 'data-available': 'true', 'data-queue': String(store.queueDepth), 'data-link': store.link, 'data-last-sync': store.lastSync ?? '' },
          h('dl', {}, field(t.queue, String(store.queueDepth)), field(t.lastSync, store.lastSync ? vnDateTime(store.lastSync) : t.never), field(t.link, t.linkState[store.link]), field(t.syncServer, store.server ?? t.syncNone)),
          perHourChart(store.perHour, t.perHour),
        )
      : h('div', { 'data-testid': 'store', 'data-available': 'false' }, h('dl', {}, field(t.queue, t.deviceState['not-available']), field(t.lastSync, t.deviceState['not-available']), field(t.link, t.deviceState['not-available'])), h('h3', {}, t.perHour), h('p', { class: 'placeholder' }, t.storeNotAvailable)),
    h('dl', {}, field(t.station, app.settings.station), field(t.uptime, `${Math.floor(s.uptimeSeconds / 60)} min`), field(t.version, s.version)),
  );
}

export function statusView(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  const box = h('div', { 'aria-live': 'polite' }, h('p', {}, t.connecting));
  const load = () => void app.call('status', {}).then((s) => s && fill(app, box, s));
  load();
  return h('main', { class: 'status', id: 'main', 'data-testid': 'status' }, box, h('button', { type: 'button', class: 'secondary', 'data-testid': 'refresh', onclick: load }, t.refresh));
}
