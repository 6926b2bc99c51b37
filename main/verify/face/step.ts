// The face step as the verification pipeline sees it (BiometricStep in ../pipeline.ts): grab
// live frames until one passes the quality gates, compare with the chip portrait on the worker,
// and hand back the FaceResult. A capture that never becomes usable, or a chip portrait with no
// usable face, is an IdkError carrying the prompt, so the pipeline shows it rather than a score.
import { IdkError } from '../../../core/errors.js';
import type { Frame } from '../../../drivers/camera/frame.js';
import type { BiometricStep, BiometricUi } from '../pipeline.js';
import type { FaceResult } from '../face-result.js';
import type { FaceWorker } from './client.js';

interface FaceStepOptions {
  /** The next camera picture: the page's JPEG (the worker decodes it) or a decoded frame. */
  grab: (signal: AbortSignal) => Promise<Uint8Array | Frame>;
  /** Frames to try before giving up with the last prompt. */
  attempts?: number;
  /** Told each prompt so the UI can show it while the person adjusts. */
  onPrompt?: (r: FaceResult) => void;
}

interface FaceStep extends BiometricStep {
  verify(portrait: Uint8Array | undefined, signal: AbortSignal, ui?: BiometricUi): Promise<FaceResult & { score: number }>;
}

export function faceStep(worker: FaceWorker, opts: FaceStepOptions): FaceStep {
  return {
    method: 'face',
    live: true,
    async verify(portrait, signal, ui) {
      if (!portrait) {
        throw new IdkError('FACE_NO_PORTRAIT', { vi: 'Thẻ không có ảnh chân dung (DG2): hãy đối chiếu người với thẻ bằng mắt.', en: 'The card holds no portrait (DG2): compare the person with the card by eye.' });
      }
      let last: FaceResult | undefined;
      for (let i = 0; i < (opts.attempts ?? 10); i++) {
        signal.throwIfAborted();
        last = await worker.verify(await opts.grab(signal), portrait);
        if (last.score !== null) return { ...last, score: last.score };
        const blocking = last.quality.find((q) => q.blocking);
        // The result rides along (notes and liveness, never an image) so the record can say why no score was made.
        if (last.decision === 'not-compared' && blocking) throw new IdkError(`FACE_${blocking.code}`, blocking.message, { detail: { subject: 'document', result: last } });
        opts.onPrompt?.(last);
        if (blocking) ui?.prompt({ code: blocking.code, messages: blocking.message });
      }
      const blocking = last?.quality.find((q) => q.blocking);
      throw new IdkError(blocking ? `FACE_${blocking.code}` : 'FACE_CAPTURE_FAILED', blocking?.message ?? { vi: 'Không chụp được khuôn mặt: hãy thử lại.', en: 'Could not capture a usable face: try again.' }, { detail: { subject: 'live', ...(last ? { result: last } : {}) } });
    },
  };
}
