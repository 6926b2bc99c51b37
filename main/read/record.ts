// `read … --record`: the verification `read` just made, decided by the one rule
// (main/verify/policy.ts: the CLI has no biometric step, so at best `review`), stored as a
// signed event in the local store exactly as the kiosk's confirm stores one.
import { randomBytes } from 'node:crypto';
import { type RecordedEvent, recordVerification } from '../../offline-cache/outbox.js';
import { type StoreOptions, openLocalStore } from '../../offline-cache/store.js';
import { defaultDataDir } from '../paths.js';
import { type VerificationRecord, type Who, verificationEvent } from '../verify/event.js';
import { qrAgreement, verdict } from '../verify/policy.js';
import type { ReadOutcome } from './run-read.js';

interface RecordOptions extends Who {
  dataDir?: string;
  store?: Omit<StoreOptions, 'dataDir'>;
}

/** The verification of one CLI read: no biometric step ran, so the biometric is `not-available`. */
export function cliVerification(read: Pick<ReadOutcome, 'report' | 'reader' | 'qr'>): VerificationRecord {
  const biometric = { status: 'not-available' } as const;
  const { decision } = verdict(read.report.authenticity, biometric.status, qrAgreement(read.qr?.view));
  return {
    id: randomBytes(12).toString('base64url'),
    at: new Date().toISOString(),
    report: read.report,
    decision,
    biometric,
    reader: read.reader,
    ...(read.qr ? { qr: read.qr.view } : {}),
  };
}

/**
 * Stores one verification durably (fsynced, signed, chained) and returns its sequence
 * number and id. Throws an IdkError (QUEUE_FULL, STORE_FULL, KEY_FILE_INSECURE, …) when it
 * could not: the caller must then tell the clerk the result was NOT recorded.
 */
export function recordRead(read: Pick<ReadOutcome, 'report' | 'reader' | 'qr'>, opts: RecordOptions = {}): RecordedEvent {
  const store = openLocalStore({ ...opts.store, dataDir: defaultDataDir(opts.dataDir) });
  try {
    return recordVerification(store, verificationEvent(cliVerification(read), opts));
  } finally {
    store.close();
  }
}
