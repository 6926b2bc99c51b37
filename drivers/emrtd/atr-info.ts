// EF.ATR/INFO (ISO/IEC 7816-4 §12.7.1, referenced by Doc 9303 Part 10 §3.6.2): the chip
// announces extended length support and its buffer sizes in data object 7F66.
import { bytesToBig, concat } from '../../core/bytes.js';
import { malformed } from '../../core/errors.js';
import * as tlv from '../apdu/tlv.js';

interface AtrInfo {
  extendedLength?: { maxCommand: number; maxResponse: number };
}

function intBytes(n: number): Uint8Array {
  const out: number[] = [];
  do {
    out.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if (out[0]! & 0x80) out.unshift(0);
  return Uint8Array.from(out);
}

export function buildAtrInfo(info: AtrInfo): Uint8Array {
  if (!info.extendedLength) return new Uint8Array(0);
  const { maxCommand, maxResponse } = info.extendedLength;
  return tlv.encode(0x7f66, concat(tlv.encode(0x02, intBytes(maxCommand)), tlv.encode(0x02, intBytes(maxResponse))));
}

export function parseAtrInfo(bytes: Uint8Array): AtrInfo {
  const objs = tlv.decodeAll(bytes);
  const ext = tlv.find(objs, 0x7f66);
  if (!ext) return {};
  const ints = tlv.decodeAll(ext.value).filter((t) => t.tag === 0x02);
  if (ints.length < 2 || ints.some((t) => t.value.length === 0 || t.value.length > 4)) throw malformed('EF.ATR/INFO extended length');
  const maxCommand = Number(bytesToBig(ints[0]!.value));
  const maxResponse = Number(bytesToBig(ints[1]!.value));
  if (maxResponse < 258) return {};
  return { extendedLength: { maxCommand, maxResponse } };
}
