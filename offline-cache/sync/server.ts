// The reference ingest server (node:http): enrols devices against an operator token,
// authenticates every device request from its headers before reading the body, verifies
// every batch (envelope, shape, subjects against their commitments, hash chain, tip
// signature), stores it exactly once, and answers with the device's acknowledged head.
//
// Order of the checks on a batch, cheapest first, so that nobody without the device key
// can make the server spend more than a signature check: route and content type, declared
// size, signed headers (device known, time fresh, signature), upload slots, then the body
// under its size and pace rules, its hash against the signed one, and only then opening,
// decompressing (bounded) and parsing it.
import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { b64, canonical, type Json, unb64 } from '../canonical.js';
import { genesisHash } from '../events.js';
import type { PrepareJob } from './batch-prepare.js';
import { PreparePool } from './prepare-pool.js';
import { type BatchAck, type EnrolReply, BATCH_CONTENT_TYPE, ProtocolError } from './protocol.js';
import { type SignedRequest, checkSignedRequest, parseSignedRequest } from './request-auth.js';
import { HttpError, checkDeclaredLength, hasBody, readBody, replier, requireMediaType } from './server-http.js';
import { DEFAULT_LIMITS, type ServerLimits, UploadSlots } from './server-limits.js';
import { hashEnrolToken, operatorRoutes } from './server-operator.js';
import type { ServerKeyring } from './server-keys.js';
import type { AuditRow, DeviceRecord, DeviceSeen, ServerStore } from './server-store.js';
import { auditLineProblem, verifyAuditLine } from '../audit.js';

interface SyncServerOptions {
  store: ServerStore;
  /** The key sets shared through the database (server-keys.ts). */
  keys: ServerKeyring;
  /** How often a node rereads the key sets, so a rotation made elsewhere reaches it (default 60 s). */
  keyReloadMs?: number;
  /** The fleet-wide enrolment token a device presents once to enrol (site tokens are made by the operator). */
  enrolToken: string;
  /** Guards /stats, the fleet view and every operator action; separate from any enrolment token. */
  operatorToken: string;
  /** Days the sealed personal part of an event is kept after it arrived (default 90); the chain stays. */
  retentionDays?: number;
  /** How often a node runs the retention policy (default hourly; 0 = only on request). */
  purgeIntervalMs?: number;
  /** Time zone of the fleet view's days, minutes east of UTC (default 420, Việt Nam). */
  utcOffsetMinutes?: number;
  /** Batches a revoked device may leave in quarantine (default 1000); later ones are refused unkept. */
  quarantinePerDevice?: number;
  /** Worker threads that open and verify batches (default 0: on the main thread). */
  prepareThreads?: number;
  limits?: Partial<ServerLimits>;
  now?: () => number;
  /** Events stamped further than this from server time are stored with a clock flag. */
  clockToleranceMs?: number;
  log?: (line: string) => void;
}

const dec = new TextDecoder();

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const DEFAULT_RETENTION_DAYS = 90;

export function createSyncServer(opts: SyncServerOptions): Server {
  const now = opts.now ?? Date.now;
  const tolerance = opts.clockToleranceMs ?? 5 * 60_000;
  const log = opts.log ?? (() => undefined);
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const { send, reject } = replier(now, limits.lingerMs);
  const perDevice = new UploadSlots(limits.maxUploadsPerDevice);
  const perAddress = new UploadSlots(limits.maxUploadsPerAddress);
  const bodyRules = { maxBytes: limits.maxBodyBytes, minBytesPerSec: limits.minBodyBytesPerSec, graceMs: limits.bodyGraceMs, idleMs: limits.bodyIdleMs };
  const keys = opts.keys;
  const pool = new PreparePool(opts.prepareThreads ?? 0);
  let keysReadAt = now();
  /** Rereads the key sets (another node may have rotated them), at most once a second unless forced. */
  const reloadKeys = async (force = false): Promise<boolean> => {
    if (!force && now() - keysReadAt < 1_000) return false;
    keysReadAt = now();
    const before = keys.all.length;
    await keys.load();
    return keys.all.length !== before;
  };
  const reloadTimer = setInterval(() => void reloadKeys().catch((e: unknown) => log(`key reload failed: ${(e as Error).message}`)), opts.keyReloadMs ?? 60_000);
  reloadTimer.unref();

  const retentionMs = (opts.retentionDays ?? DEFAULT_RETENTION_DAYS) * 86_400_000;
  const purge = async (): Promise<number> => {
    const n = await opts.store.purgeSubjects(now() - retentionMs, now());
    if (n > 0) log(`retention: purged the personal part of ${n} events older than ${opts.retentionDays ?? DEFAULT_RETENTION_DAYS} days`);
    return n;
  };
  const purgeTimer = opts.purgeIntervalMs === 0 ? undefined : setInterval(() => void purge().catch((e: unknown) => log(`retention failed: ${(e as Error).message}`)), opts.purgeIntervalMs ?? 3600_000);
  purgeTimer?.unref();
  if (sameText(opts.operatorToken, opts.enrolToken)) throw new RangeError('the operator token must differ from the enrolment token');
  const operator = operatorRoutes({
    store: opts.store,
    operatorToken: opts.operatorToken,
    now,
    replier: { send, reject },
    bodyRules: { ...bodyRules, maxBytes: limits.maxSmallBodyBytes },
    utcOffsetMinutes: opts.utcOffsetMinutes ?? 420,
    chartDays: 30,
    purge,
  });

  const seenOf = (signed: SignedRequest): DeviceSeen => {
    const at = now();
    return { at, head: signed.queue?.head ?? null, oldestPendingAt: signed.queue?.oldestPendingAt ?? null, skewMs: at - signed.time };
  };

  /** The signed headers checked against the enrolled key: the device, or a 401 that closes the connection. */
  async function authenticate(req: IncomingMessage, path: string): Promise<{ signed: SignedRequest; device: DeviceRecord }> {
    const signed = parseSignedRequest(req.method ?? 'GET', path, req.headers);
    const device = await opts.store.device(signed.device);
    if (!device) throw new HttpError(401, 'UNKNOWN_DEVICE', 'device not enrolled: enrol it with an operator token first', true);
    checkSignedRequest(signed, device.signPublicKey, now(), limits.requestWindowMs);
    return { signed, device };
  }

  /** Runs `f` holding an upload slot for the device and for the address, or answers 429. */
  async function withUploadSlot<T>(req: IncomingMessage, deviceId: string, f: () => Promise<T>): Promise<T> {
    const address = req.socket.remoteAddress ?? '?';
    if (!perAddress.take(address)) throw new HttpError(429, 'TOO_MANY_UPLOADS', `more than ${limits.maxUploadsPerAddress} uploads at once from this address`, true, { 'retry-after': '5' });
    if (!perDevice.take(deviceId)) {
      perAddress.give(address);
      throw new HttpError(429, 'TOO_MANY_UPLOADS', `more than ${limits.maxUploadsPerDevice} uploads at once from this device`, true, { 'retry-after': '5' });
    }
    try {
      return await f();
    } finally {
      perDevice.give(deviceId);
      perAddress.give(address);
    }
  }

  async function enrol(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireMediaType(req, 'application/json');
    checkDeclaredLength(req, limits.maxSmallBodyBytes);
    // The fleet-wide enrolment token, or a live site token (which fixes the site).
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
    const siteToken = given && !sameText(given, opts.enrolToken) ? await opts.store.enrolTokenByHash(hashEnrolToken(given), now()) : undefined;
    if (!given || (!siteToken && !sameText(given, opts.enrolToken))) throw new HttpError(401, 'BAD_TOKEN', 'enrolment needs a valid enrolment token (expired or revoked tokens are refused)', true);
    const body = await readBody(req, { ...bodyRules, maxBytes: limits.maxSmallBodyBytes });
    let b: { deviceId?: unknown; signPublicKey?: unknown; site?: unknown };
    try {
      b = JSON.parse(dec.decode(body.bytes)) as typeof b;
    } catch {
      throw new HttpError(400, 'BAD_REQUEST', 'enrolment body is not JSON');
    }
    if (typeof b !== 'object' || b === null || typeof b.deviceId !== 'string' || !/^[\w-]{1,64}$/.test(b.deviceId) || typeof b.signPublicKey !== 'string' || typeof b.site !== 'string' || b.site.length === 0 || b.site.length > 200) {
      throw new HttpError(400, 'BAD_REQUEST', 'enrolment needs deviceId, signPublicKey, site');
    }
    let pk: Uint8Array;
    try {
      pk = unb64(b.signPublicKey);
    } catch {
      throw new HttpError(400, 'BAD_REQUEST', 'signPublicKey is not base64');
    }
    if (pk.length !== 32) throw new HttpError(400, 'BAD_REQUEST', 'signPublicKey must be 32 bytes (Ed25519)');
    // Enrolment hands out the newest key set: make sure this node has read it.
    await reloadKeys(true);
    const site = siteToken ? siteToken.site : b.site.normalize('NFC');
    const r = await opts.store.enrol({ deviceId: b.deviceId, signPublicKey: pk, site, now: now(), tokenId: siteToken?.tokenId });
    if (r === 'conflict') throw new HttpError(409, 'DEVICE_KEY_CONFLICT', 'this device id is enrolled with another key');
    const existing = await opts.store.device(b.deviceId);
    if (existing?.revokedAt) throw new HttpError(403, 'DEVICE_REVOKED', 'this device was revoked by the operator: it cannot enrol again');
    if (r === 'created') await opts.store.audit({ at: now(), actor: siteToken ? `enrol-token:${siteToken.tokenId}` : 'enrol-token:fleet', action: 'device.enrol', target: b.deviceId, detail: `site ${site}` });
    log(`enrol ${b.deviceId} ${r}`);
        // Always the newest key set: re-enrolling is how a device moves to a rotated key.
    send(res, r === 'created' ? 201 : 200, { status: r === 'created' ? 'enrolled' : 'already-enrolled', serverBoxKey: b64(keys.current.boxPublicKey), keyId: keys.current.keyId, serverTime: now() } satisfies EnrolReply);
  }

  async function batch(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    requireMediaType(req, BATCH_CONTENT_TYPE);
    checkDeclaredLength(req, limits.maxBodyBytes);
    const { signed, device } = await authenticate(req, path);
    const deviceId = device.deviceId;
    const body = await withUploadSlot(req, deviceId, () => readBody(req, bodyRules));
    // The body must be the one the device signed: checked before it is opened or decompressed.
    if (!timingSafeEqual(body.sha256, signed.bodySha256)) throw new HttpError(400, 'BODY_MISMATCH', 'the body is not the one the request signature covers');
    const receivedAt = now();
    if (device.revokedAt !== null) {
      // A revoked (stolen?) device: what it sends now is kept apart as it came, sealed, and never merged.
      const kept = await opts.store.quarantine(deviceId, receivedAt, body.bytes, 'device revoked', opts.quarantinePerDevice ?? 1000);
      await opts.store.touch(deviceId, seenOf(signed));
      log(`batch from revoked device ${deviceId}: ${kept ? 'kept in quarantine' : 'refused, quarantine full'}`);
      throw new HttpError(403, 'DEVICE_REVOKED', `this device was revoked by the operator; the batch was ${kept ? 'kept apart for inspection' : 'not kept (quarantine full)'} and not stored`);
    }
    const job = (): PrepareJob => ({
      wire: body.bytes,
      deviceId,
      signPublicKey: device.signPublicKey,
      boxSecretKeys: keys.boxSecretKeys(),
      seal: { keyId: keys.current.keyId, dataKey: keys.current.dataKey },
      limits,
      receivedAt,
      toleranceMs: tolerance,
    });
    let v;
    try {
      v = await pool.prepare(job());
    } catch (e) {
      // Sealed to a key set this node has not read yet (rotated on another node): reread once.
      if (!(e instanceof ProtocolError && e.code === 'BAD_ENVELOPE') || !(await reloadKeys())) throw e;
      v = await pool.prepare(job());
    }
    const incoming = v.events;
    const r = await opts.store.ingest(deviceId, v.from, v.prev, genesisHash(device.signPublicKey), incoming, receivedAt, seenOf(signed));
    const ackHash = r.ackHash ? b64(r.ackHash) : null;
    if (r.kind === 'gap') return reject(req, res, new ProtocolError(409, 'GAP', `batch starts at ${v.from} but the server holds up to ${r.ackSeq}: resend from ${r.ackSeq + 1}`), { ackSeq: r.ackSeq, ackHash });
    if (r.kind === 'conflict') return reject(req, res, new ProtocolError(409, 'CHAIN_CONFLICT', `record ${r.seq} differs from the one already stored`), { ackSeq: r.ackSeq, ackHash });
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

  /**
   * An enrolled device's public key as a JWK (RFC 8037), so a back end can check the receipts
   * that kiosk signed (docs/integration.md) without reaching the kiosk. A public key is no
   * secret: no token is needed, and nothing else about the device is told.
   */
  async function deviceKey(req: IncomingMessage, res: ServerResponse, deviceId: string): Promise<void> {
    if (hasBody(req)) throw new HttpError(400, 'BAD_REQUEST', 'a key query has no body', true);
    const d = await opts.store.device(deviceId);
    if (!d) throw new HttpError(404, 'UNKNOWN_DEVICE', 'no device of that id is enrolled');
    const x = Buffer.from(d.signPublicKey).toString('base64url');
    send(res, 200, { deviceId: d.deviceId, alg: 'EdDSA', jwk: { kty: 'OKP', crv: 'Ed25519', x, use: 'sig', alg: 'EdDSA' }, enrolledAt: d.enrolledAt, revoked: d.revokedAt !== null, serverTime: now() });
  }

  /**
   * Audit lines of a kiosk's local identity service (offline-cache/audit.ts): a signed device
   * request whose lines are each signed by the device too, stored once by (device, id). One
   * bad line refuses the whole request (FORGED), so a device never believes a line delivered
   * that was not stored. A revoked device's lines are refused.
   */
  async function audit(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    requireMediaType(req, 'application/json');
    checkDeclaredLength(req, limits.maxBodyBytes);
    const { signed, device } = await authenticate(req, path);
    const deviceId = device.deviceId;
    const body = await withUploadSlot(req, deviceId, () => readBody(req, bodyRules));
    if (!timingSafeEqual(body.sha256, signed.bodySha256)) throw new HttpError(400, 'BODY_MISMATCH', 'the body is not the one the request signature covers');
    await opts.store.touch(deviceId, seenOf(signed));
    if (device.revokedAt !== null) throw new HttpError(403, 'DEVICE_REVOKED', 'this device was revoked by the operator');
    let parsed: { lines?: unknown };
    try {
      parsed = JSON.parse(dec.decode(body.bytes)) as typeof parsed;
    } catch {
      throw new HttpError(400, 'BAD_REQUEST', 'audit body is not JSON');
    }
    if (!Array.isArray(parsed?.lines) || parsed.lines.length > 2000) throw new HttpError(400, 'BAD_REQUEST', 'audit body needs lines (at most 2000)');
    const rows: AuditRow[] = [];
    for (const l of parsed.lines as Array<{ line?: unknown; sig?: unknown }>) {
      if (typeof l?.line !== 'string' || typeof l.sig !== 'string') throw new HttpError(400, 'BAD_REQUEST', 'each audit line needs line and sig');
      let line: unknown;
      try {
        line = JSON.parse(l.line);
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'an audit line is not JSON');
      }
      const problem = auditLineProblem(line, deviceId);
      if (problem) throw new HttpError(400, 'BAD_REQUEST', `audit line: ${problem}`);
      if (canonical(line as Json) !== l.line || !verifyAuditLine({ line: l.line, sig: l.sig }, device.signPublicKey)) throw new HttpError(403, 'FORGED', 'an audit line does not verify with the device key');
      const p = line as { id: string; at: number };
      rows.push({ id: p.id, at: p.at, line: l.line, sig: unb64(l.sig) });
    }
    const r = await opts.store.storeAudit(deviceId, rows, now());
    log(`audit ${deviceId}: stored ${r.stored}, duplicates ${r.duplicates}`);
    send(res, 200, { status: 'stored', stored: r.stored, duplicates: r.duplicates, ids: rows.map((x) => x.id), serverTime: now() });
  }

  async function ack(req: IncomingMessage, res: ServerResponse, path: string, deviceId: string): Promise<void> {
    if (hasBody(req)) throw new HttpError(400, 'BAD_REQUEST', 'an ack query has no body', true);
    const { signed, device } = await authenticate(req, path);
    if (device.deviceId !== deviceId) throw new HttpError(403, 'NOT_YOUR_DEVICE', 'a device may ask only for its own head');
    await opts.store.touch(deviceId, seenOf(signed));
    if (device.revokedAt !== null) throw new HttpError(403, 'DEVICE_REVOKED', 'this device was revoked by the operator');
    send(res, 200, { ackSeq: device.headSeq, ackHash: device.headHash ? b64(device.headHash) : null, serverTime: now() });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only origin-form targets ("/path"): "//host/…" would parse as another authority.
    const raw = req.url ?? '';
    let url: URL | undefined;
    if (/^\/(?!\/)/.test(raw)) {
      try {
        url = new URL(raw, 'http://ingest.invalid');
      } catch {
        url = undefined;
      }
    }
    if (!url) throw new HttpError(400, 'BAD_URL', 'the request URL does not parse', hasBody(req));
    // The path as the client sent it is what it signed (query strings are not part of the protocol).
    const path = url.pathname;
    const m = req.method ?? 'GET';
    if (m === 'POST' && path === '/v1/batches') return batch(req, res, path);
    if (m === 'POST' && path === '/v1/enrol') return enrol(req, res);
    if (m === 'POST' && path === '/v1/audit') return audit(req, res, path);
    const keyPath = /^\/v1\/devices\/([\w-]{1,64})\/key$/.exec(path);
    if (m === 'GET' && keyPath) return deviceKey(req, res, keyPath[1]!);
    const ackPath = /^\/v1\/devices\/([\w-]{1,64})\/ack$/.exec(path);
    if (m === 'GET' && ackPath) return ack(req, res, path, ackPath[1]!);
    if (m === 'GET' && path === '/health') {
      try {
        await opts.store.ping();
        return send(res, 200, { status: 'ok', store: opts.store.kind, serverTime: now() });
      } catch {
        return send(res, 503, { status: 'unavailable', store: opts.store.kind, serverTime: now() });
      }
    }
    if (await operator(req, res, m, path, url)) return;
    throw new HttpError(404, 'NOT_FOUND', `${m} ${path}`, hasBody(req));
  }

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (e instanceof ProtocolError) return reject(req, res, e);
      // A client that went away mid-body needs no answer; anything else is the database.
      if (req.destroyed || req.readableAborted) return;
      log(`error ${(e as Error)?.message}`);
      reject(req, res, new HttpError(503, 'STORE_ERROR', 'the server could not store the batch: retry later', !req.complete));
    });
  });
  server.on('close', () => {
    void pool.close();
    clearInterval(reloadTimer);
    if (purgeTimer) clearInterval(purgeTimer);
  });
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = 300_000;
  server.keepAliveTimeout = 65_000;
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
