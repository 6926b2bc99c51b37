// `read … --record`: turns the `read --json` report into a verification event in the local
// store. Only what identifies the person (document and ID number, name, date of birth) is
// kept, encrypted; the rest of DG13 and the face never reach the store.
import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { CheckOutcome, Outcome, VerificationInput } from '../../offline-cache/events.js';
import { type RecordedEvent, recordVerification } from '../../offline-cache/outbox.js';
import { type StoreOptions, openLocalStore } from '../../offline-cache/store.js';
import type { ReadReport } from '../verify/report.js';

/** --data-dir, else $IDKIOSK_DATA_DIR, else $XDG_DATA_HOME/idkiosk (~/.local/share/idkiosk). */
export function defaultDataDir(given?: string): string {
  return given ?? process.env.IDKIOSK_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'idkiosk');
}

export interface RecordOptions {
  dataDir?: string;
  /** Where and by whom: default $IDKIOSK_SITE / the host name, $IDKIOSK_OPERATOR / the login name. */
  site?: string;
  operator?: string;
  reader?: string;
  biometric?: VerificationInput['biometric'];
  /** Overrides the outcome derived from authenticity (e.g. the clerk's decision after a face check). */
  result?: Outcome;
  store?: Omit<StoreOptions, 'dataDir'>;
}

/** The decision a record carries when the caller gives none: any failed check rejects; a full pass accepts; anything unproven needs review. */
export function outcomeOf(a: ReadReport['authenticity']): Outcome {
  if (a.passive === 'invalid' || a.chip === 'invalid' || a.active === 'invalid') return 'rejected';
  if (a.passive === 'valid') return 'accepted';
  return 'review';
}

export function verificationFromReport(report: ReadReport, opts: RecordOptions = {}): VerificationInput {
  const d = report.document;
  const fullName = report.vn?.fullName ?? [d.surname, d.givenNames].filter(Boolean).join(' ');
  return {
    site: opts.site ?? process.env.IDKIOSK_SITE ?? hostname(),
    operator: opts.operator ?? process.env.IDKIOSK_OPERATOR ?? userInfo().username,
    reader: opts.reader ?? 'software-chip',
    document: { type: d.documentType.replace(/<+$/, '') || d.documentType, issuingState: d.issuingState, number: d.documentNumber, dateOfExpiry: d.dateOfExpiry || undefined },
    holder: { idNumber: report.vn?.idNumber || undefined, fullName: fullName || undefined, dateOfBirth: d.dateOfBirth || undefined },
    result: opts.result ?? outcomeOf(report.authenticity),
    authenticity: { passive: report.authenticity.passive as CheckOutcome, chip: report.authenticity.chip as CheckOutcome, active: report.authenticity.active as CheckOutcome },
    access: report.access,
    biometric: opts.biometric ?? { method: 'none', score: null },
  };
}

/**
 * Stores one verification durably (fsynced, signed, chained) and returns its sequence
 * number and id. Throws an IdkError (QUEUE_FULL, STORE_FULL, KEY_FILE_INSECURE, …) when it
 * could not: the caller must then tell the clerk the result was NOT recorded.
 */
export function recordReadReport(report: ReadReport, opts: RecordOptions = {}): RecordedEvent {
  const store = openLocalStore({ ...opts.store, dataDir: defaultDataDir(opts.dataDir) });
  try {
    return recordVerification(store, verificationFromReport(report, opts));
  } finally {
    store.close();
  }
}
