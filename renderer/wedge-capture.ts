// Keyboard-wedge scanners in the page: a scanner "types" a whole QR in a burst of a few ms a
// key, usually ending with Enter, into whatever has focus (often the CAN field). The page
// listens to every keystroke first (capture phase), lets the first keys of a burst through
// (a person's keys must not lag), holds back the rest once the keys come at scanner speed,
// and when the burst ends as a scan it puts the focused field back as it was before the
// burst and hands the text over. A burst that turns out to be a person typing gets the
// held-back keys inserted where they would have gone. Characters that a keyboard layout
// cannot produce arrive without a keydown, as a one-character `beforeinput` insertText, and
// count the same; several characters in one insert (paste, autofill, IME) are nobody's keys.
import { type KeyStroke, WEDGE_DEFAULTS, type WedgeOptions, classifyBurst } from './wedge.js';

type Editable = HTMLInputElement | HTMLTextAreaElement;

interface WedgeCaptureOptions extends WedgeOptions {
  /** From this many keys at scanner speed on, the rest of the burst is held back from the focused field. */
  holdAfter?: number;
  /**
   * Once a burst is surely a scanner (minLength keys classified 'scanner'), a pause up to this
   * long still continues it: the page's event loop or the USB stack stalls now and then (we
   * saw 85 ms inside a burst that otherwise ran at 7 ms a key), and no person has typed it.
   */
  maxPauseMs?: number;
}

/**
 * The page's defaults: a gap of 80 ms (not the classifier's 50) still counts as one burst, so a
 * stall in the first keys does not split a scan; the median rule (25 ms) still tells people apart.
 */
const CAPTURE_DEFAULTS: Required<WedgeCaptureOptions> = { ...WEDGE_DEFAULTS, maxGapMs: 80, holdAfter: 3, maxPauseMs: 250 };

/** Keys that come with typed characters (Shift for capitals) and say nothing about who types. */
const MODIFIERS = new Set(['Shift', 'Control', 'Alt', 'AltGraph', 'Meta', 'CapsLock', 'NumLock', 'Dead', 'Unidentified']);

/** Text fields whose value and caret can be put back (number fields have no selection API). */
function editable(el: Element | null): Editable | undefined {
  if (el instanceof HTMLTextAreaElement && !el.readOnly && !el.disabled) return el;
  if (el instanceof HTMLInputElement && !el.readOnly && !el.disabled && ['text', 'search', 'tel', 'url', 'password'].includes(el.type)) return el;
  return undefined;
}

/** What a person's held-back keys would have done: inserted at the caret, within maxlength. */
function insertAtCaret(el: Editable, text: string): void {
  const start = el.selectionStart ?? el.value.length;
  const end = el.selectionEnd ?? start;
  const room = el.maxLength >= 0 ? el.maxLength - (el.value.length - (end - start)) : text.length;
  const t = [...text].slice(0, Math.max(0, room)).join('');
  if (t === '') return;
  el.setRangeText(t, start, end, 'end');
  el.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText', data: t }));
}

export class WedgeCapture {
  private burst: KeyStroke[] = [];
  /** The focused field as it was before the burst's first key. */
  private before: { el: Editable; value: string; start: number | null; end: number | null } | undefined;
  private held = '';
  /** The burst has been classified a scanner already: pauses up to maxPauseMs no longer end it. */
  private sure = false;
  /** The character of the last keydown, whose own beforeinput must not count twice. */
  private keydownChar: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly o: Required<WedgeCaptureOptions>;

  constructor(
    private readonly onScan: (text: string) => void,
    opts: WedgeCaptureOptions = {},
  ) {
    this.o = { ...CAPTURE_DEFAULTS, ...opts };
  }

  /** Listens on the whole document; returns the detach function. */
  attach(doc: Document): () => void {
    const kd = (e: KeyboardEvent) => this.keydown(e);
    const bi = (e: InputEvent) => this.beforeInput(e);
    doc.addEventListener('keydown', kd, { capture: true });
    doc.addEventListener('beforeinput', bi, { capture: true });
    return () => {
      doc.removeEventListener('keydown', kd, { capture: true });
      doc.removeEventListener('beforeinput', bi, { capture: true });
      clearTimeout(this.timer);
    };
  }

  private keydown(e: KeyboardEvent): void {
    this.keydownChar = undefined;
    if (e.isComposing || MODIFIERS.has(e.key)) return;
    if (e.key === 'Enter' || e.key === 'Tab') {
      this.terminator(e);
      return;
    }
    if ([...e.key].length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) {
      this.keydownChar = e.key;
      this.chars([e.key], e.timeStamp, e);
      return;
    }
    // Backspace, arrows, shortcuts: whatever was held back was a person typing.
    this.finish(false);
  }

  private beforeInput(e: InputEvent): void {
    if (e.inputType !== 'insertText' || e.isComposing || !e.data) return;
    if (this.keydownChar !== undefined && e.data === this.keydownChar) {
      this.keydownChar = undefined;
      return;
    }
    const cs = [...e.data];
    if (cs.length > 1) {
      this.finish(false);
      return;
    }
    this.chars(cs, e.timeStamp, e);
  }

  private chars(cs: string[], t: number, e: Event): void {
    const last = this.burst[this.burst.length - 1];
    if (last && t - last.t > this.limit()) this.finish(true);
    if (this.burst.length === 0) {
      const el = editable(document.activeElement);
      this.before = el && { el, value: el.value, start: el.selectionStart, end: el.selectionEnd };
    }
    for (const key of cs) this.burst.push({ key, t });
    if (!this.sure && this.burst.length >= this.o.minLength) this.sure = classifyBurst(this.burst, this.o) === 'scanner';
    // Every gap in a burst is within maxGapMs by construction: enough keys means scanner speed so far.
    if (this.burst.length >= this.o.holdAfter) {
      e.preventDefault();
      this.held += cs.join('');
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.finish(true), this.limit() + 1);
  }

  private terminator(e: KeyboardEvent): void {
    const last = this.burst[this.burst.length - 1];
    if (last && e.timeStamp - last.t <= this.limit() && this.isScan()) {
      // Neither submit the form nor move the focus: the Enter/Tab belongs to the scanner.
      e.preventDefault();
      e.stopImmediatePropagation();
      this.scan();
      return;
    }
    this.finish(false);
  }

  /** The burst is over without its Enter: a scanner without a suffix (silence), or a person. */
  private finish(silence: boolean): void {
    clearTimeout(this.timer);
    if (this.burst.length === 0) return;
    if (silence && this.isScan()) {
      this.scan();
      return;
    }
    // Into the field the keys were typed in, even if the focus has moved on since (Enter on a button).
    if (this.held && this.before) insertAtCaret(this.before.el, this.held);
    this.reset();
  }

  private scan(): void {
    clearTimeout(this.timer);
    const text = this.burst.map((k) => k.key).join('');
    const b = this.before;
    if (b && b.el.value !== b.value) {
      b.el.value = b.value;
      if (b.start !== null) b.el.setSelectionRange(b.start, b.end ?? b.start);
    }
    this.reset();
    this.onScan(text);
  }

  private limit(): number {
    return this.sure ? this.o.maxPauseMs : this.o.maxGapMs;
  }

  private isScan(): boolean {
    return this.sure || classifyBurst(this.burst, this.o) === 'scanner';
  }

  private reset(): void {
    this.sure = false;
    this.burst = [];
    this.before = undefined;
    this.held = '';
  }
}
