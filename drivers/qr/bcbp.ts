// IATA Bar Coded Boarding Pass (BCBP), the text inside the PDF417, Aztec or QR code of a
// boarding pass. Pure. Only the mandatory items are read (the first leg's): who, which
// booking, where from and to, which flight on which day, which seat. Tested against the
// `bcbp` package's decoder (test/unit/bcbp.test.ts).
//
// Layout (IATA Resolution 792, BCBP Implementation Guide version 6, "mandatory items"):
//   unique:   format code 'M' (1), number of legs (1), passenger name SURNAME/GIVEN (20),
//             electronic ticket indicator (1)
//   per leg:  PNR (7), from airport (3), to airport (3), operating carrier (3), flight
//             number (5: 4 digits + optional suffix letter), date of flight as day of year
//             (3), compartment (1), seat (4), check-in sequence (5), passenger status (1),
//             size of the conditional section that follows (2, hexadecimal)
import { IdkError } from '../../core/errors.js';

export interface BoardingPass {
  kind: 'bcbp';
  /** As printed: SURNAME/GIVENNAMES (maybe with a title such as MR), Latin capitals, trimmed. */
  passengerName: string;
  pnr: string;
  from: string;
  to: string;
  /** IATA (2) or ICAO (3) airline designator. */
  carrier: string;
  /** Flight number without leading zeros, with its suffix letter if any ("213", "1234A"). */
  flight: string;
  /** ISO date of the flight: its day of the year in the current year, or the next one when that day has passed. */
  date: string;
  /** Seat without leading zeros ("1A", "32C"); empty when none is assigned yet. */
  seat: string;
}

const UNIQUE = 23;
const LEG = 35;

function malformed(why: string): IdkError {
  return new IdkError('BCBP_MALFORMED', {
    vi: `Mã thẻ lên máy bay không đọc được (${why}).`,
    en: `The boarding-pass code does not parse (${why}).`,
  });
}

/** Looks like a BCBP: format code M, a leg count 1-9, and room for the mandatory items. */
export function isBcbp(text: string): boolean {
  return /^M[1-9]/.test(text) && text.length >= UNIQUE + LEG + 2;
}

function dayOfYearToIso(day: number, year: number): string | undefined {
  const d = new Date(Date.UTC(year, 0, day));
  return d.getUTCFullYear() === year ? d.toISOString().slice(0, 10) : undefined;
}

/**
 * The ISO date of a day of the year: in `today`'s year, unless that date is already past
 * (before today), then in the next year (a pass is printed before its flight, never a year ahead).
 */
export function flightDate(day: number, today: Date): string {
  if (!Number.isInteger(day) || day < 1 || day > 366) throw malformed('date of flight');
  const y = today.getFullYear();
  const todayIso = `${y}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  const thisYear = dayOfYearToIso(day, y);
  if (thisYear && thisYear >= todayIso) return thisYear;
  // Day 366 exists only in a leap year: the next one that has it.
  for (let n = 1; n <= 8; n++) {
    const d = dayOfYearToIso(day, y + n);
    if (d) return d;
  }
  throw malformed('date of flight');
}

/** The first leg of a BCBP. Throws BCBP_MALFORMED when a mandatory item does not fit its field. */
export function parseBcbp(text: string, today: Date = new Date()): BoardingPass {
  if (!isBcbp(text)) throw malformed('not a BCBP: it begins with M and a leg count, and is at least 60 characters');
  if (/[^\x20-\x7e]/.test(text.slice(0, UNIQUE + LEG + 2))) throw malformed('characters outside printable ASCII in the mandatory items');
  const name = text.slice(2, 22).trimEnd();
  if (!/^[A-Z][A-Z '.-]*\/[A-Z '.-]*$|^[A-Z][A-Z '.-]*$/.test(name)) throw malformed('passenger name');
  const leg = text.slice(UNIQUE, UNIQUE + LEG);
  const pnr = leg.slice(0, 7).trim();
  const from = leg.slice(7, 10);
  const to = leg.slice(10, 13);
  const carrier = leg.slice(13, 16).trim();
  const flightField = leg.slice(16, 21);
  const dayText = leg.slice(21, 24);
  const seatField = leg.slice(25, 29);
  if (!/^[A-Z0-9]{1,7}$/.test(pnr)) throw malformed('booking reference');
  if (!/^[A-Z]{3}$/.test(from) || !/^[A-Z]{3}$/.test(to)) throw malformed('airport code');
  if (!/^[A-Z0-9]{2,3}$/.test(carrier)) throw malformed('airline designator');
  const f = /^(\d{1,4})([A-Z ]?)\s*$/.exec(flightField);
  if (!f) throw malformed('flight number');
  if (!/^\d{3}$/.test(dayText)) throw malformed('date of flight');
  if (!/^(\d{3}[A-Z]|[ 0]*|INF |GATE|STBY)$/.test(seatField) && seatField.trim() !== '') throw malformed('seat');
  if (!/^[0-9A-F]{2}$/.test(text.slice(UNIQUE + LEG, UNIQUE + LEG + 2))) throw malformed('conditional section size');
  return {
    kind: 'bcbp',
    passengerName: name,
    pnr,
    from,
    to,
    carrier,
    flight: `${Number(f[1])}${f[2]!.trim()}`,
    date: flightDate(Number(dayText), today),
    seat: /^\d{3}[A-Z]$/.test(seatField) ? `${Number(seatField.slice(0, 3))}${seatField[3]}` : seatField.trim().replace(/^0+$/, ''),
  };
}

const TITLES = new Set(['MR', 'MRS', 'MS', 'MISS', 'MSTR', 'DR', 'PROF', 'CHD', 'INF']);

/** Latin capitals without marks: "Lê Thị Mẫu" → "LE THI MAU"; Đ/đ → D. */
export function foldName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'D')
    .toUpperCase()
    .replace(/[^A-Z ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

interface NameMatch {
  match: boolean;
  /** What the pass says, and what the chip says, both folded, for the screen. */
  pass: { surname: string; given: string };
  chip: { surname: string; given: string };
}

/**
 * Does the pass's SURNAME/GIVENNAMES name the chip's holder? Compared folded (no marks,
 * capitals), spaces ignored (airlines often drop them: THIMAU), a trailing title (MR, MS…)
 * dropped; a given name cut short by the 20-character field matches the start of the chip's.
 * The chip's name is DG13's full name (family name first), else DG1's surname and given names.
 */
export function matchPassenger(passengerName: string, chip: { fullName?: string | null; surname?: string; givenNames?: string }): NameMatch {
  const [rawSurname = '', rawGiven = ''] = passengerName.split('/');
  const surname = foldName(rawSurname);
  const givenWords = foldName(rawGiven).split(' ').filter(Boolean);
  if (givenWords.length > 1 && TITLES.has(givenWords.at(-1)!)) givenWords.pop();
  const given = givenWords.join(' ');
  const words = chip.fullName ? foldName(chip.fullName).split(' ') : undefined;
  const chipSurname = words ? (words[0] ?? '') : foldName(chip.surname ?? '');
  const chipGiven = words ? words.slice(1).join(' ') : foldName(chip.givenNames ?? '');
  const squash = (s: string): string => s.replace(/ /g, '');
  const g = squash(given);
  const c = squash(chipGiven);
  const truncated = passengerName.length >= 20;
  // A title glued to the given names (THIMAUMS) is common on passes too.
  const titled = [...TITLES].some((t) => g === c + t);
  const givenOk = g === c || titled || (truncated && g.length > 0 && c.startsWith(g));
  return { match: surname.length > 0 && surname === chipSurname && givenOk, pass: { surname, given }, chip: { surname: chipSurname, given: chipGiven } };
}
