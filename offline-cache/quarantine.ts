// The outbox's sending side: a bad event never blocks the queue. Before a run is handed to
// the sync client, each event is checked the way the ingest server will check it (shape,
// device, chain, personal data against its commitment). One that fails is set aside into
// `quarantine` with its reason, kept byte for byte, and the undelivered events after it are
// re-linked: the chain is recomputed and re-signed from the last good one, so the server
// still receives one contiguous chain. Nothing was delivered from that point on (delivery
// goes in order), so no copy anywhere holds the old links. An event's id stays; its seq may
// move down. An operator can put an event back at the head of the chain (`retryQuarantined`)
// or export it (`exportQuarantined`, `idkiosk queue retry|export --quarantined`).
import { IdkError } from '../core/errors.js';
import { b64, canonical, type Json, unb64 } from './canonical.js';
import { openField, sealTo } from './crypto-box.js';
import { type EventBody, type Subject, bodyProblem, chainHashOf, signHash, subjectDigest, subjectProblem } from './events.js';
import { type EventRow, type PendingRun, ackOf, headOf } from './outbox.js';
import { type LocalStore, getMeta, setMeta, stmt, storeError } from './store.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Why an event was set aside: a stable code, and the detail in English for the operator. */
type QuarantineCode = 'BODY_INVALID' | 'FOREIGN_DEVICE' | 'CHAIN_BROKEN' | 'SUBJECT_UNREADABLE' | 'SUBJECT_INVALID' | 'SERVER_REJECTED';

export const QUARANTINE_REASONS: Record<QuarantineCode, { vi: string; en: string }> = {
  BODY_INVALID: { vi: 'nội dung bản ghi hỏng', en: 'the record body is damaged' },
  FOREIGN_DEVICE: { vi: 'bản ghi của thiết bị khác', en: 'the record belongs to another device' },
  CHAIN_BROKEN: { vi: 'bản ghi bị sửa sau khi ký', en: 'the record was changed after it was signed' },
  SUBJECT_UNREADABLE: { vi: 'không giải mã được dữ liệu cá nhân (khóa khác)', en: 'its personal data cannot be decrypted (another key)' },
  SUBJECT_INVALID: { vi: 'dữ liệu cá nhân không khớp bản ghi', en: 'its personal data does not match the record' },
  SERVER_REJECTED: { vi: 'máy chủ từ chối bản ghi', en: 'the server refused the record' },
};

interface Problem {
  code: QuarantineCode;
  reason: string;
}

export interface QuarantinedEvent {
  qid: number;
  /** Its place in the chain when it was set aside. */
  seq: number;
  id: string;
  at: number;
  code: QuarantineCode;
  reason: string;
  setAsideAt: number;
  attempts: number;
}

interface QuarantineRow extends Omit<EventRow, 'delivered_at'> {
  qid: number;
  prev: Uint8Array;
  code: QuarantineCode;
  reason: string;
  set_aside_at: number;
  attempts: number;
}

type Checked = { ok: true; body: EventBody; subject: Subject } | { ok: false; problem: Problem };

/** What the server would say about this row, checked here first. `prev` is the stored hash before it. */
function checkRow(store: LocalStore, row: Pick<EventRow, 'seq' | 'body' | 'hash' | 'subject'>, prev: Uint8Array): Checked {
  const fail = (code: QuarantineCode, reason: string): Checked => ({ ok: false, problem: { code, reason } });
  let body: EventBody;
  try {
    body = JSON.parse(row.body) as EventBody;
  } catch {
    return fail('BODY_INVALID', 'body is not JSON');
  }
  const bp = bodyProblem(body);
  if (bp) return fail('BODY_INVALID', `body: ${bp}`);
  if (body.device !== store.keys.deviceId) return fail('FOREIGN_DEVICE', `recorded by device ${body.device}, not ${store.keys.deviceId}`);
  if (body.seq !== row.seq) return fail('BODY_INVALID', `body says record ${body.seq}, stored as ${row.seq}`);
  if (b64(chainHashOf(prev, enc.encode(canonical(body as unknown as Json)))) !== b64(row.hash)) return fail('CHAIN_BROKEN', 'the body does not hash to its stored chain hash');
  let subject: Subject;
  try {
    subject = JSON.parse(dec.decode(openField(store.keys.dataKey, row.subject, 'personal data of a record'))) as Subject;
  } catch {
    return fail('SUBJECT_UNREADABLE', 'personal data does not decrypt with this device key');
  }
  const sp = subjectProblem(subject);
  if (sp) return fail('SUBJECT_INVALID', `personal data: ${sp}`);
  if (subjectDigest(subject) !== body.subject) return fail('SUBJECT_INVALID', 'personal data does not match the signed commitment');
  return { ok: true, body, subject };
}

/**
 * The oldest undelivered events that can be sent, at most `max`: bad ones met on the way
 * are set aside first. The batch signature is made now over the tip's hash (Ed25519 is
 * deterministic: for an untouched event it is the stored signature, byte for byte).
 */
export function nextBatch(store: LocalStore, max: number): PendingRun & { setAside: number } {
  let setAside = 0;
  for (;;) {
    const ack = ackOf(store);
    const rows = stmt(store, 'SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(ack.seq, Math.max(1, max)) as EventRow[];
    if (rows.length > 0 && rows[0]!.seq !== ack.seq + 1) {
      throw new IdkError('STORE_GAP', { vi: `Kho sự kiện thiếu bản ghi số ${ack.seq + 1}: gọi kỹ thuật.`, en: `The event store lacks record ${ack.seq + 1}: call support.` });
    }
    const events: PendingRun['events'] = [];
    let prev = ack.hash;
    let bad: number | undefined;
    for (const r of rows) {
      const c = checkRow(store, r, prev);
      if (!c.ok) {
        bad = r.seq;
        break;
      }
      events.push({ body: c.body, subject: c.subject, hash: new Uint8Array(r.hash), sig: new Uint8Array(r.sig) });
      prev = r.hash;
    }
    if (bad === undefined) {
      const tip = events[events.length - 1];
      if (tip) tip.sig = signHash(tip.hash, store.keys.signSecretKey);
      return { from: ack.seq + 1, prev: ack.hash, events, setAside };
    }
    const n = setAsideFrom(store, bad);
    if (n === 0) throw new Error(`record ${bad} failed its check, then passed it`); // cannot happen: same row, same check
    setAside += n;
  }
}

/**
 * Sets aside every bad event from `fromSeq` on (and `extra`, problems the server named) and
 * re-links the good ones after them, in one transaction. Returns how many were set aside.
 */
export function setAsideFrom(store: LocalStore, fromSeq: number, extra: Map<number, Problem> = new Map()): number {
  try {
    return store.db
      .transaction((): number => {
        const ack = ackOf(store);
        if (fromSeq <= ack.seq) throw new Error(`cannot set aside delivered record ${fromSeq}`);
        const before = fromSeq - 1 === ack.seq ? ack.hash : (stmt(store, 'SELECT hash FROM events WHERE seq = ?').get(fromSeq - 1) as { hash: Uint8Array } | undefined)?.hash;
        if (!before) throw new Error(`record ${fromSeq - 1} is missing`);
        // A page at a time (a queue may hold 200,000 events); re-linked rows only move below the cursor.
        const page = stmt(store, 'SELECT * FROM events WHERE seq >= ? ORDER BY seq LIMIT 1000');
        const rows = function* (): Generator<EventRow> {
          for (let cursor = fromSeq; ; ) {
            const chunk = page.all(cursor) as EventRow[];
            if (chunk.length === 0) return;
            yield* chunk;
            cursor = chunk[chunk.length - 1]!.seq + 1;
          }
        };
        const now = store.now();
        const keep = stmt(
          store,
          'INSERT INTO quarantine(seq, id, at, body, hash, prev, sig, subject, code, reason, set_aside_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        );
        const del = stmt(store, 'DELETE FROM events WHERE seq = ?');
        const relink = stmt(store, 'UPDATE events SET seq = ?, body = ?, hash = ?, sig = ? WHERE seq = ?');
        let storedPrev: Uint8Array = before; // the chain as it was, to check each row against
        let newPrev: Uint8Array = before; // the chain as it becomes
        let seq = fromSeq;
        let n = 0;
        for (const r of rows()) {
          const c = checkRow(store, r, storedPrev);
          const prevOfRow = storedPrev;
          storedPrev = r.hash;
          const problem = extra.get(r.seq) ?? (c.ok ? undefined : c.problem);
          if (problem || !c.ok) {
            const p = problem ?? { code: 'BODY_INVALID' as const, reason: 'unchecked' };
            keep.run(r.seq, r.id, r.at, r.body, r.hash, prevOfRow, r.sig, r.subject, p.code, p.reason.slice(0, 500), now);
            del.run(r.seq);
            n++;
            continue;
          }
          if (n > 0) {
            // Everything after an event set aside moves down one place per event removed.
            const body = { ...c.body, seq };
            const text = canonical(body as unknown as Json);
            const hash = chainHashOf(newPrev, enc.encode(text));
            relink.run(seq, text, hash, signHash(hash, store.keys.signSecretKey), r.seq);
            newPrev = hash;
          } else newPrev = r.hash;
          seq++;
        }
        setMeta(store, 'head_seq', seq - 1);
        setMeta(store, 'head_hash', b64(newPrev));
        return n;
      })
      .immediate();
  } catch (e) {
    throw storeError(e, store.dbPath);
  }
}

export function quarantined(store: LocalStore): QuarantinedEvent[] {
  const rows = stmt(store, 'SELECT qid, seq, id, at, code, reason, set_aside_at, attempts FROM quarantine ORDER BY qid').all() as QuarantineRow[];
  return rows.map((r) => ({ qid: r.qid, seq: r.seq, id: r.id, at: r.at, code: r.code, reason: r.reason, setAsideAt: r.set_aside_at, attempts: r.attempts }));
}


interface RetryResult {
  /** Put back at the head of the chain, with their new sequence numbers. */
  requeued: { qid: number; id: string; seq: number }[];
  /** Still set aside, with the reason found this time. */
  kept: { qid: number; id: string; code: QuarantineCode; reason: string }[];
}

/**
 * Puts set-aside events (all, or the given qids) back at the head of the chain when they
 * can now be sent: checked again exactly as before (against the chain as it was when they
 * were recorded, so an edited record is never re-signed into the chain), then given the
 * next sequence numbers, chained and signed. Those that still fail stay set aside, their
 * attempt counted and the new reason kept.
 */
export function retryQuarantined(store: LocalStore, qids?: number[]): RetryResult {
  try {
    return store.db
      .transaction((): RetryResult => {
        const all = stmt(store, 'SELECT * FROM quarantine ORDER BY qid').all() as QuarantineRow[];
        const chosen = qids ? all.filter((r) => qids.includes(r.qid)) : all;
        const out: RetryResult = { requeued: [], kept: [] };
        const head = headOf(store);
        let seq = head.seq;
        let prev = head.hash;
        for (const r of chosen) {
          const c = checkRow(store, r, r.prev);
          if (!c.ok) {
            stmt(store, 'UPDATE quarantine SET attempts = attempts + 1, code = ?, reason = ? WHERE qid = ?').run(c.problem.code, c.problem.reason, r.qid);
            out.kept.push({ qid: r.qid, id: r.id, code: c.problem.code, reason: c.problem.reason });
            continue;
          }
          seq++;
          const text = canonical({ ...c.body, seq } as unknown as Json);
          const hash = chainHashOf(prev, enc.encode(text));
          stmt(store, 'INSERT INTO events(seq, id, at, body, hash, sig, subject) VALUES (?, ?, ?, ?, ?, ?, ?)').run(seq, r.id, r.at, text, hash, signHash(hash, store.keys.signSecretKey), r.subject);
          stmt(store, 'DELETE FROM quarantine WHERE qid = ?').run(r.qid);
          prev = hash;
          out.requeued.push({ qid: r.qid, id: r.id, seq });
        }
        if (seq !== head.seq) {
          setMeta(store, 'head_seq', seq);
          setMeta(store, 'head_hash', b64(prev));
        }
        return out;
      })
      .immediate();
  } catch (e) {
    throw storeError(e, store.dbPath);
  }
}

interface ExportedQuarantined extends QuarantinedEvent {
  /** The body as stored: parsed when it parses, else the stored text. */
  body: EventBody | string;
  hash: string;
  sig: string;
  /** The subject sealed to the ingest server, when it still decrypts here and the device is enrolled. */
  subjectSealed?: string;
  /** The subject exactly as stored (sealed under the data key it was recorded with). */
  subjectStored: string;
}

/** Every set-aside event, with everything kept of it; personal data never in clear. */
export function* exportQuarantined(store: LocalStore): Generator<ExportedQuarantined> {
  const serverKey = getMeta(store, 'server_box_key');
  const pk = serverKey ? unb64(serverKey) : undefined;
  for (const r of store.db.prepare('SELECT * FROM quarantine ORDER BY qid').iterate() as Iterable<QuarantineRow>) {
    let body: EventBody | string = r.body;
    try {
      body = JSON.parse(r.body) as EventBody;
    } catch {
      // kept as text
    }
    const out: ExportedQuarantined = {
      qid: r.qid,
      seq: r.seq,
      id: r.id,
      at: r.at,
      code: r.code,
      reason: r.reason,
      setAsideAt: r.set_aside_at,
      attempts: r.attempts,
      body,
      hash: b64(r.hash),
      sig: b64(r.sig),
      subjectStored: b64(r.subject),
    };
    if (pk) {
      try {
        out.subjectSealed = b64(sealTo(pk, openField(store.keys.dataKey, r.subject)));
      } catch {
        // not readable with this key: only the stored form goes out
      }
    }
    yield out;
  }
}
