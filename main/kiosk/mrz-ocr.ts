// MRZ OCR for the camera: tesseract.js (its own worker thread, so main's event loop stays
// free) with the English traineddata shipped in the @tesseract.js-data/eng npm package, read
// from node_modules (nothing is fetched at run time). The legacy engine: measured here on
// MRZs rendered in OCR-B, it read the '<' fillers that the LSTM model turned into K, L and C.
// Restricted to the MRZ alphabet, no dictionaries; the text becomes a key only when every
// check digit holds (mrz-text.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IdkError, isIdkError } from '../../core/errors.js';
import type { CameraFeed } from '../verify/camera-feed.js';
import { type MrzKey, mrzKeyFromText } from './mrz-text.js';

export interface MrzOcr {
  /** The key in one camera frame (JPEG or PNG bytes), or undefined. */
  read(image: Uint8Array): Promise<MrzKey | undefined>;
  close(): Promise<void>;
}

/** Where the package keeps eng.traineddata.gz with the legacy model (its 4.0.0 folder). */
export function traineddataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0');
}

type Worker = { recognize(image: Buffer): Promise<{ data: { text: string } }>; setParameters(p: Record<string, string>): Promise<unknown>; terminate(): Promise<unknown> };

export function openMrzOcr(): MrzOcr {
  let worker: Promise<Worker> | undefined;
  const start = async (): Promise<Worker> => {
    const t = (await import('tesseract.js')) as unknown as {
      createWorker(lang: string, oem: number, options: Record<string, unknown>, config: Record<string, string>): Promise<Worker>;
      OEM: { TESSERACT_ONLY: number };
      PSM: { SINGLE_BLOCK: string };
    };
    const w = await t.createWorker('eng', t.OEM.TESSERACT_ONLY, { langPath: traineddataDir(), cacheMethod: 'none', gzip: true, legacyCore: true, legacyLang: true }, { load_system_dawg: '0', load_freq_dawg: '0' });
    await w.setParameters({ tessedit_char_whitelist: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<', tessedit_pageseg_mode: t.PSM.SINGLE_BLOCK });
    return w;
  };
  return {
    async read(image) {
      worker ??= start();
      let w: Worker;
      try {
        w = await worker;
      } catch (e) {
        worker = undefined;
        throw new IdkError('MRZ_OCR_FAILED', { vi: 'Không khởi động được bộ đọc dòng mã (MRZ): hãy nhập tay.', en: 'The MRZ reader could not start: type the data instead.' }, { cause: e });
      }
      const r = await w.recognize(Buffer.from(image));
      return mrzKeyFromText(r.data.text);
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await (await w.catch(() => undefined))?.terminate();
    },
  };
}

/**
 * Frames of the camera through the OCR, one at a time (newer frames replace older ones in the
 * feed meanwhile), until a whole MRZ with good check digits is read or the scan is stopped.
 */
export async function scanMrzFromCamera(feed: CameraFeed, signal: AbortSignal, ocr: MrzOcr, on: { key(k: MrzKey): void; failed(e: unknown): void }): Promise<void> {
  while (!signal.aborted) {
    let jpeg: Uint8Array;
    try {
      jpeg = await feed.nextJpeg('mrz', signal);
    } catch (e) {
      // No frames yet (no screen open): keep waiting; anything else (no camera, aborted): stop.
      if (isIdkError(e) && e.code === 'CAMERA_NO_FRAMES') continue;
      return;
    }
    let key: MrzKey | undefined;
    try {
      key = await ocr.read(jpeg);
    } catch (e) {
      if (!signal.aborted) on.failed(e);
      return;
    }
    if (signal.aborted) return;
    if (key) {
      on.key(key);
      return;
    }
  }
}
