// The face worker: models load once per worker, and the chip portrait's analysis is kept
// for the next live attempt of the same card, so a retry costs only the live side.
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { isIdkError } from '../../../core/errors.js';
import { decodeImage } from '../../../drivers/camera/image.js';
import { makeFrame } from '../../../drivers/camera/frame.js';
import { decodeJpeg } from '../../../drivers/camera/jpeg.js';
import { type FaceAnalysis, FaceEngine } from './engine.js';
import { initRuntime } from './models.js';
import type { FaceRequest, FaceResponse } from './protocol.js';

let engine: Promise<FaceEngine> | undefined;
/**
 * tfjs threads: every core up to four. A face is compared after the card is read, so the
 * cores are free for those few tens of milliseconds; the UI is another process.
 */
const THREADS = Math.min(4, availableParallelism());
let lastDocument: { digest: string; analysis: FaceAnalysis } | undefined;

async function handle(req: FaceRequest): Promise<FaceResponse> {
  engine ??= FaceEngine.load(THREADS);
  const e = await engine;
  if (req.op === 'warm-up') return { id: req.id, ok: true, threads: await initRuntime(THREADS) };
  const digest = createHash('sha256').update(req.document).digest('hex');
  if (lastDocument?.digest !== digest) lastDocument = { digest, analysis: e.analyse(await decodeImage(req.document), 'document') };
  // A camera JPEG is decoded here, on the worker; a frame arrives as a plain object after the structured clone.
  const live = req.live instanceof Uint8Array ? decodeJpeg(req.live) : makeFrame(req.live.width, req.live.height, req.live.data);
  return { id: req.id, ok: true, result: e.verify(live, lastDocument.analysis, req.threshold) };
}

const port = parentPort;
if (port) {
  port.on('message', (req: FaceRequest) => {
    handle(req).then(
      (res) => port.postMessage(res),
      (err: unknown) => {
        const error = isIdkError(err)
          ? { code: err.code, messages: err.messages }
          : { code: 'FACE_ENGINE_FAILED', messages: { vi: 'Lỗi bộ so khớp khuôn mặt: hãy thử lại hoặc đối chiếu bằng mắt.', en: 'The face matcher failed: try again or compare by eye.' } };
        port.postMessage({ id: req.id, ok: false, error } satisfies FaceResponse);
      },
    );
  });
}
