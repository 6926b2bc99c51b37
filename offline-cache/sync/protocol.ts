// The wire format shared by the sync client and the ingest server. Pure apart from zlib.
//
// POST /v1/enrol      Authorization: Bearer <operator token>
//   {deviceId, signPublicKey, site} -> 201|200 {serverBoxKey, serverTime}
// POST /v1/batches    X-Idk-Device: <deviceId>, Idempotency-Key: <deviceId>/<from>-<to>/<tip hash>
//   body: sealed box to the server's X25519 key of brotli(JSON BatchPayload)
//   -> 200 BatchAck | 4xx ErrorReply (the code says which: UNKNOWN_DEVICE, FORGED, GAP, …)
// GET /v1/devices/<id>/ack -> {ackSeq, ackHash, serverTime}
// GET /v1/devices/<id>/key -> {deviceId, alg, jwk}   (receipts: docs/integration.md)
// POST /v1/audit      X-Idk-Device: <deviceId>, {lines: [{line, sig}]} -> {stored, duplicates, ids}
// GET /health, GET /stats
//
// A batch is a contiguous run of one device's chain: `prev` is the hash before `from`, and
// `sig` is the device's signature of the last event's hash, which vouches for the whole
// run (each hash covers the one before). Per-event signatures stay on the device; one per
// batch is what the weakest link pays for.
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants as zc } from 'node:zlib';
import { createHash, hash } from 'node:crypto';
import { b64, canonicalText, unb64 } from '../canonical.js';
import { sealTo } from '../crypto-box.js';
import { openSealedFast } from './sealed-open.js';
import {
  type EventBody,
  type Subject,
  bodyProblem,
  subjectProblem,
} from '../events.js';
import { verifyHashSignatureFast } from './ed25519-verify.js';

const PROTOCOL_VERSION = 1;
export const H_DEVICE = 'x-idk-device';
export const H_IDEMPOTENCY = 'idempotency-key';
export const H_SERVER_TIME = 'x-idk-server-time';
export const BATCH_CONTENT_TYPE = 'application/vnd.idkiosk.batch';
/** Upper bound of a decompressed batch the server accepts (a zip bomb stops here). */
const MAX_PLAIN_BYTES = 32 * 1024 * 1024;
const MAX_BATCH_EVENTS = 20_000;

interface WireEvent {
  body: EventBody;
  subject: Subject;
}

export interface BatchPayload {
  v: 1;
  device: string;
  from: number;
  prev: string;
  sig: string;
  events: WireEvent[];
}

export interface BatchAck {
  status: 'stored' | 'duplicate';
  stored: number;
  duplicates: number;
  /** Highest sequence the server holds for this device, contiguously from 1. */
  ackSeq: number;
  ackHash: string | null;
  /** Events stored with a clock flag (stamped far from server time). */
  flagged: number;
  serverTime: number;
}

export interface ErrorReply {
  status: 'rejected';
  code: string;
  message: string;
  ackSeq?: number;
  ackHash?: string | null;
  serverTime: number;
}

export interface EnrolReply {
  status: 'enrolled' | 'already-enrolled';
  serverBoxKey: string;
  /** The server key set that `serverBoxKey` belongs to. */
  keyId?: string;
  serverTime: number;
}

export class ProtocolError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function idempotencyKey(device: string, from: number, to: number, tipHash: Uint8Array): string {
  return `${device}/${from}-${to}/${b64(tipHash).slice(0, 16)}`;
}

const brCompress = promisify(brotliCompress);
const brDecompress = promisify(brotliDecompress);

interface EncodedBatch {
  wire: Uint8Array;
  compressedBytes: number;
  plainBytes: number;
}

/** JSON -> brotli -> sealed box. zlib runs on libuv's pool, so a verification is never held up. */
export async function encodeBatch(p: BatchPayload, serverBoxKey: Uint8Array): Promise<EncodedBatch> {
  const plain = Buffer.from(JSON.stringify(p), 'utf8');
  const compressed = await brCompress(plain, {
    params: { [zc.BROTLI_PARAM_QUALITY]: 9, [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_TEXT, [zc.BROTLI_PARAM_SIZE_HINT]: plain.length },
  });
  const wire = sealTo(serverBoxKey, new Uint8Array(compressed.buffer, compressed.byteOffset, compressed.byteLength));
  return { wire, compressedBytes: compressed.length, plainBytes: plain.length };
}

export interface BatchLimits {
  maxPlainBytes: number;
  maxBatchEvents: number;
}

/** Opens a batch sealed to one of the server's box keys (newest first); throws 400 BAD_ENVELOPE if none opens it. */
export async function decodeBatch(wire: Uint8Array, serverBoxSecretKeys: Uint8Array | Uint8Array[], limits: BatchLimits = { maxPlainBytes: MAX_PLAIN_BYTES, maxBatchEvents: MAX_BATCH_EVENTS }): Promise<BatchPayload> {
  let compressed: Uint8Array | null = null;
  for (const k of Array.isArray(serverBoxSecretKeys) ? serverBoxSecretKeys : [serverBoxSecretKeys]) {
    compressed = openSealedFast(k, wire);
    if (compressed) break;
  }
  if (!compressed) throw new ProtocolError(400, 'BAD_ENVELOPE', 'batch is not sealed to this server');
  let plain: Buffer;
  try {
    plain = await brDecompress(compressed, { maxOutputLength: limits.maxPlainBytes });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new ProtocolError(413, 'TOO_LARGE', `batch decompresses to more than ${limits.maxPlainBytes} bytes`);
    throw new ProtocolError(400, 'BAD_COMPRESSION', 'batch does not decompress');
  }
  let p: unknown;
  try {
    p = JSON.parse(plain.toString('utf8'));
  } catch {
    throw new ProtocolError(400, 'BAD_BATCH', 'batch is not JSON');
  }
  return checkPayloadShape(p, limits.maxBatchEvents);
}

function checkPayloadShape(p: unknown, maxEvents: number): BatchPayload {
  const fail = (why: string): never => {
    throw new ProtocolError(400, 'BAD_BATCH', `batch: ${why}`);
  };
  if (typeof p !== 'object' || p === null) return fail('not an object');
  const o = p as Record<string, unknown>;
  if (o.v !== PROTOCOL_VERSION) fail('protocol version');
  if (typeof o.device !== 'string' || o.device.length === 0 || o.device.length > 64) fail('device');
  if (!Number.isSafeInteger(o.from) || (o.from as number) < 1) fail('from');
  if (typeof o.prev !== 'string' || typeof o.sig !== 'string') fail('prev/sig');
  if (!Array.isArray(o.events) || o.events.length === 0) fail('events');
  if ((o.events as unknown[]).length > maxEvents) throw new ProtocolError(413, 'TOO_MANY_EVENTS', `batch of ${(o.events as unknown[]).length} events: at most ${maxEvents}`);
  (o.events as unknown[]).forEach((e, i) => {
    if (typeof e !== 'object' || e === null) fail(`event ${i}`);
    const w = e as Record<string, unknown>;
    const bp = bodyProblem(w.body);
    if (bp) fail(`event ${i} body: ${bp}`);
    const sp = subjectProblem(w.subject);
    if (sp) fail(`event ${i} subject: ${sp}`);
  });
  return p as BatchPayload;
}

interface VerifiedBatch {
  from: number;
  to: number;
  prev: Uint8Array;
  hashes: Uint8Array[];
  sig: Uint8Array;
  /** Each body's canonical JSON (what was hashed, and what the server stores). */
  bodyTexts: string[];
  /** Each subject's canonical JSON (what its commitment is the hash of, and what the server seals). */
  subjectTexts: string[];
}

/**
 * Everything a server can check without its database: the run is contiguous and belongs
 * to `device`, each subject matches its commitment, the chain recomputes, and the device's
 * key signed the tip. Throws ProtocolError 403 FORGED otherwise.
 */
export function verifyBatch(p: BatchPayload, device: string, signPublicKey: Uint8Array): VerifiedBatch {
  const forged = (why: string): never => {
    throw new ProtocolError(403, 'FORGED', `batch rejected: ${why}`);
  };
  if (p.device !== device) forged('device in the batch differs from the sender');
  let prev: Uint8Array, sig: Uint8Array;
  try {
    prev = unb64(p.prev);
    sig = unb64(p.sig);
  } catch {
    return forged('prev/sig not base64');
  }
  if (prev.length !== 32) forged('prev hash length');
  // The same hashes as events.ts subjectDigest and chainHash, with node:crypto's SHA-256 and
  // each canonical text made once (canonicalText: JSON.stringify when the keys are in order).
  const bodyTexts: string[] = [];
  const subjectTexts: string[] = [];
  const hashes: Uint8Array[] = [];
  let h: Uint8Array = prev;
  p.events.forEach((e, i) => {
    if (e.body.device !== device) forged(`event ${i} belongs to another device`);
    if (e.body.seq !== p.from + i) forged(`event ${i} out of sequence`);
    const st = canonicalText(e.subject);
    if (hash('sha256', st, 'base64') !== e.body.subject) forged(`event ${i} personal data does not match its signed commitment`);
    const bt = canonicalText(e.body);
    // digest() gives a Buffer with memory of its own (no copy needed).
    h = createHash('sha256').update(h).update(bt, 'utf8').digest();
    subjectTexts.push(st);
    bodyTexts.push(bt);
    hashes.push(h);
  });
  if (!verifyHashSignatureFast(hashes[hashes.length - 1]!, sig, signPublicKey)) forged('signature does not verify with the enrolled device key');
  return { from: p.from, to: p.from + p.events.length - 1, prev, hashes, sig, bodyTexts, subjectTexts };
}
