// The one decision rule. Every entry that judges a verification — the kiosk's screen, its
// stored event, `read`'s verdict line, `read --record`, the local service — asks these
// functions and nothing else. The rule is written down as two tables in
// docs/authenticity.md ("The decision"), and test/unit/policy.test.ts holds these functions
// to those tables over every combination of their inputs.
import type { AuthenticityView, BiometricView, Decision, Level } from '../api/contract.js';
import type { ReadReport } from './report.js';

export type { Decision, Level } from '../api/contract.js';

/** What authenticity the read proved: the report's three checks and whether a data group failed its hash. */
export type AuthenticityFacts = Pick<ReadReport['authenticity'], 'passive' | 'chip' | 'active' | 'dataGroups'>;

type LevelReason = AuthenticityView['reason'];

/** Whether a scanned QR opened the chip, and if so whether it agreed with the chip. */
export type QrAgreement = 'none' | 'agrees' | 'differs';

/** The outcome a stored event carries (offline-cache/events.ts). */
type StoredOutcome = 'accepted' | 'review' | 'rejected';

/** True when the SOD's hash of some data group does not match what the chip gave (or the SOD omits it). */
function dataAltered(a: Pick<AuthenticityFacts, 'dataGroups'>): boolean {
  return Object.values(a.dataGroups).some((v) => v === 'mismatch' || v === 'not-in-sod');
}

/**
 * Red: something was proven wrong (altered data, a bad signature or chain, failed
 * anti-cloning). Green: the data chains to a trusted CSCA and the chip proved it is the
 * original (chip or active authentication): genuine data on a copied chip passes every
 * other check. Amber: nothing wrong found, something not proven.
 */
export function authenticityLevel(a: AuthenticityFacts): { level: Level; reason: LevelReason } {
  if (a.passive === 'invalid') return { level: 'red', reason: dataAltered(a) ? 'data-altered' : 'signature-invalid' };
  if (a.chip === 'invalid' || a.active === 'invalid') return { level: 'red', reason: 'clone-suspected' };
  if (a.passive === 'no-trust-anchor') return { level: 'amber', reason: 'no-trust-anchor' };
  if (a.passive === 'not-checked') return { level: 'amber', reason: 'not-checked' };
  if (a.chip !== 'valid' && a.active !== 'valid') return { level: 'amber', reason: 'chip-auth-pending' };
  return { level: 'green', reason: 'all-valid' };
}

/** Accept only what is proven (green, and the holder matched); reject what is disproven; a person looks at the rest. */
export function decide(level: Level, biometric: BiometricView['status'], qr: QrAgreement): Decision {
  if (level === 'red' || biometric === 'not-matched') return 'reject';
  if (level === 'green' && biometric === 'matched' && qr !== 'differs') return 'accept';
  return 'review';
}

const OUTCOME = { accept: 'accepted', review: 'review', reject: 'rejected' } as const satisfies Record<Decision, StoredOutcome>;

export function storedOutcome(d: Decision): StoredOutcome {
  return OUTCOME[d];
}

interface Verdict {
  level: Level;
  reason: LevelReason;
  decision: Decision;
  outcome: StoredOutcome;
}

/** Level, decision and stored outcome of one verification, in one call. */
export function verdict(a: AuthenticityFacts, biometric: BiometricView['status'], qr: QrAgreement): Verdict {
  const { level, reason } = authenticityLevel(a);
  const decision = decide(level, biometric, qr);
  return { level, reason, decision, outcome: storedOutcome(decision) };
}

export function qrAgreement(qr: { mismatches: readonly unknown[] } | undefined): QrAgreement {
  return qr === undefined ? 'none' : qr.mismatches.length > 0 ? 'differs' : 'agrees';
}
