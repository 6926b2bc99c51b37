// A still frame as every face step sees it: 8-bit RGB, rows top to bottom, no padding.
// Decoders and the camera hand over frames in this one shape so the matcher never learns
// where a picture came from.
import { IdkError } from '../../core/errors.js';

export interface Frame {
  readonly width: number;
  readonly height: number;
  /** width * height * 3 bytes, R G B per pixel. */
  readonly data: Uint8Array;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Maps an output pixel (u, v) to the source point (x, y) it samples:
 * x = a*u + b*v + c, y = d*u + e*v + f.
 */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  e: number;
  f: number;
}

export function badFrame(why: string): IdkError {
  return new IdkError('BAD_IMAGE', { vi: `Ảnh không hợp lệ: ${why}.`, en: `Invalid image: ${why}.` });
}

export function makeFrame(width: number, height: number, data: Uint8Array): Frame {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw badFrame(`size ${width}x${height}`);
  if (data.length !== width * height * 3) throw badFrame(`${data.length} bytes for ${width}x${height} RGB`);
  return { width, height, data };
}

/** Drops the alpha channel of RGBA pixels (jpeg-js, canvas ImageData, getUserMedia grabs). */
export function frameFromRgba(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): Frame {
  if (rgba.length !== width * height * 4) throw badFrame(`${rgba.length} bytes for ${width}x${height} RGBA`);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
    out[i] = rgba[j]!;
    out[i + 1] = rgba[j + 1]!;
    out[i + 2] = rgba[j + 2]!;
  }
  return makeFrame(width, height, out);
}

export function frameToRgba(frame: Frame): Uint8Array {
  const out = new Uint8Array(frame.width * frame.height * 4);
  for (let i = 0, j = 0; i < frame.data.length; i += 3, j += 4) {
    out[j] = frame.data[i]!;
    out[j + 1] = frame.data[i + 1]!;
    out[j + 2] = frame.data[i + 2]!;
    out[j + 3] = 255;
  }
  return out;
}

/** A grey frame: one luma value per pixel repeated into R, G and B. */
export function frameFromGray(width: number, height: number, gray: Uint8Array): Frame {
  if (gray.length !== width * height) throw badFrame(`${gray.length} bytes for ${width}x${height} grey`);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < gray.length; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = gray[i]!;
  return makeFrame(width, height, out);
}

export function solidFrame(width: number, height: number, rgb: [number, number, number]): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return makeFrame(width, height, data);
}

/** Mean BT.601 luma (0..255) over a rectangle clipped to the frame; the whole frame by default. */
export function meanLuma(frame: Frame, rect?: Rect): number {
  const x0 = Math.max(0, Math.floor(rect?.x ?? 0));
  const y0 = Math.max(0, Math.floor(rect?.y ?? 0));
  const x1 = Math.min(frame.width, Math.ceil(rect ? rect.x + rect.width : frame.width));
  const y1 = Math.min(frame.height, Math.ceil(rect ? rect.y + rect.height : frame.height));
  let sum = 0;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0, i = (y * frame.width + x0) * 3; x < x1; x++, i += 3) {
      sum += 0.299 * frame.data[i]! + 0.587 * frame.data[i + 1]! + 0.114 * frame.data[i + 2]!;
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Samples an outW x outH RGB patch through `m` with bilinear interpolation into floats
 * `value * scale + offset` (the normalisation a network wants), HWC order. Points outside
 * the frame read as black, which is what a letterboxed network input expects.
 */
export function warpAffine(frame: Frame, m: Affine, outW: number, outH: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(outW * outH * 3);
  const { width: w, height: h, data } = frame;
  let o = 0;
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++, o += 3) {
      const x = m.a * u + m.b * v + m.c;
      const y = m.d * u + m.e * v + m.f;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h) {
        // All four neighbours inside (nearly every sample): no bounds checks, same arithmetic.
        const i00 = (y0 * w + x0) * 3;
        const i01 = i00 + w * 3;
        for (let c = 0; c < 3; c++) {
          const p00 = data[i00 + c]!;
          const p01 = data[i01 + c]!;
          const top = p00 + (data[i00 + 3 + c]! - p00) * fx;
          const bottom = p01 + (data[i01 + 3 + c]! - p01) * fx;
          out[o + c] = (top + (bottom - top) * fy) * scale + offset;
        }
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const p00 = x0 >= 0 && y0 >= 0 && x0 < w && y0 < h ? data[(y0 * w + x0) * 3 + c]! : 0;
        const p10 = x0 + 1 >= 0 && y0 >= 0 && x0 + 1 < w && y0 < h ? data[(y0 * w + x0 + 1) * 3 + c]! : 0;
        const p01 = x0 >= 0 && y0 + 1 >= 0 && x0 < w && y0 + 1 < h ? data[((y0 + 1) * w + x0) * 3 + c]! : 0;
        const p11 = x0 + 1 >= 0 && y0 + 1 >= 0 && x0 + 1 < w && y0 + 1 < h ? data[((y0 + 1) * w + x0 + 1) * 3 + c]! : 0;
        const top = p00 + (p10 - p00) * fx;
        const bottom = p01 + (p11 - p01) * fx;
        out[o + c] = (top + (bottom - top) * fy) * scale + offset;
      }
    }
  }
  return out;
}

/** Pixel-centre aligned scaling: output pixel centres map onto source pixel centres. */
function scaleAffine(srcW: number, srcH: number, outW: number, outH: number): Affine {
  const sx = srcW / outW;
  const sy = srcH / outH;
  return { a: sx, b: 0, c: 0.5 * sx - 0.5, d: 0, e: sy, f: 0.5 * sy - 0.5 };
}

function toBytes(f: Float32Array): Uint8Array {
  const out = new Uint8Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(f[i]!)));
  return out;
}

/** Bilinear resize; shrinking by more than 2x first box-averages so detail does not alias. */
export function resizeFrame(frame: Frame, width: number, height: number): Frame {
  let src = frame;
  while (src.width >= 2 * width && src.height >= 2 * height) src = halve(src);
  return makeFrame(width, height, toBytes(warpAffine(src, scaleAffine(src.width, src.height, width, height), width, height)));
}

function halve(frame: Frame): Frame {
  const w = frame.width >> 1;
  const h = frame.height >> 1;
  const out = new Uint8Array(w * h * 3);
  const s = frame.width * 3;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (2 * y * frame.width + 2 * x) * 3;
      for (let c = 0; c < 3; c++) {
        out[(y * w + x) * 3 + c] = (frame.data[i + c]! + frame.data[i + 3 + c]! + frame.data[i + s + c]! + frame.data[i + s + 3 + c]! + 2) >> 2;
      }
    }
  }
  return makeFrame(w, h, out);
}

export function cropFrame(frame: Frame, rect: Rect): Frame {
  const x0 = Math.max(0, Math.round(rect.x));
  const y0 = Math.max(0, Math.round(rect.y));
  const x1 = Math.min(frame.width, Math.round(rect.x + rect.width));
  const y1 = Math.min(frame.height, Math.round(rect.y + rect.height));
  if (x1 <= x0 || y1 <= y0) throw badFrame('empty crop');
  const w = x1 - x0;
  const out = new Uint8Array(w * (y1 - y0) * 3);
  for (let y = y0; y < y1; y++) out.set(frame.data.subarray((y * frame.width + x0) * 3, (y * frame.width + x1) * 3), (y - y0) * w * 3);
  return makeFrame(w, y1 - y0, out);
}

/** A frame with every channel value multiplied by `gain` (a dim room, an over-lit one). */
export function scaleBrightness(frame: Frame, gain: number): Frame {
  const out = new Uint8Array(frame.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.round(frame.data[i]! * gain));
  return makeFrame(frame.width, frame.height, out);
}

/** Places `frame` at (x, y) on a canvas of the given size filled with `fill`. */
export function placeOnCanvas(frame: Frame, width: number, height: number, x: number, y: number, fill: [number, number, number] = [128, 128, 128]): Frame {
  const canvas = solidFrame(width, height, fill);
  const data = canvas.data as Uint8Array;
  for (let row = 0; row < frame.height; row++) {
    const ty = y + row;
    if (ty < 0 || ty >= height) continue;
    for (let col = 0; col < frame.width; col++) {
      const tx = x + col;
      if (tx < 0 || tx >= width) continue;
      const s = (row * frame.width + col) * 3;
      data.set(frame.data.subarray(s, s + 3), (ty * width + tx) * 3);
    }
  }
  return canvas;
}
