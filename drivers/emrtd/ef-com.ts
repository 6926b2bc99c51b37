// EF.COM (Doc 9303 Part 10 §4.6.1): LDS version, Unicode version and the list of
// data groups present. Decoder and encoder side by side so the reader and the
// software chip agree on the bytes.
//
// The file also hosts the few helpers every LDS data group shares (text decoding,
// input errors for builders); EF.COM is the "common" file, and one home keeps the
// data-group files free of copies.
import { utf8 } from '../../core/bytes.js';
import { IdkError, malformed } from '../../core/errors.js';
import { type Tlv, children, decodeExact, encode, require as requireTag } from '../apdu/tlv.js';
import { EF_COM, dataGroup, dgNumberForTag } from './files.js';

/** Tags inside EF.COM (Doc 9303 Part 10 §4.6.1, Table 34). */
const TAG_LDS_VERSION = 0x5f01;
const TAG_UNICODE_VERSION = 0x5f36;
const TAG_TAG_LIST = 0x5c;

interface EfCom {
  /** Four digits "aabb" for LDS version aa.bb, e.g. "0107". */
  ldsVersion: string;
  /** Six digits "aabbcc" for Unicode aa.bb.cc, e.g. "040000". */
  unicodeVersion: string;
  /** Data group numbers in the order the chip lists them. */
  dataGroups: number[];
}

export function parseEfCom(bytes: Uint8Array): EfCom {
  const items = children(decodeExact(bytes, EF_COM.tag));
  const ldsVersion = asciiDigits(requireTag(items, TAG_LDS_VERSION, 'EF.COM LDS version'), 4, 'EF.COM LDS version');
  const unicodeVersion = asciiDigits(
    requireTag(items, TAG_UNICODE_VERSION, 'EF.COM Unicode version'),
    6,
    'EF.COM Unicode version',
  );
  const list = requireTag(items, TAG_TAG_LIST, 'EF.COM tag list');
  const dataGroups: number[] = [];
  // Tags we do not know (a future LDS, a proprietary file) are skipped rather than
  // failing the whole read: the reader then simply does not ask for them.
  for (const tag of list.value) {
    const n = dgNumberForTag(tag);
    if (n !== undefined && !dataGroups.includes(n)) dataGroups.push(n);
  }
  return { ldsVersion, unicodeVersion, dataGroups };
}

export function buildEfCom(
  dataGroups: number[],
  opts: { ldsVersion?: string; unicodeVersion?: string } = {},
): Uint8Array {
  const lds = opts.ldsVersion ?? '0107';
  const uni = opts.unicodeVersion ?? '040000';
  if (!/^\d{4}$/.test(lds)) throw invalidInput('LDS version must be 4 digits');
  if (!/^\d{6}$/.test(uni)) throw invalidInput('Unicode version must be 6 digits');
  const tags: number[] = [];
  for (const n of dataGroups) {
    let tag: number | undefined;
    try {
      tag = dataGroup(n).tag;
    } catch {
      throw invalidInput(`no data group ${n}`);
    }
    if (tag !== undefined && !tags.includes(tag)) tags.push(tag);
  }
  return encode(
    EF_COM.tag!,
    encode(TAG_LDS_VERSION, utf8.encode(lds)),
    encode(TAG_UNICODE_VERSION, utf8.encode(uni)),
    encode(TAG_TAG_LIST, Uint8Array.from(tags)),
  );
}

function asciiDigits(t: Tlv, n: number, what: string): string {
  if (t.value.length !== n) throw malformed(what);
  const s = String.fromCharCode(...t.value);
  if (!/^\d+$/.test(s)) throw malformed(what);
  return s;
}

// ---- helpers shared by the LDS data-group codecs -------------------------------

/** Strict UTF-8 of a chip field: invalid bytes are a malformed file, never U+FFFD. */
export function ldsText(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes).normalize('NFC');
  } catch {
    throw malformed(`${what}: invalid UTF-8`);
  }
}

/** A builder was handed data that cannot be written to a chip (a person file, a CLI flag). */
export function invalidInput(what: string): IdkError {
  return new IdkError('INVALID_INPUT', {
    vi: `Dữ liệu đầu vào không hợp lệ (${what}).`,
    en: `Invalid input (${what}).`,
  });
}

/** 'YYYYMMDD' (Doc 9303 Part 10 full dates) to ISO 8601; anything else stays as the chip wrote it. */
export function fullDateToIso(s: string): string {
  return /^\d{8}$/.test(s) ? `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}` : s;
}

/** Inverse of fullDateToIso for builders: ISO 8601 becomes 'YYYYMMDD', other text is kept. */
export function isoToFullDate(s: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) ? s.replace(/-/g, '') : s;
}
