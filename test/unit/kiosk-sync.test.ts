// Store-and-forward in the running app: kioskFor with a sync server enrols, sends each
// confirmed verification, shows the real queue and link on the status screen, keeps
// everything through an outage and sends it when the server is back. The server is the
// real ingest server (SQLite) on a real socket; the card is the demo software chip.
import { afterEach, describe, expect, it } from 'vitest';
import type { KioskState, StatusView } from '../../main/api/contract.js';
import { dispatch } from '../../main/api/dispatch.js';
import { type Kiosk, kioskFor } from '../../main/kiosk/kiosk.js';
import { linkState } from '../../main/kiosk/store.js';
import { demoCard } from '../../main/paths.js';
import type { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { INGEST_TOKEN, type Ingest, ingest as startIngest } from '../helpers/ingest.js';
import { tempDir } from '../helpers/cards.js';

const TOKEN = INGEST_TOKEN;
const FAST = { pollMs: 200, backoff: { baseMs: 50, capMs: 400 } };
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** The in-process ingest server, stopped after each test. */
async function ingest(dir?: string, port?: number): Promise<Ingest> {
  const srv = await startIngest(dir, port);
  cleanup.push(srv.stop);
  return srv;
}

async function kiosk(o: Parameters<typeof kioskFor>[0]): Promise<{ kiosk: Kiosk; logs: string[] }> {
  const logs: string[] = [];
  const k = await kioskFor({ card: demoCard('cccd'), autoKey: true, syncTiming: FAST, log: (l) => logs.push(l), ...o });
  cleanup.push(() => k.close());
  return { kiosk: k, logs };
}

function waitState(k: Kiosk, p: (s: KioskState) => boolean): Promise<KioskState> {
  return new Promise((resolve) => {
    if (p(k.state)) return resolve(k.state);
    const off = k.subscribe((e) => {
      if (e.event === 'state' && p(e.data)) {
        off();
        resolve(e.data);
      }
    });
  });
}

/** One card placed, read and confirmed, as the clerk does it. */
async function verifyOne(k: Kiosk): Promise<string> {
  await k.handlers.demoCard({ present: false });
  await k.handlers.demoCard({ present: true });
  const s = await waitState(k, (x) => x.phase === 'result' || x.phase === 'error');
  expect(s.phase).toBe('result');
  const { record } = await k.handlers.confirm({ id: s.result!.id, checked: ['FACE_BY_EYE'] });
  expect(record.status).toBe('stored');
  return (record as { eventId: string }).eventId;
}

async function store(k: Kiosk): Promise<Extract<StatusView['store'], { available: true }>> {
  const s = (await k.handlers.status({})).store;
  if (!s.available) throw new Error('the store is not plugged in');
  return s;
}

const serverEvents = async (db: SqliteServerStore) => (await db.stats()).events;

describe('kiosk with a sync server', () => {
  it('sends each confirmed verification, shows queue and link as they are, rides out an outage', async () => {
    let srv = await ingest();
    const { kiosk: k } = await kiosk({ dataDir: tempDir('idk-data-'), sync: srv.url, syncToken: TOKEN });

    await verifyOne(k);
    await expect.poll(() => serverEvents(srv.db), { timeout: 15_000 }).toBe(1);
    await expect.poll(async () => (await store(k)).queueDepth, { timeout: 10_000 }).toBe(0);
    const up = await store(k);
    expect(up.link).toBe('good');
    expect(up.lastSync).not.toBeNull();
    expect(Date.parse(up.lastSync!)).not.toBeNaN();

    // The server goes away: the next verification is kept, the link shows down.
    const port = Number(new URL(srv.url).port);
    await srv.stop();
    await verifyOne(k);
    await expect.poll(async () => (await store(k)).link, { timeout: 15_000 }).toBe('down');
    expect((await store(k)).queueDepth).toBe(1);

    // Back on the same address with its data: the queue drains by itself, exactly once.
    srv = await ingest(srv.dir, port);
    await expect.poll(async () => (await store(k)).queueDepth, { timeout: 20_000 }).toBe(0);
    expect(await serverEvents(srv.db)).toBe(2);
    await expect.poll(async () => (await store(k)).link, { timeout: 10_000 }).not.toBe('down');
  }, 60_000);

  it('sends on confirm, not only on the timer; remembers the server it enrolled with after a restart', async () => {
    const srv = await ingest();
    const dataDir = tempDir('idk-data-');
    // A poll interval far beyond the test's patience: only the wake-up on confirm can deliver in time.
    const slow = { pollMs: 600_000, backoff: FAST.backoff };
    const first = await kiosk({ dataDir, sync: srv.url, syncToken: TOKEN, syncTiming: slow });
    await verifyOne(first.kiosk);
    await expect.poll(() => serverEvents(srv.db), { timeout: 15_000 }).toBe(1);
    await first.kiosk.close();

    const again = await kiosk({ dataDir, syncTiming: slow });
    await verifyOne(again.kiosk);
    await expect.poll(() => serverEvents(srv.db), { timeout: 15_000 }).toBe(2);
    expect((await srv.db.stats()).devices).toHaveLength(1);
  }, 60_000);

  it('the settings screen sets the server behind the PIN: what was kept offline goes there, a typo changes nothing', async () => {
    const srv = await ingest();
    const dataDir = tempDir('idk-data-');
    const { kiosk: k } = await kiosk({ dataDir, pin: '2468' });
    await verifyOne(k);
    expect(await store(k)).toMatchObject({ queueDepth: 1, server: null });
    // Not without the operator's session.
    await expect(dispatch(k, 'setSyncServer', { session: 'forged-session-000000', url: srv.url, token: TOKEN })).resolves.toMatchObject({ ok: false, error: { code: 'SETTINGS_LOCKED' } });
    const { session } = await k.handlers.unlockSettings({ pin: '2468' });
    await expect(dispatch(k, 'setSyncServer', { session, url: 'ftp://example.invalid/', token: TOKEN })).resolves.toMatchObject({ ok: false, error: { code: 'BAD_SYNC_URL' } });
    expect(await dispatch(k, 'setSyncServer', { session, url: srv.url, token: TOKEN })).toEqual({ ok: true, result: { server: srv.url } });
    await expect.poll(() => serverEvents(srv.db), { timeout: 15_000 }).toBe(1);
    await expect.poll(async () => (await store(k)).queueDepth, { timeout: 10_000 }).toBe(0);
    expect((await store(k)).server).toBe(srv.url);
    // A URL the sync client cannot use is refused before the running client stops.
    await expect(dispatch(k, 'setSyncServer', { session, url: 'http://[::1' })).resolves.toMatchObject({ ok: false, error: { code: 'BAD_SYNC_URL' } });
    await verifyOne(k);
    await expect.poll(() => serverEvents(srv.db), { timeout: 15_000 }).toBe(2);
    // After a restart without --sync the enrolled server is still the one.
    await k.close();
    const again = await kiosk({ dataDir });
    expect((await store(again.kiosk)).server).toBe(srv.url);
  }, 60_000);

  it('without an enrolment token it records all the same, shows the link down and logs what is missing', async () => {
    const srv = await ingest();
    const { kiosk: k, logs } = await kiosk({ dataDir: tempDir('idk-data-'), sync: srv.url });
    await verifyOne(k);
    await expect.poll(() => logs.some((l) => l.includes('--sync-token')), { timeout: 10_000 }).toBe(true);
    expect(await store(k)).toMatchObject({ queueDepth: 1, link: 'down', lastSync: null });
    expect(await serverEvents(srv.db)).toBe(0);
  }, 30_000);

  it('a wrong token is refused by the server and said in the log; close() still ends everything', async () => {
    const srv = await ingest();
    const { kiosk: k, logs } = await kiosk({ dataDir: tempDir('idk-data-'), sync: srv.url, syncToken: 'not-the-token', syncTiming: { pollMs: 60_000, backoff: { baseMs: 60_000, capMs: 60_000 } } });
    await expect.poll(() => logs.find((l) => l.includes('enrolment refused')), { timeout: 10_000 }).toBeDefined();
    // Waiting a minute before the next try must not hold up closing the kiosk.
    await k.close();
    expect((await srv.db.stats()).devices).toHaveLength(0);
  }, 30_000);

  it('a sync address that is not http(s) is refused at start with a message to act on', async () => {
    await expect(kioskFor({ card: demoCard('cccd'), dataDir: tempDir('idk-data-'), sync: 'ftp://example.invalid/' })).rejects.toMatchObject({ code: 'BAD_SYNC_URL' });
  });
});

describe('link state', () => {
  const MIN = 60_000;
  it('follows the latest exchange, then the age of the last success', () => {
    const now = 1_000 * MIN;
    expect(linkState(undefined, undefined, now)).toBe('down');
    expect(linkState(now - MIN, undefined, now)).toBe('good');
    expect(linkState(now - MIN, now - 30_000, now)).toBe('down');
    expect(linkState(now - 30_000, now - MIN, now)).toBe('weak');
    expect(linkState(now - 30_000, now - 11 * MIN, now)).toBe('good');
    expect(linkState(now - 30 * MIN, undefined, now)).toBe('weak');
    expect(linkState(now - 7 * 60 * MIN, undefined, now)).toBe('down');
  });
});
