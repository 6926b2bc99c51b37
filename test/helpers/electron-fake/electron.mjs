// A fake `electron` module for running main/electron/main.js as a real process (the Electron
// binary cannot be downloaded here). It speaks the parts of Electron's interface the shell
// uses, and talks to the test over stdio: it reports on stdout as `@fake {json}` lines and
// takes commands from stdin, one JSON object a line:
//   {"call": method, "params": {…}}  -> the IPC request as the page's preload sends it
//   {"fetch": "app://idkiosk/…"}     -> the app:// protocol handler
//   {"quit": true}                   -> app.quit(), as closing the last window does
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

// Electron started as `electron main.js …` marks itself the default app; main.js relies on it.
process.defaultApp = true;

export function report(o) {
  process.stdout.write(`@fake ${JSON.stringify(o)}\n`);
}

const app = new EventEmitter();
let quitting = false;
Object.assign(app, {
  isPackaged: false,
  requestSingleInstanceLock: () => true,
  whenReady: async () => undefined,
  setLoginItemSettings: (s) => report({ loginItem: s }),
  quit() {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    if (!quitting) app.emit('will-quit', event);
    if (event.defaultPrevented) { quitting = true; return; }
    report({ exit: 0 });
    process.exit(0);
  },
});

const handlers = new Map();
let protocolHandler;

class WebContents extends EventEmitter {
  send(channel, event) { report({ send: channel, event: event?.event }); }
  isDestroyed() { return false; }
  setWindowOpenHandler() {}
}

class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.webContents = new WebContents();
    app.emit('web-contents-created', {}, this.webContents);
    report({ window: { kiosk: options.kiosk ?? false, webPreferences: { ...options.webPreferences, preload: String(options.webPreferences?.preload ?? '') } } });
  }
  async loadURL(url) { report({ loadURL: url }); this.emit('ready-to-show'); }
  isMinimized() { return false; }
  restore() {}
  focus() {}
  show() {}
}

const safeStorage = {
  // A Linux desktop without a keyring: Electron's safeStorage falls back to plain text.
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => 'basic_text',
  encryptString: (s) => Buffer.from(s, 'utf8'),
  decryptString: (b) => Buffer.from(b).toString('utf8'),
};

const electron = {
  app,
  BrowserWindow,
  safeStorage,
  protocol: {
    registerSchemesAsPrivileged: (s) => report({ schemes: s }),
    handle: (scheme, h) => { protocolHandler = h; report({ protocol: scheme }); },
  },
  session: { defaultSession: { setPermissionRequestHandler() {}, setPermissionCheckHandler() {}, setDevicePermissionHandler() {} } },
  ipcMain: { handle: (c, h) => handlers.set(c, h), removeHandler: (c) => handlers.delete(c) },
};

createInterface({ input: process.stdin }).on('line', async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.quit) return app.quit();
  if (cmd.fetch) {
    const res = await protocolHandler({ url: cmd.fetch, method: 'GET' });
    return report({ fetched: cmd.fetch, status: res.status, csp: res.headers.get('content-security-policy'), body: (await res.text()).slice(0, 200) });
  }
  const h = handlers.get('idkiosk:request');
  const reply = h ? await h({ senderFrame: { url: 'app://idkiosk/index.html' } }, cmd.call, cmd.params ?? {}) : { ok: false, error: { code: 'NO_HANDLER' } };
  report({ id: cmd.id, reply });
});

export default electron;
