// Scanner framing (serial), HID-POS reports, keyboard-wedge timing and the scanning loop's decisions.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../core/bytes.js';
import { HID_POS_USAGE_PAGE, HidPosAssembler, buildHidPosReports, hidPosInterfaces, listHidPosScanners, parseHidPosReport } from '../../drivers/qr/hid-pos.js';
import type { DecodedCode, QualityHint } from '../../drivers/qr/decode.js';
import { FrameDecoder, ScanLoop } from '../../drivers/qr/scan-loop.js';
import { ScanFramer } from '../../drivers/qr/serial-scanner.js';
import { type KeyStroke, WedgeDetector, classifyBurst } from '../../renderer/wedge.js';
import { cameraFrame, qrFrame } from './qr-fixtures.js';

const DEMO = '000190012345|000123456|Lê Thị Mẫu|17051990|Nữ|Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng|10042021';
const bytes = utf8.encode(DEMO);

describe('serial scanner framing', () => {
  it('CR LF, CR or LF end a code, in any chunking, with UTF-8 split across chunks', () => {
    const f = new ScanFramer();
    const stream = utf8.encode(`${DEMO}\r\nhello\rworld\n`);
    const got: string[] = [];
    for (let i = 0; i < stream.length; i += 7) for (const r of f.push(stream.subarray(i, i + 7))) got.push(r.ok ? r.text : r.error.code);
    expect(got).toEqual([DEMO, 'hello', 'world']);
    expect(f.pending()).toBe(0);
  });

  it('a configured prefix and suffix are stripped; a code without the prefix is a framing error', () => {
    const f = new ScanFramer({ prefix: Uint8Array.of(0x02), suffix: Uint8Array.of(0x03) });
    const r = f.push(Uint8Array.from([0x02, ...bytes, 0x03, 0x41, 0x03]));
    expect(r[0]).toEqual({ ok: true, text: DEMO });
    expect(r[1]!.ok === false && r[1]!.error.code).toBe('SCAN_FRAMING');
  });

  it('an over-long code is dropped up to its suffix and reported once; the next code is fine', () => {
    const f = new ScanFramer({ maxLength: 64 });
    const r = f.push(utf8.encode('x'.repeat(500) + '\r\nok\r\n'));
    expect(r.map((x) => (x.ok ? x.text : x.error.code))).toEqual(['QR_TOO_LONG', 'ok']);
  });

  it('invalid UTF-8 is QR_BAD_ENCODING; a partial code expires as SCAN_INCOMPLETE', () => {
    const f = new ScanFramer();
    const r = f.push(Uint8Array.of(0x41, 0xc3, 0x28, 0x0d));
    expect(r[0]!.ok === false && r[0]!.error.code).toBe('QR_BAD_ENCODING');
    expect(f.push(bytes.subarray(0, 20))).toEqual([]);
    const e = f.expire();
    expect(e?.ok === false && e.error.code).toBe('SCAN_INCOMPLETE');
    expect(f.expire()).toBeNull();
  });
});

describe('HID-POS reports', () => {
  it('a long code spans continued 64-byte reports and reassembles', () => {
    const reports = buildHidPosReports(']Q1', bytes);
    expect(reports.length).toBe(Math.ceil(bytes.length / 56));
    expect(reports.every((r) => r.length === 64 && r[0] === 0x02)).toBe(true);
    const a = new HidPosAssembler();
    const out = reports.map((r) => a.push(r));
    expect(out.slice(0, -1).every((x) => x === null)).toBe(true);
    expect(out.at(-1)).toEqual({ symbology: ']Q1', text: DEMO });
  });

  it('rejects reports that are not Scanned Data or whose length byte lies', () => {
    const r = buildHidPosReports(']Q1', utf8.encode('abc'))[0]!;
    expect(parseHidPosReport(r)).toMatchObject({ symbology: ']Q1', continued: false });
    const wrongId = Uint8Array.from(r);
    wrongId[0] = 0x01;
    const lying = Uint8Array.from(r);
    lying[1] = 200;
    for (const bad of [wrongId, lying, r.subarray(0, 3)]) expect(() => parseHidPosReport(bad)).toThrow(expect.objectContaining({ code: 'SCAN_FRAMING' }));
  });

  it('picks the usage page 0x8C interfaces from an enumeration, and node-hid enumerates here', async () => {
    const devices = [
      { vendorId: 0x0c2e, productId: 0x0b61, path: '/dev/hidraw0', usagePage: HID_POS_USAGE_PAGE, usage: 2 },
      { vendorId: 0x0c2e, productId: 0x0b61, path: '/dev/hidraw1', usagePage: 0x01, usage: 6 },
      { vendorId: 0x046d, productId: 0xc31c, path: '/dev/hidraw2', usagePage: 0x01, usage: 6 },
    ];
    expect(hidPosInterfaces(devices).map((d) => d.path)).toEqual(['/dev/hidraw0']);
    const attached = await listHidPosScanners();
    expect(Array.isArray(attached)).toBe(true);
    expect(attached.every((d) => d.usagePage === HID_POS_USAGE_PAGE)).toBe(true);
  });
});

function typed(text: string, t0: number, gap: (i: number) => number): KeyStroke[] {
  const out: KeyStroke[] = [];
  let t = t0;
  for (const [i, ch] of [...text].entries()) {
    out.push({ key: ch, t });
    t += gap(i);
  }
  return out;
}

describe('keyboard wedge', () => {
  it('a scanner burst (4 ms a key) is a scan; a fast typist (70-140 ms) is not', () => {
    expect(classifyBurst(typed(DEMO, 0, () => 4))).toBe('scanner');
    expect(classifyBurst(typed('Nguyen Van Thu', 0, (i) => 70 + ((i * 37) % 70)))).toBe('human');
    expect(classifyBurst(typed('abc', 0, () => 4))).toBe('human');
  });

  it('the streaming detector keeps a scanned code out of the field and passes typing through', () => {
    const d = new WedgeDetector();
    const ev = [...typed('Hi', 0, () => 180).flatMap((k) => d.key(k))];
    const scan = typed(DEMO, 1000, () => 3);
    for (const k of scan) ev.push(...d.key(k));
    ev.push(...d.key({ key: 'Enter', t: scan.at(-1)!.t + 3 }));
    expect(ev.filter((e) => e.kind === 'scan')).toEqual([{ kind: 'scan', text: DEMO }]);
    expect(ev.filter((e) => e.kind === 'typed').flatMap((e) => (e.kind === 'typed' ? e.keys.map((k) => k.key) : []))).toEqual(['H', 'i']);
  });
});

describe('scan loop', () => {
  it('skips frames to keep the decoder within its share of the CPU', () => {
    let now = 0;
    const fake = { decode: () => ((now += 20), { code: null, hints: [] as QualityHint[] }) };
    const loop = new ScanLoop(fake, { maxDuty: 0.5, now: () => now });
    for (let i = 0; i < 90; i++) {
      // The camera delivers on its own clock, whatever the decoder does.
      now = (i * 1000) / 30;
      loop.offer({ width: 1, height: 1, data: new Uint8Array(4) });
    }
    // 20 ms decodes at 50% duty: one decode per 40 ms at most, so at most 1 frame in 2 of a 30 fps stream.
    expect(loop.stats.decoded).toBeLessThanOrEqual(46);
    expect(loop.stats.decoded).toBeGreaterThanOrEqual(40);
    expect(loop.stats.skipped).toBe(90 - loop.stats.decoded);
  });

  it('reports a code once while it stays in view, and a hint only after it persists', () => {
    let now = 0;
    const code: DecodedCode = { format: 'QR_CODE', text: DEMO };
    const script: { code: DecodedCode | null; hints: QualityHint[] }[] = [
      { code: null, hints: ['move-closer'] },
      { code: null, hints: ['move-closer'] },
      { code: null, hints: ['move-closer'] },
      { code, hints: [] },
      { code, hints: [] },
    ];
    const loop = new ScanLoop({ decode: () => script.shift()! }, { maxDuty: 1, hintAfterMs: 500, now: () => now });
    const events = [];
    for (let i = 0; i < 5; i++) {
      events.push(...loop.offer({ width: 1, height: 1, data: new Uint8Array(4) }));
      now += 300;
    }
    expect(events).toEqual([
      { kind: 'hints', hints: ['move-closer'] },
      { kind: 'code', code },
    ]);
  });

  it('decodes real camera-like frames through the default decoder, a busy worker drops frames', async () => {
    const frame = cameraFrame(await qrFrame(DEMO, { size: 4 }), { width: 640, height: 480, codeWidth: 260, noise: 6 });
    const loop = new ScanLoop(new FrameDecoder(), { maxDuty: 1 });
    expect(loop.offer(frame)).toEqual([{ kind: 'code', code: { format: 'QR_CODE', text: DEMO } }]);
    const t = loop.begin();
    expect(loop.wants()).toBe(false);
    loop.finish(t, { code: null, hints: [] });
    expect(loop.wants()).toBe(true);
  });

  it('errors from the decoder leave the loop usable', () => {
    let fail = true;
    const loop = new ScanLoop(
      {
        decode: () => {
          if (fail) throw new Error('worker died');
          return { code: null, hints: [] };
        },
      },
      { maxDuty: 1 },
    );
    expect(() => loop.offer({ width: 1, height: 1, data: new Uint8Array(4) })).toThrow('worker died');
    fail = false;
    expect(loop.offer({ width: 1, height: 1, data: new Uint8Array(4) })).toEqual([]);
  });
});
