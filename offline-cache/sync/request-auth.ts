// Device requests signed by the device key, checked by the server from the headers alone,
// before it reads a byte of the body.
//
// The device signs a digest of: the method, the path, its id, its clock, the clock offset
// it last measured against the server, the SHA-256 of the body, and its queue report.
//
//   digest = SHA-256("idkiosk-request-v1\n" METHOD "\n" PATH "\n" device "\n" time "\n"
//                    offset "\n" body-sha256 "\n" queue)
//   signature = the device key's event signature over the digest (events.ts signHash)
//
// The event signature signs "idkiosk-event-v1" || hash, so a request signature is also a
// valid signature of that 32-byte digest as an event hash. That cannot be abused: a chain
// hash is SHA-256(previous hash || canonical JSON), and no request digest equals one
// without a SHA-256 collision, because the request preimage starts with its own tag.
//
// Freshness: time + offset must lie within the server's window of its own clock (a device
// whose clock is off is not refused: it sends the offset the server told it). A replay
// inside the window is harmless: a batch is idempotent and an ack query reads only the
// device's own head.
//
// The server verifies with node:crypto (Ed25519 in OpenSSL): a forged request costs it one
// signature check, about a tenth of a millisecond, whatever the size of the body it announces.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { b64 } from '../canonical.js';
import { verifyHashSignatureFast } from './ed25519-verify.js';
import { HttpError } from './server-http.js';
import { H_DEVICE } from './protocol.js';

const H_TIME = 'x-idk-time';
const H_OFFSET = 'x-idk-offset';
const H_BODY_SHA256 = 'x-idk-body-sha256';
const H_SIGNATURE = 'x-idk-signature';
/**
 * The device's queue as it reports it: `head=N;oldest=MS`, its last recorded sequence number
 * and the time (device clock, or -) of its oldest event still undelivered once this request
 * is done (for a batch: the event after the batch). The server compares the head with what
 * it holds, so the lag it shows stays right after the batch the report came with.
 */
const H_QUEUE = 'x-idk-queue';

const REQUEST_TAG = 'idkiosk-request-v1';
const EMPTY_SHA256 = createHash('sha256').digest();

interface RequestParts {
  method: string;
  path: string;
  device: string;
  time: number;
  /** Server minus device clock as last measured, or null if never. */
  offset: number | null;
  bodySha256: Uint8Array;
  queue: string;
}

function requestDigest(p: RequestParts): Uint8Array {
  const text = [REQUEST_TAG, p.method.toUpperCase(), p.path, p.device, String(p.time), p.offset === null ? '-' : String(p.offset), b64(p.bodySha256), p.queue].join('\n');
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

export function queueReport(head: number, oldestPendingAt: number | null): string {
  return `head=${head};oldest=${oldestPendingAt ?? '-'}`;
}

function parseQueueReport(v: string): { head: number; oldestPendingAt: number | null } | null {
  const m = /^head=(\d{1,15});oldest=(-|\d{1,15})$/.exec(v);
  if (!m) return null;
  return { head: Number(m[1]), oldestPendingAt: m[2] === '-' ? null : Number(m[2]) };
}

/** The headers a device adds to a request; `sign` is the device key's signature of a 32-byte hash. */
export function signedHeaders(
  sign: (digest: Uint8Array) => Uint8Array,
  r: { method: string; path: string; device: string; time: number; offset: number | null; body?: Uint8Array; queue: string },
): Record<string, string> {
  const bodySha256 = r.body && r.body.length > 0 ? new Uint8Array(createHash('sha256').update(r.body).digest()) : new Uint8Array(EMPTY_SHA256);
  const parts: RequestParts = { method: r.method, path: r.path, device: r.device, time: r.time, offset: r.offset, bodySha256, queue: r.queue };
  return {
    [H_DEVICE]: r.device,
    [H_TIME]: String(r.time),
    [H_OFFSET]: r.offset === null ? '-' : String(r.offset),
    [H_BODY_SHA256]: b64(bodySha256),
    [H_QUEUE]: r.queue,
    [H_SIGNATURE]: b64(sign(requestDigest(parts))),
  };
}

function one(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' ? v : undefined;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface SignedRequest {
  device: string;
  time: number;
  offset: number | null;
  bodySha256: Buffer;
  queue: { head: number; oldestPendingAt: number | null } | null;
  signature: Buffer;
  parts: RequestParts;
}

const unauthorized = (code: string, message: string): HttpError => new HttpError(401, code, message, true);

/** The signed headers of a request, well-formed or a 401 (nothing verified yet). */
export function parseSignedRequest(method: string, path: string, h: IncomingHttpHeaders): SignedRequest {
  const device = one(h, H_DEVICE);
  const time = one(h, H_TIME);
  const offset = one(h, H_OFFSET);
  const body = one(h, H_BODY_SHA256);
  const sig = one(h, H_SIGNATURE);
  const queue = one(h, H_QUEUE) ?? '';
  if (!device || !time || !offset || !body || !sig) {
    throw unauthorized('AUTH_REQUIRED', `a device request needs the headers ${H_DEVICE}, ${H_TIME}, ${H_OFFSET}, ${H_BODY_SHA256} and ${H_SIGNATURE}`);
  }
  if (!/^[\w-]{1,64}$/.test(device) || !/^\d{1,15}$/.test(time) || !/^(-|-?\d{1,12})$/.test(offset) || !B64.test(body) || !B64.test(sig) || queue.length > 100) {
    throw unauthorized('BAD_SIGNATURE', 'malformed request signature headers');
  }
  const bodySha256 = Buffer.from(body, 'base64');
  const signature = Buffer.from(sig, 'base64');
  if (bodySha256.length !== 32 || signature.length !== 64) throw unauthorized('BAD_SIGNATURE', 'malformed request signature headers');
  const off = offset === '-' ? null : Number(offset);
  const parts: RequestParts = { method, path, device, time: Number(time), offset: off, bodySha256, queue };
  return { device, time: Number(time), offset: off, bodySha256, queue: parseQueueReport(queue), signature, parts };
}

/** Checks freshness and the signature against the enrolled key; throws 401 (connection closed) otherwise. */
export function checkSignedRequest(r: SignedRequest, signPublicKey: Uint8Array, serverNow: number, windowMs: number): void {
  const skew = serverNow - (r.time + (r.offset ?? 0));
  if (Math.abs(skew) > windowMs) {
    throw unauthorized('REQUEST_EXPIRED', `request time is ${Math.round(skew / 1000)} s off the server's clock (window ${windowMs / 1000} s): correct the offset and retry`);
  }
  if (!verifyHashSignatureFast(requestDigest(r.parts), r.signature, signPublicKey)) {
    throw unauthorized('BAD_SIGNATURE', 'request signature does not verify with the enrolled device key');
  }
}
