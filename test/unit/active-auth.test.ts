// Active Authentication (Doc 9303 Part 11 §6.1): ISO/IEC 9796-2 scheme 1 against published
// vectors, plain ECDSA, the software chip's signing, and whole reads with RSA and ECDSA keys.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { ripemd160 } from '@noble/hashes/legacy.js';
import { describe, expect, it } from 'vitest';
import { SW } from '../../drivers/apdu/apdu.js';
import { bytesToBig, fromHex, hex } from '../../core/bytes.js';
import {
  type HashFunction,
  TRAILER_HASHES,
  activeAuthenticationSignature,
  recoverIso9796,
  verifyActiveAuthentication,
  verifyIso9796,
} from '../../drivers/emrtd/active-auth.js';
import { buildDg15 } from '../../drivers/emrtd/dg15.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { ID_AA, buildDg14, parseDg14 } from '../../drivers/emrtd/security-infos.js';
import { buildSod } from '../../drivers/emrtd/sod.js';
import { buildCard } from '../../drivers/emulator/card-builder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { createCsca, generateAaKeyPair, issueDocumentSigner } from '../../drivers/emulator/test-pki.js';
import { decodeDocument } from '../../main/verify/report.js';
import { demoPerson } from '../helpers/cards.js';

const RIPEMD160: HashFunction = { name: 'ripemd160', length: 20, digest: (d) => ripemd160(d) };

describe('ISO/IEC 9796-2 scheme 1 against published vectors', () => {
  // An eMRTD INTERNAL AUTHENTICATE answer (1024-bit key, e = 65537, SHA-1, implicit
  // trailer BC) to an all-zero challenge, from Bouncy Castle's ISO9796Test (doTest13).
  const n = bytesToBig(
    fromHex(
      'CDCBDABBF93BE8E8294E32B055256BBD0397735189BF75816341BB0D488D05D627991221DF7D59835C76A4BB4808ADEEB779E7794504E956ADC2A661B46904CDC71337DD29DDDD454124EF79CFDD7BC2C21952573CEFBA485CC38C6BD2428809B5A31A898A6B5648CAA4ED678D9743B589134B7187478996300EDBA16271A861',
    ),
  );
  const sig = fromHex(
    '482E20D1EDDED34359C38F5E7C01203F9D6B2641CDCA5C404D49ADAEDE034C7481D781D043722587761C90468DE69C6585A1E8B9C322F90E1B580EEDAB3F6007D0C366CF92B4DB8B41C8314929DCE2BE889C0129123484D2FD3D12763D2EBFD12AC8E51D7061AFCA1A53DEDEC7B9A617472A78C952CCC72467AE008E5F132994',
  );

  it('verifies an eMRTD Active Authentication answer and rejects it for any other challenge', () => {
    const key = { n, e: 65537n };
    expect(verifyIso9796(key, sig, new Uint8Array(8))).toBe(true);
    expect(verifyIso9796(key, sig, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1))).toBe(false);
    const r = recoverIso9796(key, sig)!;
    expect(r.partial).toBe(true);
    expect(r.hashFunction.name).toBe('sha1');
    // M1 fills the block: 128 - header 1 - hash 20 - trailer 1.
    expect(r.m1.length).toBe(106);
    const flipped = Uint8Array.from(sig);
    flipped[40]! ^= 1;
    expect(verifyIso9796(key, flipped, new Uint8Array(8))).toBe(false);
  });

  it('verifies the ISO/IEC 9796-2 (1st ed.) example with partial recovery and RIPEMD-160 (e = 3)', () => {
    // ISO/IEC 9796-2 edition 1 example as carried by Bouncy Castle's ISO9796Test (mod3, pub3, msg5, sig5).
    const key = {
      n: bytesToBig(
        fromHex(
          'ffffffff78f6c55506c59785e871211ee120b0b5dd644aa796d82413a47b24573f1be5745b5cd9950f6b389b52350d4e01e90009669a8720bf265a2865994190a661dea3c7828e2e7ca1b19651adc2d5',
        ),
      ),
      e: 3n,
    };
    const msg = fromHex('fedcba9876543210'.repeat(14));
    const sig5 = fromHex(
      '5cf9a01854dbacaec83aae8efc563d74538192e95466babacd361d7c86000fe42dcb4581e48e4feb862d04698da9203b1803b262105104d510b365ee9c660857ba1c001aa57abfd1c8de92e47c275cae',
    );
    const r = recoverIso9796(key, sig5, RIPEMD160)!;
    expect(r.partial).toBe(true);
    expect(hex(msg.subarray(0, r.m1.length))).toBe(hex(r.m1));
    expect(verifyIso9796(key, sig5, msg.subarray(r.m1.length), RIPEMD160)).toBe(true);
    expect(verifyIso9796(key, sig5, msg.subarray(r.m1.length + 1), RIPEMD160)).toBe(false);
  });

  it('opens nothing from a signature that is not one', () => {
    const key = { n, e: 65537n };
    expect(recoverIso9796(key, new Uint8Array(128))).toBeUndefined();
    expect(recoverIso9796(key, fromHex('01'.repeat(128)))).toBeUndefined();
    expect(recoverIso9796(key, fromHex('ff'.repeat(129)))).toBeUndefined();
  });
});

describe('the software chip signs, the reader verifies', () => {
  const challenge = fromHex('0123456789abcdef');

  it.each([
    ['rsa-1024', undefined, 'RSA ISO/IEC 9796-2 SHA1'],
    ['rsa-2048', '1.2.840.113549.1.1.11', 'RSA ISO/IEC 9796-2 SHA256'],
    ['ecdsa-p256', '1.2.840.10045.4.3.2', 'ECDSA SHA256'],
    ['ecdsa-p256', '0.4.0.127.0.7.1.1.4.1.4', 'ECDSA SHA384'],
  ] as const)('%s with %s', async (kind, algorithm, expected) => {
    const aa = await generateAaKeyPair(kind);
    const dg15 = buildDg15(aa.spki);
    const dg14 = algorithm ? parseDg14(buildDg14([{ kind: 'active-authentication', protocol: ID_AA, version: 1, signatureAlgorithm: algorithm }])) : undefined;
    const sig = activeAuthenticationSignature(aa.pkcs8, challenge, { signatureAlgorithm: algorithm });
    expect(verifyActiveAuthentication(dg15, dg14, challenge, sig)).toEqual({ valid: true, algorithm: expected });
    const other = Uint8Array.from(challenge);
    other[7]! ^= 0x80;
    expect(verifyActiveAuthentication(dg15, dg14, other, sig).valid).toBe(false);
  });

  it('ECDSA: plain r||s of TR-03111 and, for lenient chips, DER both verify; the hash DG14 names is used', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
    const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
    const dg15 = buildDg15(spki);
    const plain = activeAuthenticationSignature(pkcs8, challenge, { signatureAlgorithm: '1.2.840.10045.4.3.2' });
    expect(plain.length).toBe(64);
    const { sign } = await import('node:crypto');
    const der = new Uint8Array(sign('sha256', challenge, { key: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }), dsaEncoding: 'der' }));
    const dg14 = parseDg14(buildDg14([{ kind: 'active-authentication', protocol: ID_AA, version: 1, signatureAlgorithm: '1.2.840.10045.4.3.2' }]));
    expect(verifyActiveAuthentication(dg15, dg14, challenge, plain).valid).toBe(true);
    expect(verifyActiveAuthentication(dg15, dg14, challenge, der).valid).toBe(true);
    // DG14 names SHA-512: a SHA-256 signature no longer counts.
    const dg14Sha512 = parseDg14(buildDg14([{ kind: 'active-authentication', protocol: ID_AA, version: 1, signatureAlgorithm: '1.2.840.10045.4.3.4' }]));
    expect(verifyActiveAuthentication(dg15, dg14Sha512, challenge, plain)).toMatchObject({ valid: false, algorithm: 'ECDSA SHA512' });
    // Without DG14 every SHA is tried: a valid signature over our challenge still proves the key.
    expect(verifyActiveAuthentication(dg15, undefined, challenge, plain).valid).toBe(true);
  });

  it('the trailer hash table holds the ISO/IEC 10118-3 identifiers', () => {
    expect(Object.fromEntries(Object.entries(TRAILER_HASHES).map(([k, h]) => [Number(k).toString(16), h.name]))).toEqual({
      '33': 'sha1',
      '34': 'sha256',
      '35': 'sha512',
      '36': 'sha384',
      '38': 'sha224',
    });
  });
});

describe('Active Authentication during a read', () => {
  async function rsaCard(): Promise<CardImage> {
    const csca = await createCsca({ country: 'VN' });
    const ds = await issueDocumentSigner(csca);
    const card = await buildCard(await demoPerson('passport'), ds);
    const aa = await generateAaKeyPair('rsa-1024');
    // An older passport: RSA AA key, DG14 with only the CA key (RSA AA needs no ActiveAuthenticationInfo).
    const dg14 = parseDg14(card.files.get('DG14')!).filter((i) => i.kind !== 'active-authentication');
    card.files.set('DG14', buildDg14(dg14));
    card.files.set('DG15', buildDg15(aa.spki));
    const groups = new Map([...card.files].filter(([k]) => /^DG\d+$/.test(k)).map(([k, v]) => [Number(k.slice(2)), v]));
    card.files.set('EF.SOD', await buildSod({ hashAlgorithm: 'sha256', dataGroups: groups, signer: ds }));
    card.secrets.activeAuthenticationKey = aa.pkcs8;
    return card;
  }
  const MRZ = { kind: 'mrz', key: { documentNumber: 'C0000001', dateOfBirth: '851102', dateOfExpiry: '311102' } } as const;

  it('an RSA chip under BAC answers INTERNAL AUTHENTICATE and verifies', async () => {
    const raw = await readDocument(new SoftwareChip(await rsaCard()), { access: MRZ });
    expect(raw.access).toBe('BAC');
    expect(raw.activeAuthentication).toEqual({ outcome: 'valid', protocol: 'RSA ISO/IEC 9796-2 SHA1' });
    const { report } = await decodeDocument(raw, 0);
    expect(report.authenticity.active).toBe('valid');
    expect(report.authenticity.passive).toBe('no-trust-anchor');
  });

  it('is skipped when asked, and then honestly not-checked', async () => {
    const raw = await readDocument(new SoftwareChip(await rsaCard()), { access: MRZ, activeAuthentication: false });
    expect(raw.activeAuthentication).toBeUndefined();
    expect((await decodeDocument(raw, 0)).report.authenticity.active).toBe('not-checked');
  });

  it('the chip refuses INTERNAL AUTHENTICATE outside secure messaging', async () => {
    const chip = new SoftwareChip(await rsaCard());
    const r = chip.process(Uint8Array.of(0x00, 0x88, 0x00, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 7, 8, 0x00));
    expect((r[r.length - 2]! << 8) | r[r.length - 1]!).toBe(SW.SECURITY_NOT_SATISFIED);
  });

  it('a chip without DG15 says not-supported', async () => {
    const card = await rsaCard();
    card.files.delete('DG15');
    const raw = await readDocument(new SoftwareChip(card), { access: MRZ });
    expect(raw.activeAuthentication).toBeUndefined();
    expect((await decodeDocument(raw, 0)).report.authenticity.active).toBe('not-supported');
  });
});
