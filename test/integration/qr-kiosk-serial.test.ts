// The kiosk with a USB-serial QR scanner (`--qr-serial`), over a real pty pair from socat:
// the far end writes what a scanner writes (code + CR LF, in USB-sized packets); the kiosk
// reads it through serialport, opens the software chip with the QR's CAN and shows the result.
// Unplugging is socat going away (the pty vanishes); plugging back is socat again on the same
// link names. No pcscd, no browser: the kiosk's API and state are the observable.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import type { KioskState } from '../../main/api/contract.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { EmulatedReader } from '../../main/verify/emulated-reader.js';
import { loadDemo, tempDir } from '../helpers/cards.js';
import { qrFromCard } from '../helpers/qr.js';

interface Link {
  scanner: string;
  peer: string;
  proc: ChildProcess;
}

/** socat with stable link names, so the "same port" can come back after an unplug. */
async function plug(dir: string): Promise<Link> {
  if (!existsSync('/usr/bin/socat')) throw new Error('socat is missing: install the Debian package "socat"');
  const scanner = join(dir, 'ttyQR');
  const peer = join(dir, 'peer');
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${scanner}`, `pty,raw,echo=0,link=${peer}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat did not start: ${log}`)), 5000);
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/starting data transfer loop/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socat exited ${code}: ${log}`));
    });
  });
  return { scanner, peer, proc };
}

async function unplug(l: Link): Promise<void> {
  if (l.proc.exitCode !== null) return;
  const gone = new Promise((r) => l.proc.once('exit', r));
  l.proc.kill('SIGTERM');
  await gone;
}

/** The scanner's side: the code and CR LF in 64-byte packets, a few ms apart. */
async function scan(l: Link, text: string, suffix = '\r\n'): Promise<void> {
  const bytes = utf8.encode(text + suffix);
  const fh = await open(l.peer, 'w');
  try {
    for (let i = 0; i < bytes.length; i += 64) {
      await fh.write(bytes.subarray(i, i + 64));
      await new Promise((r) => setTimeout(r, 3));
    }
  } finally {
    await fh.close();
  }
}

let card: CardImage;
let kiosk: Kiosk | undefined;
let link: Link | undefined;
const logs: string[] = [];

afterEach(async () => {
  await kiosk?.close();
  kiosk = undefined;
  if (link) await unplug(link);
  link = undefined;
});

afterAll(() => {
  // Operational lines only: no QR content (name, ID number) ever reaches the log.
  expect(logs.join('\n')).not.toMatch(/Mẫu|000190012345|012345/);
});

async function setup(): Promise<{ reader: EmulatedReader; until: (p: (s: KioskState) => boolean) => Promise<void>; qrDevice: () => Promise<unknown> }> {
  card ??= await loadDemo('cccd');
  const reader = new EmulatedReader(card, { latency: null });
  const k = new Kiosk({ reader, mode: 'demo', log: (l) => logs.push(l) });
  kiosk = k;
  return {
    reader,
    until: (p) => expect.poll(() => p(k.state), { timeout: 20_000 }).toBe(true),
    qrDevice: async () => (await k.handlers.status({})).devices.find((d) => d.kind === 'qr'),
  };
}

describe('kiosk with a serial QR scanner', () => {
  it('a scan opens the chip from scan to result; the status screen shows the scanner by its port', async () => {
    const dir = tempDir('idk-qrtty-');
    link = await plug(dir);
    const { reader, until, qrDevice } = await setup();
    kiosk!.useSerialQr(link.scanner, 115200, (l) => logs.push(l));
    await expect.poll(qrDevice, { timeout: 10_000 }).toEqual({ kind: 'qr', name: link.scanner, state: 'ok' });
    reader.setPresent(true);
    await until((s) => s.phase === 'need-key');
    await scan(link, qrFromCard(card));
    await until((s) => s.phase === 'result');
    expect(kiosk!.state.result!).toMatchObject({ access: 'PACE-GM · QR → CAN', qr: { source: 'serial', opened: { kind: 'can' }, mismatches: [] } });
    expect(kiosk!.state.result!.person.vn!.fullName).toBe('Lê Thị Mẫu');
  });

  it('a code cut off mid-way is an error on screen; unplugged, the status says absent and typed keys still work; plugged back, scans work again', async () => {
    const dir = tempDir('idk-qrtty-');
    link = await plug(dir);
    const { reader, until, qrDevice } = await setup();
    const scanner = link.scanner;
    kiosk!.useSerialQr(scanner, undefined, (l) => logs.push(l));
    await expect.poll(qrDevice, { timeout: 10_000 }).toMatchObject({ state: 'ok' });
    reader.setPresent(true);
    await until((s) => s.phase === 'need-key');
    // The scanner stops after 40 bytes and sends no CR LF: the partial code expires.
    await scan(link, qrFromCard(card).slice(0, 40), '');
    await until((s) => s.keyError?.code === 'SCAN_INCOMPLETE');
    expect(kiosk!.state.phase).toBe('need-key');

    await unplug(link);
    await expect.poll(qrDevice, { timeout: 10_000 }).toEqual({ kind: 'qr', name: scanner, state: 'absent' });
    await kiosk!.handlers.accessKey({ kind: 'can', can: card.secrets.can! });
    await until((s) => s.phase === 'result');
    expect(kiosk!.state.result!.qr).toBeUndefined();

    link = await plug(dir);
    await expect.poll(qrDevice, { timeout: 10_000 }).toMatchObject({ state: 'ok' });
    await kiosk!.handlers.clear({});
    await until((s) => s.phase === 'need-key');
    await scan(link, qrFromCard(card));
    await until((s) => s.phase === 'result' && s.result?.qr?.source === 'serial');
    expect(logs.some((l) => l.includes('lost'))).toBe(true);
  });

  it('a port that is not there at start: the kiosk runs, the status says absent', async () => {
    const { reader, until, qrDevice } = await setup();
    kiosk!.useSerialQr('/dev/does-not-exist-qr', 9600, (l) => logs.push(l));
    await expect.poll(() => logs.some((l) => l.includes('/dev/does-not-exist-qr') && l.includes('SCANNER_UNAVAILABLE')), { timeout: 10_000 }).toBe(true);
    expect(await qrDevice()).toEqual({ kind: 'qr', name: '/dev/does-not-exist-qr', state: 'absent' });
    reader.setPresent(true);
    await kiosk!.handlers.accessKey({ kind: 'can', can: card.secrets.can! });
    await until((s) => s.phase === 'result');
  });
});
