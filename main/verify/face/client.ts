// Runs the face matcher on a worker thread so the UI and the card reader never wait on it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { IdkError, errorFromData } from '../../../core/errors.js';
import type { Frame } from '../../../drivers/camera/frame.js';
import { packageRoot, unpackedPath } from '../../paths.js';
import type { FaceResult } from '../face-result.js';
import type { FaceRequest, FaceResponse } from './protocol.js';

/** The compiled worker: beside this module in dist/, or dist/'s copy when running from source (tests). */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  // Packaged: the worker runs from app.asar.unpacked, where its imports, WASM and models are plain files.
  const path = unpackedPath(here.endsWith('.ts') ? join(packageRoot(), 'dist/main/verify/face/worker.js') : join(here, '..', 'worker.js'));
  if (!existsSync(path)) {
    throw new IdkError('FACE_WORKER_MISSING', {
      vi: 'Thiếu tiến trình so khớp khuôn mặt: hãy chạy "npm run build".',
      en: 'The face matcher worker is missing: run "npm run build".',
    }, { detail: { path } });
  }
  return path;
}

/** "1 thread", "2 threads": how the log, doctor and bench name the matcher's thread count. */
export const threadsText = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Pending = { resolve: (r: FaceResponse) => void; reject: (e: unknown) => void };

export class FaceWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 1;

  constructor() {
    this.worker = new Worker(workerPath());
    this.worker.on('message', (res: FaceResponse) => {
      const p = this.pending.get(res.id);
      this.pending.delete(res.id);
      p?.resolve(res);
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) => this.failAll(new IdkError('FACE_WORKER_EXITED', {
      vi: 'Tiến trình so khớp khuôn mặt đã dừng: hãy thử lại.',
      en: 'The face matcher stopped: try again.',
    }, { detail: { code } })));
  }

  private failAll(err: unknown): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private call(req: WithoutId<FaceRequest>): Promise<FaceResponse> {
    const id = this.next++;
    return new Promise<FaceResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...req, id } as FaceRequest);
    }).then((res) => {
      if (!res.ok) throw errorFromData(res.error);
      return res;
    });
  }

  /** Loads the models now; resolves to the number of threads the matcher runs on. */
  async warmUp(): Promise<number> {
    const res = await this.call({ op: 'warm-up' });
    return res.ok && res.threads !== undefined ? res.threads : 1;
  }

  /** The live picture (camera JPEG, decoded in the worker; or a decoded frame) against the chip portrait (DG2 image bytes). */
  async verify(live: Uint8Array | Frame, documentImage: Uint8Array, threshold?: number): Promise<FaceResult> {
    const res = await this.call(threshold === undefined ? { op: 'verify', live, document: documentImage } : { op: 'verify', live, document: documentImage, threshold });
    if (!res.ok || !res.result) throw new Error('face worker answered without a result');
    return res.result;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
