// The seam between the doctor and the local store. The doctor must look without changing
// anything: no key created, no migration run, nothing written. So it reads the SQLite file
// read-only with today's schema (offline-cache/migrations.ts) rather than opening the store.
// It also asks offline-cache whether device-key.json is the identity the store recorded
// (recordedKeyProblem, which never unseals) and counts the events set aside.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DB_FILE } from '../../offline-cache/store.js';
import { recordedKeyProblem } from '../../offline-cache/device-keys.js';
import type { IdkError } from '../../core/errors.js';

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
  /** Why device-key.json is not the identity the store recorded (KEY_MISSING, KEY_MISMATCH, KEY_FILE_CORRUPT); absent when it is, or none is recorded. */
  keyProblem?: IdkError;
  /** Why the file could not be read at all (SQLite's code), when it could not. */
  error?: string;
}

const RATE_DAYS = 7;

function meta(db: Database.Database, key: string): string | undefined {
  return (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

/** Reads the store read-only. `immutable=1` lets SQLite read a WAL database on a read-only disk, where it cannot create the -shm file. */
export function probeStore(dataDir: string, now: number): StoreProbe {
  const path = join(dataDir, DB_FILE);
  const none: StoreProbe = { path, exists: false, integrity: [], events: 0, unsent: 0, recent: { count: 0, days: RATE_DAYS }, enrolled: false, quarantined: { count: 0, codes: [] } };
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
    const deviceId = meta(db, 'device_id');
    const keyProblem = deviceId === undefined ? undefined : recordedKeyProblem(dataDir, { deviceId, signPublicKey: meta(db, 'device_sign_pk') });
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
      ...(keyProblem ? { keyProblem } : {}),
    };
  } catch (e) {
    return { ...none, exists: true, error: (e as { code?: string }).code ?? (e as Error).message };
  } finally {
    db.close();
  }
}
