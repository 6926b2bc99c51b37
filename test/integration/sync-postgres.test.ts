// The ingest server on PostgreSQL, for real: the `sync-server --db postgres://…` child,
// two kiosks through a faulty link, a batch delivered five times at once, a restart.
// Needs a running PostgreSQL: Debian's postgresql started by .ci/services.d/postgres.sh.
import pg from 'pg';
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
import { signedPost } from '../helpers/sync-requests.js';
import { FaultProxy } from '../../offline-cache/sync/link-sim.js';
import { type ServerChild, killHard, startServerChild } from '../helpers/sync-server-child.js';
import { prng, syntheticVerification } from '../helpers/verifications.js';

const URL_PG = process.env.IDKIOSK_TEST_PG_URL ?? 'postgres://idkiosk:idkiosk@127.0.0.1:54329/idkiosk_test';
const TOKEN = 'pg-test-token';
const children: ServerChild[] = [];
const stores: LocalStore[] = [];

beforeAll(async () => {
  const c = new pg.Client({ connectionString: URL_PG, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${URL_PG} (${(e as Error).message}): install Debian's "postgresql" package and run "source .ci/services.d/postgres.sh" (it starts a cluster and exports IDKIOSK_TEST_PG_URL)`,
      { cause: e },
    );
  }
  // A clean slate in the dedicated test database.
  await c.query('DROP TABLE IF EXISTS idk_events; DROP TABLE IF EXISTS idk_devices;');
  await c.end();
});

afterAll(async () => {
  for (const c of children) await killHard(c.child);
  for (const s of stores) s.close();
});

describe('ingest server on PostgreSQL', () => {
  it('stores two kiosks exactly once through faults and a restart, and a racing duplicate once', { timeout: 180_000 }, async () => {
    const dataDir = tempDir('idk-pg-srv-');
    const args = ['--db', URL_PG, '--data-dir', dataDir, '--token', TOKEN, '--quiet'];
    let server = await startServerChild(args);
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
    server = await startServerChild(args, server.port);
    children.push(server);
    const results = await Promise.all(drains);
    for (const r of results) expect(r.pending).toBe(0);
    for (const c of clients) await c.stop();
    expect(proxy.stats.resets + proxy.stats.truncations).toBeGreaterThan(0);
    await proxy.close();

    const stats = JSON.parse((await httpExchange(`${server.url}/stats`, { method: 'GET', timeoutMs: 5000 })).text) as { events: number; devices: { deviceId: string; events: number }[] };
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
});
