// The kiosk's plug for the local store: on confirm each verification becomes one signed,
// chained event (offline-cache), and the status screen reads the queue from the same store.
import { type LocalStore, getMeta, stmt } from '../../offline-cache/store.js';
import { queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { quarantined } from '../../offline-cache/quarantine.js';
import type { StatusView } from '../api/contract.js';
import type { StoreStatus } from './parts.js';
import { type Who, verificationEvent } from '../verify/event.js';
import type { Recorder } from '../verify/pipeline.js';
import { todaysHistory } from './history.js';

/** A sync that succeeded this recently means the link is good; older means weak; none means down. */
const GOOD_MS = 10 * 60_000;
const WEAK_MS = 6 * 60 * 60_000;

/**
 * The link as the sync client last found it: its latest exchange failed = down; it works
 * again but failed within GOOD_MS = weak (flapping); otherwise by the age of the last
 * success (a running client checks in every poll interval, so an old success means
 * nothing has been heard from the server since).
 */
export function linkState(lastOkAt: number | undefined, lastErrorAt: number | undefined, now: number): 'good' | 'weak' | 'down' {
  if (lastOkAt === undefined) return 'down';
  if (lastErrorAt !== undefined && lastErrorAt >= lastOkAt) return 'down';
  if (lastErrorAt !== undefined && now - lastErrorAt <= GOOD_MS) return 'weak';
  const age = now - lastOkAt;
  return age <= GOOD_MS ? 'good' : age <= WEAK_MS ? 'weak' : 'down';
}

export function storeRecorder(store: LocalStore, who: Who = {}): Recorder & StoreStatus {
  return {
    async record(v) {
      // Synchronous and fsynced: when this returns, a power cut no longer loses the event.
      const ev = recordVerification(store, verificationEvent(v, who));
      return { eventId: ev.id };
    },
    history: (o) => todaysHistory(store, o),
    async status(): Promise<Extract<StatusView['store'], { available: true }>> {
      const counts = queueCounts(store);
      const aside = quarantined(store);
      const lastOk = getMeta(store, 'last_sync_ok');
      const lastErr = getMeta(store, 'last_sync_error_at');
      const since = store.now() - 24 * 3600_000;
      const rows = stmt(store, 'SELECT at FROM events WHERE at >= ? ORDER BY at').all(since) as Array<{ at: number }>;
      const perHour = new Map<string, number>();
      for (const { at } of rows) {
        // The start of the hour on this machine's clock (Asia/Ho_Chi_Minh in the field), as an instant:
        // the screen labels it in local time, and a zone with a half-hour offset still gets its own hours.
        const start = new Date(at);
        start.setMinutes(0, 0, 0);
        const hour = start.toISOString();
        perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
      }
      return {
        available: true,
        queueDepth: counts.pending,
        lastSync: lastOk ? new Date(Number(lastOk)).toISOString() : null,
        link: linkState(lastOk ? Number(lastOk) : undefined, lastErr ? Number(lastErr) : undefined, store.now()),
        perHour: [...perHour].map(([hour, count]) => ({ hour, count })),
        quarantined: { count: aside.length, codes: [...new Set(aside.map((q) => q.code))] },
      };
    },
  };
}
