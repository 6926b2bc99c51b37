// The kiosk's local store: one SQLite file (better-sqlite3) in WAL mode, reached only
// through this module and outbox.ts / retention.ts.
//
// Durability: synchronous=FULL. In WAL mode that fsyncs the WAL on every commit, so a
// verification the clerk saw as recorded survives a power cut the moment after. With
// better-sqlite3's default for WAL (NORMAL) the WAL is only synced at checkpoints: an
// application crash loses nothing, but a power cut can roll back the last commits.
// The cost of FULL is one fsync per event; `npm run bench sync` measures it.
//
// One store, one writer, one identity: opening takes an exclusive lock on `store.lock`
// (waiting `lockWaitMs`, then STORE_BUSY), so two processes opening a fresh folder can no
// longer each make a device key; the store records its key's id and public half and is
// refused (KEY_MISSING / KEY_MISMATCH) with any other key. A read-only open (queue status,
// doctor) takes no lock and never writes, so it works beside a running kiosk.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { IdkError, isIdkError } from '../core/errors.js';
import { type DeviceKeys, type KeyOptions, bindDeviceKeys } from './device-keys.js';
import { MIGRATIONS, migrate } from './migrations.js';

export const DB_FILE = 'events.sqlite';
const LOCK_FILE = 'store.lock';

export interface StoreOptions extends KeyOptions {
  dataDir: string;
  /** Delivered events are kept this long (ms) for local audit, then purged. Default 7 days. */
  retentionMs?: number;
  /** Undelivered events allowed before recording is refused (never dropped). Default 200,000. */
  queueLimit?: number;
  /** Free bytes the store keeps on its disk; below this, recording is refused. Default 16 MiB. */
  diskReserveBytes?: number;
  /** Only for the benchmark's comparison: the durable setting is the default. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long to wait for another process to close the store before STORE_BUSY. Default 3 s. */
  lockWaitMs?: number;
  /** Read without the lock and without writing (status, doctor); recording is then refused. */
  readOnly?: boolean;
  now?: () => number;
}

export interface LocalStore {
  dataDir: string;
  dbPath: string;
  db: Database.Database;
  keys: DeviceKeys;
  retentionMs: number;
  queueLimit: number;
  diskReserveBytes: number;
  readOnly: boolean;
  now: () => number;
  close(): void;
}

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/** A prepared statement, compiled once per connection (recording is on the clerk's path). */
export function stmt(store: { db: Database.Database }, sql: string): Database.Statement {
  let m = statements.get(store.db);
  if (!m) statements.set(store.db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = store.db.prepare(sql)));
  return st;
}

export const DEFAULTS = { retentionMs: 7 * 24 * 3600_000, queueLimit: 200_000, diskReserveBytes: 16 * 1024 * 1024, lockWaitMs: 3000 };

/** SQLite's failures as errors a clerk can act on; anything else passes through. */
export function storeError(e: unknown, path: string): unknown {
  if (isIdkError(e)) return e;
  const code = (e as { code?: string })?.code ?? '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new IdkError(
      'STORE_FULL',
      {
        vi: `Ổ đĩa chứa kho sự kiện đã đầy (${path}): kết quả này CHƯA được lưu. Giải phóng dung lượng hoặc gọi kỹ thuật; các bản ghi đã lưu vẫn an toàn.`,
        en: `The disk holding the event store is full (${path}): this result was NOT recorded. Free some space or call support; records already stored are safe.`,
      },
      { cause: e },
    );
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return new IdkError(
      'STORE_CORRUPT',
      { vi: `Kho sự kiện bị hỏng (${path}): không ghi thêm; gọi kỹ thuật.`, en: `The event store is damaged (${path}): nothing more is written; call support.` },
      { cause: e },
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new IdkError('STORE_BUSY', { vi: `Kho sự kiện đang bận (${path}): thử lại.`, en: `The event store is busy (${path}): try again.` }, { cause: e });
  }
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_READONLY') || code === 'SCHEMA_TOO_NEW') {
    return new IdkError(
      'STORE_UNAVAILABLE',
      { vi: `Không ghi được vào kho sự kiện (${path}): kiểm tra ổ đĩa và quyền thư mục.`, en: `Cannot write to the event store (${path}): check the disk and folder permissions.` },
      { cause: e, detail: { sqlite: code } },
    );
  }
  return e;
}

export function openDatabase(path: string, synchronous: 'FULL' | 'NORMAL' = 'FULL', readonly = false): Database.Database {
  const db = new Database(path, { timeout: 10_000, readonly, fileMustExist: readonly });
  try {
    if (readonly) return db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    // Bounded WAL after a checkpoint, so a long offline stretch does not leave a huge file.
    db.pragma('journal_size_limit = 8388608');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Creates `path` 0600 if it is missing and takes group and other bits off an existing one
 * (stores made before this were 0644). SQLite gives -wal and -shm the database's own mode.
 */
function privateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  if (process.platform !== 'win32') chmodSync(path, 0o600);
}

function storeInUse(dataDir: string, cause: unknown): IdkError {
  return new IdkError(
    'STORE_BUSY',
    {
      vi: `Kho sự kiện ${dataDir} đang được một tiến trình idkiosk khác mở (kiosk đang chạy?): đóng tiến trình đó rồi thử lại, hoặc dùng "idkiosk queue status" để chỉ xem.`,
      en: `The event store ${dataDir} is open in another idkiosk process (is the kiosk running?): close it and retry, or use "idkiosk queue status" to look only.`,
    },
    { cause, detail: { dataDir } },
  );
}

/**
 * The store's writer lock: an SQLite file held in EXCLUSIVE locking mode. The lock is the
 * operating system's (POSIX advisory locks), so it goes with the process, even on kill -9.
 * The wait is ours, not SQLite's busy handler: with several waiters SQLite may refuse at
 * once to avoid a deadlock, and a connection in EXCLUSIVE mode keeps any shared lock it got
 * on a failed try, so each try uses a fresh connection. Node has no flock; SQLite is here.
 */
function lockStore(dataDir: string, waitMs: number): Database.Database {
  const path = join(dataDir, LOCK_FILE);
  privateFile(path);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const lock = new Database(path, { timeout: 0 });
    try {
      lock.pragma('locking_mode = EXCLUSIVE');
      lock.exec('BEGIN EXCLUSIVE; COMMIT;');
      return lock;
    } catch (e) {
      lock.close();
      const code = (e as { code?: string })?.code ?? '';
      if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') throw storeError(e, path);
      if (Date.now() >= deadline) throw storeInUse(dataDir, e);
      // Synchronous on purpose: opening a store is synchronous. Jittered so waiters do not march in step.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.floor(Math.random() * 20));
    }
  }
}

export function openLocalStore(opts: StoreOptions): LocalStore {
  const dataDir = opts.dataDir;
  const dbPath = join(dataDir, DB_FILE);
  // A read-only look needs a store of the current schema; anything else opens for writing.
  const readOnly = opts.readOnly === true && existsSync(dbPath) && schemaIsCurrent(dbPath);
  if (!readOnly) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lock = readOnly ? undefined : lockStore(dataDir, opts.lockWaitMs ?? DEFAULTS.lockWaitMs);
  let db: Database.Database | undefined;
  try {
    try {
      if (!readOnly) {
        privateFile(dbPath);
        // Left over from a crash of a version that made them 0644; new ones take the database's mode.
        for (const f of [`${dbPath}-wal`, `${dbPath}-shm`]) if (existsSync(f) && process.platform !== 'win32') chmodSync(f, 0o600);
      }
      db = openDatabase(dbPath, opts.synchronous, readOnly);
      if (!readOnly) migrate(db);
    } catch (e) {
      throw storeError(e, dbPath);
    }
    const keys = bindDeviceKeys(db, dataDir, { ...opts, readOnly });
    const conn = db;
    return {
      dataDir,
      dbPath,
      db: conn,
      keys,
      retentionMs: opts.retentionMs ?? DEFAULTS.retentionMs,
      queueLimit: opts.queueLimit ?? DEFAULTS.queueLimit,
      diskReserveBytes: opts.diskReserveBytes ?? DEFAULTS.diskReserveBytes,
      readOnly,
      now: opts.now ?? Date.now,
      close: () => {
        if (conn.open) conn.close();
        if (lock?.open) lock.close();
      },
    };
  } catch (e) {
    if (db?.open) db.close();
    lock?.close();
    throw e;
  }
}

function schemaIsCurrent(dbPath: string): boolean {
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.pragma('user_version', { simple: true }) as number) === MIGRATIONS.length;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

export function freeDiskBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export function getMeta(store: LocalStore, key: string): string | undefined {
  const row = stmt(store, 'SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

export function setMeta(store: LocalStore, key: string, value: string | number): void {
  stmt(store, 'INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, String(value));
}

export function deleteMeta(store: LocalStore, key: string): void {
  stmt(store, 'DELETE FROM meta WHERE key = ?').run(key);
}
