// The seam between the doctor and the local store. The doctor must look without changing
// anything: no key created, no migration run, nothing written. So it reads the SQLite file
// read-only with today's schema (offline-cache/migrations.ts) rather than opening the store.
// It also compares the identity the store recorded (meta device_sign_pk) with device-key.json
// without unsealing anything, and counts the events set aside (offline-cache/quarantine.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE } from '../../offline-cache/store.js';
import { KEY_FILE } from '../../offline-cache/device-keys.js';

export interface StoreProbe {
  path: string;
  /** The database file is there (a fresh station has none until its first start). */
  exists: boolean;
  /** `PRAGMA integrity_check`'s lines: ['ok'] when sound. */
  integrity: string[];
  events: number;
  /** Recorded and not yet acknowledged by the server. */
  unsent: number;
  /** Verifications recorded in the `days` before now, for the rate. */
  recent: { count: number; days: number };
  /** Bytes a stored event takes on disk, on average (database size / events), when there are events. */
  bytesPerEvent?: number;
  /** The server the store is enrolled with (meta server_url), and whether it holds that server's key. */
  serverUrl?: string;
  enrolled: boolean;
  /** Events set aside because they could not be sealed or sent, and their reason codes. */
  quarantined: { count: number; codes: string[] };
  /** The store's recorded identity against device-key.json: missing key file, or another device's key. */
  identity: 'ok' | 'key-missing' | 'key-mismatch' | 'not-recorded';
  /** Why the file could not be read at all (SQLite's code), when it could not. */
  error?: string;
}

const RATE_DAYS = 7;

function meta(db: Database.Database, key: string): string | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

function identityOf(dataDir: string, id: string | undefined, pk: string | undefined): StoreProbe['identity'] {
  if (id === undefined || pk === undefined) return 'not-recorded';
  let key: { deviceId?: string; signPublicKey?: string };
  try {
    key = JSON.parse(readFileSync(join(dataDir, KEY_FILE), 'utf8')) as typeof key;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'key-missing' : 'key-mismatch';
  }
  return key.deviceId === id && key.signPublicKey === pk ? 'ok' : 'key-mismatch';
}

/** Reads the store read-only. `immutable=1` lets SQLite read a WAL database on a read-only disk, where it cannot create the -shm file. */
export function probeStore(dataDir: string, now: number): StoreProbe {
  const path = join(dataDir, DB_FILE);
  const none: StoreProbe = { path, exists: false, integrity: [], events: 0, unsent: 0, recent: { count: 0, days: RATE_DAYS }, enrolled: false, quarantined: { count: 0, codes: [] }, identity: 'not-recorded' };
  if (!existsSync(path)) return none;
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    // A read-only folder cannot hold the -shm file a WAL reader needs: read the file as it is on disk.
    try {
      db.prepare('SELECT 1 FROM sqlite_master LIMIT 1').get();
    } catch {
      db.close();
      db = new Database(`file:${encodeURI(path)}?immutable=1`, { readonly: true, fileMustExist: true });
    }
  } catch (e) {
    return { ...none, exists: true, error: (e as { code?: string }).code ?? (e as Error).message };
  }
  try {
    const integrity = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    const events = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const head = Number(meta(db, 'head_seq') ?? 0);
    const acked = Number(meta(db, 'ack_seq') ?? 0);
    const first = (db.prepare('SELECT MIN(at) AS at FROM events').get() as { at: number | null }).at;
    // A store younger than the window: its own age (at least a day) is the window.
    const days = first === null ? RATE_DAYS : Math.min(RATE_DAYS, Math.max(1, (now - first) / 86_400_000));
    const count = (db.prepare('SELECT COUNT(*) AS n FROM events WHERE at >= ?').get(now - days * 86_400_000) as { n: number }).n;
    const size = statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
    const serverUrl = meta(db, 'server_url');
    const hasQuarantine = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quarantine'").get() !== undefined;
    const aside = hasQuarantine ? (db.prepare('SELECT code FROM quarantine ORDER BY qid').all() as Array<{ code: string }>).map((r) => r.code) : [];
    return {
      path,
      exists: true,
      integrity,
      events,
      unsent: head - acked,
      recent: { count, days },
      ...(events > 0 ? { bytesPerEvent: size / events } : {}),
      ...(serverUrl ? { serverUrl } : {}),
      enrolled: Boolean(serverUrl && meta(db, 'server_box_key')),
      quarantined: { count: aside.length, codes: [...new Set(aside)] },
      identity: identityOf(dataDir, meta(db, 'device_id'), meta(db, 'device_sign_pk')),
    };
  } catch (e) {
    return { ...none, exists: true, error: (e as { code?: string }).code ?? (e as Error).message };
  } finally {
    db.close();
  }
}
