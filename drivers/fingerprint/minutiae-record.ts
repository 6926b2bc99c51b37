// What ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 finger minutiae records share: the
// finger view header, 6-byte minutiae and the extended data blocks. The two formats differ in
// their record header and in the angle unit; iso19794-2.ts and ansi378.ts hold those.
//
// Layouts per the standards' record format tables (field sizes as published; no code copied):
// finger view header = position (1), view number (high nibble) + impression type (low
// nibble) (1), finger quality (1), minutiae count (1); each minutia = type (2 bits) + x (14),
// reserved (2) + y (14), angle (1), quality (1); then extended data: total length (2) and
// blocks of type (2), length (2, counting these 4 bytes), data.
import { IdkError } from '../../core/errors.js';

type MinutiaType = 'other' | 'ending' | 'bifurcation';

interface Minutia {
  type: MinutiaType;
  x: number;
  y: number;
  /** Direction in degrees, 0 <= angle < 360, counter-clockwise from the x axis. */
  angle: number;
  /** 0 = not reported, 1..100. */
  quality: number;
}

interface ExtendedBlock {
  /** 0x0001 ridge counts, 0x0002 cores and deltas, others vendor-defined. */
  type: number;
  data: Uint8Array;
}

interface FingerView {
  /** 0 unknown, 1..10 right thumb .. left little (ISO/ANSI finger position codes). */
  position: number;
  view: number;
  impression: number;
  /** 0..100. */
  quality: number;
  minutiae: Minutia[];
  extended: ExtendedBlock[];
}

export interface MinutiaeRecord {
  format: 'ISO/IEC 19794-2:2005' | 'ANSI INCITS 378-2004';
  /** ANSI only: CBEFF product identifier (owner << 16 | type). */
  cbeffProductId?: number;
  /** Capture equipment: compliance/certification (4 bits) and device ID (12 bits). */
  equipment: { compliance: number; id: number };
  width: number;
  height: number;
  /** Pixels per centimetre (197 = 500 dpi). */
  resolutionX: number;
  resolutionY: number;
  views: FingerView[];
}

const TYPE_BITS: Record<number, MinutiaType> = { 0: 'other', 1: 'ending', 2: 'bifurcation' };
const TYPE_CODE: Record<MinutiaType, number> = { other: 0, ending: 1, bifurcation: 2 };

function templateError(format: string, why: string, detail?: Record<string, unknown>): IdkError {
  return new IdkError(
    'FP_TEMPLATE_MALFORMED',
    {
      vi: `Mẫu vân tay ${format} không hợp lệ (${why}): mẫu có thể bị hỏng hoặc không đúng định dạng.`,
      en: `The ${format} fingerprint template is invalid (${why}): it may be damaged or in another format.`,
    },
    { detail: { format, why, ...detail } },
  );
}

/** Big-endian reads that throw a typed error past the end instead of returning undefined. */
export class Cursor {
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    private readonly format: string,
  ) {}

  fail(why: string, detail?: Record<string, unknown>): IdkError {
    return templateError(this.format, why, { offset: this.pos, ...detail });
  }

  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) throw this.fail(`${what} runs past the end`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = (this.bytes[this.pos]! << 8) | this.bytes[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.bytes;
    const v = ((b[this.pos]! << 24) | (b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!) >>> 0;
    this.pos += 4;
    return v;
  }

  take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

export interface AngleCodec {
  /** Raw angle byte -> degrees; throws past the format's range. */
  decode(raw: number, c: Cursor): number;
  encode(degrees: number): number;
}

/** Impression types 0..9 as the ANSI/NIST-ITL codes the two standards reuse; 10..15 are unassigned. */
const MAX_IMPRESSION = 9;

/** What ISO 19794-2 and ANSI 378 records share after their length fields: equipment, image, views. */
export function readRecordBody(c: Cursor, size: number, angle: AngleCodec) {
  const eq = c.u16('capture equipment');
  const width = c.u16('image width');
  const height = c.u16('image height');
  const resolutionX = c.u16('x resolution');
  const resolutionY = c.u16('y resolution');
  if (resolutionX === 0 || resolutionY === 0) throw c.fail('zero resolution');
  const n = c.u8('number of finger views');
  if (n === 0) throw c.fail('no finger view');
  c.u8('reserved byte');
  const views: FingerView[] = [];
  for (let i = 0; i < n; i++) views.push(readView(c, width, height, angle));
  if (c.pos !== size) throw c.fail('bytes after the last finger view');
  return { equipment: { compliance: eq >> 12, id: eq & 0x0fff }, width, height, resolutionX, resolutionY, views };
}

function readView(c: Cursor, width: number, height: number, angle: AngleCodec): FingerView {
  const position = c.u8('finger position');
  if (position > 10) throw c.fail('finger position above 10', { position });
  const vi = c.u8('view/impression');
  const impression = vi & 0x0f;
  if (impression > MAX_IMPRESSION) throw c.fail('unassigned impression type', { impression });
  const quality = c.u8('finger quality');
  if (quality > 100) throw c.fail('finger quality above 100', { quality });
  const count = c.u8('minutiae count');
  c.need(count * 6, 'minutiae');
  const minutiae: Minutia[] = [];
  for (let i = 0; i < count; i++) {
    const tx = c.u16('minutia x');
    const ry = c.u16('minutia y');
    const type = TYPE_BITS[tx >> 14];
    if (type === undefined) throw c.fail('reserved minutia type 11', { minutia: i });
    if (ry >> 14 !== 0) throw c.fail('reserved bits of minutia y are set', { minutia: i });
    const x = tx & 0x3fff;
    const y = ry & 0x3fff;
    if ((width > 0 && x >= width) || (height > 0 && y >= height)) throw c.fail('minutia outside the image', { minutia: i, x, y });
    const deg = angle.decode(c.u8('minutia angle'), c);
    const q = c.u8('minutia quality');
    if (q > 100) throw c.fail('minutia quality above 100', { minutia: i, quality: q });
    minutiae.push({ type, x, y, angle: deg, quality: q });
  }
  const extLen = c.u16('extended data length');
  const end = c.pos + extLen;
  c.need(extLen, 'extended data');
  const extended: ExtendedBlock[] = [];
  while (c.pos < end) {
    const type = c.u16('extended block type');
    const len = c.u16('extended block length');
    if (len < 4 || c.pos - 4 + len > end) throw c.fail('extended block length out of range', { type, len });
    extended.push({ type, data: c.take(len - 4, 'extended block data') });
  }
  return { position, view: vi >> 4, impression, quality, minutiae, extended };
}

export function writeView(out: number[], v: FingerView, angle: AngleCodec): void {
  if (v.minutiae.length > 255) throw new RangeError('at most 255 minutiae per view');
  out.push(v.position, ((v.view & 0x0f) << 4) | (v.impression & 0x0f), v.quality, v.minutiae.length);
  for (const m of v.minutiae) {
    const tx = (TYPE_CODE[m.type] << 14) | (m.x & 0x3fff);
    out.push(tx >> 8, tx & 0xff, (m.y >> 8) & 0x3f, m.y & 0xff, angle.encode(m.angle), m.quality);
  }
  const ext: number[] = [];
  for (const b of v.extended) {
    const len = b.data.length + 4;
    ext.push(b.type >> 8, b.type & 0xff, len >> 8, len & 0xff, ...b.data);
  }
  if (ext.length > 0xffff) throw new RangeError('extended data too long');
  out.push(ext.length >> 8, ext.length & 0xff, ...ext);
}

export const FMR_MAGIC = [0x46, 0x4d, 0x52, 0x00]; // "FMR\0"
export const VERSION_20 = [0x20, 0x32, 0x30, 0x00]; // " 20\0"

export function readMagic(c: Cursor): void {
  const m = c.take(4, 'format identifier');
  if (!FMR_MAGIC.every((b, i) => m[i] === b)) throw c.fail('not a finger minutiae record (no "FMR\\0")');
  const v = c.take(4, 'version');
  if (!VERSION_20.every((b, i) => v[i] === b)) throw c.fail('unsupported version (expected " 20")', { version: Array.from(v) });
}

/** Which of the two formats a record is, from its length field; null when neither fits. */
export function detectFormat(bytes: Uint8Array): 'iso' | 'ansi' | null {
  if (bytes.length < 26 || !FMR_MAGIC.every((b, i) => bytes[i] === b)) return null;
  const iso = ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0;
  if (iso === bytes.length) return 'iso';
  const ansi = (bytes[8]! << 8) | bytes[9]!;
  if (ansi === bytes.length) return 'ansi';
  if (ansi === 0 && bytes.length >= 30) {
    const long = ((bytes[10]! << 24) | (bytes[11]! << 16) | (bytes[12]! << 8) | bytes[13]!) >>> 0;
    if (long === bytes.length) return 'ansi';
  }
  return null;
}
