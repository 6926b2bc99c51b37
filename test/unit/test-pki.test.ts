// The test PKI: certificates follow the Doc 9303 Part 12 profiles closely enough that
// pkijs and OpenSSL (Debian package `openssl`) both accept the chain, the CRL and the
// Master List; save/load keeps everything usable.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { equal } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { buildSod, parseSod, verifySodSignature } from '../../drivers/emrtd/sod.js';
import {
  buildMasterList,
  certificateSerial,
  createCsca,
  ensurePki,
  fromPem,
  generateAaKeyPair,
  issueCrl,
  issueDocumentSigner,
  issueMasterListSigner,
  loadPki,
  savePki,
  toPem,
  type Csca,
  type DocumentSigner,
  type KeyAlgorithm,
} from '../../drivers/emulator/test-pki.js';

const OPENSSL = '/usr/bin/openssl';
const engine = new pkijs.CryptoEngine({ name: 'test', crypto: globalThis.crypto });

function cert(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(new Uint8Array(der));
}

function ext(c: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return c.extensions?.find((e) => e.extnID === oid);
}

function rdn(c: pkijs.Certificate, which: 'subject' | 'issuer', oid: string): string | undefined {
  const tv = c[which].typesAndValues.find((t) => t.type === oid);
  return tv ? String(tv.value.valueBlock.value) : undefined;
}

/** keyUsage as the list of set bit numbers. */
function keyUsageBits(c: pkijs.Certificate): number[] {
  const e = ext(c, '2.5.29.15')!;
  const bits = asn1js.fromBER(new Uint8Array(e.extnValue.valueBlock.valueHexView)).result as asn1js.BitString;
  const byte = bits.valueBlock.valueHexView[0]!;
  return [0, 1, 2, 3, 4, 5, 6, 7].filter((b) => byte & (0x80 >> b));
}

function openssl(args: string[]): string {
  return execFileSync(OPENSSL, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

let dir: string;
let csca: Csca;
let ds: DocumentSigner;

beforeAll(async () => {
  if (!existsSync(OPENSSL)) throw new Error(`${OPENSSL} is missing: install the Debian package \`openssl\` (apt-get install openssl)`);
  dir = await mkdtemp(join(tmpdir(), 'idk-pki-'));
  csca = await createCsca({ country: 'VN' });
  ds = await issueDocumentSigner(csca);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('CSCA and Document Signer certificates', () => {
  it('CSCA: self-signed, CA, keyCertSign + cRLSign, C=VN, ECDSA P-256 by default', async () => {
    const c = cert(csca.certificate);
    expect(csca.keyAlgorithm).toBe('ecdsa-p256');
    expect(c.version).toBe(2);
    expect(rdn(c, 'subject', '2.5.4.6')).toBe('VN');
    expect(c.subject.isEqual(c.issuer)).toBe(true);
    const bc = ext(c, '2.5.29.19')!;
    expect(bc.critical).toBe(true);
    expect((bc.parsedValue as pkijs.BasicConstraints).cA).toBe(true);
    expect(ext(c, '2.5.29.15')!.critical).toBe(true);
    expect(keyUsageBits(c)).toEqual([5, 6]);
    expect(ext(c, '2.5.29.14')).toBeDefined();
    expect(await c.verify(undefined, engine)).toBe(true);
  });

  it('DS: digitalSignature, AKI = CSCA SKI, C=VN, documentTypeList, signed by the CSCA', async () => {
    const c = cert(ds.certificate);
    const issuer = cert(csca.certificate);
    expect(rdn(c, 'subject', '2.5.4.6')).toBe('VN');
    expect(c.issuer.isEqual(issuer.subject)).toBe(true);
    expect(keyUsageBits(c)).toEqual([0]);
    const aki = ext(c, '2.5.29.35')!.parsedValue as pkijs.AuthorityKeyIdentifier;
    const ski = ext(issuer, '2.5.29.14')!.parsedValue as asn1js.OctetString;
    expect(equal(new Uint8Array(aki.keyIdentifier!.valueBlock.valueHexView), new Uint8Array(ski.valueBlock.valueHexView))).toBe(true);
    expect(ext(c, '2.23.136.1.1.6.2')).toBeDefined();
    expect(ext(c, '2.5.29.19')).toBeUndefined();
    expect(await c.verify(issuer, engine)).toBe(true);
  });

  it('DS chains to the CSCA in pkijs chain validation', async () => {
    const chain = new pkijs.CertificateChainValidationEngine({ trustedCerts: [cert(csca.certificate)], certs: [cert(ds.certificate)] });
    const result = await chain.verify({}, engine);
    expect(result.resultMessage).toBe('');
    expect(result.result).toBe(true);
  });

  it('honours validity dates, serial and names', async () => {
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2051-01-01T00:00:00Z'); // past 2049: GeneralizedTime
    const signer = await issueDocumentSigner(csca, { notBefore, notAfter, serial: 4242n, commonName: 'DS Ha Noi 01' });
    const c = cert(signer.certificate);
    expect(c.notBefore.value.toISOString()).toBe(notBefore.toISOString());
    expect(c.notAfter.value.toISOString()).toBe(notAfter.toISOString());
    expect(c.notAfter.type).toBe(1);
    expect(certificateSerial(signer.certificate)).toBe(4242n);
    expect(rdn(c, 'subject', '2.5.4.3')).toBe('DS Ha Noi 01');
  });

  it.each(['ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'rsa-3072'] as KeyAlgorithm[])(
    'a %s CSCA issues a DS that verifies, in pkijs and in OpenSSL',
    async (alg) => {
      const ca = await createCsca({ country: 'VN', keyAlgorithm: alg });
      const signer = await issueDocumentSigner(ca, { keyAlgorithm: alg });
      expect(await cert(ca.certificate).verify(undefined, engine)).toBe(true);
      expect(await cert(signer.certificate).verify(cert(ca.certificate), engine)).toBe(true);
      await writeFile(join(dir, `${alg}-csca.pem`), toPem('CERTIFICATE', ca.certificate));
      await writeFile(join(dir, `${alg}-ds.pem`), toPem('CERTIFICATE', signer.certificate));
      expect(openssl(['verify', '-CAfile', join(dir, `${alg}-csca.pem`), join(dir, `${alg}-ds.pem`)])).toContain(': OK');
    },
  );

  it('refuses a country that is not ISO 3166-1 alpha-2', async () => {
    await expect(createCsca({ country: 'VNM' })).rejects.toThrow(RangeError);
  });
});

describe('OpenSSL parses the certificates (Debian package `openssl`)', () => {
  it('openssl x509 -text reads CSCA and DS with the ICAO extensions', async () => {
    const cscaPem = join(dir, 'csca.pem');
    const dsPem = join(dir, 'ds.pem');
    await writeFile(cscaPem, toPem('CERTIFICATE', csca.certificate));
    await writeFile(dsPem, toPem('CERTIFICATE', ds.certificate));
    const cscaText = openssl(['x509', '-in', cscaPem, '-noout', '-text']);
    expect(cscaText).toContain('Subject: C = VN, O = Test PKI, CN = CSCA VN TEST');
    expect(cscaText).toContain('CA:TRUE');
    expect(cscaText).toContain('Certificate Sign, CRL Sign');
    const dsText = openssl(['x509', '-in', dsPem, '-noout', '-text']);
    expect(dsText).toContain('Issuer: C = VN, O = Test PKI, CN = CSCA VN TEST');
    expect(dsText).toContain('X509v3 Authority Key Identifier');
    expect(openssl(['verify', '-CAfile', cscaPem, dsPem])).toContain(': OK');
  });
});

describe('CRL', () => {
  it('lists the revoked serial and verifies against the CSCA', async () => {
    const serial = certificateSerial(ds.certificate);
    const der = await issueCrl(csca, [serial], { crlNumber: 7n });
    const crl = pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));
    expect(crl.version).toBe(1);
    expect(crl.revokedCertificates!.map((r) => r.userCertificate.toBigInt())).toEqual([serial]);
    expect(crl.isCertificateRevoked(cert(ds.certificate))).toBe(true);
    expect(await crl.verify({ issuerCertificate: cert(csca.certificate) }, engine)).toBe(true);
    const crlNumber = crl.crlExtensions!.extensions.find((e) => e.extnID === '2.5.29.20')!;
    expect((crlNumber.parsedValue as asn1js.Integer).toBigInt()).toBe(7n);
    const file = join(dir, 'csca.crl');
    await writeFile(file, der);
    await writeFile(join(dir, 'crl-csca.pem'), toPem('CERTIFICATE', csca.certificate));
    const run = spawnSync(OPENSSL, ['crl', '-inform', 'DER', '-in', file, '-noout', '-text', '-CAfile', join(dir, 'crl-csca.pem')]);
    expect(run.status).toBe(0);
    expect(run.stderr.toString()).toContain('verify OK');
    const hex = serial.toString(16).toUpperCase();
    expect(run.stdout.toString()).toContain(`Serial Number: ${hex.length % 2 ? `0${hex}` : hex}`);
  });

  it('leaves the revoked list out when nothing is revoked', async () => {
    const crl = pkijs.CertificateRevocationList.fromBER(new Uint8Array(await issueCrl(csca, [])));
    expect(crl.revokedCertificates ?? []).toEqual([]);
    expect(crl.isCertificateRevoked(cert(ds.certificate))).toBe(false);
  });
});

describe('CSCA Master List', () => {
  it('is CMS SignedData over CscaMasterList (2.23.136.1.1.2) that OpenSSL verifies', async () => {
    const mls = await issueMasterListSigner(csca);
    const other = await createCsca({ country: 'VN', commonName: 'CSCA VN TEST 2' });
    const ml = await buildMasterList(mls, [csca.certificate, other.certificate]);
    const file = join(dir, 'ml.der');
    const content = join(dir, 'ml.content');
    await writeFile(file, ml);
    openssl(['cms', '-verify', '-noverify', '-inform', 'DER', '-in', file, '-out', content]);
    const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(ml).result });
    const sd = new pkijs.SignedData({ schema: ci.content });
    expect(sd.encapContentInfo.eContentType).toBe('2.23.136.1.1.2');
    const list = asn1js.fromBER(new Uint8Array(sd.encapContentInfo.eContent!.valueBlock.valueHexView)).result as asn1js.Sequence;
    const certs = (list.valueBlock.value[1] as asn1js.Set).valueBlock.value;
    expect(certs.map((c) => new Uint8Array(c.toBER(false)))).toEqual([csca.certificate, other.certificate]);
    const eku = ext(cert(mls.certificate), '2.5.29.37')!;
    expect(eku.critical).toBe(true);
  });
});

describe('Active Authentication keys', () => {
  it.each(['rsa-1024', 'rsa-2048', 'ecdsa-p256'] as const)('%s: SPKI and PKCS#8 import back', async (kind) => {
    const { spki, pkcs8 } = await generateAaKeyPair(kind);
    const alg = kind === 'ecdsa-p256' ? { name: 'ECDSA', namedCurve: 'P-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' };
    await globalThis.crypto.subtle.importKey('spki', new Uint8Array(spki), alg, true, ['verify']);
    await globalThis.crypto.subtle.importKey('pkcs8', new Uint8Array(pkcs8), alg, true, ['sign']);
  });
});

describe('savePki / loadPki', () => {
  it('round-trips certificates and usable keys through a folder', async () => {
    const pkiDir = join(dir, 'pki');
    const crl = await issueCrl(csca, []);
    await savePki(pkiDir, { csca, ds, crl });
    expect((await readdir(pkiDir)).sort()).toEqual(['csca.crl', 'csca.key.pem', 'csca.pem', 'ds.key.pem', 'ds.pem', 'pki.json']);
    const loaded = await loadPki(pkiDir);
    expect(equal(loaded.csca.certificate, csca.certificate)).toBe(true);
    expect(equal(loaded.ds.certificate, ds.certificate)).toBe(true);
    expect(equal(loaded.crl!, crl)).toBe(true);
    expect(loaded.ds.keyAlgorithm).toBe('ecdsa-p256');
    // Loaded keys still sign: a fresh SOD verifies, a fresh DS chains to the loaded CSCA.
    const sod = await buildSod({ hashAlgorithm: 'sha256', dataGroups: new Map([[1, Uint8Array.of(0x61, 0)]]), signer: loaded.ds });
    expect(await verifySodSignature(parseSod(sod))).toEqual({ valid: true });
    const again = await issueDocumentSigner(loaded.csca);
    expect(await cert(again.certificate).verify(cert(csca.certificate), engine)).toBe(true);
    // PEM files are ordinary: OpenSSL reads the keys too.
    expect(openssl(['pkey', '-in', join(pkiDir, 'ds.key.pem'), '-noout', '-text'])).toContain('Private-Key');
  });

  it('round-trips an RSA-PSS PKI', async () => {
    const ca = await createCsca({ country: 'VN', keyAlgorithm: 'rsa-pss-2048' });
    const signer = await issueDocumentSigner(ca, { keyAlgorithm: 'rsa-pss-2048' });
    const pkiDir = join(dir, 'pki-pss');
    await savePki(pkiDir, { csca: ca, ds: signer });
    const loaded = await loadPki(pkiDir);
    const sod = await buildSod({ hashAlgorithm: 'sha256', dataGroups: new Map([[1, Uint8Array.of(0x61, 0)]]), signer: loaded.ds });
    expect(await verifySodSignature(parseSod(sod))).toEqual({ valid: true });
  });

  it('ensurePki creates a PKI in an empty folder once, then loads it', async () => {
    const pkiDir = join(dir, 'pki-ensure');
    const first = await ensurePki(pkiDir);
    expect(first.created).toBe(true);
    const second = await ensurePki(pkiDir);
    expect(second.created).toBe(false);
    expect(equal(second.signer.certificate, first.signer.certificate)).toBe(true);
    expect(equal(second.pki.csca.certificate, first.pki.csca.certificate)).toBe(true);
    expect(second.pki.crl).toBeDefined();
  });

  it('refuses a broken pki.json with PKI_FILE_INVALID', async () => {
    const pkiDir = join(dir, 'pki-bad');
    await savePki(pkiDir, { csca, ds });
    await writeFile(join(pkiDir, 'pki.json'), '{"format":"idkiosk-test-pki","csca":{"keyAlgorithm":"ecdsa-p256","certificate":"../x","privateKey":"k"}}');
    await expect(loadPki(pkiDir)).rejects.toSatisfy((e: unknown) => isIdkError(e, 'PKI_FILE_INVALID'));
    await writeFile(join(pkiDir, 'pki.json'), 'not json');
    await expect(loadPki(pkiDir)).rejects.toSatisfy((e: unknown) => isIdkError(e, 'PKI_FILE_INVALID'));
  });

  it('PEM helpers round-trip and refuse a missing block', () => {
    const der = Uint8Array.from({ length: 100 }, (_, i) => i);
    expect(fromPem('CERTIFICATE', toPem('CERTIFICATE', der))).toEqual(der);
    expect(() => fromPem('CERTIFICATE', 'nothing here')).toThrow(/CERTIFICATE/);
  });
});
