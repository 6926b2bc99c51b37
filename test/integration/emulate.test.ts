// `idkiosk emulate` as any PC/SC application sees it: a private pcscd with vsmartcard's
// vpcd reader, our CLI plugging the software chip into it, and pcsc-tools' scriptor and
// pcsc_scan (third-party clients) talking to the card through pcscd.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCard, packageRoot } from '../../main/paths.js';
import { type Pcscd, GiveUp, listReaders, readerStates, scriptor, startPcscd, waitFor } from './pcscd.js';

const CLI = join(packageRoot(), 'dist/main/cli.js');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

interface Emulator {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: () => Promise<void>;
}

const emulators = new Set<Emulator>();
let pcscd: Pcscd | undefined;

function reader(): string {
  if (!pcscd) throw new Error('pcscd did not start (see beforeAll)');
  return pcscd.config.reader;
}

/** Runs `idkiosk emulate --card DIR` and waits until pcscd reports the card in the reader. */
async function emulate(dir: string): Promise<Emulator> {
  if (!pcscd) throw new Error('pcscd did not start (see beforeAll)');
  const child = spawn(process.execPath, [CLI, 'emulate', '--card', dir, '--vpcd', `127.0.0.1:${pcscd.config.port}`], {
    env: { ...process.env, IDKIOSK_LANG: 'en' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.resume();
  let done: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve((done = { code, signal }))),
  );
  const emu: Emulator = {
    child,
    stderr: () => err,
    exited,
    async stop() {
      if (!done) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      emulators.delete(emu);
    },
  };
  emulators.add(emu);
  const r = reader();
  await waitFor(
    `the emulated card (${dir}) to appear in "${r}"`,
    async () => {
      if (done) throw new GiveUp(`idkiosk emulate exited (code ${done.code}, signal ${done.signal}): ${err}`);
      return (await readerStates()).get(r)?.present ? true : undefined;
    },
    15_000,
  ).catch(async (e: Error) => {
    await emu.stop();
    throw new Error(`${e.message}\nemulator stderr: ${err}\npcscd log:\n${pcscd?.log().slice(-3000)}`);
  });
  return emu;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does it before vitest)`);
  pcscd = await startPcscd();
}, 30_000);

afterAll(async () => {
  for (const e of [...emulators]) await e.stop();
  await pcscd?.stop();
}, 30_000);

describe('idkiosk emulate through pcscd + vpcd (CCCD demo card)', () => {
  let emu: Emulator;
  const cccd = demoCard('cccd');

  beforeAll(async () => {
    expect(await listReaders()).toEqual(expect.arrayContaining([reader()]));
    emu = await emulate(cccd);
  }, 30_000);

  it('is reported by pcscd with the contactless ATR 3B 80 80 01 01', async () => {
    const state = (await readerStates()).get(reader());
    expect(state?.present).toBe(true);
    expect(state?.atr).toBe('3B 80 80 01 01');
  });

  it('serves EF.CardAccess without access control, byte for byte as in the card folder', async () => {
    const file = new Uint8Array(await readFile(join(cccd, 'EF.CardAccess.bin')));
    expect(file.length).toBeGreaterThan(0);
    expect(file.length).toBeLessThan(256);
    const len = file.length.toString(16).padStart(2, '0');
    const [select, read, readAll] = await scriptor(reader(), ['00 A4 02 0C 02 01 1C', `00 B0 00 00 ${len}`, '00 B0 00 00 00']);
    expect(select!.sw).toBe(0x9000);
    expect(read!.sw).toBe(0x9000);
    expect(hex(read!.data)).toBe(hex(file));
    // Le = 256 on a shorter file: all of it, with "end of file reached before Le bytes".
    expect([0x9000, 0x6282]).toContain(readAll!.sw);
    expect(hex(readAll!.data)).toBe(hex(file));
  });

  it('refuses the MF and, without PACE, the eMRTD files (6982 security status not satisfied)', async () => {
    const [mf, app, selectDg1, readDg1] = await scriptor(reader(), [
      '00 A4 00 0C 02 3F 00',
      '00 A4 04 0C 07 A0 00 00 02 47 10 01',
      '00 A4 02 0C 02 01 01',
      '00 B0 81 00 00',
    ]);
    expect(mf!.sw).toBe(0x6a82);
    expect(app!.sw).toBe(0x9000);
    expect(selectDg1!.sw).toBe(0x6982);
    expect(readDg1!.sw).toBe(0x6982);
    expect(readDg1!.data.length).toBe(0);
  });

  it('disappears from the reader when the emulator stops, and pcscd carries on', async () => {
    await emu.stop();
    await waitFor(`"${reader()}" to report no card`, async () => ((await readerStates()).get(reader())?.present === false ? true : undefined), 10_000);
    expect(pcscd!.alive()).toBe(true);
    expect(await listReaders()).toEqual(expect.arrayContaining([reader()]));
    await expect(scriptor(reader(), ['00 84 00 00 08'], 10_000)).rejects.toThrow();
  });
});

describe('idkiosk emulate through pcscd + vpcd (BAC passport demo card)', () => {
  let emu: Emulator;

  beforeAll(async () => {
    emu = await emulate(demoCard('passport'));
  }, 30_000);

  it('answers GET CHALLENGE with 8 random bytes and 9000', async () => {
    const [a, b] = await scriptor(reader(), ['00 84 00 00 08', '00 84 00 00 08']);
    expect(a!.sw).toBe(0x9000);
    expect(a!.data.length).toBe(8);
    expect(b!.sw).toBe(0x9000);
    expect(b!.data.length).toBe(8);
    expect(hex(a!.data)).not.toBe(hex(b!.data));
  });

  it('the emulator exits by itself when pcscd stops', async (ctx) => {
    ctx.skip(pcscd!.reused, 'IDKIOSK_REUSE_PCSCD=1: the pcscd in use is not ours to stop');
    await pcscd!.stop();
    const exit = await Promise.race([emu.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(exit, `emulator stderr: ${emu.stderr()}`).toEqual({ code: 0, signal: null });
  });
});
