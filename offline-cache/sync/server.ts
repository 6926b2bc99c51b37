// The reference ingest server (node:http): enrols devices against an operator token,
// verifies every batch (envelope, shape, subjects against their commitments, hash chain,
// tip signature), stores it exactly once, and answers with the device's acknowledged head.
import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { b64, canonical, type Json, unb64 } from '../canonical.js';
import { sealField } from '../crypto-box.js';
import { bodyBytes, genesisHash } from '../events.js';
import {
  type BatchAck,
  type EnrolReply,
  type ErrorReply,
  H_DEVICE,
  H_SERVER_TIME,
  MAX_BODY_BYTES,
  ProtocolError,
  decodeBatch,
  verifyBatch,
} from './protocol.js';
import type { ServerKeys } from './server-keys.js';
import type { IncomingEvent, ServerStore } from './server-store.js';

interface SyncServerOptions {
  store: ServerStore;
  keys: ServerKeys;
  /** The operator token a device presents once to enrol. */
  enrolToken: string;
  now?: () => number;
  /** Events stamped further than this from server time are stored with a clock flag. */
  clockToleranceMs?: number;
  log?: (line: string) => void;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

class HttpError extends ProtocolError {}

function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new HttpError(413, 'TOO_LARGE', `body over ${limit} bytes`));
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        reject(new HttpError(413, 'TOO_LARGE', `body over ${limit} bytes`));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => resolve(new Uint8Array(Buffer.concat(parts))));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

function tokenMatches(given: string | undefined, expected: string): boolean {
  if (!given?.startsWith('Bearer ')) return false;
  const a = Buffer.from(given.slice(7));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createSyncServer(opts: SyncServerOptions): Server {
  const now = opts.now ?? Date.now;
  const tolerance = opts.clockToleranceMs ?? 5 * 60_000;
  const log = opts.log ?? (() => undefined);

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), [H_SERVER_TIME]: String(now()) });
    res.end(text);
  };
  const reject = (res: ServerResponse, status: number, code: string, message: string, extra: Partial<ErrorReply> = {}): void =>
    send(res, status, { status: 'rejected', code, message, serverTime: now(), ...extra } satisfies ErrorReply);

  async function enrol(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!tokenMatches(req.headers.authorization, opts.enrolToken)) return reject(res, 401, 'BAD_TOKEN', 'enrolment needs a valid operator token');
    let b: { deviceId?: unknown; signPublicKey?: unknown; site?: unknown };
    try {
      b = JSON.parse(dec.decode(await readBody(req, 4096))) as typeof b;
    } catch {
      return reject(res, 400, 'BAD_REQUEST', 'enrolment body is not JSON');
    }
    if (typeof b.deviceId !== 'string' || !/^[\w-]{1,64}$/.test(b.deviceId) || typeof b.signPublicKey !== 'string' || typeof b.site !== 'string' || b.site.length > 200) {
      return reject(res, 400, 'BAD_REQUEST', 'enrolment needs deviceId, signPublicKey, site');
    }
    let pk: Uint8Array;
    try {
      pk = unb64(b.signPublicKey);
    } catch {
      return reject(res, 400, 'BAD_REQUEST', 'signPublicKey is not base64');
    }
    if (pk.length !== 32) return reject(res, 400, 'BAD_REQUEST', 'signPublicKey must be 32 bytes (Ed25519)');
    const r = await opts.store.enrol({ deviceId: b.deviceId, signPublicKey: pk, site: b.site, now: now() });
    if (r === 'conflict') return reject(res, 409, 'DEVICE_KEY_CONFLICT', 'this device id is enrolled with another key');
    log(`enrol ${b.deviceId} ${r}`);
    send(res, r === 'created' ? 201 : 200, { status: r === 'created' ? 'enrolled' : 'already-enrolled', serverBoxKey: b64(opts.keys.boxPublicKey), serverTime: now() } satisfies EnrolReply);
  }

  async function batch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const deviceId = req.headers[H_DEVICE];
    if (typeof deviceId !== 'string') return reject(res, 400, 'BAD_REQUEST', `missing ${H_DEVICE} header`);
    const device = await opts.store.device(deviceId);
    if (!device) {
      req.resume();
      return reject(res, 401, 'UNKNOWN_DEVICE', 'device not enrolled: enrol it with an operator token first');
    }
    const wire = await readBody(req, MAX_BODY_BYTES);
    const receivedAt = now();
    const p = await decodeBatch(wire, opts.keys.boxSecretKey);
    const v = verifyBatch(p, deviceId, device.signPublicKey);
    const incoming: IncomingEvent[] = p.events.map((e, i) => {
      let clockFlag: string | null = null;
      if (e.body.at > receivedAt + tolerance) clockFlag = 'future';
      else if (e.body.clock !== null && Math.abs(e.body.clock) > tolerance) clockFlag = 'device-clock-off';
      return {
        seq: e.body.seq,
        id: e.body.id,
        at: e.body.at,
        body: dec.decode(bodyBytes(e.body)),
        hash: v.hashes[i]!,
        sig: i === p.events.length - 1 ? v.sig : null,
        subject: sealField(opts.keys.dataKey, enc.encode(canonical(e.subject as unknown as Json))),
        clockFlag,
      };
    });
    const r = await opts.store.ingest(deviceId, v.from, v.prev, genesisHash(device.signPublicKey), incoming, receivedAt);
    const ackHash = r.ackHash ? b64(r.ackHash) : null;
    if (r.kind === 'gap') return reject(res, 409, 'GAP', `batch starts at ${v.from} but the server holds up to ${r.ackSeq}: resend from ${r.ackSeq + 1}`, { ackSeq: r.ackSeq, ackHash });
    if (r.kind === 'conflict') return reject(res, 409, 'CHAIN_CONFLICT', `record ${r.seq} differs from the one already stored`, { ackSeq: r.ackSeq, ackHash });
    log(`batch ${deviceId} ${v.from}-${v.to}: stored ${r.stored}, duplicates ${r.duplicates}, flagged ${r.flagged}`);
    send(res, 200, {
      status: r.stored > 0 ? 'stored' : 'duplicate',
      stored: r.stored,
      duplicates: r.duplicates,
      ackSeq: r.ackSeq,
      ackHash,
      flagged: r.flagged,
      serverTime: now(),
    } satisfies BatchAck);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = req.method ?? 'GET';
    if (m === 'POST' && url.pathname === '/v1/batches') return batch(req, res);
    if (m === 'POST' && url.pathname === '/v1/enrol') return enrol(req, res);
    const ack = /^\/v1\/devices\/([\w-]{1,64})\/ack$/.exec(url.pathname);
    if (m === 'GET' && ack) {
      const d = await opts.store.device(ack[1]!);
      if (!d) return reject(res, 401, 'UNKNOWN_DEVICE', 'device not enrolled');
      return send(res, 200, { ackSeq: d.headSeq, ackHash: d.headHash ? b64(d.headHash) : null, serverTime: now() });
    }
    if (m === 'GET' && url.pathname === '/health') {
      try {
        await opts.store.ping();
        return send(res, 200, { status: 'ok', store: opts.store.kind, serverTime: now() });
      } catch (e) {
        return send(res, 503, { status: 'unavailable', store: opts.store.kind, error: (e as Error).message, serverTime: now() });
      }
    }
    if (m === 'GET' && url.pathname === '/stats') return send(res, 200, { ...(await opts.store.stats()), serverTime: now() });
    req.resume();
    reject(res, 404, 'NOT_FOUND', `${m} ${url.pathname}`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (e instanceof ProtocolError) return reject(res, e.status, e.code, e.message);
      log(`error ${(e as Error)?.message}`);
      reject(res, 503, 'STORE_ERROR', 'the server could not store the batch: retry later');
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 600_000;
  return server;
}

export function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(`http://${host}:${a.port}`);
    });
  });
}
