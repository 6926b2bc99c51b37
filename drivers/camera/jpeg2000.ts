// JPEG 2000 (ISO/IEC 15444-1), the other DG2 image format ICAO 9303 allows, decoded by
// OpenJPEG compiled to WebAssembly (@cornerstonejs/codec-openjpeg, MIT wrapper around
// BSD-2 OpenJPEG). The codec takes a bare codestream, so a JP2 file is unwrapped to its
// `jp2c` box first. The Emscripten runtime writes to stdout unless given print hooks;
// ours discard its chatter so nothing about a document reaches the logs.
import { createRequire } from 'node:module';
import { badFrame, type Frame, makeFrame } from './frame.js';

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
  isUsingColorTransform?: boolean;
}
interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  delete(): void;
}
interface J2KEncoder {
  getDecodedBuffer(info: FrameInfo): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  setQuality(lossless: boolean, quality: number): void;
  setCompressionRatio(layer: number, ratio: number): void;
  setDecompositions(n: number): void;
  encode(): void;
  delete(): void;
}
interface OpenJpegModule {
  J2KDecoder: new () => J2KDecoder;
  J2KEncoder: new () => J2KEncoder;
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
const SOC_SIZ = [0xff, 0x4f, 0xff, 0x51];
/** A DG2 portrait is a few hundred pixels; refuse what could only be a memory attack. */
const MAX_PIXELS = 40_000_000;

let codec: Promise<OpenJpegModule> | undefined;

function loadCodec(): Promise<OpenJpegModule> {
  if (!codec) {
    const require = createRequire(import.meta.url);
    const factory = require('@cornerstonejs/codec-openjpeg/wasmjs') as (m: object) => Promise<OpenJpegModule>;
    const quiet = (): void => undefined;
    codec = factory({ print: quiet, printErr: quiet });
  }
  return codec;
}

function startsWith(bytes: Uint8Array, prefix: number[], at = 0): boolean {
  return bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);
}

export function isJpeg2000(bytes: Uint8Array): boolean {
  return startsWith(bytes, JP2_SIGNATURE) || startsWith(bytes, SOC_SIZ);
}

/** The contiguous codestream: the bytes themselves (J2K) or the payload of the JP2 `jp2c` box. */
export function jpeg2000Codestream(bytes: Uint8Array): Uint8Array {
  if (startsWith(bytes, SOC_SIZ)) return bytes;
  if (!startsWith(bytes, JP2_SIGNATURE)) throw badFrame('not a JPEG 2000 file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 8 <= bytes.length) {
    let length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    let header = 8;
    if (length === 1) {
      if (at + 16 > bytes.length) break;
      const big = view.getBigUint64(at + 8);
      if (big > BigInt(bytes.length)) break;
      length = Number(big);
      header = 16;
    } else if (length === 0) {
      length = bytes.length - at;
    }
    if (length < header || at + length > bytes.length) break;
    if (type === 'jp2c') {
      const cs = bytes.subarray(at + header, at + length);
      if (!startsWith(cs, SOC_SIZ)) break;
      return cs;
    }
    at += length;
  }
  throw badFrame('JPEG 2000 file without a valid codestream box');
}

/** Decodes 1- or 3-component images to 8-bit RGB; deeper samples are shifted down to 8 bits. */
export async function decodeJpeg2000(bytes: Uint8Array): Promise<Frame> {
  const cs = jpeg2000Codestream(bytes);
  const m = await loadCodec();
  const dec = new m.J2KDecoder();
  try {
    dec.getEncodedBuffer(cs.length).set(cs);
    try {
      dec.decode();
    } catch (e) {
      throw Object.assign(badFrame('damaged JPEG 2000 codestream'), { cause: e });
    }
    const info = dec.getFrameInfo();
    const { width, height, componentCount: comps, bitsPerSample: bits } = info;
    if (width <= 0 || height <= 0 || width * height > MAX_PIXELS) throw badFrame(`JPEG 2000 size ${width}x${height}`);
    if (comps !== 1 && comps !== 3 && comps !== 4) throw badFrame(`JPEG 2000 with ${comps} components`);
    if (bits < 1 || bits > 16 || info.isSigned) throw badFrame(`JPEG 2000 with ${info.isSigned ? 'signed ' : ''}${bits}-bit samples`);
    const raw = dec.getDecodedBuffer();
    const n = width * height;
    const wide = bits > 8;
    if (raw.length < n * comps * (wide ? 2 : 1)) throw badFrame('short JPEG 2000 decode');
    const sample = wide
      ? (i: number): number => (raw[2 * i]! | (raw[2 * i + 1]! << 8)) >> (bits - 8)
      : bits < 8
        ? (i: number): number => Math.round((raw[i]! * 255) / ((1 << bits) - 1))
        : (i: number): number => raw[i]!;
    const out = new Uint8Array(n * 3);
    for (let p = 0; p < n; p++) {
      if (comps === 1) {
        out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = sample(p);
      } else {
        out[3 * p] = sample(comps * p);
        out[3 * p + 1] = sample(comps * p + 1);
        out[3 * p + 2] = sample(comps * p + 2);
      }
    }
    return makeFrame(width, height, out);
  } finally {
    dec.delete();
  }
}

/** A lossy J2K codestream at roughly `ratio`:1 against raw 24-bit RGB. */
export async function encodeJpeg2000(frame: Frame, ratio: number): Promise<Uint8Array> {
  const m = await loadCodec();
  const enc = new m.J2KEncoder();
  try {
    const info: FrameInfo = { width: frame.width, height: frame.height, bitsPerSample: 8, componentCount: 3, isSigned: false, isUsingColorTransform: true };
    enc.getDecodedBuffer(info).set(frame.data);
    // Measured on codec-openjpeg 1.3.6: a quality of 1 puts the encoder under rate control,
    // so the layer's compression ratio sets the size (240x320 at 15:1 -> ~15.2 KB); with
    // quality 0 the ratio is ignored and size follows content.
    enc.setQuality(false, 1);
    enc.setCompressionRatio(0, ratio);
    enc.encode();
    return Uint8Array.from(enc.getEncodedBuffer());
  } finally {
    enc.delete();
  }
}

function box(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  new DataView(out.buffer).setUint32(0, out.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(payload, 8);
  return out;
}

/** Wraps a codestream in the minimal JP2 file (signature, ftyp, jp2h with ihdr+colr, jp2c) as chips carry it. */
export function wrapJp2(codestream: Uint8Array, width: number, height: number, components: 1 | 3): Uint8Array {
  const ihdr = new Uint8Array(14);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, height);
  v.setUint32(4, width);
  v.setUint16(8, components);
  ihdr[10] = 7; // bits per component minus one
  ihdr[11] = 7; // compression type: always 7 for JPEG 2000
  const colr = Uint8Array.of(1, 0, 0, 0, 0, 0, components === 3 ? 16 : 17); // enumerated sRGB / greyscale
  const jp2h = box('jp2h', new Uint8Array([...box('ihdr', ihdr), ...box('colr', colr)]));
  const ftyp = box('ftyp', new Uint8Array([0x6a, 0x70, 0x32, 0x20, 0, 0, 0, 0, 0x6a, 0x70, 0x32, 0x20]));
  const parts = [Uint8Array.from(JP2_SIGNATURE), ftyp, jp2h, box('jp2c', codestream)];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
