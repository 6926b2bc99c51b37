// DG1, the MRZ as stored on the chip (Doc 9303 Part 10 §4.7.1: tag 61 holding 5F1F).
// Layouts: TD1 in Doc 9303 Part 5 §4.2.2 (3 x 30), TD3 in Part 4 §4.2.2 (2 x 44);
// check digits in Part 3 §4.9; transliteration and name truncation in Part 3 §6 and §4.6.
//
// Fields are cut by position because the layout is fixed and must survive values the
// `mrz` package rejects (its state list has no specimen codes such as UTO); `mrz` is
// used to recognise the format and as a second opinion on every check digit.
import { parse as parseMrz } from 'mrz';
import { malformed } from '../../core/errors.js';
import { children, decodeExact, encode, require as requireTag } from '../apdu/tlv.js';
import { checkDigit } from './check-digit.js';
import { invalidInput } from './ef-com.js';
import { dataGroup } from './files.js';

const TAG_MRZ = 0x5f1f;

type MrzFormat = 'TD1' | 'TD3';

export interface Dg1 {
  format: MrzFormat;
  /** Document code without trailing fillers: 'P', 'I', 'ID', 'IP'. */
  documentType: string;
  /** Three-letter code without fillers ('D' for Germany, 'VNM'). */
  issuingState: string;
  /** Full document number, including characters that overflowed into the optional data (TD1). */
  documentNumber: string;
  surname: string;
  givenNames: string;
  nationality: string;
  /**
   * ISO 8601. Unknown parts (fillers in the MRZ) give reduced precision: 'YYYY-MM' when the
   * day is unknown, 'YYYY' when the month is; if the year itself is unknown the raw YYMMDD
   * text is kept. Century: a birth year that would lie in the future is 19xx, else 20xx.
   */
  dateOfBirth: string;
  sex: 'M' | 'F' | 'X';
  /** ISO 8601 as dateOfBirth; the century is always 20xx (no valid document expired in 19xx). */
  dateOfExpiry: string;
  /**
   * Optional data without trailing fillers. TD1: line 1 positions 16-30 (after any
   * document-number overflow) followed by line 2 positions 19-29; TD3: the personal number.
   */
  optionalData: string;
  /** The MRZ lines joined with '\n'. */
  mrz: string;
  checkDigitsValid: boolean;
}

export type Dg1Input = Omit<Dg1, 'format' | 'mrz' | 'checkDigitsValid'> & { format: MrzFormat };

interface ParseDg1Options {
  /** Reference date for the birth-century rule; defaults to the current date. */
  now?: Date;
}

const WIDTH: Record<MrzFormat, number> = { TD1: 30, TD3: 44 };
const NAME_WIDTH: Record<MrzFormat, number> = { TD1: 30, TD3: 39 };
const TD1_OPT1 = 15;
const TD1_OPT2 = 11;
const TD3_PERSONAL = 14;

export function parseDg1(bytes: Uint8Array, opts: ParseDg1Options = {}): Dg1 {
  const mrzTlv = requireTag(children(decodeExact(bytes, dataGroup(1).tag)), TAG_MRZ, 'DG1 MRZ');
  const n = mrzTlv.value.length;
  let format: MrzFormat;
  if (n === 90) format = 'TD1';
  else if (n === 88) format = 'TD3';
  else throw malformed(`DG1 MRZ length ${n} is neither TD1 (90) nor TD3 (88)`);
  const text = String.fromCharCode(...mrzTlv.value);
  if (!/^[A-Z0-9<]*$/.test(text)) throw malformed('DG1 MRZ has characters outside A-Z, 0-9, <');
  const w = WIDTH[format];
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += w) lines.push(text.slice(i, i + w));
  const now = opts.now ?? new Date();
  return format === 'TD1' ? parseTd1(lines, now) : parseTd3(lines, now);
}

function parseTd1(lines: string[], now: Date): Dg1 {
  const [l1, l2, l3] = lines as [string, string, string];
  const doc9 = l1.slice(5, 14);
  const opt1 = l1.slice(15, 30);
  let documentNumber: string;
  let docValid: boolean;
  let rest: string;
  if (l1[14] === '<' && opt1[0] !== '<') {
    // Doc 9303 Part 5 §4.2.4 note j: a number longer than 9 characters continues at the
    // start of the optional data, followed by its check digit (over the whole number) and a filler.
    const k = opt1.indexOf('<');
    const end = k < 0 ? opt1.length : k;
    const overflow = opt1.slice(0, end - 1);
    documentNumber = doc9 + overflow;
    docValid = end >= 2 && checkDigit(documentNumber) === opt1[end - 1];
    rest = opt1.slice(Math.min(end + 1, opt1.length));
  } else {
    documentNumber = trimFill(doc9);
    docValid = checkDigit(doc9) === l1[14];
    rest = opt1;
  }
  const dob = l2.slice(0, 6);
  const doe = l2.slice(8, 14);
  const composite = l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29);
  const own =
    docValid &&
    checkDigit(dob) === l2[6] &&
    checkDigit(doe) === l2[14] &&
    checkDigit(composite) === l2[29];
  const { surname, givenNames } = splitName(l3);
  return {
    format: 'TD1',
    documentType: trimFill(l1.slice(0, 2)),
    issuingState: trimFill(l1.slice(2, 5)),
    documentNumber,
    surname,
    givenNames,
    nationality: trimFill(l2.slice(15, 18)),
    dateOfBirth: yymmddToIso(dob, 'birth', now),
    sex: sexOf(l2[7]!),
    dateOfExpiry: yymmddToIso(doe, 'expiry', now),
    optionalData: trimFill(rest + l2.slice(18, 29)),
    mrz: lines.join('\n'),
    checkDigitsValid: own && libraryAgrees(lines),
  };
}

function parseTd3(lines: string[], now: Date): Dg1 {
  const [l1, l2] = lines as [string, string];
  const personal = l2.slice(28, 42);
  const personalCd = l2[42]!;
  const personalValid =
    trimFill(personal) === '' ? personalCd === '<' || personalCd === '0' : checkDigit(personal) === personalCd;
  const composite = l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43);
  const own =
    checkDigit(l2.slice(0, 9)) === l2[9] &&
    checkDigit(l2.slice(13, 19)) === l2[19] &&
    checkDigit(l2.slice(21, 27)) === l2[27] &&
    personalValid &&
    checkDigit(composite) === l2[43];
  const { surname, givenNames } = splitName(l1.slice(5, 44));
  return {
    format: 'TD3',
    documentType: trimFill(l1.slice(0, 2)),
    issuingState: trimFill(l1.slice(2, 5)),
    documentNumber: trimFill(l2.slice(0, 9)),
    surname,
    givenNames,
    nationality: trimFill(l2.slice(10, 13)),
    dateOfBirth: yymmddToIso(l2.slice(13, 19), 'birth', now),
    sex: sexOf(l2[20]!),
    dateOfExpiry: yymmddToIso(l2.slice(21, 27), 'expiry', now),
    optionalData: trimFill(personal),
    mrz: lines.join('\n'),
    checkDigitsValid: own && libraryAgrees(lines),
  };
}

/** Second opinion from the `mrz` package: every check-digit field it knows must be valid. */
function libraryAgrees(lines: string[]): boolean {
  try {
    const r = parseMrz(lines);
    return r.details.filter((d) => d.field?.endsWith('CheckDigit')).every((d) => d.valid);
  } catch {
    return false;
  }
}

function trimFill(s: string): string {
  return s.replace(/<+$/, '');
}

function sexOf(c: string): 'M' | 'F' | 'X' {
  return c === 'M' || c === 'F' ? c : 'X';
}

function splitName(field: string): { surname: string; givenNames: string } {
  const at = field.indexOf('<<');
  const primary = at < 0 ? field : field.slice(0, at);
  const secondary = at < 0 ? '' : field.slice(at + 2);
  const words = (s: string) => s.split('<').filter(Boolean).join(' ');
  return { surname: words(primary), givenNames: words(secondary) };
}

/** YYMMDD from the MRZ to ISO 8601, reduced precision where the MRZ holds fillers. */
export function yymmddToIso(raw: string, kind: 'birth' | 'expiry', now: Date = new Date()): string {
  const yy = raw.slice(0, 2);
  const mm = raw.slice(2, 4);
  const dd = raw.slice(4, 6);
  if (!/^\d\d$/.test(yy)) return raw;
  let year = 2000 + Number(yy);
  if (kind === 'birth') {
    const today = now.toISOString().slice(0, 10);
    const candidate = `${year}-${/^\d\d$/.test(mm) ? mm : '01'}-${/^\d\d$/.test(dd) ? dd : '01'}`;
    if (candidate > today) year -= 100;
  }
  if (!/^\d\d$/.test(mm)) return String(year);
  if (!/^\d\d$/.test(dd)) return `${year}-${mm}`;
  return `${year}-${mm}-${dd}`;
}

/** ISO 8601 (full or reduced precision) or a raw YYMMDD back to the MRZ's YYMMDD. */
function isoToYymmdd(value: string): string {
  if (/^[0-9<]{6}$/.test(value)) return value;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(value);
  if (!m) throw invalidInput(`date "${value}" is not ISO 8601 (YYYY-MM-DD) or YYMMDD`);
  return m[1]!.slice(2) + (m[2] ?? '<<') + (m[3] ?? '<<');
}

export function buildDg1(input: Dg1Input): Uint8Array {
  const lines = input.format === 'TD1' ? td1Lines(input) : td3Lines(input);
  return encode(dataGroup(1).tag!, encode(TAG_MRZ, Uint8Array.from(lines.join(''), (c) => c.charCodeAt(0))));
}

function td1Lines(d: Dg1Input): string[] {
  const doc = mrzCode(d.documentNumber, 'document number', /^[A-Z0-9<]+$/);
  const optional = mrzCode(d.optionalData, 'optional data', /^[A-Z0-9<]*$/).replace(/<+$/, '');
  let docField: string;
  let docCd: string;
  let opt1: string;
  if (doc.length <= 9) {
    docField = doc.padEnd(9, '<');
    docCd = checkDigit(docField);
    opt1 = optional.slice(0, TD1_OPT1).padEnd(TD1_OPT1, '<');
  } else {
    const overflow = doc.slice(9);
    // Overflow, its check digit and one filler must leave the field at least as wide as the overflow.
    if (overflow.length + 2 > TD1_OPT1) throw invalidInput('document number longer than 22 characters');
    docField = doc.slice(0, 9);
    docCd = '<';
    const head = overflow + checkDigit(doc) + '<';
    opt1 = (head + optional).slice(0, TD1_OPT1).padEnd(TD1_OPT1, '<');
  }
  const room = doc.length <= 9 ? TD1_OPT1 : TD1_OPT1 - (doc.length - 9 + 2);
  if (optional.length > room + TD1_OPT2) throw invalidInput('optional data too long for TD1');
  const opt2 = optional.slice(room).padEnd(TD1_OPT2, '<');
  const l1 = fixed(d.documentType, 2, 'document type') + fixed(d.issuingState, 3, 'issuing state') + docField + docCd + opt1;
  const dob = isoToYymmdd(d.dateOfBirth);
  const doe = isoToYymmdd(d.dateOfExpiry);
  const l2head = dob + checkDigit(dob) + sexChar(d.sex) + doe + checkDigit(doe) + fixed(d.nationality, 3, 'nationality') + opt2;
  const composite = l1.slice(5, 30) + l2head.slice(0, 7) + l2head.slice(8, 15) + l2head.slice(18, 29);
  const l2 = l2head + checkDigit(composite);
  const l3 = mrzName(d.surname, d.givenNames, NAME_WIDTH.TD1);
  return [l1, l2, l3];
}

function td3Lines(d: Dg1Input): string[] {
  const doc = mrzCode(d.documentNumber, 'document number', /^[A-Z0-9<]+$/);
  // Part 4 has no overflow rule for passports: the number must fit its 9 positions.
  if (doc.length > 9) throw invalidInput('TD3 document number longer than 9 characters');
  const personal = mrzCode(d.optionalData, 'optional data', /^[A-Z0-9<]*$/).replace(/<+$/, '');
  if (personal.length > TD3_PERSONAL) throw invalidInput('personal number longer than 14 characters');
  const docField = doc.padEnd(9, '<');
  const pnField = personal.padEnd(TD3_PERSONAL, '<');
  const l1 = fixed(d.documentType, 2, 'document type') + fixed(d.issuingState, 3, 'issuing state') + mrzName(d.surname, d.givenNames, NAME_WIDTH.TD3);
  const dob = isoToYymmdd(d.dateOfBirth);
  const doe = isoToYymmdd(d.dateOfExpiry);
  const head =
    docField + checkDigit(docField) + fixed(d.nationality, 3, 'nationality') + dob + checkDigit(dob) + sexChar(d.sex) + doe + checkDigit(doe) +
    pnField + (personal === '' ? '<' : checkDigit(pnField));
  const composite = head.slice(0, 10) + head.slice(13, 20) + head.slice(21, 43);
  return [l1, head + checkDigit(composite)];
}

function sexChar(s: string): string {
  if (s === 'M' || s === 'F') return s;
  if (s === 'X' || s === '<') return '<';
  throw invalidInput(`sex "${s}" is not M, F or X`);
}

function mrzCode(value: string, what: string, re: RegExp): string {
  const v = value.toUpperCase().replace(/\s+/g, '');
  if (!re.test(v)) throw invalidInput(`${what} "${value}" has characters outside A-Z, 0-9, <`);
  return v;
}

function fixed(value: string, width: number, what: string): string {
  const v = value.toUpperCase();
  if (!/^[A-Z0-9<]*$/.test(v) || v.length > width || v.length === 0) throw invalidInput(`${what} "${value}"`);
  return v.padEnd(width, '<');
}

// Doc 9303 Part 3 §6 (transliteration): letters without a decomposition of their own.
const TRANSLIT: Record<string, string> = {
  Đ: 'D', đ: 'D', Ð: 'D', Æ: 'AE', æ: 'AE', Ø: 'OE', ø: 'OE', Œ: 'OE', œ: 'OE', ß: 'SS', Þ: 'TH', þ: 'TH', Ł: 'L', ł: 'L', Ħ: 'H', ħ: 'H', Ŋ: 'N', ŋ: 'N', ı: 'I',
};

/**
 * A name to MRZ characters: Vietnamese (and other Latin) diacritics stripped, Đ -> D,
 * upper case; apostrophes and full stops dropped, every other separator a filler
 * (Doc 9303 Part 3 §4.6 and §6).
 */
export function mrzNameComponent(name: string): string {
  const base = [...name.normalize('NFC')].map((c) => TRANSLIT[c] ?? c).join('');
  return base
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/['’.]/g, '')
    .replace(/[^A-Z]+/g, '<')
    .replace(/^<+|<+$/g, '');
}

/**
 * The name field: primary identifier, '<<', secondary identifier, fillers to the width.
 * A name too long is cut at the width (Part 3 §4.6.5 truncation); if the cut lands on a
 * filler the trailing fillers are kept as padding, so the field still reads back cleanly.
 */
export function mrzName(surname: string, givenNames: string, width: number): string {
  const primary = mrzNameComponent(surname);
  const secondary = mrzNameComponent(givenNames);
  if (primary === '' && secondary === '') throw invalidInput('name is empty');
  const full = secondary === '' ? primary : `${primary}<<${secondary}`;
  return full.slice(0, width).padEnd(width, '<');
}

/** What BAC needs (Doc 9303 Part 11 §4.3.2): the full document number and the two dates as in the MRZ. */
export function bacKeyFromDg1(dg1: Dg1): { documentNumber: string; dateOfBirth: string; dateOfExpiry: string } {
  const lines = dg1.mrz.split('\n');
  let dob: string | undefined;
  let doe: string | undefined;
  if (dg1.format === 'TD1' && lines.length === 3 && lines[1]!.length === 30) {
    dob = lines[1]!.slice(0, 6);
    doe = lines[1]!.slice(8, 14);
  } else if (dg1.format === 'TD3' && lines.length === 2 && lines[1]!.length === 44) {
    dob = lines[1]!.slice(13, 19);
    doe = lines[1]!.slice(21, 27);
  }
  return {
    documentNumber: dg1.documentNumber,
    dateOfBirth: dob ?? isoToYymmdd(dg1.dateOfBirth),
    dateOfExpiry: doe ?? isoToYymmdd(dg1.dateOfExpiry),
  };
}

// ---- Vietnamese CCCD ----------------------------------------------------------
// On the CCCD (TD1, 'ID', 'VNM') the document number is the last 9 digits of the
// 12-digit personal ID number, and line 1's optional data holds the full 12-digit
// number, two fillers and a check digit over those 12 digits (observed on public
// sample MRZs; see docs/dg13.md). This is national practice, not Doc 9303.

/** Optional data of a CCCD MRZ for a 12-digit ID number. */
export function cccdOptionalData(idNumber: string): string {
  if (!/^\d{12}$/.test(idNumber)) throw invalidInput('CCCD ID number must be 12 digits');
  return `${idNumber}<<${checkDigit(idNumber)}`;
}

/** The 12-digit ID number of a CCCD DG1, or null when the DG1 is not shaped like one. */
export function cccdIdNumber(dg1: Dg1): string | null {
  if (dg1.format !== 'TD1' || dg1.issuingState !== 'VNM') return null;
  const m = /^(\d{12})/.exec(dg1.optionalData);
  return m ? m[1]! : null;
}
