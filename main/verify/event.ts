// One verification as the signed event the store keeps (offline-cache/events.ts), the same
// for the kiosk's confirm and `read --record`: who read what where and with which reader,
// the stored outcome of the one decision rule (policy.ts), authenticity, access and the
// biometric facts. Only what identifies the person (document and ID number, name, date of
// birth) goes in, and the store seals it; the rest of DG13 and the face never reach it.
import { hostname, userInfo } from 'node:os';
import type { BiometricRecord, CheckOutcome, VerificationInput } from '../../offline-cache/events.js';
import type { BiometricView, Decision, QrCheckView } from '../api/contract.js';
import { storedOutcome } from './policy.js';
import type { ReadReport } from './report.js';

/** One decided verification, as the kiosk and the CLI hand it to a store. */
export interface VerificationRecord {
  id: string;
  at: string;
  report: ReadReport;
  decision: Decision;
  biometric: BiometricView;
  /** The reader that read the chip (pcscd's name, or the software chip's). */
  reader: string;
  /** Present when a scanned QR opened the chip: where it came from and where it disagreed with the chip. */
  qr?: QrCheckView;
  /** What staff added: the checks made before confirming a review, or an override of a reject (reason typed, PIN given). */
  staff?: { checked?: string[]; override?: string };
}

/** Where and by whom: default $IDKIOSK_SITE / the host name, $IDKIOSK_OPERATOR / the login name. */
export interface Who {
  site?: string;
  operator?: string;
}

/**
 * What the event keeps of the biometric check: method, matcher, score, threshold, decision,
 * quality codes and whether liveness was checked (never image, template or embedding).
 */
function biometricRecord(b: BiometricView): BiometricRecord | undefined {
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
function accessRecord(access: string, qr: QrCheckView | undefined): string {
  if (!qr) return access;
  return `${access}+QR${qr.mismatches.length > 0 ? '-MISMATCH' : ''}`;
}

export function verificationEvent(v: VerificationRecord, who: Who = {}): VerificationInput {
  const report = v.report;
  const d = report.document;
  const fullName = report.vn?.fullName ?? [d.surname, d.givenNames].filter(Boolean).join(' ');
  return {
    site: who.site ?? process.env.IDKIOSK_SITE ?? hostname(),
    operator: who.operator ?? process.env.IDKIOSK_OPERATOR ?? userInfo().username,
    reader: v.reader,
    document: { type: d.documentType.replace(/<+$/, '') || d.documentType, issuingState: d.issuingState, number: d.documentNumber, dateOfExpiry: d.dateOfExpiry || undefined },
    holder: { idNumber: report.vn?.idNumber || undefined, fullName: fullName || undefined, dateOfBirth: d.dateOfBirth || undefined },
    // An override is a person accepting against the rule: the event says what happened to the
    // holder (accepted) and carries the reason; the red authenticity beside it shows why it was one.
    result: v.staff?.override ? 'accepted' : storedOutcome(v.decision),
    authenticity: { passive: report.authenticity.passive as CheckOutcome, chip: report.authenticity.chip as CheckOutcome, active: report.authenticity.active as CheckOutcome },
    access: accessRecord(report.access, v.qr),
    biometric: biometricRecord(v.biometric) ?? { method: 'none', score: null },
    ...(v.staff ? { staff: { ...v.staff } } : {}),
  };
}
