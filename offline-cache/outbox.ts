// The outbox: recording a verification as the next signed event in the device's chain,
// reading the undelivered run for the sync client, and marking what the server acknowledged.
import type Database from 'better-sqlite3';
import { IdkError } from '../core/errors.js';
import { b64, canonical, type Json, unb64 } from './canonical.js';
import { openField, sealField, sealTo } from './crypto-box.js';
import {
  type EventBody,
  type Subject,
  type VerificationInput,
  bodyOf,
  chainHashOf,
  genesisHash,
  signHash,
  subjectOf,
} from './events.js';
import { assertCanRecord, purgeDelivered } from './retention.js';
import { type LocalStore, getMeta, setMeta, stmt, storeError } from './store.js';
import { randomBytes } from './platform-crypto.js';
import { uuidv7 } from './uuidv7.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

export interface RecordedEvent {
  seq: number;
  id: string;
  hash: string;
}

export interface EventRow {
  seq: number;
  id: string;
  at: number;
  body: string;
  hash: Uint8Array;
  sig: Uint8Array;
  subject: Uint8Array;
  delivered_at: number | null;
}

export function headOf(store: LocalStore): { seq: number; hash: Uint8Array } {
  const seq = Number(getMeta(store, 'head_seq') ?? 0);
  const h = getMeta(store, 'head_hash');
  return { seq, hash: h ? unb64(h) : genesisHash(store.keys.signPublicKey) };
}

export function ackOf(store: LocalStore): { seq: number; hash: Uint8Array } {
  const seq = Number(getMeta(store, 'ack_seq') ?? 0);
  const h = getMeta(store, 'ack_hash');
  return { seq, hash: h ? unb64(h) : genesisHash(store.keys.signPublicKey) };
}

/**
 * Records one verification durably: when this returns, the event is fsynced, signed and
 * chained. Throws an IdkError (QUEUE_FULL, STORE_FULL, …) when it could not be recorded.
 */
export function recordVerification(store: LocalStore, input: VerificationInput): RecordedEvent {
  if (store.readOnly) throw readOnlyStore(store);
  try {
    assertCanRecord(store);
    return recorder(store).immediate(input, input.at ?? store.now());
  } catch (e) {
    throw storeError(e, store.dbPath);
  }
}

function readOnlyStore(store: LocalStore): IdkError {
  return new IdkError('STORE_UNAVAILABLE', {
    vi: `Kho sự kiện ${store.dataDir} đang mở chỉ để xem: kết quả này CHƯA được lưu.`,
    en: `The event store ${store.dataDir} is open for reading only: this result was NOT recorded.`,
  });
}

type Recorder = Database.Transaction<(input: VerificationInput, at: number) => RecordedEvent>;
const recorders = new WeakMap<Database.Database, Recorder>();

/** The record transaction, built once per connection: it runs on every confirmation. */
function recorder(store: LocalStore): Recorder {
  let r = recorders.get(store.db);
  if (r) return r;
  const insert = stmt(store, 'INSERT INTO events(seq, id, at, body, hash, sig, subject) VALUES (?, ?, ?, ?, ?, ?, ?)');
  r = store.db.transaction((input: VerificationInput, at: number): RecordedEvent => {
    const head = headOf(store);
    const offset = getMeta(store, 'clock_offset');
    const seq = head.seq + 1;
    const subject = subjectOf(input, randomBytes(16));
    const body = bodyOf(input, { id: uuidv7(at), device: store.keys.deviceId, seq, at, clock: offset === undefined ? null : Number(offset), subject });
    const text = canonical(body as unknown as Json);
    const hash = chainHashOf(head.hash, enc.encode(text));
    const sig = signHash(hash, store.keys.signSecretKey);
    const sealed = sealField(store.keys.dataKey, enc.encode(canonical(subject as unknown as Json)));
    insert.run(seq, body.id, body.at, text, hash, sig, sealed);
    setMeta(store, 'head_seq', seq);
    setMeta(store, 'head_hash', b64(hash));
    return { seq, id: body.id, hash: b64(hash) };
  });
  recorders.set(store.db, r);
  return r;
}

export interface PendingEvent {
  body: EventBody;
  subject: Subject;
  hash: Uint8Array;
  sig: Uint8Array;
}

export interface PendingRun {
  from: number;
  prev: Uint8Array;
  events: PendingEvent[];
}

/** The oldest undelivered events, at most `max`, with their subjects decrypted for sealing to the server. */
export function pendingRun(store: LocalStore, max: number): PendingRun {
  const ack = ackOf(store);
  const rows = stmt(store, 'SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(ack.seq, Math.max(1, max)) as EventRow[];
  if (rows.length > 0 && rows[0]!.seq !== ack.seq + 1) {
    throw new IdkError('STORE_GAP', {
      vi: `Kho sự kiện thiếu bản ghi số ${ack.seq + 1}: gọi kỹ thuật.`,
      en: `The event store lacks record ${ack.seq + 1}: call support.`,
    });
  }
  return {
    from: ack.seq + 1,
    prev: ack.hash,
    events: rows.map((r) => ({
      body: JSON.parse(r.body) as EventBody,
      subject: JSON.parse(dec.decode(openField(store.keys.dataKey, r.subject, 'personal data of a record'))) as Subject,
      hash: new Uint8Array(r.hash),
      sig: new Uint8Array(r.sig),
    })),
  };
}

/**
 * The server holds everything up to `ackSeq` (with `ackHash` as its hash, when given).
 * Marks those events delivered and purges what the retention period allows.
 */
export function acknowledge(store: LocalStore, ackSeq: number, ackHash?: Uint8Array): { newlyAcked: number; purged: number } {
  try {
    const now = store.now();
    return store.db
      .transaction(() => {
        const ack = ackOf(store);
        const head = headOf(store);
        if (ackSeq <= ack.seq) return { newlyAcked: 0, purged: 0 };
        if (ackSeq > head.seq) {
          throw new IdkError('SERVER_AHEAD', {
            vi: `Máy chủ báo đã nhận bản ghi số ${ackSeq} nhưng máy này mới có ${head.seq}: kho dữ liệu có thể đã bị thay. Gọi kỹ thuật.`,
            en: `The server acknowledges record ${ackSeq} but this device only has ${head.seq}: the store may have been replaced. Call support.`,
          });
        }
        const row = stmt(store, 'SELECT hash FROM events WHERE seq = ?').get(ackSeq) as { hash: Uint8Array } | undefined;
        if (!row) throw new IdkError('STORE_GAP', { vi: `Kho sự kiện thiếu bản ghi số ${ackSeq}.`, en: `The event store lacks record ${ackSeq}.` });
        if (ackHash && b64(ackHash) !== b64(row.hash)) {
          throw new IdkError('CHAIN_DIVERGED', {
            vi: `Máy chủ giữ bản ghi số ${ackSeq} khác với máy này: gọi kỹ thuật.`,
            en: `The server holds a different record ${ackSeq} than this device: call support.`,
          });
        }
        const n = stmt(store, 'UPDATE events SET delivered_at = ? WHERE seq > ? AND seq <= ? AND delivered_at IS NULL').run(now, ack.seq, ackSeq).changes;
        setMeta(store, 'ack_seq', ackSeq);
        setMeta(store, 'ack_hash', b64(row.hash));
        return { newlyAcked: n, purged: purgeDelivered(store, now) };
      })
      .immediate();
  } catch (e) {
    throw storeError(e, store.dbPath);
  }
}

export interface ExportedEvent {
  body: EventBody;
  hash: string;
  sig: string;
  delivered: boolean;
  /** The subject sealed to the ingest server's key (only it can open it); absent before enrolment. */
  subjectSealed?: string;
  /** The stored subject does not decrypt with this device's key. */
  subjectUnreadable?: true;
}

/** Every stored event, oldest first; personal data only sealed to the server, never in clear. */
export function* exportEvents(store: LocalStore, opts: { undeliveredOnly?: boolean } = {}): Generator<ExportedEvent> {
  const serverKey = getMeta(store, 'server_box_key');
  const pk = serverKey ? unb64(serverKey) : undefined;
  const q = store.db.prepare(`SELECT * FROM events ${opts.undeliveredOnly ? 'WHERE delivered_at IS NULL' : ''} ORDER BY seq`);
  for (const r of q.iterate() as Iterable<EventRow>) {
    const out: ExportedEvent = { body: JSON.parse(r.body) as EventBody, hash: b64(r.hash), sig: b64(r.sig), delivered: r.delivered_at !== null };
    if (pk) {
      try {
        out.subjectSealed = b64(sealTo(pk, openField(store.keys.dataKey, r.subject)));
      } catch {
        // Not readable with this key (the sender will set it aside): the rest of the export goes on.
        out.subjectUnreadable = true;
      }
    }
    yield out;
  }
}

export interface QueueCounts {
  head: number;
  acked: number;
  pending: number;
  stored: number;
  oldestPendingAt: number | null;
}

export function queueCounts(store: LocalStore): QueueCounts {
  const head = headOf(store).seq;
  const acked = ackOf(store).seq;
  const stored = (stmt(store, 'SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
  const oldest = stmt(store, 'SELECT MIN(at) AS at FROM events WHERE delivered_at IS NULL').get() as { at: number | null };
  return { head, acked, pending: head - acked, stored, oldestPendingAt: oldest.at };
}
