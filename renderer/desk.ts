// The staff desk view: reader and card state, the key prompt, progress while the chip is
// read, then photo beside camera, the person's data, authenticity, match, one confirm.
import type { KioskState, Lang, PersonView, Profile, VerificationView } from '../main/api/contract.js';
import type { AppContext } from './context.js';
import { boardingPassLine, qrCheckLine } from './qr-view.js';
import { wedgeSink } from './wedge-sink.js';
import { field, h } from './dom.js';
import { ageOn, errorText, strings, vnDate } from './i18n.js';
import { authenticityBadge, biometricLine, faceNotes, faceSummary, fullName, personCard, photo, techDetails } from './person.js';
import { decisionActions, decisionBanner, recordLine } from './decision.js';
import { servicePanel } from './service.js';

export function readerPanel(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  const r = app.state.reader;
  return h(
    'section',
    { class: 'reader', 'aria-label': t.reader },
    h('span', { class: `dot ${r.status}`, 'aria-hidden': 'true' }),
    h('span', {}, `${t.reader}: ${r.name} — `),
    h('strong', { 'data-testid': 'reader-status', 'data-status': r.status }, t.readerStatus[r.status]),
    // Why there is no reader and what to do, in the clerk's language (e.g. start pcscd).
    r.problem ? h('span', { class: 'reader-problem', 'data-testid': 'reader-problem', 'data-code': r.problem.code }, ` ${errorText(r.problem, app.settings.lang)}`) : null,
    r.emulated
      ? h(
          'span',
          { class: 'demo-controls' },
          r.status === 'card'
            ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'demo-remove', onclick: () => void app.call('demoCard', { present: false }) }, t.removeDemo)
            : h('button', { type: 'button', class: 'secondary', 'data-testid': 'demo-place', onclick: () => void app.call('demoCard', { present: true }) }, t.placeDemo),
        )
      : null,
  );
}

export function progressBar(state: KioskState, lang: Lang): HTMLElement {
  const t = strings(lang);
  const p = state.progress;
  const pct = Math.round((p?.fraction ?? 0) * 100);
  return h(
    'div',
    { class: 'progress-wrap' },
    h('progress', { max: 100, value: pct, 'aria-label': t.progress, 'data-testid': 'progress', id: 'progress' }),
    h('span', { class: 'progress-text', id: 'progress-text' }, progressText(state, lang, pct)),
    p?.lifted ? h('p', { class: 'error', role: 'alert', 'data-testid': 'lifted' }, t.lifted) : null,
  );
}

/** The portrait is what takes long; everything else is "the card data" (no file names on screen). */
function progressText(state: KioskState, lang: Lang, pct: number): string {
  const t = strings(lang);
  const file = state.progress?.file;
  return file ? `${file === 'DG2' ? t.readingPhoto : t.readingData} — ${pct}%` : `${pct}%`;
}

/** Only the bar moves while the chip streams; the rest of the screen stays put (and keeps focus). */
export function updateProgress(root: ParentNode, state: KioskState, lang: Lang): void {
  const bar = root.querySelector<HTMLProgressElement>('#progress');
  const text = root.querySelector('#progress-text');
  if (!bar || !text) return;
  const pct = Math.round((state.progress?.fraction ?? 0) * 100);
  bar.value = pct;
  text.textContent = progressText(state, lang, pct);
}

/** dd/mm/yyyy as the chip's YYMMDD, or undefined when it is not a real date. */
export function yymmdd(text: string): string | undefined {
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text.trim());
  if (!m) return undefined;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1900 || y > 2099 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(y % 100)}${two(mo)}${two(d)}`;
}

/**
 * The key prompt: the last 6 digits of the ID number, or a passport's number and dates typed
 * dd/mm/yyyy like every other date here. Checked with our own words (the browser's bubbles
 * are English on a Vietnamese screen and vanish), next to the field, which gets the focus.
 */
function keyForm(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  const err = app.state.keyError;
  let mrz = false;
  const can = h('input', { id: 'can', name: 'can', inputmode: 'numeric', autocomplete: 'off', maxlength: 6, 'aria-describedby': 'can-hint key-invalid' });
  const doc = h('input', { id: 'mrz-doc', autocomplete: 'off', maxlength: 9, 'aria-describedby': 'key-invalid' });
  const dob = h('input', { id: 'mrz-dob', inputmode: 'numeric', autocomplete: 'off', maxlength: 10, placeholder: 'dd/mm/yyyy', 'aria-describedby': 'key-invalid' });
  const exp = h('input', { id: 'mrz-exp', inputmode: 'numeric', autocomplete: 'off', maxlength: 10, placeholder: 'dd/mm/yyyy', 'aria-describedby': 'key-invalid' });
  const invalid = h('p', { class: 'error field-error', role: 'alert', id: 'key-invalid', 'data-testid': 'key-invalid', hidden: true });
  const fail = (text: string, el: HTMLInputElement): void => {
    invalid.textContent = text;
    invalid.hidden = false;
    for (const f of [can, doc, dob, exp]) f.removeAttribute('aria-invalid');
    el.setAttribute('aria-invalid', 'true');
    el.focus();
  };
  const mrzBox = h(
    'fieldset',
    { class: 'mrz-fields', hidden: true },
    h('legend', {}, t.mrzLegend),
    h('label', { for: 'mrz-doc' }, t.mrzDoc),
    doc,
    h('label', { for: 'mrz-dob' }, t.mrzDob),
    dob,
    h('label', { for: 'mrz-exp' }, t.mrzExp),
    exp,
  );
  const canBox = h('div', {}, h('label', { for: 'can' }, t.canLabel), can, h('p', { id: 'can-hint', class: 'hint' }, t.canHint));
  const toggle = h('button', { type: 'button', class: 'link', 'data-testid': 'key-toggle' }, t.mrzToggle);
  toggle.addEventListener('click', () => {
    mrz = !mrz;
    mrzBox.hidden = !mrz;
    canBox.hidden = mrz;
    invalid.hidden = true;
    toggle.textContent = mrz ? t.canToggle : t.mrzToggle;
    (mrz ? doc : can).focus();
  });
  const form = h(
    'form',
    {
      class: 'key-form',
      'data-testid': 'key-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (!mrz) {
          const v = can.value.trim();
          if (!/^\d{6}$/.test(v)) return fail(t.canInvalid, can);
          void app.call('accessKey', { kind: 'can', can: v });
          return;
        }
        const number = doc.value.trim().toUpperCase();
        if (!/^[0-9A-Z]{1,9}$/.test(number)) return fail(t.mrzDocInvalid, doc);
        const birth = yymmdd(dob.value);
        if (!birth) return fail(t.dateInvalid, dob);
        const expiry = yymmdd(exp.value);
        if (!expiry) return fail(t.dateInvalid, exp);
        void app.call('accessKey', { kind: 'mrz', documentNumber: number, dateOfBirth: birth, dateOfExpiry: expiry });
      },
    },
    err ? h('p', { class: 'error', role: 'alert', 'data-testid': 'key-error' }, errorText(err, app.settings.lang)) : null,
    canBox,
    mrzBox,
    invalid,
    toggle,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'open-chip' }, t.openChip),
  );
  // The passport's (or the CCCD back's) code lines read by the camera instead of typed: a valid MRZ opens the chip.
  const scanning = app.state.camera?.purpose === 'mrz';
  const scan = h('button', { type: 'button', class: 'secondary', 'data-testid': 'scan-mrz', hidden: !scanning, onclick: () => void app.call('scanMrz', { on: !scanning }) }, scanning ? t.scanMrzStop : t.scanMrz);
  mrzBox.append(scan);
  if (scanning) {
    mrz = true;
    mrzBox.hidden = false;
    canBox.hidden = true;
    toggle.textContent = t.canToggle;
  }
  toggle.addEventListener('click', () => (scan.hidden = !mrz));
  app.focusAfterRender = scanning ? scan : can;
  return form;
}

function profilePanel(profile: Profile, p: PersonView, lang: Lang): HTMLElement | null {
  const t = strings(lang);
  const v = p.vn;
  const d = p.document;
  if (profile === 'residence') {
    // Read-only inputs, so the clerk can select and copy each value into the declaration system.
    const ro = (label: string, value: string | null | undefined, id: string) =>
      h('div', { class: 'form-row' }, h('label', { for: id }, label), h('input', { id, readonly: true, value: value ?? '' }));
    return h(
      'section',
      { class: 'profile-panel', 'aria-label': t.residenceForm, 'data-testid': 'residence-form' },
      h('h3', {}, t.residenceForm),
      ro(t.f.fullName, fullName(p), 'rf-name'),
      ro(t.f.dateOfBirth, vnDate(v?.dateOfBirth ?? d.dateOfBirth), 'rf-dob'),
      ro(t.f.sex, v?.sex ?? d.sex, 'rf-sex'),
      ro(t.f.idNumber, v?.idNumber ?? d.documentNumber, 'rf-id'),
      ro(t.f.nationality, v?.nationality ?? d.nationality, 'rf-nat'),
      ro(t.f.ethnicity, v?.ethnicity, 'rf-eth'),
      ro(t.f.religion, v?.religion, 'rf-rel'),
      ro(t.f.placeOfOrigin, v?.placeOfOrigin, 'rf-origin'),
      ro(t.f.placeOfResidence, v?.placeOfResidence, 'rf-res'),
      h('p', { class: 'hint' }, t.residenceNote),
    );
  }
  if (profile === 'hospital') {
    const age = ageOn(v?.dateOfBirth ?? d.dateOfBirth, new Date());
    return h(
      'section',
      { class: 'profile-panel', 'aria-label': t.hospitalTitle, 'data-testid': 'hospital-form' },
      h('h3', {}, t.hospitalTitle),
      h('dl', {}, field(t.f.fullName, fullName(p)), field(t.f.dateOfBirth, vnDate(v?.dateOfBirth ?? d.dateOfBirth)), field(t.f.age, age === undefined ? null : String(age)), field(t.f.sex, v?.sex ?? d.sex), field(t.f.idNumber, v?.idNumber ?? d.documentNumber), field(t.f.placeOfResidence, v?.placeOfResidence)),
      h('p', { class: 'hint' }, t.insurance),
    );
  }
  if (profile === 'airport') {
    return h(
      'section',
      { class: 'profile-panel', 'aria-label': t.airportTitle, 'data-testid': 'airport-panel' },
      h('h3', {}, t.airportTitle),
      h('p', { class: 'big-name' }, fullName(p)),
      h('p', {}, `${t.f.dateOfBirth}: ${vnDate(v?.dateOfBirth ?? d.dateOfBirth)}`),
      h('p', { class: 'hint' }, t.airportNote),
    );
  }
  return null;
}

function resultPanel(app: AppContext, v: VerificationView): HTMLElement {
  const lang = app.settings.lang;
  const t = strings(lang);
  const faceStep = app.state.phase === 'face';
  const rec = v.record;
  // Data the rule rejects never fills a form; after an override (PIN and reason recorded) it may.
  const forms = v.decision !== 'reject' || (rec.status === 'stored' && rec.override === true);
  return h(
    'section',
    { class: `result ${v.decision}`, 'data-testid': 'result', 'aria-label': t.phase.result },
    // Banner and the action it allows first, kept in view while the facts below scroll.
    h('div', { class: 'decision-bar', 'data-testid': 'decision-bar' }, decisionBanner(app, v), decisionActions(app, v, { nextPerson: true, confirmLabel: t.confirmProfile[app.settings.profile] }), recordLine(app, v)),
    h(
      'div',
      { class: 'result-body' },
      // During the face step the live picture sits beside the chip photo; afterwards, what the check found.
      h('div', { class: 'faces' }, photo(v.person, lang), faceStep ? app.camera.panel(lang, app.state.camera) : faceSummary(v.biometric, lang)),
      h('section', { class: 'verdicts', 'aria-label': t.supportFacts }, authenticityBadge(v.authenticity, lang), biometricLine(v.biometric, lang), faceNotes(v.biometric, lang), qrCheckLine(v, lang), boardingPassLine(v, lang), techDetails(v, lang)),
      personCard(v.person, lang),
      forms ? profilePanel(app.settings.profile, v.person, lang) : null,
    ),
  );
}

export function deskView(app: AppContext): HTMLElement {
  const lang = app.settings.lang;
  const t = strings(lang);
  const s = app.state;
  return h(
    'main',
    { class: 'desk', id: 'main' },
    servicePanel(app),
    readerPanel(app),
    h('p', { class: 'phase', 'aria-live': 'polite', 'data-testid': 'phase', 'data-phase': s.phase }, s.phase === 'idle' && s.reader.status === 'card' ? t.liftForNext : t.phase[s.phase]),
    // The key form beside the camera that can read the key instead (the card's QR, a passport's code lines).
    s.phase === 'need-key'
      ? h('div', { class: 'key-row' }, keyForm(app), s.camera?.purpose === 'qr' || s.camera?.purpose === 'mrz' ? app.camera.panel(lang, s.camera) : null)
      : null,
    s.phase === 'idle' && s.qrWaiting ? h('p', { class: 'hint', role: 'status', 'data-testid': 'qr-waiting' }, t.qr.waiting) : null,
    // Nothing to type in before the card: a scanner's QR (with its Vietnamese letters) needs a field to land in.
    s.phase === 'idle' && !s.result ? wedgeSink(app) : null,
    // A scanned QR that was no use (the key form shows its own): said wherever the clerk is.
    s.phase !== 'need-key' && s.keyError ? h('p', { class: 'error', role: 'alert', 'data-testid': 'key-error' }, errorText(s.keyError, lang)) : null,
    s.phase === 'reading' || s.phase === 'checking' ? progressBar(s, lang) : null,
    s.phase === 'error' && s.error
      ? h('div', { class: 'error', role: 'alert', 'data-testid': 'error' }, h('strong', {}, `${t.errorTitle}: `), errorText(s.error, lang))
      : null,
    s.result ? resultPanel(app, s.result) : null,
  );
}
