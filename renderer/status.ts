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

/**
 * The last 12 hours on this machine's clock, one bar each (empty hours too, so one
 * verification is one narrow bar, not the whole width), each with its count written on it;
 * the numbers are also in a table for screen readers.
 */
function perHourChart(points: Array<{ hour: string; count: number }>, title: string, hourHeader: string, countHeader: string, now = new Date()): HTMLElement {
  const slots: Array<{ start: Date; count: number }> = [];
  const top = new Date(now);
  top.setMinutes(0, 0, 0);
  for (let i = 11; i >= 0; i--) {
    const start = new Date(top);
    start.setHours(top.getHours() - i);
    slots.push({ start, count: points.filter((p) => new Date(p.hour).getTime() === start.getTime()).reduce((n, p) => n + p.count, 0) });
  }
  const w = 480;
  const hgt = 140;
  const max = Math.max(1, ...slots.map((p) => p.count));
  const bw = w / slots.length;
  const two = (n: number) => String(n).padStart(2, '0');
  const chart = svg('svg', { viewBox: `0 0 ${w} ${hgt + 20}`, role: 'img', 'aria-label': title, class: 'chart', 'data-testid': 'per-hour' });
  slots.forEach((p, i) => {
    const bh = (p.count / max) * (hgt - 18);
    if (p.count > 0) {
      chart.append(svg('rect', { x: i * bw + 4, y: hgt - bh, width: bw - 8, height: bh, class: 'bar' }));
      const n = svg('text', { x: i * bw + bw / 2, y: hgt - bh - 4, 'text-anchor': 'middle', class: 'count', 'data-hour': two(p.start.getHours()) });
      n.textContent = String(p.count);
      chart.append(n);
    }
    const label = svg('text', { x: i * bw + bw / 2, y: hgt + 15, 'text-anchor': 'middle', class: 'axis' });
    label.textContent = `${two(p.start.getHours())}h`;
    chart.append(label);
  });
  const table = h(
    'table',
    { class: 'sr-only' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, hourHeader), h('th', { scope: 'col' }, countHeader))),
    h('tbody', {}, ...slots.map((p) => h('tr', {}, h('td', {}, `${two(p.start.getHours())}:00`), h('td', {}, String(p.count))))),
  );
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
    h('h2', {}, t.forwarding),
    store.available
      ? h(
          'div',
          { 'data-testid': 'store', 'data-available': 'true', 'data-queue': String(store.queueDepth), 'data-link': store.server ? store.link : 'not-configured', 'data-last-sync': store.lastSync ?? '' },
          h(
            'dl',
            {},
            field(t.syncServer, store.server ?? t.syncNone),
            field(t.queue, String(store.queueDepth)),
            // With no server there is no link to be lost: say it is not set up.
            field(t.link, store.server ? t.linkState[store.link] : t.linkNotConfigured),
            field(t.lastSync, store.lastSync ? vnDateTime(store.lastSync) : store.server ? t.never : '—'),
          ),
          // Set aside events never block the queue, but an operator must look at them.
          store.quarantined?.count ? h('p', { class: 'warning', role: 'status', 'data-testid': 'quarantined', 'data-count': String(store.quarantined.count) }, t.quarantined(store.quarantined.count, store.quarantined.codes)) : null,
          perHourChart(store.perHour, t.perHour, t.hourHeader, t.countHeader),
        )
      : h('div', { 'data-testid': 'store', 'data-available': 'false' }, h('dl', {}, field(t.queue, t.deviceState['not-available']), field(t.lastSync, t.deviceState['not-available']), field(t.link, t.deviceState['not-available'])), h('h3', {}, t.perHour), h('p', { class: 'placeholder' }, t.storeNotAvailable)),
    h('dl', {}, field(t.station, app.settings.station), field(t.uptime, t.minutes(Math.floor(s.uptimeSeconds / 60))), field(t.version, s.version)),
  );
}

export function statusView(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  const box = h('div', { 'aria-live': 'polite' }, h('p', {}, t.connecting));
  const load = () => void app.call('status', {}).then((s) => s && fill(app, box, s));
  load();
  return h('main', { class: 'status', id: 'main', 'data-testid': 'status' }, box, h('button', { type: 'button', class: 'secondary', 'data-testid': 'refresh', onclick: load }, t.refresh));
}
