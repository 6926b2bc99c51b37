// Who may see and do what on the ingest server (SQLite here; PostgreSQL in the multi-server
// test): the operator token guards every read, site enrolment tokens expire and are revoked,
// a revoked device's later batches are refused and kept apart while what it sent before
// stays, every operator action lands in an append-only audit table, and the fleet view
// (JSON and `idkiosk fleet status`) counts what the kiosks sent.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fleetCommand } from '../../main/commands/fleet.js';
import { queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { openLocalStore, type LocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import type { FleetView } from '../../offline-cache/sync/fleet-page.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { tempDir } from '../helpers/cards.js';
import { keyringIn } from '../helpers/ingest.js';
import { batchOf, deviceHeaders, signedPost } from '../helpers/sync-requests.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const ENROL = 'fleet-enrol-token';
const OPERATOR = 'fleet-operator-token';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function serverUp(clock: { skew: number } = { skew: 0 }): Promise<{ url: string; db: SqliteServerStore }> {
  const dir = tempDir('idk-op-');
  const db = new SqliteServerStore(join(dir, 'ingest.sqlite'));
  const server = createSyncServer({ store: db, keys: await keyringIn(db, dir), enrolToken: ENROL, operatorToken: OPERATOR, now: () => Date.now() + clock.skew, purgeIntervalMs: 0 });
  const url = await listen(server);
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await db.close();
  });
  return { url, db };
}

function kiosk(): LocalStore {
  const s = openLocalStore({ dataDir: tempDir('idk-op-kiosk-'), diskReserveBytes: 0 });
  cleanup.push(() => s.close());
  return s;
}

async function op(url: string, method: string, path: string, body?: unknown, token = OPERATOR): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const r = await httpExchange(url + path, { method, headers: { authorization: `Bearer ${token}`, 'x-idk-operator': 'lan.nguyen', ...(payload ? { 'content-type': 'application/json' } : {}) }, body: payload, timeoutMs: 10_000 });
  return { status: r.status, json: r.headers['content-type']?.toString().startsWith('application/json') ? (JSON.parse(r.text) as Record<string, unknown>) : {}, text: r.text };
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((t: string) => (out.push(String(t)), true)) as typeof process.stdout.write;
  try {
    const code = await fleetCommand.run(args, { lang: 'vi' });
    return { code, out: out.join('') };
  } finally {
    process.stdout.write = write;
  }
}

describe('operator token, enrolment tokens, revocation, audit, fleet view', () => {
  it('answers 401 and reveals nothing on every operator path without the operator token', async () => {
    const { url } = await serverUp();
    const s = kiosk();
    await enrolDevice(s, url, ENROL, 'Cửa khẩu Mộc Bài');
    for (const [m, p] of [['GET', '/stats'], ['GET', '/v1/fleet'], ['GET', '/v1/admin/audit'], ['GET', '/v1/admin/enrol-tokens'], ['POST', '/v1/admin/purge'], ['GET', '/v1/admin/quarantine']] as const) {
      for (const token of ['', 'wrong', ENROL]) {
        const r = await op(url, m, p, undefined, token);
        expect(r.status, `${m} ${p} with "${token}"`).toBe(401);
        expect(r.text).not.toContain(s.keys.deviceId);
        expect(r.text).not.toContain('Mộc Bài');
      }
    }
    const page = await httpExchange(`${url}/fleet`, { method: 'GET', timeoutMs: 5000 });
    expect(page.status).toBe(401);
    expect(page.text).toContain('mã vận hành');
    expect(page.text).not.toContain(s.keys.deviceId);
    expect(page.text).not.toContain('Mộc Bài');
    // And the enrolment token does not open the operator's door, nor the operator token enrol.
    await expect(enrolDevice(kiosk(), url, OPERATOR, 'x')).rejects.toMatchObject({ code: 'ENROL_BAD_TOKEN' });
  });

  it('makes site enrolment tokens that fix the site, expire, are listed and revoked', async () => {
    const clock = { skew: 0 };
    const { url, db } = await serverUp(clock);
    const made = await op(url, 'POST', '/v1/admin/enrol-tokens', { site: 'Cửa khẩu Lao Bảo', days: 2 });
    expect(made.status).toBe(201);
    const token = String(made.json.token);
    const a = kiosk();
    await enrolDevice(a, url, token, 'a site the kiosk made up');
    expect((await db.device(a.keys.deviceId))!.site).toBe('Cửa khẩu Lao Bảo');
    const listed = (await op(url, 'GET', '/v1/admin/enrol-tokens')).json.tokens as { tokenId: string; used: number; site: string }[];
    expect(listed).toEqual([expect.objectContaining({ tokenId: made.json.tokenId, site: 'Cửa khẩu Lao Bảo', used: 1 })]);
    expect(JSON.stringify(listed)).not.toContain(token); // only its hash is kept

    // Three days later it has expired.
    clock.skew = 3 * 86_400_000;
    await expect(enrolDevice(kiosk(), url, token, 'x')).rejects.toMatchObject({ code: 'ENROL_BAD_TOKEN' });
    clock.skew = 0;
    const second = await op(url, 'POST', '/v1/admin/enrol-tokens', { site: 'Bệnh viện Bạch Mai', days: 30 });
    await enrolDevice(kiosk(), url, String(second.json.token), 'x');
    expect((await op(url, 'POST', `/v1/admin/enrol-tokens/${String(second.json.tokenId)}/revoke`)).status).toBe(200);
    await expect(enrolDevice(kiosk(), url, String(second.json.token), 'x')).rejects.toMatchObject({ code: 'ENROL_BAD_TOKEN' });
    // The same through the CLI.
    const r = await cli(['token', 'list', '--server', url, '--token', OPERATOR]);
    expect(r.out).toMatch(/Lao Bảo.*hết hạn/);
    expect(r.out).toMatch(/Bạch Mai.*đã thu hồi/);
    await expect(cli(['token', 'list', '--server', url, '--token', 'wrong'])).rejects.toMatchObject({ code: 'BAD_TOKEN' });
  });

  it('refuses a revoked device with a clear code, keeps its later batches apart and what it sent before', async () => {
    const { url, db } = await serverUp();
    const s = kiosk();
    const reply = await enrolDevice(s, url, ENROL, 'Quầy 7');
    for (let i = 0; i < 15; i++) recordVerification(s, syntheticVerification(i, 5));
    const c = new SyncClient({ store: s, initialBatchEvents: 10, maxBatchEvents: 10 });
    cleanup.push(() => c.stop());
    await c.drain({ until: 10 });
    expect(queueCounts(s).acked).toBe(10);

    expect((await cli(['revoke', s.keys.deviceId, '--reason', 'máy bị mất cắp', '--server', url, '--token', OPERATOR])).code).toBe(0);
    await expect(c.drain({ maxMs: 10_000 })).rejects.toMatchObject({ code: 'DEVICE_REVOKED' });
    const direct = await signedPost(url, s, await batchOf(s, Buffer.from(reply.serverBoxKey, 'base64'), 5));
    expect(direct).toMatchObject({ status: 403, json: { code: 'DEVICE_REVOKED' } });
    const ack = await httpExchange(`${url}/v1/devices/${s.keys.deviceId}/ack`, { method: 'GET', headers: deviceHeaders(s, 'GET', `/v1/devices/${s.keys.deviceId}/ack`), timeoutMs: 5000 });
    expect(JSON.parse(ack.text)).toMatchObject({ code: 'DEVICE_REVOKED' });
    await expect(enrolDevice(s, url, ENROL, 'Quầy 7')).rejects.toMatchObject({ code: 'ENROL_DEVICE_REVOKED' });

    // What came before stays, nothing after was merged, the refused batches are kept as they came.
    expect((await db.events(s.keys.deviceId)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const q = await db.quarantined(s.keys.deviceId);
    expect(q.length).toBe(2);
    expect(q.every((b) => b.reason === 'device revoked' && b.bytes > 100)).toBe(true);
    const fleet = (await op(url, 'GET', '/v1/fleet')).json as unknown as FleetView;
    expect(fleet.devices[0]).toMatchObject({ deviceId: s.keys.deviceId, revokeReason: 'máy bị mất cắp', quarantined: 2, events: 10 });
    expect((await cli(['status', '--server', url, '--token', OPERATOR])).out).toMatch(/ĐÃ THU HỒI[\s\S]*máy bị mất cắp; lô bị giữ lại: 2/);
  });

  it('writes every operator action to an audit table that refuses updates and deletes', async () => {
    const { url, db } = await serverUp();
    const s = kiosk();
    await enrolDevice(s, url, ENROL, 'Quầy 9');
    await op(url, 'GET', '/stats');
    const t = await op(url, 'POST', '/v1/admin/enrol-tokens', { site: 'Quầy 10' });
    await op(url, 'POST', `/v1/admin/devices/${s.keys.deviceId}/revoke`, { reason: 'thử nghiệm' });
    await op(url, 'POST', '/v1/admin/purge');
    const log = (await op(url, 'GET', '/v1/admin/audit')).json.entries as { actor: string; action: string; target: string }[];
    expect(log.map((e) => e.action)).toEqual(['device.enrol', 'stats.view', 'enrol-token.create', 'device.revoke', 'retention.purge', 'audit.view']);
    expect(log[1]!.actor).toMatch(/^lan.nguyen@/);
    expect(log[2]!.target).toBe(t.json.tokenId);
    expect(() => db.db.prepare('UPDATE audit SET action = ?').run('nothing happened')).toThrow(/append-only/);
    expect(() => db.db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    expect((await db.auditLog(100)).length).toBe(6);
  });

  it('shows each device with last seen, queue and clock skew, and the decisions and invalid chips per site', async () => {
    const skew = 2 * 3600_000; // the server runs two hours ahead of the kiosks
    const { url } = await serverUp({ skew });
    const sites = ['Sân bay Nội Bài', 'Sân bay Tân Sơn Nhất'];
    const expected = new Map<string, { accepted: number; rejected: number; review: number; invalid: number }>();
    const kiosks: LocalStore[] = [];
    for (const [k, site] of sites.entries()) {
      const s = kiosk();
      kiosks.push(s);
      await enrolDevice(s, url, ENROL, site);
      const e = { accepted: 0, rejected: 0, review: 0, invalid: 0 };
      for (let i = 0; i < 120; i++) {
        const v = { ...syntheticVerification(i, 30 + k), site };
        recordVerification(s, v);
        e[v.result]++;
        if ([v.authenticity.passive, v.authenticity.chip, v.authenticity.active].includes('invalid')) e.invalid++;
      }
      expected.set(site, e);
    }
    // The first kiosk sends everything; the second only 100 of its 120.
    for (const [i, s] of kiosks.entries()) {
      const c = new SyncClient({ store: s, initialBatchEvents: 50, maxBatchEvents: 50 });
      await c.drain({ until: i === 0 ? 120 : 100 });
      await c.stop();
    }
    const v = (await op(url, 'GET', '/v1/fleet')).json as unknown as FleetView;
    // The first kiosk: every event it recorded; the second: the 100 it sent (counted from its own store).
    expect(countFirst(kiosks[0]!, 120)).toEqual(expected.get(sites[0]!));
    expect(v.perSite).toEqual([
      { site: sites[0], ...expected.get(sites[0]!)! },
      { site: sites[1], ...countFirst(kiosks[1]!, 100) },
    ]);
    const [d0, d1] = sites.map((site) => v.devices.find((d) => d.site === site)!);
    expect(d0).toMatchObject({ events: 120, headSeq: 120, pending: 0 });
    // The second kiosk's last request reported what was still waiting: at least the 20 it did not send.
    expect(d1!.events).toBe(100);
    expect(d1!.pending).toBe(20);
    expect(d1!.oldestPendingAt).not.toBeNull();
    for (const d of [d0!, d1!]) {
      expect(Math.abs(d.skewMs! - skew)).toBeLessThan(60_000);
      expect(d.lastSeenAt).not.toBeNull();
    }
    const today = v.perSiteDay.reduce((n, r) => n + r.count, 0);
    expect(today).toBe(220);
    const text = (await cli(['status', '--server', url, '--token', OPERATOR])).out;
    expect(text).toContain('[Sân bay Nội Bài]');
    expect(text).toMatch(/Tân Sơn Nhất\]\n\s+\S+\s+100 bản ghi, liên lạc .* trước, chờ \d+, cũ nhất/);
    const json = JSON.parse((await cli(['status', '--json', '--server', url, '--token', OPERATOR])).out) as FleetView;
    expect(json.totals).toMatchObject({ devices: 2, events: 220 });
  });
});

/** Decisions and invalid chips among a kiosk's first `n` events, from its own store. */
function countFirst(s: LocalStore, n: number): { accepted: number; rejected: number; review: number; invalid: number } {
  const out = { accepted: 0, rejected: 0, review: 0, invalid: 0 };
  for (const body of s.db.prepare('SELECT body FROM events WHERE seq <= ? ORDER BY seq').pluck().all(n) as string[]) {
    const b = JSON.parse(body) as { result: 'accepted' | 'rejected' | 'review'; auth: Record<string, string> };
    out[b.result]++;
    if (Object.values(b.auth).includes('invalid')) out.invalid++;
  }
  return out;
}
