// DG11, additional personal details (Doc 9303 Part 10 §4.7.11): a tag list (5C)
// followed by optional primitive fields, and other names in a constructed A0
// template (02 count, 5F0F each). Also the small codec DG12 shares: both files are
// "tag list + optional fields", so one table-driven reader/writer serves both.
import { malformed } from '../../core/errors.js';
import { type Tlv, children, decodeExact, encode, encodeTag, require as requireTag } from '../apdu/tlv.js';
import { utf8 } from '../../core/bytes.js';
import { fullDateToIso, invalidInput, isoToFullDate, ldsText } from './ef-com.js';
import { dataGroup } from './files.js';

/** A field of a tag-list file: text (UTF-8), date (YYYYMMDD <-> ISO 8601) or raw bytes (images). */
export interface FieldSpec<K extends string> {
  tag: number;
  key: K;
  kind: 'text' | 'date' | 'binary';
}

/** A repeated field kept in an A0 template with a count (other names, other persons). */
export interface ListSpec<K extends string> {
  key: K;
  itemTag: number;
}

export interface UnknownField {
  tag: number;
  value: Uint8Array;
}

const TAG_LIST = 0x5c;
const TAG_LIST_TEMPLATE = 0xa0;
const TAG_COUNT = 0x02;

type Values = Record<string, string | Uint8Array | string[] | UnknownField[] | undefined>;

export function parseTaggedFile<K extends string>(
  bytes: Uint8Array,
  fileTag: number,
  what: string,
  fields: FieldSpec<K>[],
  list: ListSpec<K>,
): Values & { unknown: UnknownField[] } {
  const items = children(decodeExact(bytes, fileTag));
  requireTag(items, TAG_LIST, `${what} tag list`);
  const out: Values & { unknown: UnknownField[] } = { unknown: [] };
  const seen = new Set<number>();
  for (const t of items) {
    if (t.tag === TAG_LIST) continue;
    // A repeated tag would let a forged file show one value and sign another: refuse it.
    if (seen.has(t.tag)) throw malformed(`${what} repeats tag ${t.tag.toString(16)}`);
    seen.add(t.tag);
    const spec = fields.find((f) => f.tag === t.tag);
    if (spec) out[spec.key] = fieldValue(t, spec, what);
    else if (t.tag === TAG_LIST_TEMPLATE) out[list.key] = listValue(t, list.itemTag, what);
    else out.unknown.push({ tag: t.tag, value: t.value });
  }
  return out;
}

function fieldValue<K extends string>(t: Tlv, spec: FieldSpec<K>, what: string): string | Uint8Array {
  if (t.constructed) throw malformed(`${what} field ${t.tag.toString(16)} is constructed`);
  if (spec.kind === 'binary') return t.value;
  const text = ldsText(t.value, `${what} field ${t.tag.toString(16)}`);
  return spec.kind === 'date' ? fullDateToIso(text) : text;
}

function listValue(t: Tlv, itemTag: number, what: string): string[] {
  const parts = children(t);
  const count = parts[0];
  if (!count || count.tag !== TAG_COUNT || count.value.length !== 1) throw malformed(`${what} list count missing`);
  const names = parts.slice(1);
  if (names.length !== count.value[0] || names.some((n) => n.tag !== itemTag)) {
    throw malformed(`${what} list disagrees with its count`);
  }
  return names.map((n) => ldsText(n.value, `${what} list item`));
}

export function buildTaggedFile<K extends string>(
  fileTag: number,
  values: Partial<Record<K, string | Uint8Array | string[]>> & { unknown?: UnknownField[] },
  fields: FieldSpec<K>[],
  list: ListSpec<K>,
): Uint8Array {
  const tags: number[] = [];
  const body: Uint8Array[] = [];
  for (const f of fields) {
    const v = values[f.key];
    if (v === undefined) continue;
    let bytes: Uint8Array;
    if (f.kind === 'binary') {
      if (!(v instanceof Uint8Array)) throw invalidInput(`${f.key} must be bytes`);
      bytes = v;
    } else {
      if (typeof v !== 'string') throw invalidInput(`${f.key} must be text`);
      const text = v.normalize('NFC');
      bytes = utf8.encode(f.kind === 'date' ? isoToFullDate(text) : text);
    }
    tags.push(f.tag);
    body.push(encode(f.tag, bytes));
  }
  const items = values[list.key];
  if (items !== undefined) {
    if (!Array.isArray(items) || items.length > 255) throw invalidInput(`${list.key} must be a list of at most 255`);
    tags.push(TAG_LIST_TEMPLATE);
    body.push(
      encode(
        TAG_LIST_TEMPLATE,
        encode(TAG_COUNT, Uint8Array.of(items.length)),
        ...items.map((s) => encode(list.itemTag, utf8.encode(String(s).normalize('NFC')))),
      ),
    );
  }
  for (const u of values.unknown ?? []) {
    tags.push(u.tag);
    body.push(encode(u.tag, u.value));
  }
  const tagList = tags.flatMap((t) => [...encodeTag(t)]);
  return encode(fileTag, encode(TAG_LIST, Uint8Array.from(tagList)), ...body);
}

// ---- DG11 ---------------------------------------------------------------------

interface Dg11 {
  /** 5F0E, primary and secondary identifiers separated by '<<' as the chip writes them. */
  fullName?: string;
  /** A0 / 5F0F. */
  otherNames?: string[];
  /** 5F10. */
  personalNumber?: string;
  /** 5F2B, ISO 8601 when the chip wrote YYYYMMDD, else the chip's text. */
  fullDateOfBirth?: string;
  /** 5F11. */
  placeOfBirth?: string;
  /** 5F42, components separated by '<'. */
  permanentAddress?: string;
  /** 5F12. */
  telephone?: string;
  /** 5F13. */
  profession?: string;
  /** 5F14. */
  title?: string;
  /** 5F15. */
  personalSummary?: string;
  /** 5F16, an image of the proof of citizenship. */
  proofOfCitizenship?: Uint8Array;
  /** 5F17. */
  otherValidTdNumbers?: string;
  /** 5F18. */
  custodyInformation?: string;
  /** Fields this reader does not know, kept so a rebuilt file loses nothing. */
  unknown: UnknownField[];
}

type Dg11Key = Exclude<keyof Dg11, 'unknown'>;

const DG11_FIELDS: FieldSpec<Dg11Key>[] = [
  { tag: 0x5f0e, key: 'fullName', kind: 'text' },
  { tag: 0x5f10, key: 'personalNumber', kind: 'text' },
  { tag: 0x5f2b, key: 'fullDateOfBirth', kind: 'date' },
  { tag: 0x5f11, key: 'placeOfBirth', kind: 'text' },
  { tag: 0x5f42, key: 'permanentAddress', kind: 'text' },
  { tag: 0x5f12, key: 'telephone', kind: 'text' },
  { tag: 0x5f13, key: 'profession', kind: 'text' },
  { tag: 0x5f14, key: 'title', kind: 'text' },
  { tag: 0x5f15, key: 'personalSummary', kind: 'text' },
  { tag: 0x5f16, key: 'proofOfCitizenship', kind: 'binary' },
  { tag: 0x5f17, key: 'otherValidTdNumbers', kind: 'text' },
  { tag: 0x5f18, key: 'custodyInformation', kind: 'text' },
];
const DG11_LIST: ListSpec<Dg11Key> = { key: 'otherNames', itemTag: 0x5f0f };

export function parseDg11(bytes: Uint8Array): Dg11 {
  return parseTaggedFile(bytes, dataGroup(11).tag!, 'DG11', DG11_FIELDS, DG11_LIST) as unknown as Dg11;
}

export function buildDg11(d: Partial<Dg11>): Uint8Array {
  return buildTaggedFile(dataGroup(11).tag!, d, DG11_FIELDS, DG11_LIST);
}
