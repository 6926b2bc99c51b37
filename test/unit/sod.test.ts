// EF.SOD and DG15: build over fictitious data groups with a test PKI, parse back, check the
// signature, and refuse hostile bytes with MALFORMED_DATA. OpenSSL is the third-party
// check that the CMS we write is standard (Debian package `openssl`).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat, equal, fromHex, utf8 } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { decodeExact, encode } from '../../drivers/apdu/tlv.js';
import { buildDg15, parseDg15 } from '../../drivers/emrtd/dg15.js';
import {
  MAX_SOD_BYTES,
  OID_CSCA_MASTER_LIST,
  OID_LDS_SECURITY_OBJECT,
  buildSod,
  encodeLdsSecurityObject,
  hashDataGroup,
  parseLdsSecurityObject,
  parseSod,
  signCms,
  verifySodSignature,
  type SodHashAlgorithm,
} from '../../drivers/emrtd/sod.js';
import {
  createCsca,
  generateAaKeyPair,
  issueDocumentSigner,
  type Csca,
  type DocumentSigner,
  type KeyAlgorithm,
} from '../../drivers/emulator/test-pki.js';

const OPENSSL = '/usr/bin/openssl';
const SIGNING_TIME = new Date('2024-03-15T08:30:00Z');

let csca: Csca;
const signers = new Map<KeyAlgorithm, DocumentSigner>();
let dataGroups: Map<number, Uint8Array>;

function fictitiousDataGroups(dg15: Uint8Array): Map<number, Uint8Array> {
  const mrz = 'IDVNM0123456789001234567890<<<9001019M3001017VNM<<<<<<<<<<<8NGUYEN<<VAN<A<<<<<<<<<<<<<<<<';
  const face = new Uint8Array(4000).map((_, i) => (i * 31) & 0xff);
  return new Map([
    [1, encode(0x61, encode(0x5f1f, utf8.encode(mrz)))],
    [2, encode(0x75, face)],
    [13, encode(0x6d, utf8.encode('Nguyễn Văn A'.normalize('NFC')))],
    [14, encode(0x6e, fromHex('3100'))],
    [15, dg15],
  ]);
}

function expectMalformed(f: () => unknown, what?: string): void {
  try {
    f();
  } catch (e) {
    expect(isIdkError(e, 'MALFORMED_DATA'), String(e)).toBe(true);
    if (what) expect((e as Error).message).toContain(what);
    return;
  }
  throw new Error('expected MALFORMED_DATA');
}

/** DER of the SOD's ContentInfo, without the 0x77 wrapper. */
function unwrap(sod: Uint8Array): Uint8Array {
  return decodeExact(sod, 0x77).value;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

beforeAll(async () => {
  csca = await createCsca({ country: 'VN' });
  for (const alg of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-pss-2048'] as const) {
    signers.set(alg, await issueDocumentSigner(csca, { keyAlgorithm: alg }));
  }
  const aa = await generateAaKeyPair('ecdsa-p256');
  dataGroups = fictitiousDataGroups(buildDg15(aa.spki));
});

async function sodWith(alg: KeyAlgorithm, hash: SodHashAlgorithm = 'sha256'): Promise<Uint8Array> {
  return buildSod({ hashAlgorithm: hash, dataGroups, signer: signers.get(alg)!, signingTime: SIGNING_TIME });
}

describe('buildSod / parseSod', () => {
  it('round-trips hashes, algorithm, certificate and signing time', async () => {
    const ds = signers.get('ecdsa-p256')!;
    const bytes = await buildSod({
      hashAlgorithm: 'sha256',
      dataGroups,
      signer: ds,
      signingTime: SIGNING_TIME,
      ldsVersion: { lds: '0108', unicode: '040000' },
    });
    expect(bytes[0]).toBe(0x77);
    const sod = parseSod(bytes);
    expect(sod.hashAlgorithm).toBe('sha256');
    expect(sod.hashOid).toBe('2.16.840.1.101.3.4.2.1');
    expect(sod.version).toBe(1);
    expect(sod.ldsVersion).toBe('0108');
    expect(sod.unicodeVersion).toBe('040000');
    expect([...sod.dataGroupHashes.keys()]).toEqual([1, 2, 13, 14, 15]);
    for (const [n, dg] of dataGroups) expect(equal(sod.dataGroupHashes.get(n)!, hashDataGroup('sha256', dg))).toBe(true);
    expect(equal(sod.signerCertificate!, ds.certificate)).toBe(true);
    expect(sod.signingTime).toBe(SIGNING_TIME.toISOString());
    expect(sod.signatureAlgorithmOid).toBe('1.2.840.10045.4.3.2');
  });

  it('leaves ldsVersionInfo out and writes version 0 by default', async () => {
    const sod = parseSod(await sodWith('ecdsa-p256'));
    expect(sod.version).toBe(0);
    expect(sod.ldsVersion).toBeUndefined();
  });

  it.each(['sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const)('carries %s data group hashes', async (hash) => {
    const sod = parseSod(await sodWith('ecdsa-p256', hash));
    expect(sod.hashAlgorithm).toBe(hash);
    expect(equal(sod.dataGroupHashes.get(2)!, hashDataGroup(hash, dataGroups.get(2)!))).toBe(true);
  });

  it.each([
    ['ecdsa-p256', '1.2.840.10045.4.3.2'],
    ['ecdsa-p384', '1.2.840.10045.4.3.3'],
    ['rsa-2048', '1.2.840.113549.1.1.11'],
    ['rsa-pss-2048', '1.2.840.113549.1.1.10'],
  ] as const)('signature by a %s Document Signer verifies', async (alg, oid) => {
    const sod = parseSod(await sodWith(alg));
    expect(sod.signatureAlgorithmOid).toBe(oid);
    expect(await verifySodSignature(sod)).toEqual({ valid: true });
  });

  it('shows a hash mismatch for a data group altered after signing', async () => {
    const sod = parseSod(await sodWith('ecdsa-p256'));
    const altered = Uint8Array.from(dataGroups.get(1)!);
    altered[10]! ^= 0x01;
    expect(equal(hashDataGroup(sod.hashAlgorithm, altered), sod.dataGroupHashes.get(1)!)).toBe(false);
    expect(equal(hashDataGroup(sod.hashAlgorithm, dataGroups.get(1)!), sod.dataGroupHashes.get(1)!)).toBe(true);
  });
});

describe('verifySodSignature', () => {
  it.each(['ecdsa-p256', 'rsa-2048', 'rsa-pss-2048'] as const)('fails a tampered %s signature', async (alg) => {
    const bytes = await sodWith(alg);
    // The signature OCTET STRING closes the file; its last byte lies inside r||s or the RSA block.
    bytes[bytes.length - 1]! ^= 0x01;
    const check = await verifySodSignature(parseSod(bytes));
    expect(check).toEqual({ valid: false, reason: 'signature does not verify with the Document Signer key' });
  });

  it('fails when a hash inside the signed content is changed (message-digest)', async () => {
    const bytes = await sodWith('ecdsa-p256');
    const at = indexOf(bytes, hashDataGroup('sha256', dataGroups.get(1)!));
    expect(at).toBeGreaterThan(0);
    bytes[at]! ^= 0xff;
    const check = await verifySodSignature(parseSod(bytes));
    expect(check).toEqual({ valid: false, reason: 'message-digest does not match the content' });
  });

  it('fails when a signed attribute is changed (signing time)', async () => {
    const bytes = await sodWith('ecdsa-p256');
    const time = new Uint8Array(new asn1js.UTCTime({ valueDate: SIGNING_TIME }).toBER(false));
    const at = indexOf(bytes, time);
    expect(at).toBeGreaterThan(0);
    bytes[at + time.length - 2]! ^= 0x01; // a seconds digit: '0' -> '1'
    const sod = parseSod(bytes);
    expect(sod.signingTime).not.toBe(SIGNING_TIME.toISOString());
    expect((await verifySodSignature(sod)).valid).toBe(false);
  });

  it('fails when the embedded certificate belongs to another signer', async () => {
    // Signed by the P-256 DS but carrying the P-384 DS certificate.
    const liar = { certificate: signers.get('ecdsa-p384')!.certificate, privateKey: signers.get('ecdsa-p256')!.privateKey };
    const bytes = await buildSod({ hashAlgorithm: 'sha256', dataGroups, signer: liar, signatureHash: 'SHA-256' });
    expect(await verifySodSignature(parseSod(bytes))).toEqual({
      valid: false,
      reason: 'signature does not verify with the Document Signer key',
    });
  });

  it('refuses a Sod object not produced by parseSod', async () => {
    const sod = parseSod(await sodWith('ecdsa-p256'));
    expect((await verifySodSignature({ ...sod, signedData: {} })).valid).toBe(false);
  });
});

describe('parseSod on hostile input', () => {
  let good: Uint8Array;
  beforeAll(async () => {
    good = await sodWith('ecdsa-p256');
  });

  async function signedSod(contentType: string, content: Uint8Array): Promise<Uint8Array> {
    return encode(0x77, await signCms({ contentType, content, signer: signers.get('ecdsa-p256')! }));
  }

  /** LDSSecurityObject with arbitrary entries, to write what buildSod never would. */
  function ldsObject(entries: [number, Uint8Array][], hashOid = '2.16.840.1.101.3.4.2.1'): Uint8Array {
    const seq = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 0 }),
        new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: hashOid })] }),
        new asn1js.Sequence({
          value: entries.map(([n, h]) => new asn1js.Sequence({ value: [new asn1js.Integer({ value: n }), new asn1js.OctetString({ valueHex: h })] })),
        }),
      ],
    });
    return new Uint8Array(seq.toBER(false));
  }

  it('refuses empty, wrong tag, truncated and trailing bytes', () => {
    expectMalformed(() => parseSod(new Uint8Array(0)));
    expectMalformed(() => parseSod(concat(Uint8Array.of(0x78), good.subarray(1))));
    expectMalformed(() => parseSod(good.subarray(0, good.length - 1)));
    expectMalformed(() => parseSod(good.subarray(0, 10)));
    expectMalformed(() => parseSod(concat(good, Uint8Array.of(0))));
  });

  it('refuses a 0x77 that holds no CMS', () => {
    expectMalformed(() => parseSod(encode(0x77, fromHex('3003020101'))));
    expectMalformed(() => parseSod(encode(0x77, fromHex('deadbeef'))));
    // A ContentInfo of id-data instead of SignedData.
    expectMalformed(() => parseSod(encode(0x77, fromHex('300f06092a864886f70d010701a0020400'))));
  });

  it('refuses SignedData of another content type', async () => {
    const content = encodeLdsSecurityObject('sha256', new Map([[1, new Uint8Array(32)]]));
    const sod = await signedSod(OID_CSCA_MASTER_LIST, content);
    expectMalformed(() => parseSod(sod), 'not LDSSecurityObject');
  });

  it('refuses duplicate, out-of-range and wrongly sized data group hashes', async () => {
    const h = new Uint8Array(32);
    const cases: [[number, Uint8Array][], string][] = [
      [[[1, h], [1, h]], 'duplicate dataGroupNumber'],
      [[[0, h]], 'out of range'],
      [[[17, h]], 'out of range'],
      [[[1, new Uint8Array(20)]], 'dataGroupHashValue length'],
      [[], 'dataGroupHashValues count'],
    ];
    for (const [entries, what] of cases) {
      const sod = await signedSod(OID_LDS_SECURITY_OBJECT, ldsObject(entries));
      expectMalformed(() => parseSod(sod), what);
    }
  });

  it('refuses an unknown hash algorithm (MD5)', async () => {
    const sod = await signedSod(OID_LDS_SECURITY_OBJECT, ldsObject([[1, new Uint8Array(16)]], '1.2.840.113549.2.5'));
    expectMalformed(() => parseSod(sod), 'hash algorithm unsupported');
  });

  it('refuses absurd sizes before parsing', () => {
    expectMalformed(() => parseSod(new Uint8Array(MAX_SOD_BYTES + 1)), 'too large');
    // A header claiming 4 GB.
    expectMalformed(() => parseSod(fromHex('7784ffffffff30')));
  });

  it('parseLdsSecurityObject refuses a non-SEQUENCE and extra fields', () => {
    expectMalformed(() => parseLdsSecurityObject(fromHex('0400')));
    const ok = encodeLdsSecurityObject('sha256', new Map([[1, new Uint8Array(32)]]));
    expect(parseLdsSecurityObject(ok).dataGroupHashes.size).toBe(1);
    expectMalformed(() => parseLdsSecurityObject(concat(ok, Uint8Array.of(0))));
  });
});

describe('DG15', () => {
  it.each([
    ['rsa-1024', 'rsa', 1024, undefined],
    ['rsa-2048', 'rsa', 2048, undefined],
    ['ecdsa-p256', 'ec', 256, '1.2.840.10045.3.1.7'],
  ] as const)('round-trips a %s Active Authentication key', async (kind, algorithm, keyBits, curveOid) => {
    const { spki } = await generateAaKeyPair(kind);
    const dg15 = buildDg15(spki);
    expect(dg15[0]).toBe(0x6f);
    const parsed = parseDg15(dg15);
    expect(parsed).toEqual({ spki, algorithm, keyBits, curveOid });
  });

  it('refuses hostile DG15 bytes', async () => {
    const { spki } = await generateAaKeyPair('ecdsa-p256');
    const good = buildDg15(spki);
    expectMalformed(() => parseDg15(new Uint8Array(0)));
    expectMalformed(() => parseDg15(concat(Uint8Array.of(0x6e), good.subarray(1))));
    expectMalformed(() => parseDg15(good.subarray(0, good.length - 2)));
    expectMalformed(() => parseDg15(encode(0x6f, fromHex('3000'))));
    expectMalformed(() => parseDg15(encode(0x6f, new Uint8Array(5000))));
    expectMalformed(() => buildDg15(fromHex('deadbeef')));
  });

  it('refuses a key type Active Authentication does not use (Ed25519)', async () => {
    const pair = (await globalThis.crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const spki = new Uint8Array(await globalThis.crypto.subtle.exportKey('spki', pair.publicKey));
    expectMalformed(() => parseDg15(encode(0x6f, spki)), 'key algorithm unsupported');
  });
});

describe('third-party check with OpenSSL (Debian package `openssl`)', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(OPENSSL)) {
      throw new Error(`${OPENSSL} is missing: install the Debian package \`openssl\` (apt-get install openssl)`);
    }
    dir = await mkdtemp(join(tmpdir(), 'idk-sod-'));
    return () => rm(dir, { recursive: true, force: true });
  });

  it.each(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-pss-2048'] as const)(
    'openssl cms -verify accepts a %s SOD and openssl x509 parses the DS certificate',
    async (alg) => {
      const cms = join(dir, `${alg}.sod.der`);
      await writeFile(cms, unwrap(await sodWith(alg)));
      const out = execFileSync(OPENSSL, ['cms', '-verify', '-noverify', '-inform', 'DER', '-in', cms, '-out', join(dir, `${alg}.lds`)], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.toString()).toBe('');
      const ds = join(dir, `${alg}.ds.der`);
      await writeFile(ds, signers.get(alg)!.certificate);
      const text = execFileSync(OPENSSL, ['x509', '-inform', 'DER', '-in', ds, '-noout', '-text']).toString();
      expect(text).toContain('Subject: C = VN');
      expect(text).toContain('Digital Signature');
    },
  );

  it('openssl cms -verify rejects a tampered SOD', async () => {
    const bytes = await sodWith('ecdsa-p256');
    bytes[bytes.length - 1]! ^= 0x01;
    const cms = join(dir, 'tampered.sod.der');
    await writeFile(cms, unwrap(bytes));
    expect(() =>
      execFileSync(OPENSSL, ['cms', '-verify', '-noverify', '-inform', 'DER', '-in', cms, '-out', '/dev/null'], { stdio: 'pipe' }),
    ).toThrow();
  });
});
