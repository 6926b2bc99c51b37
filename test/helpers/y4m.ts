// A still picture as a YUV4MPEG2 file (4:2:0, BT.601 studio range), the format Chromium's
// fake camera (--use-file-for-fake-video-capture) plays in a loop: the e2e tests put a known
// face in front of the kiosk's real getUserMedia path.
import { writeFileSync } from 'node:fs';
import type { Frame } from '../../drivers/camera/frame.js';

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/** Y'CbCr from R'G'B' (ITU-R BT.601, 16-235 / 16-240), what Chromium's converter expects back. */
function ycbcr(r: number, g: number, b: number): [number, number, number] {
  return [16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255, 128 + (-37.797 * r - 74.203 * g + 112 * b) / 255, 128 + (112 * r - 93.786 * g - 18.214 * b) / 255];
}

export function y4m(frame: Frame, fps = 10): Uint8Array {
  // 4:2:0 needs even sizes; an odd last row or column is dropped.
  const w = frame.width & ~1;
  const h = frame.height & ~1;
  const y = new Uint8Array(w * h);
  const u = new Uint8Array((w / 2) * (h / 2));
  const v = new Uint8Array((w / 2) * (h / 2));
  for (let row = 0; row < h; row += 2) {
    for (let col = 0; col < w; col += 2) {
      let cb = 0;
      let cr = 0;
      for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
        const i = ((row + dy) * frame.width + col + dx) * 3;
        const [Y, Cb, Cr] = ycbcr(frame.data[i]!, frame.data[i + 1]!, frame.data[i + 2]!);
        y[(row + dy) * w + col + dx] = clamp(Y);
        cb += Cb;
        cr += Cr;
      }
      const c = (row / 2) * (w / 2) + col / 2;
      u[c] = clamp(cb / 4);
      v[c] = clamp(cr / 4);
    }
  }
  const header = new TextEncoder().encode(`YUV4MPEG2 W${w} H${h} F${fps}:1 Ip A1:1 C420\nFRAME\n`);
  const out = new Uint8Array(header.length + y.length + u.length + v.length);
  out.set(header, 0);
  out.set(y, header.length);
  out.set(u, header.length + y.length);
  out.set(v, header.length + y.length + u.length);
  return out;
}

export function writeY4m(path: string, frame: Frame): string {
  writeFileSync(path, y4m(frame));
  return path;
}
