// The text of the QR code printed on a chip CCCD: seven fields separated by '|' (ID number,
// old ID number, full name, date of birth ddmmyyyy, sex, place of residence, date of issue
// ddmmyyyy); later card generations may append fields. Parsed strictly: the QR only opens
// the chip, so a wrong guess here must become a clear error, never a quiet half-result.
// Builder beside parser, so tests and the emulator share one definition of the text.
import { utf8 } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';

export interface CccdQr {
  /** Số định danh cá nhân: 12 digits. */
  idNumber: string;
  /** Số CMND cũ (9 digits, rarely 12), or null when the field is empty. */
  oldIdNumber: string | null;
  fullName: string;
  /** ISO 8601. */
  dateOfBirth: string;
  /** As written on the card: 'Nam' or 'Nữ'. */
  sex: 'Nam' | 'Nữ';
  placeOfResidence: string;
  /** ISO 8601. */
  dateOfIssue: string;
  /** Fields after the seventh, kept as read (later card generations). */
  extra: string[];
  /** Consistency notes that do not make the QR unreadable (e.g. ID number vs birth year). */
  warnings: string[];
}

/** Real CCCD QR texts are 100-300 characters; anything this long is not one. */
const MAX_QR_TEXT = 1024;
const MAX_FIELDS = 16;
const FIELDS = 7;

function foreign(): IdkError {
  return new IdkError('QR_FOREIGN', {
    vi: 'Mã QR này không phải mã QR của thẻ CCCD: hãy quét mã QR ở mặt trước thẻ căn cước.',
    en: 'This QR code is not a CCCD QR code: scan the QR code on the front of the ID card.',
  });
}

function truncated(fields: number): IdkError {
  return new IdkError(
    'QR_TRUNCATED',
    {
      vi: `Mã QR CCCD bị thiếu dữ liệu (${fields}/${FIELDS} trường): hãy quét lại, giữ thẻ yên và rõ nét.`,
      en: `The CCCD QR code is incomplete (${fields} of ${FIELDS} fields): scan it again, holding the card still and in focus.`,
    },
    { detail: { fields } },
  );
}

/** `what` names the field, never its value: QR text is personal data and must not reach logs. */
function malformedQr(whatEn: string, whatVi: string, detail?: Record<string, unknown>): IdkError {
  return new IdkError(
    'QR_MALFORMED',
    {
      vi: `Mã QR CCCD không hợp lệ (${whatVi}): thẻ có thể bị hỏng hoặc giả mạo; hãy nhập CAN hoặc MRZ.`,
      en: `The CCCD QR code is malformed (${whatEn}): the card may be damaged or forged; enter the CAN or MRZ instead.`,
    },
    detail === undefined ? undefined : { detail },
  );
}

function tooLong(length: number): IdkError {
  return new IdkError(
    'QR_TOO_LONG',
    {
      vi: `Mã QR quá dài (${length} ký tự) để là mã QR của thẻ CCCD.`,
      en: `The QR code is too long (${length} characters) to be a CCCD QR code.`,
    },
    { detail: { length } },
  );
}

export function badEncoding(cause?: unknown): IdkError {
  return new IdkError(
    'QR_BAD_ENCODING',
    {
      vi: 'Mã QR chứa dữ liệu không phải UTF-8 hợp lệ: hãy quét lại; nếu vẫn lỗi, nhập CAN hoặc MRZ.',
      en: 'The QR code holds bytes that are not valid UTF-8: scan it again; if it still fails, enter the CAN or MRZ.',
    },
    cause === undefined ? undefined : { cause },
  );
}

/** QR bytes to text: strict UTF-8 (no silent U+FFFD) and NFC, so comparisons with the chip hold. */
export function qrBytesToText(bytes: Uint8Array): string {
  if (bytes.length > MAX_QR_TEXT * 4) throw tooLong(bytes.length);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (e) {
    throw badEncoding(e);
  }
  return text.normalize('NFC');
}

// C0 and C1 controls, DEL, and the Unicode line/paragraph separators: none belong in a CCCD QR.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** ddmmyyyy to ISO 8601, or null when not a calendar date in 1900..2199. */
function ddmmyyyyToIso(s: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(s);
  if (!m) return null;
  const d = Number(m[1]);
  const mo = Number(m[2]);
  const y = Number(m[3]);
  if (y < 1900 || y > 2199 || mo < 1 || mo > 12 || d < 1) return null;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > days) return null;
  return `${m[3]}-${m[2]}-${m[1]}`;
}

function isoToDdmmyyyy(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw malformedQr('date is not YYYY-MM-DD', 'ngày không theo dạng YYYY-MM-DD');
  return `${m[3]}${m[2]}${m[1]}`;
}

// Circular 07/2016/TT-BCA art. 7: the 4th digit of the ID number codes century and sex
// (0/1 = male/female born 1900-1999, 2/3 = 2000-2099, 4/5 = 2100-2199), digits 5-6 the
// last two digits of the birth year.
function idNumberConsistency(id: string, dob: string, sex: 'Nam' | 'Nữ'): string[] {
  const code = Number(id[3]);
  const century = 1900 + 100 * Math.floor(code / 2);
  const female = code % 2 === 1;
  const year = century + Number(id.slice(4, 6));
  const out: string[] = [];
  if (code > 5 || year !== Number(dob.slice(0, 4))) out.push('ID number does not encode the date of birth\'s year');
  if (code <= 5 && female !== (sex === 'Nữ')) out.push('ID number does not encode the sex');
  return out;
}

const NAME = /^[\p{L}\p{M}]+(?:[ '-][\p{L}\p{M}]+)*$/u;

/** Does this text present itself as a CCCD QR (12 digits then '|')? Used to tell foreign codes apart. */
function looksLikeCccdQr(text: string): boolean {
  return /^\d{12}\|/.test(text);
}

export function parseCccdQr(input: string): CccdQr {
  if (input.length > MAX_QR_TEXT) throw tooLong(input.length);
  if (LONE_SURROGATE.test(input)) throw badEncoding();
  const text = input.normalize('NFC');
  if (!looksLikeCccdQr(text)) {
    // A 12-digit prefix cut short is a truncated read of a CCCD code, not a foreign one.
    if (/^\d{1,12}$/.test(text) && text.length >= 9) throw truncated(1);
    throw foreign();
  }
  if (CONTROL.test(text)) throw malformedQr('control characters in the text', 'có ký tự điều khiển');
  const f = text.split('|');
  if (f.length < FIELDS) throw truncated(f.length);
  if (f.length > MAX_FIELDS) throw malformedQr(`${f.length} fields`, `${f.length} trường`, { fields: f.length });
  const [idNumber, old, fullName, dob, sex, residence, issue] = f as [string, string, string, string, string, string, string];
  if (old !== '' && !/^(\d{9}|\d{12})$/.test(old)) throw malformedQr('old ID number is not 9 or 12 digits', 'số CMND cũ không phải 9 hoặc 12 chữ số');
  if (fullName.length === 0 || fullName.length > 100 || !NAME.test(fullName)) throw malformedQr('full name', 'họ và tên');
  const dateOfBirth = ddmmyyyyToIso(dob);
  if (!dateOfBirth) throw malformedQr('date of birth is not a ddmmyyyy date', 'ngày sinh không đúng dạng ngàythángnăm');
  if (sex !== 'Nam' && sex !== 'Nữ') throw malformedQr('sex is neither "Nam" nor "Nữ"', 'giới tính không phải "Nam" hay "Nữ"');
  if (residence.trim().length === 0 || residence.length > 300 || residence !== residence.trim()) {
    throw malformedQr('place of residence', 'nơi thường trú');
  }
  const dateOfIssue = ddmmyyyyToIso(issue);
  if (!dateOfIssue) throw malformedQr('date of issue is not a ddmmyyyy date', 'ngày cấp không đúng dạng ngàythángnăm');
  if (dateOfIssue < dateOfBirth) throw malformedQr('issued before birth', 'ngày cấp trước ngày sinh');
  const extra = f.slice(FIELDS);
  for (const x of extra) if (x.length > 300) throw malformedQr('an added field is too long', 'một trường bổ sung quá dài');
  return {
    idNumber,
    oldIdNumber: old === '' ? null : old,
    fullName,
    dateOfBirth,
    sex,
    placeOfResidence: residence,
    dateOfIssue,
    extra,
    warnings: idNumberConsistency(idNumber, dateOfBirth, sex),
  };
}

interface CccdQrInput {
  idNumber: string;
  oldIdNumber?: string | null;
  fullName: string;
  dateOfBirth: string;
  sex: 'Nam' | 'Nữ' | 'M' | 'F';
  placeOfResidence: string;
  dateOfIssue: string;
  extra?: string[];
}

/** The QR text a card with these data carries (dates ISO 8601 in, ddmmyyyy out). */
export function buildCccdQr(p: CccdQrInput): string {
  const sex = p.sex === 'M' ? 'Nam' : p.sex === 'F' ? 'Nữ' : p.sex;
  return [p.idNumber, p.oldIdNumber ?? '', p.fullName, isoToDdmmyyyy(p.dateOfBirth), sex, p.placeOfResidence, isoToDdmmyyyy(p.dateOfIssue), ...(p.extra ?? [])]
    .join('|')
    .normalize('NFC');
}

type QrMeaning =
  | { kind: 'cccd'; text: string; cccd: CccdQr }
  | { kind: 'url'; text: string }
  | { kind: 'text'; text: string };

/**
 * What a scanned text is. A code that claims to be a CCCD QR and fails the strict parse
 * throws; anything else is described as what it is (foreign codes are not errors here, the
 * caller decides whether a CCCD was needed).
 */
export function classifyQrText(text: string): QrMeaning {
  if (text.length > MAX_QR_TEXT) throw tooLong(text.length);
  const nfc = text.normalize('NFC');
  try {
    return { kind: 'cccd', text: nfc, cccd: parseCccdQr(nfc) };
  } catch (e) {
    if (!(e instanceof IdkError) || e.code !== 'QR_FOREIGN') throw e;
  }
  if (/^https?:\/\/\S+$/i.test(nfc)) return { kind: 'url', text: nfc };
  return { kind: 'text', text: nfc };
}
