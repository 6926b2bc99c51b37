// Baseline and progressive JPEG (the usual DG2 format and what a camera grab is saved as)
// through jpeg-js, a pure-JS decoder, with limits so a hostile file cannot exhaust memory.
import jpeg from 'jpeg-js';
import { badFrame, type Frame, frameToRgba, makeFrame } from './frame.js';

/** A DG2 portrait is a few hundred pixels; a camera still at most a few megapixels. */
const MAX_MEGAPIXELS = 40;

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

export function decodeJpeg(bytes: Uint8Array): Frame {
  if (!isJpeg(bytes)) throw badFrame('not a JPEG file');
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 512 });
  } catch (e) {
    throw Object.assign(badFrame('damaged JPEG'), { cause: e });
  }
  return makeFrame(img.width, img.height, img.data);
}

/** Quality 1-100 as in libjpeg; used to make chip-like copies and test material. */
export function encodeJpeg(frame: Frame, quality: number): Uint8Array {
  const out = jpeg.encode({ width: frame.width, height: frame.height, data: frameToRgba(frame) }, quality);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
}
