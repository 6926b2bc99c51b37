// 10,000 events from one kiosk through a link that loses segments, resets connections,
// cuts responses short and refuses connections, while the ingest server is killed -9 and
// restarted mid-batch: the server must end with exactly 10,000 events, none twice, and
// the device's chain intact and signed.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { type EventBody, chainHash, genesisHash, verifyHashSignature } from '../../offline-cache/events.js';
import { queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { openLocalStore, setMeta } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { tempDir } from '../helpers/cards.js';
import { FaultProxy } from '../../offline-cache/sync/link-sim.js';
import { type ServerChild, killHard, startServerChild } from '../helpers/sync-server-child.js';
import { prng, syntheticVerification } from '../../main/bench/synthetic.js';

const TOTAL = 10_000;
const TOKEN = 'fault-test-token';
const OPERATOR = 'fault-test-operator';
const children: ServerChild[] = [];
afterAll(async () => {
  for (const c of children) await killHard(c.child);
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('sync through a faulty link', () => {
  it(`delivers ${TOTAL} events exactly once across drops, resets, truncations and server restarts`, { timeout: 240_000 }, async () => {
    const serverDir = tempDir('idk-faults-srv-');
    const args = ['--data-dir', serverDir, '--token', TOKEN, '--operator-token', OPERATOR, '--quiet'];
    let server = await startServerChild(args);
    children.push(server);
    const proxy = await FaultProxy.start(server.port, {
      bandwidthBps: 2_000_000,
      latencyMs: 5,
      lossRate: 0.05,
      resetRate: 0.06,
      truncateRate: 0.06,
      refuseRate: 0.15,
    }, { random: prng(4242) });

    const store = openLocalStore({ dataDir: tempDir('idk-faults-kiosk-'), diskReserveBytes: 0 });
    await enrolDevice(store, server.url, TOKEN, 'Cửa khẩu Mộc Bài');
    setMeta(store, 'server_url', proxy.url);
    const client = new SyncClient({ store, backoff: { baseMs: 20, capMs: 400 }, targetBatchSeconds: 0.3, initialBatchEvents: 20, maxBatchEvents: 600, minTimeoutMs: 5000 });
    client.start(20);

    // Kill -9 the server three times while a batch is on the wire, restarting it on the same port.
    let restarts = 0;
    const giveUp = Date.now() + 150_000;
    const restarter = (async () => {
      while (restarts < 3 && Date.now() < giveUp) {
        await sleep(500);
        const before = proxy.stats.upBytes;
        await sleep(5);
        if (proxy.stats.upBytes === before || queueCounts(store).pending === 0) continue;
        await killHard(server.child);
        restarts++;
        await sleep(150);
        server = await startServerChild(args, server.port);
        children.push(server);
      }
    })();

    // The clerk's side: verifications keep being recorded while the link misbehaves, spread
    // over ~10 s so the restarts find batches on the wire (recording itself takes ~0.3 ms),
    // and slower still while the restarts lag behind (a loaded machine starts a server slowly).
    for (let i = 1; i <= TOTAL; i++) {
      recordVerification(store, syntheticVerification(i, 11));
      if (i % 10 === 0) {
        // Give the event loop to the sync client now and then, as a counter's pace would.
        client.notify();
        await sleep(i % 100 === 0 ? 100 : restarts < Math.floor(i / 3000) ? 50 : 0);
      }
    }
    client.notify();
    const deadline = Date.now() + 180_000;
    while (queueCounts(store).acked < TOTAL && Date.now() < deadline) await sleep(100);
    await restarter;
    // A last restart cannot have been missed: the drain must finish after it.
    while (queueCounts(store).acked < TOTAL && Date.now() < deadline) await sleep(100);
    await client.stop();
    expect(queueCounts(store)).toMatchObject({ head: TOTAL, acked: TOTAL, pending: 0 });

    // Every fault actually happened.
    expect(restarts).toBe(3);
    expect(proxy.stats.lostSegments).toBeGreaterThan(0);
    expect(proxy.stats.resets).toBeGreaterThan(0);
    expect(proxy.stats.truncations).toBeGreaterThan(0);
    expect(proxy.stats.refusals).toBeGreaterThan(0);

    const stats = (await (await fetch(`${server.url}/stats`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as { events: number; devices: { deviceId: string; events: number; ackSeq: number }[] };
    expect(stats.events).toBe(TOTAL);
    expect(stats.devices).toEqual([expect.objectContaining({ deviceId: store.keys.deviceId, events: TOTAL, ackSeq: TOTAL })]);
    await killHard(server.child);
    await proxy.close();

    // The server's own database: exactly the kiosk's events, in order, once each, chain intact.
    const db = new Database(join(serverDir, 'ingest.sqlite'), { readonly: true });
    const rows = db.prepare('SELECT seq, id, body, hash, sig FROM events WHERE device_id = ? ORDER BY seq').all(store.keys.deviceId) as {
      seq: number;
      id: string;
      body: string;
      hash: Uint8Array;
      sig: Uint8Array | null;
    }[];
    db.close();
    expect(rows.length).toBe(TOTAL);
    expect(new Set(rows.map((r) => r.id)).size).toBe(TOTAL);
    const local = store.db.prepare('SELECT seq, id, hash FROM events ORDER BY seq').all() as { seq: number; id: string; hash: Uint8Array }[];
    let prev = genesisHash(store.keys.signPublicKey);
    let signed = 0;
    rows.forEach((r, i) => {
      expect(r.seq).toBe(i + 1);
      expect(r.id).toBe(local[i]!.id);
      const h = chainHash(prev, JSON.parse(r.body) as EventBody);
      expect(b64(h)).toBe(b64(r.hash));
      expect(b64(h)).toBe(b64(local[i]!.hash));
      if (r.sig) {
        expect(verifyHashSignature(h, r.sig, store.keys.signPublicKey)).toBe(true);
        signed++;
      }
      prev = h;
    });
    expect(rows[TOTAL - 1]!.sig).not.toBeNull();
    expect(signed).toBeGreaterThan(1);
    store.close();
  });
});
