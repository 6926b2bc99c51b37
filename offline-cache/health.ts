// The store at a glance, for `idkiosk queue status`, `idkiosk doctor` and the Status screen:
// identity, queue, what was set aside and why, and the alerts. `checkStore` opens the store
// read-only (no lock, no writes, so it works beside a running kiosk) and never throws: a
// missing or mismatched key becomes a critical problem in the answer.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isIdkError } from '../core/errors.js';
import { type QueueCounts, queueCounts } from './outbox.js';
import { type QuarantinedEvent, quarantined } from './quarantine.js';
import { type Alert, alerts } from './retention.js';
import { DB_FILE, type LocalStore, type StoreOptions, getMeta, openLocalStore } from './store.js';

export interface StoreHealth {
  deviceId: string;
  dataDir: string;
  keyProtection: string;
  counts: QueueCounts;
  queueLimit: number;
  /** Events set aside by the sender, oldest first, with their reasons. */
  quarantined: QuarantinedEvent[];
  server: string | null;
  lastSyncOk: number | null;
  lastSyncError: string | null;
  clockOffsetMs: number | null;
  alerts: Alert[];
}

export function storeHealth(store: LocalStore): StoreHealth {
  const num = (k: string): number | null => {
    const v = getMeta(store, k);
    return v === undefined ? null : Number(v);
  };
  return {
    deviceId: store.keys.deviceId,
    dataDir: store.dataDir,
    keyProtection: store.keys.protection,
    counts: queueCounts(store),
    queueLimit: store.queueLimit,
    quarantined: quarantined(store),
    server: getMeta(store, 'server_url') ?? null,
    lastSyncOk: num('last_sync_ok'),
    lastSyncError: getMeta(store, 'last_sync_error') ?? null,
    clockOffsetMs: num('clock_offset'),
    alerts: alerts(store),
  };
}

type StoreCheck =
  | { status: 'absent'; dataDir: string }
  | { status: 'ok'; health: StoreHealth }
  /** The store cannot be used (KEY_MISSING, KEY_MISMATCH, STORE_CORRUPT, …): recording is refused. */
  | { status: 'refused'; dataDir: string; code: string; vi: string; en: string };

export function checkStore(opts: StoreOptions): StoreCheck {
  if (!existsSync(join(opts.dataDir, DB_FILE))) return { status: 'absent', dataDir: opts.dataDir };
  let store: LocalStore;
  try {
    store = openLocalStore({ ...opts, readOnly: true, lockWaitMs: opts.lockWaitMs ?? 0 });
  } catch (e) {
    if (isIdkError(e)) return { status: 'refused', dataDir: opts.dataDir, code: e.code, vi: e.messages.vi, en: e.messages.en };
    const m = (e as Error)?.message ?? String(e);
    return { status: 'refused', dataDir: opts.dataDir, code: 'STORE_UNAVAILABLE', vi: m, en: m };
  }
  try {
    return { status: 'ok', health: storeHealth(store) };
  } finally {
    store.close();
  }
}
