// The ingest server against requests no kiosk sends: unparsable URLs, wrong media types,
// oversized bodies (declared, chunked, decompressed), unsigned and forged device requests,
// stale clocks, slow bodies, too many uploads at once. Each gets its status and code, no
// stack trace, and nothing without the device key gets the server to read a body.
import type { Server } from 'node:http';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { getMeta, openLocalStore, setMeta, type LocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { sealTo } from '../../offline-cache/crypto-box.js';
import { BATCH_CONTENT_TYPE } from '../../offline-cache/sync/protocol.js';
import { keyringIn } from '../helpers/ingest.js';
import type { ServerLimits } from '../../offline-cache/sync/server-limits.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { tempDir } from '../helpers/cards.js';
import { batchOf, deviceHeaders, rawRequest, signedPost } from '../helpers/sync-requests.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const TOKEN = 'enrol-token-guard';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function serverUp(limits: Partial<ServerLimits> = {}, now?: () => number): Promise<{ url: string; port: number; db: SqliteServerStore; server: Server }> {
  const dir = tempDir('idk-guard-');
  const db = new SqliteServerStore(join(dir, 'ingest.sqlite'));
  const server = createSyncServer({ store: db, keys: await keyringIn(db, dir), enrolToken: TOKEN, operatorToken: 'operator-guard', limits, now });
  const url = await listen(server);
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await db.close();
  });
  return { url, port: Number(new URL(url).port), db, server };
}

async function enrolledKiosk(url: string, events = 10): Promise<{ s: LocalStore; boxKey: Uint8Array }> {
  const s = openLocalStore({ dataDir: tempDir('idk-guard-kiosk-'), diskReserveBytes: 0 });
  cleanup.push(() => s.close());
  const r = await enrolDevice(s, url, TOKEN, 'Quầy kiểm thử');
  for (let i = 0; i < events; i++) recordVerification(s, syntheticVerification(i));
  return { s, boxKey: Buffer.from(r.serverBoxKey, 'base64') };
}

function headerLines(h: Record<string, string>): string {
  return Object.entries(h)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
}

const noStack = (text: string): void => expect(text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/);

describe('ingest server guards', () => {
  it('answers 400 to unparsable URLs and 404 to unknown paths, with a code and no stack trace', async () => {
    const { port } = await serverUp();
    for (const target of ['//', '//evil.example/v1/batches', '*']) {
      const r = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: x\r\n\r\n`, [], 0, 50);
      expect(r.status, target).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'BAD_URL' });
      noStack(r.body);
    }
    const r = await rawRequest(port, 'GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n', [], 0, 50);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers 413 to every oversized body, declared or chunked, and the client reads the answer', async () => {
    const { port } = await serverUp();
    // 50 MB announced to /v1/enrol: refused from the headers, nothing read.
    const big = await rawRequest(port, `POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`, [Buffer.alloc(65536, 0x20)]);
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toMatchObject({ code: 'TOO_LARGE' });
    expect(big.closed).toBe(true);
    // A chunked enrolment that grows past the small-body limit: 413, then a clean close, not a bare reset.
    const chunk = (n: number): string => `${n.toString(16)}\r\n${' '.repeat(n)}\r\n`;
    const chunked = await rawRequest(
      port,
      `POST /v1/enrol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`,
      Array.from({ length: 40 }, () => chunk(4096)),
      5,
    );
    expect(chunked.status).toBe(413);
    expect(JSON.parse(chunked.body)).toMatchObject({ code: 'TOO_LARGE' });
    noStack(chunked.body);
  });

  it('answers 415 to a wrong content type', async () => {
    const { url } = await serverUp();
    const e = await httpExchange(`${url}/v1/enrol`, { method: 'POST', headers: { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` }, body: Buffer.from('{}'), timeoutMs: 5000 });
    expect(e.status).toBe(415);
    expect(JSON.parse(e.text)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    const b = await httpExchange(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from('{}'), timeoutMs: 5000 });
    expect(b.status).toBe(415);
  });

  it('refuses unsigned, forged and stale device requests from the headers, before the body, and closes the connection', async () => {
    const { url, port } = await serverUp();
    const { s, boxKey } = await enrolledKiosk(url);
    const wire = await batchOf(s, boxKey);
    // No signature: 401 before a byte of the announced 1 MB body is sent.
    const head = (h: Record<string, string>): string => `POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: ${BATCH_CONTENT_TYPE}\r\nContent-Length: 1000000\r\n${headerLines(h)}\r\n`;
    const unsigned = await rawRequest(port, head({ 'x-idk-device': s.keys.deviceId }));
    expect(unsigned).toMatchObject({ status: 401, closed: true });
    expect(JSON.parse(unsigned.body)).toMatchObject({ code: 'AUTH_REQUIRED' });
    // A random signature with every header right: 401 BAD_SIGNATURE, connection closed.
    const h = deviceHeaders(s, 'POST', '/v1/batches', wire);
    const forged = await rawRequest(port, head({ ...h, 'x-idk-signature': b64(nacl.randomBytes(64)) }));
    expect(forged).toMatchObject({ status: 401, closed: true });
    expect(JSON.parse(forged.body)).toMatchObject({ code: 'BAD_SIGNATURE' });
    // A valid signature for another path does not open this one.
    const other = await rawRequest(port, head(deviceHeaders(s, 'POST', '/v1/enrol', wire)));
    expect(JSON.parse(other.body)).toMatchObject({ code: 'BAD_SIGNATURE' });
    // Signed an hour ago (no offset known): stale.
    const stale = await rawRequest(port, head(deviceHeaders(s, 'POST', '/v1/batches', wire, { time: Date.now() - 3600_000 })));
    expect(stale).toMatchObject({ status: 401, closed: true });
    expect(JSON.parse(stale.body)).toMatchObject({ code: 'REQUEST_EXPIRED' });
    // Unknown device.
    const unknown = await rawRequest(port, head({ ...h, 'x-idk-device': 'no-such-device' }));
    expect(JSON.parse(unknown.body)).toMatchObject({ code: 'UNKNOWN_DEVICE' });
    // The signed body hash must match the body: another batch under the same headers is refused before it is opened.
    const wire2 = await batchOf(s, boxKey, 5);
    const swapped = await httpExchange(`${url}/v1/batches`, { method: 'POST', headers: { 'content-type': BATCH_CONTENT_TYPE, ...h }, body: wire2, timeoutMs: 5000 });
    expect(swapped.status).toBe(400);
    expect(JSON.parse(swapped.text)).toMatchObject({ code: 'BODY_MISMATCH' });
    // And the real thing goes through.
    expect(await signedPost(url, s, wire)).toMatchObject({ status: 200, json: { stored: 10 } });
  });

  it('asks for a signature on the ack query too, and gives a device only its own head', async () => {
    const { url } = await serverUp();
    const { s } = await enrolledKiosk(url, 0);
    const { s: other } = await enrolledKiosk(url, 0);
    const path = `/v1/devices/${s.keys.deviceId}/ack`;
    const bare = await httpExchange(url + path, { method: 'GET', timeoutMs: 5000 });
    expect(bare.status).toBe(401);
    const mine = await httpExchange(url + path, { method: 'GET', headers: deviceHeaders(s, 'GET', path), timeoutMs: 5000 });
    expect(mine.status).toBe(200);
    expect(JSON.parse(mine.text)).toMatchObject({ ackSeq: 0, ackHash: null });
    const theirs = await httpExchange(url + path, { method: 'GET', headers: deviceHeaders(other, 'GET', path), timeoutMs: 5000 });
    expect(theirs.status).toBe(403);
  });

  it('lets a kiosk whose clock is hours off through once it has learnt the offset', async () => {
    const skew = 5 * 3600_000; // the server's clock is five hours ahead
    const { url } = await serverUp({}, () => Date.now() + skew);
    const { s } = await enrolledKiosk(url, 20);
    setMeta(s, 'clock_offset', 0); // a stale offset: the first request is out of the window
    const c = new SyncClient({ store: s, backoff: { baseMs: 1, capMs: 5 } });
    cleanup.push(() => c.stop());
    const r = await c.drain({ maxMs: 20_000 });
    expect(r).toMatchObject({ pending: 0, acked: 20 });
    expect(r.failures).toBeGreaterThanOrEqual(1); // the REQUEST_EXPIRED that taught it the offset
    expect(Math.abs(Number(getMeta(s, 'clock_offset')) - skew)).toBeLessThan(5000);
  });

  it('drops a body slower than the pace rule and a second upload past the per-device limit', async () => {
    const { url, port } = await serverUp({ bodyGraceMs: 300, minBodyBytesPerSec: 2000, maxUploadsPerDevice: 1 });
    const { s, boxKey } = await enrolledKiosk(url);
    const wire = Buffer.from(await batchOf(s, boxKey));
    const head = `POST /v1/batches HTTP/1.1\r\nHost: x\r\nContent-Type: ${BATCH_CONTENT_TYPE}\r\nContent-Length: ${wire.length}\r\n${headerLines(deviceHeaders(s, 'POST', '/v1/batches', wire))}\r\n`;
    // One byte every 50 ms (20 B/s): dropped with 408 once the grace period is over.
    const trickle = rawRequest(port, head, Array.from(wire.subarray(0, 200), (b) => Buffer.from([b])), 50);
    await new Promise((r) => setTimeout(r, 100));
    // Meanwhile a second upload by the same device: over its limit of one.
    const second = await rawRequest(port, head, [wire]);
    expect(second.status).toBe(429);
    expect(JSON.parse(second.body)).toMatchObject({ code: 'TOO_MANY_UPLOADS' });
    const slow = await trickle;
    expect(slow).toMatchObject({ status: 408, closed: true });
    expect(JSON.parse(slow.body)).toMatchObject({ code: 'BODY_TOO_SLOW' });
    // With the slot free again, the same batch at full speed is stored.
    expect(await signedPost(url, s, wire)).toMatchObject({ status: 200, json: { stored: 10 } });
  });

  it('bounds the events per batch and the decompressed size', async () => {
    const { url } = await serverUp({ maxBatchEvents: 5, maxPlainBytes: 64 * 1024 });
    const { s, boxKey } = await enrolledKiosk(url);
    const many = await signedPost(url, s, await batchOf(s, boxKey, 10));
    expect(many).toMatchObject({ status: 413, json: { code: 'TOO_MANY_EVENTS' } });
    // A zip bomb: 10 MB of zeros compress to a few hundred bytes.
    const bomb = sealTo(boxKey, new Uint8Array(brotliCompressSync(Buffer.alloc(10 * 1024 * 1024))));
    const r = await signedPost(url, s, bomb);
    expect(r).toMatchObject({ status: 413, json: { code: 'TOO_LARGE' } });
    expect(queueCounts(s).acked).toBe(0);
    expect(await signedPost(url, s, await batchOf(s, boxKey, 5))).toMatchObject({ status: 200, json: { stored: 5 } });
  });
});
