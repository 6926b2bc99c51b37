// Frames from the renderer's camera to whoever in main waits for one (the face step, the QR
// scan). The renderer captures (getUserMedia runs in the page, in Electron and in a browser
// alike) and posts one JPEG at a time; main keeps only the newest frame per purpose, so a
// slow matcher never builds a queue of stale pictures, and no frame outlives its use. Frames
// leave still encoded: the face and QR workers decode them, off main's event loop.
import { IdkError } from '../../core/errors.js';
import type { CameraErrorCode, CameraPurpose } from '../api/contract.js';

type Waiter = { resolve: (jpeg: Uint8Array) => void; reject: (e: unknown) => void; cleanup: () => void };

export function cameraError(code: CameraErrorCode | 'CAMERA_NO_FRAMES'): IdkError {
  const m = {
    CAMERA_NONE: { vi: 'Không tìm thấy camera: hãy cắm camera hoặc chọn camera khác trong Cài đặt; nhân viên đối chiếu khuôn mặt bằng mắt.', en: 'No camera found: plug one in or choose another in Settings; staff compare the face by eye.' },
    CAMERA_DENIED: { vi: 'Không được phép dùng camera: hãy cho phép camera cho ứng dụng này; nhân viên đối chiếu khuôn mặt bằng mắt.', en: 'Camera permission denied: allow the camera for this application; staff compare the face by eye.' },
    CAMERA_FAILED: { vi: 'Không mở được camera (đang bận hoặc lỗi): hãy đóng ứng dụng khác đang dùng camera; nhân viên đối chiếu khuôn mặt bằng mắt.', en: 'The camera could not be opened (busy or faulty): close other programs using it; staff compare the face by eye.' },
    CAMERA_NO_FRAMES: { vi: 'Không nhận được hình từ camera: hãy kiểm tra màn hình quầy đang mở; nhân viên đối chiếu khuôn mặt bằng mắt.', en: 'No pictures arrived from the camera: check that the kiosk screen is open; staff compare the face by eye.' },
  }[code];
  return new IdkError(code, m);
}

interface CameraFeedOptions {
  /** How long next() waits for a first frame before giving up with CAMERA_NO_FRAMES (a screen that never opened). */
  firstFrameMs?: number;
}

export class CameraFeed {
  private readonly wanted = new Map<CameraPurpose, number>();
  private readonly latest = new Map<CameraPurpose, Uint8Array>();
  private readonly waiters = new Map<CameraPurpose, Waiter[]>();
  /** Frames received since the purpose became wanted, and a failure reported meanwhile. */
  private readonly received = new Map<CameraPurpose, number>();
  private readonly failed = new Map<CameraPurpose, IdkError>();
  /** The last device the renderer named, and the last failure it reported (status screen). */
  device: string | undefined;
  problem: IdkError | undefined;

  constructor(private readonly opts: CameraFeedOptions = {}) {}

  /** Someone in main wants frames for this purpose until the returned function is called. */
  want(purpose: CameraPurpose): () => void {
    if (!this.wanted.has(purpose)) {
      this.received.set(purpose, 0);
      this.failed.delete(purpose);
    }
    this.wanted.set(purpose, (this.wanted.get(purpose) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.wanted.get(purpose) ?? 1) - 1;
      if (n > 0) this.wanted.set(purpose, n);
      else {
        this.wanted.delete(purpose);
        this.latest.delete(purpose);
        this.failed.delete(purpose);
      }
    };
  }

  isWanted(purpose: CameraPurpose): boolean {
    return this.wanted.has(purpose);
  }

  /** A frame from the renderer; returns whether frames for this purpose are still wanted. */
  push(purpose: CameraPurpose, jpeg: Uint8Array, device?: string): boolean {
    if (device) this.device = device;
    this.problem = undefined;
    if (!this.isWanted(purpose)) return false;
    this.received.set(purpose, (this.received.get(purpose) ?? 0) + 1);
    this.failed.delete(purpose);
    const queue = this.waiters.get(purpose);
    const w = queue?.shift();
    if (w) {
      w.cleanup();
      w.resolve(jpeg);
    } else {
      this.latest.set(purpose, jpeg);
    }
    return true;
  }

  /** The renderer could not open the camera: everyone waiting learns why at once. */
  fail(purpose: CameraPurpose, code: CameraErrorCode, device?: string): void {
    if (device) this.device = device;
    this.problem = cameraError(code);
    if (this.isWanted(purpose)) this.failed.set(purpose, this.problem);
    const queue = this.waiters.get(purpose) ?? [];
    this.waiters.delete(purpose);
    for (const w of queue) {
      w.cleanup();
      w.reject(this.problem);
    }
  }

  /** The next frame for this purpose (the newest one already waiting, else the next to arrive), as the JPEG the page sent. */
  nextJpeg(purpose: CameraPurpose, signal: AbortSignal): Promise<Uint8Array> {
    signal.throwIfAborted();
    const failed = this.failed.get(purpose);
    if (failed) return Promise.reject(failed);
    const ready = this.latest.get(purpose);
    if (ready) {
      this.latest.delete(purpose);
      return Promise.resolve(ready);
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const onAbort = () => {
        remove();
        reject(signal.reason);
      };
      // Only the very first frame of a feed can be missing for good (no screen open); later gaps are a person moving.
      const timer = (this.received.get(purpose) ?? 0) === 0 && this.opts.firstFrameMs !== undefined ? setTimeout(() => (remove(), reject(this.problem ?? cameraError('CAMERA_NO_FRAMES'))), this.opts.firstFrameMs) : undefined;
      const w: Waiter = {
        resolve,
        reject,
        cleanup: () => {
          signal.removeEventListener('abort', onAbort);
          if (timer) clearTimeout(timer);
        },
      };
      const remove = () => {
        w.cleanup();
        const q = this.waiters.get(purpose);
        const i = q?.indexOf(w) ?? -1;
        if (q && i >= 0) q.splice(i, 1);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const q = this.waiters.get(purpose) ?? [];
      q.push(w);
      this.waiters.set(purpose, q);
    });
  }
}
