// The self-service kiosk: one step at a time, large touch targets, pictures, and a
// time-out that wipes the screen (here first, then in main) so the next person sees
// nothing of the previous one.
import { type AppContext, type SelfServicePad, langButton } from './context.js';
import { progressBar, readerPanel } from './desk.js';
import { h } from './dom.js';
import { errorText, strings, vnDate } from './i18n.js';
import { wedgeSink } from './wedge-sink.js';
import { biometricLine, faceNotes, fullName, photo } from './person.js';
import { decisionActions, decisionBanner, recordLine } from './decision.js';
import { outOfServiceStep, serviceProblems } from './service.js';

/** After a confirmation the thank-you stays this long at most. */
const DONE_MS = 8000;

export class SelfService implements SelfServicePad {
  digits = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Phase and what the person reads in it (a waiting QR, a bad one): a change restarts the time-out. */
  private lastSeen = '';
  private listening = false;

  constructor(private readonly app: AppContext) {}

  /** Called on every state change while the self-service view is up. */
  onState(): void {
    if (!this.listening) {
      this.listening = true;
      // Any touch or key counts as someone still there.
      for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, () => this.arm(), { capture: true });
    }
    const s = this.app.state;
    const seen = `${s.phase} ${s.qrWaiting ?? ''} ${s.keyError?.code ?? ''} ${this.app.settings.idleSeconds}`;
    if (seen !== this.lastSeen) {
      if (s.phase !== 'need-key') this.digits = '';
      this.lastSeen = seen;
      this.arm();
    }
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.app.settings.profile !== 'self-service' || this.app.view !== 'desk') return;
    const s = this.app.state;
    if (s.phase === 'idle' && !s.result && !s.qrWaiting && !s.keyError && this.digits === '') return;
    const ms = s.phase === 'confirmed' ? Math.min(DONE_MS, this.app.settings.idleSeconds * 1000) : this.app.settings.idleSeconds * 1000;
    this.timer = setTimeout(() => this.wipe(), ms);
  }

  /** Forget everything on screen now, then ask main to forget too. */
  wipe(): void {
    this.digits = '';
    const s = this.app.state;
    this.app.state = { ...s, phase: s.reader.status === 'card' ? 'need-key' : 'idle', result: undefined, progress: undefined, error: undefined, keyError: undefined, qrWaiting: undefined };
    if (this.app.settings.lang !== 'vi') void this.app.call('setLang', { lang: 'vi' });
    this.app.render(true);
    void this.app.call('clear', {});
  }

  press(d: string): void {
    if (this.digits.length < 6) this.digits += d;
    this.app.render(true);
  }

  erase(): void {
    this.digits = this.digits.slice(0, -1);
    this.app.render(true);
  }
}

function stepPicture(name: 'place-card' | 'look-camera' | 'done' | 'scan-qr', alt: string): HTMLElement {
  return h('img', { class: 'step-picture', src: `img/${name}.svg`, alt, width: 240, height: 160 });
}

/** A bad QR (or wrong CAN) in large type: the person must read it from where they stand. */
function keyError(app: AppContext): HTMLElement | null {
  const err = app.state.keyError;
  return err ? h('p', { class: 'error ss-big', role: 'alert', 'data-testid': 'key-error', 'data-code': err.code }, errorText(err, app.settings.lang)) : null;
}

/**
 * "Or scan the QR code" with a picture, when the kiosk has a scanner that reads it now: a
 * wedge or serial scanner at any time, the camera only while the keypad is up (it is off before).
 */
function qrHint(app: AppContext): HTMLElement | null {
  const q = app.qrSources;
  const now = q.has('wedge') || q.has('serial') || (app.state.phase === 'need-key' && q.has('camera'));
  if (!now) return null;
  const t = strings(app.settings.lang);
  return h('div', { class: 'ss-qr', 'data-testid': 'qr-hint' }, stepPicture('scan-qr', t.ssQrPicture), h('p', { class: 'ss-big' }, t.ssQrHint));
}

function keypad(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  const ss = app.selfService;
  const key = (d: string) => h('button', { type: 'button', class: 'key', 'aria-label': t.ssDigit(d), 'data-testid': `key-${d}`, onclick: () => ss.press(d) }, d);
  return h(
    'div',
    { class: 'ss-key' },
    keyError(app),
    h('output', { class: 'digits', 'aria-label': t.canLabel, 'data-testid': 'digits' }, ss.digits.padEnd(6, '·')),
    h(
      'div',
      { class: 'keypad' },
      ...['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(key),
      h(
        'button',
        {
          type: 'button',
          class: 'key secondary',
          'data-testid': 'key-del',
          onclick: () => ss.erase(),
        },
        t.ssDelete,
      ),
      key('0'),
      h(
        'button',
        {
          type: 'button',
          class: 'key primary',
          'data-testid': 'key-ok',
          disabled: ss.digits.length !== 6,
          onclick: () => void app.call('accessKey', { kind: 'can', can: ss.digits }),
        },
        t.ssOk,
      ),
    ),
  );
}

/**
 * The result as a citizen reads it. Only an accept offers "Confirm"; anything else says to see
 * staff, who finish it here with the PIN (the desk's actions) or from the desk. A rejected
 * card's data is not shown at all. No scores, no liveness notes: those are for staff.
 */
function resultStep(app: AppContext): HTMLElement {
  const lang = app.settings.lang;
  const t = strings(lang);
  const v = app.state.result!;
  const p = v.person;
  const ui = app.resultUi;
  const accept = v.decision === 'accept';
  const who = v.decision === 'reject' ? null : h('div', { class: 'ss-person' }, photo(p, lang), h('div', {}, h('p', { class: 'big-name', 'data-testid': 'fullName' }, fullName(p)), h('p', {}, `${t.f.dateOfBirth}: ${vnDate(p.vn?.dateOfBirth ?? p.document.dateOfBirth)}`)));
  if (accept) {
    const confirm = h('button', { type: 'button', class: 'primary huge', 'data-testid': 'confirm', onclick: () => void app.call('confirm', { id: v.id }) }, t.confirm);
    app.focusAfterRender = confirm;
    return h(
      'section',
      { class: 'step', 'data-testid': 'result', 'data-decision': v.decision },
      h('h2', {}, t.ssStepResult),
      h('p', { class: 'ss-big ss-ok', role: 'status', 'data-testid': 'ss-verdict' }, t.ssAccepted),
      h('div', { class: 'actions' }, confirm, h('button', { type: 'button', class: 'secondary huge', 'data-testid': 'cancel', onclick: () => app.selfService.wipe() }, t.ssCancel)),
      who,
    );
  }
  const face = v.biometric.status === 'not-compared' || (v.biometric.status === 'not-available' && v.biometric.reason);
  const done = h('button', { type: 'button', class: 'secondary huge', 'data-testid': 'cancel', onclick: () => app.selfService.wipe() }, t.ssDoneButton);
  app.focusAfterRender = done;
  return h(
    'section',
    { class: 'step', 'data-testid': 'result', 'data-decision': v.decision },
    h('h2', {}, t.ssSeeStaffTitle),
    h('p', { class: 'ss-big ss-ask-staff', role: 'alert', 'data-testid': 'ask-staff' }, face ? t.ssFaceAskStaff : t.ssSeeStaff),
    who,
    ui.staff
      ? h('section', { class: 'staff-panel', 'data-testid': 'staff-panel', 'aria-label': t.ssStaffPanel }, decisionBanner(app, v), decisionActions(app, v, { nextPerson: false, confirmLabel: t.confirm }), recordLine(app, v), biometricLine(v.biometric, lang), faceNotes(v.biometric, lang))
      : h('div', { class: 'actions' }, done, staffPin(app)),
  );
}

/** Staff finish a result the person could not: the operator PIN opens the desk's actions on this screen. */
function staffPin(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  const pin = h('input', { id: 'ss-staff-pin', type: 'password', inputmode: 'numeric', autocomplete: 'off', maxlength: 12, 'data-testid': 'staff-pin', 'aria-describedby': 'ss-staff-error' });
  const error = h('p', { class: 'error field-error', role: 'alert', id: 'ss-staff-error', hidden: true });
  return h(
    'form',
    {
      class: 'staff-pin',
      novalidate: true,
      'data-testid': 'staff-finish',
      onsubmit: (e: Event) => {
        e.preventDefault();
        if (!/^\d{4,12}$/.test(pin.value)) {
          error.textContent = t.pinInvalid;
          error.hidden = false;
          pin.focus();
          return;
        }
        void app.call('unlockSettings', { pin: pin.value }).then((r) => {
          if (!r) return;
          // Only the PIN check was wanted: the settings session is given back at once.
          void app.call('lockSettings', { session: r.session });
          app.resultUi.staff = true;
          app.render(true);
        });
      },
    },
    h('label', { for: 'ss-staff-pin' }, t.ssStaffFinish),
    pin,
    error,
    h('button', { type: 'submit', class: 'secondary', 'data-testid': 'staff-unlock' }, t.unlock),
  );
}

export function selfServiceView(app: AppContext): HTMLElement {
  const lang = app.settings.lang;
  const t = strings(lang);
  const s = app.state;
  let step: HTMLElement;
  // Nothing a citizen can do while the reader or the store is down; a result already on screen stays (staff finish it).
  const down = serviceProblems(s).length > 0 && (s.phase === 'idle' || s.phase === 'need-key');
  switch (down ? 'down' : s.phase) {
    case 'down':
      step = outOfServiceStep(app);
      break;
    case 'need-key':
      step = h('section', { class: 'step' }, h('h2', {}, t.ssStepKey), keypad(app), qrHint(app), s.camera?.purpose === 'qr' ? app.camera.panel(lang, s.camera) : null, wedgeSink(app));
      break;
    case 'reading':
    case 'checking':
      step = h('section', { class: 'step' }, stepPicture('place-card', ''), h('h2', {}, t.ssStepRead), progressBar(s, lang));
      break;
    case 'face':
      // The chip is read; now the person looks at the camera, with the picture to show how.
      step = h(
        'section',
        { class: 'step', 'data-testid': 'face-step' },
        h('h2', {}, t.ssStepFace),
        h('div', { class: 'faces' }, h('figure', { class: 'photo' }, stepPicture('look-camera', t.ssStepFace)), app.camera.panel(lang, s.camera)),
      );
      break;
    case 'result':
      step = resultStep(app);
      break;
    case 'confirmed':
      step = h('section', { class: 'step', 'data-testid': 'done' }, stepPicture('done', ''), h('h2', {}, t.ssDone));
      break;
    case 'error':
      step = h(
        'section',
        { class: 'step' },
        h('p', { class: 'error', role: 'alert', 'data-testid': 'error' }, s.error ? errorText(s.error, lang) : t.phase.error),
        h('button', { type: 'button', class: 'primary huge', onclick: () => app.selfService.wipe() }, t.tryAgain),
      );
      break;
    default:
      // A QR read before the card: say so and ask for the card; otherwise the welcome, with the QR as the other way in.
      step = s.qrWaiting
        ? h('section', { class: 'step', 'data-testid': 'welcome' }, stepPicture('place-card', t.ssStep1), h('p', { class: 'ss-big ss-ok', role: 'status', 'data-testid': 'qr-waiting' }, t.ssQrWaiting), h('p', {}, t.ssStep1Sub), wedgeSink(app))
        : h('section', { class: 'step', 'data-testid': 'welcome' }, keyError(app), stepPicture('place-card', t.ssStep1), h('h2', {}, t.ssStep1), h('p', {}, t.ssStep1Sub), qrHint(app), wedgeSink(app));
  }
  return h(
    'main',
    { class: 'self-service', id: 'main', 'data-phase': s.phase, 'data-testid': 'self-service' },
    h('header', { class: 'ss-top' }, h('h1', {}, t.ssWelcome), langButton(app)),
    step,
    h(
      'footer',
      { class: 'ss-foot' },
      h('p', { class: 'hint' }, t.ssTimeout(app.settings.idleSeconds)),
      s.reader.emulated ? readerPanel(app) : null,
      h('button', { type: 'button', class: 'link', 'data-testid': 'operator', onclick: () => app.go('settings') }, t.operator),
    ),
  );
}
