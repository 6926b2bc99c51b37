// A private pcscd for integration tests, with vsmartcard's vpcd reader driver, and thin
// wrappers around third-party PC/SC clients from pcsc-tools (pcsc_scan, scriptor), so the
// tests check our emulator the way any other PC/SC application would see it.
//
// pcscd's socket path is fixed (/run/pcscd/pcscd.comm): one pcscd per machine. Integration
// test files therefore run one at a time (vitest.config.ts, project "integration").
// Missing packages fail the test with the apt-get line to run; nothing is skipped.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
export const PCSCD_PIDFILE = '/run/pcscd/pcscd.pid';
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const READER_CONF_DIR = '/etc/reader.conf.d';
const PATH_DIRS = (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat('/usr/sbin', '/sbin');

function which(cmd: string): string | undefined {
  for (const d of PATH_DIRS) {
    const p = `${d}/${cmd}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

export interface VpcdConfig {
  /** vpcd's first TCP port (slot 0); slot n listens on port + n. */
  port: number;
  /** pcscd's reader name for slot 0, e.g. "Virtual PCD 00 00". */
  reader: string;
  /** pcscd's reader name for slot 1. */
  reader1: string;
}

/** vpcd's reader.conf entry: FRIENDLYNAME "Virtual PCD", DEVICENAME /dev/null:0x8C7B (server mode, port 35963). */
export function vpcdConfig(): VpcdConfig {
  const files = existsSync(READER_CONF_DIR) ? readdirSync(READER_CONF_DIR).map((f) => `${READER_CONF_DIR}/${f}`) : [];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    if (!/^\s*LIBPATH\s+\S*libifdvpcd\.so/m.test(text)) continue;
    const name = /^\s*FRIENDLYNAME\s+"([^"]+)"/m.exec(text)?.[1] ?? 'Virtual PCD';
    const dev = /^\s*DEVICENAME\s+(\S+)/m.exec(text)?.[1] ?? '';
    const portText = dev.split(':').at(-1) ?? '';
    const port = /^0x[0-9a-f]+$/i.test(portText) ? parseInt(portText, 16) : /^\d+$/.test(portText) ? Number(portText) : 35963;
    return { port, reader: `${name} 00 00`, reader1: `${name} 00 01` };
  }
  throw missing(`no reader.conf entry for vpcd (libifdvpcd.so) in ${READER_CONF_DIR}`);
}

function missing(what: string): Error {
  return new Error(
    `PC/SC integration tests need a real pcscd with the vpcd virtual reader: ${what}. ` +
      `Install the Debian packages: apt-get install pcscd vsmartcard-vpcd pcsc-tools (as .ci/run does).`,
  );
}

/** Throws, naming the Debian packages, when pcscd, vpcd or the pcsc-tools clients are missing. */
export function requirePcscTools(): { pcscd: string; config: VpcdConfig } {
  const pcscd = which('pcscd');
  if (!pcscd) throw missing('the pcscd binary is not installed (package pcscd)');
  if (!existsSync(VPCD_DRIVER)) throw missing(`${VPCD_DRIVER} is missing (package vsmartcard-vpcd)`);
  for (const tool of ['pcsc_scan', 'scriptor']) {
    if (!which(tool)) throw missing(`${tool} is not installed (package pcsc-tools)`);
  }
  return { pcscd, config: vpcdConfig() };
}

function processAlive(pid: number): boolean {
  try {
    // A zombie still answers kill(pid, 0); /proc tells it apart.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(path)) return resolve(false);
    const s = connect(path);
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}

/** The pid of a pcscd already serving the machine's socket, or undefined. */
export async function runningPcscd(): Promise<number | 'unknown' | undefined> {
  let pid: number | undefined;
  try {
    // pcscd writes "PID\n\0".
    pid = parseInt(readFileSync(PCSCD_PIDFILE, 'latin1'), 10) || undefined;
  } catch {
    pid = undefined;
  }
  if (pid !== undefined && processAlive(pid)) return pid;
  if (await socketAnswers(PCSCD_SOCKET)) return pid ?? 'unknown';
  return undefined;
}

export interface Exec {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command with a hard timeout (then SIGKILL); never rejects on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Exec> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')}: no answer within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Thrown by a `waitFor` probe to stop waiting at once (other errors are retried). */
export class GiveUp extends Error {}

/** Polls `probe` until it returns a value other than undefined, or fails naming `what`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

/** pcsc_scan -r: the reader names pcscd reports (throws when pcscd does not answer). */
export async function listReaders(): Promise<string[]> {
  const r = await run('pcsc_scan', ['-r'], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`pcsc_scan -r exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+(.*\S)\s*$/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

export interface ReaderState {
  present: boolean;
  /** ATR as upper-case hex bytes separated by spaces, when a card is present. */
  atr?: string;
  state: string;
}

/** pcsc_scan -c -n: one snapshot of every reader's card state, as pcscd reports it. */
export async function readerStates(): Promise<Map<string, ReaderState>> {
  const r = await run('pcsc_scan', ['-c', '-n'], { timeoutMs: 5000 });
  if (r.code !== 0) throw new Error(`pcsc_scan -c exited ${r.code}: ${r.stderr.trim() || r.stdout.trim()}`);
  // eslint-disable-next-line no-control-regex
  const text = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const out = new Map<string, ReaderState>();
  let current: ReaderState | undefined;
  for (const line of text.split('\n')) {
    const reader = /^\s*Reader \d+:\s+(.*\S)\s*$/.exec(line);
    if (reader) {
      current = { present: false, state: '' };
      out.set(reader[1]!, current);
      continue;
    }
    const state = /^\s*Card state:\s*(.*)$/.exec(line);
    if (state && current) {
      current.state = state[1]!.trim();
      current.present = /Card inserted/i.test(current.state);
      continue;
    }
    const atr = /^\s*ATR:\s*([0-9A-Fa-f ]+)$/.exec(line);
    if (atr && current) current.atr = atr[1]!.trim().toUpperCase();
  }
  return out;
}

export interface Exchange {
  command: string;
  /** The response data and status word, as bytes. */
  response: Uint8Array;
  sw: number;
  data: Uint8Array;
}

function hexBytes(s: string): Uint8Array {
  const t = s.trim().split(/\s+/).filter(Boolean);
  return Uint8Array.from(t.map((b) => parseInt(b, 16)));
}

/**
 * Sends APDUs through scriptor (pcsc-tools) on one reader, in one card connection.
 * Throws when scriptor cannot connect (no card, no reader) or gives fewer answers than commands.
 */
export async function scriptor(reader: string, apdus: string[], timeoutMs = 15_000): Promise<Exchange[]> {
  const r = await run('scriptor', ['-r', reader], { input: apdus.join('\n') + '\n', timeoutMs });
  const out: Exchange[] = [];
  let command: string | undefined;
  let collecting: string[] | undefined;
  const finish = (): void => {
    if (collecting && command !== undefined) {
      const response = hexBytes(collecting.join(' '));
      const n = response.length;
      const sw = n >= 2 ? (response[n - 2]! << 8) | response[n - 1]! : -1;
      out.push({ command, response, sw, data: response.subarray(0, Math.max(0, n - 2)) });
    }
    collecting = undefined;
  };
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('> ')) {
      finish();
      command = line.slice(2).trim();
    } else if (line.startsWith('< ')) {
      finish();
      collecting = [];
      const body = line.slice(2);
      const colon = body.indexOf(':');
      collecting.push(colon >= 0 ? body.slice(0, colon) : body);
      if (colon >= 0) finish();
    } else if (collecting) {
      // A long response continues on the next lines, 16 bytes each, then ": meaning".
      const colon = line.indexOf(':');
      collecting.push(colon >= 0 ? line.slice(0, colon) : line);
      if (colon >= 0) finish();
    }
  }
  finish();
  if (out.length !== apdus.length) {
    throw new Error(
      `scriptor on "${reader}" answered ${out.length} of ${apdus.length} APDUs (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  return out;
}

export interface Pcscd {
  /** Whether this is a pcscd that was already running (IDKIOSK_REUSE_PCSCD=1); stop() leaves it alone. */
  readonly reused: boolean;
  readonly pid: number | undefined;
  readonly config: VpcdConfig;
  /** Whether our pcscd child is still running (always true for a reused one). */
  alive(): boolean;
  /** The last part of pcscd's log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const LOG_KEEP = 64 * 1024;

/**
 * Starts `pcscd --foreground --debug` as a child and waits until it lists vpcd's readers.
 * A pcscd already running makes this fail with what to do, unless IDKIOSK_REUSE_PCSCD=1.
 */
export async function startPcscd(opts: { timeoutMs?: number } = {}): Promise<Pcscd> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const { pcscd, config } = requirePcscTools();
  const other = await runningPcscd();
  if (other !== undefined) {
    if (process.env.IDKIOSK_REUSE_PCSCD === '1') {
      const reader = async (): Promise<true | undefined> => ((await listReaders()).includes(config.reader) ? true : undefined);
      await waitFor(`the running pcscd (pid ${other}) to list "${config.reader}"`, reader, timeoutMs);
      const pid = typeof other === 'number' ? other : undefined;
      return { reused: true, pid, config, alive: () => pid === undefined || processAlive(pid), log: () => '', stop: async () => undefined };
    }
    throw new Error(
      `a pcscd is already running (pid ${other}, socket ${PCSCD_SOCKET}); there can be only one per machine. ` +
        `Stop it (${typeof other === 'number' ? `kill ${other}` : 'find it with ps'}) so the integration tests start their own, or set IDKIOSK_REUSE_PCSCD=1 to use it ` +
        `(it must have vsmartcard-vpcd's reader and no other virtual card connected).`,
    );
  }

  const child: ChildProcess = spawn(pcscd, ['--foreground', '--debug'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onLog = (d: string): void => {
    log += d;
    if (log.length > 2 * LOG_KEEP) log = log.slice(-LOG_KEEP);
  };
  child.stdout!.setEncoding('utf8').on('data', onLog);
  child.stderr!.setEncoding('utf8').on('data', onLog);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (e) => {
      spawnError = e;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  const tail = (): string => log.slice(-4000);

  const handle: Pcscd = {
    reused: false,
    pid: child.pid,
    config,
    alive: () => exited === undefined,
    log: () => log.slice(-LOG_KEEP),
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exit;
      clearTimeout(t);
      // pcscd removes its socket on a clean exit; wait so the next file's pcscd finds none.
      await waitFor('pcscd to remove its socket', async () => (existsSync(PCSCD_SOCKET) ? undefined : true), 3000).catch(() => undefined);
    },
  };

  try {
    await waitFor(
      `pcscd to list vpcd's reader "${config.reader}"`,
      async () => {
        if (exited) {
          throw new GiveUp(
            spawnError
              ? `pcscd could not start: ${spawnError.message}`
              : `pcscd exited (code ${exited.code}, signal ${exited.signal}) during start-up; its log:\n${tail()}`,
          );
        }
        if (!existsSync(PCSCD_SOCKET)) return undefined;
        return (await listReaders()).includes(config.reader) ? true : undefined;
      },
      timeoutMs,
    );
  } catch (e) {
    await handle.stop();
    const err = e as Error;
    if (err instanceof GiveUp) throw err;
    throw new Error(`${err.message}\npcscd log:\n${tail()}`, { cause: e });
  }
  return handle;
}
