// Small byte helpers shared by every protocol layer; Uint8Array everywhere so the
// same code runs in Node and in the renderer.

import { bytesToNumberBE } from '@noble/curves/utils.js';

export function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new TypeError(`not a hex string: ${text.slice(0, 40)}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== b.length) throw new RangeError('xor of unequal lengths');
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

/** Big-endian unsigned integer of arbitrary size, as a minimal byte string (at least one byte). */
export function bigToBytes(n: bigint, length?: number): Uint8Array {
  let h = n.toString(16);
  if (h.length % 2) h = '0' + h;
  const raw = fromHex(h);
  if (length === undefined) return raw;
  if (raw.length > length) throw new RangeError('integer too large for field');
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}

/** Big-endian unsigned integer (noble's own conversion, so every layer reads integers one way). */
export function bytesToBig(bytes: Uint8Array): bigint {
  return bytesToNumberBE(bytes);
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  /** Strict: invalid UTF-8 throws rather than turning into U+FFFD. */
  decode: (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b),
};
