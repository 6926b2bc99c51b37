// Schema migrations for the kiosk's store, applied in order inside one transaction each and
// recorded in PRAGMA user_version, so a power cut during an upgrade leaves either the old
// schema or the new one. Append new steps; never edit a shipped one.
import type Database from 'better-sqlite3';

const MIGRATIONS: ((db: Database.Database) => void)[] = [
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
];

export function migrate(db: Database.Database): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from > MIGRATIONS.length) {
    throw Object.assign(new Error(`store schema ${from} is newer than this program (${MIGRATIONS.length})`), { code: 'SCHEMA_TOO_NEW' });
  }
  for (let v = from; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      MIGRATIONS[v]!(db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return { from, to: MIGRATIONS.length };
}
