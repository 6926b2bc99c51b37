// The OpenSSL path of scalar multiplication gives the same points as noble's constant-time
// multiply on every curve PACE and Chip Authentication use, including the edge cases where
// it must hand over to noble (k+1 = n, R = Q, a curve OpenSSL is not asked about).
import { randomBytes } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { brainpoolP256r1, brainpoolP384r1, brainpoolP512r1 } from '@noble/curves/misc.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { bytesToBig } from '../../core/bytes.js';
import { mul, mulX, opensslName } from '../../drivers/emrtd/ec-openssl.js';

const CURVES = { p256, p384, p521, brainpoolP256r1, brainpoolP384r1, brainpoolP512r1, secp256k1 };

/** What Node's OpenSSL must recognise (by comparing generators), so the fast path is the one tested. */
const OPENSSL: Record<string, string | null> = { p256: 'prime256v1', p384: 'secp384r1', p521: 'secp521r1', brainpoolP256r1: 'brainpoolP256r1', brainpoolP384r1: 'brainpoolP384r1', brainpoolP512r1: 'brainpoolP512r1', secp256k1: null };

describe('EC scalar multiplication through OpenSSL', () => {
  it('recognises each curve by its generator (secp256k1 is not an ICAO curve: noble only)', () => {
    for (const [name, c] of Object.entries(CURVES)) expect(opensslName(c.Point), name).toBe(OPENSSL[name]);
  });

  for (const [name, c] of Object.entries(CURVES)) {
    it(`${name}: k·Q and x(k·Q) equal noble's for random and edge scalars`, () => {
      const P = c.Point;
      const n = P.Fn.ORDER;
      const rnd = () => (bytesToBig(new Uint8Array(randomBytes(P.Fn.BYTES + 8))) % (n - 1n)) + 1n;
      const q = P.BASE.multiply(rnd());
      for (const k of [rnd(), rnd(), rnd(), 1n, 2n, n - 1n, n - 2n]) {
        const want = q.multiply(k);
        expect(mul(P, k, q).equals(want), `${name} k=${k}`).toBe(true);
        expect(mulX(P, k, q)).toBe(want.toAffine().x);
      }
      // Q = G: the generator's own multiples, as on the first PACE step.
      const k = rnd();
      expect(mul(P, k, P.BASE).equals(P.BASE.multiply(k))).toBe(true);
    });
  }
});
