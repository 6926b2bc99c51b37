// The kiosk's camera side: the face step fed by the renderer's camera (through CameraFeed),
// the face worker's life (started once, warmed up in the background, closed with the
// kiosk), and what the status screen says about the camera.
import { IdkError, isIdkError } from '../../core/errors.js';
import { HINT_TEXT, type QualityHint } from '../../drivers/qr/decode.js';
import { ScanLoop } from '../../drivers/qr/scan-loop.js';
import type { ApiError, StatusView } from '../api/contract.js';
import type { CameraFeed } from '../verify/camera-feed.js';
import { FaceWorker, threadsText } from '../verify/face/client.js';
import { faceStep } from '../verify/face/step.js';
import type { BiometricStep } from '../verify/pipeline.js';
import type { JpegQrDecoder, QrScanResult } from './qr-scan.js';

export interface KioskFaceOptions {
  /** Absent when the worker could not start: then `health` says why, and the step says so on every read. */
  worker?: FaceWorker;
  /** Whether the matcher could start and load its models, for the status screen and `doctor`. */
  health?: FaceHealth;
  /** Frames to try before the step gives up and leaves the comparison to staff (default 60, ~10 s at the renderer's rate). */
  attempts?: number;
  /** How long to wait for the first frame before saying no pictures arrive (default 15 s). */
  firstFrameMs?: number;
}

const DEFAULT_FACE_ATTEMPTS = 60;
export const DEFAULT_FIRST_FRAME_MS = 15_000;

/**
 * Whether face matching can run: `starting` while the models load, `ready` once they did,
 * `off` with the reason when the worker or a model could not load. Face matching must never
 * disappear silently (issue #13): the status screen shows this, and each read says why no
 * comparison was made.
 */
export class FaceHealth {
  state: 'starting' | 'ready' | 'off' = 'starting';
  reason: IdkError | undefined;

  off(e: unknown): void {
    this.state = 'off';
    this.reason = isIdkError(e)
      ? e
      : new IdkError('FACE_UNAVAILABLE', {
          vi: `Không khởi động được bộ so khớp khuôn mặt (${(e as Error)?.message ?? String(e)}): hãy cài lại phần mềm.`,
          en: `The face matcher could not start (${(e as Error)?.message ?? String(e)}): reinstall the software.`,
        });
  }

  ready(): void {
    if (this.state === 'starting') this.state = 'ready';
  }

  get apiReason(): ApiError | undefined {
    return this.reason ? { code: this.reason.code, messages: { ...this.reason.messages } } : undefined;
  }
}

export function cameraFaceStep(feed: CameraFeed, o: KioskFaceOptions): BiometricStep {
  const health = o.health;
  if (!o.worker) return faceOffStep(health?.reason ?? new IdkError('FACE_UNAVAILABLE', { vi: 'Không có bộ so khớp khuôn mặt.', en: 'No face matcher.' }));
  const step = faceStep(o.worker, { grab: (signal) => feed.nextJpeg('face', signal), attempts: o.attempts ?? DEFAULT_FACE_ATTEMPTS });
  if (!health) return step;
  return {
    method: 'face',
    // No camera phase when the models did not load: the read says why at once instead.
    get live() {
      return health.state !== 'off';
    },
    verify(portrait, signal, ui) {
      if (health.state === 'off' && health.reason) return Promise.reject(health.reason);
      return step.verify(portrait, signal, ui);
    },
  };
}

/** The step of a kiosk whose face matcher could not start: every read says why (staff compare by eye). */
function faceOffStep(reason: IdkError): BiometricStep {
  return { method: 'face', live: false, verify: () => Promise.reject(reason) };
}

/**
 * The face worker for a kiosk, its models loading in the background so the first person
 * does not wait for them; undefined (and a warning) when it cannot start, so the kiosk
 * still runs and `health` says face matching is off and why.
 */
export function openFaceWorker(log: (line: string) => void, health = new FaceHealth()): FaceWorker | undefined {
  let worker: FaceWorker;
  try {
    worker = new FaceWorker();
  } catch (e) {
    log(`face matching off: ${isIdkError(e) ? e.code : (e as Error).message}`);
    health.off(e);
    return undefined;
  }
  worker.warmUp().then(
    (threads) => {
      log(`face matcher ready on ${threadsText(threads)}`);
      health.ready();
    },
    (e: unknown) => {
      log(`face models did not load: ${isIdkError(e) ? e.code : (e as Error).message}`);
      health.off(e);
    },
  );
  return worker;
}

/** The face matcher on the status screen: off with the reason when it could not load. */
export function faceDevice(o: KioskFaceOptions | undefined): StatusView['devices'][number] {
  if (!o) return { kind: 'face', name: 'face', state: 'not-available' };
  const h = o.health;
  if (!o.worker || h?.state === 'off') return { kind: 'face', name: 'face', state: 'off', ...(h?.apiReason ? { reason: h.apiReason } : {}) };
  return { kind: 'face', name: 'face', state: 'ok' };
}

export function cameraDevice(feed: CameraFeed, faceOn: boolean): StatusView['devices'][number] {
  if (!faceOn) return { kind: 'camera', name: 'camera', state: 'not-available' };
  if (feed.problem) return { kind: 'camera', name: feed.device ?? 'camera', state: 'absent' };
  return { kind: 'camera', name: feed.device ?? 'camera', state: 'ok' };
}

/**
 * Looks for the card's QR code in the camera frames while a key is needed: a decoded text goes
 * to `text` (Kiosk.handleQrText, as from any other scanner), lasting hints to `hint`. Ends when
 * aborted or when the page says it has no camera; typing the CAN still works then. Frames are
 * decoded by `decoder` (the kiosk's worker thread, main/kiosk/qr-scan.ts), one at a time, within the
 * ScanLoop's duty budget.
 */
export async function scanQrFromCamera(
  feed: CameraFeed,
  signal: AbortSignal,
  on: { text(text: string): void; hint(prompt: { code: string; messages: { vi: string; en: string } } | undefined): void },
  decoder: JpegQrDecoder,
  loop = new ScanLoop(),
): Promise<void> {
  const session = ++scanSessions;
  while (!signal.aborted) {
    let jpeg;
    try {
      jpeg = await feed.nextJpeg('qr', signal);
    } catch (e) {
      // No frames yet (no screen open): keep waiting; anything else (no camera, aborted): stop.
      if (isIdkError(e) && e.code === 'CAMERA_NO_FRAMES') continue;
      return;
    }
    // The loop's duty budget: after a decode of d ms the next d ms of frames are dropped (the feed keeps only the newest anyway).
    if (!loop.wants()) continue;
    const started = loop.begin();
    let result: QrScanResult;
    try {
      result = await decoder.decode(jpeg, session);
    } catch (e) {
      // The worker is gone (kiosk closing): stop; a torn frame: skip it.
      if (isIdkError(e) && e.code === 'QR_WORKER_EXITED') return;
      result = { code: null, hints: [] };
    }
    const events = loop.finish(started, result);
    if (signal.aborted) return;
    for (const ev of events) {
      if (ev.kind === 'code') on.text(ev.code.text);
      else on.hint(hintPrompt(ev.hints));
    }
  }
}

let scanSessions = 0;

function hintPrompt(hints: QualityHint[]): { code: string; messages: { vi: string; en: string } } | undefined {
  const first = hints[0];
  return first ? { code: `QR_HINT_${first.toUpperCase().replace(/-/g, '_')}`, messages: HINT_TEXT[first] } : undefined;
}
