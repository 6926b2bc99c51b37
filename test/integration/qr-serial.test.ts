// A USB-serial scanner on a real pty pair made by socat: the peer end speaks a scanner's
// framing (code + CR LF by default, or STX/ETX when configured), written in bursts the way a
// CDC-ACM scanner's USB packets arrive; our end reads it through serialport.
import { open } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.js';
import { type PtyPair, ptyPair } from '../../drivers/fingerprint/sensor-simulator.js';
import { type ScanResult, type SerialScanner, openSerialScanner } from '../../drivers/qr/serial-scanner.js';

const DEMO = '000190012345|000123456|Lê Thị Mẫu|17051990|Nữ|Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng|10042021';

/** The scanner side: writes chunks with pauses, as USB bulk packets arrive. */
async function scannerWrites(path: string, chunks: Uint8Array[], pauseMs = 5): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (const c of chunks) {
      await fh.write(c);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await fh.close();
  }
}

function packets(bytes: Uint8Array, size = 64): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

async function until(results: ScanResult[], n: number, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (results.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

let pair: PtyPair | undefined;
let scanner: SerialScanner | undefined;

afterEach(async () => {
  await scanner?.close();
  scanner = undefined;
  pair?.proc.kill('SIGTERM');
  pair = undefined;
});

describe('serial scanner over a pty pair', () => {
  it('reads CR LF framed codes split across 64-byte packets, UTF-8 intact', async () => {
    pair = await ptyPair();
    const results: ScanResult[] = [];
    scanner = await openSerialScanner({ path: pair.a, baudRate: 115200 }, (r) => results.push(r));
    await scannerWrites(pair.b, packets(utf8.encode(`${DEMO}\r\nhttps://example.org/\r\n`)));
    await until(results, 2);
    expect(results).toEqual([
      { ok: true, text: DEMO },
      { ok: true, text: 'https://example.org/' },
    ]);
  });

  it('a configured STX prefix / ETX suffix, and a code cut off mid-way expires as SCAN_INCOMPLETE', async () => {
    pair = await ptyPair();
    const results: ScanResult[] = [];
    scanner = await openSerialScanner({ path: pair.a, prefix: Uint8Array.of(0x02), suffix: Uint8Array.of(0x03), timeoutMs: 150 }, (r) => results.push(r));
    const body = utf8.encode(DEMO);
    await scannerWrites(pair.b, [Uint8Array.of(0x02), ...packets(body, 32), Uint8Array.of(0x03), Uint8Array.of(0x02), body.subarray(0, 40)]);
    await until(results, 2);
    expect(results[0]).toEqual({ ok: true, text: DEMO });
    expect(results[1]!.ok === false && results[1]!.error.code).toBe('SCAN_INCOMPLETE');
    expect(results).toHaveLength(2);
  });

  it('an unopenable port is SCANNER_UNAVAILABLE', async () => {
    await expect(openSerialScanner({ path: '/dev/does-not-exist' }, () => {})).rejects.toMatchObject({ code: 'SCANNER_UNAVAILABLE' });
  });
});
