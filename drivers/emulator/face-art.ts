// A synthetic, clearly cartoon portrait for emulated cards: test data must never be a
// real person's face, yet DG2 should be photo-sized so reads, hashes and progress
// behave as with a real card. Deterministic per seed; mild noise so the JPEG
// compresses like a photograph rather than a flat drawing.
import jpeg from 'jpeg-js';
import { prng } from './prng.js';

interface SyntheticFaceOptions {
  width?: number;
  height?: number;
  /** JPEG quality 1-100. */
  quality?: number;
}

type Rgb = readonly [number, number, number];

const SKIN: Rgb[] = [
  [241, 208, 180],
  [228, 186, 150],
  [205, 160, 120],
  [176, 128, 92],
  [140, 98, 70],
];
const HAIR: Rgb[] = [
  [30, 24, 20],
  [60, 40, 28],
  [110, 72, 40],
  [25, 25, 30],
  [150, 150, 150],
];
const BACKGROUND: Rgb[] = [
  [214, 226, 240],
  [236, 236, 236],
  [222, 232, 222],
  [240, 232, 214],
];
const SHIRT: Rgb[] = [
  [40, 70, 120],
  [240, 240, 240],
  [90, 90, 90],
  [120, 40, 50],
  [40, 100, 80],
];

function pick<T>(list: readonly T[], r: () => number): T {
  return list[Math.floor(r() * list.length)]!;
}

export function syntheticFace(
  seed: number,
  opts: SyntheticFaceOptions = {},
): { jpeg: Uint8Array; width: number; height: number } {
  const width = opts.width ?? 240;
  const height = opts.height ?? 320;
  const quality = opts.quality ?? 86;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width > 4096 || height > 4096) {
    throw new RangeError('synthetic face size must be 16..4096 pixels');
  }
  const r = prng(seed);
  const data = new Uint8Array(width * height * 4);
  const skin = pick(SKIN, r);
  const hair = pick(HAIR, r);
  const bg = pick(BACKGROUND, r);
  const shirt = pick(SHIRT, r);
  const s = Math.min(width, height * 0.75); // proportions follow the narrower side
  const cx = width / 2 + (r() - 0.5) * width * 0.04;
  const headY = height * (0.4 + (r() - 0.5) * 0.04);
  const headRx = s * (0.25 + r() * 0.04);
  const headRy = headRx * (1.22 + r() * 0.12);
  const eyeDx = headRx * (0.36 + r() * 0.08);
  const eyeY = headY - headRy * 0.05;
  const eyeR = headRx * (0.1 + r() * 0.03);
  const hairLength = r(); // 0 short, 1 long
  const smile = 0.3 + r() * 0.7;

  const inEllipse = (x: number, y: number, ex: number, ey: number, rx: number, ry: number) =>
    ((x - ex) / rx) ** 2 + ((y - ey) / ry) ** 2 <= 1;

  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Background: a soft vertical gradient, as studio backdrops are.
      const g = 1 - (y / height) * 0.12;
      let c: Rgb = [bg[0] * g, bg[1] * g, bg[2] * g];
      const shoulders = inEllipse(x, y, cx, height * 1.02, s * 0.62, height * 0.26);
      const neck = Math.abs(x - cx) < headRx * 0.42 && y > headY && y < height * 0.86;
      const longHair = hairLength > 0.5 && inEllipse(x, y, cx, headY + headRy * 0.35, headRx * 1.22, headRy * 1.05) && y > headY - headRy * 0.2;
      if (longHair) c = hair;
      if (neck) c = shade(skin, 0.88);
      if (shoulders) c = shirt;
      const ear = inEllipse(x, y, cx - headRx, eyeY + headRy * 0.08, headRx * 0.14, headRy * 0.18) ||
        inEllipse(x, y, cx + headRx, eyeY + headRy * 0.08, headRx * 0.14, headRy * 0.18);
      if (ear) c = shade(skin, 0.93);
      if (inEllipse(x, y, cx, headY, headRx, headRy)) {
        // Light from the upper left: faces read as faces with a little modelling.
        const d = ((x - cx + headRx * 0.3) / headRx) ** 2 + ((y - headY + headRy * 0.3) / headRy) ** 2;
        c = shade(skin, 1.05 - 0.12 * Math.min(1, d));
      }
      // Hair cap over the top of the head.
      if (inEllipse(x, y, cx, headY - headRy * 0.25, headRx * 1.06, headRy * 0.85) && y < headY - headRy * (0.45 - hairLength * 0.1)) c = hair;
      // Eyes: white, iris, pupil.
      for (const side of [-1, 1]) {
        const ex = cx + side * eyeDx;
        if (inEllipse(x, y, ex, eyeY, eyeR * 1.5, eyeR)) c = [245, 245, 245];
        if (inEllipse(x, y, ex, eyeY, eyeR * 0.7, eyeR * 0.7)) c = [70, 50, 35];
        if (inEllipse(x, y, ex, eyeY, eyeR * 0.3, eyeR * 0.3)) c = [10, 10, 10];
        if (Math.abs(y - (eyeY - eyeR * 2)) < eyeR * 0.3 && Math.abs(x - ex) < eyeR * 1.6) c = shade(hair, 1.1);
      }
      // Nose: a short shaded wedge.
      const noseTop = eyeY + eyeR;
      const noseLen = headRy * 0.32;
      if (y > noseTop && y < noseTop + noseLen && Math.abs(x - cx) < ((y - noseTop) / noseLen) * headRx * 0.12 + 1) {
        c = shade(skin, 0.85);
      }
      // Mouth: the lower half of an ellipse, wider when smiling.
      const mouthY = headY + headRy * 0.5;
      if (inEllipse(x, y, cx, mouthY, headRx * (0.25 + smile * 0.12), headRy * 0.06 * (1 + smile)) && y >= mouthY - 1) {
        c = [170, 70, 70];
      }
      const i = (y * width + x) * 4;
      // Mild noise so the encoder sees texture, as in a photograph.
      const n = (r() - 0.5) * 14;
      data[i] = clamp(c[0] + n);
      data[i + 1] = clamp(c[1] + n);
      data[i + 2] = clamp(c[2] + n);
      data[i + 3] = 255;
    }
  }
  const encoded = jpeg.encode({ data, width, height }, quality);
  return { jpeg: new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.length), width, height };
}

function shade(c: Rgb, f: number): Rgb {
  return [c[0] * f, c[1] * f, c[2] * f];
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}
