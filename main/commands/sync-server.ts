// `idkiosk sync-server [--port N] [--host H] [--db PATH|postgres://…] [--data-dir DIR] [--token T]`:
// the reference ingest server.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { usageError } from '../read/run-read.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { parseLimits } from '../../offline-cache/sync/server-limits.js';
import { loadOrCreateServerKeys } from '../../offline-cache/sync/server-keys.js';
import type { ServerStore } from '../../offline-cache/sync/server-store.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { PostgresServerStore } from '../../offline-cache/sync/server-store-postgres.js';
import type { Command } from './command.js';

export async function openServerStore(db: string): Promise<ServerStore> {
  return /^postgres(ql)?:\/\//.test(db) ? PostgresServerStore.open(db) : new SqliteServerStore(db);
}

export const syncServerCommand: Command = {
  name: ['sync-server'],
  usage: 'sync-server [--port N] [--host ADDR] [--db PATH|postgres://…] [--data-dir DIR] [--token TOKEN] [--limit NAME=N …]',
  async run(argv, { lang }) {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        'data-dir': { type: 'string' },
        token: { type: 'string' },
        limit: { type: 'string', multiple: true },
        quiet: { type: 'boolean' },
      },
      strict: true,
    });
    const port = Number(values.port ?? 8787);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError('--port must be 0-65535', '--port phải từ 0 đến 65535');
    const dataDir = resolve(values['data-dir'] ?? 'idkiosk-server');
    const db = values.db ?? join(dataDir, 'ingest.sqlite');
    if (!db.startsWith('postgres')) {
      const { mkdirSync } = await import('node:fs');
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    }
    const keys = loadOrCreateServerKeys(join(dataDir, 'server-key.json'));
    const token = values.token ?? process.env.IDKIOSK_ENROL_TOKEN ?? randomBytes(18).toString('base64url');
    let limits;
    try {
      limits = parseLimits(values.limit ?? []);
    } catch (e) {
      throw usageError((e as Error).message, `${(e as Error).message} (giới hạn không hợp lệ)`);
    }
    const store = await openServerStore(db);
    const server = createSyncServer({ store, keys, enrolToken: token, limits, log: values.quiet ? undefined : (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`) });
    const url = await listen(server, port, values.host ?? '127.0.0.1');
    const where = db.startsWith('postgres') ? db.replace(/\/\/[^@/]*@/, '//***@') : db;
    process.stdout.write(`${lang === 'vi' ? 'máy chủ nhận dữ liệu' : 'ingest server'}: ${url} (${store.kind}: ${where})\n`);
    if (values.token === undefined && process.env.IDKIOSK_ENROL_TOKEN === undefined) {
      process.stdout.write(`${lang === 'vi' ? 'mã đăng ký thiết bị' : 'device enrolment token'}: ${token}\n`);
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
