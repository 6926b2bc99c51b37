// Face matching and camera QR decoding run on worker threads with models and WASM loaded
// from the installation: start each, load everything, and say what did not.
import jpeg from 'jpeg-js';
import { isIdkError } from '../../core/errors.js';
import { FaceHealth, openFaceWorker } from '../kiosk/camera.js';
import { openQrDecoder } from '../kiosk/qr-scan.js';
import { threadsText } from '../verify/face/client.js';
import { MATCHER } from '../verify/face/engine.js';
import { type CheckResult, type DoctorContext, errorText, fail, msg, ok, warn } from './check.js';

const REINSTALL = msg(
  'Cài lại phần mềm (gói .deb: apt-get install --reinstall idkiosk; bản mã nguồn: npm ci && npm run build). Khi chưa sửa, nhân viên đối chiếu khuôn mặt bằng mắt.',
  'Reinstall the software (.deb: apt-get install --reinstall idkiosk; from source: npm ci && npm run build). Until then staff compare faces by eye.',
);

export async function checkFace(ctx: DoctorContext): Promise<CheckResult> {
  if (!ctx.face) return ok('face', msg('So khớp khuôn mặt tắt (--no-face).', 'Face matching is off (--no-face).'));
  const health = new FaceHealth();
  const t0 = performance.now();
  const worker = openFaceWorker(() => undefined, health);
  let threads: number;
  try {
    if (!worker) return fail('face', msg(`So khớp khuôn mặt TẮT: ${errorText(health.reason).vi}`, `Face matching OFF: ${errorText(health.reason).en}`), REINSTALL);
    threads = await worker.warmUp();
  } catch (e) {
    return fail('face', msg(`So khớp khuôn mặt TẮT: ${errorText(e).vi}${isIdkError(e) ? ` [${e.code}]` : ''}`, `Face matching OFF: ${errorText(e).en}${isIdkError(e) ? ` [${e.code}]` : ''}`), REINSTALL);
  } finally {
    await worker?.close();
  }
  const ms = Math.round(performance.now() - t0);
  // The camera QR worker too: one small blank frame through it.
  const qrNotes: string[] = [];
  const qr = openQrDecoder((l) => qrNotes.push(l));
  try {
    const blank = jpeg.encode({ width: 32, height: 32, data: Buffer.alloc(32 * 32 * 4, 0xff) }, 80).data;
    await qr.decode(new Uint8Array(blank), 1);
  } catch (e) {
    return fail('face', msg(`Mô hình khuôn mặt nạp được, nhưng bộ đọc QR qua camera lỗi: ${errorText(e).vi}`, `Face models load, but the camera QR reader fails: ${errorText(e).en}`), REINSTALL);
  } finally {
    await qr.close();
  }
  if (qrNotes.length) {
    return warn('face', msg(`Mô hình khuôn mặt nạp được trong ${ms} ms, nhưng bộ đọc QR qua camera chạy trên luồng chính (chậm hơn): ${qrNotes.join('; ')}`, `Face models load in ${ms} ms, but the camera QR reader runs on the main thread (slower): ${qrNotes.join('; ')}`), REINSTALL);
  }
  return ok('face', msg(`Bộ so khớp khuôn mặt và mô hình nạp được trong ${ms} ms (${MATCHER}, ${threads} luồng); bộ đọc QR qua camera chạy.`, `Face matcher and models load in ${ms} ms (${MATCHER}, ${threadsText(threads)}); the camera QR reader runs.`));
}
