// Out of service: the reader is not there (pcscd down, unplugged) or the store cannot take
// records (disk read-only, full). The self-service kiosk then says only that it is paused and
// to see staff; the desk shows a panel with what a clerk can do about it. Both come back by
// themselves when main's state says the cause is gone. Technical commands are in the log.
import type { ApiError, KioskState } from '../main/api/contract.js';
import type { AppContext } from './context.js';
import { h } from './dom.js';
import { errorText, strings } from './i18n.js';

/** What keeps the kiosk from serving now, most basic first; empty when it can serve. */
export function serviceProblems(s: KioskState): ApiError[] {
  const out: ApiError[] = [];
  if (s.reader.status === 'no-reader' || s.reader.status === 'no-driver') {
    out.push(s.reader.problem ?? { code: 'NO_READER', messages: { vi: '', en: '' } });
  }
  if (s.storeProblem) out.push(s.storeProblem);
  return out;
}

/** The desk's panel: each cause in the clerk's words with what to do. */
export function servicePanel(app: AppContext): HTMLElement | null {
  const problems = serviceProblems(app.state);
  if (problems.length === 0) return null;
  const lang = app.settings.lang;
  const t = strings(lang);
  return h(
    'section',
    { class: 'service-panel', role: 'alert', 'data-testid': 'service-panel', 'data-codes': problems.map((p) => p.code).join(' ') },
    h('h2', {}, t.service.deskTitle),
    h('ul', {}, ...problems.map((p) => h('li', { 'data-code': p.code }, errorText(p, lang)))),
    h('p', { class: 'hint' }, t.service.recovers),
  );
}

/** The whole self-service screen while out of service: nothing to place, nothing to type. */
export function outOfServiceStep(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  return h('section', { class: 'step out-of-service', 'data-testid': 'out-of-service', role: 'alert' }, h('h2', { class: 'ss-big' }, t.service.kioskTitle), h('p', {}, t.service.kioskSub));
}
