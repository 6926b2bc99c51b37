// The pieces of a result shared by the desk and self-service screens: the person's data
// laid out as the CCCD prints it, the portrait, authenticity at a glance, the match.
import type { AuthenticityView, BiometricView, Lang, PersonView, VerificationView } from '../main/api/contract.js';
import { field, h } from './dom.js';
import { strings, vnDate, vnName } from './i18n.js';

export function fullName(p: PersonView): string {
  return p.vn?.fullName ?? vnName(p.document.surname, p.document.givenNames);
}

export function photo(p: PersonView, lang: Lang): HTMLElement {
  const t = strings(lang);
  const ph = p.photo;
  const body = !ph
    ? h('p', { class: 'placeholder' }, t.noPhoto)
    : ph.url === null
      ? h('p', { class: 'placeholder' }, t.photoUnavailable(ph.format))
      : h('img', { src: ph.url, alt: `${t.photo}: ${fullName(p)}`, width: ph.width, height: ph.height, 'data-testid': 'photo' });
  return h('figure', { class: 'photo' }, body, h('figcaption', {}, t.photo));
}

function cameraPlaceholder(lang: Lang): HTMLElement {
  const t = strings(lang);
  return h('figure', { class: 'photo camera', 'data-testid': 'camera' }, h('p', { class: 'placeholder' }, t.cameraNotAvailable), h('figcaption', {}, t.camera));
}

/** DG13 as the front and back of the card print it, then what only the chip holds; DG1 for passports. */
export function personCard(p: PersonView, lang: Lang): HTMLElement {
  const t = strings(lang);
  const d = p.document;
  const v = p.vn;
  if (v) {
    return h(
      'section',
      { class: 'card', 'aria-label': t.cardFront, 'data-testid': 'person' },
      h('h3', {}, t.cardFront),
      h(
        'dl',
        {},
        field(t.f.idNumber, v.idNumber ?? d.documentNumber, 'idNumber'),
        field(t.f.fullName, fullName(p), 'fullName'),
        field(t.f.dateOfBirth, vnDate(v.dateOfBirth ?? d.dateOfBirth), 'dateOfBirth'),
        field(t.f.sex, v.sex ?? d.sex),
        field(t.f.nationality, v.nationality ?? d.nationality),
        field(t.f.placeOfOrigin, v.placeOfOrigin),
        field(t.f.placeOfResidence, v.placeOfResidence),
        field(t.f.dateOfExpiry, vnDate(v.dateOfExpiry ?? d.dateOfExpiry), 'dateOfExpiry'),
        field(t.f.personalIdentification, v.personalIdentification),
        field(t.f.dateOfIssue, vnDate(v.dateOfIssue), 'dateOfIssue'),
      ),
      h('h3', {}, t.chipOnly),
      h(
        'dl',
        {},
        field(t.f.ethnicity, v.ethnicity),
        field(t.f.religion, v.religion),
        field(t.f.fatherName, v.fatherName),
        field(t.f.motherName, v.motherName),
        v.spouseName ? field(t.f.spouseName, v.spouseName) : null,
        v.oldIdNumber ? field(t.f.oldIdNumber, v.oldIdNumber) : null,
      ),
      mrzBlock(p, lang),
    );
  }
  return h('section', { class: 'card', 'aria-label': t.cardFront, 'data-testid': 'person' }, h('h3', {}, t.cardFront), h('dl', {}, ...mrzFields(p, lang)));
}

function mrzFields(p: PersonView, lang: Lang): HTMLElement[] {
  const t = strings(lang);
  const d = p.document;
  return [
    field(t.f.documentType, d.documentType),
    field(t.f.issuingState, d.issuingState),
    field(t.f.documentNumber, d.documentNumber, 'documentNumber'),
    field(t.f.fullName, vnName(d.surname, d.givenNames), p.vn ? undefined : 'fullName'),
    field(t.f.dateOfBirth, vnDate(d.dateOfBirth), p.vn ? undefined : 'dateOfBirth'),
    field(t.f.sex, d.sex),
    field(t.f.nationality, d.nationality),
    field(t.f.dateOfExpiry, vnDate(d.dateOfExpiry)),
  ];
}

function mrzBlock(p: PersonView, lang: Lang): HTMLElement {
  const t = strings(lang);
  return h('details', { class: 'mrz' }, h('summary', {}, t.mrzData), h('dl', {}, ...mrzFields(p, lang)));
}

const ICON = { green: '✔', amber: '!', red: '✖' } as const;

export function authenticityBadge(a: AuthenticityView, lang: Lang): HTMLElement {
  const t = strings(lang);
  return h(
    'section',
    { class: `badge ${a.level}`, 'data-testid': 'authenticity', 'data-level': a.level, 'aria-label': t.authenticity },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, ICON[a.level]),
    h('div', {}, h('strong', {}, `${t.authenticity}: ${t.level[a.level]}`), h('p', {}, t.reason[a.reason])),
  );
}

export function biometricLine(b: BiometricView, lang: Lang): HTMLElement {
  const t = strings(lang);
  if (b.status === 'not-available') {
    return h('p', { class: 'biometric na', 'data-testid': 'biometric', 'data-status': b.status, ...(b.reason ? { 'data-code': b.reason.code } : {}) }, `${t.biometric}: ${b.reason ? b.reason.messages[lang] : t.biometricNotAvailable}`);
  }
  if (b.status === 'pending') return h('p', { class: 'biometric pending', 'data-testid': 'biometric', 'data-status': b.status }, `${t.biometric}: ${t.faceChecking}`);
  if (b.status === 'not-compared') {
    return h('p', { class: 'biometric not-compared', 'data-testid': 'biometric', 'data-status': b.status, 'data-code': b.reason.code }, `${t.biometric}: ${t.notCompared} — ${b.reason.messages[lang]} ${t.compareByEye}`);
  }
  const fmt = (x: number) => x.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 3 });
  return h(
    'p',
    { class: `biometric ${b.status}`, 'data-testid': 'biometric', 'data-status': b.status, 'data-score': b.score, 'data-threshold': b.threshold },
    `${t.biometric}: ${b.status === 'matched' ? t.matched : t.notMatched} — ${t.score(fmt(b.score), fmt(b.threshold))}`,
  );
}

/** The face check's fine print: that liveness was NOT checked (staff watch the person), and the quality notes. */
export function faceNotes(b: BiometricView, lang: Lang): HTMLElement | null {
  const t = strings(lang);
  const face = 'face' in b ? b.face : undefined;
  if (!face && !('method' in b && b.method === 'face')) return null;
  const notes = face?.quality ?? [];
  return h(
    'div',
    { class: 'face-notes' },
    h('p', { class: 'liveness', role: 'note', 'data-testid': 'liveness', 'data-checked': 'false' }, face ? face.liveness.messages[lang] : t.livenessNotChecked),
    notes.length > 0
      ? h('details', { class: 'quality', 'data-testid': 'face-quality' }, h('summary', {}, t.qualityNotes), h('ul', {}, ...notes.map((q) => h('li', { 'data-code': q.code }, q.messages[lang]))))
      : null,
  );
}

/** Beside the chip photo once the face step is over: what it found, in words. */
export function faceSummary(b: BiometricView, lang: Lang): HTMLElement {
  const t = strings(lang);
  if (b.status === 'not-available' && !b.reason) return cameraPlaceholder(lang);
  const text =
    b.status === 'matched' ? t.matched : b.status === 'not-matched' ? t.notMatched : b.status === 'pending' ? t.faceChecking : b.status === 'not-compared' ? `${t.notCompared}: ${t.compareByEye}` : b.status === 'not-available' && b.reason ? b.reason.messages[lang] : '';
  return h('figure', { class: `photo camera face-summary ${b.status}`, 'data-testid': 'camera', 'data-status': b.status }, h('p', { class: 'face-verdict' }, text), h('figcaption', {}, t.faceResult));
}

/**
 * Protocol, wire figures and the checker's own words, folded away for technical support.
 * The checker's detail is English: it is shown only on an English screen.
 */
export function techDetails(v: VerificationView, lang: Lang): HTMLElement {
  const t = strings(lang);
  const detail = lang === 'en' ? v.authenticity.detail : undefined;
  return h(
    'details',
    { class: 'tech', 'data-testid': 'tech' },
    h('summary', {}, t.techDetails),
    h('p', { class: 'stats' }, t.stats(v.stats.apdus, (v.stats.bytes / 1024).toFixed(1), v.stats.ms, v.access)),
    detail ? h('p', { class: 'detail', 'data-testid': 'auth-detail' }, detail) : null,
  );
}
