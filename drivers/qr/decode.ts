// Barcodes from RGBA frames (camera frames in the renderer, image files in Node) with
// @zxing/library, and the advice a person needs when nothing decodes: come closer, hold
// still, avoid glare. Pure except loadImageFile, so the same code runs in a worker.
import {
  BarcodeFormat,
  BinaryBitmap,
  DecodeHintType,
  GlobalHistogramBinarizer,
  HybridBinarizer,
  MultiFormatReader,
  NotFoundException,
  ChecksumException,
  FormatException,
  RGBLuminanceSource,
  ResultMetadataType,
} from '@zxing/library';
import { utf8 } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';
import { badEncoding } from './cccd-qr.js';

export interface RgbaFrame {
  width: number;
  height: number;
  /** width * height * 4 bytes, RGBA row by row (ImageData.data, pngjs, jpeg-js). */
  data: Uint8Array | Uint8ClampedArray;
}

export interface DecodedCode {
  /** zxing's name of the symbology, e.g. 'QR_CODE', 'DATA_MATRIX', 'PDF_417'. */
  format: string;
  /** UTF-8, NFC. */
  text: string;
}

/** The symbologies a kiosk meets: the CCCD QR, VNeID QR codes, and 2D codes on travel documents. */
const FORMATS = [BarcodeFormat.QR_CODE, BarcodeFormat.DATA_MATRIX, BarcodeFormat.PDF_417, BarcodeFormat.AZTEC];

function badFrame(why: string, cause?: unknown): IdkError {
  return new IdkError('BAD_IMAGE', { vi: `Ảnh không hợp lệ: ${why}.`, en: `Invalid image: ${why}.` }, cause === undefined ? undefined : { cause });
}

/** BT.601 luma in integers; camera frames are sRGB-ish and the binarizer needs only contrast. */
export function luminance(frame: RgbaFrame): Uint8ClampedArray {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw badFrame('size');
  if (data.length !== width * height * 4) throw badFrame('pixel buffer length does not match its size');
  const out = new Uint8ClampedArray(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 4) out[i] = (77 * data[j]! + 150 * data[j + 1]! + 29 * data[j + 2]!) >> 8;
  return out;
}

export class BarcodeDecoder {
  private readonly reader = new MultiFormatReader();
  private readonly tryHarder: boolean;

  constructor(opts: { tryHarder?: boolean; formats?: BarcodeFormat[] } = {}) {
    this.tryHarder = opts.tryHarder !== false;
    const hints = new Map<DecodeHintType, unknown>();
    hints.set(DecodeHintType.POSSIBLE_FORMATS, opts.formats ?? FORMATS);
    // Byte segments without an ECI are UTF-8 in every QR a CCCD or VNeID shows.
    hints.set(DecodeHintType.CHARACTER_SET, 'UTF-8');
    if (this.tryHarder) hints.set(DecodeHintType.TRY_HARDER, true);
    this.reader.setHints(hints);
  }

  /**
   * The code in this luminance image, or null when none decodes. Invalid UTF-8 throws
   * QR_BAD_ENCODING. The local-threshold binarizer goes first (uneven light on a card);
   * with TRY_HARDER the global-histogram one follows, because zxing-js's HybridBinarizer
   * misses clean codes in noisy frames that the global one reads (zxing-js/library#653;
   * ZXing.Net added the same fallback, micjahn/ZXing.Net#487).
   */
  decodeLuminance(lum: Uint8ClampedArray, width: number, height: number): DecodedCode | null {
    const source = new RGBLuminanceSource(lum, width, height);
    const result = this.attempt(new BinaryBitmap(new HybridBinarizer(source))) ?? (this.tryHarder ? this.attempt(new BinaryBitmap(new GlobalHistogramBinarizer(source))) : null);
    if (!result) return null;
    const segments = result.getResultMetadata()?.get(ResultMetadataType.BYTE_SEGMENTS) as Uint8Array[] | undefined;
    // zxing decodes byte segments leniently (U+FFFD); the raw segments must be strict UTF-8.
    for (const s of segments ?? []) {
      try {
        utf8.decode(Uint8Array.from(s));
      } catch (e) {
        throw badEncoding(e);
      }
    }
    return { format: BarcodeFormat[result.getBarcodeFormat()], text: result.getText().normalize('NFC') };
  }

  private attempt(bitmap: BinaryBitmap): ReturnType<MultiFormatReader['decodeWithState']> | null {
    try {
      return this.reader.decodeWithState(bitmap);
    } catch (e) {
      if (e instanceof NotFoundException || e instanceof ChecksumException || e instanceof FormatException) return null;
      throw e;
    } finally {
      this.reader.reset();
    }
  }

  decode(frame: RgbaFrame): DecodedCode | null {
    return this.decodeLuminance(luminance(frame), frame.width, frame.height);
  }
}

interface FrameStats {
  /** Mean luma 0-255. */
  mean: number;
  /** Share of pixels at 250 or above. */
  saturated: number;
  /** Share of 16x16 tiles with strong contrast (where a code's modules would be). */
  detail: number;
  /** Their number: a code needs about 90 of them (150 px wide) to have modules of 3 px. */
  detailTiles: number;
  pixels: number;
  /** Median, over the detailed tiles, of the steepest edge over the tile's contrast: about 1/edge-width in pixels. */
  sharpness: number;
}

const TILE = 16;

/** Cheap statistics over a luminance image, for the hints below. */
export function frameStats(lum: Uint8ClampedArray, width: number, height: number): FrameStats {
  let sum = 0;
  let sat = 0;
  for (let i = 0; i < lum.length; i++) {
    sum += lum[i]!;
    if (lum[i]! >= 250) sat++;
  }
  const ratios: number[] = [];
  let tiles = 0;
  for (let ty = 0; ty + TILE <= height; ty += TILE) {
    for (let tx = 0; tx + TILE <= width; tx += TILE) {
      tiles++;
      let min = 255;
      let max = 0;
      let s = 0;
      let s2 = 0;
      // Edges measured on 2x2 box averages: sensor noise halves, a real edge stays.
      let steep = 0;
      for (let y = ty; y + 3 < ty + TILE; y += 2) {
        for (let x = tx; x + 3 < tx + TILE; x += 2) {
          const a = box(lum, width, x, y);
          const r = box(lum, width, x + 2, y);
          const d = box(lum, width, x, y + 2);
          if (a < min) min = a;
          if (a > max) max = a;
          s += a;
          s2 += a * a;
          const g = Math.max(Math.abs(a - r), Math.abs(a - d));
          if (g > steep) steep = g;
        }
      }
      const n = ((TILE - 2) / 2) ** 2;
      const sd = Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
      if (sd >= 30 && max - min >= 80) ratios.push(steep / (max - min));
    }
  }
  ratios.sort((a, b) => a - b);
  return {
    mean: sum / lum.length,
    saturated: sat / lum.length,
    detail: tiles === 0 ? 0 : ratios.length / tiles,
    detailTiles: ratios.length,
    pixels: lum.length,
    sharpness: ratios.length === 0 ? 0 : ratios[Math.floor(ratios.length / 2)]!,
  };
}

function box(lum: Uint8ClampedArray, width: number, x: number, y: number): number {
  const i = y * width + x;
  return (lum[i]! + lum[i + 1]! + lum[i + width]! + lum[i + width + 1]!) / 4;
}

/** Mean absolute difference between two luminance images of one size, sampled every 4th pixel. */
export function motion(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  if (a.length !== b.length) return 255;
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    d += Math.abs(a[i]! - b[i]!);
    n++;
  }
  return n === 0 ? 0 : d / n;
}

export type QualityHint = 'too-dark' | 'avoid-glare' | 'hold-still' | 'move-closer' | 'no-code';

export const HINT_TEXT: Record<QualityHint, { vi: string; en: string }> = {
  'too-dark': { vi: 'Thiếu sáng: hãy đưa thẻ ra chỗ sáng hơn.', en: 'Too dark: move the card into more light.' },
  'avoid-glare': { vi: 'Bị lóa: hãy nghiêng thẻ để tránh ánh đèn phản chiếu.', en: 'Glare: tilt the card away from the light.' },
  'hold-still': { vi: 'Hình bị mờ: hãy giữ yên thẻ.', en: 'Blurred: hold the card still.' },
  'move-closer': { vi: 'Mã QR quá nhỏ: hãy đưa thẻ lại gần camera.', en: 'The QR code is too small: bring the card closer to the camera.' },
  'no-code': { vi: 'Chưa thấy mã QR: hãy đưa mã QR trên thẻ vào khung hình.', en: 'No QR code in view: show the QR code on the card to the camera.' },
};

/**
 * Advice for a frame that did not decode, most pressing first. `moving` is the motion
 * against the previous frame when the caller has one (a loop does, a still image does not).
 */
export function qualityHints(stats: FrameStats, moving?: number): QualityHint[] {
  const out: QualityHint[] = [];
  if (stats.mean < 45) out.push('too-dark');
  // A lamp's reflection: a few thousand burnt-out pixels, whatever the frame size.
  if (stats.saturated * stats.pixels > 2500) out.push('avoid-glare');
  if ((moving !== undefined && moving > 12) || (stats.detailTiles > 0 && stats.sharpness < 0.3)) out.push('hold-still');
  if (stats.detailTiles === 0 && out.length === 0) out.push('no-code');
  else if (stats.detailTiles > 0 && stats.detailTiles < 90 && !out.includes('hold-still')) out.push('move-closer');
  return out;
}

export function rotateRgba(frame: RgbaFrame, quarterTurns: number): RgbaFrame {
  const q = ((quarterTurns % 4) + 4) % 4;
  if (q === 0) return frame;
  const { width: w, height: h, data } = frame;
  const W = q === 2 ? w : h;
  const H = q === 2 ? h : w;
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [X, Y] = q === 1 ? [h - 1 - y, x] : q === 2 ? [w - 1 - x, h - 1 - y] : [y, w - 1 - x];
      out.set(data.subarray((y * w + x) * 4, (y * w + x) * 4 + 4), (Y * W + X) * 4);
    }
  }
  return { width: W, height: H, data: out };
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

/** PNG or JPEG file bytes to an RGBA frame. */
export async function decodeImageBytes(bytes: Uint8Array): Promise<RgbaFrame> {
  if (PNG_MAGIC.every((b, i) => bytes[i] === b)) {
    const { PNG } = await import('pngjs');
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    } catch (e) {
      throw badFrame('damaged PNG', e);
    }
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const jpeg = (await import('jpeg-js')).default;
    try {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 256 });
      return { width: img.width, height: img.height, data: img.data };
    } catch (e) {
      throw badFrame('damaged JPEG', e);
    }
  }
  throw new IdkError('BAD_IMAGE', {
    vi: 'Tệp ảnh không phải PNG hay JPEG.',
    en: 'The image file is neither PNG nor JPEG.',
  });
}

export async function loadImageFile(path: string): Promise<RgbaFrame> {
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new IdkError(
      'FILE_NOT_READABLE',
      { vi: `Không đọc được tệp ảnh ${path}.`, en: `Cannot read the image file ${path}.` },
      { cause: e },
    );
  }
  return decodeImageBytes(bytes);
}
