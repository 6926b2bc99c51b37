// The local service's audit lines reach the ingest server like the events: signed by the
// device, stored once each, refused whole when one does not verify; and in the running app
// a service call's line arrives on its own.
import { afterEach, describe, expect, it } from 'vitest';
import { auditCounts, pendingAudit, recordAudit, verifyAuditLine } from '../../offline-cache/audit.js';
import { type LocalStore, openLocalStore } from '../../offline-cache/store.js';
import { sendAudit } from '../../offline-cache/sync/audit-client.js';
import { deviceRequestHeaders, enrolDevice } from '../../offline-cache/sync/client.js';
import { kioskFor } from '../../main/kiosk/kiosk.js';
import { startKioskService } from '../../main/kiosk/service-run.js';
import { ClientRegistry } from '../../main/api/clients.js';
import { demoCard } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';
import { INGEST_TOKEN, type Ingest, ingest } from '../helpers/ingest.js';
import { call } from '../helpers/service.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(): Promise<Ingest> {
  const s = await ingest();
  cleanup.push(s.stop);
  return s;
}

/** POST /v1/audit signed by the store's device key, as the kiosk sends it. */
function postAudit(url: string, s: LocalStore, lines: unknown[]): Promise<Response> {
  const body = new TextEncoder().encode(JSON.stringify({ lines }));
  return fetch(`${url}/v1/audit`, { method: 'POST', headers: { 'content-type': 'application/json', ...deviceRequestHeaders(s, 'POST', '/v1/audit', body) }, body });
}

function store(): LocalStore {
  const s = openLocalStore({ dataDir: tempDir('idk-audit-') });
  cleanup.push(() => s.close());
  return s;
}

describe('audit lines to the ingest server', () => {
  it('are stored once each, verified with the enrolled key, and marked delivered', async () => {
    const srv = await server();
    const s = store();
    for (let i = 0; i < 7; i++) recordAudit(s, { client: 'HIS', at: Date.now() + i, what: 'GET /v1/status', status: 200 });
    recordAudit(s, { client: null, at: Date.now() + 9, what: 'GET /v1/status', status: 401, code: 'API_UNAUTHORIZED' });
    // Not enrolled yet: nothing is sent, nothing is lost.
    expect(await sendAudit(s)).toEqual({ sent: 0 });
    expect(auditCounts(s).pending).toBe(8);
    await enrolDevice(s, srv.url, INGEST_TOKEN, 'site');
    expect(await sendAudit(s)).toEqual({ sent: 8 });
    expect(auditCounts(s)).toEqual({ stored: 8, pending: 0 });
    const held = await srv.db.auditLines(s.keys.deviceId);
    expect(held).toHaveLength(8);
    for (const h of held) expect(verifyAuditLine({ line: h.line, sig: Buffer.from(h.sig).toString('base64') }, s.keys.signPublicKey)).toBe(true);
    expect(JSON.parse(held.at(-1)!.line)).toMatchObject({ client: null, status: 401, code: 'API_UNAUTHORIZED', device: s.keys.deviceId });
    // A resend (an answer lost on the way back) stores nothing twice.
    const again = await postAudit(srv.url, s, held.map((h) => ({ line: h.line, sig: Buffer.from(h.sig).toString('base64') })));
    expect(await again.json()).toMatchObject({ stored: 0, duplicates: 8 });
    expect(await srv.db.auditLines(s.keys.deviceId)).toHaveLength(8);
  });

  it('a line changed on the way, an unsigned request, or an unknown device is refused and the line stays pending', async () => {
    const srv = await server();
    const s = store();
    await enrolDevice(s, srv.url, INGEST_TOKEN, 'site');
    recordAudit(s, { client: 'HIS', at: Date.now(), what: 'POST /v1/reads', status: 202 });
    const [l] = pendingAudit(s, 10);
    const forged = await postAudit(srv.url, s, [{ line: l!.line.replace('"status":202', '"status":200'), sig: l!.sig }]);
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ code: 'FORGED' });
    // The lines are signed, but the request must be too: naming a device is not enough.
    const unsigned = await fetch(`${srv.url}/v1/audit`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-idk-device': s.keys.deviceId }, body: JSON.stringify({ lines: [{ line: l!.line, sig: l!.sig }] }) });
    expect(unsigned.status).toBe(401);
    const other = store();
    const stranger = await postAudit(srv.url, other, []);
    expect(stranger.status).toBe(401);
    expect(await stranger.json()).toMatchObject({ code: 'UNKNOWN_DEVICE' });
    expect(await srv.db.auditLines(s.keys.deviceId)).toHaveLength(0);
    expect(auditCounts(s).pending).toBe(1);
  });

  it('in the running app, a service call leaves a line that reaches the server by itself', async () => {
    const srv = await server();
    const dataDir = tempDir('idk-audit-app-');
    const k = await kioskFor({ card: demoCard('cccd'), dataDir, sync: srv.url, syncToken: INGEST_TOKEN, syncTiming: { pollMs: 200, backoff: { baseMs: 50, capMs: 400 } }, log: () => undefined });
    cleanup.push(() => k.close());
    const svc = await startKioskService(k, { port: 0 });
    const token = new ClientRegistry(dataDir).pair('HIS', []).token;
    expect((await call(svc.url, 'GET', '/v1/status', { token })).status).toBe(200);
    const deviceId = k.servicePlug!.keys.deviceId;
    await expect.poll(async () => (await srv.db.auditLines(deviceId)).map((l) => JSON.parse(l.line) as { what: string; client: string }), { timeout: 10_000 }).toContainEqual(expect.objectContaining({ what: 'GET /v1/status', client: 'HIS' }));
  });
});
