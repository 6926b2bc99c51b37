// Settings → trust anchors (behind the PIN): what is loaded (countries, each CSCA and its
// expiry, each CRL and its age, files that could not be used, warnings) and two ways to add
// to it: a file chosen here (sent to main in pieces) or a file found on a USB stick.
import type { MediaFileView, TrustSummaryView } from '../main/api/contract.js';
import type { AppContext } from './context.js';
import { h, replace } from './dom.js';
import { strings, vnDate } from './i18n.js';

/** Base64 pieces well under the API's frame limit. */
const PIECE_BYTES = 256 * 1024;

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function table(caption: string, head: string[], rows: string[][], testId: string): HTMLElement {
  return h(
    'table',
    { class: 'trust-table', 'data-testid': testId },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

function draw(app: AppContext, box: HTMLElement, s: TrustSummaryView): void {
  const lang = app.settings.lang;
  const t = strings(lang).trust;
  const cn = (subject: string) => /CN=([^,]+)/.exec(subject)?.[1] ?? subject;
  replace(
    box,
    h('p', { 'data-testid': 'trust-totals', 'data-countries': s.countries.join(' '), 'data-anchors': String(s.anchors.length), 'data-crls': String(s.crls.length) }, t.totals(s.countries, s.anchors.length, s.crls.length)),
    s.warnings.length > 0 ? h('ul', { class: 'trust-warnings', 'data-testid': 'trust-warnings' }, ...s.warnings.map((w) => h('li', { 'data-code': w.code }, t.warning[w.code](w.about ? cn(w.about) : '')))) : null,
    s.anchors.length > 0
      ? table(t.anchorsCaption, [t.country, t.anchor, t.expires, t.source], s.anchors.map((a) => [a.country ?? '—', cn(a.subject), `${vnDate(a.notAfter.slice(0, 10))}${a.expired ? ` (${t.expired})` : ''}`, a.source]), 'trust-anchors')
      : null,
    s.crls.length > 0
      ? table(t.crlsCaption, [t.country, t.crlIssuer, t.crlIssued, t.crlAge, t.crlNext], s.crls.map((c) => [c.country ?? '—', cn(c.issuer), vnDate(c.thisUpdate.slice(0, 10)), t.days(c.ageDays), c.nextUpdate ? vnDate(c.nextUpdate.slice(0, 10)) : '—']), 'trust-crls')
      : null,
    s.problems.length > 0 ? h('ul', { class: 'trust-problems', 'data-testid': 'trust-problems' }, ...s.problems.map((p) => h('li', { 'data-code': p.code }, p.messages[lang]))) : null,
  );
}

/**
 * What this section shows, kept outside the DOM: a call that clears an error banner redraws
 * the whole screen, and the list found on the USB stick or the last note must survive that.
 */
interface TrustScreen {
  session: string;
  summary?: TrustSummaryView;
  media?: MediaFileView[];
  note?: string;
}
let kept: TrustScreen | undefined;

export function trustSection(app: AppContext, session: string): HTMLElement {
  const t = strings(app.settings.lang).trust;
  if (kept?.session !== session) kept = { session };
  const screen = kept;
  const box = h('div', { 'aria-live': 'polite', 'data-testid': 'trust-summary' }, h('p', {}, '…'));
  const note = h('p', { role: 'status', 'data-testid': 'trust-note' }, screen.note ?? '');
  const media = h('div', { 'data-testid': 'trust-media' });
  const redraw = (): void => {
    if (screen.summary) draw(app, box, screen.summary);
    note.textContent = screen.note ?? '';
    if (screen.media) drawMedia(app, media, screen, redraw);
  };
  if (screen.summary) redraw();
  void app.peek('trustSummary', { session }).then((s) => {
    if (!s) return;
    screen.summary = s;
    redraw();
  });

  const file = h('input', { id: 'trust-file', type: 'file', accept: '.pem,.der,.cer,.crt,.ml,.crl', 'data-testid': 'trust-file' });
  const upload = async (): Promise<void> => {
    const f = file.files?.[0];
    if (!f) {
      screen.note = t.chooseFirst;
      return redraw();
    }
    note.textContent = t.importing;
    const bytes = new Uint8Array(await f.arrayBuffer());
    for (let at = 0; ; at += PIECE_BYTES) {
      const done = at + PIECE_BYTES >= bytes.length;
      const r = await app.call('importTrust', { session, name: f.name, data: base64(bytes.subarray(at, at + PIECE_BYTES)), append: at > 0, done });
      if (!r) {
        screen.note = '';
        return redraw();
      }
      if (done) {
        screen.summary = r.summary ?? screen.summary;
        screen.note = t.imported(f.name);
        return redraw();
      }
    }
  };
  const search = async (): Promise<void> => {
    const r = await app.call('trustMedia', { session });
    if (!r) return;
    screen.media = r.files;
    // The call may have redrawn the screen (an error banner cleared): draw into what is on it now.
    app.render(true);
  };
  return h(
    'section',
    { class: 'trust', 'aria-labelledby': 'trust-title', 'data-testid': 'trust' },
    h('h2', { id: 'trust-title' }, t.title),
    h('p', { class: 'hint' }, t.explain),
    box,
    h('div', { class: 'form-row' }, h('label', { for: 'trust-file' }, t.fileLabel), file),
    h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', 'data-testid': 'trust-import', onclick: () => void upload() }, t.importButton), h('button', { type: 'button', class: 'secondary', 'data-testid': 'trust-media-search', onclick: () => void search() }, t.mediaSearch)),
    note,
    media,
  );
}

function drawMedia(app: AppContext, box: HTMLElement, screen: TrustScreen, redraw: () => void): void {
  const t = strings(app.settings.lang).trust;
  const files = screen.media ?? [];
  replace(
    box,
    files.length === 0
      ? h('p', { class: 'hint' }, t.mediaNone)
      : h(
          'ul',
          { class: 'media-files' },
          ...files.map((m) =>
            h(
              'li',
              {},
              h('span', {}, `${m.name} (${Math.ceil(m.size / 1024)} kB) `),
              h(
                'button',
                {
                  type: 'button',
                  class: 'secondary',
                  'data-testid': 'trust-media-import',
                  'data-name': m.name,
                  'aria-label': t.importNamed(m.name),
                  onclick: () =>
                    void app.call('importTrustMedia', { session: screen.session, path: m.path }).then((x) => {
                      if (!x) return;
                      screen.summary = x.summary;
                      screen.note = t.imported(m.name);
                      redraw();
                    }),
                },
                t.importButton,
              ),
            ),
          ),
        ),
  );
}
