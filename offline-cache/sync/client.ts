// The sync client: drains the outbox to the ingest server in signed, compressed, sealed
// batches. It runs beside the verifications on the event loop but never holds one up:
// recording is a local SQLite commit, and everything here is asynchronous (network, zlib).
//
// Exactly once = at-least-once delivery (resend until acknowledged) + the server's dedup
// on (device, seq). After a crash the client resumes from the acknowledged head kept in the
// store, and asks the server for its head so a batch whose answer was lost is not resent.
import { Agent } from 'node:http';
import { type ErrorCode, IdkError, isIdkError } from '../../core/errors.js';
import { isErrorCode } from '../../core/error-codes.js';
import { b64, unb64 } from '../canonical.js';
import { signHash } from '../events.js';
import { acknowledge, ackOf, headOf, queueCounts } from '../outbox.js';
import { nextBatch, setAsideFrom } from '../quarantine.js';
import { type LocalStore, getMeta, setMeta, stmt } from '../store.js';
import { type HttpReply, httpExchange } from './http.js';
import { type BatchAck, BATCH_CONTENT_TYPE, type EnrolReply, type ErrorReply, H_IDEMPOTENCY, encodeBatch, idempotencyKey } from './protocol.js';
import { queueReport, signedHeaders } from './request-auth.js';

export interface SyncClientOptions {
  store: LocalStore;
  /** Backoff after a failure: full jitter over min(capMs, baseMs * 2^attempt). */
  backoff?: { baseMs?: number; capMs?: number };
  /** Batches are sized to take about this long on the measured link. */
  targetBatchSeconds?: number;
  maxBatchEvents?: number;
  initialBatchEvents?: number;
  minTimeoutMs?: number;
  random?: () => number;
  log?: (line: string) => void;
  /** Called after each acknowledged batch (for measurements). */
  onBatch?: (o: Extract<SendOutcome, { kind: 'acked' }>) => void;
}

/** Any answer the server may give; which fields are present depends on the status. */
type Reply = Partial<Omit<BatchAck, 'status'> & Omit<ErrorReply, 'status'> & Omit<EnrolReply, 'status'>> & { status?: string };

type SendOutcome =
  | { kind: 'empty' }
  /** The server named an event of the batch as bad: it was set aside, the rest goes next. */
  | { kind: 'set-aside'; seq: number; code: string }
  | { kind: 'acked'; events: number; stored: number; duplicates: number; wireBytes: number; compressedBytes: number; ms: number };

interface DrainResult {
  batches: number;
  acked: number;
  failures: number;
  pending: number;
  lastError?: string;
}

/** Failures the client can do nothing about by retrying soon: a person must act. */
const FATAL = new Set(['FORGED', 'CHAIN_CONFLICT', 'DEVICE_KEY_CONFLICT', 'CHAIN_DIVERGED', 'SERVER_AHEAD', 'STORE_GAP', 'DEVICE_REVOKED']);

class SyncError extends IdkError {}

function syncError(code: ErrorCode, en: string, vi: string, detail?: Record<string, unknown>): SyncError {
  return new SyncError(code, { vi, en }, detail ? { detail } : undefined);
}

function notEnrolled(): SyncError {
  return syncError('NOT_ENROLLED', 'this device is not enrolled with an ingest server: run idkiosk queue flush --server URL --token TOKEN', 'máy này chưa đăng ký với máy chủ: chạy idkiosk queue flush --server URL --token MÃ');
}

/** Registers this device's public key with the server (once), keeping the server's address and sealing key. */
export async function enrolDevice(store: LocalStore, serverUrl: string, token: string, site: string): Promise<EnrolReply> {
  const url = new URL('/v1/enrol', serverUrl).toString();
  const body = new TextEncoder().encode(JSON.stringify({ deviceId: store.keys.deviceId, signPublicKey: b64(store.keys.signPublicKey), site }));
  let r: HttpReply;
  try {
    r = await httpExchange(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, timeoutMs: 30_000 });
  } catch (e) {
    // The link or the server gave way mid-enrolment: an answer the operator can act on, no stack trace.
    throw syncError(
      'SYNC_UNREACHABLE',
      `enrolment with ${serverUrl} did not complete (${(e as Error).message}): check the address and the link, then run the same command again`,
      `đăng ký với ${serverUrl} không hoàn tất (${(e as Error).message}): kiểm tra địa chỉ và kết nối rồi chạy lại lệnh`,
      { serverUrl },
    );
  }
  const reply = parseReply(r);
  if (r.status !== 200 && r.status !== 201) {
    throw syncError(`ENROL_${reply.code ?? r.status}`, `enrolment refused by the server: ${reply.message ?? r.status}`, `máy chủ từ chối đăng ký: ${reply.message ?? r.status}`);
  }
  setMeta(store, 'server_url', serverUrl);
  setMeta(store, 'server_box_key', String(reply.serverBoxKey));
  setMeta(store, 'enrolled_at', Date.now());
  return reply as EnrolReply;
}

/** The server's JSON answer; anything else (a proxy's page, a cut answer) is a clear error, never a stack trace. */
function parseReply(r: HttpReply): Reply {
  try {
    const v = JSON.parse(r.text) as unknown;
    if (typeof v === 'object' && v !== null) return v as Reply;
  } catch {
    // fall through
  }
  throw syncError('BAD_REPLY', `the server answered ${r.status} without the JSON of the sync protocol: is the address that of an idkiosk ingest server?`, `máy chủ trả lời ${r.status} không theo giao thức đồng bộ: địa chỉ có đúng là máy chủ idkiosk không?`);
}

export class SyncClient {
  readonly store: LocalStore;
  private readonly o: Required<Omit<SyncClientOptions, 'store' | 'backoff' | 'onBatch'>> & { baseMs: number; capMs: number };
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private batchEvents: number;
  private rateBps = 0;
  private bytesPerEvent = 0;
  private attempt = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private resumed = false;
  /** notify() came while no sleep was running: the next one is skipped. */
  private kicked = false;
  private readonly onBatch: SyncClientOptions['onBatch'];
  lastError: string | undefined;

  constructor(opts: SyncClientOptions) {
    this.store = opts.store;
    this.o = {
      targetBatchSeconds: opts.targetBatchSeconds ?? 6,
      maxBatchEvents: opts.maxBatchEvents ?? 5000,
      initialBatchEvents: opts.initialBatchEvents ?? 50,
      minTimeoutMs: opts.minTimeoutMs ?? 30_000,
      random: opts.random ?? Math.random,
      log: opts.log ?? (() => undefined),
      baseMs: opts.backoff?.baseMs ?? 500,
      capMs: opts.backoff?.capMs ?? 60_000,
    };
    this.batchEvents = this.o.initialBatchEvents;
    this.onBatch = opts.onBatch;
  }

  private server(): { url: string; boxKey: Uint8Array } {
    const url = getMeta(this.store, 'server_url');
    const key = getMeta(this.store, 'server_box_key');
    if (!url || !key) throw notEnrolled();
    return { url, boxKey: unb64(key) };
  }

  private noteClock(serverTime: unknown, t0: number, t1: number): void {
    if (typeof serverTime !== 'number' || !Number.isFinite(serverTime)) return;
    setMeta(this.store, 'clock_offset', Math.round(serverTime - (t0 + t1) / 2));
  }

  /** Adopts the server's acknowledged head, so what it already holds is not sent again. */
  async resume(): Promise<number> {
    const { url } = this.server();
    const path = `/v1/devices/${this.store.keys.deviceId}/ack`;
    const t0 = Date.now();
    const r = await httpExchange(new URL(path, url).toString(), { method: 'GET', headers: this.sign('GET', path), timeoutMs: this.o.minTimeoutMs, agent: this.agent });
    const reply = parseReply(r);
    this.noteClock(reply.serverTime, t0, Date.now());
    if (r.status !== 200) throw this.refusal(r.status, reply, 'ack query');
    const a = reply as { ackSeq: number; ackHash: string | null; serverTime: number };
    this.resumed = true;
    if (a.ackSeq > ackOf(this.store).seq) return acknowledge(this.store, a.ackSeq, a.ackHash ? unb64(a.ackHash) : undefined).newlyAcked;
    return 0;
  }

  /** Sends one batch of the oldest undelivered events. Throws on any failure (the caller backs off). */
  async sendOnce(): Promise<SendOutcome> {
    const { url, boxKey } = this.server();
    // Events that cannot be sealed or sent are set aside here, so they never block the rest.
    const run = nextBatch(this.store, this.batchEvents);
    if (run.setAside > 0) this.o.log(`sync: ${run.setAside} record(s) set aside (queue status shows why); sending the rest`);
    if (run.events.length === 0) return { kind: 'empty' };
    const tip = run.events[run.events.length - 1]!;
    const enc = await encodeBatch(
      { v: 1, device: this.store.keys.deviceId, from: run.from, prev: b64(run.prev), sig: b64(tip.sig), events: run.events.map((e) => ({ body: e.body, subject: e.subject })) },
      boxKey,
    );
    const expectedMs = this.rateBps > 0 ? (enc.wire.length / this.rateBps) * 1000 : 0;
    const t0 = Date.now();
    let r;
    try {
      r = await httpExchange(new URL('/v1/batches', url).toString(), {
        method: 'POST',
        headers: {
          'content-type': BATCH_CONTENT_TYPE,
          [H_IDEMPOTENCY]: idempotencyKey(this.store.keys.deviceId, run.from, tip.body.seq, tip.hash),
          ...this.sign('POST', '/v1/batches', enc.wire, tip.body.seq),
        },
        body: enc.wire,
        timeoutMs: Math.max(this.o.minTimeoutMs, 4 * expectedMs),
        agent: this.agent,
      });
    } catch (e) {
      // A failed exchange on a weak link: try a smaller batch next time.
      this.batchEvents = Math.max(1, Math.ceil(this.batchEvents / 2));
      throw e;
    }
    const t1 = Date.now();
    const reply = parseReply(r);
    this.noteClock(reply.serverTime, t0, t1);
    if (r.status === 200) {
      if (typeof reply.ackSeq !== 'number') throw new Error('server answered 200 without ackSeq');
      acknowledge(this.store, reply.ackSeq, reply.ackHash ? unb64(reply.ackHash) : undefined);
      this.adapt(enc.wire.length, run.events.length, t1 - t0);
      const out = { kind: 'acked' as const, events: run.events.length, stored: reply.stored ?? 0, duplicates: reply.duplicates ?? 0, wireBytes: enc.wire.length, compressedBytes: enc.compressedBytes, ms: t1 - t0 };
      this.onBatch?.(out);
      return out;
    }
    if (r.status === 413) {
      this.batchEvents = Math.max(1, Math.floor(this.batchEvents / 4));
      throw new Error('batch too large for the server; retrying smaller');
    }
    if (r.status === 401) throw this.refusal(r.status, reply, 'batch');
    if (r.status === 409 && reply.code === 'GAP') {
      throw syncError('SERVER_BEHIND', `the server holds only up to record ${reply.ackSeq} but this device had ${ackOf(this.store).seq} acknowledged: the server lost data; call support`, `máy chủ chỉ còn đến bản ghi ${reply.ackSeq}: máy chủ đã mất dữ liệu, gọi kỹ thuật`, { ackSeq: reply.ackSeq });
    }
    // The server refused one event by its place in the batch ("event i …"): set it aside.
    const named = /\bevent (\d+)\b/.exec(reply.message ?? '');
    if ((r.status === 400 || r.status === 403) && (reply.code === 'FORGED' || reply.code === 'BAD_BATCH') && named && Number(named[1]) < run.events.length) {
      const seq = run.from + Number(named[1]);
      setAsideFrom(this.store, seq, new Map([[seq, { code: 'SERVER_REJECTED' as const, reason: `${reply.code}: ${reply.message}` }]]));
      this.o.log(`sync: the server refused record ${seq} (${reply.code}); set aside, sending the rest`);
      return { kind: 'set-aside', seq, code: reply.code };
    }
    if (r.status >= 400 && r.status < 500) {
      const code = reply.code ?? `HTTP_${r.status}`;
      throw syncError(isErrorCode(code) ? code : 'SERVER_REJECTED', `the server rejected the batch: ${reply.message ?? r.status}`, `máy chủ từ chối lô dữ liệu: ${reply.message ?? r.status}`, { serverCode: code });
    }
    throw new Error(`server answered ${r.status}: ${reply.message ?? ''}`);
  }

  /**
   * The signed headers of a request (request-auth.ts): the device key signs method, path,
   * time, the offset last measured, the body's hash and the queue report, which the
   * server's fleet view shows.
   */
  private sign(method: string, path: string, body?: Uint8Array, sendsUpTo?: number): Record<string, string> {
    return deviceRequestHeaders(this.store, method, path, body, sendsUpTo);
  }


  /** A 401 of a signed request: not enrolled (fatal), or a clock or signature problem (retried after the clock was noted). */
  private refusal(status: number, reply: Reply, what: string): Error {
    if (reply.code === 'UNKNOWN_DEVICE') return notEnrolled();
    if (status === 401 || status === 403) {
      const code = reply.code ?? `HTTP_${status}`;
      return syncError(isErrorCode(code) ? code : 'SERVER_REJECTED', `the server refused the ${what}: ${reply.message ?? status}`, `máy chủ từ chối yêu cầu (${what}): ${reply.message ?? status}`, { serverCode: code });
    }
    return new Error(`${what} answered ${status}: ${reply.message ?? ''}`);
  }

  private adapt(wireBytes: number, events: number, ms: number): void {
    const rate = (wireBytes * 1000) / Math.max(1, ms);
    this.rateBps = this.rateBps === 0 ? rate : 0.6 * this.rateBps + 0.4 * rate;
    const bpe = wireBytes / events;
    this.bytesPerEvent = this.bytesPerEvent === 0 ? bpe : 0.7 * this.bytesPerEvent + 0.3 * bpe;
    const want = (this.rateBps * this.o.targetBatchSeconds) / this.bytesPerEvent;
    // Grow at most 2x a step (the measured rate lags on a link not yet filled), shrink at once.
    this.batchEvents = Math.round(Math.min(this.o.maxBatchEvents, Math.max(1, Math.min(want, this.batchEvents * 2))));
  }

  get batchSize(): number {
    return this.batchEvents;
  }

  backoffMs(): number {
    const ceiling = Math.min(this.o.capMs, this.o.baseMs * 2 ** Math.min(this.attempt, 30));
    return Math.round(this.o.random() * ceiling);
  }

  private sleep(ms: number): Promise<void> {
    if (this.kicked) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /**
   * Sends until nothing is pending, `until` is acknowledged, or `maxMs` passes, backing
   * off after each failure. Fatal rejections (forgery, chain conflict) end it with the error.
   */
  async drain(opts: { maxMs?: number; until?: number; stopOnFatal?: boolean } = {}): Promise<DrainResult> {
    const deadline = opts.maxMs === undefined ? Infinity : Date.now() + opts.maxMs;
    const res: DrainResult = { batches: 0, acked: 0, failures: 0, pending: 0 };
    for (;;) {
      const counts = queueCounts(this.store);
      res.pending = counts.pending;
      if (counts.pending === 0 || (opts.until !== undefined && counts.acked >= opts.until) || Date.now() >= deadline || (!this.running && this.loop)) return res;
      try {
        if (!this.resumed) await this.resume();
        const out = await this.sendOnce();
        if (out.kind === 'acked') {
          res.batches++;
          res.acked += out.events;
          this.attempt = 0;
          this.lastError = undefined;
          setMeta(this.store, 'last_sync_ok', Date.now());
        }
      } catch (e) {
        res.failures++;
        this.noteFailure(e);
        res.lastError = this.lastError;
        if (isIdkError(e) && (FATAL.has(e.code) || e.code === 'NOT_ENROLLED') && opts.stopOnFatal !== false) throw e;
        this.resumed = false;
        this.kicked = false;
        const wait = this.backoffMs();
        this.attempt++;
        if (Date.now() + wait >= deadline) return res;
        await this.sleep(wait);
      }
    }
  }

  /** Remembers a failed exchange (message and time) where the status screen and `queue status` read it. */
  private noteFailure(e: unknown): void {
    this.lastError = (e as Error).message;
    try {
      setMeta(this.store, 'last_sync_error', this.lastError.slice(0, 500));
      setMeta(this.store, 'last_sync_error_at', Date.now());
    } catch {
      // The store being busy or full must not stop the retry loop.
    }
    this.o.log(`sync: ${this.lastError}`);
  }

  /**
   * Runs in the background: drains, then waits for notify() or a poll interval. With
   * `heartbeat`, a round that found nothing to send asks the server for its head instead,
   * so an idle kiosk still knows whether its link is up (and notices a server that lost data).
   */
  start(pollMs = 30_000, opts: { heartbeat?: boolean } = {}): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const r = await this.drain({ stopOnFatal: false });
          if (opts.heartbeat && this.running && r.batches === 0 && r.failures === 0 && r.pending === 0) {
            try {
              await this.resume();
              this.lastError = undefined;
              setMeta(this.store, 'last_sync_ok', Date.now());
            } catch (e) {
              this.resumed = false;
              this.noteFailure(e);
            }
          }
        } catch (e) {
          this.lastError = (e as Error).message;
        }
        if (this.running) await this.sleep(pollMs);
      }
    })();
  }

  /** A new event was recorded: send it soon (at once if idle, after the current round if busy; a backoff stands). */
  notify(): void {
    if (this.attempt !== 0) return;
    if (this.wake) this.wake();
    else this.kicked = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.agent.destroy();
  }

  status(): { head: number; acked: number; batchEvents: number; lastError?: string } {
    return { head: headOf(this.store).seq, acked: ackOf(this.store).seq, batchEvents: this.batchEvents, lastError: this.lastError };
  }
}

/**
 * The signed headers of a device's request (request-auth.ts): the device key signs method,
 * path, time, the offset last measured, the body's hash and the queue report, which the
 * server's fleet view shows. With `sendsUpTo`, the oldest event still waiting once that
 * batch is stored.
 */
export function deviceRequestHeaders(store: LocalStore, method: string, path: string, body?: Uint8Array, sendsUpTo?: number): Record<string, string> {
  const offset = getMeta(store, 'clock_offset');
  const q = queueCounts(store);
  const oldest = sendsUpTo === undefined ? q.oldestPendingAt : ((stmt(store, 'SELECT at FROM events WHERE seq = ?').get(sendsUpTo + 1) as { at: number } | undefined)?.at ?? null);
  return signedHeaders((digest) => signHash(digest, store.keys.signSecretKey), {
    method,
    path,
    device: store.keys.deviceId,
    time: Date.now(),
    offset: offset === undefined ? null : Number(offset),
    body,
    queue: queueReport(q.head, oldest),
  });
}
