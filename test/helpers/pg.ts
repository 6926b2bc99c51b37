// The PostgreSQL the server tests run against (.ci/services.d/postgres.sh exports its URL),
// reached or a clear failure naming what to install, and emptied of our tables.
import pg from 'pg';
import { dropSchemaSql } from '../../offline-cache/sync/server-store-postgres.js';

export const URL_PG = process.env.IDKIOSK_TEST_PG_URL ?? 'postgres://idkiosk:idkiosk@127.0.0.1:54329/idkiosk_test';

/** A fixed master key for the server children of one test run (every node must share it). */
export const TEST_MASTER_KEY = Buffer.alloc(32, 0x5a).toString('base64');

export async function pgClient(url = URL_PG): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${url} (${(e as Error).message}): install Debian's "postgresql" package and run "source .ci/services.d/postgres.sh" (it starts a cluster and exports IDKIOSK_TEST_PG_URL)`,
      { cause: e },
    );
  }
  return c;
}

/** Drops every table of the ingest server, so a test starts from an empty database. */
export async function resetServerTables(url = URL_PG): Promise<void> {
  const c = await pgClient(url);
  try {
    await c.query(dropSchemaSql());
  } finally {
    await c.end();
  }
}
