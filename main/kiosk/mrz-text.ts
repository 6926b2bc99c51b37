// The BAC key from OCR'd MRZ text (ICAO Doc 9303 Parts 4-5): lines of the MRZ alphabet only
// (A-Z, 0-9, <), a TD3 passport (2 x 44) or a TD1 card such as the CCCD's back (3 x 30), and
// accepted only when every check digit holds (document number, birth, expiry and the
// composite), so a misread character can never become a key. Pure.

const ALPHABET = /^[A-Z0-9<]+$/;
const WEIGHTS = [7, 3, 1];

function value(c: string): number {
  if (c === '<') return 0;
  const code = c.charCodeAt(0);
  return code <= 57 ? code - 48 : code - 55;
}

/** Doc 9303 Part 3 §4.9: weights 7-3-1 over the character values, modulo 10. */
export function checkDigit(field: string): string {
  let sum = 0;
  for (let i = 0; i < field.length; i++) sum += value(field[i]!) * WEIGHTS[i % 3]!;
  return String(sum % 10);
}

const holds = (field: string, digit: string | undefined): boolean => digit !== undefined && /^\d$/.test(digit) && checkDigit(field) === digit;

export interface MrzKey {
  format: 'TD1' | 'TD3';
  documentNumber: string;
  /** YYMMDD, as BAC wants them. */
  dateOfBirth: string;
  dateOfExpiry: string;
}

/** OCR output as candidate lines: spaces dropped, upper case, only lines of MRZ characters. */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/\s+/g, '').toUpperCase())
    .filter((l) => l.length >= 28 && ALPHABET.test(l));
}

// OCR confuses a few shapes in OCR-B (O/0, I/1, S/5, B/8, Z/2, G/6). Where a field is digits
// by definition (dates, check digits) letters become digits; elsewhere the look-alikes are
// tried, and only a reading that satisfies the field's check digit is taken. The composite
// digit must then hold over everything, so a repaired field still needs two digits to agree.
const TO_DIGIT: Record<string, string> = { O: '0', Q: '0', D: '0', I: '1', L: '1', Z: '2', S: '5', G: '6', B: '8' };
const TWINS: Record<string, string> = { O: '0', '0': 'O', I: '1', '1': 'I', S: '5', '5': 'S', B: '8', '8': 'B', Z: '2', '2': 'Z', G: '6', '6': 'G' };
/** At most 2^MAX_TRIES readings of one field. */
const MAX_TRIES = 8;

const digits = (f: string): string => f.replace(/[A-Z]/g, (c) => TO_DIGIT[c] ?? c);

/** The readings of a field with its look-alikes swapped, the OCR's own first. */
function readings(field: string): string[] {
  const at = [...field].flatMap((c, i) => (TWINS[c] ? [i] : [])).slice(0, MAX_TRIES);
  const out: string[] = [];
  for (let mask = 0; mask < 1 << at.length; mask++) {
    const cs = [...field];
    at.forEach((i, bit) => {
      if (mask & (1 << bit)) cs[i] = TWINS[cs[i]!]!;
    });
    out.push(cs.join(''));
  }
  return out;
}

/**
 * Which of the readings the check digits confirm to take. Swapping one look-alike always
 * changes a 7-3-1 check digit, but two swaps can cancel out, and the composite weighs the
 * document number exactly as its own digit does, so it cannot tell those apart. Then: the
 * OCR's own reading when it is among them; else the one with the most digits (document
 * numbers are mostly digits), when exactly one has that many; else nothing.
 */
function pick(readingsConfirmed: string[], ocr: string): string | undefined {
  if (readingsConfirmed.includes(ocr)) return ocr;
  const count = (x: string) => [...x].filter((c) => c >= '0' && c <= '9').length;
  const most = Math.max(...readingsConfirmed.map(count));
  const best = readingsConfirmed.filter((x) => count(x) === most);
  return best.length === 1 ? best[0] : undefined;
}

function td3(line: string): MrzKey | undefined {
  if (line.length !== 44) return undefined;
  const l2 = line.slice(0, 13) + digits(line.slice(13, 20)) + line[20] + digits(line.slice(21, 28)) + line.slice(28, 42) + digits(line.slice(42, 44));
  const dob = l2.slice(13, 19);
  const exp = l2.slice(21, 27);
  if (!holds(dob, l2[19]) || !holds(exp, l2[27])) return undefined;
  const docs = readings(l2.slice(0, 9)).filter((d) => holds(d, l2[9]));
  // The optional data's digit may be '<' when the field is empty.
  const optional = /^<+$/.test(l2.slice(28, 42)) && l2[42] === '<' ? [l2.slice(28, 42)] : readings(l2.slice(28, 42)).filter((o) => holds(o, l2[42]));
  // Every reading both its own digit and the composite confirm; a key only when they name one number.
  const doc = pick(docs.filter((d) => optional.some((o) => holds(d + l2[9] + l2.slice(13, 20) + l2.slice(21, 28) + o + l2[42], l2[43]))), l2.slice(0, 9));
  if (!doc) return undefined;
  return { format: 'TD3', documentNumber: doc.replace(/<+$/, ''), dateOfBirth: dob, dateOfExpiry: exp };
}

function td1(line1: string, line2: string): MrzKey | undefined {
  if (line1.length !== 30 || line2.length !== 30) return undefined;
  const l2 = digits(line2.slice(0, 7)) + line2[7] + digits(line2.slice(8, 15)) + line2.slice(15, 29) + digits(line2[29]!);
  let docs: string[];
  /** Where the optional data starts: after the check digit. */
  let docEnd = 15;
  let longDigit = '';
  if (line1[14] === '<') {
    // A number longer than 9: '<' in place of the digit, the rest in the optional data up to its own digit.
    const rest = /^([0-9A-Z]*?)([0-9])</.exec(line1.slice(15, 30));
    if (!rest) return undefined;
    docEnd = 15 + rest[1]!.length + 1;
    longDigit = rest[2]!;
    docs = readings(line1.slice(5, 14) + rest[1]).filter((d) => holds(d, longDigit));
  } else {
    docs = readings(line1.slice(5, 14)).filter((d) => holds(d, digits(line1[14]!)));
  }
  const dob = l2.slice(0, 6);
  const exp = l2.slice(8, 14);
  if (!holds(dob, l2[6]) || !holds(exp, l2[14])) return undefined;
  const long = line1[14] === '<';
  // The number as it sits in line 1 (a long one spills into the optional data), for the composite.
  const head = (d: string) => (long ? `${d.slice(0, 9)}<${d.slice(9)}${longDigit}` : `${d}${digits(line1[14]!)}`);
  // The optional data has no digit of its own: the composite decides between its readings.
  const tails = readings(line1.slice(docEnd, 30));
  const doc = pick(docs.filter((d) => tails.some((t) => holds(head(d) + t + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29), l2[29]))), long ? line1.slice(5, 14) + line1.slice(15, docEnd) : line1.slice(5, 14));
  if (!doc) return undefined;
  return { format: 'TD1', documentNumber: doc.replace(/<+$/, ''), dateOfBirth: dob, dateOfExpiry: exp };
}

/** The key in OCR text, or undefined unless a whole MRZ with every check digit right is there. */
export function mrzKeyFromText(text: string): MrzKey | undefined {
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    const k = (ls[i]!.length === 44 && ls[i - 1]?.length === 44 ? td3(ls[i]!) : undefined) ?? (ls[i + 1] ? td1(ls[i]!, ls[i + 1]!) : undefined);
    if (k) return k;
  }
  return undefined;
}
