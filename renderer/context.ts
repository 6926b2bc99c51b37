// What every view gets from the app (app.ts builds it and passes it in): the state the
// screen is drawn from, the calls to main, and the re-render. Views import this type, never
// app.ts, so the app can import every view without an import circle.
import type { KioskState, Method, Params, QrSource, Result, ReviewCheck, SettingsView } from '../main/api/contract.js';
import type { Camera } from './camera.js';
import { h } from './dom.js';
import { strings } from './i18n.js';

export type View = 'desk' | 'status' | 'history' | 'settings';

/** The self-service keypad's memory: the digits typed so far, and the wipe that ends a visit. */
export interface SelfServicePad {
  readonly digits: string;
  press(d: string): void;
  /** The last digit off. */
  erase(): void;
  /** Forget everything on screen now, then ask main to forget too. */
  wipe(): void;
  /** Called on every state change while the self-service view is up. */
  onState(): void;
}

/** The checks a clerk can tick on a review, in the order shown (the contract's ReviewCheck; the renderer may import only its types). */
export const REVIEW_CHECKS_UI: readonly ReviewCheck[] = ['FACE_BY_EYE', 'CARD_BY_EYE', 'OTHER_DOCUMENT'];

/** What the clerk has done on the result on screen (ticks, the override form), kept across re-renders and dropped with the result. */
interface ResultUi {
  id: string | undefined;
  checked: Set<ReviewCheck>;
  checksError: boolean;
  overrideOpen: boolean;
  reason: string;
  /** Self-service: staff gave the PIN to finish a result the person could not. */
  staff: boolean;
}

export function freshResultUi(id: string | undefined): ResultUi {
  return { id, checked: new Set(), checksError: false, overrideOpen: false, reason: '', staff: false };
}

export interface AppContext {
  state: KioskState;
  settings: SettingsView;
  readonly version: string;
  readonly view: View;
  /** The element a view wants focused once the screen is rebuilt. */
  focusAfterRender: HTMLElement | undefined;
  settingsSession: string | undefined;
  /** One line of feedback for the current screen (e.g. 'Saved.'), gone when the screen changes. */
  notice: string | undefined;
  readonly selfService: SelfServicePad;
  /** The live camera, open only while main asks for frames (state.camera). */
  readonly camera: Camera;
  readonly qrSources: ReadonlySet<QrSource>;
  /** The clerk's work on the result on screen. */
  resultUi: ResultUi;
  /** A request; a failure is shown to the person, never thrown into the void. */
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M> | undefined>;
  /** A read the screen draws from (no action of the user's): it neither shows nor clears the error toast. */
  peek<M extends Method>(method: M, params: Params<M>): Promise<Result<M> | undefined>;
  render(force?: boolean): void;
  go(view: View): void;
}

export function langButton(app: AppContext): HTMLElement {
  const t = strings(app.settings.lang);
  return h(
    'button',
    {
      type: 'button',
      class: 'lang',
      'data-testid': 'lang',
      // The name starts with the words on the button (WCAG 2.5.3, label in name), then says what it does.
      'aria-label': `${t.switchLang} — ${t.switchLangLabel}`,
      lang: app.settings.lang === 'vi' ? 'en' : 'vi',
      onclick: () => void app.call('setLang', { lang: app.settings.lang === 'vi' ? 'en' : 'vi' }),
    },
    t.switchLang,
  );
}
