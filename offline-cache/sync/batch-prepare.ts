// Everything the server does to a batch between receiving its body and storing it, as one
// pure step that can run on a worker thread: open the envelope (any of the server's box
// keys), decompress within the limit, check the shape, verify commitments, chain and tip
// signature, and seal each subject under the current data key. Throws ProtocolError.
import type { EventBody } from '../events.js';
import { type BatchLimits, ProtocolError, decodeBatch, verifyBatch } from './protocol.js';
import { type IncomingEvent, fleetFields } from './server-store.js';
import { gcmSeal, subjectAad } from './subject-seal.js';

export interface PrepareJob {
  wire: Uint8Array;
  deviceId: string;
  signPublicKey: Uint8Array;
  /** The server's box secret keys, newest first. */
  boxSecretKeys: Uint8Array[];
  /** The key set new subjects are sealed under. */
  seal: { keyId: string; dataKey: Uint8Array };
  limits: BatchLimits;
  receivedAt: number;
  /** Events stamped further than this from server time are flagged. */
  toleranceMs: number;
}

export interface PreparedBatch {
  from: number;
  to: number;
  prev: Uint8Array;
  events: IncomingEvent[];
}

export async function prepareBatch(j: PrepareJob): Promise<PreparedBatch> {
  const p = await decodeBatch(j.wire, j.boxSecretKeys, j.limits);
  const v = verifyBatch(p, j.deviceId, j.signPublicKey);
  const events = p.events.map((e, i): IncomingEvent => {
    const b: EventBody = e.body;
    let clockFlag: string | null = null;
    if (b.at > j.receivedAt + j.toleranceMs) clockFlag = 'future';
    else if (b.clock !== null && Math.abs(b.clock) > j.toleranceMs) clockFlag = 'device-clock-off';
    return {
      seq: b.seq,
      id: b.id,
      at: b.at,
      body: v.bodyTexts[i]!,
      hash: v.hashes[i]!,
      sig: i === p.events.length - 1 ? v.sig : null,
      subject: gcmSeal(j.seal.dataKey, Buffer.from(v.subjectTexts[i]!, 'utf8'), subjectAad(j.deviceId, b.seq)),
      keyId: j.seal.keyId,
      clockFlag,
      ...fleetFields(b),
    };
  });
  return { from: v.from, to: v.to, prev: v.prev, events };
}

/** A refusal as data, to cross a thread boundary. */
export type PrepareOutcome = { ok: true; batch: PreparedBatch } | { ok: false; status: number; code: string; message: string };

export async function prepareOutcome(j: PrepareJob): Promise<PrepareOutcome> {
  try {
    return { ok: true, batch: await prepareBatch(j) };
  } catch (e) {
    if (e instanceof ProtocolError) return { ok: false, status: e.status, code: e.code, message: e.message };
    return { ok: false, status: 400, code: 'BAD_BATCH', message: `batch could not be read: ${(e as Error).message}` };
  }
}
