// Baseline and progressive JPEG (the usual DG2 format and what a camera grab is sent as).
// Decoding: libjpeg-turbo compiled to WebAssembly (@cornerstonejs/codec-libjpeg-turbo-8bit,
// ISC wrapper around libjpeg-turbo's BSD-style/IJG code): about 4x faster than the pure-JS
// jpeg-js it replaced (640x480 at quality 85: ~7 ms against ~24-29 ms here), which is what
// every live camera frame pays before the face or QR step sees it. Encoding (chip-like copies,
// test material) stays with jpeg-js. Limits keep a hostile file from exhausting memory.
import { createRequire } from 'node:module';
import jpeg from 'jpeg-js';
import { isIdkError } from '../../core/errors.js';
import { badFrame, type Frame, frameToRgba, makeFrame } from './frame.js';

/** A DG2 portrait is a few hundred pixels; a camera still at most a few megapixels. */
const MAX_MEGAPIXELS = 40;

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}
interface JpegDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  readHeader(): void;
  decode(): void;
  getFrameInfo(): FrameInfo;
}
interface LibJpegTurbo {
  JPEGDecoder: new () => JpegDecoder;
}

// Loaded once when this module is first imported (top-level await), so decoding stays
// synchronous for its callers. The Emscripten runtime's print hooks are silenced so nothing
// about a picture reaches the logs.
const require = createRequire(import.meta.url);
const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs') as (m: object) => Promise<LibJpegTurbo>;
const quiet = (): void => undefined;
const codec = await factory({ print: quiet, printErr: quiet });
/** One decoder reused: its input and output buffers live in the WASM heap and are copied out. */
const decoder = new codec.JPEGDecoder();

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

export function decodeJpeg(bytes: Uint8Array): Frame {
  if (!isJpeg(bytes)) throw badFrame('not a JPEG file');
  let info: FrameInfo;
  let pixels: Uint8Array;
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.readHeader();
    info = decoder.getFrameInfo();
    if (info.width * info.height > MAX_MEGAPIXELS * 1e6) throw badFrame(`${info.width}x${info.height} is too large`);
    decoder.decode();
    info = decoder.getFrameInfo();
    pixels = decoder.getDecodedBuffer().slice();
  } catch (e) {
    // libjpeg reports through C++ exceptions that reach JS as bare numbers: any of them is a damaged file.
    if (isIdkError(e)) throw e;
    throw Object.assign(badFrame('damaged JPEG'), { cause: e });
  }
  if (info.bitsPerSample !== 8) throw badFrame(`${info.bitsPerSample}-bit JPEG`);
  if (info.componentCount === 3) return makeFrame(info.width, info.height, pixels);
  if (info.componentCount === 1) {
    const rgb = new Uint8Array(pixels.length * 3);
    for (let i = 0; i < pixels.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = pixels[i]!;
    return makeFrame(info.width, info.height, rgb);
  }
  throw badFrame(`JPEG with ${info.componentCount} components`);
}

/** Quality 1-100 as in libjpeg; used to make chip-like copies and test material. */
export function encodeJpeg(frame: Frame, quality: number): Uint8Array {
  const out = jpeg.encode({ width: frame.width, height: frame.height, data: frameToRgba(frame) }, quality);
  return new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
}
