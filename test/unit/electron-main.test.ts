// main/electron/main.ts as a real process (plain Node; `electron` resolved to the fake in
// test/helpers/electron-fake/, which speaks the shell's part of Electron's interface over
// stdio). The argv is what `idkiosk start`/`demo` hands the Electron binary; the test checks
// that kioskFor received exactly what the headless path passes for the same command line,
// and that the options act: demo trust (a genuine card), profile, data dir, sync server, QR
// scanner, kiosk window.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { electronArgs } from '../../main/commands/start.js';
import { kioskLaunch, parseStartOptions, startArgv } from '../../main/kiosk/options.js';
import { packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';

const REGISTER = join(packageRoot(), 'test/helpers/electron-fake/register.mjs');
const MAIN = join(packageRoot(), 'dist/main/electron/main.js');

type Report = Record<string, unknown>;

class ElectronMain {
  readonly reports: Report[] = [];
  stderr = '';
  private waiters: Array<() => void> = [];
  private next = 1;
  readonly exited: Promise<number>;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('@fake ')) return;
      this.reports.push(JSON.parse(line.slice(6)) as Report);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  }

  async report(pred: (r: Report) => boolean, what: string, ms = 30_000): Promise<Report> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = this.reports.find(pred);
      if (r) return r;
      if (Date.now() > deadline) throw new Error(`no ${what} from main.js; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async call<T = Record<string, unknown>>(call: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    this.child.stdin.write(JSON.stringify({ id, call, params }) + '\n');
    const r = (await this.report((x) => x.id === id, `reply to ${call}`)) as { reply: { ok: boolean; result: T; error?: unknown } };
    if (!r.reply.ok) throw new Error(`${call}: ${JSON.stringify(r.reply.error)}`);
    return r.reply.result;
  }

  send(o: Record<string, unknown>): void {
    this.child.stdin.write(JSON.stringify(o) + '\n');
  }
}

let running: ElectronMain | undefined;

function startMain(args: string[], env: NodeJS.ProcessEnv = {}): ElectronMain {
  const child = spawn(process.execPath, ['--import', REGISTER, ...args], { env: { ...process.env, IDKIOSK_LANG: 'en', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  running = new ElectronMain(child);
  return running;
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" (npm test does it first)`);
});

afterEach(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill('SIGKILL');
    await running.exited;
  }
  running = undefined;
});

function stripFunctions(o: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
}

describe('the Electron entry (main.ts) as a process', () => {
  it('demo: kioskFor gets every option the headless path gets, and they act', async () => {
    const dataDir = tempDir('idk-electron-data-');
    const argv = ['--data-dir', dataDir, '--profile', 'hospital', '--sync', 'http://127.0.0.1:9/', '--sync-token', 'enrol-me', '--qr-serial', join(dataDir, 'no-such-tty'), '--qr-baud', '115200', '--no-face', '--kiosk'];
    const o = parseStartOptions(argv, { demo: true });
    const args = electronArgs(o);
    expect(args[0]).toBe(MAIN);
    const m = startMain(args);
    const got = (await m.report((r) => 'kioskFor' in r, 'kioskFor call')).kioskFor as Record<string, unknown>;
    // Electron adds only how the device key is protected; every command-line option is the headless path's.
    const { keys, ...launch } = got;
    expect(launch).toEqual(stripFunctions({ ...kioskLaunch(o) }));
    expect(launch).toMatchObject({ trust: join(packageRoot(), 'drivers/emulator/demo/pki'), dataDir, profile: 'hospital', face: false, qrBaud: 115200, autoKey: true });
    // The fake's safeStorage is Linux's plain-text backend: the key goes to the 0600 file, said loudly.
    expect(keys).toEqual({ warn: '[function warn]' });

    const win = (await m.report((r) => 'window' in r, 'window')).window as { kiosk: boolean; webPreferences: Record<string, unknown> };
    expect(win.kiosk).toBe(true);
    expect(win.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    await m.report((r) => 'loadURL' in r, 'page load');

    const hello = await m.call<{ settings: { profile: string } }>('hello');
    expect(hello.settings.profile).toBe('hospital');
    await m.call('demoCard', { present: true });
    let state: { phase: string; result?: { authenticity: { level: string } } } | undefined;
    for (let i = 0; i < 100 && state?.phase !== 'result'; i++) {
      state = (await m.call<{ state: typeof state }>('hello')).state;
      if (state?.phase !== 'result') await new Promise((r) => setTimeout(r, 100));
    }
    // The demo's trust store reached the kiosk: the demo card is genuine under Electron too.
    expect(state?.result?.authenticity.level).toBe('green');
    const status = await m.call<{ devices: Array<{ kind: string; name: string }>; store: { available: boolean; server?: string } }>('status');
    expect(status.store).toMatchObject({ available: true, server: 'http://127.0.0.1:9/' });
    expect(status.devices.find((d) => d.kind === 'qr')?.name).toContain('no-such-tty');
    expect(existsSync(join(dataDir, 'demo', 'events.sqlite'))).toBe(true);

    const page = await (async () => {
      m.send({ fetch: 'app://idkiosk/index.html' });
      return (await m.report((r) => 'fetched' in r, 'app:// page')) as { status: number; csp: string };
    })();
    expect(page.status).toBe(200);
    expect(page.csp).toContain("script-src 'self'");

    m.send({ quit: true });
    expect(await m.exited).toBe(0);
  });

  it('live start: reader, trust and data dir reach kioskFor', async () => {
    const dataDir = tempDir('idk-electron-data-');
    const trust = join(packageRoot(), 'drivers/emulator/demo/pki');
    const o = parseStartOptions(['--reader', 'Virtual PCD 00 00', '--trust', trust, '--data-dir', dataDir, '--profile', 'airport'], { demo: false });
    const m = startMain(electronArgs(o));
    const { keys: _keys, ...launch } = (await m.report((r) => 'kioskFor' in r, 'kioskFor call')).kioskFor as Record<string, unknown>;
    expect(launch).toEqual(stripFunctions({ ...kioskLaunch(o) }));
    expect(launch).toMatchObject({ reader: 'Virtual PCD 00 00', trust, dataDir, face: true, autoKey: false });
    expect(launch.card).toBeUndefined();
    m.send({ quit: true });
    expect(await m.exited).toBe(0);
  });

  it('a bad option is one line with its code, and the process ends', async () => {
    const m = startMain([MAIN, '--profile', 'casino']);
    expect(await m.exited).toBe(2);
    expect(m.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^idkiosk: --profile is one of .* \[BAD_ARGUMENTS\]$/)]);
  });
});

describe('the options contract', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['demo', [], true],
    ['demo, manual key, own card, trust', ['--manual-key', '--card', '/tmp/card', '--trust', '/tmp/trust'], true],
    ['demo once json', ['--once', '--json'], true],
    ['start live', ['--reader', 'R', '--url-file', '/run/idkiosk/url', '--data-dir', '/d', '--sync', 'http://h/', '--sync-token', 't', '--profile', 'self-service', '--qr-serial', '/dev/ttyACM0', '--qr-baud', '9600', '--kiosk', '--auto-start', '--port', '8080', '--headless', '--no-face'], false],
    ['start card', ['--card', '/tmp/card'], false],
    ['start card auto-key', ['--card', '/tmp/card', '--auto-key'], false],
  ];
  for (const [name, argv, demo] of cases) {
    it(`${name}: the argv handed to Electron parses back to the same options`, () => {
      const o = parseStartOptions(argv, { demo });
      expect(parseStartOptions(startArgv(o), { demo: false })).toEqual(o);
    });
  }

  it('refuses what cannot go together, in both languages', () => {
    for (const [argv, demo] of [[['--reader', 'R'], true], [['--auto-key', '--manual-key'], false], [['--qr-baud', '9600'], false], [['--once'], false]] as const) {
      let err: unknown;
      try {
        parseStartOptions([...argv], { demo });
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'BAD_ARGUMENTS' });
      expect((err as { messages: { vi: string } }).messages.vi).toBeTruthy();
    }
  });
});
