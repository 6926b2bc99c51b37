// Worker threads that prepare batches for the ingest server (batch-prepare.ts). With size 0
// the work runs on the calling thread (the unit tests' way, from the TypeScript sources);
// `sync-server` starts one thread a core, at most four.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type PrepareJob, type PrepareOutcome, type PreparedBatch, prepareBatch } from './batch-prepare.js';
import { ProtocolError } from './protocol.js';

/** The compiled worker: beside this module in dist/, or dist/'s copy when running from source. */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) return join(dirname(here), 'prepare-worker.js');
  let dir = dirname(here);
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  const path = join(dir, 'dist', 'offline-cache', 'sync', 'prepare-worker.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run build"`);
  return path;
}

interface Slot {
  worker: Worker;
  busy: number;
}

export class PreparePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, { resolve: (o: PrepareOutcome) => void; reject: (e: unknown) => void; slot: Slot }>();
  private next = 1;
  private closed = false;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(workerPath()), busy: 0 };
    slot.worker.unref();
    slot.worker.on('message', (m: { id: number; out: PrepareOutcome }) => {
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      slot.busy--;
      p?.resolve(m.out);
    });
    const fail = (e: unknown): void => {
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(e);
      }
      // A crashed thread is replaced; what it held is refused (the device resends).
      const i = this.slots.indexOf(slot);
      if (i >= 0 && !this.closed) this.slots[i] = this.spawn();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`batch worker exited (${code})`)));
    return slot;
  }

  async prepare(job: PrepareJob): Promise<PreparedBatch> {
    if (this.size === 0) return prepareBatch(job);
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.next++;
    slot.busy++;
    const out = await new Promise<PrepareOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      // A copy of the body moves to the worker (the caller keeps its own, e.g. to retry after a key reload).
      const wire = new Uint8Array(job.wire);
      slot.worker.postMessage({ id, job: { ...job, wire } }, [wire.buffer]);
    });
    if (!out.ok) throw new ProtocolError(out.status, out.code, out.message);
    return out.batch;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
