// From a CCCD QR to an open chip: the CAN first (PACE), then the MRZ key candidates for
// chips or readers that only do BAC, and afterwards the comparison of what the QR says with
// what the chip says. A QR proves nothing by itself: anyone can print one. Only the chip
// read (and its passive authentication) decides; a mismatch is reported, never resolved.
import type { Transport } from '../../drivers/apdu/apdu.js';
import { IdkError, isIdkError } from '../../core/errors.js';
import type { MrzKey } from '../../drivers/emrtd/bac.js';
import { type AccessKey, type RawDocument, type ReadDocumentOptions, readDocument } from '../../drivers/emrtd/read-document.js';
import { type MrzCandidate, bacCandidates, canFromIdNumber } from '../../drivers/qr/access-key.js';
import { type CccdQr, parseCccdQr } from '../../drivers/qr/cccd-qr.js';
import type { ReadReport } from './report.js';
import type { QrCheckView, QrSource } from '../api/contract.js';

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
      vi: `Mã QR không mở được thẻ đang đặt trên đầu đọc (đã thử ${tried} khóa suy ra từ mã QR; có thể là mã QR của thẻ khác): hãy nhập CAN (6 số) hoặc dòng MRZ ở mặt sau thẻ.`,
      en: `The QR code did not open the card on the reader (${tried} key(s) derived from it tried; it may belong to another card): enter the CAN (6 digits) or the MRZ from the back of the card.`,
    },
    { detail: { tried } },
  );
}

/**
 * The order in which a QR's keys are tried, shared by `read --qr` and the kiosk pipeline:
 * PACE with the CAN first; BAC with each MRZ candidate only when the chip has no PACE
 * (`PACE_REQUIRED`), since a PACE chip that refuses the CAN means the QR is not this card's.
 * BAC has no retry counter, so wrong guesses cost only time. `attempt` opens the chip with
 * one key on a fresh session (`bac`: force BAC); a refusal moves on, anything else (card
 * removed, reader gone) ends the search at once.
 */
export async function openWithQrKeys<T>(
  keys: Pick<QrAccess, 'access' | 'bac'>,
  attempt: (access: AccessKey, bac: boolean) => Promise<T>,
  opts: { preferPace?: boolean } = {},
): Promise<{ value: T; openedWith: OpenedWith }> {
  let tried = 0;
  if (opts.preferPace !== false) {
    tried++;
    try {
      return { value: await attempt(keys.access, false), openedWith: { kind: 'can', can: (keys.access as { can: string }).can } };
    } catch (e) {
      if (isIdkError(e, 'ACCESS_DENIED')) throw noKeyOpened(tried);
      if (!isIdkError(e, 'PACE_REQUIRED')) throw e;
    }
  }
  for (const [i, c] of keys.bac.entries()) {
    tried++;
    try {
      const value = await attempt({ kind: 'mrz', key: c.key }, true);
      return { value, openedWith: { kind: 'mrz', key: c.key, rule: c.rule, inferred: c.inferred, attempt: i + 1 } };
    } catch (e) {
      if (!isIdkError(e, 'ACCESS_DENIED')) throw e;
    }
  }
  throw noKeyOpened(tried);
}

/** One line for the screen: which of the QR's keys opened the chip. */
export function openedWithLabel(o: OpenedWith): string {
  return o.kind === 'can' ? 'QR → CAN' : `QR → MRZ, ${o.rule}${o.inferred ? ' (inferred)' : ''}`;
}

/**
 * One read opened from a QR: PACE with the CAN when the chip offers PACE, otherwise BAC with
 * each MRZ candidate in turn (`openWithQrKeys`). `transport` is called once per attempt (a
 * real reader: the same card handle; a failed mutual authentication leaves the chip waiting
 * for a new one). Says which key opened it.
 */
export async function readWithQr(
  transport: () => Transport | Promise<Transport>,
  text: string,
  opts: Omit<ReadDocumentOptions, 'access'> = {},
): Promise<{ raw: RawDocument; openedWith: OpenedWith; qr: CccdQr }> {
  const keys = accessFromQr(text);
  const { value: raw, openedWith } = await openWithQrKeys(
    keys,
    async (access, bac) => readDocument(await transport(), { ...opts, ...(bac ? { preferPace: false } : {}), access }),
    opts,
  );
  return { raw, openedWith, qr: keys.qr };
}

export type QrField = 'idNumber' | 'oldIdNumber' | 'fullName' | 'dateOfBirth' | 'sex' | 'placeOfResidence' | 'dateOfIssue' | 'documentNumber';

interface QrMismatch {
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

/** What the screen and the decision get of a QR read: which key opened the chip, which fields disagree (no values). */
export function qrCheckView(qr: CccdQr, openedWith: OpenedWith, source: QrSource, report: Pick<ReadReport, 'document' | 'vn'>): QrCheckView {
  const o = openedWith;
  return {
    source,
    opened: o.kind === 'can' ? { kind: 'can' } : { kind: 'mrz', rule: o.rule, inferred: o.inferred, attempt: o.attempt },
    mismatches: compareQrWithChip(qr, report).mismatches.map((m) => ({ field: m.field, source: m.source })),
  };
}
