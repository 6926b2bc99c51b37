// QR images for tests: encoded by a third-party encoder (Debian's qrencode) at test time,
// then degraded the way cameras degrade them: rotation, blur, noise, glare, small and
// tilted in a noisy 640x480 or 1280x720 frame. Deterministic (seeded), so failures repeat.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type RgbaFrame, decodeImageBytes } from '../../drivers/qr/decode.js';
import { prng } from '../../drivers/emulator/prng.js';
export { prng } from '../../drivers/emulator/prng.js';

export function requireTool(bin: string, debianPackage: string): void {
  if (!existsSync(`/usr/bin/${bin}`)) {
    throw new Error(`${bin} is missing: install the Debian package "${debianPackage}" (apt-get install -y ${debianPackage}; listed in .ci/apt-packages.d/qr.txt)`);
  }
}

/** PNG bytes from qrencode. `raw` bytes go in 8-bit mode unchanged (for invalid UTF-8). */
export function qrencodePng(content: string | Uint8Array, opts: { size?: number; margin?: number; level?: 'L' | 'M' | 'Q' | 'H' } = {}): Uint8Array {
  requireTool('qrencode', 'qrencode');
  const args = ['-o', '-', '-t', 'PNG', '-s', String(opts.size ?? 4), '-m', String(opts.margin ?? 4), '-l', opts.level ?? 'M'];
  if (typeof content !== 'string') args.push('-8');
  return execFileSync('qrencode', args, { input: typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content), maxBuffer: 64 << 20 });
}

export async function qrFrame(content: string | Uint8Array, opts: Parameters<typeof qrencodePng>[1] = {}): Promise<RgbaFrame> {
  return decodeImageBytes(qrencodePng(content, opts));
}

function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
}

export function addNoise(f: RgbaFrame, sigma: number, seed = 1): RgbaFrame {
  const r = prng(seed);
  const out = new Uint8ClampedArray(f.data);
  for (let i = 0; i < out.length; i += 4) {
    const n = gauss(r) * sigma;
    out[i] = out[i]! + n;
    out[i + 1] = out[i + 1]! + n;
    out[i + 2] = out[i + 2]! + n;
  }
  return { ...f, data: out };
}

/** Separable box blur of the given radius, repeated twice (close to a Gaussian). */
export function blur(f: RgbaFrame, radius: number): RgbaFrame {
  let data = new Float32Array(f.data);
  const { width: w, height: h } = f;
  for (let pass = 0; pass < 4; pass++) {
    const horizontal = pass % 2 === 0;
    const out = new Float32Array(data.length);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          let n = 0;
          for (let k = -radius; k <= radius; k++) {
            const xx = horizontal ? x + k : x;
            const yy = horizontal ? y : y + k;
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            s += data[(yy * w + xx) * 4 + c]!;
            n++;
          }
          out[(y * w + x) * 4 + c] = s / n;
        }
        out[(y * w + x) * 4 + 3] = 255;
      }
    }
    data = out;
  }
  return { ...f, data: Uint8ClampedArray.from(data) };
}

/** Rotation by any angle about the centre, bilinear, white outside, canvas grown to fit. */
export function rotateBy(f: RgbaFrame, degrees: number): RgbaFrame {
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const W = Math.ceil(Math.abs(f.width * cos) + Math.abs(f.height * sin));
  const H = Math.ceil(Math.abs(f.width * sin) + Math.abs(f.height * cos));
  const out = new Uint8ClampedArray(W * H * 4).fill(255);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const dx = x - W / 2;
      const dy = y - H / 2;
      const sx = cos * dx + sin * dy + f.width / 2;
      const sy = -sin * dx + cos * dy + f.height / 2;
      const v = sample(f, sx, sy);
      if (v !== null) out.set(v, (y * W + x) * 4);
    }
  }
  return { width: W, height: H, data: out };
}

function sample(f: RgbaFrame, x: number, y: number): [number, number, number, number] | null {
  if (x < 0 || y < 0 || x > f.width - 1 || y > f.height - 1) return null;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, f.width - 1);
  const y1 = Math.min(y0 + 1, f.height - 1);
  const ax = x - x0;
  const ay = y - y0;
  const px = (xx: number, yy: number, c: number) => f.data[(yy * f.width + xx) * 4 + c]!;
  const v = [0, 1, 2].map((c) => (1 - ay) * ((1 - ax) * px(x0, y0, c) + ax * px(x1, y0, c)) + ay * ((1 - ax) * px(x0, y1, c) + ax * px(x1, y1, c)));
  return [v[0]!, v[1]!, v[2]!, 255];
}

export interface CameraOptions {
  width: number;
  height: number;
  /** Width of the pasted code in frame pixels. */
  codeWidth: number;
  /** Centre of the code as a fraction of the frame. */
  cx?: number;
  cy?: number;
  /** Perspective-ish: the top edge is this much narrower than the bottom (0 = square on). */
  keystone?: number;
  noise?: number;
  /** Overall brightness factor (1 = as is). */
  gain?: number;
  seed?: number;
}

/**
 * A camera-like frame: a mottled grey desk, the code pasted with a keystone (top narrower
 * than bottom, as when the card is tilted away) and bilinear resampling, then sensor noise.
 */
export function cameraFrame(code: RgbaFrame, o: CameraOptions): RgbaFrame {
  const r = prng(o.seed ?? 7);
  const { width: W, height: H } = o;
  const out = new Uint8ClampedArray(W * H * 4);
  const blobs = Array.from({ length: 6 }, () => ({ x: r() * W, y: r() * H, s: 80 + r() * 200, v: r() * 60 - 30 }));
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = 120;
      for (const b of blobs) v += b.v * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
      const i = (y * W + x) * 4;
      out[i] = v + 6;
      out[i + 1] = v;
      out[i + 2] = v - 6;
      out[i + 3] = 255;
    }
  }
  const cw = o.codeWidth;
  const ch = (cw * code.height) / code.width;
  const cx = (o.cx ?? 0.5) * W;
  const cy = (o.cy ?? 0.5) * H;
  const k = o.keystone ?? 0;
  // The code's corners in the frame: the top edge k narrower than the bottom, as when the
  // card leans away from the camera; a true homography maps the frame back onto the code.
  const quad: [number, number][] = [
    [cx - (cw * (1 - k)) / 2, cy - ch / 2],
    [cx + (cw * (1 - k)) / 2, cy - ch / 2],
    [cx + cw / 2, cy + ch / 2],
    [cx - cw / 2, cy + ch / 2],
  ];
  const toCode = invert3(squareToQuad(quad));
  for (let y = Math.max(0, Math.floor(cy - ch / 2)); y < Math.min(H, cy + ch / 2); y++) {
    for (let x = Math.max(0, Math.floor(cx - cw / 2)); x < Math.min(W, cx + cw / 2); x++) {
      const [u, v] = apply(toCode, x + 0.5, y + 0.5);
      if (u < 0 || v < 0 || u > 1 || v > 1) continue;
      const s = sample(code, u * (code.width - 1), v * (code.height - 1));
      // Printed black is not 0 and paper under room light is not 255.
      if (s) out.set([30 + s[0] * 0.72, 30 + s[1] * 0.72, 30 + s[2] * 0.72, 255], (y * W + x) * 4);
    }
  }
  let frame: RgbaFrame = { width: W, height: H, data: out };
  if (o.gain !== undefined) {
    const g = o.gain;
    const d = new Uint8ClampedArray(frame.data);
    for (let i = 0; i < d.length; i++) if (i % 4 !== 3) d[i] = d[i]! * g;
    frame = { ...frame, data: d };
  }
  return o.noise ? addNoise(frame, o.noise, (o.seed ?? 7) + 1) : frame;
}

/** A saturated disc, as a lamp reflected in the card's laminate. */
export function addGlare(f: RgbaFrame, cx: number, cy: number, radius: number): RgbaFrame {
  const d = new Uint8ClampedArray(f.data);
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      const q = ((x - cx) ** 2 + (y - cy) ** 2) / (radius * radius);
      if (q > 1) continue;
      const i = (y * f.width + x) * 4;
      const a = q < 0.6 ? 1 : (1 - q) / 0.4;
      for (let c = 0; c < 3; c++) d[i + c] = d[i + c]! * (1 - a) + 255 * a;
    }
  }
  return { ...f, data: d };
}

type M3 = [number, number, number, number, number, number, number, number, number];

/** The homography taking the unit square (0,0),(1,0),(1,1),(0,1) to a quadrilateral (Heckbert 1989). */
function squareToQuad(q: [number, number][]): M3 {
  const [[x0, y0], [x1, y1], [x2, y2], [x3, y3]] = q as [[number, number], [number, number], [number, number], [number, number]];
  const dx1 = x1 - x2;
  const dx2 = x3 - x2;
  const dx3 = x0 - x1 + x2 - x3;
  const dy1 = y1 - y2;
  const dy2 = y3 - y2;
  const dy3 = y0 - y1 + y2 - y3;
  const den = dx1 * dy2 - dx2 * dy1;
  const g = (dx3 * dy2 - dx2 * dy3) / den;
  const h = (dx1 * dy3 - dx3 * dy1) / den;
  return [x1 - x0 + g * x1, x3 - x0 + h * x3, x0, y1 - y0 + g * y1, y3 - y0 + h * y3, y0, g, h, 1];
}

function invert3(m: M3): M3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det];
}

function apply(m: M3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}
