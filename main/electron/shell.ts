// The Electron shell, thin glue around the kiosk: one window (kiosk: full screen and
// locked; desk: a normal window), one instance, start at login, and the Electron security
// checklist (https://www.electronjs.org/docs/latest/tutorial/security) applied in full:
// context isolation, sandbox, no Node in the page, a strict CSP, our own app:// scheme
// instead of file://, navigation and new windows blocked, only the camera may be asked
// for, IPC answered only for our page. The electron module is a parameter, so this
// wiring runs under plain Node against a fake in test/unit/electron-shell.test.ts.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App, BrowserWindow, BrowserWindowConstructorOptions, Input, Protocol, Session, WebContents } from 'electron';
import type { ApiHost } from '../api/dispatch.js';
import { type IpcMainLike, attachIpcApi } from '../api/ipc.js';
import { type AssetRoots, contentSecurityPolicy, defaultRoots, resolveAsset, securityHeaders } from '../host/assets.js';

const SCHEME = 'app';
const APP_HOST = 'idkiosk';
const APP_ORIGIN = `${SCHEME}://${APP_HOST}`;
export const START_URL = `${APP_ORIGIN}/index.html`;

/** The parts of the electron module the shell uses, typed from Electron's own declarations. */
export interface ElectronApi {
  app: Pick<App, 'requestSingleInstanceLock' | 'quit' | 'whenReady' | 'setLoginItemSettings' | 'on'>;
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => Pick<BrowserWindow, 'loadURL' | 'webContents' | 'isMinimized' | 'restore' | 'focus' | 'show' | 'on'>;
  protocol: Pick<Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  session: { defaultSession: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'> };
  ipcMain: IpcMainLike;
}

type WindowMode = 'kiosk' | 'desk';

interface ShellOptions {
  mode: WindowMode;
  /** Start with the operating system session (Windows/macOS login items; Linux: see build/). */
  autoStart: boolean;
  roots?: AssetRoots;
  preload?: string;
}

export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

export function windowOptions(mode: WindowMode, preload: string): BrowserWindowConstructorOptions {
  const locked: BrowserWindowConstructorOptions =
    mode === 'kiosk' ? { kiosk: true, fullscreen: true, frame: false, closable: false, minimizable: false, resizable: false, movable: false, alwaysOnTop: true } : { width: 1280, height: 900, minWidth: 900, minHeight: 640 };
  return {
    ...locked,
    show: false,
    autoHideMenuBar: true,
    backgroundColor: '#f7f7f5',
    title: 'idkiosk',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: mode === 'desk',
      safeDialogs: true,
    },
  };
}

/** The camera for the face match, from our own page; nothing else (no microphone, no geolocation, no USB…). */
export function allowPermission(permission: string, origin: string, mediaTypes: readonly string[] = []): boolean {
  if (permission !== 'media' || !isAppUrl(origin)) return false;
  return mediaTypes.length > 0 && mediaTypes.every((t) => t === 'video');
}

/** Keys that would leave or break a locked kiosk: close, quit, reload, devtools, full-screen toggle. */
export function isEscapeKey(input: Pick<Input, 'key' | 'control' | 'meta' | 'alt' | 'shift'>): boolean {
  const k = input.key.toLowerCase();
  if (input.alt && k === 'f4') return true;
  if (k === 'f11' || k === 'f12' || k === 'f5') return true;
  if ((input.control || input.meta) && ['w', 'q', 'r', 'n', 't', 'p', 'o', 's'].includes(k)) return true;
  if ((input.control || input.meta) && input.shift && ['i', 'j', 'c'].includes(k)) return true;
  return false;
}

function harden(wc: Pick<WebContents, 'setWindowOpenHandler' | 'on'>, mode: WindowMode): void {
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  // The page never leaves app://idkiosk; links out and redirects are refused.
  wc.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  wc.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  wc.on('will-attach-webview', (event) => event.preventDefault());
  if (mode === 'kiosk') {
    wc.on('before-input-event', (event, input) => {
      if (isEscapeKey(input)) event.preventDefault();
    });
  }
}

/** app://idkiosk/... -> the renderer's files, with the same CSP and headers as the headless host. */
async function serveApp(request: { url: string; method: string }, roots: AssetRoots): Promise<Response> {
  const headers = securityHeaders(contentSecurityPolicy());
  if (!isAppUrl(request.url)) return new Response('forbidden', { status: 403, headers });
  if (request.method !== 'GET') return new Response('method not allowed', { status: 405, headers });
  const asset = resolveAsset(new URL(request.url).pathname, roots);
  if (!asset) return new Response('not found', { status: 404, headers });
  try {
    return new Response(new Uint8Array(await readFile(asset.file)), { status: 200, headers: { ...headers, 'Content-Type': asset.type } });
  } catch {
    return new Response('not found', { status: 404, headers });
  }
}

/** Must run before the app is ready: app:// behaves as a secure, standard origin. */
export function registerScheme(e: Pick<ElectronApi, 'protocol'>): void {
  e.protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false, stream: false } }]);
}

interface ShellHandle {
  window: InstanceType<ElectronApi['BrowserWindow']>;
  close(): void;
}

/**
 * Wires everything; returns undefined when another instance already runs (this one quits
 * and the first comes to the front). Call registerScheme first, before any await.
 */
export async function runShell(e: ElectronApi, kiosk: ApiHost | Promise<ApiHost>, o: ShellOptions): Promise<ShellHandle | undefined> {
  const { app } = e;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  // Filled once the window exists; a second start before that has nothing to focus.
  const opened: { win?: ShellHandle['window'] } = {};
  app.on('second-instance', () => {
    const win = opened.win;
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_event, wc) => harden(wc, o.mode));
  app.on('window-all-closed', () => app.quit());
  // Quit waits once for the kiosk to close: the sync client stops and the store's WAL is
  // checkpointed instead of being cut off by process exit.
  let closed = false;
  app.on('will-quit', (event: { preventDefault(): void }) => {
    if (closed) return;
    closed = true;
    event.preventDefault();
    void Promise.resolve(kiosk)
      .then((k) => k.close?.())
      .catch((err: unknown) => console.error('idkiosk:', err instanceof Error ? err.message : String(err)))
      .finally(() => app.quit());
  });
  app.setLoginItemSettings({ openAtLogin: o.autoStart });
  await app.whenReady();

  const ses = e.session.defaultSession;
  ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(allowPermission(permission, details.requestingUrl, 'mediaTypes' in details ? (details.mediaTypes ?? []) : [])),
  );
  ses.setPermissionCheckHandler((_wc, permission, origin, details) => allowPermission(permission, origin, 'mediaType' in details && details.mediaType ? [details.mediaType] : []));
  ses.setDevicePermissionHandler(() => false);

  const roots = o.roots ?? defaultRoots();
  e.protocol.handle(SCHEME, (request) => serveApp(request, roots));

  const ipc = attachIpcApi(e.ipcMain, await kiosk, isAppUrl);
  const preload = o.preload ?? join(dirname(fileURLToPath(import.meta.url)), 'preload.cjs');
  const w = new e.BrowserWindow(windowOptions(o.mode, preload));
  opened.win = w;
  const detach = ipc.target(w.webContents);
  w.on('ready-to-show', () => w.show());
  await w.loadURL(START_URL);
  return {
    window: w,
    close() {
      detach();
      ipc.close();
    },
  };
}
