// Chip Authentication (Doc 9303 Part 11 §6.2) between the reader and the software chip:
// ECDH with AES (MSE:Set AT + GENERAL AUTHENTICATE) and 3DES (MSE:Set KAT), DH, PACE-CAM,
// the session continuing under the new keys, and chips that cannot prove the DG14 key.
import { getDiffieHellman, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type Transport, SW } from '../../drivers/apdu/apdu.js';
import { bytesToBig, hex } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { ChipAuthenticationChip, chipAuthenticate, chooseChipAuthentication, dhPublicValue, dhSubjectPublicKeyInfo } from '../../drivers/emrtd/chip-auth.js';
import { dataGroup } from '../../drivers/emrtd/files.js';
import { paceTerminal } from '../../drivers/emrtd/pace.js';
import { readDocument, selectApplication } from '../../drivers/emrtd/read-document.js';
import { readFile } from '../../drivers/emrtd/read-file.js';
import { CA, ID_PK_DH, ID_DH_PUBLIC_NUMBER, PACE, type SecurityInfo, buildDg14, parseCardAccess, parseDg14 } from '../../drivers/emrtd/security-infos.js';
import { CardSession } from '../../drivers/emrtd/session.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { demoPerson, freshCard, loadDemo } from '../helpers/cards.js';

const CAN = { kind: 'can', can: '012345' } as const;
const PASSPORT_MRZ = { kind: 'mrz', key: { documentNumber: 'C0000001', dateOfBirth: '851102', dateOfExpiry: '311102' } } as const;

/** The card with DG14's ChipAuthenticationInfo replaced (the key stays). */
function withCaInfos(card: CardImage, infos: SecurityInfo[]): CardImage {
  const keys = parseDg14(card.files.get('DG14')!).filter((i) => i.kind !== 'chip-authentication');
  return { ...card, files: new Map(card.files).set('DG14', buildDg14([...keys, ...infos])) };
}

/** A transport that keeps every command header, to see which APDUs CA used. */
function recording(chip: SoftwareChip): { transport: Transport; headers: string[] } {
  const headers: string[] = [];
  return { headers, transport: { transmit: async (c) => (headers.push(hex(c.subarray(0, 4))), chip.transmit(c)) } };
}

describe('Chip Authentication on the demo cards', () => {
  it('CCCD (brainpoolP256r1, AES-128) and passport (P-256, AES-128) are valid', async () => {
    const cccd = await readDocument(new SoftwareChip(await loadDemo('cccd')), { access: CAN });
    expect(cccd.chipAuthentication).toEqual({ outcome: 'valid', protocol: CA.ECDH_AES_CBC_CMAC_128 });
    const passport = await readDocument(new SoftwareChip(await loadDemo('passport')), { access: PASSPORT_MRZ });
    expect(passport.access).toBe('BAC');
    expect(passport.chipAuthentication).toEqual({ outcome: 'valid', protocol: CA.ECDH_AES_CBC_CMAC_128 });
  });

  it('uses MSE:Set AT + GENERAL AUTHENTICATE for AES, after Active Authentication', async () => {
    const chip = new SoftwareChip(await loadDemo('cccd'));
    const { transport, headers } = recording(chip);
    await readDocument(transport, { access: CAN });
    const tail = headers.slice(-4);
    // Under SM the class byte carries 0C: IA, MSE:Set AT (41 A4), GA, then SELECT under the new keys.
    expect(tail).toEqual(['0C880000', '0C2241A4', '0C860000', '0CA4020C']);
  });

  it('the session goes on under the new keys: files read after CA arrive intact', async () => {
    const card = await loadDemo('cccd');
    const chip = new SoftwareChip(card);
    const session = new CardSession(chip);
    const info = parseCardAccess(card.files.get('EF.CardAccess')!).find((i) => i.kind === 'pace')!;
    const pace = await paceTerminal((c) => session.send(c), { password: { kind: 'can', can: '012345' }, info: info as never });
    session.sm = pace.sm;
    await selectApplication(session);
    const before = session.sm;
    const check = await chipAuthenticate(session, parseDg14(card.files.get('DG14')!));
    expect(check.outcome).toBe('valid');
    expect(session.sm).not.toBe(before);
    // SSC restarted at zero for the new keys, then one command and its response (Part 11 §9.8.2).
    expect(hex(session.sm!.counter)).toBe('00000000000000000000000000000002');
    const dg1 = await readFile(session, dataGroup(1), { chunk: 200, extended: false });
    expect(hex(dg1)).toBe(hex(card.files.get('DG1')!));
  });
});

describe('suites', () => {
  it.each([
    ['3DES via MSE:Set KAT', [{ kind: 'chip-authentication', protocol: CA.ECDH_3DES_CBC_CBC, version: 1 }], '0C2241A6', CA.ECDH_3DES_CBC_CBC],
    ['AES-256', [{ kind: 'chip-authentication', protocol: CA.ECDH_AES_CBC_CMAC_256, version: 1 }], '0C2241A4', CA.ECDH_AES_CBC_CMAC_256],
    ['no ChipAuthenticationInfo (early passports: 3DES implied)', [], '0C2241A6', CA.ECDH_3DES_CBC_CBC],
  ] as const)('%s', async (_name, infos, header, protocol) => {
    const card = withCaInfos(await loadDemo('passport'), infos as unknown as SecurityInfo[]);
    const chip = new SoftwareChip(card);
    const { transport, headers } = recording(chip);
    const raw = await readDocument(transport, { access: PASSPORT_MRZ });
    expect(raw.chipAuthentication).toEqual({ outcome: 'valid', protocol });
    expect(headers).toContain(header);
  });

  it('DH (2048-bit MODP group of RFC 3526, AES-128) works both ways', async () => {
    const dh = getDiffieHellman('modp14');
    const p = bytesToBig(new Uint8Array(dh.getPrime()));
    const group = { p, g: 2n, q: (p - 1n) / 2n };
    const x = bytesToBig(new Uint8Array(randomBytes(32)));
    const spki = dhSubjectPublicKeyInfo(group, dhPublicValue(group, x));
    const card = await loadDemo('passport');
    const others = parseDg14(card.files.get('DG14')!).filter((i) => i.kind === 'active-authentication');
    const dg14 = buildDg14([
      ...others,
      { kind: 'chip-authentication', protocol: CA.DH_AES_CBC_CMAC_128, version: 1 },
      { kind: 'chip-authentication-public-key', protocol: ID_PK_DH, subjectPublicKeyInfo: spki, algorithm: ID_DH_PUBLIC_NUMBER, publicKey: new Uint8Array(0) },
    ]);
    // A 256-byte DH key does not fit a short APDU under SM: DH chips speak extended length.
    const dhCard: CardImage = { ...card, profile: { ...card.profile, extendedLength: true }, files: new Map(card.files).set('DG14', dg14), secrets: { ...card.secrets, chipAuthenticationKey: bigBytes(x) } };
    const raw = await readDocument(new SoftwareChip(dhCard), { access: PASSPORT_MRZ });
    expect(raw.chipAuthentication, raw.chipAuthentication?.reason).toEqual({ outcome: 'valid', protocol: CA.DH_AES_CBC_CMAC_128 });
    // The same DG14 on a chip with another exponent fails.
    const wrong: CardImage = { ...dhCard, secrets: { ...dhCard.secrets, chipAuthenticationKey: bigBytes(x + 2n) } };
    expect((await readDocument(new SoftwareChip(wrong), { access: PASSPORT_MRZ })).chipAuthentication?.outcome).toBe('invalid');
  });

  it('PACE-CAM carries the proof: checked against DG14, no separate CA', async () => {
    const person = await demoPerson('cccd');
    const card = await freshCard({ ...person, paceProtocol: PACE.ECDH_CAM_AES_CBC_CMAC_128 });
    const chip = new SoftwareChip(card);
    const { transport, headers } = recording(chip);
    const raw = await readDocument(transport, { access: CAN });
    expect(raw.access).toBe('PACE-CAM');
    expect(raw.chipAuthentication).toEqual({ outcome: 'valid', protocol: PACE.ECDH_CAM_AES_CBC_CMAC_128 });
    expect(headers.filter((h) => h === '0C2241A4')).toEqual([]);
    // A DG14 with another chip's key does not match the chip's CAM proof.
    const other = await freshCard({ ...person, paceProtocol: PACE.ECDH_CAM_AES_CBC_CMAC_128 });
    const swapped: CardImage = { ...card, files: new Map(card.files).set('DG14', other.files.get('DG14')!) };
    const r2 = await readDocument(new SoftwareChip(swapped), { access: CAN });
    expect(r2.chipAuthentication?.outcome).toBe('invalid');
    expect(r2.chipAuthentication?.reason).toContain('PACE-CAM');
  });
});

function bigBytes(v: bigint): Uint8Array {
  let h = v.toString(16);
  if (h.length % 2) h = '0' + h;
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

describe('chips that cannot prove the key', () => {
  it('another key: the answer under the new keys does not verify', async () => {
    const card = await loadDemo('cccd');
    const other = await freshCard(await demoPerson('cccd'));
    const raw = await readDocument(new SoftwareChip({ ...card, secrets: { ...card.secrets, chipAuthenticationKey: other.secrets.chipAuthenticationKey } }), { access: CAN });
    expect(raw.chipAuthentication?.outcome).toBe('invalid');
    expect(raw.chipAuthentication?.reason).toMatch(/does not hold the DG14 private key/);
    // Active Authentication ran first, on an intact session.
    expect(raw.activeAuthentication?.outcome).toBe('valid');
  });

  it('no key at all: the chip refuses MSE:Set AT', async () => {
    const card = await loadDemo('cccd');
    const raw = await readDocument(new SoftwareChip({ ...card, secrets: { can: card.secrets.can, activeAuthenticationKey: card.secrets.activeAuthenticationKey } }), {
      access: CAN,
    });
    expect(raw.chipAuthentication).toMatchObject({ outcome: 'invalid', reason: 'the chip refused chip authentication (MSE:Set AT, status 6A88)' });
  });

  it('a DG14 without a chip authentication key says not-supported', async () => {
    const card = await loadDemo('passport');
    const dg14 = buildDg14(parseDg14(card.files.get('DG14')!).filter((i) => i.kind === 'active-authentication'));
    const raw = await readDocument(new SoftwareChip({ ...card, files: new Map(card.files).set('DG14', dg14) }), { access: PASSPORT_MRZ });
    expect(raw.chipAuthentication).toEqual({ outcome: 'not-supported', reason: 'DG14 offers no chip authentication key' });
    expect(chooseChipAuthentication(parseDg14(dg14))).toBeUndefined();
  });

  it('a card pulled during chip authentication is CARD_REMOVED, not a verdict', async () => {
    const card = await loadDemo('cccd');
    const full = new SoftwareChip(card);
    await readDocument(full, { access: CAN });
    for (const back of [1, 2, 3]) {
      const chip = new SoftwareChip(card);
      chip.removeAfterApdus(full.apdus - back);
      const e = await readDocument(chip, { access: CAN }).catch((x: unknown) => x);
      expect(isIdkError(e, 'CARD_REMOVED'), `pulled ${back} APDUs before the end`).toBe(true);
    }
  });
});

describe('the chip side on its own', () => {
  const infos = (): SecurityInfo[] => [{ kind: 'chip-authentication', protocol: CA.ECDH_AES_CBC_CMAC_128, version: 1 }];

  it('refuses GENERAL AUTHENTICATE without MSE:Set AT, and an unknown protocol', async () => {
    const card = await loadDemo('passport');
    const dg14 = parseDg14(card.files.get('DG14')!);
    const chip = new ChipAuthenticationChip([...dg14, ...infos()], card.secrets.chipAuthenticationKey!);
    expect(chip.handle({ cla: 0, ins: 0x86, p1: 0, p2: 0, data: Uint8Array.of(0x7c, 0x00) }).response.sw).toBe(SW.CONDITIONS_NOT_SATISFIED);
    const unknown = Uint8Array.of(0x80, 0x0a, 0x04, 0x00, 0x7f, 0x00, 0x07, 0x02, 0x02, 0x03, 0x02, 0x09);
    expect(chip.handle({ cla: 0, ins: 0x22, p1: 0x41, p2: 0xa4, data: unknown }).response.sw).toBe(0x6a88);
    expect(chip.handle({ cla: 0, ins: 0x22, p1: 0x41, p2: 0xa4, data: Uint8Array.of(0x80) }).response.sw).toBe(SW.WRONG_DATA);
    // MSE:Set KAT is for 3DES suites, which this DG14 does not offer.
    expect(chip.handle({ cla: 0, ins: 0x22, p1: 0x41, p2: 0xa6, data: Uint8Array.of(0x91, 0x01, 0x04) }).response.sw).toBe(0x6a88);
  });
});
