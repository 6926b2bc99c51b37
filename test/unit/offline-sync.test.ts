// The sync protocol end to end over real sockets on localhost (no faults here: those are
// in test/integration/sync-*.test.ts): enrolment, batches, dedup, every rejection status.
import type { Server } from 'node:http';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { pendingRun, queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { getMeta, openLocalStore, type LocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { encodeBatch } from '../../offline-cache/sync/protocol.js';
import { keyringIn } from '../helpers/ingest.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { tempDir } from '../helpers/cards.js';
import { signedPost } from '../helpers/sync-requests.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const TOKEN = 'enrol-token-123';
const OPERATOR = 'operator-token-456';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function serverUp(opts: { now?: () => number } = {}): Promise<{ url: string; db: SqliteServerStore; server: Server }> {
  const dir = tempDir('idk-srv-');
  const db = new SqliteServerStore(join(dir, 'ingest.sqlite'));
  const server = createSyncServer({ store: db, keys: await keyringIn(db, dir), enrolToken: TOKEN, operatorToken: OPERATOR, now: opts.now });
  const url = await listen(server);
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await db.close();
  });
  return { url, db, server };
}

function kiosk(): LocalStore {
  const s = openLocalStore({ dataDir: tempDir('idk-kiosk-'), diskReserveBytes: 0 });
  cleanup.push(() => s.close());
  return s;
}


describe('sync protocol', () => {
  it('enrols with the operator token only, then delivers every event exactly once', async () => {
    const { url, db } = await serverUp();
    const s = kiosk();
    await expect(enrolDevice(s, url, 'wrong', 'Quầy 1')).rejects.toMatchObject({ code: 'ENROL_BAD_TOKEN' });
    expect((await enrolDevice(s, url, TOKEN, 'Quầy 1')).status).toBe('enrolled');
    expect((await enrolDevice(s, url, TOKEN, 'Quầy 1')).status).toBe('already-enrolled');
    for (let i = 0; i < 250; i++) recordVerification(s, syntheticVerification(i));
    const c = new SyncClient({ store: s, initialBatchEvents: 40 });
    cleanup.push(() => c.stop());
    const res = await c.drain();
    expect(res).toMatchObject({ acked: 250, pending: 0, failures: 0 });
    expect(res.batches).toBeGreaterThan(1);
    const st = await db.stats();
    expect(st.devices).toEqual([{ deviceId: s.keys.deviceId, site: 'Quầy 1', events: 250, ackSeq: 250, flagged: 0 }]);
    const rows = await db.events(s.keys.deviceId);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    // The server stores personal data encrypted too.
    expect(JSON.stringify(rows.map((r) => r.body))).not.toContain(syntheticVerification(0).holder.fullName!);
    expect(queueCounts(s)).toMatchObject({ pending: 0, acked: 250 });
    const health = JSON.parse((await httpExchange(`${url}/health`, { method: 'GET', timeoutMs: 5000 })).text) as { status: string };
    expect(health.status).toBe('ok');
    // /stats needs the operator token: without it, 401 and not a device id in the answer.
    const bare = await httpExchange(`${url}/stats`, { method: 'GET', timeoutMs: 5000 });
    expect(bare.status).toBe(401);
    expect(bare.text).not.toContain(s.keys.deviceId);
    const withEnrolToken = await httpExchange(`${url}/stats`, { method: 'GET', headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 5000 });
    expect(withEnrolToken.status).toBe(401);
    const stats = JSON.parse((await httpExchange(`${url}/stats`, { method: 'GET', headers: { authorization: `Bearer ${OPERATOR}` }, timeoutMs: 5000 })).text) as { events: number };
    expect(stats.events).toBe(250);
  });

  it('answers a repeated batch as a duplicate, stores nothing twice, and rejects unknown, forged and gapped batches', async () => {
    const { url, db } = await serverUp();
    const s = kiosk();
    const reply = await enrolDevice(s, url, TOKEN, 'Quầy 2');
    for (let i = 0; i < 10; i++) recordVerification(s, syntheticVerification(i));
    const run = pendingRun(s, 10);
    const boxKey = Buffer.from(reply.serverBoxKey, 'base64');
    const payload = (events = run.events, from = run.from, prev = run.prev, sig = run.events[run.events.length - 1]!.sig) => ({
      v: 1 as const,
      device: s.keys.deviceId,
      from,
      prev: b64(prev),
      sig: b64(sig),
      events: events.map((e) => ({ body: e.body, subject: e.subject })),
    });
    const post = async (wire: Uint8Array) => signedPost(url, s, wire);
    const first = await post((await encodeBatch(payload(), boxKey)).wire);
    expect(first).toMatchObject({ status: 200, json: { status: 'stored', stored: 10, duplicates: 0, ackSeq: 10 } });
    const again = await post((await encodeBatch(payload(), boxKey)).wire);
    expect(again).toMatchObject({ status: 200, json: { status: 'duplicate', stored: 0, duplicates: 10, ackSeq: 10 } });
    const stranger = kiosk(); // signs correctly, but was never enrolled
    expect(await signedPost(url, stranger, (await encodeBatch(payload(), boxKey)).wire)).toMatchObject({ status: 401, json: { code: 'UNKNOWN_DEVICE' } });

    // Forged: a result changed after signing; a subject swapped; signed by another key.
    const edited = run.events.map((e, i) => (i === 4 ? { ...e, body: { ...e.body, result: e.body.result === 'accepted' ? ('rejected' as const) : ('accepted' as const) } } : e));
    expect(await post((await encodeBatch(payload(edited), boxKey)).wire)).toMatchObject({ status: 403, json: { code: 'FORGED' } });
    const swapped = run.events.map((e, i) => (i === 2 ? { ...e, subject: { ...e.subject, fullName: 'Trần Thị Giả' } } : e));
    expect(await post((await encodeBatch(payload(swapped), boxKey)).wire)).toMatchObject({ status: 403, json: { code: 'FORGED' } });
    const otherKey = nacl.sign.keyPair();
    expect(await post((await encodeBatch(payload(run.events, 1, run.prev, nacl.sign.detached(new Uint8Array(32), otherKey.secretKey)), boxKey)).wire)).toMatchObject({
      status: 403,
      json: { code: 'FORGED' },
    });
    // Not sealed to this server.
    expect(await post((await encodeBatch(payload(), nacl.box.keyPair().publicKey)).wire)).toMatchObject({ status: 400, json: { code: 'BAD_ENVELOPE' } });

    // A gap: events 13.. sent before 11-12.
    for (let i = 10; i < 15; i++) recordVerification(s, syntheticVerification(i));
    const all = pendingRun(s, 100); // still from 1: nothing acknowledged locally in this test
    const tail = all.events.slice(12);
    const gap = await post((await encodeBatch(payload(tail, 13, all.events[11]!.hash, tail[tail.length - 1]!.sig), boxKey)).wire);
    expect(gap).toMatchObject({ status: 409, json: { code: 'GAP', ackSeq: 10 } });
    expect((await db.stats()).events).toBe(10);
  });

  it('tells the client its clock and flags events stamped far off, storing them all', async () => {
    const skew = 3 * 3600_000; // the server is 3 hours ahead of this kiosk's clock
    const { url, db } = await serverUp({ now: () => Date.now() + skew });
    const s = kiosk();
    await enrolDevice(s, url, TOKEN, 'Quầy 3');
    recordVerification(s, syntheticVerification(1)); // clock never measured: stamped in the past, not flagged
    recordVerification(s, { ...syntheticVerification(2), at: Date.now() + skew + 24 * 3600_000 }); // a day in the server's future
    const c = new SyncClient({ store: s });
    cleanup.push(() => c.stop());
    await c.drain();
    expect(Math.abs(Number(getMeta(s, 'clock_offset')) - skew)).toBeLessThan(5000);
    recordVerification(s, syntheticVerification(3)); // now carries the measured offset
    await c.drain();
    const rows = await db.events(s.keys.deviceId);
    expect(rows.map((r) => r.clockFlag)).toEqual([null, 'future', 'device-clock-off']);
    expect((await db.stats()).devices[0]!.flagged).toBe(2);
  });

  it('backs off with full jitter under a cap', () => {
    const s = kiosk();
    let r = 0.999;
    const c = new SyncClient({ store: s, backoff: { baseMs: 100, capMs: 1000 }, random: () => r });
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      seen.push(c.backoffMs());
      (c as unknown as { attempt: number }).attempt++;
    }
    expect(seen).toEqual([100, 200, 400, 799, 999, 999, 999, 999]);
    r = 0;
    expect(c.backoffMs()).toBe(0);
  });

  it('never blocks recording while the server is unreachable', async () => {
    const s = kiosk();
    const { url } = await serverUp();
    await enrolDevice(s, url, TOKEN, 'Quầy 4');
    // Point the client at a port nobody listens on.
    s.db.prepare("UPDATE meta SET value = 'http://127.0.0.1:9' WHERE key = 'server_url'").run();
    const c = new SyncClient({ store: s, backoff: { baseMs: 5, capMs: 20 } });
    c.start(10);
    cleanup.push(() => c.stop());
    for (let i = 0; i < 50; i++) {
      recordVerification(s, syntheticVerification(i));
      c.notify();
      await new Promise((res) => setImmediate(res));
    }
    expect(queueCounts(s)).toMatchObject({ head: 50, pending: 50 });
    expect(c.lastError).toBeDefined();
  });
});
