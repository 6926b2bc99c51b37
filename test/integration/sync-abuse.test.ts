// 300 hostile uploads without the device key against an `idkiosk sync-server` process:
// 100 trickling their headers, 100 announcing 8 MB and trickling the body after a forged
// signature, 100 pushing a body fast after one, all reconnecting as soon as they are cut.
// The server's resident memory stays within 50 MB of where it started, /health answers
// every probe throughout, and a real kiosk's batches are stored meanwhile. (How fast
// /health answers under this load is a figure of `bench sync`, not a test assertion.)
import { afterAll, describe, expect, it } from 'vitest';
import { rssOf, startSlowClients } from '../../main/bench/slow-clients.js';
import { SimDevice } from '../../offline-cache/sync/device-sim.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { tempDir } from '../helpers/cards.js';
import { type ServerChild, killHard, startServerChild } from '../helpers/sync-server-child.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const children: ServerChild[] = [];
afterAll(async () => {
  for (const c of children) await killHard(c.child);
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('ingest server under slow unauthenticated uploads', () => {
  it('keeps its memory and /health while 300 forged uploads hold on', { timeout: 120_000 }, async () => {
    const server = await startServerChild(['--data-dir', tempDir('idk-abuse-'), '--token', 'abuse-enrol', '--operator-token', 'abuse-op', '--quiet']);
    children.push(server);
    const pid = server.child.pid!;
    const kiosk = new SimDevice('abuse-kiosk-1');
    kiosk.record(Array.from({ length: 600 }, (_, i) => syntheticVerification(i, 9)));
    expect((await kiosk.enrol(server.url, 'abuse-enrol', 'Quầy 1')).status).toBe(201);
    // Warm up: the server's code paths and heap as after a little real work.
    for (let from = 1; from <= 200; from += 50) expect((await kiosk.send(server.url, await kiosk.batch(from, from + 49), { to: from + 49 })).status).toBe(200);
    await sleep(500);
    const before = await rssOf(pid);

    const attack = startSlowClients({ port: server.port, deviceId: kiosk.deviceId, slowHeaders: 100, slowBodies: 100, fastBodies: 100 });
    let peak = before;
    let probes = 0;
    let worstMs = 0;
    const failures: string[] = [];
    const until = Date.now() + 20_000;
    let sent = 200;
    while (Date.now() < until) {
      peak = Math.max(peak, await rssOf(pid));
      const t = performance.now();
      try {
        const h = await httpExchange(`${server.url}/health`, { method: 'GET', timeoutMs: 5_000 });
        if (h.status !== 200) failures.push(`status ${h.status}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
      worstMs = Math.max(worstMs, performance.now() - t);
      probes++;
      // The real kiosk keeps delivering beside the attack.
      if (sent < 600 && probes % 5 === 0) {
        const r = await kiosk.send(server.url, await kiosk.batch(sent + 1, sent + 50), { to: sent + 50 });
        expect(r.status).toBe(200);
        sent += 50;
      }
      await sleep(100);
    }
    attack.stop();
    console.log(`abuse: ${attack.stats.connections} hostile connections, answers ${JSON.stringify(attack.stats.statuses)}; RSS ${(before / 2 ** 20).toFixed(1)} -> peak ${(peak / 2 ** 20).toFixed(1)} MiB; ${probes} /health probes, slowest ${worstMs.toFixed(0)} ms`);
    expect(failures).toEqual([]);
    expect(probes).toBeGreaterThan(50);
    expect(attack.stats.connections).toBeGreaterThanOrEqual(300);
    // The forged uploads were answered 401 from their headers (the slow-header ones time out unanswered or get 408).
    expect(attack.stats.statuses['401'] ?? 0).toBeGreaterThan(100);
    expect(peak - before).toBeLessThan(50 * 2 ** 20);
    expect(sent).toBe(600);
    expect(kiosk.acked).toBe(600);
  });
});
