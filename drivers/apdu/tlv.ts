// BER-TLV as ISO/IEC 7816-4 and ICAO 9303 use it. Hand-written because asn1js parses
// DER objects, while LDS files need tag-level access with offsets (headers read before
// a whole file arrives) and strict limits against hostile chips.
import { malformed } from '../../core/errors.js';

export interface Tlv {
  /** Tag bytes as a number, e.g. 0x61, 0x5F1F, 0x7F61. */
  tag: number;
  constructed: boolean;
  value: Uint8Array;
  /** Bytes taken by tag + length + value. */
  size: number;
}

export const MAX_DEPTH = 16;

interface Header {
  tag: number;
  constructed: boolean;
  headerLength: number;
  length: number;
}

/**
 * Reads a TLV header at `offset`. Does not require the value to be present, so a
 * reader can learn a file's total length from its first bytes.
 */
export function readHeader(buf: Uint8Array, offset = 0): Header {
  let p = offset;
  const need = (n: number) => {
    if (p + n > buf.length) throw malformed('TLV header truncated', { offset });
  };
  need(1);
  const first = buf[p++]!;
  if (first === 0x00 || first === 0xff) throw malformed('TLV tag invalid', { offset });
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    let more = true;
    let count = 0;
    while (more) {
      need(1);
      const b = buf[p++]!;
      count++;
      if (count > 3) throw malformed('TLV tag too long', { offset });
      tag = tag * 256 + b;
      more = (b & 0x80) !== 0;
    }
  }
  need(1);
  const lb = buf[p++]!;
  let length: number;
  if (lb < 0x80) {
    length = lb;
  } else if (lb === 0x80) {
    throw malformed('TLV indefinite length', { offset });
  } else {
    const n = lb & 0x7f;
    if (n > 4) throw malformed('TLV length too long', { offset });
    need(n);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
  }
  return { tag, constructed: (first & 0x20) !== 0, headerLength: p - offset, length };
}

export function decodeOne(buf: Uint8Array, offset = 0): Tlv {
  const h = readHeader(buf, offset);
  const start = offset + h.headerLength;
  const end = start + h.length;
  if (end > buf.length) throw malformed('TLV length past end of data', { offset, tag: h.tag });
  return { tag: h.tag, constructed: h.constructed, value: buf.subarray(start, end), size: end - offset };
}

/** All TLVs laid one after another in `buf`; the bytes must be consumed exactly. */
export function decodeAll(buf: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < buf.length) {
    const t = decodeOne(buf, p);
    out.push(t);
    p += t.size;
  }
  return out;
}

/** Decodes one TLV that must span the whole buffer, optionally checking its tag. */
export function decodeExact(buf: Uint8Array, expectTag?: number): Tlv {
  const t = decodeOne(buf, 0);
  if (t.size !== buf.length) throw malformed('trailing bytes after TLV', { tag: t.tag });
  if (expectTag !== undefined && t.tag !== expectTag) {
    throw malformed(`unexpected tag ${t.tag.toString(16)}`, { expected: expectTag.toString(16) });
  }
  return t;
}

export function children(t: Tlv): Tlv[] {
  if (!t.constructed) throw malformed('primitive TLV where constructed expected', { tag: t.tag });
  return decodeAll(t.value);
}

export function find(list: Tlv[], tag: number): Tlv | undefined {
  return list.find((t) => t.tag === tag);
}

export function require(list: Tlv[], tag: number, what: string): Tlv {
  const t = find(list, tag);
  if (!t) throw malformed(`${what} missing (tag ${tag.toString(16)})`);
  return t;
}

/** A tree with bounded depth, for debugging and fuzzing whole structures. */
interface TlvNode extends Tlv {
  children?: TlvNode[];
}

export function decodeTree(buf: Uint8Array, depth = 0): TlvNode[] {
  if (depth > MAX_DEPTH) throw malformed('TLV nested too deep');
  return decodeAll(buf).map((t) => (t.constructed ? { ...t, children: decodeTree(t.value, depth + 1) } : t));
}

function encodeLength(n: number): Uint8Array {
  if (n < 0 || !Number.isInteger(n) || n > 0xffffffff) throw new RangeError(`bad TLV length ${n}`);
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  if (n < 0x1000000) return Uint8Array.of(0x83, n >> 16, (n >> 8) & 0xff, n & 0xff);
  return Uint8Array.of(0x84, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

export function encodeTag(tag: number): Uint8Array {
  const out: number[] = [];
  let t = tag;
  do {
    out.unshift(t & 0xff);
    t = Math.floor(t / 256);
  } while (t > 0);
  return Uint8Array.from(out);
}

export function encode(tag: number, ...values: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const v of values) n += v.length;
  const t = encodeTag(tag);
  const l = encodeLength(n);
  const out = new Uint8Array(t.length + l.length + n);
  out.set(t, 0);
  out.set(l, t.length);
  let o = t.length + l.length;
  for (const v of values) {
    out.set(v, o);
    o += v.length;
  }
  return out;
}
