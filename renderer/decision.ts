// The decision first: one banner in the decision's colour with an icon and one line of why,
// and right under it the one action that decision allows. Accept: confirm. Review: confirm
// only after ticking what was checked. Reject: record the refusal; accepting anyway needs the
// operator PIN and a typed reason. The authenticity, face and QR facts sit below as grounds.
import type { Lang, ReviewCheck, VerificationView } from '../main/api/contract.js';
import { REVIEW_CHECKS_UI, type AppContext } from './context.js';
import { h } from './dom.js';
import { errorText, strings } from './i18n.js';

const ICON = { accept: '✔', review: '?', reject: '✖' } as const;

/** The one line under the decision: the strongest reason for it, in plain words. */
function decisionWhy(v: VerificationView, lang: Lang): string {
  const t = strings(lang);
  const b = v.biometric.status;
  if (v.decision === 'accept') return t.why.accept;
  if (v.authenticity.level === 'red') return t.reason[v.authenticity.reason];
  if (b === 'not-matched') return t.why.faceNotMatched;
  if (v.authenticity.level === 'amber') return t.reason[v.authenticity.reason];
  if ((v.qr?.mismatches.length ?? 0) > 0) return t.why.qrDiffers;
  if (b === 'not-compared') return t.why.faceNotCompared;
  return t.why.faceNotAvailable;
}

export function decisionBanner(app: AppContext, v: VerificationView): HTMLElement {
  const lang = app.settings.lang;
  const t = strings(lang);
  if (app.state.phase === 'face') {
    return h('div', { class: 'banner-decision pending', 'data-testid': 'decision', 'data-decision': 'pending', role: 'status' }, h('span', { class: 'icon', 'aria-hidden': 'true' }, '…'), h('div', {}, h('strong', { class: 'title' }, t.decisionPending)));
  }
  return h(
    'div',
    { class: `banner-decision ${v.decision}`, 'data-testid': 'decision', 'data-decision': v.decision, role: 'status' },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, ICON[v.decision]),
    h('div', {}, h('strong', { class: 'title' }, t.decision[v.decision]), h('p', { class: 'why', 'data-testid': 'decision-why' }, decisionWhy(v, lang))),
  );
}

/** What was recorded, in words: stored, refusal recorded, exception recorded, or why not. */
export function recordLine(app: AppContext, v: VerificationView): HTMLElement | null {
  const lang = app.settings.lang;
  const t = strings(lang);
  const rec = v.record;
  if (rec.status === 'not-available' && app.state.phase !== 'confirmed') return null;
  const text =
    rec.status === 'failed'
      ? `${t.record.failed} ${errorText(rec.error, lang)}`
      : rec.status === 'stored'
        ? rec.override
          ? t.record.overridden
          : rec.outcome === 'rejected'
            ? t.record.refused
            : t.record.stored
        : t.record[rec.status];
  return h('p', { class: `record ${rec.status}`, role: 'status', 'data-testid': 'record', 'data-status': rec.status, ...(rec.status === 'stored' ? { 'data-outcome': rec.outcome } : {}) }, text);
}

/**
 * The buttons the decision allows, the primary one focused so Enter does it. Without
 * `nextPerson` (the self-service staff panel) the kiosk wipes itself after the thank-you.
 */
export function decisionActions(app: AppContext, v: VerificationView, o: { nextPerson: boolean; confirmLabel: string }): HTMLElement {
  const lang = app.settings.lang;
  const t = strings(lang);
  const rec = v.record;
  const recorded = app.state.phase === 'confirmed' || rec.status === 'stored' || rec.status === 'pending';
  const next = o.nextPerson ? h('button', { type: 'button', class: recorded ? 'primary big' : 'secondary', 'data-testid': 'next', onclick: () => void app.call('clear', {}) }, t.newCustomer) : null;
  if (app.state.phase === 'face') {
    // The clerk may end the face step and look for themself (never an accept); the person at a self-service kiosk cannot.
    const skip = h('button', { type: 'button', class: 'primary big', 'data-testid': 'skip-face', onclick: () => void app.call('skipFace', { id: v.id }) }, t.skipFace);
    app.focusAfterRender = skip;
    return h('div', { class: 'actions' }, skip, next);
  }
  if (recorded) {
    if (next) app.focusAfterRender = next;
    // The desk prints the stored record (residence registration, hospital files); self-service does not.
    const print = o.nextPerson && rec.status === 'stored' ? h('button', { type: 'button', class: 'secondary', 'data-testid': 'print', onclick: () => void printRecord(app, v.id) }, t.printRecord) : null;
    return h('div', { class: 'actions' }, next, print);
  }
  if (v.decision === 'accept') {
    const confirm = h('button', { type: 'button', class: 'primary big', 'data-testid': 'confirm', onclick: () => void app.call('confirm', { id: v.id }) }, o.confirmLabel);
    app.focusAfterRender = confirm;
    return h('div', { class: 'actions' }, confirm, next);
  }
  if (v.decision === 'review') return reviewActions(app, v, next);
  return rejectActions(app, v, next);
}

function reviewActions(app: AppContext, v: VerificationView, next: HTMLElement | null): HTMLElement {
  const t = strings(app.settings.lang);
  const ui = app.resultUi;
  const error = h('p', { class: 'error field-error', role: 'alert', id: 'checks-error', 'data-testid': 'checks-error', hidden: !ui.checksError }, ui.checksError ? t.checksMissing : '');
  const boxes = REVIEW_CHECKS_UI.map((code: ReviewCheck) => {
    const box = h('input', { type: 'checkbox', id: `check-${code}`, value: code, 'data-testid': `check-${code}`, checked: ui.checked.has(code), 'aria-describedby': 'checks-error' });
    box.addEventListener('change', () => {
      if (box.checked) ui.checked.add(code);
      else ui.checked.delete(code);
      if (ui.checked.size > 0 && ui.checksError) {
        ui.checksError = false;
        error.hidden = true;
      }
    });
    return h('div', { class: 'check-row' }, box, h('label', { for: `check-${code}` }, t.checks[code]));
  });
  const confirm = h(
    'button',
    {
      type: 'button',
      class: 'primary big',
      'data-testid': 'confirm',
      onclick: () => {
        if (ui.checked.size === 0) {
          // The extra step: say what is missing here, in the screen's words, and take the clerk there.
          ui.checksError = true;
          error.textContent = t.checksMissing;
          error.hidden = false;
          boxes[0]?.querySelector('input')?.focus();
          return;
        }
        void app.call('confirm', { id: v.id, checked: REVIEW_CHECKS_UI.filter((c) => ui.checked.has(c)) });
      },
    },
    t.confirmReview,
  );
  app.focusAfterRender = confirm;
  return h(
    'div',
    { class: 'actions review-actions' },
    h('fieldset', { class: 'checks', 'data-testid': 'review-checks' }, h('legend', {}, t.checksLegend), ...boxes, error),
    h('div', { class: 'buttons' }, confirm, next),
  );
}

function rejectActions(app: AppContext, v: VerificationView, next: HTMLElement | null): HTMLElement {
  const t = strings(app.settings.lang);
  const ui = app.resultUi;
  const refuse = h('button', { type: 'button', class: 'primary big danger', 'data-testid': 'record-refusal', onclick: () => void app.call('confirm', { id: v.id }) }, t.recordRefusal);
  const open = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      'data-testid': 'override-open',
      'aria-expanded': ui.overrideOpen ? 'true' : 'false',
      onclick: () => {
        ui.overrideOpen = !ui.overrideOpen;
        app.render(true);
        if (ui.overrideOpen) document.getElementById('override-reason')?.focus();
      },
    },
    t.overrideOpen,
  );
  app.focusAfterRender = refuse;
  return h('div', { class: 'actions reject-actions' }, h('div', { class: 'buttons' }, refuse, next, open), ui.overrideOpen ? overrideForm(app, v) : null);
}

/** Accepting against a reject: the reason typed on one line and the operator PIN, both checked here first with our own words. */
function overrideForm(app: AppContext, v: VerificationView): HTMLElement {
  const t = strings(app.settings.lang);
  const ui = app.resultUi;
  const reason = h('input', { id: 'override-reason', 'data-testid': 'override-reason', maxlength: 200, autocomplete: 'off', value: ui.reason, 'aria-describedby': 'override-error' });
  reason.addEventListener('input', () => (ui.reason = reason.value));
  const pin = h('input', { id: 'override-pin', 'data-testid': 'override-pin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, 'aria-describedby': 'override-error' });
  const error = h('p', { class: 'error field-error', role: 'alert', id: 'override-error', 'data-testid': 'override-error', hidden: true });
  const fail = (text: string, el: HTMLInputElement) => {
    error.textContent = text;
    error.hidden = false;
    el.setAttribute('aria-invalid', 'true');
    el.focus();
  };
  return h(
    'form',
    {
      class: 'override-form',
      novalidate: true,
      'data-testid': 'override-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const line = reason.value.trim();
        if (line.length < 5 || line.length > 200) return fail(t.overrideReasonInvalid, reason);
        if (!/^\d{4,12}$/.test(pin.value)) return fail(t.pinInvalid, pin);
        void app.call('override', { id: v.id, pin: pin.value, reason: line }).then((r) => {
          if (r) ui.overrideOpen = false;
        });
      },
    },
    h('label', { for: 'override-reason' }, t.overrideReason),
    reason,
    h('label', { for: 'override-pin' }, t.overridePin),
    pin,
    error,
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'submit', class: 'secondary', 'data-testid': 'override-submit' }, t.overrideSubmit),
      h('button', { type: 'button', class: 'link', onclick: () => ((ui.overrideOpen = false), app.render(true)) }, t.overrideCancel),
    ),
  );
}

/**
 * The one-page PDF record (main/formats/pdf.ts) handed to the browser as a download, which the
 * clerk opens and prints: a blob: link needs no change to the content security policy.
 */
async function printRecord(app: AppContext, id: string): Promise<void> {
  const r = await app.call('recordPdf', { id });
  if (!r) return;
  const bytes = Uint8Array.from(atob(r.pdf), (c) => c.charCodeAt(0));
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
  const a = h('a', { href: url, download: `idkiosk-${id}.pdf`, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
