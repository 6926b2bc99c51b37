// ISO/IEC 7816-4 command and response APDUs, short and extended length.
import { concat } from '../../core/bytes.js';
import { IdkError } from '../../core/errors.js';

export interface Command {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data?: Uint8Array;
  /** Expected response length 1..65536; 256 (short) or 65536 (extended) mean "all". Absent: no Le. */
  le?: number;
}

export interface Response {
  data: Uint8Array;
  sw: number;
}

/** The single interface every protocol layer talks to: raw command bytes in, raw response bytes out. */
export interface Transport {
  transmit(command: Uint8Array): Promise<Uint8Array>;
}

export function isExtended(c: Command): boolean {
  return (c.data !== undefined && c.data.length > 255) || (c.le !== undefined && c.le > 256);
}

export function encodeCommand(c: Command, forceExtended = false): Uint8Array {
  const head = Uint8Array.of(c.cla, c.ins, c.p1, c.p2);
  const data = c.data && c.data.length > 0 ? c.data : undefined;
  if (data && data.length > 65535) throw new RangeError('APDU data too long');
  if (c.le !== undefined && (c.le < 1 || c.le > 65536)) throw new RangeError(`bad Le ${c.le}`);
  const ext = forceExtended || isExtended(c);
  if (!ext) {
    const lc = data ? Uint8Array.of(data.length) : new Uint8Array(0);
    const le = c.le !== undefined ? Uint8Array.of(c.le & 0xff) : new Uint8Array(0);
    return concat(head, lc, data ?? new Uint8Array(0), le);
  }
  const lc = data ? Uint8Array.of(0, data.length >> 8, data.length & 0xff) : new Uint8Array(0);
  const leVal = c.le === undefined ? undefined : c.le & 0xffff;
  const le =
    leVal === undefined
      ? new Uint8Array(0)
      : data
        ? Uint8Array.of(leVal >> 8, leVal & 0xff)
        : Uint8Array.of(0, leVal >> 8, leVal & 0xff);
  return concat(head, lc, data ?? new Uint8Array(0), le);
}

function badApdu(why: string): IdkError {
  return new IdkError('BAD_APDU', { vi: `Lệnh APDU không hợp lệ: ${why}`, en: `Malformed command APDU: ${why}` });
}

/** Parses command bytes (the chip's side). Cases 1-4, short and extended (ISO 7816-3 §12.1.3). */
export function parseCommand(b: Uint8Array): Command & { extended: boolean } {
  if (b.length < 4) throw badApdu('shorter than a header');
  const c = { cla: b[0]!, ins: b[1]!, p1: b[2]!, p2: b[3]! };
  const body = b.subarray(4);
  if (body.length === 0) return { ...c, extended: false };
  if (body.length === 1) return { ...c, le: body[0] === 0 ? 256 : body[0]!, extended: false };
  if (body[0] !== 0) {
    const lc = body[0]!;
    if (body.length === 1 + lc) return { ...c, data: body.slice(1), extended: false };
    if (body.length === 2 + lc) {
      const le = body[1 + lc]!;
      return { ...c, data: body.slice(1, 1 + lc), le: le === 0 ? 256 : le, extended: false };
    }
    throw badApdu('Lc does not match length');
  }
  // Extended: first body byte 00.
  if (body.length === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return { ...c, le: le === 0 ? 65536 : le, extended: true };
  }
  if (body.length < 3) throw badApdu('truncated extended length');
  const lc = (body[1]! << 8) | body[2]!;
  if (lc === 0) throw badApdu('extended Lc of zero');
  if (body.length === 3 + lc) return { ...c, data: body.slice(3), extended: true };
  if (body.length === 5 + lc) {
    const le = (body[3 + lc]! << 8) | body[4 + lc]!;
    return { ...c, data: body.slice(3, 3 + lc), le: le === 0 ? 65536 : le, extended: true };
  }
  throw badApdu('extended Lc does not match length');
}

export function parseResponse(b: Uint8Array): Response {
  if (b.length < 2) {
    throw new IdkError('CARD_MUTE', {
      vi: 'Thẻ không trả lời đúng (thiếu mã trạng thái): hãy đặt lại thẻ.',
      en: 'The card gave no status word: place it again.',
    });
  }
  return { data: b.slice(0, b.length - 2), sw: (b[b.length - 2]! << 8) | b[b.length - 1]! };
}

export function encodeResponse(r: Response): Uint8Array {
  return concat(r.data, Uint8Array.of(r.sw >> 8, r.sw & 0xff));
}

export const SW = {
  OK: 0x9000,
  END_OF_FILE: 0x6282,
  WRONG_LENGTH: 0x6700,
  SECURITY_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  SM_MISSING: 0x6987,
  SM_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNC_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  UNKNOWN: 0x6f00,
} as const;

export function swText(sw: number): string {
  if ((sw & 0xff00) === 0x6100) return `${sw & 0xff} more bytes available`;
  if ((sw & 0xff00) === 0x6c00) return `wrong Le, exact length ${sw & 0xff}`;
  if ((sw & 0xfff0) === 0x63c0) return `verification failed, ${sw & 0x0f} tries left`;
  const names: Record<number, string> = {
    0x9000: 'success',
    0x6282: 'end of file reached before Le bytes',
    0x6700: 'wrong length',
    0x6982: 'security status not satisfied',
    0x6983: 'authentication method blocked',
    0x6985: 'conditions of use not satisfied',
    0x6987: 'expected secure messaging objects missing',
    0x6988: 'incorrect secure messaging objects',
    0x6a80: 'incorrect data',
    0x6a81: 'function not supported',
    0x6a82: 'file not found',
    0x6a86: 'incorrect P1-P2',
    0x6b00: 'wrong parameters P1-P2',
    0x6d00: 'instruction not supported',
    0x6e00: 'class not supported',
    0x6f00: 'no precise diagnosis',
  };
  return names[sw] ?? 'unknown status';
}

function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

export class StatusError extends IdkError {
  constructor(
    readonly sw: number,
    readonly what: string,
  ) {
    super(
      'CARD_STATUS',
      {
        vi: `Thẻ từ chối lệnh ${what} (mã ${swHex(sw)}: ${swText(sw)}).`,
        en: `The card refused ${what} (status ${swHex(sw)}: ${swText(sw)}).`,
      },
      { detail: { sw: swHex(sw), what } },
    );
  }
}

/**
 * Sends one command and handles the transport-level status words of ISO 7816-4:
 * 61xx (GET RESPONSE until complete) and 6Cxx (re-issue with the exact Le).
 */
export async function transceive(t: Transport, c: Command): Promise<Response> {
  let r = parseResponse(await t.transmit(encodeCommand(c)));
  if ((r.sw & 0xff00) === 0x6c00) {
    const le = r.sw & 0xff || 256;
    r = parseResponse(await t.transmit(encodeCommand({ ...c, le })));
  }
  let data = r.data;
  let guard = 0;
  while ((r.sw & 0xff00) === 0x6100) {
    if (++guard > 256) throw new StatusError(r.sw, 'GET RESPONSE (too many)');
    const le = r.sw & 0xff || 256;
    r = parseResponse(await t.transmit(encodeCommand({ cla: c.cla & 0x0f, ins: 0xc0, p1: 0, p2: 0, le })));
    data = concat(data, r.data);
  }
  return { data, sw: r.sw };
}
