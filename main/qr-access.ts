// From a CCCD QR to an open chip: the CAN first (PACE), then the MRZ key candidates for
// chips or readers that only do BAC, and afterwards the comparison of what the QR says with
// what the chip says. A QR proves nothing by itself: anyone can print one. Only the chip
// read (and its passive authentication) decides; a mismatch is reported, never resolved.
import type { Transport } from '../drivers/apdu/apdu.js';
import { IdkError, isIdkError } from '../drivers/apdu/errors.js';
import type { MrzKey } from '../drivers/emrtd/bac.js';
import { type AccessKey, type RawDocument, type ReadDocumentOptions, readDocument } from '../drivers/emrtd/read-document.js';
import { type MrzCandidate, bacCandidates, canFromIdNumber } from '../drivers/qr/access-key.js';
import { type CccdQr, parseCccdQr } from '../drivers/qr/cccd-qr.js';
import type { ReadReport } from './verify/report.js';

export interface QrAccess {
  /** What `read --qr` uses: the CAN, for PACE. */
  access: AccessKey;
  /** MRZ keys for BAC, most likely first. */
  bac: MrzCandidate[];
  /** The QR's fields, to compare with the chip after the read. */
  qr: CccdQr;
}

/** Parses a CCCD QR text (strictly; typed QR_* errors) into the keys that may open its chip. */
export function accessFromQr(text: string): QrAccess {
  const qr = parseCccdQr(text);
  return { access: { kind: 'can', can: canFromIdNumber(qr.idNumber) }, bac: bacCandidates(qr), qr };
}

export type OpenedWith = { kind: 'can'; can: string } | { kind: 'mrz'; key: MrzKey; rule: string; inferred: boolean; attempt: number };

function noKeyOpened(tried: number): IdkError {
  return new IdkError(
    'QR_KEY_NOT_FOUND',
    {
      vi: `Không mở được chip bằng khóa suy ra từ mã QR (đã thử ${tried} khóa): hãy nhập CAN (6 số) hoặc dòng MRZ ở mặt sau thẻ.`,
      en: `No key derived from the QR code opened the chip (${tried} tried): enter the CAN (6 digits) or the MRZ from the back of the card.`,
    },
    { detail: { tried } },
  );
}

/**
 * One read opened from a QR: PACE with the CAN when the chip offers PACE, otherwise BAC with
 * each MRZ candidate in turn (BAC has no retry counter, so wrong guesses cost only time).
 * `transport` is called once per attempt (a real reader: the same card handle; a failed
 * mutual authentication leaves the chip waiting for a new one). Says which key opened it.
 */
export async function readWithQr(
  transport: () => Transport | Promise<Transport>,
  text: string,
  opts: Omit<ReadDocumentOptions, 'access'> = {},
): Promise<{ raw: RawDocument; openedWith: OpenedWith; qr: CccdQr }> {
  const { access, bac, qr } = accessFromQr(text);
  if (opts.preferPace !== false) {
    try {
      const raw = await readDocument(await transport(), { ...opts, access });
      return { raw, openedWith: { kind: 'can', can: (access as { can: string }).can }, qr };
    } catch (e) {
      // Only "this chip has no PACE" moves on to BAC; a refused CAN on a PACE chip means the QR is not this card's.
      if (!isIdkError(e, 'PACE_REQUIRED')) throw e;
    }
  }
  for (const [i, c] of bac.entries()) {
    try {
      const raw = await readDocument(await transport(), { ...opts, preferPace: false, access: { kind: 'mrz', key: c.key } });
      return { raw, openedWith: { kind: 'mrz', key: c.key, rule: c.rule, inferred: c.inferred, attempt: i + 1 }, qr };
    } catch (e) {
      if (!isIdkError(e, 'ACCESS_DENIED')) throw e;
    }
  }
  throw noKeyOpened(bac.length);
}

export type QrField = 'idNumber' | 'oldIdNumber' | 'fullName' | 'dateOfBirth' | 'sex' | 'placeOfResidence' | 'dateOfIssue' | 'documentNumber';

export interface QrMismatch {
  field: QrField;
  /** Where on the chip the other value was read. */
  source: 'DG1' | 'DG13';
  /** Personal data: for the clerk's screen, never for logs. */
  qr: string | null;
  chip: string | null;
}

export interface QrComparison {
  /** True when every field both sides hold agrees. Still not proof: the chip's authenticity decides. */
  consistent: boolean;
  mismatches: QrMismatch[];
  /** Fields the chip did not hold (no DG13, or an empty entry), so they were not compared. */
  notCompared: QrField[];
}

function same(a: string, b: string): boolean {
  const norm = (s: string) => s.normalize('NFC').replace(/\s+/g, ' ').trim();
  return norm(a) === norm(b);
}

/** What the QR says against what the chip said (DG13 when read, DG1 always). */
export function compareQrWithChip(qr: CccdQr, report: Pick<ReadReport, 'document' | 'vn'>): QrComparison {
  const mismatches: QrMismatch[] = [];
  const notCompared: QrField[] = [];
  const check = (field: QrField, source: 'DG1' | 'DG13', q: string | null, chip: string | null | undefined) => {
    if (chip === null || chip === undefined || chip === '') {
      if (q !== null && source === 'DG13') notCompared.push(field);
      return;
    }
    if (q === null || !same(q, chip)) mismatches.push({ field, source, qr: q, chip });
  };
  const d = report.document;
  check('documentNumber', 'DG1', qr.idNumber.slice(3), d.documentNumber);
  const dg1Id = /^(\d{12})/.exec(d.optionalData)?.[1];
  if (dg1Id !== undefined) check('idNumber', 'DG1', qr.idNumber, dg1Id);
  check('dateOfBirth', 'DG1', qr.dateOfBirth, d.dateOfBirth);
  check('sex', 'DG1', qr.sex === 'Nam' ? 'M' : 'F', d.sex);
  const vn = report.vn;
  if (vn) {
    check('idNumber', 'DG13', qr.idNumber, vn.idNumber);
    check('fullName', 'DG13', qr.fullName, vn.fullName);
    check('dateOfBirth', 'DG13', qr.dateOfBirth, vn.dateOfBirth);
    check('sex', 'DG13', qr.sex, vn.sex);
    check('placeOfResidence', 'DG13', qr.placeOfResidence, vn.placeOfResidence);
    check('dateOfIssue', 'DG13', qr.dateOfIssue, vn.dateOfIssue);
    if (qr.oldIdNumber !== null || vn.oldIdNumber) check('oldIdNumber', 'DG13', qr.oldIdNumber, vn.oldIdNumber);
  } else {
    notCompared.push('fullName', 'placeOfResidence', 'dateOfIssue', 'oldIdNumber');
  }
  return { consistent: mismatches.length === 0, mismatches, notCompared: [...new Set(notCompared)] };
}
