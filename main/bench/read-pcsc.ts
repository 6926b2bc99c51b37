// `npm run bench read-pcsc`: the same full read through the real stack (our transport ->
// libpcsclite -> pcscd -> vpcd -> `idkiosk emulate` in its own process) against the
// in-process read, as a ratio, and what the stack costs per APDU; then against a third-party
// PC/SC client, pcsc-tools' `scriptor` (Perl over libpcsclite), sending the same number of
// APDUs through the same pcscd + vpcd, so the figure shows what is ours and what is vpcd's.
// Uses the pcscd already running with vpcd's reader, or starts a private one (and stops it)
// when none runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdkError } from '../../core/errors.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { listReaders } from '../../drivers/pcsc/readers.js';
import { PcscTransport } from '../../drivers/pcsc/transport.js';
import type { Figure } from './figure.js';
import { demoCard, packageRoot } from '../paths.js';

const ROUNDS = 3;

function benchFailure(en: string, vi: string): IdkError {
  return new IdkError('BENCH_NEEDS_PCSCD', { vi: `Benchmark read-pcsc: ${vi}`, en: `Benchmark read-pcsc: ${en}` });
}

/** vpcd's first slot as configured in /etc/reader.conf.d (FRIENDLYNAME, DEVICENAME host:port). */
function vpcdSlot(): { reader: string; port: number } {
  const dir = '/etc/reader.conf.d';
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (!/libifdvpcd\.so/.test(text)) continue;
    const name = /^\s*FRIENDLYNAME\s+"([^"]+)"/m.exec(text)?.[1] ?? 'Virtual PCD';
    const port = /^\s*DEVICENAME\s+\S*:(0x[0-9a-f]+|\d+)/im.exec(text)?.[1];
    return { reader: `${name} 00 00`, port: port ? Number(port) : 35963 };
  }
  throw benchFailure(
    'vpcd is not configured: apt-get install pcscd vsmartcard-vpcd',
    'chưa cấu hình vpcd: apt-get install pcscd vsmartcard-vpcd',
  );
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw benchFailure(`timed out waiting for ${what}`, `hết thời gian chờ ${what}`);
    await sleep(50);
  }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}

/**
 * Sends `n` plain APDUs with scriptor (SELECT EF.CardAccess, then READ BINARYs of 4 bytes:
 * free-read, so no secure messaging is needed) and times its answers as they arrive (`-u`:
 * unbuffered). Per APDU: first answer to last over n - 1, so Perl's start-up and the connect
 * are not counted against it.
 */
async function scriptorPerApdu(reader: string, n: number): Promise<number> {
  const commands = ['00 A4 02 0C 02 01 1C', ...Array.from({ length: n - 1 }, () => '00 B0 00 00 04')];
  const child = spawn('scriptor', ['-u', '-r', reader], { stdio: ['pipe', 'pipe', 'pipe'] });
  const answers: number[] = [];
  let statusOk = 0;
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const now = performance.now();
    pending += chunk.toString('latin1');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('< ')) continue;
      answers.push(now);
      if (/ 90 00 : /.test(l)) statusOk++;
    }
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
  child.stdin.end(commands.join('\n') + '\n');
  const code = await exited.catch((e: unknown) => {
    throw benchFailure(`scriptor did not start (${String(e)}): apt-get install pcsc-tools`, `không chạy được scriptor: apt-get install pcsc-tools`);
  });
  // Every command must have been answered 9000, or the timing is of something else.
  if (code !== 0 || answers.length !== n || statusOk !== n) {
    throw benchFailure(`scriptor answered ${answers.length}/${n} (${statusOk} with 9000), exit ${code}: ${stderr.trim().slice(0, 200)}`, `scriptor trả lời ${answers.length}/${n}`);
  }
  return (answers[n - 1]! - answers[0]!) / (n - 1);
}

export async function benchReadPcsc(): Promise<Figure[]> {
  const { reader, port } = vpcdSlot();
  let pcscd: ChildProcess | undefined;
  let emulator: ChildProcess | undefined;
  try {
    const up = await listReaders().then(
      (r) => r.some((x) => x.name === reader),
      () => false,
    );
    if (!up) {
      if (existsSync('/run/pcscd/pcscd.comm')) {
        throw benchFailure(`a pcscd runs without "${reader}": restart it with vsmartcard-vpcd installed`, `pcscd đang chạy mà không có "${reader}"`);
      }
      pcscd = spawn('pcscd', ['--foreground'], { stdio: 'ignore' });
      pcscd.once('error', () => undefined);
      await until('pcscd to list vpcd', async () => ((await listReaders()).some((x) => x.name === reader) ? true : undefined), 10_000).catch(() => {
        throw benchFailure('pcscd is not installed or does not start: apt-get install pcscd vsmartcard-vpcd', 'pcscd chưa cài hoặc không chạy được');
      });
    }
    const dir = demoCard('cccd');
    const cli = join(packageRoot(), 'dist/main/cli.js');
    emulator = spawn(process.execPath, [cli, 'emulate', '--card', dir, '--vpcd', `127.0.0.1:${port}`], { stdio: 'ignore' });
    await until('the emulated card', async () => ((await listReaders()).find((x) => x.name === reader)?.present ? true : undefined), 10_000);

    const card = await loadCardFolder(dir);
    const access = { kind: 'can', can: card.secrets.can! } as const;
    // Warm up both paths once: module loading and curve tables are not per-read costs.
    await readDocument(new SoftwareChip(card), { access });
    let apdus = 0;
    const once = async <T>(f: () => Promise<T>) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const viaPcsc = async () => {
      const t = await PcscTransport.connect(reader);
      try {
        apdus = (await readDocument(t, { access })).stats.apdus;
      } finally {
        await t.close();
      }
    };
    await viaPcsc();
    let local = Infinity;
    let remote = Infinity;
    for (let i = 0; i < ROUNDS; i++) {
      local = Math.min(local, await once(() => readDocument(new SoftwareChip(card), { access })));
      remote = Math.min(remote, await once(viaPcsc));
    }
    let scriptor = Infinity;
    for (let i = 0; i < ROUNDS; i++) scriptor = Math.min(scriptor, await scriptorPerApdu(reader, apdus));
    return [
      { name: 'read through pcscd+vpcd', value: remote, limit: local, unit: 'ms', note: `best of ${ROUNDS}; in-process read is the limit; ${apdus} APDUs` },
      { name: 'pcscd+vpcd cost per APDU', value: (remote - local) / apdus, limit: local / apdus, unit: 'ms', note: 'stack cost per APDU vs in-process time per APDU' },
      {
        name: 'read per APDU vs scriptor',
        value: remote / apdus,
        limit: scriptor,
        unit: 'ms',
        note: `our whole read (connect, PACE, SM, close) per APDU against pcsc-tools' scriptor sending ${apdus} plain APDUs through the same pcscd+vpcd (first to last answer, best of ${ROUNDS})`,
      },
    ];
  } finally {
    await stop(emulator);
    await stop(pcscd);
  }
}
