// The ingest server on PostgreSQL, for real: the `sync-server --db postgres://…` child,
// two kiosks through a faulty link, a batch delivered five times at once, a restart.
// Needs a running PostgreSQL: Debian's postgresql started by .ci/services.d/postgres.sh.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { type EventBody, chainHash, genesisHash } from '../../offline-cache/events.js';
import { pendingRun, queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { type LocalStore, openLocalStore, setMeta } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { encodeBatch } from '../../offline-cache/sync/protocol.js';
import { PostgresServerStore } from '../../offline-cache/sync/server-store-postgres.js';
import { tempDir } from '../helpers/cards.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openField } from '../../offline-cache/crypto-box.js';
import { loadMasterKey, openKeyring } from '../../offline-cache/sync/server-keys.js';
import { serverKeysCommand } from '../../main/commands/server-keys.js';
import { signedPost } from '../helpers/sync-requests.js';
import { TEST_MASTER_KEY, URL_PG, resetServerTables } from '../helpers/pg.js';
import { FaultProxy } from '../../offline-cache/sync/link-sim.js';
import { type ServerChild, killHard, startServerChild } from '../helpers/sync-server-child.js';
import { prng, syntheticVerification } from '../../main/bench/synthetic.js';

const TOKEN = 'pg-test-token';
const OPERATOR = 'pg-test-operator';
const children: ServerChild[] = [];
const stores: LocalStore[] = [];
const ENV = { IDKIOSK_SERVER_MASTER_KEY: TEST_MASTER_KEY };

beforeAll(async () => {
  // A clean slate in the dedicated test database.
  await resetServerTables();
});

afterAll(async () => {
  for (const c of children) await killHard(c.child);
  for (const s of stores) s.close();
});

describe('ingest server on PostgreSQL', () => {
  it('stores two kiosks exactly once through faults and a restart, and a racing duplicate once', { timeout: 180_000 }, async () => {
    const dataDir = tempDir('idk-pg-srv-');
    const args = ['--db', URL_PG, '--data-dir', dataDir, '--token', TOKEN, '--operator-token', OPERATOR, '--quiet'];
    let server = await startServerChild(args, 0, ENV);
    children.push(server);
    const health = JSON.parse((await httpExchange(`${server.url}/health`, { method: 'GET', timeoutMs: 5000 })).text) as { status: string; store: string };
    expect(health).toMatchObject({ status: 'ok', store: 'postgres' });
    const proxy = await FaultProxy.start(server.port, { bandwidthBps: 1_000_000, latencyMs: 5, lossRate: 0.05, resetRate: 0.1, truncateRate: 0.1 }, { random: prng(7) });

    const N = 1500;
    const kiosks = await Promise.all(
      ['Quầy A', 'Quầy B'].map(async (site) => {
        const s = openLocalStore({ dataDir: tempDir('idk-pg-kiosk-'), diskReserveBytes: 0 });
        stores.push(s);
        await enrolDevice(s, server.url, TOKEN, site);
        for (let i = 1; i <= N; i++) recordVerification(s, syntheticVerification(i, site.length));
        setMeta(s, 'server_url', proxy.url);
        return s;
      }),
    );

    // The same batch delivered five times at once: the row lock and the (device, seq) key store it once.
    const first = kiosks[0]!;
    const run = pendingRun(first, 100);
    const boxKey = Buffer.from(String(first.db.prepare("SELECT value FROM meta WHERE key = 'server_box_key'").pluck().get()), 'base64');
    const wire = (await encodeBatch({ v: 1, device: first.keys.deviceId, from: 1, prev: b64(run.prev), sig: b64(run.events.at(-1)!.sig), events: run.events.map((e) => ({ body: e.body, subject: e.subject })) }, boxKey)).wire;
    const replies = await Promise.all(
      Array.from({ length: 5 }, () =>
        signedPost(server.url, first, wire),
      ),
    );
    const bodies = replies.map((r) => r.json as { status: string; stored: number });
    expect(replies.every((r) => r.status === 200)).toBe(true);
    expect(bodies.reduce((n, b) => n + b.stored, 0)).toBe(100);
    expect(bodies.filter((b) => b.status === 'stored')).toHaveLength(1);

    const clients = kiosks.map((store) => new SyncClient({ store, backoff: { baseMs: 20, capMs: 300 }, targetBatchSeconds: 0.2, initialBatchEvents: 20, maxBatchEvents: 200, minTimeoutMs: 5000 }));
    const drains = clients.map((c) => c.drain({ maxMs: 150_000 }));
    // Restart the server mid-drain.
    await new Promise((r) => setTimeout(r, 400));
    await killHard(server.child);
    server = await startServerChild(args, server.port, ENV);
    children.push(server);
    const results = await Promise.all(drains);
    for (const r of results) expect(r.pending).toBe(0);
    for (const c of clients) await c.stop();
    expect(proxy.stats.resets + proxy.stats.truncations).toBeGreaterThan(0);
    await proxy.close();

    const stats = JSON.parse((await httpExchange(`${server.url}/stats`, { method: 'GET', headers: { authorization: `Bearer ${OPERATOR}` }, timeoutMs: 5000 })).text) as { events: number; devices: { deviceId: string; events: number }[] };
    expect(stats.events).toBe(2 * N);
    const db = await PostgresServerStore.open(URL_PG);
    try {
      for (const s of kiosks) {
        expect(queueCounts(s)).toMatchObject({ acked: N, pending: 0 });
        const rows = await db.events(s.keys.deviceId);
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
        let prev = genesisHash(s.keys.signPublicKey);
        const local = s.db.prepare('SELECT id FROM events ORDER BY seq').pluck().all() as string[];
        rows.forEach((r, i) => {
          prev = chainHash(prev, JSON.parse(r.body) as EventBody);
          expect(b64(prev)).toBe(b64(r.hash));
          expect(r.id).toBe(local[i]);
        });
      }
    } finally {
      await db.close();
    }
  });

  it('two servers on one database share their keys: a device enrolled through one is heard by the other, across a key rotation', { timeout: 120_000 }, async () => {
    await resetServerTables();
    const keyFile = join(tempDir('idk-pg-mk-'), 'master.key');
    writeFileSync(keyFile, TEST_MASTER_KEY + '\n', { mode: 0o600 });
    const nodes = await Promise.all(['a', 'b'].map(() => startServerChild(['--db', URL_PG, '--data-dir', tempDir('idk-pg-node-'), '--token', TOKEN, '--quiet'], 0, ENV)));
    children.push(...nodes);
    const [a, b] = nodes as [ServerChild, ServerChild];
    const s = openLocalStore({ dataDir: tempDir('idk-pg-kiosk2-'), diskReserveBytes: 0 });
    stores.push(s);
    const first = await enrolDevice(s, a.url, TOKEN, 'Bệnh viện Chợ Rẫy - Tiếp đón');
    for (let i = 1; i <= 30; i++) recordVerification(s, syntheticVerification(i, 77));
    const sendVia = async (url: string, until: number): Promise<void> => {
      setMeta(s, 'server_url', url);
      const n = until - queueCounts(s).acked;
      const client = new SyncClient({ store: s, initialBatchEvents: n, maxBatchEvents: n, backoff: { baseMs: 50, capMs: 500 } });
      const r = await client.drain({ until, maxMs: 30_000 });
      await client.stop();
      expect(queueCounts(s).acked, r.lastError).toBe(until);
    };
    await sendVia(b.url, 10); // enrolled through A, heard by B
    await sendVia(a.url, 20);

    // Rotation from the command line, while both run.
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((t: string) => (out.push(String(t)), true)) as typeof process.stdout.write;
    try {
      expect(await serverKeysCommand.run(['rotate', '--db', URL_PG, '--master-key-file', keyFile, '--json'], { lang: 'en' })).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const listed = JSON.parse(out.join('')) as { keyId: string; current: boolean }[];
    expect(listed).toHaveLength(2);
    const [oldKey, newKey] = listed.map((k) => k.keyId) as [string, string];
    expect(first.keyId).toBe(oldKey);

    await sendVia(b.url, 25); // still sealed to the old key: heard
    const again = await enrolDevice(s, b.url, TOKEN, 'Bệnh viện Chợ Rẫy - Tiếp đón'); // re-enrolling moves it to the new key
    expect(again).toMatchObject({ status: 'already-enrolled', keyId: newKey });
    expect(again.serverBoxKey).not.toBe(first.serverBoxKey);
    await sendVia(a.url, 30); // A learns the new key set from the database when the batch does not open

    const db = await PostgresServerStore.open(URL_PG);
    try {
      const rows = await db.events(s.keys.deviceId);
      expect(rows.map((r) => r.keyId)).toEqual([...Array<string>(25).fill(oldKey), ...Array<string>(5).fill(newKey)]);
      // Every record opens with the keys in the database and the master key, whichever node sealed it.
      const ring = await openKeyring(db, loadMasterKey({ env: {}, file: keyFile }));
      const local = pendingRunAll(s);
      rows.forEach((r, i) => {
        const subject = JSON.parse(new TextDecoder().decode(ring.openSubject(r.keyId!, s.keys.deviceId, r.seq, r.subject!))) as { fullName: string };
        expect(subject.fullName).toBe(local[i]);
      });
      expect((await db.auditLog(10)).map((e) => e.action)).toContain('keys.rotate');
      // Nothing secret in the key table without the master key: the box secret is not there in clear.
      const raw = await db.pool.query<{ sealed: Buffer }>('SELECT sealed FROM idk_server_keys');
      for (const k of ring.all) for (const row of raw.rows) expect(row.sealed.includes(Buffer.from(k.boxSecretKey))).toBe(false);
    } finally {
      await db.close();
    }
  });
});

/** The full names of every local event, oldest first (subjects decrypted with the device key). */
function pendingRunAll(s: LocalStore): string[] {
  return s.db
    .prepare('SELECT subject FROM events ORDER BY seq')
    .pluck()
    .all()
    .map((b) => (JSON.parse(new TextDecoder().decode(openField(s.keys.dataKey, b as Uint8Array))) as { fullName: string }).fullName);
}
