// Hand-made requests to the ingest server, for tests that need what the sync client never
// sends: a chosen batch, a replay, a forged signature, a raw byte stream on a socket.
import { connect } from 'node:net';
import { b64 } from '../../offline-cache/canonical.js';
import { signHash } from '../../offline-cache/events.js';
import { pendingRun } from '../../offline-cache/outbox.js';
import type { LocalStore } from '../../offline-cache/store.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { BATCH_CONTENT_TYPE, encodeBatch } from '../../offline-cache/sync/protocol.js';
import { signedHeaders } from '../../offline-cache/sync/request-auth.js';

/** The headers the device signs for `method path` with this body. */
export function deviceHeaders(store: LocalStore, method: string, path: string, body?: Uint8Array, over: { time?: number; offset?: number | null } = {}): Record<string, string> {
  return signedHeaders((d) => signHash(d, store.keys.signSecretKey), {
    method,
    path,
    device: store.keys.deviceId,
    time: over.time ?? Date.now(),
    offset: over.offset === undefined ? null : over.offset,
    body,
    queue: 'head=0;oldest=-',
  });
}

export interface Reply {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

export async function signedPost(url: string, store: LocalStore, wire: Uint8Array, extra: Record<string, string> = {}): Promise<Reply> {
  const r = await httpExchange(new URL('/v1/batches', url).toString(), {
    method: 'POST',
    headers: { 'content-type': BATCH_CONTENT_TYPE, ...deviceHeaders(store, 'POST', '/v1/batches', wire), ...extra },
    body: wire,
    timeoutMs: 20_000,
  });
  return { status: r.status, json: JSON.parse(r.text) as Record<string, unknown>, text: r.text };
}

/** The store's oldest undelivered events as one sealed batch to `boxKey`. */
export async function batchOf(store: LocalStore, boxKey: Uint8Array, max = 100): Promise<Uint8Array> {
  const run = pendingRun(store, max);
  return (
    await encodeBatch(
      { v: 1, device: store.keys.deviceId, from: run.from, prev: b64(run.prev), sig: b64(run.events.at(-1)!.sig), events: run.events.map((e) => ({ body: e.body, subject: e.subject })) },
      boxKey,
    )
  ).wire;
}

export interface RawReply {
  status: number;
  head: string;
  body: string;
  /** The server ended the connection (FIN or reset) after answering. */
  closed: boolean;
  /** The connection was reset rather than closed cleanly. */
  reset: boolean;
}

/**
 * Writes `head` (request line and headers, CRLF-separated, ending in a blank line) and then
 * each chunk of `body` with `gapMs` between them, on a raw socket; resolves with the first
 * answer and whether the server then closed the connection. Writing stops once an answer came.
 */
export function rawRequest(port: number, head: string, body: (Buffer | string)[] = [], gapMs = 0, waitCloseMs = 3000): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    let answered = false;
    let reset = false;
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const sep = data.indexOf('\r\n\r\n');
      const h = sep < 0 ? data : data.slice(0, sep);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(h)?.[1] ?? 0);
      resolve({ status, head: h, body: sep < 0 ? '' : data.slice(sep + 4), closed, reset });
      sock.destroy();
    };
    const timer = setTimeout(() => (data ? finish(false) : reject(new Error(`no answer: ${head.split('\r\n')[0]}`))), 30_000);
    sock.on('data', (d: Buffer) => {
      data += d.toString('utf8');
      if (!answered && /\r\n\r\n/.test(data)) {
        answered = true;
        setTimeout(() => finish(false), waitCloseMs);
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') reset = true;
      else if (!data) reject(e);
    });
    sock.on('close', () => (data ? finish(true) : reject(new Error(`connection closed without an answer${reset ? ' (reset)' : ''}`))));
    sock.write(head);
    void (async () => {
      for (const c of body) {
        if (answered || sock.destroyed) return;
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
        if (answered || sock.destroyed) return;
        sock.write(c);
      }
    })();
  });
}
