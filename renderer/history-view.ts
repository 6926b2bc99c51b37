// Today's history, behind the operator PIN: time, decision, initials, the last four digits and
// the reader of each verification main still keeps. Main sends only masked values; a search
// by the last digits is answered there. The CSV holds exactly what the table shows.
import type { HistoryView } from '../main/api/contract.js';
import type { AppContext } from './context.js';
import { h, replace } from './dom.js';
import { strings } from './i18n.js';
import { pinScreen } from './settings.js';

let shown: { session: string; last: string; view?: HistoryView } | undefined;

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function clock(iso: string): string {
  const d = new Date(iso);
  return `${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** One CSV field: quoted, quotes doubled, and a leading = + - @ defused so a spreadsheet shows it as text. */
function csvField(v: string): string {
  const safe = /^[=+\-@]/.test(v) ? `'${v}` : v;
  return `"${safe.replace(/"/g, '""')}"`;
}

function historyCsv(view: HistoryView, app: AppContext): string {
  const t = strings(app.settings.lang).history;
  const lines = [[t.time, t.outcome, t.name, t.number, t.reader], ...view.rows.map((r) => [clock(r.at), r.override ? t.overridden : t.outcomes[r.outcome], r.name, r.number, r.reader])];
  // A byte-order mark so spreadsheet programs read the Vietnamese letters as UTF-8.
  return `\uFEFF${lines.map((l) => l.map(csvField).join(',')).join('\r\n')}\r\n`;
}

export function historyView(app: AppContext): HTMLElement {
  const session = app.settingsSession;
  if (!session) return pinScreen(app, 'history');
  const t = strings(app.settings.lang).history;
  if (shown?.session !== session) shown = { session, last: '' };
  const state = shown;
  const list = h('div', { 'aria-live': 'polite', 'data-testid': 'history-list' });
  const draw = (): void => {
    const v = state.view;
    if (!v) return;
    replace(
      list,
      h('p', { class: 'hint' }, t.note(v.retentionDays)),
      h('p', { 'data-testid': 'history-count', 'data-count': String(v.rows.length) }, t.count(v.rows.length)),
      v.rows.length === 0
        ? h('p', { class: 'placeholder' }, t.none)
        : h(
            'table',
            { class: 'history-table', 'data-testid': 'history-table' },
            h('caption', { class: 'sr-only' }, t.title),
            h('thead', {}, h('tr', {}, ...[t.time, t.outcome, t.name, t.number, t.reader].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              ...v.rows.map((r) =>
                h('tr', { 'data-outcome': r.outcome }, h('td', {}, clock(r.at)), h('td', { class: `outcome ${r.outcome}` }, r.override ? t.overridden : t.outcomes[r.outcome]), h('td', {}, r.name), h('td', { 'data-testid': 'history-number' }, r.number), h('td', {}, r.reader)),
              ),
            ),
          ),
    );
  };
  const load = (): void =>
    void app.call('history', { session, ...(state.last ? { last: state.last } : {}) }).then((v) => {
      if (!v) return;
      state.view = v;
      draw();
    });
  const last = h('input', { id: 'history-last', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, value: state.last, 'data-testid': 'history-last', 'aria-describedby': 'history-invalid' });
  const invalid = h('p', { class: 'error field-error', role: 'alert', id: 'history-invalid', hidden: true });
  const download = (): void => {
    if (!state.view) return;
    const url = URL.createObjectURL(new Blob([historyCsv(state.view, app)], { type: 'text/csv;charset=utf-8' }));
    const d = new Date();
    const a = h('a', { href: url, download: `idkiosk-${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}${state.last ? `-${state.last}` : ''}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  if (state.view) draw();
  load();
  app.focusAfterRender = last;
  return h(
    'main',
    { class: 'history', id: 'main', 'data-testid': 'history' },
    h('h2', {}, t.title),
    h(
      'form',
      {
        class: 'history-search',
        novalidate: true,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const v = last.value.trim();
          if (v !== '' && !/^\d{1,12}$/.test(v)) {
            invalid.textContent = t.searchInvalid;
            invalid.hidden = false;
            last.focus();
            return;
          }
          invalid.hidden = true;
          state.last = v;
          load();
        },
      },
      h('label', { for: 'history-last' }, t.searchLabel),
      last,
      invalid,
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'submit', class: 'primary', 'data-testid': 'history-search' }, t.search),
        h('button', { type: 'button', class: 'secondary', onclick: () => ((last.value = ''), (state.last = ''), load()) }, t.all),
        h('button', { type: 'button', class: 'secondary', 'data-testid': 'history-csv', onclick: download }, t.exportCsv),
      ),
    ),
    list,
  );
}
