// DG13 of the Vietnamese CCCD (tag 6D, Doc 9303 Part 10 §4.7.13 leaves its content to
// the issuing state). Vietnam publishes no specification; the layout below is what
// public readers of real cards agree on (see docs/dg13.md for sources and what is inferred):
//
//   6D { ...wrapper... { SEQUENCE { INTEGER index, UTF8String value } ... } }
//
// Index 13 carries both parents: SEQUENCE { INTEGER 13, SEQUENCE { father }, SEQUENCE { mother } }.
// The bytes before the first entry differ between descriptions, so the reader does not
// depend on them: it walks the tree and takes every SEQUENCE that starts with a small
// INTEGER followed only by strings (or sequences of strings) as an entry, skipping
// anything else (version numbers, identifiers). Malformed TLV and invalid UTF-8 are errors.
import { utf8 } from '../../core/bytes.js';
import { malformed } from '../../core/errors.js';
import { MAX_DEPTH, type Tlv, children, decodeAll, decodeExact, encode } from '../apdu/tlv.js';
import { invalidInput, ldsText } from './ef-com.js';
import { dataGroup } from './files.js';

export interface Dg13 {
  /** 1: Số định danh cá nhân, the 12-digit personal ID number. */
  idNumber: string | null;
  /** 2: Họ và tên. */
  fullName: string | null;
  /** 3: Ngày sinh; ISO 8601 when the chip wrote dd/mm/yyyy, else the chip's text. */
  dateOfBirth: string | null;
  /** 4: Giới tính, as written ('Nam', 'Nữ'). */
  sex: string | null;
  /** 5: Quốc tịch. */
  nationality: string | null;
  /** 6: Dân tộc. */
  ethnicity: string | null;
  /** 7: Tôn giáo. */
  religion: string | null;
  /** 8: Quê quán. */
  placeOfOrigin: string | null;
  /** 9: Nơi thường trú. */
  placeOfResidence: string | null;
  /** 10: Đặc điểm nhận dạng (identifying marks). */
  personalIdentification: string | null;
  /** 11: Ngày cấp; ISO 8601 when the chip wrote dd/mm/yyyy, else the chip's text. */
  dateOfIssue: string | null;
  /** 12: Có giá trị đến; ISO 8601 for dd/mm/yyyy, else the chip's text, e.g. 'Không thời hạn'. */
  dateOfExpiry: string | null;
  /** 13, first value. */
  fatherName: string | null;
  /** 13, second value. */
  motherName: string | null;
  /** 14: Vợ/chồng. */
  spouseName: string | null;
  /** 16: Số CMND cũ (old 9- or 12-digit ID number). */
  oldIdNumber: string | null;
}

const DG13_INDEX = {
  idNumber: 1,
  fullName: 2,
  dateOfBirth: 3,
  sex: 4,
  nationality: 5,
  ethnicity: 6,
  religion: 7,
  placeOfOrigin: 8,
  placeOfResidence: 9,
  personalIdentification: 10,
  dateOfIssue: 11,
  dateOfExpiry: 12,
  parents: 13,
  spouseName: 14,
  oldIdNumber: 16,
} as const;

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_INTEGER = 0x02;
const STRING_TAGS = new Set([0x0c, 0x13, 0x16]); // UTF8String, PrintableString, IA5String
const DATE_KEYS = new Set<keyof Dg13>(['dateOfBirth', 'dateOfIssue', 'dateOfExpiry']);

/** Entry values by index: one element per value after the INTEGER, each a list of its strings. */
type Dg13Entries = Map<number, string[][]>;

export function parseDg13Entries(bytes: Uint8Array): Dg13Entries {
  const root = decodeExact(bytes, dataGroup(13).tag);
  const entries: Dg13Entries = new Map();
  walk(root, 0, entries);
  return entries;
}

function walk(t: Tlv, depth: number, out: Dg13Entries): void {
  if (depth > MAX_DEPTH) throw malformed('DG13 nested too deep');
  for (const c of decodeAll(t.value)) {
    const index = entryIndex(c, depth + 1);
    if (index !== undefined) {
      if (out.has(index)) throw malformed(`DG13 repeats entry ${index}`);
      out.set(
        index,
        children(c)
          .slice(1)
          .map((v) => strings(v, depth + 2)),
      );
    } else if (c.constructed) {
      walk(c, depth + 1, out);
    }
  }
}

/** The entry's index if `t` is SEQUENCE { INTEGER, strings... }, else undefined. */
function entryIndex(t: Tlv, depth: number): number | undefined {
  if (t.tag !== TAG_SEQUENCE || !t.constructed) return undefined;
  const kids = children(t);
  const first = kids[0];
  if (!first || first.tag !== TAG_INTEGER || first.value.length < 1 || first.value.length > 2) return undefined;
  if (first.value[0]! & 0x80) return undefined;
  if (!kids.slice(1).every((k) => onlyStrings(k, depth + 1))) return undefined;
  return first.value.length === 1 ? first.value[0]! : (first.value[0]! << 8) | first.value[1]!;
}

function onlyStrings(t: Tlv, depth: number): boolean {
  if (depth > MAX_DEPTH) throw malformed('DG13 nested too deep');
  if (STRING_TAGS.has(t.tag)) return true;
  if ((t.tag === TAG_SEQUENCE || t.tag === TAG_SET) && t.constructed) {
    return children(t).every((k) => onlyStrings(k, depth + 1));
  }
  return false;
}

function strings(t: Tlv, depth: number): string[] {
  if (depth > MAX_DEPTH) throw malformed('DG13 nested too deep');
  if (STRING_TAGS.has(t.tag)) return [ldsText(t.value, 'DG13 text')];
  return children(t).flatMap((k) => strings(k, depth + 1));
}

/** dd/mm/yyyy (as printed on the card) to ISO 8601; other text is kept as the chip wrote it. */
function vnDateToIso(s: string): string {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s);
  return m ? `${m[3]}-${m[2]}-${m[1]}` : s;
}

/** ISO 8601 back to dd/mm/yyyy for the chip; other text ('Không thời hạn') is written as is. */
function isoToVnDate(s: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : s;
}

export function parseDg13(bytes: Uint8Array): Dg13 {
  const entries = parseDg13Entries(bytes);
  const first = (i: number): string | null => entries.get(i)?.flat()[0] ?? null;
  const out = {} as Dg13;
  for (const [key, index] of Object.entries(DG13_INDEX) as [keyof typeof DG13_INDEX, number][]) {
    if (key === 'parents') continue;
    const v = first(index);
    out[key] = v !== null && DATE_KEYS.has(key) ? vnDateToIso(v) : v;
  }
  const parents = entries.get(DG13_INDEX.parents) ?? [];
  // Two values: one per parent (a missing parent is an empty sequence). One value: a single
  // sequence holding both names, as some readers describe it.
  const names = parents.length >= 2 ? parents.map((p) => p[0] ?? null) : (parents[0] ?? []);
  out.fatherName = names[0] ?? null;
  out.motherName = names[1] ?? null;
  return out;
}

function utf8String(s: string): Uint8Array {
  return encode(0x0c, utf8.encode(s.normalize('NFC')));
}

function entry(index: number, ...values: Uint8Array[]): Uint8Array {
  return encode(TAG_SEQUENCE, encode(TAG_INTEGER, Uint8Array.of(index)), ...values);
}

/**
 * Writes entries in index order, leaving out null fields, inside one wrapper SEQUENCE.
 * Dates given as ISO 8601 are written dd/mm/yyyy as on the card.
 */
export function buildDg13(d: Dg13): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [key, index] of Object.entries(DG13_INDEX) as [keyof typeof DG13_INDEX, number][]) {
    if (key === 'parents') {
      if (d.fatherName !== null || d.motherName !== null) {
        const one = (s: string | null) => (s === null ? encode(TAG_SEQUENCE) : encode(TAG_SEQUENCE, utf8String(s)));
        parts.push(entry(index, one(d.fatherName), one(d.motherName)));
      }
      continue;
    }
    const v = d[key];
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string') throw invalidInput(`DG13 ${key} must be text or null`);
    parts.push(entry(index, utf8String(DATE_KEYS.has(key) ? isoToVnDate(v) : v)));
  }
  return encode(dataGroup(13).tag!, encode(TAG_SEQUENCE, ...parts));
}
