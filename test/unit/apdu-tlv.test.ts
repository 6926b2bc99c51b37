import { describe, expect, it } from 'vitest';
import { encodeCommand, parseCommand, parseResponse, transceive } from '../../drivers/apdu/apdu.js';
import { fromHex, hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import * as tlv from '../../drivers/apdu/tlv.js';
import { aesCmac } from '../../drivers/emrtd/crypto.js';
import { thrown } from '../helpers/errors.js';


describe('command APDUs (ISO/IEC 7816-3 §12.1.3 cases)', () => {
  const cases: Array<[string, Parameters<typeof encodeCommand>[0]]> = [
    ['00A4020C', { cla: 0, ins: 0xa4, p1: 2, p2: 0x0c }],
    ['00B0000000', { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 }],
    ['00A4020C02011E', { cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011E') }],
    ['00A4020C02011E00', { cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011E'), le: 256 }],
    ['00B0000000FFFF', { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 0xffff }],
    ['00B0000000000', { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 65536 }],
  ];
  it.each(cases)('%s round-trips', (hexText, cmd) => {
    const bytes = encodeCommand(cmd);
    if (hexText.length % 2 === 0) expect(hex(bytes)).toBe(hexText);
    const back = parseCommand(bytes);
    expect({ ...back, extended: undefined }).toEqual({ ...cmd, extended: undefined });
  });
  it('encodes extended Lc with data longer than 255 bytes', () => {
    const data = new Uint8Array(300);
    const b = encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data, le: 256 });
    expect(hex(b.subarray(0, 7))).toBe('00D60000' + '00012C');
    expect(parseCommand(b)).toMatchObject({ data, le: 256, extended: true });
  });
  it('rejects inconsistent lengths with a typed error', () => {
    expect(isIdkError(thrown(() => parseCommand(fromHex('00A4020C05011E'))), 'BAD_APDU')).toBe(true);
    expect(isIdkError(thrown(() => parseCommand(fromHex('00A4'))), 'BAD_APDU')).toBe(true);
    expect(isIdkError(thrown(() => parseResponse(fromHex('90'))), 'CARD_MUTE')).toBe(true);
  });
});

describe('transceive handles 61xx and 6Cxx', () => {
  it('collects GET RESPONSE chunks', async () => {
    const log: string[] = [];
    const r = await transceive(
      {
        transmit: async (c) => {
          log.push(hex(c));
          if (c[1] === 0xb0) return fromHex('AABB6102');
          return fromHex('CCDD9000');
        },
      },
      { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 },
    );
    expect(hex(r.data)).toBe('AABBCCDD');
    expect(r.sw).toBe(0x9000);
    expect(log[1]).toBe('00C0000002');
  });
  it('re-issues with the exact Le on 6Cxx', async () => {
    const log: string[] = [];
    const r = await transceive(
      {
        transmit: async (c) => {
          log.push(hex(c));
          return c[4] === 3 ? fromHex('0102039000') : fromHex('6C03');
        },
      },
      { cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 256 },
    );
    expect(hex(r.data)).toBe('010203');
    expect(log).toEqual(['00B0000000', '00B0000003']);
  });
});

describe('BER-TLV', () => {
  it('decodes multi-byte tags and long-form lengths', () => {
    const value = new Uint8Array(300).fill(7);
    const enc = tlv.encode(0x5f1f, value);
    expect(hex(enc.subarray(0, 5))).toBe('5F1F82012C');
    const t = tlv.decodeExact(enc, 0x5f1f);
    expect(t.value).toEqual(value);
    expect(tlv.readHeader(enc.subarray(0, 5)).length).toBe(300);
  });
  it('reads the header of a file before its value arrives', () => {
    const h = tlv.readHeader(fromHex('7582451A7F61'));
    expect(h).toMatchObject({ tag: 0x75, headerLength: 4, length: 0x451a, constructed: true });
  });
  it.each([
    ['truncated value', '5F1F0541'],
    ['length past end', '6181FF00'],
    ['indefinite length', '6180000000'],
    ['length too long', '618500000000010000'],
    ['tag too long', '5F8F8F8F0100'],
    ['empty', ''],
  ])('rejects %s with MALFORMED_DATA', (_name, h) => {
    expect(isIdkError(thrown(() => tlv.decodeExact(fromHex(h))), 'MALFORMED_DATA')).toBe(true);
  });
  it('refuses nesting deeper than the limit', () => {
    let t = tlv.encode(0x04, Uint8Array.of(1));
    for (let i = 0; i < tlv.MAX_DEPTH + 2; i++) t = tlv.encode(0x30, t);
    expect(isIdkError(thrown(() => tlv.decodeTree(t)), 'MALFORMED_DATA')).toBe(true);
  });
});

describe('AES-CMAC (RFC 4493 §4 test vectors)', () => {
  const key = fromHex('2b7e151628aed2a6abf7158809cf4f3c');
  const msg = fromHex(
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
  );
  it.each([
    [0, 'BB1D6929E95937287FA37D129B756746'],
    [16, '070A16B46B4D4144F79BDD9DD04A287C'],
    [40, 'DFA66747DE9AE63030CA32611497C827'],
    [64, '51F0BEBF7E3B9D92FC49741779363CFE'],
  ])('message of %i bytes', (n, mac) => {
    expect(hex(aesCmac(key, msg.subarray(0, n)))).toBe(mac);
  });
});
