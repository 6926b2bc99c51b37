// Passive authentication and the trust store as pure functions: signatures WebCrypto
// cannot check (brainpool, explicit curve parameters), a whole brainpool PKI, country
// codes, and the outcomes for missing, damaged and mis-issued SODs.
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { brainpoolP256r1 } from '@noble/curves/misc.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { concat, utf8 } from '../../core/bytes.js';
import { encode } from '../../drivers/apdu/tlv.js';
import { alpha2, passiveAuthentication } from '../../drivers/emrtd/passive-auth.js';
import { ecSubjectPublicKeyInfo } from '../../drivers/emrtd/security-infos.js';
import { buildTrustStore, parseCertificate, verifySignature } from '../../drivers/emrtd/trust-store.js';
import { buildCard, type Person } from '../../drivers/emulator/card-builder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { createCsca, issueCrl, issueDocumentSigner, toPem } from '../../drivers/emulator/test-pki.js';
import { demoPerson } from '../helpers/cards.js';

const BRAINPOOL_P256 = '1.3.36.3.3.2.8.1.1.7';
const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

describe('signatures WebCrypto cannot check', () => {
  const data = utf8.encode('LDSSecurityObject signed attributes');
  const sk = brainpoolP256r1.utils.randomSecretKey();
  const point = brainpoolP256r1.getPublicKey(sk, false);
  const der = brainpoolP256r1.sign(sha256(data), sk, { prehash: false, format: 'der' });

  it('ECDSA on brainpoolP256r1 with a named curve', () => {
    const spki = ecSubjectPublicKeyInfo(BRAINPOOL_P256, point);
    expect(verifySignature(spki, { oid: ECDSA_SHA256 }, data, der)).toEqual({ ok: true });
    expect(verifySignature(spki, { oid: ECDSA_SHA256 }, concat(data, Uint8Array.of(0)), der)).toEqual({ ok: false, why: 'signature does not verify' });
  });

  it('ECDSA with explicit X9.62 curve parameters, as many CSCA certificates carry them', () => {
    const c = brainpoolP256r1.Point.CURVE();
    const int = (v: bigint) => asn1js.Integer.fromBigInt(v);
    const octets = (v: bigint) => new asn1js.OctetString({ valueHex: Buffer.from(v.toString(16).padStart(64, '0'), 'hex') });
    const params = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 1 }),
        new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.10045.1.1' }), int(c.p)] }),
        new asn1js.Sequence({ value: [octets(c.a), octets(c.b)] }),
        new asn1js.OctetString({ valueHex: brainpoolP256r1.Point.BASE.toBytes(false) }),
        int(c.n),
        int(c.h),
      ],
    });
    const spki = new Uint8Array(
      new asn1js.Sequence({
        value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: '1.2.840.10045.2.1' }), params] }), new asn1js.BitString({ valueHex: point })],
      }).toBER(false),
    );
    expect(verifySignature(spki, { oid: ECDSA_SHA256 }, data, der)).toEqual({ ok: true });
  });

  it('plain r||s (BSI TR-03111 ecdsa-plain-SHA256) and the CMS digest for id-ecPublicKey', () => {
    const spki = ecSubjectPublicKeyInfo(BRAINPOOL_P256, point);
    const plain = brainpoolP256r1.sign(sha256(data), sk, { prehash: false, format: 'compact' });
    expect(verifySignature(spki, { oid: '0.4.0.127.0.7.1.1.4.1.3' }, data, plain).ok).toBe(true);
    expect(verifySignature(spki, { oid: '1.2.840.10045.2.1' }, data, der, 'sha256').ok).toBe(true);
    expect(verifySignature(spki, { oid: '1.2.840.10045.2.1' }, data, der)).toEqual({ ok: false, why: 'no hash algorithm for the ECDSA signature' });
  });

  it('unknown algorithms and garbage give a reason, never an exception', () => {
    const spki = ecSubjectPublicKeyInfo(BRAINPOOL_P256, point);
    expect(verifySignature(spki, { oid: '1.2.3.4' }, data, der)).toEqual({ ok: false, why: 'signature algorithm 1.2.3.4 not supported' });
    expect(verifySignature(spki, { oid: ECDSA_SHA256 }, data, Uint8Array.of(1, 2, 3)).ok).toBe(false);
    expect(verifySignature(Uint8Array.of(0x30, 0x00), { oid: '1.2.840.113549.1.1.11' }, data, der).ok).toBe(false);
  });
});

// ------------------------------------------------------------ a brainpool PKI, signed by OpenSSL through node:crypto

function name(country: string, cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.6', value: new asn1js.PrintableString({ value: country }) }),
      new pkijs.AttributeTypeAndValue({ type: '2.5.4.3', value: new asn1js.Utf8String({ value: cn }) }),
    ],
  });
}

function ext(oid: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID: oid, critical, extnValue: value.toBER(false) });
}

/** A certificate signed with ecdsa-with-SHA256 by a node:crypto key (OpenSSL signs brainpool; WebCrypto cannot). */
function certificate(opts: { subject: pkijs.RelativeDistinguishedNames; issuer: pkijs.RelativeDistinguishedNames; key: KeyObject; signer: KeyObject; ca: boolean; serial: number }): Uint8Array {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: opts.serial });
  cert.subject = opts.subject;
  cert.issuer = opts.issuer;
  cert.notBefore = new pkijs.Time({ type: 0, value: new Date(Date.now() - 86_400_000) });
  cert.notAfter = new pkijs.Time({ type: 0, value: new Date(Date.now() + 3650 * 86_400_000) });
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(opts.key.export({ format: 'der', type: 'spki' }));
  const ku = Uint8Array.of(opts.ca ? 0x06 : 0x80);
  cert.extensions = [
    ext('2.5.29.15', true, new asn1js.BitString({ valueHex: ku, unusedBits: opts.ca ? 1 : 7 })),
    ...(opts.ca ? [ext('2.5.29.19', true, new pkijs.BasicConstraints({ cA: true }).toSchema())] : []),
  ];
  cert.signature = new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_SHA256 });
  cert.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_SHA256 });
  const tbs = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.signatureValue = new asn1js.BitString({ valueHex: nodeSign('sha256', tbs, { key: opts.signer, dsaEncoding: 'der' }) });
  return new Uint8Array(cert.toSchema(true).toBER(false));
}

/** Replaces the SOD's signer: new certificate, sid, and a signature over the unchanged signed attributes. */
function resignSod(sod: Uint8Array, dsCert: Uint8Array, dsKey: KeyObject): Uint8Array {
  const outer = asn1js.fromBER(sod.subarray(sod[1]! & 0x80 ? 2 + (sod[1]! & 0x7f) : 2)).result;
  const ci = new pkijs.ContentInfo({ schema: outer });
  const sd = new pkijs.SignedData({ schema: ci.content });
  const cert = pkijs.Certificate.fromBER(new Uint8Array(dsCert));
  const si = sd.signerInfos[0]!;
  si.sid = new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber });
  si.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_SHA256 });
  si.signature = new asn1js.OctetString({ valueHex: nodeSign('sha256', new Uint8Array(si.signedAttrs!.encodedValue), { key: dsKey, dsaEncoding: 'der' }) });
  sd.certificates = [cert];
  const out = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) });
  return encode(0x77, new Uint8Array(out.toSchema().toBER(false)));
}

describe('passive authentication', () => {
  let person: Person;
  let card: CardImage;
  beforeAll(async () => {
    person = await demoPerson('cccd');
    const csca = await createCsca({ country: 'VN' });
    card = await buildCard(person, await issueDocumentSigner(csca));
  });

  it('a whole brainpoolP256r1 PKI (CSCA, Document Signer, SOD) chains and verifies', () => {
    const gen = () => generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    const cscaKeys = gen();
    const dsKeys = gen();
    const cscaName = name('VN', 'CSCA VN BRAINPOOL');
    const cscaCert = certificate({ subject: cscaName, issuer: cscaName, key: cscaKeys.publicKey, signer: cscaKeys.privateKey, ca: true, serial: 1 });
    const dsCert = certificate({ subject: name('VN', 'DS VN BRAINPOOL'), issuer: cscaName, key: dsKeys.publicKey, signer: cscaKeys.privateKey, ca: false, serial: 2 });
    expect(parseCertificate(dsCert).spki.length).toBeGreaterThan(60);
    const sod = resignSod(card.files.get('EF.SOD')!, dsCert, dsKeys.privateKey);
    const files = new Map(card.files).set('EF.SOD', sod);
    const trust = buildTrustStore([{ name: 'bp.pem', bytes: utf8.encode(toPem('CERTIFICATE', cscaCert)) }]);
    expect(trust.problems).toEqual([]);
    const r = passiveAuthentication({ files, trust });
    expect(r.outcome, r.reason).toBe('valid');
    expect(r.signer?.subject).toBe('C=VN, CN=DS VN BRAINPOOL');
    // The same SOD signed by another brainpool key does not verify.
    const forged = resignSod(card.files.get('EF.SOD')!, dsCert, gen().privateKey);
    expect(passiveAuthentication({ files: new Map(card.files).set('EF.SOD', forged), trust })).toMatchObject({ outcome: 'invalid', reasonCode: 'sod-signature' });
  });

  it('no EF.SOD is not-checked; a damaged one is invalid', () => {
    const files = new Map(card.files);
    files.delete('EF.SOD');
    expect(passiveAuthentication({ files })).toMatchObject({ outcome: 'not-checked', reasonCode: 'no-sod' });
    files.set('EF.SOD', Uint8Array.of(0x77, 0x03, 0x30, 0x01, 0x00));
    expect(passiveAuthentication({ files })).toMatchObject({ outcome: 'invalid', reasonCode: 'sod-unreadable' });
  });

  it('a data group on the chip that the SOD does not list is invalid', () => {
    const files = new Map(card.files).set('DG11', encode(0x6b, encode(0x5c, Uint8Array.of(0x5f, 0x0e))));
    const r = passiveAuthentication({ files });
    expect(r).toMatchObject({ outcome: 'invalid', reasonCode: 'dg-not-in-sod', reasonGroups: ['DG11'] });
    expect(r.dataGroups.DG11).toBe('not-in-sod');
  });

  it('a data group not read is reported as such and does not spoil the verdict', () => {
    const files = new Map(card.files);
    files.delete('DG2');
    const r = passiveAuthentication({ files });
    expect(r.outcome).toBe('no-trust-anchor');
    expect(r.dataGroups.DG2).toBe('not-read');
  });

  it('a corrupted SOD signature is invalid', () => {
    const sod = Uint8Array.from(card.files.get('EF.SOD')!);
    sod[sod.length - 5]! ^= 0x01;
    expect(passiveAuthentication({ files: new Map(card.files).set('EF.SOD', sod) })).toMatchObject({ outcome: 'invalid', reasonCode: 'sod-signature' });
  });

  it('a Document Signer for passports only may not sign an ID card', async () => {
    const csca = await createCsca({ country: 'VN' });
    const ds = await issueDocumentSigner(csca, { documentTypes: ['P'] });
    const idCard = await buildCard(person, ds);
    const r = passiveAuthentication({ files: idCard.files, trust: buildTrustStore([{ name: 'c.der', bytes: csca.certificate }]) });
    expect(r).toMatchObject({ outcome: 'invalid', reasonCode: 'ds-document-type', reason: 'the Document Signer may sign P documents, not ID' });
  });

  it('an out-of-date CRL is a warning, not a verdict', async () => {
    const csca = await createCsca({ country: 'VN', notBefore: new Date(Date.now() - 400 * 86_400_000) });
    const ds = await issueDocumentSigner(csca);
    const crl = await issueCrl(csca, [], { thisUpdate: new Date(Date.now() - 200 * 86_400_000), nextUpdate: new Date(Date.now() - 100 * 86_400_000) });
    const c = await buildCard(person, ds);
    const trust = buildTrustStore([
      { name: 'c.der', bytes: csca.certificate },
      { name: 'old.crl', bytes: crl },
    ]);
    const r = passiveAuthentication({ files: c.files, trust });
    expect(r.outcome).toBe('valid');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^the CRL old\.crl is out of date/);
  });

  it('the trust store reads PEM bundles with CRLs and counts a CSCA given twice once', async () => {
    const csca = await createCsca({ country: 'VN' });
    const crl = await issueCrl(csca, []);
    const bundle = toPem('CERTIFICATE', csca.certificate) + toPem('X509 CRL', crl);
    const store = buildTrustStore([
      { name: 'bundle.pem', bytes: utf8.encode(bundle) },
      { name: 'same.der', bytes: csca.certificate },
    ]);
    expect(store.problems).toEqual([]);
    expect(store.anchors).toHaveLength(1);
    expect(store.crls).toHaveLength(1);
    expect(store.files).toEqual([
      { file: 'bundle.pem', kind: 'certificate', count: 1 },
      { file: 'bundle.pem', kind: 'crl', count: 1 },
    ]);
  });
});

describe('issuing-state codes', () => {
  it('maps ICAO three-letter codes, including the non-ISO ones, to the certificate country', () => {
    expect(alpha2('VNM')).toBe('VN');
    expect(alpha2('D')).toBe('DE');
    expect(alpha2('D<<')).toBe('DE');
    expect(alpha2('GBN')).toBe('GB');
    expect(alpha2('KHM')).toBe('KH');
    expect(alpha2('RKS')).toBe('XK');
    expect(alpha2('XXA')).toBeUndefined();
  });
});
