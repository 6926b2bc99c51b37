// Hostile bytes at every protocol boundary we own: TLV, APDU parsing, secure-messaging
// unwrap on both sides, and the software chip. Every failure must be a typed IdkError.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCommand, parseCommand, parseResponse } from '../../drivers/apdu/apdu.js';
import { fromHex } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';
import * as tlv from '../../drivers/apdu/tlv.js';
import { parseAtrInfo } from '../../drivers/emrtd/atr-info.js';
import { SecureMessaging } from '../../drivers/emrtd/secure-messaging.js';
import { RUNS } from './runs.js';

function onlyTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof IdkError)) throw e;
  }
}

const bytes = (max = 600) => fc.uint8Array({ minLength: 0, maxLength: max });

/** A valid byte string with a few bytes flipped, cut or stretched. */
function mutated(valid: Uint8Array) {
  return fc.tuple(fc.array(fc.tuple(fc.nat(valid.length), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(valid.length), fc.boolean()).map(([flips, cut, doCut]) => {
    const b = Uint8Array.from(valid);
    for (const [i, v] of flips) if (i < b.length) b[i] = v;
    return doCut ? b.subarray(0, cut) : b;
  });
}

describe('fuzz: BER-TLV', () => {
  it('decodeTree never throws anything but MALFORMED_DATA', () => {
    fc.assert(
      fc.property(bytes(), (b) => {
        onlyTyped(() => tlv.decodeTree(b));
      }),
      { numRuns: RUNS },
    );
  });
  it('nested structures mutated', () => {
    const valid = tlv.encode(0x77, tlv.encode(0x30, tlv.encode(0x02, Uint8Array.of(1)), tlv.encode(0x5f1f, new Uint8Array(200).fill(0x41))));
    fc.assert(
      fc.property(mutated(valid), (b) => {
        onlyTyped(() => tlv.decodeTree(b));
      }),
      { numRuns: RUNS },
    );
  });
  it('encode then decode is the identity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0x1e }), bytes(70000), (tagNo, v) => {
        const t = tlv.decodeExact(tlv.encode(0x40 | tagNo, v));
        expect(t.value).toEqual(v);
      }),
      { numRuns: Math.min(RUNS, 300) },
    );
  });
});

describe('fuzz: APDUs', () => {
  it('parseCommand and parseResponse reject garbage with typed errors', () => {
    fc.assert(
      fc.property(bytes(300), (b) => {
        onlyTyped(() => parseCommand(b));
        onlyTyped(() => parseResponse(b));
        onlyTyped(() => parseAtrInfo(b));
      }),
      { numRuns: RUNS },
    );
  });
  it('every command round-trips', () => {
    fc.assert(
      fc.property(fc.option(bytes(400), { nil: undefined }), fc.option(fc.integer({ min: 1, max: 65536 }), { nil: undefined }), (data, le) => {
        const c = { cla: 0, ins: 0xb0, p1: 1, p2: 2, data: data && data.length > 0 ? data : undefined, le };
        const back = parseCommand(encodeCommand(c));
        expect(back.data).toEqual(c.data);
        expect(back.le).toEqual(c.le);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('fuzz: secure messaging unwrap', () => {
  const keys = [fromHex('979EC13B1CBFE9DCD01AB0FED307EAE5'), fromHex('F1CB1F1FB5ADF208806B89DC579DC1F8')] as const;
  for (const kind of ['3DES', 'AES'] as const) {
    const ssc = new Uint8Array(kind === 'AES' ? 16 : 8);
    it(`${kind}: the terminal rejects forged or mangled responses`, () => {
      const chip = new SecureMessaging(kind, keys[0], keys[1], ssc);
      chip.unwrapCommand(new SecureMessaging(kind, keys[0], keys[1], ssc).wrap({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 32 }));
      const valid = chip.wrapResponse({ data: new Uint8Array(32).fill(7), sw: 0x9000 }).data;
      fc.assert(
        fc.property(fc.oneof(bytes(), mutated(valid)), fc.constantFrom(0x9000, 0x6282, 0x6988), (b, sw) => {
          const term = new SecureMessaging(kind, keys[0], keys[1], ssc);
          term.wrap({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 32 });
          let out: { data: Uint8Array; sw: number } | undefined;
          try {
            out = term.unwrap({ data: b, sw });
          } catch (e) {
            if (!(e instanceof IdkError)) throw e;
          }
          // Anything accepted must be the genuine response, byte for byte.
          if (out && b.length > 0) expect(out.data).toEqual(new Uint8Array(32).fill(7));
        }),
        { numRuns: RUNS },
      );
    });
    it(`${kind}: the chip side rejects forged commands`, () => {
      fc.assert(
        fc.property(bytes(300), (b) => {
          const chip = new SecureMessaging(kind, keys[0], keys[1], ssc);
          onlyTyped(() => chip.unwrapCommand({ cla: 0x0c, ins: 0xb0, p1: 0, p2: 0, data: b }));
        }),
        { numRuns: RUNS },
      );
    });
  }
});
