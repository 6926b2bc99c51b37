// The Electron wiring against a fake electron module (the binary cannot run here): the
// security checklist, single instance, auto-start, the app:// scheme with its CSP, IPC
// answered only for our page, and the sandboxed preload exposing exactly the Bridge.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { describe, expect, it, vi } from 'vitest';
import { IPC_EVENT, IPC_REQUEST } from '../../main/api/ipc.js';
import { demoKiosk } from '../../main/kiosk/kiosk.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { type ElectronApi, START_URL, allowPermission, isEscapeKey, registerScheme, runShell, windowOptions } from '../../main/electron/shell.js';
import type { Reply } from '../../main/api/contract.js';

type Listener = (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

class FakeEmitter {
  readonly listeners = new Map<string, Listener[]>();
  on(name: string, l: Listener) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), l]);
    return this;
  }
  emit(name: string, ...args: unknown[]) {
    for (const l of this.listeners.get(name) ?? []) l(...args);
  }
}

function fakeElectron(opts: { lock?: boolean } = {}) {
  const calls: string[] = [];
  const app = new FakeEmitter() as FakeEmitter & Record<string, unknown>;
  Object.assign(app, {
    requestSingleInstanceLock: () => opts.lock ?? true,
    quit: () => calls.push('quit'),
    whenReady: async () => undefined,
    setLoginItemSettings: (s: unknown) => calls.push(`login:${JSON.stringify(s)}`),
  });
  const windows: Array<FakeWindow> = [];
  class FakeWebContents extends FakeEmitter {
    sent: unknown[][] = [];
    openHandler: ((d: unknown) => unknown) | undefined;
    setWindowOpenHandler(h: (d: unknown) => unknown) {
      this.openHandler = h;
    }
    send(...args: unknown[]) {
      this.sent.push(args);
    }
    isDestroyed() {
      return false;
    }
  }
  class FakeWindow extends FakeEmitter {
    webContents = new FakeWebContents();
    loaded: string | undefined;
    focused = 0;
    constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
      super();
      windows.push(this);
    }
    async loadURL(u: string) {
      this.loaded = u;
    }
    isMinimized() {
      return false;
    }
    restore() {}
    focus() {
      this.focused++;
    }
    show() {}
  }
  const handlers = new Map<string, Listener>();
  const protocolHandlers = new Map<string, Listener>();
  const schemes: unknown[] = [];
  const session: Record<string, Listener> = {};
  const e = {
    app,
    BrowserWindow: FakeWindow,
    protocol: { registerSchemesAsPrivileged: (s: unknown[]) => schemes.push(...s), handle: (scheme: string, h: Listener) => protocolHandlers.set(scheme, h) },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Listener) => (session.request = h),
        setPermissionCheckHandler: (h: Listener) => (session.check = h),
        setDevicePermissionHandler: (h: Listener) => (session.device = h),
      },
    },
    ipcMain: { handle: (c: string, h: Listener) => handlers.set(c, h), removeHandler: (c: string) => handlers.delete(c) },
  };
  return { e: e as unknown as ElectronApi, calls, windows, handlers, protocolHandlers, schemes, session, FakeWebContents };
}

async function started(mode: 'kiosk' | 'desk' = 'desk') {
  const f = fakeElectron();
  const { kiosk, reader } = await demoKiosk({ card: demoCard('cccd'), latency: null });
  registerScheme(f.e);
  const shell = await runShell(f.e, kiosk, { mode, autoStart: true, roots: { static: join(packageRoot(), 'renderer'), js: join(packageRoot(), 'renderer') } });
  return { ...f, kiosk, reader, shell: shell! };
}

describe('electron shell', () => {
  it('opens one hardened window on app://, in desk and kiosk modes', async () => {
    const { windows, schemes, calls } = await started('desk');
    expect(windows).toHaveLength(1);
    const w = windows[0]!;
    expect(w.loaded).toBe(START_URL);
    expect(w.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false, experimentalFeatures: false, webviewTag: false });
    expect(w.options.webPreferences?.preload).toMatch(/preload\.cjs$/);
    expect(w.options.kiosk).toBeUndefined();
    expect(schemes).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
    expect(calls).toContain('login:{"openAtLogin":true}');
    const k = windowOptions('kiosk', '/p.cjs');
    expect(k).toMatchObject({ kiosk: true, fullscreen: true, frame: false, closable: false });
    expect(k.webPreferences?.devTools).toBe(false);
  });

  it('is a single instance: a second one quits and brings the first to the front', async () => {
    const second = fakeElectron({ lock: false });
    const { kiosk } = await demoKiosk({ card: demoCard('cccd'), latency: null });
    expect(await runShell(second.e, kiosk, { mode: 'kiosk', autoStart: false })).toBeUndefined();
    expect(second.calls).toContain('quit');
    expect(second.windows).toHaveLength(0);
    const first = await started();
    (first.e.app as unknown as FakeEmitter).emit('second-instance');
    expect(first.windows[0]!.focused).toBe(1);
  });

  it('closes the kiosk before quitting, once', async () => {
    const { e, calls, kiosk } = await started();
    const order: string[] = [];
    const close = kiosk.close.bind(kiosk);
    kiosk.close = async () => {
      order.push('kiosk closing');
      await close();
      order.push('kiosk closed');
    };
    let prevented = 0;
    const quitsBefore = calls.filter((c) => c === 'quit').length;
    (e.app as unknown as FakeEmitter).emit('will-quit', { preventDefault: () => prevented++ });
    await vi.waitFor(() => expect(calls.filter((c) => c === 'quit').length).toBe(quitsBefore + 1));
    expect(prevented).toBe(1);
    expect(order).toEqual(['kiosk closing', 'kiosk closed']);
    // The second will-quit (from that app.quit()) goes through untouched.
    (e.app as unknown as FakeEmitter).emit('will-quit', { preventDefault: () => prevented++ });
    expect(prevented).toBe(1);
    expect(order).toHaveLength(2);
  });

  it('allows only the camera, only for our page', async () => {
    const { session } = await started();
    const ask = (permission: string, url: string, mediaTypes?: string[]) =>
      new Promise<boolean>((resolve) => session.request!(null, permission, resolve, { requestingUrl: url, mediaTypes }));
    expect(await ask('media', 'app://idkiosk/index.html', ['video'])).toBe(true);
    expect(await ask('media', 'app://idkiosk/index.html', ['audio'])).toBe(false);
    expect(await ask('media', 'app://idkiosk/index.html', ['video', 'audio'])).toBe(false);
    expect(await ask('media', 'https://example.org/', ['video'])).toBe(false);
    for (const p of ['geolocation', 'notifications', 'clipboard-read', 'midi', 'hid', 'serial', 'usb', 'openExternal', 'fullscreen']) {
      expect(await ask(p, 'app://idkiosk/index.html')).toBe(false);
    }
    expect(session.check!(null, 'media', 'app://idkiosk', { mediaType: 'video' })).toBe(true);
    expect(session.check!(null, 'geolocation', 'app://idkiosk', {})).toBe(false);
    expect(session.device!({})).toBe(false);
    expect(allowPermission('media', 'file:///etc/passwd', ['video'])).toBe(false);
  });

  it('blocks navigation away, new windows, webviews, and in kiosk mode the escape keys', async () => {
    const { e, FakeWebContents } = await started('kiosk');
    const wc = new FakeWebContents();
    (e.app as unknown as FakeEmitter).emit('web-contents-created', {}, wc);
    expect(wc.openHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    const fire = (name: string, ...args: unknown[]) => {
      let prevented = false;
      wc.emit(name, { preventDefault: () => (prevented = true) }, ...args);
      return prevented;
    };
    expect(fire('will-navigate', 'https://example.org/')).toBe(true);
    expect(fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(fire('will-navigate', 'app://other/index.html')).toBe(true);
    expect(fire('will-navigate', 'app://idkiosk/index.html')).toBe(false);
    expect(fire('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(fire('will-attach-webview')).toBe(true);
    expect(fire('before-input-event', { key: 'F4', alt: true })).toBe(true);
    expect(fire('before-input-event', { key: 'w', control: true })).toBe(true);
    expect(fire('before-input-event', { key: 'I', control: true, shift: true })).toBe(true);
    expect(fire('before-input-event', { key: '5' })).toBe(false);
    expect(isEscapeKey({ key: 'a', control: false, meta: false, alt: false, shift: false })).toBe(false);
  });

  it('serves the renderer on app:// with the strict CSP, and nothing outside it', async () => {
    const { protocolHandlers } = await started();
    const serve = protocolHandlers.get('app')! as (r: { url: string; method: string }) => Promise<Response>;
    const page = await serve({ url: 'app://idkiosk/index.html', method: 'GET' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'none'");
    expect(csp).toContain('img-src');
    expect(csp).not.toContain('unsafe');
    expect(await page.text()).toContain('<script type="module" src="js/main.js">');
    expect((await serve({ url: 'app://idkiosk/../package.json', method: 'GET' })).status).toBe(404);
    expect((await serve({ url: 'app://idkiosk/js/%2e%2e%2fpackage.json', method: 'GET' })).status).toBe(404);
    expect((await serve({ url: 'app://evil/index.html', method: 'GET' })).status).toBe(403);
    expect((await serve({ url: 'app://idkiosk/index.html', method: 'POST' })).status).toBe(405);
  });

  it('answers IPC from our page only, and forwards the kiosk events to the window', async () => {
    const { handlers, windows, reader } = await started();
    const invoke = handlers.get(IPC_REQUEST)! as (ev: unknown, ...a: unknown[]) => Promise<Reply>;
    const ok = await invoke({ senderFrame: { url: 'app://idkiosk/index.html' } }, 'hello', {});
    expect(ok.ok).toBe(true);
    expect(ok.ok && (ok.result as { state: { mode: string } }).state.mode).toBe('demo');
    const evil = await invoke({ senderFrame: { url: 'https://example.org/' } }, 'hello', {});
    expect(evil).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await invoke({ senderFrame: null }, 'hello', {})).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const bad = await invoke({ senderFrame: { url: 'app://idkiosk/index.html' } }, 'accessKey', { kind: 'can', can: '12ab56' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    reader.setPresent(true);
    const sent = windows[0]!.webContents.sent;
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.at(-1)![0]).toBe(IPC_EVENT);
    expect(sent.at(-1)![1]).toMatchObject({ event: 'state', data: { phase: 'need-key', reader: { status: 'card' } } });
  });

  it('the preload stands alone and exposes exactly request and onEvent', () => {
    const source = readFileSync(join(packageRoot(), 'main/electron/preload.cts'), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const exposed: Record<string, unknown> = {};
    const invoked: unknown[][] = [];
    const on: Array<[string, Listener]> = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (k: string, v: unknown) => (exposed[k] = v) },
      ipcRenderer: {
        invoke: async (...a: unknown[]) => {
          invoked.push(a);
          return { ok: true, result: 1 };
        },
        on: (c: string, l: Listener) => on.push([c, l]),
        removeListener: (c: string, l: Listener) => on.splice(on.findIndex(([cc, ll]) => cc === c && ll === l), 1),
      },
    };
    // A sandboxed preload can require electron and nothing of ours.
    const require = (m: string) => {
      if (m === 'electron') return electron;
      throw new Error(`sandboxed preload cannot require ${m}`);
    };
    runInNewContext(js, { require, exports: {}, module: { exports: {} } });
    expect(Object.keys(exposed)).toEqual(['idkiosk']);
    const bridge = exposed.idkiosk as { request: Listener; onEvent: Listener };
    expect(Object.keys(bridge).sort()).toEqual(['onEvent', 'request']);
    void bridge.request('hello', {});
    expect(invoked).toEqual([[IPC_REQUEST, 'hello', {}]]);
    const got: unknown[] = [];
    const off = bridge.onEvent((e: unknown) => got.push(e)) as () => void;
    expect(on[0]![0]).toBe(IPC_EVENT);
    on[0]![1]({ sender: 'electron internals' }, { event: 'state', data: 1 });
    expect(got).toEqual([{ event: 'state', data: 1 }]);
    off();
    expect(on).toHaveLength(0);
  });
});
