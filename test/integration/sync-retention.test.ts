// Retention on the server, on both databases: after the purge the chain still verifies from
// genesis with the purged events shown as purged, the kept events still open, and nothing
// personal of the purged ones is left: not the test persons' names and numbers, and not
// even the sealed form, searched in the SQLite file itself and in a pg_dump of PostgreSQL.
// A kept event's sealed form is found by the same search, so the search is shown to work.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openField } from '../../offline-cache/crypto-box.js';
import { recordVerification } from '../../offline-cache/outbox.js';
import { openLocalStore, type LocalStore } from '../../offline-cache/store.js';
import { checkStoredChain } from '../../offline-cache/sync/chain-check.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import type { ServerKeyring } from '../../offline-cache/sync/server-keys.js';
import type { ServerStore } from '../../offline-cache/sync/server-store.js';
import { PostgresServerStore } from '../../offline-cache/sync/server-store-postgres.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { tempDir } from '../helpers/cards.js';
import { keyringIn } from '../helpers/ingest.js';
import { URL_PG, resetServerTables } from '../helpers/pg.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const ENROL = 'retention-enrol';
const OPERATOR = 'retention-operator';
const DAY = 86_400_000;
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of closers.splice(0).reverse()) await f();
});

interface Person {
  idNumber: string;
  documentNumber: string;
  fullName: string;
}

/** The kiosk's own subjects, oldest first. */
function localSubjects(s: LocalStore): Person[] {
  return (s.db.prepare('SELECT subject FROM events ORDER BY seq').pluck().all() as Uint8Array[]).map((b) => JSON.parse(new TextDecoder().decode(openField(s.keys.dataKey, b))) as Person);
}

/**
 * 60 events arrive, 40 days pass, 40 more arrive, the operator runs the 30-day policy:
 * returns the sealed subjects of the purged and of the kept events, taken before the purge.
 */
async function scenario(store: ServerStore, keys: ServerKeyring): Promise<{ s: LocalStore; purgedSealed: Buffer[]; keptSealed: Buffer[]; people: Person[] }> {
  const clock = { shift: 0 };
  const server = createSyncServer({ store, keys, enrolToken: ENROL, operatorToken: OPERATOR, retentionDays: 30, purgeIntervalMs: 0, now: () => Date.now() + clock.shift });
  const url = await listen(server);
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const s = openLocalStore({ dataDir: tempDir('idk-ret-kiosk-'), diskReserveBytes: 0 });
  closers.push(() => s.close());
  await enrolDevice(s, url, ENROL, 'Công an phường Bến Nghé');
  const send = async (from: number, to: number): Promise<void> => {
    for (let i = from; i <= to; i++) recordVerification(s, syntheticVerification(i, 61));
    const c = new SyncClient({ store: s, initialBatchEvents: 25, maxBatchEvents: 25 });
    const r = await c.drain({ maxMs: 30_000 });
    await c.stop();
    expect(r.pending, r.lastError).toBe(0);
  };
  await send(1, 60);
  clock.shift = 40 * DAY;
  await send(61, 100);

  const rows = await store.events(s.keys.deviceId);
  expect(rows).toHaveLength(100);
  const people = localSubjects(s);
  // Before the purge every subject is there and opens to the person the kiosk saw.
  rows.forEach((r, i) => expect((JSON.parse(new TextDecoder().decode(keys.openSubject(r.keyId!, s.keys.deviceId, r.seq, r.subject!))) as Person).idNumber).toBe(people[i]!.idNumber));
  const purgedSealed = rows.slice(0, 60).map((r) => Buffer.from(r.subject!));
  const keptSealed = rows.slice(60).map((r) => Buffer.from(r.subject!));

  const purge = await httpExchange(`${url}/v1/admin/purge`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` }, timeoutMs: 60_000 });
  expect(JSON.parse(purge.text)).toMatchObject({ purged: 60 });
  const again = await httpExchange(`${url}/v1/admin/purge`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` }, timeoutMs: 60_000 });
  expect(JSON.parse(again.text)).toMatchObject({ purged: 0 });

  const after = await store.events(s.keys.deviceId);
  const check = checkStoredChain(after, s.keys.signPublicKey);
  expect(check).toMatchObject({ ok: true, events: 100, purged: 60 });
  expect(check.signatures).toBeGreaterThanOrEqual(4); // one per batch tip
  expect(after.slice(0, 60).every((r) => r.subject === null && r.purgedAt !== null)).toBe(true);
  after.slice(60).forEach((r, i) => expect((JSON.parse(new TextDecoder().decode(keys.openSubject(r.keyId!, s.keys.deviceId, r.seq, r.subject!))) as Person).fullName).toBe(people[60 + i]!.fullName));
  // The fleet's counts still cover every event: only the personal part went.
  expect((await store.stats()).events).toBe(100);
  return { s, purgedSealed, keptSealed, people };
}

/**
 * How many of `needles` occur in `haystack` (bytes, or their hex as pg_dump prints bytea),
 * each searched by 24 bytes from its middle: SQLite reuses the first bytes of a freed cell
 * for its free-list header, so a whole-blob search could miss a leftover.
 */
function found(haystack: Buffer, needles: Buffer[], hex = false): number {
  const text = hex ? haystack.toString('latin1') : undefined;
  return needles.filter((n) => {
    const mid = n.subarray(16, 40);
    return hex ? text!.includes(mid.toString('hex')) : haystack.includes(mid);
  }).length;
}

function personalText(people: Person[]): string[] {
  return people.flatMap((p) => [p.idNumber, p.documentNumber, p.fullName]);
}

describe('server retention', () => {
  it('SQLite: purges the sealed personal part, keeps the chain verifiable, leaves nothing in the file', { timeout: 120_000 }, async () => {
    const dir = tempDir('idk-ret-sqlite-');
    const path = join(dir, 'ingest.sqlite');
    const store = new SqliteServerStore(path);
    closers.push(() => store.close());
    const { purgedSealed, keptSealed, people } = await scenario(store, await keyringIn(store, dir));
    await store.close();
    const bytes = Buffer.concat([readFileSync(path), existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0)]);
    expect(found(bytes, keptSealed)).toBe(40); // the search finds what is there…
    expect(found(bytes, purgedSealed)).toBe(0); // …and nothing of what was purged
    for (const t of personalText(people)) expect(bytes.includes(Buffer.from(t, 'utf8')), t).toBe(false);
  });

  it('PostgreSQL: the same, searched in a pg_dump of the database', { timeout: 120_000 }, async () => {
    await resetServerTables();
    const store = await PostgresServerStore.open(URL_PG);
    closers.push(() => store.close());
    const { purgedSealed, keptSealed, people } = await scenario(store, await keyringIn(store, tempDir('idk-ret-pg-')));
    let dump: Buffer;
    try {
      dump = execFileSync('pg_dump', ['--data-only', '--dbname', URL_PG], { maxBuffer: 256 * 1024 * 1024 });
    } catch (e) {
      throw new Error(`pg_dump failed (${(e as Error).message}): install Debian's "postgresql-client" package`, { cause: e });
    }
    expect(found(dump, keptSealed, true)).toBe(40);
    expect(found(dump, purgedSealed, true)).toBe(0);
    const text = dump.toString('utf8');
    for (const t of personalText(people)) expect(text.includes(t), t).toBe(false);
  });
});
