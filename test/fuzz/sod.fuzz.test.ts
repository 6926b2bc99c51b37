// Hostile bytes into parseSod and parseDg15: random input and mutations of a valid SOD
// and DG15 may only ever end in IdkError (MALFORMED_DATA), never another exception or
// a hang. FUZZ_RUNS scales the run (npm run test:fuzz).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { encode } from '../../drivers/apdu/tlv.js';
import { buildDg15, parseDg15 } from '../../drivers/emrtd/dg15.js';
import { buildSod, parseSod, verifySodSignature, type Sod } from '../../drivers/emrtd/sod.js';
import { createCsca, generateAaKeyPair, issueDocumentSigner } from '../../drivers/emulator/test-pki.js';

const numRuns = Number(process.env.FUZZ_RUNS ?? 2000);
// A hang shows as a timeout; the budget grows with FUZZ_RUNS (about 1 ms a run is normal).
const timeout = 60_000 + numRuns * 5;

let validSod: Uint8Array;
let validDg15: Uint8Array;

beforeAll(async () => {
  const csca = await createCsca({ country: 'VN' });
  const ds = await issueDocumentSigner(csca);
  const aa = await generateAaKeyPair('rsa-1024');
  validDg15 = buildDg15(aa.spki);
  validSod = await buildSod({
    hashAlgorithm: 'sha256',
    dataGroups: new Map([
      [1, encode(0x61, new Uint8Array(93).fill(0x3c))],
      [2, encode(0x75, new Uint8Array(300).fill(0xaa))],
      [15, validDg15],
    ]),
    signer: ds,
    ldsVersion: { lds: '0108', unicode: '040000' },
  });
});

/** Runs a parser; it may return or throw MALFORMED_DATA, nothing else. */
function onlyMalformed<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (!isIdkError(e, 'MALFORMED_DATA')) throw e;
    return undefined;
  }
}

/** A valid buffer with a few bytes overwritten, a slice cut out, or bytes inserted. */
function mutation(base: () => Uint8Array): fc.Arbitrary<Uint8Array> {
  const flips = fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .map((edits) => {
      const b = Uint8Array.from(base());
      for (const [at, v] of edits) b[at % b.length] = v;
      return b;
    });
  const cut = fc.tuple(fc.nat(), fc.nat({ max: 64 })).map(([at, n]) => {
    const b = base();
    const i = at % b.length;
    return Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + n)]);
  });
  const insert = fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([at, extra]) => {
    const b = base();
    const i = at % (b.length + 1);
    return Uint8Array.from([...b.subarray(0, i), ...extra, ...b.subarray(i)]);
  });
  const truncate = fc.nat().map((n) => base().slice(0, n % base().length));
  return fc.oneof(flips, cut, insert, truncate);
}

/** Random bytes behind a header with the right tag and a consistent length. */
function wrapped(tag: number): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ maxLength: 1024 }).map((v) => encode(tag, v));
}

describe('parseSod fuzz', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => void onlyMalformed(() => parseSod(b))), { numRuns });
  }, timeout);

  it('random bytes inside a 0x77 header', () => {
    fc.assert(fc.property(wrapped(0x77), (b) => void onlyMalformed(() => parseSod(b))), { numRuns });
  }, timeout);

  it('mutations of a valid SOD; a parsed mutant never makes verification throw', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(() => validSod), async (b) => {
        const sod: Sod | undefined = onlyMalformed(() => parseSod(b));
        if (sod) {
          const check = await verifySodSignature(sod);
          expect(typeof check.valid).toBe('boolean');
        }
      }),
      { numRuns },
    );
  }, timeout);

  it('the unmutated SOD still parses and verifies (the fuzz base is valid)', async () => {
    expect(await verifySodSignature(parseSod(validSod))).toEqual({ valid: true });
  });
});

describe('parseDg15 fuzz', () => {
  it('random bytes, wrapped random bytes and mutations of a valid DG15', () => {
    const input = fc.oneof(fc.uint8Array({ maxLength: 1024 }), wrapped(0x6f), mutation(() => validDg15));
    fc.assert(fc.property(input, (b) => void onlyMalformed(() => parseDg15(b))), { numRuns });
  }, timeout);

  it('mutations of a valid SOD fed to parseDg15, and the reverse', () => {
    const input = fc.oneof(mutation(() => validSod), mutation(() => validDg15));
    fc.assert(
      fc.property(input, (b) => {
        onlyMalformed(() => parseDg15(b));
        onlyMalformed(() => parseSod(b));
      }),
      { numRuns },
    );
  }, timeout);
});
