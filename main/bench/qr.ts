// `idkiosk bench qr`: decode time per camera frame against the camera's frame interval
// (30 fps), and the frames per second the scanning loop actually decodes when fed at 30 fps.
// Frames are synthesised (the demo person's QR in a noisy desk scene), so no camera is needed.
import { buildCccdQr } from '../../drivers/qr/cccd-qr.js';
import { BarcodeDecoder, type RgbaFrame } from '../../drivers/qr/decode.js';
import { FrameDecoder, ScanLoop } from '../../drivers/qr/scan-loop.js';
import type { Figure } from './figure.js';

const CAMERA_FPS = 30;

/** The demo person's QR as zxing's encoder lays it out (the bench needs no Debian qrencode). */
async function demoQrFrame(): Promise<RgbaFrame> {
  const { BarcodeFormat, QRCodeWriter, EncodeHintType } = await import('@zxing/library');
  const text = buildCccdQr({
    idNumber: '000190012345',
    oldIdNumber: '000123456',
    fullName: 'Lê Thị Mẫu',
    dateOfBirth: '1990-05-17',
    sex: 'F',
    placeOfResidence: 'Số 1 Đường Thử Nghiệm, Phường Mẫu, Thành phố Mô Phỏng',
    dateOfIssue: '2021-04-10',
  });
  const hints = new Map();
  hints.set(EncodeHintType.CHARACTER_SET, 'UTF-8');
  const m = new QRCodeWriter().encode(text, BarcodeFormat.QR_CODE, 0, 0, hints);
  const n = m.getWidth();
  const data = new Uint8ClampedArray(n * n * 4);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) data.set(m.get(x, y) ? [0, 0, 0, 255] : [255, 255, 255, 255], (y * n + x) * 4);
  return { width: n, height: n, data };
}

/** The code, square on, about a third of the frame's height, on a noisy grey background. */
function scene(code: RgbaFrame | null, width: number, height: number, seed: number): RgbaFrame {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const out = new Uint8ClampedArray(width * height * 4);
  const side = Math.round(height / 2.5);
  const x0 = Math.round((width - side) / 2);
  const y0 = Math.round((height - side) / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 110 + (rnd() - 0.5) * 24;
      if (code && x >= x0 && x < x0 + side && y >= y0 && y < y0 + side) {
        const cx = Math.floor(((x - x0) / side) * code.width);
        const cy = Math.floor(((y - y0) / side) * code.height);
        v = (code.data[(cy * code.width + cx) * 4]! ? 215 : 35) + (rnd() - 0.5) * 24;
      }
      out.set([v, v, v, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data: out };
}

function msPerFrame(frames: RgbaFrame[], rounds: number): { ms: number; decoded: number } {
  const decoder = new BarcodeDecoder();
  decoder.decode(frames[0]!);
  let decoded = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const f of frames) if (decoder.decode(f)) decoded++;
  return { ms: (performance.now() - t0) / (rounds * frames.length), decoded };
}

/** Feeds the loop one frame per camera interval for `seconds` of real time; returns frames decoded per second. */
async function loopRate(frame: RgbaFrame, seconds: number): Promise<number> {
  const loop = new ScanLoop(new FrameDecoder(), { repeatAfterMs: 0 });
  const end = performance.now() + seconds * 1000;
  let next = performance.now();
  while (performance.now() < end) {
    loop.offer(frame);
    next += 1000 / CAMERA_FPS;
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return loop.stats.decoded / seconds;
}

export async function benchQr(): Promise<Figure[]> {
  const code = await demoQrFrame();
  const out: Figure[] = [];
  for (const [w, h] of [
    [640, 480],
    [1280, 720],
  ] as const) {
    const withCode = [1, 2, 3].map((s) => scene(code, w, h, s));
    const empty = [1, 2].map((s) => scene(null, w, h, s + 10));
    const a = msPerFrame(withCode, 3);
    if (a.decoded === 0) throw new Error(`bench qr: the ${w}x${h} scene did not decode; the figure would be meaningless`);
    const b = msPerFrame(empty, 3);
    const interval = 1000 / CAMERA_FPS;
    out.push({ name: `decode ${w}x${h}, code in view`, value: a.ms, limit: interval, unit: 'ms', target: 1, note: `${(1000 / a.ms).toFixed(0)} frames/s on one core; limit: one 30 fps camera interval` });
    out.push({ name: `decode ${w}x${h}, no code`, value: b.ms, limit: interval, unit: 'ms', target: 1, note: `${(1000 / b.ms).toFixed(0)} frames/s (TRY_HARDER: both binarizers tried)` });
    const rate = await loopRate(withCode[0]!, 2);
    out.push({ name: `scan loop ${w}x${h} decodes`, value: rate, limit: CAMERA_FPS, unit: 'fps', note: 'frames decoded per second when fed at 30 fps, decoder held to 50% of a core' });
  }
  return out;
}
