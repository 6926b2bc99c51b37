// Schema migrations for the kiosk's store, applied in order and recorded in PRAGMA
// user_version, all in one BEGIN IMMEDIATE transaction that also reads the version: a power
// cut during an upgrade leaves the old schema or the new one, and two processes opening a
// new store cannot both run step 1 ("table meta already exists"). Append new steps; never
// edit a shipped one.
import type Database from 'better-sqlite3';

export const MIGRATIONS: ((db: Database.Database) => void)[] = [
  // 1: events, outbox state, key-value metadata.
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE events (
        seq          INTEGER PRIMARY KEY,
        id           TEXT NOT NULL UNIQUE,
        at           INTEGER NOT NULL,
        body         TEXT NOT NULL,      -- canonical JSON, signed; holds no personal data
        hash         BLOB NOT NULL,
        sig          BLOB NOT NULL,
        subject      BLOB NOT NULL,      -- secretbox(data key, canonical Subject)
        delivered_at INTEGER             -- NULL until the server acknowledged it
      ) STRICT;
      CREATE INDEX events_delivered ON events(delivered_at) WHERE delivered_at IS NOT NULL;
    `);
  },
  // 2: events that could not be sealed or sent, set aside with the reason (outbox.ts).
  (db) => {
    db.exec(`
      CREATE TABLE quarantine (
        qid          INTEGER PRIMARY KEY,
        seq          INTEGER NOT NULL,   -- its place in the chain when it was set aside
        id           TEXT NOT NULL,
        at           INTEGER NOT NULL,
        body         TEXT NOT NULL,      -- as stored: the other columns are kept as they were too
        hash         BLOB NOT NULL,
        prev         BLOB NOT NULL,      -- the stored hash before it: a retry checks the body against both
        sig          BLOB NOT NULL,
        subject      BLOB NOT NULL,      -- still sealed under the device's data key
        code         TEXT NOT NULL,      -- why, as a stable code (SUBJECT_UNREADABLE, FOREIGN_DEVICE, …)
        reason       TEXT NOT NULL,
        set_aside_at INTEGER NOT NULL,
        attempts     INTEGER NOT NULL DEFAULT 0
      ) STRICT;
    `);
  },
  // 3: audit lines of the local identity service (offline-cache/audit.ts): one signed line per call, synced beside the events.
  (db) => {
    db.exec(`
      CREATE TABLE audit (
        id           TEXT PRIMARY KEY,   -- UUIDv7
        at           INTEGER NOT NULL,
        line         TEXT NOT NULL,      -- canonical JSON, signed; who called, what, the outcome; nothing personal
        sig          BLOB NOT NULL,
        delivered_at INTEGER
      ) STRICT;
      CREATE INDEX audit_pending ON audit(at) WHERE delivered_at IS NULL;
    `);
  },
];

export function migrate(db: Database.Database): { from: number; to: number } {
  return db
    .transaction(() => {
      const from = db.pragma('user_version', { simple: true }) as number;
      if (from > MIGRATIONS.length) {
        throw Object.assign(new Error(`store schema ${from} is newer than this program (${MIGRATIONS.length})`), { code: 'SCHEMA_TOO_NEW' });
      }
      for (let v = from; v < MIGRATIONS.length; v++) MIGRATIONS[v]!(db);
      if (from < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
      return { from, to: MIGRATIONS.length };
    })
    .immediate();
}
