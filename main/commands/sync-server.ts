// `idkiosk sync-server [--port N] [--host H] [--db PATH|postgres://…] [--data-dir DIR] [--token T] [--operator-token T] …`:
// the reference ingest server.
import { IdkError, usageError } from '../../core/errors.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_RETENTION_DAYS, createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { parseLimits } from '../../offline-cache/sync/server-limits.js';
import { loadMasterKey, openKeyring } from '../../offline-cache/sync/server-keys.js';
import type { ServerStore } from '../../offline-cache/sync/server-store.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { PostgresServerStore } from '../../offline-cache/sync/server-store-postgres.js';
import type { Command } from './command.js';
import { defaultServerDir } from '../paths.js';

const isPostgres = (db: string): boolean => /^postgres(ql)?:\/\//.test(db);

/** The server's database; a failure to reach it is one clear line, never a stack trace. */
async function openServerStore(db: string): Promise<ServerStore> {
  try {
    return isPostgres(db) ? await PostgresServerStore.open(db) : new SqliteServerStore(db);
  } catch (e) {
    const where = db.replace(/\/\/[^@/]*@/, '//***@');
    throw new IdkError(
      'SERVER_DB_UNAVAILABLE',
      { vi: `Không mở được cơ sở dữ liệu của máy chủ ${where}: ${(e as Error).message}`, en: `Cannot open the server database ${where}: ${(e as Error).message}` },
      { cause: e },
    );
  }
}

/**
 * The database and its keyring, as a command opens them: the master key from the
 * environment or --master-key-file; a SQLite server without one keeps it in DATA_DIR/master.key.
 */
export async function openServerDatabase(values: { db?: string; 'data-dir'?: string; 'master-key-file'?: string }) {
  const dataDir = resolve(defaultServerDir(values['data-dir']));
  const db = values.db ?? join(dataDir, 'ingest.sqlite');
  if (!isPostgres(db)) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const master = loadMasterKey({ file: values['master-key-file'], createIn: isPostgres(db) ? undefined : dataDir });
  const store = await openServerStore(db);
  try {
    // A server-key.json from before keys moved into the database is imported once.
    const keys = await openKeyring(store, master, { legacyFile: join(dataDir, 'server-key.json') });
    return { store, keys, db, dataDir };
  } catch (e) {
    await store.close();
    throw e;
  }
}

export const syncServerCommand: Command = {
  name: ['sync-server'],
  usage: 'sync-server [--port N] [--host ADDR] [--db PATH|postgres://…] [--data-dir DIR] [--token TOKEN] [--operator-token T] [--master-key-file F] [--retention-days N] [--threads N] [--limit NAME=N …]',
  async run(argv, { lang }) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        'master-key-file': { type: 'string' },
        'operator-token': { type: 'string' },
        'retention-days': { type: 'string' },
        threads: { type: 'string' },
        limit: { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
      },
      strict: true,
    });
    const port = Number(values.port ?? 8787);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--port must be 0-65535', '--port phải từ 0 đến 65535');
    const token = values.token ?? process.env.IDKIOSK_ENROL_TOKEN ?? randomBytes(18).toString('base64url');
    const operatorToken = values['operator-token'] ?? process.env.IDKIOSK_OPERATOR_TOKEN ?? randomBytes(24).toString('base64url');
    if (operatorToken === token) throw usageError('the operator token must differ from the enrolment token', 'mã vận hành phải khác mã đăng ký thiết bị');
    const retentionDays = Number(values['retention-days'] ?? process.env.IDKIOSK_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
    if (!(retentionDays > 0)) throw usageError('--retention-days must be a positive number of days', '--retention-days phải là số ngày dương');
    // Threads that open and verify batches beside the main one (which talks HTTP and commits).
    const threads = Number(values.threads ?? Math.min(4, availableParallelism()));
    if (!Number.isInteger(threads) || threads < 0 || threads > 64) throw usageError('--threads must be 0-64', '--threads phải từ 0 đến 64');
    let limits;
    try {
      limits = parseLimits(values.limit ?? []);
    } catch (e) {
      throw usageError((e as Error).message, `${(e as Error).message} (giới hạn không hợp lệ)`);
    }
    const { store, keys, db } = await openServerDatabase(values);
    const server = createSyncServer({ store, keys, enrolToken: token, operatorToken, retentionDays, limits, prepareThreads: threads, log: values.quiet ? undefined : (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`) });
    const url = await listen(server, port, values.host ?? '127.0.0.1');
    const where = db.startsWith('postgres') ? db.replace(/\/\/[^@/]*@/, '//***@') : db;
    process.stdout.write(`${lang === 'vi' ? 'máy chủ nhận dữ liệu' : 'ingest server'}: ${url} (${store.kind}: ${where})\n`);
    if (values.token === undefined && process.env.IDKIOSK_ENROL_TOKEN === undefined) {
      process.stdout.write(`${lang === 'vi' ? 'mã đăng ký thiết bị' : 'device enrolment token'}: ${token}\n`);
    }
    if (values['operator-token'] === undefined && process.env.IDKIOSK_OPERATOR_TOKEN === undefined) {
      process.stdout.write(`${lang === 'vi' ? 'mã vận hành (trang /fleet, /stats)' : 'operator token (/fleet page, /stats)'}: ${operatorToken}\n`);
    }
    await new Promise<void>((done) => {
      const stop = (): void => {
        server.close(() => void store.close().then(done, done));
        server.closeAllConnections();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};
