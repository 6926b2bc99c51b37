// Simulated presentation attacks for the liveness evaluation: a "live" frame turned into what
// a kiosk camera might see when someone holds up a printed photo or a phone screen instead of
// their face. These are image-processing SIMULATIONS of re-capture artefacts, not real attacks:
// no printer, screen or camera was involved, so a detector that separates them has shown only
// that it notices these particular artefacts. Every parameter comes from a seeded PRNG, so the
// set is the same on every run.
import { encodeJpeg, decodeJpeg } from '../../drivers/camera/jpeg.js';
import { type Frame, makeFrame, resizeFrame } from '../../drivers/camera/frame.js';
import { prng } from '../../drivers/emulator/prng.js';

export const ATTACK_TYPES = [
  'resample', // low-resolution print or screen: detail lost, then re-imaged at camera resolution
  'blur', // out-of-focus photo held close to the lens
  'jpeg', // a photo saved and shown again: double compression
  'print-tone', // paper: compressed dynamic range, gamma, faded colour
  'colour-cast', // screen white point and backlight: colour cast, lifted blacks
  'moire', // screen-door / RGB subpixel grid resampled by the camera sensor
  'glare', // specular reflection on glossy paper or glass
  'tilt', // the photo held at an angle: perspective foreshortening
  'border', // the whole photo or phone inside the frame, with its margin or bezel and a room behind
  'print-chain', // realistic print attack: tone + resample + blur + tilt + border + glare
  'screen-chain', // realistic phone-screen attack: moire + colour cast + glare + bezel
] as const;

export type AttackType = (typeof ATTACK_TYPES)[number];

/** Camera path of the kiosk: the page sends JPEG at quality 0.85 (docs/face.md), for bona fide and attack alike. */
const CAMERA_JPEG_QUALITY = 85;

export function cameraJpeg(frame: Frame): Frame {
  return decodeJpeg(encodeJpeg(frame, CAMERA_JPEG_QUALITY));
}

const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

function mapPixels(frame: Frame, f: (r: number, g: number, b: number, x: number, y: number) => [number, number, number]): Frame {
  const out = new Uint8Array(frame.data.length);
  const d = frame.data;
  for (let y = 0, i = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++, i += 3) {
      const [r, g, b] = f(d[i]!, d[i + 1]!, d[i + 2]!, x, y);
      out[i] = clamp(r);
      out[i + 1] = clamp(g);
      out[i + 2] = clamp(b);
    }
  }
  return makeFrame(frame.width, frame.height, out);
}

function gaussianBlur(frame: Frame, sigma: number): Frame {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  const kn = k.map((v) => v / sum);
  const { width: w, height: h } = frame;
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          let acc = 0;
          for (let j = -r; j <= r; j++) {
            // Edge pixels repeat outward, so the frame border does not darken.
            const xx = horizontal ? Math.min(w - 1, Math.max(0, x + j)) : x;
            const yy = horizontal ? y : Math.min(h - 1, Math.max(0, y + j));
            acc += kn[j + r]! * src[(yy * w + xx) * 3 + c]!;
          }
          out[(y * w + x) * 3 + c] = acc;
        }
      }
    }
    return out;
  };
  const blurred = pass(pass(Float32Array.from(frame.data), true), false);
  const out = new Uint8Array(blurred.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp(blurred[i]!);
  return makeFrame(w, h, out);
}

function resample(frame: Frame, factor: number): Frame {
  const small = resizeFrame(frame, Math.max(8, Math.round(frame.width * factor)), Math.max(8, Math.round(frame.height * factor)));
  return resizeFrame(small, frame.width, frame.height);
}

/** Paper: blacks lifted and whites dimmed (ink and paper white), a gamma, colours faded toward grey. */
function printTone(frame: Frame, lo: number, hi: number, gamma: number, saturation: number): Frame {
  return mapPixels(frame, (r, g, b) => {
    const y = 0.299 * r + 0.587 * g + 0.114 * b;
    const tone = (v: number): number => lo + (hi - lo) * Math.pow(Math.max(0, y + saturation * (v - y)) / 255, gamma);
    return [tone(r), tone(g), tone(b)];
  });
}

/** A screen's white point and backlight: per-channel gains and a raised black level. */
function colourCast(frame: Frame, gains: [number, number, number], black: number): Frame {
  return mapPixels(frame, (r, g, b) => [black + r * gains[0] * (1 - black / 255), black + g * gains[1] * (1 - black / 255), black + b * gains[2] * (1 - black / 255)]);
}

/**
 * A screen's RGB stripe subpixels and dark gaps between pixel rows, at a pitch that is not a
 * whole number of camera pixels, so the grid beats against the sensor into moiré bands.
 */
function screenDoor(frame: Frame, pitch: number, angle: number, depth: number): Frame {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const gain = 1 / (1 - depth * 0.55);
  const shaded = mapPixels(frame, (r, g, b, x, y) => {
    const u = (x * cos + y * sin) / pitch;
    const v = (-x * sin + y * cos) / pitch;
    const phase = u - Math.floor(u);
    const sub = Math.floor(phase * 3); // which stripe (R, G, B) this camera pixel mostly sees
    const row = v - Math.floor(v) < 0.18 ? 1 - depth : 1; // the black matrix between rows
    const w = (c: number): number => (c === sub ? 1 : 1 - depth) * row * gain;
    return [r * w(0), g * w(1), b * w(2)];
  });
  // The camera lens integrates a little over the grid; some structure survives as moiré.
  return gaussianBlur(shaded, 0.6);
}

/** A soft white specular highlight (glossy paper, screen glass). */
export function glare(frame: Frame, cx: number, cy: number, radius: number, strength: number): Frame {
  return mapPixels(frame, (r, g, b, x, y) => {
    const a = strength * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius * radius));
    return [r + (255 - r) * a, g + (255 - g) * a, b + (255 - b) * a];
  });
}

/**
 * The picture as a flat card turned by `angle` about its vertical axis and seen by a pinhole
 * camera of focal length `focal` (pixels) at the distance where the card's centre keeps its scale.
 * Outside the card, `fill`.
 */
export function tilt(frame: Frame, angle: number, focal: number, fill: [number, number, number]): Frame {
  const { width: w, height: h, data } = frame;
  const cx = w / 2;
  const cy = h / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out = new Uint8Array(data.length);
  for (let v = 0, o = 0; v < h; v++) {
    for (let u = 0; u < w; u++, o += 3) {
      // Inverse projection of camera pixel (u, v) onto the card: u' = f x cos / (f + x sin).
      const du = u - cx;
      const den = focal * cos - du * sin;
      const x = den > 0 ? (du * focal) / den : Infinity;
      const y = ((v - cy) * (focal + x * sin)) / focal;
      const sx = x + cx;
      const sy = y + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (!(x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h)) {
        out.set(fill, o);
        continue;
      }
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < 3; c++) {
        const p = (xx: number, yy: number): number => data[(yy * w + xx) * 3 + c]!;
        const top = p(x0, y0) + (p(x0 + 1, y0) - p(x0, y0)) * fx;
        const bottom = p(x0, y0 + 1) + (p(x0 + 1, y0 + 1) - p(x0, y0 + 1)) * fx;
        out[o + c] = clamp(top + (bottom - top) * fy);
      }
    }
  }
  return makeFrame(w, h, out);
}

/** A room behind the held-up photo: a smooth two-colour gradient with sensor noise. */
function background(width: number, height: number, rnd: () => number): Frame {
  const a = [60 + 120 * rnd(), 60 + 120 * rnd(), 60 + 120 * rnd()];
  const b = [40 + 120 * rnd(), 40 + 120 * rnd(), 40 + 120 * rnd()];
  const out = new Uint8Array(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      const t = (0.6 * y) / height + (0.4 * x) / width;
      for (let c = 0; c < 3; c++) out[i + c] = clamp(a[c]! + (b[c]! - a[c]!) * t + (rnd() - 0.5) * 12);
    }
  }
  return makeFrame(width, height, out);
}

/**
 * The picture shrunk into the camera view with a margin (white paper) or bezel (black phone)
 * around it, in front of a room. `scale` is the picture's width relative to the frame.
 */
function borderOnBackground(frame: Frame, scale: number, margin: number, edge: [number, number, number], rnd: () => number): Frame {
  const { width: w, height: h } = frame;
  const pw = Math.round(w * scale);
  const ph = Math.round(h * scale);
  const pic = resizeFrame(frame, pw, ph);
  const m = Math.round(margin * pw);
  const out = background(w, h, rnd).data as Uint8Array;
  const ox = Math.round((w - pw) / 2 + (rnd() - 0.5) * 0.1 * w);
  const oy = Math.round((h - ph) / 2 + (rnd() - 0.5) * 0.1 * h);
  for (let y = oy - m; y < oy + ph + m; y++) {
    for (let x = ox - m; x < ox + pw + m; x++) {
      if (x < 0 || y < 0 || x >= w || y >= h) continue;
      const inside = x >= ox && y >= oy && x < ox + pw && y < oy + ph;
      const src = inside ? pic.data.subarray(((y - oy) * pw + (x - ox)) * 3, ((y - oy) * pw + (x - ox)) * 3 + 3) : edge;
      out.set(src, (y * w + x) * 3);
    }
  }
  return makeFrame(w, h, out);
}

/** A stable 32-bit seed for one face and one attack. */
export function seedFor(id: string, attack: AttackType, base = 0x1d4c0de): number {
  let h = base >>> 0;
  for (const ch of `${id}/${attack}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/**
 * One simulated attack on a live frame. The face sits near the frame centre (main/eval/face-set.ts
 * puts it there), so glare lands near the face. Ends with the kiosk's own JPEG camera path.
 */
export function simulateAttack(live: Frame, attack: AttackType, seed: number): Frame {
  const rnd = prng(seed);
  const between = (lo: number, hi: number): number => lo + (hi - lo) * rnd();
  const { width: w, height: h } = live;
  const glareNearFace = (f: Frame, strength: number): Frame =>
    glare(f, w / 2 + between(-0.15, 0.15) * w, h / 2 + between(-0.2, 0.2) * h, between(0.05, 0.12) * w, strength);
  const cast = (f: Frame): Frame => colourCast(f, [between(0.8, 0.95), between(0.92, 1.02), between(1.02, 1.15)], between(12, 30));
  const tone = (f: Frame): Frame => printTone(f, between(20, 45), between(200, 235), between(1.1, 1.4), between(0.6, 0.85));
  const lean = (f: Frame, fill: [number, number, number]): Frame => tilt(f, (rnd() < 0.5 ? -1 : 1) * between(0.25, 0.5), 900, fill);
  let out: Frame;
  switch (attack) {
    case 'resample': out = resample(live, between(0.25, 0.4)); break;
    case 'blur': out = gaussianBlur(live, between(1.5, 2.5)); break;
    case 'jpeg': out = decodeJpeg(encodeJpeg(live, Math.round(between(10, 25)))); break;
    case 'print-tone': out = tone(live); break;
    case 'colour-cast': out = cast(live); break;
    case 'moire': out = screenDoor(live, between(2.3, 3.7), between(-0.08, 0.08), between(0.2, 0.4)); break;
    case 'glare': out = glareNearFace(live, between(0.6, 0.9)); break;
    case 'tilt': out = lean(live, [90, 90, 90]); break;
    case 'border': out = rnd() < 0.5 ? borderOnBackground(live, between(0.75, 0.9), 0.06, [235, 235, 228], rnd) : borderOnBackground(live, between(0.75, 0.9), 0.04, [12, 12, 14], rnd); break;
    case 'print-chain': {
      const printed = gaussianBlur(resample(tone(live), between(0.3, 0.5)), between(0.8, 1.4));
      out = glareNearFace(borderOnBackground(lean(printed, [235, 235, 228]), between(0.8, 0.92), 0.06, [235, 235, 228], rnd), between(0.3, 0.6));
      break;
    }
    case 'screen-chain': {
      const shown = cast(screenDoor(live, between(2.3, 3.7), between(-0.08, 0.08), between(0.2, 0.35)));
      out = glareNearFace(borderOnBackground(shown, between(0.8, 0.92), 0.04, [12, 12, 14], rnd), between(0.3, 0.6));
      break;
    }
  }
  return cameraJpeg(out);
}
