// Reading elementary files in the fewest APDUs the chip accepts (Doc 9303 Part 10 §3,
// ISO 7816-4 READ BINARY): the first read asks for a whole chunk and learns the
// file's length from its TLV header; chunk sizes adapt down when the chip objects.
import { type Response, SW, StatusError } from '../apdu/apdu.js';
import { concat, u16 } from '../../core/bytes.js';
import { IdkError, malformed } from '../../core/errors.js';
import * as tlv from '../apdu/tlv.js';
import type { FileInfo } from './files.js';
import { responseOverhead } from './secure-messaging.js';
import type { CardSession } from './session.js';

export interface Progress {
  file: string;
  read: number;
  total: number;
}

export interface ChunkPolicy {
  /** Largest plaintext bytes per READ BINARY tried first. */
  chunk: number;
  /** Whether the chip announced extended length (Lc/Le beyond 255/256). */
  extended: boolean;
}

/** Steps taken after a chip refuses a chunk size: each well-known reader's size, then halving. */
const FALLBACK = [231, 223, 160, 112, 64, 32, 16, 8, 4, 1];

/** The largest plaintext chunk whose protected response still fits in `maxResponse` bytes. */
export function largestChunk(maxResponse: number, block: number | undefined): number {
  // 2 bytes of status word travel with every response.
  const room = maxResponse - 2;
  if (block === undefined) return Math.min(room, 0x7fff);
  let n = room;
  while (n > 0 && n + responseOverhead(n, block) + 2 > maxResponse) n--;
  return n;
}

export function initialPolicy(session: CardSession, extended: { maxResponse: number } | undefined): ChunkPolicy {
  const block = session.sm?.block;
  if (extended) return { chunk: largestChunk(extended.maxResponse, block), extended: true };
  // Short Le: the whole protected response must fit in 256 data bytes (+SW).
  return { chunk: largestChunk(258, block), extended: false };
}

export class FileNotFound extends IdkError {
  constructor(readonly file: string) {
    super('FILE_NOT_FOUND', { vi: `Chip không có tệp ${file}.`, en: `The chip has no ${file}.` });
  }
}

export async function selectFile(session: CardSession, file: FileInfo): Promise<void> {
  // No Le: some CCCD chips refuse SELECT with Le (DESIGN notes this quirk).
  const r = await session.send({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: u16(file.fid) });
  if (r.sw === SW.FILE_NOT_FOUND) throw new FileNotFound(file.name);
  if (r.sw !== SW.OK) throw new StatusError(r.sw, `SELECT ${file.name}`);
}

export async function readAt(session: CardSession, offset: number, le: number): Promise<Response> {
  if (offset <= 0x7fff) return session.send({ cla: 0, ins: 0xb0, p1: offset >> 8, p2: offset & 0xff, le });
  // Offsets past 15 bits need READ BINARY with odd INS and an offset data object (ISO 7816-4 §11.3.3).
  const r = await session.send({ cla: 0, ins: 0xb1, p1: 0, p2: 0, data: tlv.encode(0x54, offsetBytes(offset)), le });
  if (r.data.length === 0) return r;
  const t = tlv.decodeOne(r.data);
  if (t.tag !== 0x53) throw malformed('READ BINARY (B1) response');
  return { data: t.value, sw: r.sw };
}

function offsetBytes(n: number): Uint8Array {
  return n <= 0xffff ? u16(n) : Uint8Array.of(n >> 16, (n >> 8) & 0xff, n & 0xff);
}

function refusedSize(sw: number): boolean {
  return sw === SW.WRONG_LENGTH || (sw & 0xff00) === 0x6c00 || sw === SW.SM_INCORRECT || sw === SW.WRONG_P1P2;
}

/** Largest file we accept: DG2/DG3 of real documents stay well below this. */
const MAX_FILE = 1 << 20;

interface ReadOptions {
  onProgress?: (p: Progress) => void;
  /** Bytes already read of this file (resume), the read continues after them. */
  prefix?: Uint8Array;
  /** The file is a run of data objects with no outer TLV (EF.ATR/INFO): read until the chip says end. */
  unframed?: boolean;
  /** Every byte of the file received so far, after each chunk (resume keeps them when the card leaves). */
  onChunk?: (soFar: Uint8Array) => void;
}

async function readUnframed(session: CardSession, file: FileInfo, policy: ChunkPolicy): Promise<Uint8Array> {
  let data: Uint8Array = new Uint8Array(0);
  while (data.length < MAX_FILE) {
    const r = await readAt(session, data.length, policy.chunk);
    if (r.sw === SW.WRONG_P1P2 || (r.sw === SW.END_OF_FILE && r.data.length === 0)) break;
    if (r.sw !== SW.OK && r.sw !== SW.END_OF_FILE) throw new StatusError(r.sw, `READ BINARY ${file.name}`);
    data = concat(data, r.data);
    if (r.sw === SW.END_OF_FILE || r.data.length < policy.chunk) break;
  }
  return data;
}

/**
 * Reads the currently selected file. `policy` is updated in place when the chip forces a
 * smaller chunk, so the next file starts with what worked.
 */
async function readSelected(session: CardSession, file: FileInfo, policy: ChunkPolicy, opts: ReadOptions = {}): Promise<Uint8Array> {
  if (opts.unframed) return readUnframed(session, file, policy);
  let data: Uint8Array = opts.prefix ?? new Uint8Array(0);
  let total: number | undefined;
  const learnTotal = () => {
    if (total !== undefined || data.length < 2) return;
    try {
      const h = tlv.readHeader(data);
      total = h.headerLength + h.length;
    } catch (e) {
      // A header that needs more bytes than we have waits for the next chunk.
      if (data.length >= 6) throw e;
      return;
    }
    if (total > MAX_FILE) throw malformed(`${file.name} declares ${total} bytes`);
  };
  learnTotal();
  while (total === undefined || data.length < total) {
    const want = total === undefined ? policy.chunk : Math.min(policy.chunk, total - data.length);
    const r = await readAt(session, data.length, want);
    if ((r.sw & 0xff00) === 0x6c00 && (r.sw & 0xff) > 0 && (r.sw & 0xff) < want) {
      // The chip names the exact length it can give here; ask again for that, keep the policy.
      const exact = await readAt(session, data.length, r.sw & 0xff);
      if (exact.sw !== SW.OK && exact.sw !== SW.END_OF_FILE) throw new StatusError(exact.sw, `READ BINARY ${file.name}`);
      if (exact.data.length === 0) throw malformed(`${file.name} returned no data`);
      data = concat(data, exact.data);
      opts.onChunk?.(data);
      learnTotal();
      continue;
    }
    if (refusedSize(r.sw) && policy.chunk > 1) {
      policy.chunk = FALLBACK.find((s) => s < policy.chunk) ?? 1;
      continue;
    }
    if (r.sw !== SW.OK && r.sw !== SW.END_OF_FILE) throw new StatusError(r.sw, `READ BINARY ${file.name}`);
    if (r.data.length === 0) throw malformed(total === undefined ? `${file.name} is empty` : `${file.name} ended at ${data.length} of ${total} bytes`);
    data = concat(data, r.data);
    opts.onChunk?.(data);
    learnTotal();
    if (total !== undefined) opts.onProgress?.({ file: file.name, read: Math.min(data.length, total), total });
    if (r.sw === SW.END_OF_FILE && (total === undefined || data.length < total)) throw malformed(`${file.name} ended early`);
  }
  if (data.length > total!) data = data.subarray(0, total);
  if (file.tag !== undefined && data[0] !== (file.tag > 0xff ? file.tag >> 8 : file.tag)) {
    throw malformed(`${file.name} starts with tag ${data[0]?.toString(16)}`);
  }
  return data;
}

export async function readFile(session: CardSession, file: FileInfo, policy: ChunkPolicy, opts: ReadOptions = {}): Promise<Uint8Array> {
  await selectFile(session, file);
  return readSelected(session, file, policy, opts);
}
