// The R30x packet codec: the packets printed in the vendor manuals (R307 user manual, as
// reproduced by Adafruit and pyfingerprint) byte for byte, hostile framing, and every
// confirmation code's message.
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import {
  CONFIRMATION,
  INS,
  PID,
  PacketReader,
  ackPacket,
  buildSysPara,
  commandPacket,
  confirmationError,
  confirmationName,
  dataPackets,
  decodePacket,
  encodePacket,
  params,
  parseIndexTable,
  parseMatch,
  parseSearch,
  parseSysPara,
  parseTemplateNum,
  retryable,
} from '../../drivers/fingerprint/r30x-protocol.js';
import { thrown } from '../helpers/errors.js';

describe('R30x packets', () => {
  it('encodes the manual\'s GenImg, VfyPwd and OK-ack packets byte for byte', () => {
    // R307 manual: GenImg = EF01 FFFFFFFF 01 0003 01 0005; VfyPwd(0) = EF01 FFFFFFFF 01 0007 13 00000000 001B;
    // an OK acknowledgement = EF01 FFFFFFFF 07 0003 00 000A.
    expect(hex(commandPacket(INS.genImg))).toBe('EF01FFFFFFFF010003010005');
    expect(hex(commandPacket(INS.vfyPwd, params.vfyPwd(0)))).toBe('EF01FFFFFFFF0100071300000000001B');
    expect(hex(ackPacket(0))).toBe('EF01FFFFFFFF07000300000A');
  });

  it('encodes Search, Store and AuraLedConfig parameters big-endian', () => {
    expect(hex(commandPacket(INS.search, params.search(1, 0, 0x00a3)))).toBe('EF01FFFFFFFF0100080401000000A300B1');
    expect(hex(commandPacket(INS.store, params.store(1, 0x0102)))).toBe('EF01FFFFFFFF010006060101020011');
    const led = commandPacket(INS.auraLedConfig, params.auraLedConfig({ mode: 2, colour: 1, speed: 0x10, count: 3 }));
    expect(decodePacket(led).payload).toEqual(Uint8Array.of(0x35, 2, 0x10, 1, 3));
  });

  it('round-trips any payload and address', () => {
    const p = { address: 0x12345678, pid: PID.data, payload: Uint8Array.from({ length: 256 }, (_, i) => i) };
    expect(decodePacket(encodePacket(p))).toEqual(p);
  });

  it('rejects hostile packets with FP_BAD_PACKET naming the fault', () => {
    const good = commandPacket(INS.genImg);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 10), /too short/],
      [Uint8Array.from([0xee, ...good.subarray(1)]), /start code/],
      [(() => { const b = good.slice(); b[6] = 0x05; return b; })(), /unknown packet type/],
      [(() => { const b = good.slice(); b[8] = 0x01; return b; })(), /length field below 2/],
      [(() => { const b = good.slice(); b[8] = 0x04; return b; })(), /disagrees/],
      [(() => { const b = good.slice(); b[7] = 0x02; return b; })(), /too large/],
      [(() => { const b = good.slice(); b[11] = b[11]! ^ 1; return b; })(), /checksum/],
    ];
    for (const [bytes, why] of cases) {
      const e = thrown(() => decodePacket(bytes));
      expect(isIdkError(e, 'FP_BAD_PACKET')).toBe(true);
      expect((e as Error).message).toMatch(why);
    }
    expect(() => encodePacket({ address: 0, pid: PID.data, payload: new Uint8Array(257) })).toThrow(RangeError);
  });
});

describe('PacketReader', () => {
  const a = ackPacket(0, [0, 3, 0, 99]);
  const b = ackPacket(0x09, [0, 0, 0, 0]);

  it('frames packets split byte by byte and skips leading noise (power-up 0x55)', () => {
    const r = new PacketReader();
    const stream = Uint8Array.from([0x55, 0x00, 0xef, ...a, ...b]);
    const got = [];
    for (const byte of stream) got.push(...r.push(Uint8Array.of(byte)));
    expect(got.map((e) => ('packet' in e ? hex(e.packet.payload) : 'error'))).toEqual(['0000030063', '0900000000']);
    expect(r.pending()).toBe(0);
  });

  it('reports a corrupt packet once and recovers on the next one', () => {
    const bad = a.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 0xff;
    const events = new PacketReader().push(Uint8Array.from([...bad, ...b]));
    expect(events).toHaveLength(2);
    expect('error' in events[0]! && events[0].error.code).toBe('FP_BAD_PACKET');
    expect('packet' in events[1]! && events[1].packet.payload[0]).toBe(0x09);
  });

  it('does not wait forever on an absurd length field', () => {
    const events = new PacketReader().push(fromHex('ef01ffffffff07ffff00'));
    expect(events).toHaveLength(1);
    expect('error' in events[0]!).toBe(true);
  });
});

describe('data packets', () => {
  it('splits a 512-byte template into 128-byte packets, the last one end-of-data', () => {
    const t = Uint8Array.from({ length: 512 }, (_, i) => i & 0xff);
    const pkts = dataPackets(t, 128).map(decodePacket);
    expect(pkts.map((p) => p.pid)).toEqual([PID.data, PID.data, PID.data, PID.endData]);
    expect(pkts.flatMap((p) => [...p.payload])).toEqual([...t]);
    expect(dataPackets(t.subarray(0, 130), 64).map((p) => decodePacket(p).payload.length)).toEqual([64, 64, 2]);
    expect(() => dataPackets(t, 100)).toThrow(RangeError);
  });
});

describe('confirmation codes', () => {
  it('maps every documented code to a distinct name with Vietnamese and English text', () => {
    const codes = Object.keys(CONFIRMATION).map(Number);
    expect(codes).toEqual(expect.arrayContaining([0x01, 0x02, 0x03, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x13, 0x15, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x20, 0x21]));
    const names = new Set<string>();
    for (const c of codes) {
      const e = confirmationError(c, INS.genImg);
      expect(e.code).toMatch(/^FP_[A-Z_]+$/);
      expect(e.code).toBe(confirmationName(c));
      expect(e.text('vi').length).toBeGreaterThan(10);
      expect(e.text('en').length).toBeGreaterThan(10);
      expect(e.text('vi')).not.toBe(e.text('en'));
      expect(e.detail).toEqual({ confirmation: c, instruction: INS.genImg });
      names.add(e.code);
    }
    expect(names.size).toBe(codes.length);
  });

  it('names the common ones as a clerk needs them', () => {
    expect(confirmationError(0x02).code).toBe('FP_NO_FINGER');
    expect(confirmationError(0x06).text('vi')).toMatch(/nhòe/);
    expect(confirmationError(0x13).code).toBe('FP_WRONG_PASSWORD');
    expect(confirmationName(0)).toBe('OK');
    const unknown = confirmationError(0x77);
    expect(unknown.code).toBe('FP_UNKNOWN_CODE');
    expect(unknown.text('en')).toMatch(/0x77/);
    expect(retryable(0x01)).toBe(true);
    expect(retryable(0x02)).toBe(false);
  });
});

describe('answers', () => {
  it('parses Search, Match, TempleteNum and ReadIndexTable answers', () => {
    expect(parseSearch(Uint8Array.of(0, 5, 0, 88))).toEqual({ page: 5, score: 88 });
    expect(parseMatch(Uint8Array.of(1, 2))).toEqual({ score: 258 });
    expect(parseTemplateNum(Uint8Array.of(0, 7))).toBe(7);
    const table = new Uint8Array(32);
    table[0] = 0b1000_0001;
    table[31] = 0x80;
    expect(parseIndexTable(table, 1)).toEqual([256, 263, 511]);
    expect(isIdkError(thrown(() => parseSearch(Uint8Array.of(0, 5))), 'FP_BAD_PACKET')).toBe(true);
  });

  it('round-trips ReadSysPara and rejects impossible values', () => {
    const p = { status: 4, systemId: 9, capacity: 1000, securityLevel: 5, address: 0xffffffff, packetSize: 256, baudRate: 115200 };
    expect(parseSysPara(buildSysPara(p))).toEqual(p);
    const bad = buildSysPara(p);
    bad[13] = 7;
    expect(isIdkError(thrown(() => parseSysPara(bad)), 'FP_BAD_PACKET')).toBe(true);
    const zeroBaud = buildSysPara(p);
    zeroBaud[15] = 0;
    expect(isIdkError(thrown(() => parseSysPara(zeroBaud)), 'FP_BAD_PACKET')).toBe(true);
    expect(isIdkError(thrown(() => parseSysPara(new Uint8Array(15))), 'FP_BAD_PACKET')).toBe(true);
  });

  it('refuses out-of-range parameters before they reach the wire', () => {
    expect(() => params.store(3, 0)).toThrow(RangeError);
    expect(() => params.search(1, 70000, 1)).toThrow(RangeError);
  });
});
