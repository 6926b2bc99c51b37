// What the screen says about a QR read: which key from the QR opened the chip, and, as a
// warning, where the QR disagrees with the chip. A QR proves nothing: the chip decides, so the
// warning names the fields and leaves the judgement to the clerk (the decision is `review`).
import type { Lang, VerificationView } from '../main/api/contract.js';
import { h } from './dom.js';
import { strings, vnDate } from './i18n.js';

export function qrCheckLine(v: VerificationView, lang: Lang): HTMLElement | null {
  const q = v.qr;
  if (!q) return null;
  const t = strings(lang);
  const src = t.qr.source[q.source];
  const fields = [...new Set(q.mismatches.map((m) => m.field))];
  return h(
    'div',
    { class: 'qr-check', 'data-testid': 'qr-check', 'data-opened': q.opened.kind, 'data-source': q.source },
    h('p', { class: 'hint' }, q.opened.kind === 'can' ? t.qr.openedCan(src) : t.qr.openedMrz(src, q.opened.attempt, q.opened.inferred)),
    fields.length > 0
      ? h('p', { class: 'qr-mismatch', role: 'alert', 'data-testid': 'qr-mismatch', 'data-fields': fields.join(' ') }, t.qr.mismatch(fields.map((f) => t.f[f]).join(', ')))
      : null,
  );
}

/** Airport profile: the scanned boarding pass, and whether its name and date fit the chip's holder and today. */
export function boardingPassLine(v: VerificationView, lang: Lang): HTMLElement | null {
  const b = v.boardingPass;
  if (!b) return null;
  const t = strings(lang).boarding;
  return h(
    'div',
    { class: 'boarding', 'data-testid': 'boarding-pass', 'data-name-match': String(b.nameMatch), 'data-today': String(b.flightToday) },
    h('p', { class: 'hint' }, `${t.title}: ${t.flight(b.carrier, b.flight, b.from, b.to, vnDate(b.date), b.seat)}`),
    b.nameMatch ? h('p', { class: 'hint' }, t.nameOk) : h('p', { class: 'qr-mismatch', role: 'alert' }, t.nameBad(b.passengerName)),
    b.flightToday ? null : h('p', { class: 'qr-mismatch', role: 'alert' }, t.notToday),
  );
}
