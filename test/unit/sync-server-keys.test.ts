// The server's key sets in its database (SQLite here; PostgreSQL in
// test/integration/sync-postgres.test.ts): sealed under the master key, refused under
// another, rotated with every record still readable, and the key file of the older
// reference server imported with the records it sealed.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import nacl from 'tweetnacl';
import { afterEach, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { sealField } from '../../offline-cache/crypto-box.js';
import { writeFileDurably } from '../../offline-cache/atomic-file.js';
import { LEGACY_KEY_ID, loadMasterKey, openKeyring } from '../../offline-cache/sync/server-keys.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { tempDir } from '../helpers/cards.js';

const open: SqliteServerStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
function store(path: string): SqliteServerStore {
  const s = new SqliteServerStore(path);
  open.push(s);
  return s;
}
const enc = new TextEncoder();

describe('server key sets', () => {
  it('keeps the sets in the database sealed under the master key, and refuses another master key', async () => {
    const dir = tempDir('idk-keys-');
    const path = join(dir, 'ingest.sqlite');
    const master = loadMasterKey({ env: {}, createIn: dir });
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    const db = store(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const ring = await openKeyring(db, master);
    expect(ring.all).toHaveLength(1);
    const { keyId, sealed } = ring.sealSubject('dev-1', 7, enc.encode('Nguyễn Văn Mẫu'));
    await db.close();
    // The file holds neither the box secret nor the data key in clear.
    const file = readFileSync(path);
    expect(file.includes(Buffer.from(ring.current.boxSecretKey))).toBe(false);
    expect(file.includes(Buffer.from(ring.current.dataKey))).toBe(false);

    const again = await openKeyring(store(path), loadMasterKey({ env: {}, createIn: dir }));
    expect(new TextDecoder().decode(again.openSubject(keyId, 'dev-1', 7, sealed))).toBe('Nguyễn Văn Mẫu');
    // Bound to its device and sequence number: moved to another row it does not open.
    expect(() => again.openSubject(keyId, 'dev-1', 8, sealed)).toThrow(expect.objectContaining({ code: 'DECRYPT_FAILED' }));
    await expect(openKeyring(store(path), new Uint8Array(randomBytes(32)))).rejects.toMatchObject({ code: 'MASTER_KEY_WRONG' });
    expect(() => loadMasterKey({ env: { IDKIOSK_SERVER_MASTER_KEY: 'short' } })).toThrow(expect.objectContaining({ code: 'MASTER_KEY_INVALID' }));
    expect(() => loadMasterKey({ env: {} })).toThrow(expect.objectContaining({ code: 'MASTER_KEY_MISSING' }));
  });

  it('rotates: new records under the new set, old ones still open, every box key still heard', async () => {
    const dir = tempDir('idk-keys-rot-');
    const ring = await openKeyring(store(join(dir, 'ingest.sqlite')), loadMasterKey({ env: {}, createIn: dir }));
    const before = ring.sealSubject('d', 1, enc.encode('trước'));
    const oldBox = ring.current.boxSecretKey;
    const k2 = await ring.rotate();
    const after = ring.sealSubject('d', 2, enc.encode('sau'));
    expect(after.keyId).toBe(k2.keyId);
    expect(before.keyId).not.toBe(k2.keyId);
    expect(new TextDecoder().decode(ring.openSubject(before.keyId, 'd', 1, before.sealed))).toBe('trước');
    expect(new TextDecoder().decode(ring.openSubject(after.keyId, 'd', 2, after.sealed))).toBe('sau');
    expect(ring.boxSecretKeys().map(b64)).toEqual([b64(k2.boxSecretKey), b64(oldBox)]);
  });

  it("imports the older server's key file once, with the records it sealed", async () => {
    const dir = tempDir('idk-keys-legacy-');
    const path = join(dir, 'ingest.sqlite');
    // A database and key file as the reference server wrote them before keys moved into the database.
    const box = nacl.box.keyPair();
    const dataKey = nacl.randomBytes(32);
    writeFileDurably(join(dir, 'server-key.json'), JSON.stringify({ v: 1, boxSecretKey: b64(box.secretKey), dataKey: b64(dataKey) }), 0o600);
    const old = new Database(path);
    old.exec(`CREATE TABLE devices (device_id TEXT PRIMARY KEY, sign_pk BLOB NOT NULL, site TEXT NOT NULL, enrolled_at INTEGER NOT NULL, head_seq INTEGER NOT NULL DEFAULT 0, head_hash BLOB) STRICT;
      CREATE TABLE events (device_id TEXT NOT NULL REFERENCES devices(device_id), seq INTEGER NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL, hash BLOB NOT NULL, sig BLOB, subject BLOB NOT NULL, clock_flag TEXT, PRIMARY KEY (device_id, seq)) STRICT, WITHOUT ROWID;
      PRAGMA user_version = 1;`);
    old.prepare('INSERT INTO devices VALUES (?, ?, ?, ?, 1, ?)').run('dev-old', Buffer.alloc(32, 1), 'Quầy cũ', 1, Buffer.alloc(32, 2));
    const body = JSON.stringify({ site: 'Quầy cũ', result: 'rejected', auth: { passive: 'invalid', chip: 'valid', active: 'valid' } });
    old.prepare('INSERT INTO events VALUES (?, 1, ?, 5, 6, ?, ?, NULL, ?, NULL)').run('dev-old', '0190a0a0-0000-7000-8000-000000000000', body, Buffer.alloc(32, 2), sealField(dataKey, enc.encode('Trần Thị Cũ')));
    old.close();

    const db = store(path);
    const ring = await openKeyring(db, loadMasterKey({ env: {}, createIn: dir }), { legacyFile: join(dir, 'server-key.json') });
    expect(ring.all.map((k) => k.keyId)[0]).toBe(LEGACY_KEY_ID);
    expect(ring.current.keyId).not.toBe(LEGACY_KEY_ID); // new records get a fresh set
    expect(ring.boxSecretKeys().map(b64)).toContain(b64(box.secretKey)); // kiosks sealing to the old key are still heard
    const [row] = await db.events('dev-old');
    expect(row).toMatchObject({ keyId: LEGACY_KEY_ID, purgedAt: null });
    expect(new TextDecoder().decode(ring.openSubject(row!.keyId!, 'dev-old', 1, row!.subject!))).toBe('Trần Thị Cũ');
    // The fleet columns were filled from the stored bodies.
    const fleet = await db.fleet({ utcOffsetMinutes: 420, days: 36500, now: Date.now() });
    expect(fleet.perSite).toEqual([{ site: 'Quầy cũ', accepted: 0, rejected: 1, review: 0, invalid: 1 }]);
  });
});
