// The screen's state and its one render loop: the whole view is rebuilt when something a
// person reads changes; while only the progress moves, only the bar is touched.
import type { ApiError, KioskState, Method, Params, QrSource, Result, SettingsView } from '../main/api/contract.js';
import { type Api, ApiFailure } from './bridge.js';
import { Camera } from './camera.js';
import { WedgeCapture } from './wedge-capture.js';
import { deskView, updateProgress } from './desk.js';
import { h, replace } from './dom.js';
import { errorText, strings } from './i18n.js';
import { selfServiceView, SelfService } from './self-service.js';
import { settingsView } from './settings.js';
import { statusView } from './status.js';
import { historyView } from './history-view.js';
import { playCue } from './sound.js';
import { type AppContext, type View, freshResultUi, langButton } from './context.js';

export class App implements AppContext {
  state: KioskState;
  settings: SettingsView;
  version: string;
  view: View = 'desk';
  link = true;
  toast: ApiError | undefined;
  focusAfterRender: HTMLElement | undefined;
  settingsSession: string | undefined;
  /** One line of feedback for the current screen (e.g. 'Saved.'), gone when the screen changes. */
  notice: string | undefined;
  readonly selfService: SelfService;
  /** The live camera, open only while main asks for frames (state.camera). */
  readonly camera: Camera;
  /** QR sources of this kiosk: what main listens to, and a wedge scanner once this browser profile has seen one type. */
  qrSources: Set<QrSource>;
  resultUi = freshResultUi(undefined);
  private lastKey = '';
  private lastResult: string | undefined;

  constructor(
    private readonly api: Api,
    private readonly root: HTMLElement,
    hello: Result<'hello'>,
  ) {
    this.state = hello.state;
    this.settings = hello.settings;
    this.version = hello.version;
    this.qrSources = new Set<QrSource>([...hello.qrSources, ...(wedgeSeen() ? (['wedge'] as const) : [])]);
    this.selfService = new SelfService(this);
    this.camera = new Camera((m, p) => this.call(m, p));
    new WedgeCapture((text) => void this.wedgeScan(text)).attach(document);
    api.onEvent((e) => {
      if (e.event === 'state') {
        if (e.data.seq < this.state.seq) return;
        this.state = e.data;
      } else {
        this.settings = e.data;
      }
      this.render();
    });
    api.onLink((up) => {
      this.link = up;
      // Back after a restart of main: its state is the truth, not what this page remembers.
      if (up) void this.call('hello', {}).then((r) => r && ((this.state = r.state), (this.settings = r.settings), r.qrSources.forEach((q) => this.qrSources.add(q)), this.render(true)));
      else this.render(true);
    });
    this.render(true);
  }

  /** A request; a failure is shown to the person, never thrown into the void. */
  /** A read the screen draws from (no action of the user's): it neither shows nor clears the error toast. */
  async peek<M extends Method>(method: M, params: Params<M>): Promise<Result<M> | undefined> {
    try {
      return await this.api.call(method, params);
    } catch {
      return undefined;
    }
  }

  async call<M extends Method>(method: M, params: Params<M>): Promise<Result<M> | undefined> {
    try {
      const r = await this.api.call(method, params);
      if (this.toast) {
        this.toast = undefined;
        this.render(true);
      }
      return r;
    } catch (e) {
      this.toast = e instanceof ApiFailure ? e.error : { code: 'INTERNAL', messages: { vi: String(e), en: String(e) } };
      this.render(true);
      return undefined;
    }
  }

  /**
   * A QR typed by a keyboard-wedge scanner (kept out of the fields by WedgeCapture). A bad
   * QR shows as the key error main sets in the state; other failures (busy, link) as a banner.
   */
  private async wedgeScan(text: string): Promise<void> {
    if (this.view !== 'desk') return;
    if (!this.qrSources.has('wedge')) {
      this.qrSources.add('wedge');
      rememberWedge();
    }
    try {
      await this.api.call('qrText', { text, source: 'wedge' });
    } catch (e) {
      if (e instanceof ApiFailure && e.error.code.startsWith('QR_') && e.error.code !== 'QR_BUSY') return;
      this.toast = e instanceof ApiFailure ? e.error : { code: 'INTERNAL', messages: { vi: String(e), en: String(e) } };
      this.render(true);
    }
  }

  go(view: View): void {
    this.view = view;
    this.notice = undefined;
    this.render(true);
  }

  private key(): string {
    const s = this.state;
    return JSON.stringify([
      this.view,
      this.link,
      this.settings,
      s.mode,
      s.reader,
      s.storeProblem?.code,
      s.phase,
      s.progress?.lifted,
      s.keyError?.code,
      s.qrWaiting,
      [...this.qrSources].sort(),
      s.error?.code,
      s.result?.id,
      s.result?.record.status,
      s.result?.decision,
      // A boarding pass scanned over the result (airport) changes what the agent reads.
      s.result?.boardingPass,
      s.camera?.purpose,
      this.camera.problem,
      this.toast?.code,
      this.settingsSession !== undefined,
    ]);
  }

  /** The result whose decision was last announced by a tone. */
  private cued: string | undefined;

  render(force = false): void {
    if (this.state.result?.id !== this.resultUi.id) this.resultUi = freshResultUi(this.state.result?.id);
    const r = this.state.result;
    if (r && this.state.phase === 'result' && r.id !== this.cued) {
      this.cued = r.id;
      if (this.settings.sound) playCue(r.decision);
    }
    // The next person starts at the top of the screen.
    if (!r && this.lastResult) window.scrollTo(0, 0);
    this.lastResult = r?.id;
    const selfService = this.settings.profile === 'self-service' && this.view === 'desk';
    if (selfService) this.selfService.onState();
    this.camera.sync(this.state.camera);
    const key = this.key();
    if (!force && key === this.lastKey) {
      updateProgress(this.root, this.state, this.settings.lang);
      this.camera.update(this.settings.lang, this.state.camera);
      return;
    }
    this.lastKey = key;
    const lang = this.settings.lang;
    document.documentElement.lang = lang;
    const t = strings(lang);
    document.title = `${t.appTitle} — ${t.profileNames[this.settings.profile]}`;
    this.focusAfterRender = undefined;
    const body = selfService
      ? selfServiceView(this)
      : this.view === 'status'
        ? statusView(this)
        : this.view === 'settings'
          ? settingsView(this)
          : this.view === 'history'
            ? historyView(this)
            : deskView(this);
    replace(
      this.root,
      selfService ? null : this.header(),
      this.state.mode === 'demo' ? h('p', { class: 'demo-badge', role: 'note' }, t.demoBadge) : null,
      !this.link ? h('p', { class: 'error banner', role: 'alert' }, t.disconnected) : null,
      this.toast ? h('p', { class: 'error banner', role: 'alert', 'data-testid': 'toast' }, errorText(this.toast, lang)) : null,
      body,
    );
    this.camera.resume();
    // Views set it while building; TypeScript cannot see that through the calls above.
    (this.focusAfterRender as HTMLElement | undefined)?.focus();
  }

  private header(): HTMLElement {
    const lang = this.settings.lang;
    const t = strings(lang);
    const tab = (v: View, label: string) =>
      h('button', { type: 'button', role: 'tab', 'aria-selected': this.view === v ? 'true' : 'false', 'data-testid': `tab-${v}`, onclick: () => this.go(v) }, label);
    return h(
      'header',
      { class: 'top' },
      h('h1', {}, t.appTitle, h('span', { class: 'profile-name', 'data-testid': 'profile' }, ` — ${t.profileNames[this.settings.profile]}`)),
      h('nav', { role: 'tablist', 'aria-label': t.appTitle }, tab('desk', t.tabDesk), tab('status', t.tabStatus), tab('history', t.tabHistory), tab('settings', t.tabSettings)),
      langButton(this),
    );
  }
}

const WEDGE_KEY = 'idkiosk.qrWedge';

/** A keyboard-wedge scanner cannot be asked for: the page remembers that one typed here before. */
function wedgeSeen(): boolean {
  try {
    return localStorage.getItem(WEDGE_KEY) === '1';
  } catch {
    return false;
  }
}

function rememberWedge(): void {
  try {
    localStorage.setItem(WEDGE_KEY, '1');
  } catch {
    // Storage refused (private profile): known for this page's life only.
  }
}
