// Where a keyboard-wedge scanner's characters land on a screen without a text field. Letters
// outside the keyboard layout (the Vietnamese of a CCCD QR) reach the page only as text input,
// and browsers deliver that only to a focused editable element: with none, "Nữ" arrives as "N"
// and the QR is refused. Visually hidden, no on-screen keyboard (inputmode none); WedgeCapture
// keeps the scan itself out of it.
import type { AppContext } from './context.js';
import { h } from './dom.js';
import { strings } from './i18n.js';

export function wedgeSink(app: AppContext): HTMLElement {
  const sink = h('input', { type: 'text', class: 'sr-only', 'aria-label': strings(app.settings.lang).wedgeSink, inputmode: 'none', autocomplete: 'off', 'data-testid': 'wedge-sink' });
  app.focusAfterRender = sink;
  return sink;
}
