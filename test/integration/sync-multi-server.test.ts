// Issue 16's proof that several `sync-server --db postgres://…` processes behave as one:
// three server processes on one PostgreSQL, 200 simulated kiosks of 500 events each, every
// request through a fault proxy (segment loss, resets, cut answers, refused connections,
// throttled bandwidth), each device's batches spread over the three servers with the same
// batch sometimes sent to two at once, and the servers killed with SIGKILL and restarted
// throughout. At the end PostgreSQL holds exactly 100,000 events, every chain verifies
// from genesis with no gap, and every device's acknowledged head is its last event.
import { afterAll, describe, expect, it } from 'vitest';
import { checkStoredChain } from '../../offline-cache/sync/chain-check.js';
import { SimDevice } from '../../offline-cache/sync/device-sim.js';
import { FaultProxy } from '../../offline-cache/sync/link-sim.js';
import { PostgresServerStore } from '../../offline-cache/sync/server-store-postgres.js';
import { tempDir } from '../helpers/cards.js';
import { TEST_MASTER_KEY, URL_PG, pgClient, resetServerTables } from '../helpers/pg.js';
import { type ServerChild, killHard, startServerChild } from '../helpers/sync-server-child.js';
import { prng, syntheticVerification } from '../../main/bench/synthetic.js';

const DEVICES = Number(process.env.IDKIOSK_FLEET_DEVICES ?? 200);
const EVENTS = Number(process.env.IDKIOSK_FLEET_EVENTS ?? 500);
const SERVERS = 3;
const ENROL = 'multi-enrol';
const OPERATOR = 'multi-operator';
const ENV = { IDKIOSK_SERVER_MASTER_KEY: TEST_MASTER_KEY };

const children: ServerChild[] = [];
const proxies: FaultProxy[] = [];
afterAll(async () => {
  for (const c of children) await killHard(c.child);
  for (const p of proxies) await p.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('three ingest servers on one PostgreSQL', () => {
  it(`store ${DEVICES} × ${EVENTS} events exactly once through faults, double sends and SIGKILL restarts`, { timeout: 900_000 }, async () => {
    await resetServerTables();
    const args = (): string[] => ['--db', URL_PG, '--data-dir', tempDir('idk-multi-'), '--token', ENROL, '--operator-token', OPERATOR, '--quiet'];
    const servers: ServerChild[] = [];
    for (let i = 0; i < SERVERS; i++) {
      const s = await startServerChild(args(), 0, ENV);
      servers.push(s);
      children.push(s);
    }
    const random = prng(16_2024);
    for (const s of servers) {
      proxies.push(await FaultProxy.start(s.port, { bandwidthBps: 3_000_000, latencyMs: 3, lossRate: 0.02, resetRate: 0.04, truncateRate: 0.04, refuseRate: 0.03 }, { random: prng(proxies.length + 7) }));
    }
    const via = (i: number): string => proxies[i % SERVERS]!.url;

    // The kiosks: each enrols through one of the servers (retrying through the faults).
    const devices = Array.from({ length: DEVICES }, (_, d) => new SimDevice(`sim-${String(d).padStart(4, '0')}`));
    const t0 = Date.now() - 7 * 86_400_000;
    devices.forEach((dev, d) => dev.record(Array.from({ length: EVENTS }, (_, i) => ({ ...syntheticVerification(i, 1000 + d), site: `Điểm ${d % 12}` })), t0 + d * 1000, 60_000));
    await Promise.all(
      devices.map(async (dev, d) => {
        for (let attempt = 0; ; attempt++) {
          try {
            const r = await dev.enrol(via(d + attempt), ENROL, `Điểm ${d % 12}`);
            if (r.status === 200 || r.status === 201) return;
          } catch {
            // a fault of the link: try another server
          }
          await sleep(20 + 30 * random());
        }
      }),
    );

    // The killer: SIGKILL one server at a time while batches are in flight, restart it on its port.
    let running = true;
    let kills = 0;
    const killer = (async () => {
      while (running) {
        await sleep(1500 + 1500 * random());
        if (!running) break;
        const i = Math.floor(random() * SERVERS);
        const old = servers[i]!;
        await killHard(old.child);
        kills++;
        await sleep(200 + 400 * random());
        for (;;) {
          try {
            servers[i] = await startServerChild(args(), old.port, ENV);
            children.push(servers[i]!);
            break;
          } catch {
            await sleep(200); // the port may linger a moment
          }
        }
      }
    })();

    // Each kiosk drains its chain: random batch sizes, the next server in turn, sometimes the
    // same batch to two servers at once, sometimes a signed ack query after a failure.
    let doubles = 0;
    let failures = 0;
    const drive = async (dev: SimDevice, d: number): Promise<void> => {
      let turn = d;
      while (dev.acked < dev.head) {
        const from = dev.acked + 1;
        const to = Math.min(dev.head, from + 9 + Math.floor(random() * 80));
        try {
          const wire = await dev.batch(from, to);
          const twice = random() < 0.1;
          const targets = twice ? [via(turn), via(turn + 1)] : [via(turn)];
          turn++;
          if (twice) doubles++;
          const replies = await Promise.allSettled(targets.map((u) => dev.send(u, wire, { timeoutMs: 15_000 })));
          const ok = replies.some((r) => r.status === 'fulfilled' && r.value.status === 200);
          for (const r of replies) {
            if (r.status === 'fulfilled' && r.value.status !== 200 && r.value.status !== 503 && r.value.status !== 429) {
              throw new Error(`${dev.deviceId} ${from}-${to}: ${r.value.status} ${JSON.stringify(r.value.json)}`);
            }
          }
          if (!ok) throw new Error('no server took the batch');
        } catch (e) {
          if ((e as Error).message.startsWith(dev.deviceId)) throw e; // a protocol refusal: a real failure
          failures++;
          await sleep(10 + 100 * random());
          if (random() < 0.3) await dev.resume(via(turn++)).catch(() => undefined);
        }
      }
    };
    // 200 kiosks, 50 sending at any moment (a fleet does not all send in the same second).
    const queue = devices.map((dev, d) => () => drive(dev, d));
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await job();
      }),
    );
    running = false;
    await killer;

    console.log(`multi-server: ${kills} SIGKILL restarts, ${doubles} batches sent to two servers at once, ${failures} failed exchanges retried, ${proxies.reduce((n, p) => n + p.stats.resets + p.stats.truncations + p.stats.refusals, 0)} resets/cuts/refusals by the proxies`);
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(doubles).toBeGreaterThan(100);
    expect(failures).toBeGreaterThan(0);
    const faults = proxies.reduce((n, p) => n + p.stats.resets + p.stats.truncations + p.stats.refusals + p.stats.lostSegments, 0);
    expect(faults).toBeGreaterThan(100);

    // What PostgreSQL holds.
    const c = await pgClient();
    try {
      expect(Number((await c.query<{ n: string }>('SELECT COUNT(*) AS n FROM idk_events')).rows[0]!.n)).toBe(DEVICES * EVENTS);
      const perDevice = await c.query<{ device_id: string; n: string; lo: string; hi: string; head_seq: string }>(
        `SELECT d.device_id, COUNT(e.seq) AS n, MIN(e.seq) AS lo, MAX(e.seq) AS hi, d.head_seq
         FROM idk_devices d LEFT JOIN idk_events e ON e.device_id = d.device_id GROUP BY d.device_id, d.head_seq`,
      );
      expect(perDevice.rows).toHaveLength(DEVICES);
      for (const r of perDevice.rows) expect({ id: r.device_id, n: Number(r.n), lo: Number(r.lo), hi: Number(r.hi), head: Number(r.head_seq) }).toEqual({ id: r.device_id, n: EVENTS, lo: 1, hi: EVENTS, head: EVENTS });
    } finally {
      await c.end();
    }
    const db = await PostgresServerStore.open(URL_PG);
    try {
      for (const dev of devices) {
        expect(dev.acked).toBe(EVENTS);
        const rows = await db.events(dev.deviceId);
        const check = checkStoredChain(rows, dev.signPublicKey);
        expect(check, dev.deviceId).toMatchObject({ ok: true, events: EVENTS, purged: 0 });
        expect(rows.map((r) => r.id)).toEqual(dev.events.map((e) => e.body.id));
      }
    } finally {
      await db.close();
    }
  });
});
