// ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 minutiae records: a record written out byte
// by byte from the standards' field tables, round trips, and hostile input.
import { describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { buildAnsi378, parseAnsi378 } from '../../drivers/fingerprint/ansi378.js';
import { buildIso19794_2, parseIso19794_2 } from '../../drivers/fingerprint/iso19794-2.js';
import { type MinutiaeRecord, detectFormat } from '../../drivers/fingerprint/minutiae-record.js';
import { thrown } from '../helpers/errors.js';

// One view, two minutiae, 500 dpi (197 px/cm), 256 x 360 image, no extended data.
const ISO_HAND = Uint8Array.from([
  0x46, 0x4d, 0x52, 0x00, 0x20, 0x32, 0x30, 0x00, // "FMR\0" " 20\0"
  0x00, 0x00, 0x00, 0x2a, // record length 42
  0x00, 0x00, // capture equipment
  0x01, 0x00, 0x01, 0x68, // width 256, height 360
  0x00, 0xc5, 0x00, 0xc5, // 197 px/cm both ways
  0x01, 0x00, // one view, reserved
  0x07, 0x00, 0x3c, 0x02, // left index (7), view 0 impression 0, quality 60, 2 minutiae
  0x40, 0x64, 0x00, 0xc8, 0x40, 0x50, // ending at (100, 200), angle 64 -> 90 degrees, quality 80
  0x80, 0x0a, 0x01, 0x2c, 0x80, 0x00, // bifurcation at (10, 300), angle 128 -> 180 degrees, quality 0
  0x00, 0x00, // no extended data
]);

const RECORD: Omit<MinutiaeRecord, 'format'> = {
  equipment: { compliance: 1, id: 0x123 },
  width: 500,
  height: 550,
  resolutionX: 197,
  resolutionY: 197,
  views: [
    {
      position: 2,
      view: 1,
      impression: 0,
      quality: 77,
      minutiae: [
        { type: 'ending', x: 12, y: 34, angle: 90, quality: 40 },
        { type: 'bifurcation', x: 499, y: 549, angle: 270, quality: 100 },
        { type: 'other', x: 0, y: 0, angle: 0, quality: 0 },
      ],
      extended: [{ type: 0x0002, data: Uint8Array.of(1, 2, 3) }],
    },
  ],
};

function malformed(f: () => unknown, why?: RegExp): void {
  const e = thrown(f);
  expect(isIdkError(e, 'FP_TEMPLATE_MALFORMED'), String(e)).toBe(true);
  if (why) expect((e as Error).message).toMatch(why);
}

describe('ISO/IEC 19794-2:2005', () => {
  it('parses a record laid out by hand from the standard', () => {
    const r = parseIso19794_2(ISO_HAND);
    expect(r).toMatchObject({ format: 'ISO/IEC 19794-2:2005', width: 256, height: 360, resolutionX: 197, resolutionY: 197 });
    expect(r.views).toHaveLength(1);
    expect(r.views[0]).toMatchObject({ position: 7, impression: 0, quality: 60, extended: [] });
    expect(r.views[0]!.minutiae).toEqual([
      { type: 'ending', x: 100, y: 200, angle: 90, quality: 80 },
      { type: 'bifurcation', x: 10, y: 300, angle: 180, quality: 0 },
    ]);
    expect(detectFormat(ISO_HAND)).toBe('iso');
  });

  it('round-trips a record with extended data', () => {
    const bytes = buildIso19794_2(RECORD);
    const back = parseIso19794_2(bytes);
    expect(back.views[0]!.extended).toEqual(RECORD.views[0]!.extended);
    expect(back.views[0]!.minutiae.map((m) => Math.round(m.angle))).toEqual([90, 270, 0]);
    expect(buildIso19794_2(back)).toEqual(bytes);
  });

  it('rejects every truncation, and hostile fields, with a typed error', () => {
    for (let n = 0; n < ISO_HAND.length; n++) malformed(() => parseIso19794_2(ISO_HAND.subarray(0, n)));
    const mut = (i: number, v: number) => {
      const b = ISO_HAND.slice();
      b[i] = v;
      return b;
    };
    malformed(() => parseIso19794_2(mut(0, 0x47)), /FMR/);
    malformed(() => parseIso19794_2(mut(5, 0x31)), /version/);
    malformed(() => parseIso19794_2(mut(22, 0)), /no finger view/);
    malformed(() => parseIso19794_2(mut(22, 2)), /past the end/);
    malformed(() => parseIso19794_2(mut(19, 0)), /zero resolution/);
    malformed(() => parseIso19794_2(mut(24, 11)), /finger position/);
    malformed(() => parseIso19794_2(mut(25, 0x0c)), /impression/);
    malformed(() => parseIso19794_2(mut(26, 101)), /finger quality/);
    malformed(() => parseIso19794_2(mut(27, 200)), /past the end/);
    malformed(() => parseIso19794_2(mut(28, 0xc0)), /reserved minutia type/);
    malformed(() => parseIso19794_2(mut(30, 0x40)), /reserved bits/);
    malformed(() => parseIso19794_2(mut(28, 0x7f)), /outside the image/);
    malformed(() => parseIso19794_2(mut(33, 101)), /minutia quality/);
    malformed(() => parseIso19794_2(mut(41, 0x08)), /past the end/);
    malformed(() => parseIso19794_2(Uint8Array.from([...ISO_HAND.slice(0, 11), 0x2b, ...ISO_HAND.slice(12), 0])), /after the last/);
    malformed(() => parseIso19794_2(mut(11, 0x2d)), /record length/);
  });
});

describe('ANSI INCITS 378-2004', () => {
  it('round-trips, with angles in 2-degree units and the CBEFF product id', () => {
    const bytes = buildAnsi378({ ...RECORD, cbeffProductId: 0x00330001 });
    expect(bytes.subarray(0, 8)).toEqual(ISO_HAND.subarray(0, 8));
    expect((bytes[8]! << 8) | bytes[9]!).toBe(bytes.length);
    const r = parseAnsi378(bytes);
    expect(r.format).toBe('ANSI INCITS 378-2004');
    expect(r.cbeffProductId).toBe(0x00330001);
    expect(r.views[0]!.minutiae.map((m) => m.angle)).toEqual([90, 270, 0]);
    expect(detectFormat(bytes)).toBe('ansi');
    expect(detectFormat(ISO_HAND.subarray(0, 30))).toBeNull();
  });

  it('uses the 6-byte length form above 65535 bytes', () => {
    const many = { ...RECORD, views: Array.from({ length: 60 }, () => ({ ...RECORD.views[0]!, minutiae: Array.from({ length: 200 }, (_, i) => ({ type: 'ending' as const, x: i, y: i, angle: 4, quality: 50 })), extended: [] })) };
    const bytes = buildAnsi378(many);
    expect(bytes.length).toBeGreaterThan(0xffff);
    expect([bytes[8], bytes[9]]).toEqual([0, 0]);
    expect(parseAnsi378(bytes).views).toHaveLength(60);
    expect(detectFormat(bytes)).toBe('ansi');
  });

  it('rejects an angle above 179, truncations and an ISO record', () => {
    const bytes = buildAnsi378(RECORD);
    const bad = bytes.slice();
    bad[26 + 4 + 4] = 180; // first minutia's angle byte
    malformed(() => parseAnsi378(bad), /angle above 179/);
    for (let n = 0; n < bytes.length; n++) malformed(() => parseAnsi378(bytes.subarray(0, n)));
    malformed(() => parseAnsi378(ISO_HAND));
    malformed(() => parseIso19794_2(bytes));
  });
});
