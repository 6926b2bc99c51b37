// `npm run bench sync`: how fast the kiosk records durable, signed, encrypted events, and
// how well a 10,000-event backlog drains over a weak link (64 kbit/s each way, 300 ms
// round trip, 5% segment loss) through the fault proxy of the tests.
import { join } from 'node:path';
import { recordVerification } from '../../offline-cache/outbox.js';
import { openDatabase, openLocalStore, setMeta } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { loadMasterKey, openKeyring } from '../../offline-cache/sync/server-keys.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { FaultProxy } from '../../offline-cache/sync/link-sim.js';
import { syntheticVerification } from './synthetic.js';
import type { Figure } from './figure.js';
import { serverFigures } from './sync-server.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const LINK_BPS = 64_000 / 8;
const RTT_MS = 300;
const LOSS = 0.05;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'idk-bench-sync-'));
}

/**
 * Recording one verification (build, hash, sign with node:crypto Ed25519, seal, insert,
 * fsynced commit: the default store, synchronous=FULL) against the floor for anything
 * durable: one bare fsynced single-row commit in a database with the same settings. The two
 * run in alternating rounds in the same process, so load from elsewhere on the machine falls
 * on both alike; each side's figure is its median round.
 */
function recordFigure(): Figure {
  const ROUNDS = 21;
  const PER = 50;
  const dir = tmp();
  const bare = openDatabase(join(dir, 'bare.sqlite'), 'FULL');
  bare.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)');
  const ins = bare.prepare('INSERT INTO t(v) VALUES (?)');
  const blob = Buffer.alloc(400, 7);
  const s = openLocalStore({ dataDir: join(dir, 'kiosk') });
  // The inputs are made before the clock starts: making up a person is not part of recording one.
  const inputs = Array.from({ length: (ROUNDS + 1) * PER }, (_, i) => syntheticVerification(i));
  for (let i = 0; i < PER; i++) {
    ins.run(blob);
    recordVerification(s, inputs[i]!);
  }
  const bareUs: number[] = [];
  const recordUs: number[] = [];
  for (let r = 1; r <= ROUNDS; r++) {
    let t = performance.now();
    for (let i = 0; i < PER; i++) ins.run(blob);
    bareUs.push(((performance.now() - t) * 1000) / PER);
    t = performance.now();
    for (let i = r * PER; i < (r + 1) * PER; i++) recordVerification(s, inputs[i]!);
    recordUs.push(((performance.now() - t) * 1000) / PER);
  }
  s.close();
  bare.close();
  rmSync(dir, { recursive: true, force: true });
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const value = median(recordUs);
  return {
    name: 'record signed+encrypted event',
    value,
    limit: median(bareUs),
    unit: 'us',
    target: 2,
    note: `${(1e6 / value).toFixed(0)} events/s, one fsynced commit each (synchronous=FULL); limit: one bare fsynced commit; medians of ${ROUNDS} alternating rounds of ${PER}`,
  };
}

export async function benchSync(): Promise<Figure[]> {
  const out: Figure[] = [recordFigure()];

  // The drain: a backlog recorded offline, then the link comes back.
  const total = Number(process.env.IDKIOSK_BENCH_SYNC_EVENTS ?? 10_000);
  const srvDir = tmp();
  const db = new SqliteServerStore(join(srvDir, 'ingest.sqlite'));
  const server = createSyncServer({ store: db, keys: await openKeyring(db, loadMasterKey({ env: {}, createIn: srvDir })), enrolToken: 'bench', operatorToken: 'bench-operator' });
  const url = await listen(server);
  // The backlog itself is not what is measured here: NORMAL makes it quicker to build.
  const kDir = tmp();
  const k = openLocalStore({ dataDir: kDir, diskReserveBytes: 0, synchronous: 'NORMAL' });
  await enrolDevice(k, url, 'bench', 'bench');
  k.db.transaction(() => {
    for (let i = 1; i <= total; i++) recordVerification(k, syntheticVerification(i, 2));
  })();
  const proxy = await FaultProxy.start(Number(new URL(url).port), { bandwidthBps: LINK_BPS, latencyMs: RTT_MS / 2, lossRate: LOSS });
  setMeta(k, 'server_url', proxy.url);
  let payload = 0;
  let batches = 0;
  const client = new SyncClient({ store: k, onBatch: (b) => ((payload += b.compressedBytes), batches++) });
  const t = performance.now();
  const r = await client.drain({ maxMs: 30 * 60_000 });
  const elapsedS = (performance.now() - t) / 1000;
  await client.stop();
  if (r.pending !== 0) throw new Error(`bench sync: ${r.pending} events not drained (${r.lastError ?? ''})`);
  const ideal = payload / LINK_BPS;
  out.push({
    name: `drain ${total} events @64kbit/s`,
    value: elapsedS,
    limit: ideal,
    unit: 's',
    target: 1.25,
    note: `goodput ${((100 * ideal) / elapsedS).toFixed(1)}% of the link (target >= 80%); ${batches} batches, ${proxy.stats.lostSegments} segments lost`,
  });
  const wire = proxy.stats.wireUp + proxy.stats.wireDown;
  out.push({ name: 'wire bytes per event', value: wire / total, limit: payload / total, unit: 'B', target: 1.3, note: 'limit: compressed payload bytes per event' });
  await proxy.close();
  server.closeAllConnections();
  await new Promise((res) => server.close(res));
  await db.close();
  k.close();
  rmSync(kDir, { recursive: true, force: true });
  rmSync(srvDir, { recursive: true, force: true });
  // The central side: forged batches, /health under attack, ingest rate, several processes.
  out.push(...(await serverFigures()));
  return out;
}
