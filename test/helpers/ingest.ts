// The reference ingest server in this process, on a real socket over a SQLite file: what the
// kiosk's sync client talks to in tests that need no child process.
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type ServerKeyring, loadMasterKey, openKeyring } from '../../offline-cache/sync/server-keys.js';
import type { ServerStore } from '../../offline-cache/sync/server-store.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { tempDir } from './cards.js';

export const INGEST_TOKEN = 'enrol-token-kiosk-sync';
export const OPERATOR_TOKEN = 'operator-token-kiosk-sync';

export interface Ingest {
  url: string;
  db: SqliteServerStore;
  dir: string;
  /** Idempotent; the folder keeps the data for a restart on the same port. */
  stop(): Promise<void>;
}

/** The server's key sets in `store`, under a master key kept in `dir` (so a restart on the same folder opens them again). */
export function keyringIn(store: ServerStore, dir: string): Promise<ServerKeyring> {
  return openKeyring(store, loadMasterKey({ env: {}, createIn: dir }));
}

/** The ingest server over one folder: stopped and started again on the same port it keeps its data. */
export async function ingest(dir = tempDir('idk-srv-'), port = 0, enrolToken = INGEST_TOKEN, now?: () => number): Promise<Ingest> {
  const db = new SqliteServerStore(join(dir, 'ingest.sqlite'));
  const server: Server = createSyncServer({ store: db, keys: await keyringIn(db, dir), enrolToken, operatorToken: OPERATOR_TOKEN, ...(now ? { now } : {}) });
  const url = await listen(server, port);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await db.close();
  };
  return { url, db, dir, stop };
}
