// The kiosk's plug for the local store: on confirm each verification becomes one signed,
// chained event (offline-cache), and the status screen reads the queue from the same store.
import { type LocalStore, getMeta, stmt } from '../../offline-cache/store.js';
import { queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import type { BiometricView, Decision, QrCheckView, StatusView } from '../api/contract.js';
import type { BiometricRecord } from '../../offline-cache/events.js';
import type { StoreStatus } from './parts.js';
import { type RecordOptions, verificationFromReport } from '../read/record.js';
import type { Recorder } from '../verify/pipeline.js';

const OUTCOME = { accept: 'accepted', reject: 'rejected', review: 'review' } as const satisfies Record<Decision, string>;

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

/**
 * What the event keeps of the biometric check: method, matcher, score, threshold, decision,
 * quality codes and whether liveness was checked (never image, template or embedding).
 */
export function biometricRecord(b: BiometricView): BiometricRecord | undefined {
  // Why no comparison ran (FACE_SKIPPED by staff, CAMERA_NONE, NO_FACE…) is an audit fact, kept as a code beside the quality codes.
  const why = (codes: string[], reason: { code: string } | undefined) => [...new Set([...codes, ...(reason && /^[A-Z_]{1,32}$/.test(reason.code) ? [reason.code] : [])])];
  if (b.status === 'not-available') return b.reason ? { method: 'none', score: null, decision: 'not-available', quality: why([], b.reason) } : undefined;
  if (b.status === 'pending') return { method: b.method, score: null };
  const face = b.face ? { matcher: b.face.matcher, quality: b.face.quality.map((q) => q.code), liveness: b.face.liveness.checked } : {};
  if (b.status === 'not-compared') return { method: b.method, score: null, decision: 'not-compared', ...face, quality: why(face.quality ?? [], b.reason) };
  // Cosine similarity can dip below 0 in theory; the record keeps 0..1.
  const score = Math.min(1, Math.max(0, b.score));
  return { method: b.method, score, threshold: b.threshold, decision: b.face?.decision ?? (b.status === 'matched' ? 'match' : 'no-match'), ...face };
}

/**
 * The event's access method, with the QR that opened the chip: `PACE-GM+QR`, or
 * `PACE-GM+QR-MISMATCH` when the QR disagreed with the chip (why the decision became review).
 * Field names and values stay out: the chip's data is already in the event.
 */
export function accessRecord(access: string, qr: QrCheckView | undefined): string {
  if (!qr) return access;
  return `${access}+QR${qr.mismatches.length > 0 ? '-MISMATCH' : ''}`;
}

export function storeRecorder(store: LocalStore, who: Pick<RecordOptions, 'site' | 'operator' | 'reader'> = {}): Recorder & StoreStatus {
  return {
    async record(v) {
      const biometric = biometricRecord(v.biometric);
      // Synchronous and fsynced: when this returns, a power cut no longer loses the event.
      const base = verificationFromReport(v.report, { ...who, result: OUTCOME[v.decision], biometric });
      const ev = recordVerification(store, { ...base, access: accessRecord(base.access, v.qr) });
      return { eventId: ev.id };
    },
    async status(): Promise<Extract<StatusView['store'], { available: true }>> {
      const counts = queueCounts(store);
      const lastOk = getMeta(store, 'last_sync_ok');
      const lastErr = getMeta(store, 'last_sync_error_at');
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
        link: linkState(lastOk ? Number(lastOk) : undefined, lastErr ? Number(lastErr) : undefined, store.now()),
        perHour: [...perHour].map(([hour, count]) => ({ hour, count })),
      };
    },
  };
}
