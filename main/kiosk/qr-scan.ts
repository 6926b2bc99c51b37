// Camera QR decoding off main's event loop. One camera frame costs main tens of milliseconds
// (JPEG decode, luminance, zxing; measured in docs/qr.md), long enough to delay API replies,
// chip I/O and the face step's bookkeeping, so the kiosk decodes on a worker thread. When the
// compiled worker is missing (source checkout without `npm run build`) the same code runs
// in-thread, slower for everyone but working.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IdkError, errorFromData, isIdkError } from '../../core/errors.js';
import { frameToRgba } from '../../drivers/camera/frame.js';
import { decodeJpeg } from '../../drivers/camera/jpeg.js';
import type { DecodedCode, QualityHint } from '../../drivers/qr/decode.js';
import { FrameDecoder } from '../../drivers/qr/scan-loop.js';
import { packageRoot, unpackedPath } from '../paths.js';

export interface QrScanResult {
  code: DecodedCode | null;
  hints: QualityHint[];
}

/** `session` numbers one scan (one need for a key): motion hints compare only frames of the same scan. */
export type QrScanRequest = { id: number; session: number; jpeg: Uint8Array };
export type QrScanResponse = { id: number; ok: true; result: QrScanResult } | { id: number; ok: false; error: { code: string; messages: { vi: string; en: string } } };

/** Decodes one camera JPEG: the QR in it, or hints for the person holding the card. */
export interface JpegQrDecoder {
  decode(jpeg: Uint8Array, session: number): Promise<QrScanResult>;
  close(): Promise<void>;
}

/** The work itself, the same on the worker and in-thread: one FrameDecoder per scan session. */
export class QrFrameWork {
  private decoder = new FrameDecoder();
  private session: number | undefined;

  run(jpeg: Uint8Array, session: number): QrScanResult {
    if (session !== this.session) {
      this.decoder = new FrameDecoder();
      this.session = session;
    }
    const frame = decodeJpeg(jpeg);
    return this.decoder.decode({ width: frame.width, height: frame.height, data: frameToRgba(frame) });
  }
}

function workerPath(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  // Packaged: the worker runs from app.asar.unpacked (see main/paths.ts unpackedPath).
  const path = unpackedPath(here.endsWith('.ts') ? join(packageRoot(), 'dist/main/kiosk/qr-scan-worker.js') : join(here, '..', 'qr-scan-worker.js'));
  return existsSync(path) ? path : undefined;
}

function workerStopped(): IdkError {
  return new IdkError('QR_WORKER_EXITED', { vi: 'Bộ đọc mã QR qua camera đã dừng: hãy nhập CAN.', en: 'The camera QR reader stopped: type the CAN instead.' });
}

export class QrScanWorker implements JpegQrDecoder {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: QrScanResult) => void; reject: (e: unknown) => void }>();
  private next = 1;
  private closed = false;

  constructor(path: string) {
    this.worker = new Worker(path);
    // A worker waiting for frames must not keep a finished process alive.
    this.worker.unref();
    this.worker.on('message', (res: QrScanResponse) => {
      const p = this.pending.get(res.id);
      this.pending.delete(res.id);
      if (res.ok) p?.resolve(res.result);
      else p?.reject(errorFromData(res.error));
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', () => this.failAll(workerStopped()));
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  decode(jpeg: Uint8Array, session: number): Promise<QrScanResult> {
    if (this.closed) return Promise.reject(workerStopped());
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, session, jpeg } satisfies QrScanRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.worker.removeAllListeners('exit');
    this.failAll(workerStopped());
    await this.worker.terminate();
  }
}

/** The decoder for a kiosk: the worker thread, or in-thread (and one warning) when it cannot start. */
export function openQrDecoder(log: (line: string) => void): JpegQrDecoder {
  const path = workerPath();
  if (path) {
    try {
      return new QrScanWorker(path);
    } catch (e) {
      log(`camera QR decoding on the main thread: ${isIdkError(e) ? e.code : (e as Error).message}`);
    }
  } else {
    log('camera QR decoding on the main thread: worker not built (npm run build)');
  }
  const work = new QrFrameWork();
  return { decode: async (jpeg, session) => work.run(jpeg, session), close: async () => undefined };
}
