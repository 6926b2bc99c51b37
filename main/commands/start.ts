// `idkiosk start` and `idkiosk demo`: the kiosk in an Electron window where its binary
// exists, else the headless host with its URL printed. `demo --once` is the
// non-interactive path (CI, smoke tests): one card placed, one result printed, exit.
// Options: main/kiosk/options.ts, the one parser every entry shares.
import { spawn } from 'node:child_process';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Lang } from '../../core/errors.js';
import type { KioskState } from '../api/contract.js';
import { startHost } from '../host/server.js';
import { type Kiosk, kioskFor } from '../kiosk/kiosk.js';
import { type StartOptions, kioskLaunch, parseStartOptions, startArgv } from '../kiosk/options.js';
import { followServiceSettings, startKioskService } from '../kiosk/service-run.js';
import { readFile } from 'node:fs/promises';
import { packageRoot } from '../paths.js';
import { VERDICT_WORDS } from '../read/summary.js';
import type { Command } from './command.js';

/** The Electron binary, when `npm ci` was allowed to fetch it; undefined otherwise. */
function electronBinary(): string | undefined {
  try {
    const p = createRequire(import.meta.url)('electron') as unknown;
    return typeof p === 'string' && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

/** The local identity service: on the port `--api-port` says, else as Settings say (off by default). */
async function withApi(kiosk: Kiosk, o: StartOptions, lang: Lang): Promise<void> {
  if (!o.api) {
    await followServiceSettings(kiosk, { log: (l) => process.stderr.write(`idkiosk: ${l}\n`) }).settled();
    return;
  }
  const tls = o.api.cert && o.api.key ? { cert: await readFile(o.api.cert), key: await readFile(o.api.key) } : undefined;
  const s = await startKioskService(kiosk, { port: o.api.port, host: o.api.host, tls });
  process.stdout.write(`${lang === 'vi' ? 'Dịch vụ cho phần mềm quầy' : 'Service for the counter software'}: ${s.url}/v1\n`);
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
  const kiosk = await kioskFor(kioskLaunch(o));
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
  const kiosk = await kioskFor(kioskLaunch(o));
  try {
    await withApi(kiosk, o, lang);
  } catch (e) {
    await kiosk.close();
    throw e;
  }
  const host = await startHost(kiosk, { port: o.port });
  const note =
    kiosk.state.reader.status === 'no-reader'
      ? lang === 'vi'
        ? '  (Chưa thấy đầu đọc thẻ: kiểm tra pcscd đang chạy và đầu đọc đã cắm — xem idkiosk readers; không có đầu đọc thì dùng idkiosk demo.)\n'
        : '  (No card reader yet: check that pcscd runs and a reader is plugged in — see idkiosk readers; without one, use idkiosk demo.)\n'
      : '';
  process.stdout.write(`${lang === 'vi' ? 'Mở trong trình duyệt' : 'Open in a browser'}: ${host.url}\n${note}`);
  if (o.urlFile) writeUrlFile(o.urlFile, host.url);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await kiosk.close();
  return 0;
}

/** What `start` runs under Electron: its entry and the options as they were parsed here. */
export function electronArgs(o: StartOptions): string[] {
  return [join(packageRoot(), 'dist', 'main', 'electron', 'main.js'), ...startArgv(o)];
}

/** The URL with its token for a local browser launcher: written whole (temporary file, rename), readable by owner and group only. */
function writeUrlFile(path: string, url: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${url}\n`, { mode: 0o640 });
  renameSync(tmp, path);
}

async function electron(binary: string, o: StartOptions): Promise<number> {
  const child = spawn(binary, electronArgs(o), { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function start(argv: string[], lang: Lang, demo: boolean): Promise<number> {
  const o = parseStartOptions(argv, { demo });
  if (o.once) return once(o, lang);
  const binary = o.headless ? undefined : electronBinary();
  if (binary) return electron(binary, o);
  return headless(o, lang);
}

export const kioskStartCommand: Command = {
  name: ['start'],
  usage: 'start [--headless] [--port N] [--url-file FILE] [--reader NAME | --card DIR] [--trust DIR] [--data-dir DIR] [--sync URL [--sync-token T]] [--profile airport|residence|hospital|self-service] [--kiosk] [--auto-start] [--no-face] [--qr-serial PATH [--qr-baud N]] [--api-port N [--api-host ADDR --api-cert FILE --api-key FILE]]',
  run: (argv, { lang }) => start(argv, lang, false),
};

export const kioskDemoCommand: Command = {
  name: ['demo'],
  usage: 'demo [--headless] [--port N] [--card DIR] [--trust DIR] [--data-dir DIR] [--profile P] [--sync URL [--sync-token T]] [--kiosk] [--manual-key] [--no-face] [--qr-serial PATH [--qr-baud N]] [--api-port N] [--once [--json]]',
  run: (argv, { lang }) => start(argv, lang, true),
};
