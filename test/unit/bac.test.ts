// ICAO Doc 9303 Part 11, Appendix D (worked example: BAC and secure messaging for the
// specimen MRZ information L898902C<369080619406236). Values are the standard's.
import { describe, expect, it } from 'vitest';
import { encodeCommand, parseResponse } from '../../drivers/apdu/apdu.js';
import { fromHex, hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { BacChip, bacKeys, bacTerminal, mrzInformation, parseMrzKey } from '../../drivers/emrtd/bac.js';
import { SecureMessaging } from '../../drivers/emrtd/secure-messaging.js';

const D2 = { documentNumber: 'L898902C', dateOfBirth: '690806', dateOfExpiry: '940623' };

describe('BAC key derivation (Doc 9303 Part 11 D.2)', () => {
  it('builds the MRZ information with check digits', () => {
    expect(mrzInformation(D2)).toBe('L898902C<369080619406236');
  });
  it('derives Kseed, KEnc and KMac', () => {
    const k = bacKeys(mrzInformation(D2));
    expect(hex(k.kSeed)).toBe('239AB9CB282DAF66231DC5A4DF6BFBAE');
    expect(hex(k.kEnc)).toBe('AB94FDECF2674FDFB9B391F85D7F76F2');
    expect(hex(k.kMac)).toBe('7962D9ECE03D1ACD4C76089DCE131543');
  });
  it('uses the whole document number when it is longer than 9 characters', () => {
    const info = mrzInformation({ documentNumber: '001099012345', dateOfBirth: '990101', dateOfExpiry: '390101' });
    expect(info.startsWith('001099012345')).toBe(true);
    expect(info).toHaveLength(12 + 1 + 7 + 7);
  });
  it('rejects malformed keys with a clerk-readable error', () => {
    for (const bad of ['L898902C:690806', 'L898902C:6908X6:940623', 'L898-02C:690806:940623']) {
      let err: unknown;
      try {
        parseMrzKey(bad);
      } catch (e) {
        err = e;
      }
      expect(isIdkError(err, 'BAD_ACCESS_KEY')).toBe(true);
    }
  });
});

describe('BAC mutual authentication (Doc 9303 Part 11 D.3)', () => {
  const RND_IC = fromHex('4608F91988702212');
  const RND_IFD = fromHex('781723860C06C226');
  const K_IFD = fromHex('0B795240CB7049B01C19B33E32804F0B');
  const K_IC = fromHex('0B4F80323EB3191CB04970CB4052790B');

  it('sends the published EXTERNAL AUTHENTICATE and derives the session keys', async () => {
    const sent: string[] = [];
    const sm = await bacTerminal(
      async (c) => {
        sent.push(hex(encodeCommand(c)));
        if (c.ins === 0x84) return { data: RND_IC, sw: 0x9000 };
        return parseResponse(
          fromHex('46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000'),
        );
      },
      D2,
      (() => {
        const queue = [RND_IFD, K_IFD];
        return () => queue.shift()!;
      })(),
    );
    expect(sent[1]).toBe(
      '0082000028' + '72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2' + '5F1448EEA8AD90A7' + '28',
    );
    expect(hex(sm.counter)).toBe('887022120C06C226');
    // The session keys are checked through D.4's protected APDUs below.
    const select = sm.wrap({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011E') });
    expect(hex(encodeCommand(select))).toBe('0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800');
  });

  it('refuses a chip whose answer does not match (wrong key)', async () => {
    const chip = new BacChip(mrzInformation({ ...D2, dateOfBirth: '690807' }));
    const err = await bacTerminal(async (c) => chip.handle(c).response, D2).catch((e: unknown) => e);
    expect(isIdkError(err, 'ACCESS_DENIED')).toBe(true);
  });

  it('software chip answers as the published chip does', () => {
    const queue = [RND_IC, K_IC];
    const chip = new BacChip(mrzInformation(D2), () => queue.shift()!);
    expect(hex(chip.handle({ cla: 0, ins: 0x84, p1: 0, p2: 0, le: 8 }).response.data)).toBe(hex(RND_IC));
    const out = chip.handle({
      cla: 0,
      ins: 0x82,
      p1: 0,
      p2: 0,
      data: fromHex('72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7'),
      le: 40,
    });
    expect(hex(out.response.data)).toBe(
      '46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449',
    );
    expect(hex(out.sm!.counter)).toBe('887022120C06C226');
  });
});

describe('3DES secure messaging (Doc 9303 Part 11 D.4)', () => {
  const sm = () =>
    new SecureMessaging('3DES', fromHex('979EC13B1CBFE9DCD01AB0FED307EAE5'), fromHex('F1CB1F1FB5ADF208806B89DC579DC1F8'), fromHex('887022120C06C226'));

  it('wraps and unwraps the published SELECT and READ BINARY exchange', () => {
    const s = sm();
    const w1 = s.wrap({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011E') });
    expect(hex(encodeCommand(w1))).toBe('0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800');
    expect(s.unwrap(parseResponse(fromHex('990290008E08FA855A5D4C50A8ED9000')))).toEqual({ data: new Uint8Array(0), sw: 0x9000 });
    const w2 = s.wrap({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 });
    expect(hex(encodeCommand(w2))).toBe('0CB000000D9701048E08ED6705417E96BA5500');
    const r2 = s.unwrap(parseResponse(fromHex('8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000')));
    expect(hex(r2.data)).toBe('60145F01');
    const w3 = s.wrap({ cla: 0, ins: 0xb0, p1: 0, p2: 4, le: 0x12 });
    expect(hex(encodeCommand(w3))).toBe('0CB000040D9701128E082EA28A70F3C7B53500');
    const r3 = s.unwrap(
      parseResponse(fromHex('871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000')),
    );
    expect(hex(r3.data)).toBe('04303130365F36063034303030305C026175');
    expect(hex(s.counter)).toBe('887022120C06C22C');
  });

  it('rejects a response whose MAC was tampered with', () => {
    const s = sm();
    s.wrap({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('011E') });
    let err: unknown;
    try {
      s.unwrap(parseResponse(fromHex('990290008E08FA855A5D4C50A8EE9000')));
    } catch (e) {
      err = e;
    }
    expect(isIdkError(err, 'SM_MAC_INVALID')).toBe(true);
  });

  it('chip side opens what the terminal wrapped and the terminal opens the reply', () => {
    const term = sm();
    const chip = sm();
    for (const le of [4, 200, 256, 1000, 65536]) {
      const cmd = { cla: 0, ins: 0xb0, p1: 0, p2: 0x10, le };
      const opened = chip.unwrapCommand(term.wrap(cmd));
      expect(opened).toEqual(cmd);
      const data = new Uint8Array(Math.min(le, 300)).map((_, i) => i);
      expect(term.unwrap(chip.wrapResponse({ data, sw: 0x9000 }))).toEqual({ data, sw: 0x9000 });
    }
  });
});
