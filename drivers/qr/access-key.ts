// Access keys from a CCCD QR. The CAN (last 6 digits of the ID number) opens the chip with
// PACE and is tried first. For BAC-only chips or readers the MRZ key is derived: document
// number = last 9 digits of the ID number, date of birth from the QR, and the date of
// expiry, which the QR does not carry, from the date of issue and the renewal ages of the
// law the card was issued under. Sources and what is inferred: docs/qr.md.
import type { MrzKey } from '../emrtd/bac.js';
import type { CccdQr } from './cccd-qr.js';

/** The CAN of a CCCD chip: the last 6 digits of the 12-digit ID number. */
export function canFromIdNumber(idNumber: string): string {
  if (!/^\d{12}$/.test(idNumber)) throw new RangeError('CCCD ID number must be 12 digits');
  return idNumber.slice(-6);
}

/** Document number in the CCCD MRZ: the last 9 digits of the ID number (the first 3 are the province). */
export function documentNumberFromIdNumber(idNumber: string): string {
  if (!/^\d{12}$/.test(idNumber)) throw new RangeError('CCCD ID number must be 12 digits');
  return idNumber.slice(3);
}

type Law = 'law-59-2014' | 'law-26-2023';

/** Renewal ages: Law 59/2014/QH13 art. 21(1); Law 26/2023/QH15 art. 21(1). */
const RENEWAL_AGES: Record<Law, readonly number[]> = {
  'law-59-2014': [25, 40, 60],
  'law-26-2023': [14, 25, 40, 60],
};

/** Law 26/2023/QH15 takes effect on 2024-07-01 (art. 46); cards issued from then follow it. */
const LAW_2023_FROM = '2024-07-01';

/** The grace window of art. 21(2) of both laws: a card issued within 2 years before a renewal age lasts to the next one. */
const GRACE_YEARS = 2;

/**
 * What the MRZ of a card with no expiry ("Không thời hạn") holds. Inferred, not published:
 * see docs/qr.md. Tried as a candidate, never trusted without the chip's answer.
 */
export const NO_EXPIRY_MRZ = '991231';

export function lawAt(dateOfIssue: string): Law {
  return dateOfIssue >= LAW_2023_FROM ? 'law-26-2023' : 'law-59-2014';
}

/** The date a person born on `dob` turns `years`; 29 Feb falls on 28 Feb in common years (or 1 Mar, `leap: 'march'`). */
export function anniversary(dob: string, years: number, leap: 'feb28' | 'march' = 'feb28'): string {
  const y = Number(dob.slice(0, 4)) + years;
  let md = dob.slice(5);
  const isLeap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (md === '02-29' && !isLeap) md = leap === 'feb28' ? '02-28' : '03-01';
  return `${String(y).padStart(4, '0')}-${md}`;
}

/**
 * The date of expiry (ISO 8601) of a card issued on `issue` to a person born on `dob`,
 * or null for a card with no expiry. `graceDays` moves the grace window's start (0: the
 * law read literally; positive/negative probe the boundary's other reading).
 */
export function expiryFor(dob: string, issue: string, law: Law, opts: { graceDays?: number; leap?: 'feb28' | 'march' } = {}): string | null {
  for (const age of RENEWAL_AGES[law]) {
    const due = anniversary(dob, age, opts.leap);
    if (issue >= due) continue;
    let graceStart = anniversary(dob, age - GRACE_YEARS, opts.leap);
    if (opts.graceDays) graceStart = addDays(graceStart, opts.graceDays);
    if (issue >= graceStart) continue;
    return due;
  }
  return null;
}

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function yymmdd(iso: string): string {
  return iso.slice(2, 4) + iso.slice(5, 7) + iso.slice(8, 10);
}

export interface MrzCandidate {
  key: MrzKey;
  /** ISO 8601, or null for a card with no expiry (the MRZ then gets NO_EXPIRY_MRZ). */
  expiry: string | null;
  /** Which rule produced it, for the "which key opened the chip" line. */
  rule: string;
  /** True when the rule is our reading rather than published text. */
  inferred: boolean;
}

/**
 * BAC keys for a CCCD, most likely first: the law in force at issue read literally; then the
 * grace window's boundary read a month either way (issuing offices count from the application
 * date, which precedes the issue date); then the other law's ages; then the 1 March reading of
 * a 29 February birthday. Duplicates are dropped, so a typical card yields one to three keys.
 */
export function bacCandidates(qr: Pick<CccdQr, 'idNumber' | 'dateOfBirth' | 'dateOfIssue'>): MrzCandidate[] {
  const documentNumber = documentNumberFromIdNumber(qr.idNumber);
  const dateOfBirth = yymmdd(qr.dateOfBirth);
  const law = lawAt(qr.dateOfIssue);
  const other: Law = law === 'law-59-2014' ? 'law-26-2023' : 'law-59-2014';
  const tries: { expiry: string | null; rule: string; inferred: boolean }[] = [
    { expiry: expiryFor(qr.dateOfBirth, qr.dateOfIssue, law), rule: `${law}, renewal ages ${RENEWAL_AGES[law].join('/')}`, inferred: false },
    { expiry: expiryFor(qr.dateOfBirth, qr.dateOfIssue, law, { graceDays: -31 }), rule: `${law}, grace window counted a month earlier`, inferred: true },
    { expiry: expiryFor(qr.dateOfBirth, qr.dateOfIssue, law, { graceDays: 31 }), rule: `${law}, grace window counted a month later`, inferred: true },
    { expiry: expiryFor(qr.dateOfBirth, qr.dateOfIssue, other), rule: `${other}, renewal ages ${RENEWAL_AGES[other].join('/')}`, inferred: true },
  ];
  if (qr.dateOfBirth.endsWith('-02-29')) {
    tries.push({ expiry: expiryFor(qr.dateOfBirth, qr.dateOfIssue, law, { leap: 'march' }), rule: `${law}, 29 February birthday on 1 March`, inferred: true });
  }
  const out: MrzCandidate[] = [];
  const seen = new Set<string>();
  for (const t of tries) {
    const dateOfExpiry = t.expiry === null ? NO_EXPIRY_MRZ : yymmdd(t.expiry);
    if (seen.has(dateOfExpiry)) continue;
    seen.add(dateOfExpiry);
    out.push({
      key: { documentNumber, dateOfBirth, dateOfExpiry },
      expiry: t.expiry,
      rule: t.expiry === null ? `${t.rule}: no expiry, MRZ ${NO_EXPIRY_MRZ}` : t.rule,
      inferred: t.inferred || t.expiry === null,
    });
  }
  return out;
}
