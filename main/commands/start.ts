// `idkiosk start` and `idkiosk demo`: the kiosk in an Electron window where its binary
// exists, else the headless host with its URL printed. `demo --once` is the
// non-interactive path (CI, smoke tests): one card placed, one result printed, exit.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Lang } from '../../core/errors.js';
import type { KioskState, Profile } from '../api/contract.js';
import { PROFILES } from '../api/contract.js';
import { startHost } from '../host/server.js';
import { type Kiosk, kioskFor } from '../kiosk/kiosk.js';
import { demoCard, packageRoot } from '../paths.js';
import { usageError } from '../read/run-read.js';
import { VERDICT_WORDS } from '../read/summary.js';
import type { Command } from './command.js';

export interface StartOptions {
  headless: boolean;
  port: number;
  card?: string;
  trust?: string;
  reader?: string;
  dataDir?: string;
  /** The ingest server to forward verifications to (else $IDKIOSK_SYNC_URL, else the enrolled one). */
  sync?: string;
  syncToken?: string;
  demo: boolean;
  autoKey: boolean;
  profile?: Profile;
  kioskMode: boolean;
  once: boolean;
  json: boolean;
  /** Face 1:1 against the camera after each read (off with --no-face, and for --once: no camera there). */
  face: boolean;
  /** A USB-serial QR scanner's port, and its baud rate. */
  qrSerial?: string;
  qrBaud?: number;
}

/** The Electron binary, when `npm ci` was allowed to fetch it; undefined otherwise. */
export function electronBinary(): string | undefined {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function parse(argv: string[], demo: boolean): StartOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      headless: { type: 'boolean' },
      port: { type: 'string' },
      card: { type: 'string' },
      trust: { type: 'string' },
      reader: { type: 'string' },
      'data-dir': { type: 'string' },
      sync: { type: 'string' },
      'sync-token': { type: 'string' },
      profile: { type: 'string' },
      kiosk: { type: 'boolean' },
      'auto-key': { type: 'boolean' },
      'manual-key': { type: 'boolean' },
      once: { type: 'boolean' },
      json: { type: 'boolean' },
      'no-face': { type: 'boolean' },
      'qr-serial': { type: 'string' },
      'qr-baud': { type: 'string' },
    },
    strict: true,
  });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--port takes a number 0..65535', '--port cần một số 0..65535');
  if (values.profile !== undefined && !(PROFILES as readonly string[]).includes(values.profile)) {
    throw usageError(`--profile is one of ${PROFILES.join(', ')}`, `--profile là một trong ${PROFILES.join(', ')}`);
  }
  const qrBaud = values['qr-baud'] === undefined ? undefined : Number(values['qr-baud']);
  if (qrBaud !== undefined && (!Number.isInteger(qrBaud) || qrBaud < 1200 || qrBaud > 4_000_000)) {
    throw usageError('--qr-baud takes a baud rate such as 9600 or 115200', '--qr-baud cần tốc độ baud, ví dụ 9600 hoặc 115200');
  }
  if (qrBaud !== undefined && values['qr-serial'] === undefined) throw usageError('--qr-baud needs --qr-serial PATH', '--qr-baud cần --qr-serial CỔNG');
  if (values.once && !demo && !values.card) throw usageError('--once needs a card: use demo --once or --card DIR', '--once cần thẻ: dùng demo --once hoặc --card THƯ-MỤC');
  return {
    headless: Boolean(values.headless || values.once),
    port,
    card: values.card ?? (demo ? demoCard('cccd') : undefined),
    dataDir: values['data-dir'],
    sync: values.sync,
    syncToken: values['sync-token'],
    reader: values.reader,
    // The demo trusts its own test CSCA, so it shows what a genuine card looks like.
    trust: values.trust ?? (demo && !values.card ? join(packageRoot(), 'drivers/emulator/demo/pki') : undefined),
    demo: demo || values.card !== undefined,
    // A demo opens its own card by itself unless asked to show the prompt; a real card folder (--card) asks.
    autoKey: values['manual-key'] ? false : Boolean(values['auto-key'] || demo || values.once),
    profile: values.profile as Profile | undefined,
    kioskMode: Boolean(values.kiosk),
    once: Boolean(values.once),
    json: Boolean(values.json),
    face: !values['no-face'] && !values.once,
    qrSerial: values['qr-serial'],
    qrBaud,
  };
}

function waitFor(kiosk: Kiosk, done: (s: KioskState) => boolean): Promise<KioskState> {
  return new Promise((resolve) => {
    if (done(kiosk.state)) return resolve(kiosk.state);
    const unsub = kiosk.subscribe((e) => {
      if (e.event === 'state' && done(e.data)) {
        unsub();
        resolve(e.data);
      }
    });
  });
}

const ONCE_WORDS = {
  vi: {
    result: 'Kết quả',
    decision: { accept: 'chấp nhận', reject: 'từ chối', review: 'cần nhân viên xem xét' },
  },
  en: {
    result: 'Result',
    decision: { accept: 'accept', reject: 'reject', review: 'staff review' },
  },
} as const;

async function once(o: StartOptions, lang: Lang): Promise<number> {
  const t0 = performance.now();
  const kiosk = await kioskFor(o);
  const host = await startHost(kiosk);
  const readyMs = performance.now() - t0;
  try {
    const t1 = performance.now();
    await kiosk.handlers.demoCard({ present: true });
    const s = await waitFor(kiosk, (x) => x.phase === 'result' || x.phase === 'error' || x.phase === 'need-key');
    const resultMs = performance.now() - t1;
    const v = s.result;
    if (o.json) {
      const out = v
        ? {
            phase: s.phase,
            decision: v.decision,
            authenticity: v.authenticity,
            biometric: v.biometric,
            record: v.record,
            person: { document: v.person.document, vn: v.person.vn, photo: v.person.photo && ('width' in v.person.photo ? { width: v.person.photo.width, height: v.person.photo.height } : v.person.photo) },
            access: v.access,
            stats: v.stats,
            timings: { hostReadyMs: Math.round(readyMs), cardToResultMs: Math.round(resultMs) },
          }
        : { phase: s.phase, error: s.error ?? s.keyError ?? null };
      process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else if (v) {
      const name = v.person.vn?.fullName ?? `${v.person.document.surname} ${v.person.document.givenNames}`;
      const words = ONCE_WORDS[lang];
      process.stdout.write(
        `${host.url}\n${words.result}: ${name} — ${VERDICT_WORDS[lang][v.authenticity.level]} (${v.authenticity.reason}), ${words.decision[v.decision]}, ${Math.round(resultMs)} ms\n`,
      );
    } else {
      process.stderr.write(`idkiosk: ${(s.error ?? s.keyError)?.messages[lang] ?? s.phase}\n`);
    }
    return v ? 0 : 1;
  } finally {
    await host.close();
    await kiosk.close();
  }
}

async function headless(o: StartOptions, lang: Lang): Promise<number> {
  const kiosk = await kioskFor(o);
  const host = await startHost(kiosk, { port: o.port });
  const note =
    kiosk.state.reader.status === 'no-reader'
      ? lang === 'vi'
        ? '  (Chưa thấy đầu đọc thẻ: kiểm tra pcscd đang chạy và đầu đọc đã cắm — xem idkiosk readers; không có đầu đọc thì dùng idkiosk demo.)\n'
        : '  (No card reader yet: check that pcscd runs and a reader is plugged in — see idkiosk readers; without one, use idkiosk demo.)\n'
      : '';
  process.stdout.write(`${lang === 'vi' ? 'Mở trong trình duyệt' : 'Open in a browser'}: ${host.url}\n${note}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await kiosk.close();
  return 0;
}

async function electron(binary: string, argv: string[]): Promise<number> {
  const entry = join(packageRoot(), 'dist', 'main', 'electron', 'main.js');
  const child = spawn(binary, [entry, ...argv], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function start(argv: string[], lang: Lang, demo: boolean): Promise<number> {
  const o = parse(argv, demo);
  if (o.once) return once(o, lang);
  const binary = o.headless ? undefined : electronBinary();
  if (binary) return electron(binary, demo ? ['--demo', ...argv] : argv);
  return headless(o, lang);
}

export const kioskStartCommand: Command = {
  name: ['start'],
  usage: 'start [--headless] [--port N] [--reader NAME | --card DIR] [--trust DIR] [--data-dir DIR] [--sync URL [--sync-token T]] [--profile airport|residence|hospital|self-service] [--kiosk] [--no-face] [--qr-serial PATH [--qr-baud N]]',
  run: (argv, { lang }) => start(argv, lang, false),
};

export const kioskDemoCommand: Command = {
  name: ['demo'],
  usage: 'demo [--headless] [--port N] [--profile P] [--sync URL [--sync-token T]] [--manual-key] [--no-face] [--qr-serial PATH [--qr-baud N]] [--once [--json]]',
  run: (argv, { lang }) => start(argv, lang, true),
};
