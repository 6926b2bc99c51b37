// A worker thread of the ingest server: prepares batches (batch-prepare.ts) so that the
// main thread keeps answering (/health, other devices) and the database commit of one
// batch overlaps the verification of the next.
import { parentPort } from 'node:worker_threads';
import { type PrepareJob, prepareOutcome } from './batch-prepare.js';

parentPort!.on('message', (m: { id: number; job: PrepareJob }) => {
  void prepareOutcome(m.job).then((out) => parentPort!.postMessage({ id: m.id, out }));
});
