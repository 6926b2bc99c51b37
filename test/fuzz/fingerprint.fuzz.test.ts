// Hostile sensor bytes and hostile minutiae templates: every input decodes into a consistent
// value or fails with a typed FP_* error; nothing else escapes, the stream reader never wedges.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { buildAnsi378, parseAnsi378 } from '../../drivers/fingerprint/ansi378.js';
import { buildIso19794_2, parseIso19794_2 } from '../../drivers/fingerprint/iso19794-2.js';
import type { MinutiaeRecord } from '../../drivers/fingerprint/minutiae-record.js';
import { type Packet, PID, PacketReader, decodePacket, encodePacket, parseSysPara } from '../../drivers/fingerprint/r30x-protocol.js';
import { RUNS } from './runs.js';

function typed(f: () => unknown, code: RegExp): void {
  try {
    f();
  } catch (e) {
    if (!isIdkError(e) || !code.test(e.code)) throw e;
  }
}

const packet: fc.Arbitrary<Packet> = fc.record({
  address: fc.integer({ min: 0, max: 0xffffffff }),
  pid: fc.constantFrom(PID.command, PID.data, PID.ack, PID.endData),
  payload: fc.uint8Array({ maxLength: 256 }),
});

const minutia = (w: number, h: number) =>
  fc.record({
    type: fc.constantFrom('ending' as const, 'bifurcation' as const, 'other' as const),
    x: fc.nat(w - 1),
    y: fc.nat(h - 1),
    angle: fc.constantFrom(0, 90, 180, 270),
    quality: fc.nat(100),
  });

const record: fc.Arbitrary<Omit<MinutiaeRecord, 'format'>> = fc
  .record({ w: fc.integer({ min: 1, max: 2000 }), h: fc.integer({ min: 1, max: 2000 }) })
  .chain(({ w, h }) =>
    fc.record({
      equipment: fc.record({ compliance: fc.nat(15), id: fc.nat(0xfff) }),
      width: fc.constant(w),
      height: fc.constant(h),
      resolutionX: fc.integer({ min: 1, max: 0xffff }),
      resolutionY: fc.integer({ min: 1, max: 0xffff }),
      views: fc.array(
        fc.record({
          position: fc.nat(10),
          view: fc.nat(15),
          impression: fc.nat(9),
          quality: fc.nat(100),
          minutiae: fc.array(minutia(w, h), { maxLength: 40 }),
          extended: fc.array(fc.record({ type: fc.nat(0xffff), data: fc.uint8Array({ maxLength: 20 }) }), { maxLength: 3 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  );

describe('fingerprint fuzz', () => {
  it('decodePacket: random bytes are a packet that re-encodes identically, or FP_BAD_PACKET', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        typed(() => expect(encodePacket(decodePacket(bytes))).toEqual(bytes), /^FP_BAD_PACKET$/);
      }),
      { numRuns: RUNS },
    );
  });

  it('PacketReader: valid packets survive any chunking and interleaved noise', () => {
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }), (pkts, cuts) => {
        // Noise without 0xEF cannot start a frame, so every real packet must come out intact.
        const wire = pkts.flatMap((p) => [0x55, 0x00, ...encodePacket(p)]);
        const r = new PacketReader();
        const got: Packet[] = [];
        let off = 0;
        for (let i = 0; off < wire.length; i++) {
          const n = cuts[i % cuts.length]!;
          for (const ev of r.push(Uint8Array.from(wire.slice(off, off + n)))) if ('packet' in ev) got.push(ev.packet);
          off += n;
        }
        expect(got).toEqual(pkts);
        expect(r.pending()).toBe(0);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('PacketReader: random streams yield only packets or typed errors and hold at most one frame', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 10 }), (chunks) => {
        const r = new PacketReader();
        for (const c of chunks) for (const ev of r.push(c)) if ('error' in ev) expect(ev.error.code).toBe('FP_BAD_PACKET');
        expect(r.pending()).toBeLessThanOrEqual(9 + 256 + 2);
      }),
      { numRuns: RUNS },
    );
  });

  it('parseSysPara: any 16+ bytes parse or fail typed', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 20 }), (b) => typed(() => parseSysPara(b), /^FP_BAD_PACKET$/)), { numRuns: RUNS });
  });

  it('ISO and ANSI records round-trip', () => {
    fc.assert(
      fc.property(record, (r) => {
        const iso = buildIso19794_2(r);
        expect(buildIso19794_2(parseIso19794_2(iso))).toEqual(iso);
        const ansi = buildAnsi378(r);
        expect(buildAnsi378(parseAnsi378(ansi))).toEqual(ansi);
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it('mutated and random records parse consistently or fail with FP_TEMPLATE_MALFORMED', () => {
    fc.assert(
      fc.property(record, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }), fc.nat(), (r, edits, cut) => {
        for (const build of [buildIso19794_2, buildAnsi378]) {
          const b = build(r);
          for (const [at, v] of edits) b[at % b.length] = v;
          const t = b.subarray(0, b.length - (cut % 3 === 0 ? cut % b.length : 0));
          for (const parse of [parseIso19794_2, parseAnsi378]) typed(() => parse(t), /^FP_TEMPLATE_MALFORMED$/);
        }
      }),
      { numRuns: Math.ceil(RUNS / 3) },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        typed(() => parseIso19794_2(b), /^FP_TEMPLATE_MALFORMED$/);
        typed(() => parseAnsi378(b), /^FP_TEMPLATE_MALFORMED$/);
      }),
      { numRuns: RUNS },
    );
  });
});
