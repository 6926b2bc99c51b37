// The kiosk's plug for the local store: on confirm each verification becomes one signed,
// chained event (offline-cache), and the status screen reads the queue from the same store.
import { type LocalStore, getMeta, stmt } from '../offline-cache/store.js';
import { queueCounts, recordVerification } from '../offline-cache/outbox.js';
import type { Decision, StatusView } from './api/contract.js';
import type { StoreStatus } from './kiosk.js';
import { type RecordOptions, verificationFromReport } from './record.js';
import type { Recorder } from './verify/pipeline.js';

const OUTCOME = { accept: 'accepted', reject: 'rejected', review: 'review' } as const satisfies Record<Decision, string>;

/** A sync that succeeded this recently means the link is good; older means weak; none means down. */
const GOOD_MS = 10 * 60_000;
const WEAK_MS = 6 * 60 * 60_000;

export function storeRecorder(store: LocalStore, who: Pick<RecordOptions, 'site' | 'operator' | 'reader'> = {}): Recorder & StoreStatus {
  return {
    async record(v) {
      const biometric = v.biometric.status === 'not-available' ? undefined : { method: v.biometric.method, score: v.biometric.score };
      // Synchronous and fsynced: when this returns, a power cut no longer loses the event.
      const ev = recordVerification(store, verificationFromReport(v.report, { ...who, result: OUTCOME[v.decision], biometric }));
      return { eventId: ev.id };
    },
    async status(): Promise<Extract<StatusView['store'], { available: true }>> {
      const counts = queueCounts(store);
      const lastOk = getMeta(store, 'last_sync_ok');
      const age = lastOk ? store.now() - Number(lastOk) : Infinity;
      const since = store.now() - 24 * 3600_000;
      const rows = stmt(store, 'SELECT at FROM events WHERE at >= ? ORDER BY at').all(since) as Array<{ at: number }>;
      const perHour = new Map<string, number>();
      for (const { at } of rows) {
        const hour = new Date(at - (at % 3600_000)).toISOString();
        perHour.set(hour, (perHour.get(hour) ?? 0) + 1);
      }
      return {
        available: true,
        queueDepth: counts.pending,
        lastSync: lastOk ? new Date(Number(lastOk)).toISOString() : null,
        link: age <= GOOD_MS ? 'good' : age <= WEAK_MS ? 'weak' : 'down',
        perHour: [...perHour].map(([hour, count]) => ({ hour, count })),
      };
    },
  };
}
