// Elliptic-curve scalar multiplication through the platform's OpenSSL (node:crypto ECDH)
// where it knows the curve, with @noble/curves as the fallback. Why: PACE and Chip
// Authentication are nearly all of the reader's CPU in a read, and noble's constant-time,
// blinded multiply of an arbitrary point (~8 ms on brainpoolP256r1 here) is 3-4 times
// OpenSSL's (~2 ms; P-256 ~0.2 ms). Results are the same numbers either way (tested against
// noble); Electron's BoringSSL lacks the brainpool curves, so there the fallback runs.
//
// OpenSSL's ECDH gives only the x-coordinate of k·Q. Where the whole point is needed (the
// PACE-GM mapping and the key on the mapped generator) y is recovered: of the two points
// with that x, the one R with x(R + Q) = x((k+1)·Q), a second OpenSSL multiply.
import { createECDH, getCurves } from 'node:crypto';
import type { WeierstrassPoint, WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { bigToBytes, bytesToBig, equal } from '../../core/bytes.js';

type Point = WeierstrassPoint<bigint>;
type Curve = WeierstrassPointCons<bigint>;

/** OpenSSL's names of the curves ICAO 9303 uses; which one a noble curve is gets checked, not assumed. */
const OPENSSL_NAMES = ['prime256v1', 'brainpoolP256r1', 'secp384r1', 'brainpoolP384r1', 'brainpoolP512r1', 'secp521r1', 'secp224r1', 'brainpoolP224r1', 'brainpoolP320r1', 'prime192v1', 'brainpoolP192r1'];

const names = new WeakMap<Curve, string | null>();

/** The OpenSSL curve whose generator is this curve's generator (1·G compared point for point), or null. */
export function opensslName(P: Curve): string | null {
  const known = names.get(P);
  if (known !== undefined) return known;
  let found: string | null = null;
  const available = new Set(getCurves());
  const g = P.BASE.toBytes(false);
  for (const name of OPENSSL_NAMES) {
    if (!available.has(name)) continue;
    try {
      const e = createECDH(name);
      e.setPrivateKey(bigToBytes(1n, P.Fn.BYTES));
      if (equal(new Uint8Array(e.getPublicKey()), g)) {
        found = name;
        break;
      }
    } catch {
      // A name this OpenSSL build refuses: not ours.
    }
  }
  names.set(P, found);
  return found;
}

/** x(k·Q) by OpenSSL, or undefined when it cannot (unknown curve, result at infinity, k out of range). */
function opensslX(P: Curve, k: bigint, q: Uint8Array): bigint | undefined {
  const name = opensslName(P);
  if (!name || k <= 0n || k >= P.Fn.ORDER) return undefined;
  try {
    const e = createECDH(name);
    e.setPrivateKey(bigToBytes(k, P.Fn.BYTES));
    return bytesToBig(new Uint8Array(e.computeSecret(q)));
  } catch {
    return undefined;
  }
}

/** x-coordinate of k·Q, Q a valid point of P (as decodePoint returns); undefined when k·Q is at infinity. */
export function mulX(P: Curve, k: bigint, q: Point): bigint | undefined {
  const x = opensslX(P, k, q.toBytes(false));
  if (x !== undefined) return x;
  const s = q.multiply(k);
  return s.is0() ? undefined : s.toAffine().x;
}

/** k·Q as a point, Q a valid point of P. Same value as `q.multiply(k)`. */
export function mul(P: Curve, k: bigint, q: Point): Point {
  const qBytes = q.toBytes(false);
  const x1 = opensslX(P, k, qBytes);
  const x2 = x1 === undefined ? undefined : opensslX(P, k + 1n, qBytes);
  if (x1 !== undefined && x2 !== undefined) {
    const Fp = P.Fp;
    const { x: xq } = q.toAffine();
    // R = ±Q would make R + Q doubling or infinity: rare enough to leave to noble.
    if (x1 !== xq) {
      const y = Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x1), x1), Fp.add(Fp.mul(P.CURVE().a, x1), P.CURVE().b)));
      const matches = [y, Fp.neg(y)].map((yy) => P.fromAffine({ x: x1, y: yy })).filter((r) => {
        const sum = r.add(q);
        return !sum.is0() && sum.toAffine().x === x2;
      });
      if (matches.length === 1) return matches[0]!;
    }
  }
  return q.multiply(k);
}
