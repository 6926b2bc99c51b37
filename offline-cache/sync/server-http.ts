// The ingest server's HTTP plumbing: answers in one JSON shape, request bodies read under
// a size limit and a pace rule, and a closing that lets the client read the answer.
//
// Why a lingering close: a server that closes a socket while request bytes are still
// unread makes the kernel send a reset, and a client that gets the reset can lose the
// answer sitting in its receive buffer (the "bare reset" an oversized chunked upload used
// to get). So after an error answer the server half-closes (FIN after the answer), reads
// and drops whatever still comes for `lingerMs`, then closes for good.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { H_SERVER_TIME, ProtocolError, type ErrorReply } from './protocol.js';

/** A refusal with its HTTP status; `close` ends the connection after the answer (the body was not read). */
export class HttpError extends ProtocolError {
  constructor(
    status: number,
    code: string,
    message: string,
    readonly close = false,
    readonly headers: Record<string, string> = {},
  ) {
    super(status, code, message);
  }
}

export interface BodyRules {
  maxBytes: number;
  minBytesPerSec: number;
  graceMs: number;
  idleMs: number;
}

export interface Body {
  bytes: Buffer;
  /** SHA-256 of the bytes, computed as they arrived. */
  sha256: Buffer;
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, 'TOO_LARGE', `request body over ${max} bytes`, true);
}

/** Refuses a declared length over the limit before a byte of the body is read. */
export function checkDeclaredLength(req: IncomingMessage, max: number): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && !(Number(declared) <= max)) throw tooLarge(max);
}

/**
 * Reads the body, hashing as it goes, and gives up (413, or 408 for a body too slow)
 * the moment a rule is broken: nothing past the limit is kept, and a slow body is not
 * held longer than the grace period allows.
 */
export function readBody(req: IncomingMessage, rules: BodyRules): Promise<Body> {
  checkDeclaredLength(req, rules.maxBytes);
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const hash = createHash('sha256');
    const started = Date.now();
    let last = started;
    let n = 0;
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      clearInterval(pace);
      req.off('data', onData);
      if (err) {
        parts.length = 0;
        reject(err);
      } else resolve({ bytes: Buffer.concat(parts, n), sha256: hash.digest() });
    };
    const onData = (c: Buffer): void => {
      n += c.length;
      last = Date.now();
      if (n > rules.maxBytes) return finish(tooLarge(rules.maxBytes));
      hash.update(c);
      parts.push(c);
    };
    const pace = setInterval(() => {
      const now = Date.now();
      const elapsed = now - started;
      if (now - last > rules.idleMs || (elapsed > rules.graceMs && n < (rules.minBytesPerSec * elapsed) / 1000)) {
        finish(new HttpError(408, 'BODY_TOO_SLOW', `request body arrived slower than ${rules.minBytesPerSec} bytes/s`, true));
      }
    }, 250);
    req.on('data', onData);
    req.once('end', () => finish(null));
    req.once('error', (e) => finish(e));
    req.once('aborted', () => finish(new Error('client aborted the request')));
    req.once('close', () => finish(new Error('connection closed before the body ended')));
  });
}

const LINGER_MAX_BYTES = 64 * 1024;

/** Ends the connection after the answer without resetting it under the client (see above). */
function lingeringClose(req: IncomingMessage, res: ServerResponse, lingerMs: number): void {
  const sock: Socket = req.socket;
  // Node ends a "Connection: close" answer with destroySoon(), which resets a socket that
  // still has unread bytes: replace it, for this socket only, by a half-close and a linger.
  sock.destroySoon = function lingerThenDestroy(this: Socket): void {
    if (this.writable) this.end();
    const t = setTimeout(() => this.destroy(), lingerMs);
    t.unref();
    this.once('close', () => clearTimeout(t));
    this.once('end', () => this.destroy());
    // Reading a whole forged 8 MB body just to drop it would be work for the attacker's
    // benefit: after 64 KiB more, the client has had the answer for a round trip at least.
    let dropped = 0;
    this.on('data', (c: Buffer) => {
      dropped += c.length;
      if (dropped > LINGER_MAX_BYTES) this.destroy();
    });
  };
  // Drop whatever of the body still arrives; nothing of it is kept.
  req.removeAllListeners('data');
  req.resume();
  res.shouldKeepAlive = false;
}

export interface Replier {
  send(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void;
  reject(req: IncomingMessage, res: ServerResponse, e: ProtocolError, extra?: Partial<ErrorReply>): void;
}

export function replier(now: () => number, lingerMs: number): Replier {
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', [H_SERVER_TIME]: String(now()), ...headers });
    res.end(text);
  };
  return {
    send,
    reject(req, res, e, extra = {}) {
      const headers = e instanceof HttpError ? { ...e.headers } : {};
      if (e instanceof HttpError && e.close) {
        headers.connection = 'close';
        lingeringClose(req, res, lingerMs);
      }
      send(res, e.status, { status: 'rejected', code: e.code, message: e.message, serverTime: now(), ...extra } satisfies ErrorReply, headers);
    },
  };
}

/** True when the request carries a body (declared or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/** The media type without parameters, lower case. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function requireMediaType(req: IncomingMessage, expected: string): void {
  if (mediaType(req) !== expected) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `content-type must be ${expected}`, true);
}
