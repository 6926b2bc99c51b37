// A test PKI for the software chip: a Country Signing CA, Document Signers, CRLs and a
// CSCA Master List, shaped after the ICAO Doc 9303 Part 12 certificate and CRL profiles.
// Keys and certificates come from WebCrypto through pkijs; nothing here is for production
// use, and the private keys are extractable on purpose so a test PKI can be saved.
//
// File I/O lives only in savePki / loadPki at the bottom; everything above is pure.
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { IdkError } from '../../core/errors.js';
import { OID_CSCA_MASTER_LIST, signCms, type CmsSigner } from '../emrtd/sod.js';

export type KeyAlgorithm = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-pss-2048' | 'rsa-3072';
type AaKeyKind = 'rsa-1024' | 'rsa-2048' | 'ecdsa-p256';

export interface Csca {
  certificate: Uint8Array;
  privateKey: CryptoKey;
  keyAlgorithm: KeyAlgorithm;
}

export interface DocumentSigner extends CmsSigner {
  certificate: Uint8Array;
  privateKey: CryptoKey;
  keyAlgorithm: KeyAlgorithm;
}

interface TestPki {
  csca: Csca;
  ds: DocumentSigner;
  /** Optional extras written beside the keys when present. */
  crl?: Uint8Array;
  masterList?: Uint8Array;
}

interface CreateCscaOptions {
  /** ISO 3166-1 alpha-2, as certificates spell the country: 'VN' for VNM. */
  country: string;
  commonName?: string;
  organization?: string;
  keyAlgorithm?: KeyAlgorithm;
  notBefore?: Date;
  notAfter?: Date;
  serial?: bigint;
}

interface IssueSignerOptions {
  commonName?: string;
  keyAlgorithm?: KeyAlgorithm;
  notBefore?: Date;
  notAfter?: Date;
  serial?: bigint;
  /** Document types this signer may sign (Doc 9303 Part 12 documentTypeList), e.g. ['ID', 'P']. */
  documentTypes?: string[];
}

interface IssueCrlOptions {
  thisUpdate?: Date;
  nextUpdate?: Date;
  crlNumber?: bigint;
  revocationDate?: Date;
}

// X.509 (RFC 5280 §4.2.1) and ICAO (Doc 9303 Part 12, id-icao-mrtd-security 2.23.136.1.1) OIDs.
const OID = {
  country: '2.5.4.6',
  organization: '2.5.4.10',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  documentTypeList: '2.23.136.1.1.6.2',
  cscaMasterListSigningKey: '2.23.136.1.1.3',
} as const;

const engine = new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: globalThis.crypto });
const DAY = 86_400_000;

// ---------------------------------------------------------------- keys

interface KeySpec {
  generate: RsaHashedKeyGenParams | EcKeyGenParams;
  import: RsaHashedImportParams | EcKeyImportParams;
  hash: 'SHA-256' | 'SHA-384';
}

function keySpec(alg: KeyAlgorithm): KeySpec {
  const e = Uint8Array.of(1, 0, 1);
  switch (alg) {
    case 'ecdsa-p256':
      return ec('P-256', 'SHA-256');
    case 'ecdsa-p384':
      return ec('P-384', 'SHA-384');
    case 'rsa-2048':
    case 'rsa-3072': {
      const name = 'RSASSA-PKCS1-v1_5';
      const modulusLength = alg === 'rsa-2048' ? 2048 : 3072;
      return { generate: { name, modulusLength, publicExponent: e, hash: 'SHA-256' }, import: { name, hash: 'SHA-256' }, hash: 'SHA-256' };
    }
    case 'rsa-pss-2048':
      return {
        generate: { name: 'RSA-PSS', modulusLength: 2048, publicExponent: e, hash: 'SHA-256' },
        import: { name: 'RSA-PSS', hash: 'SHA-256' },
        hash: 'SHA-256',
      };
  }
}

function ec(namedCurve: 'P-256' | 'P-384', hash: 'SHA-256' | 'SHA-384'): KeySpec {
  return { generate: { name: 'ECDSA', namedCurve }, import: { name: 'ECDSA', namedCurve }, hash };
}

async function generateKeyPair(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(keySpec(alg).generate, true, ['sign', 'verify']);
}

/**
 * An Active Authentication key pair for DG15 (Doc 9303 Part 11 §6.1): the SPKI goes into
 * DG15, the PKCS#8 into the card folder's card.json.
 */
export async function generateAaKeyPair(kind: AaKeyKind): Promise<{ spki: Uint8Array; pkcs8: Uint8Array }> {
  const params: RsaHashedKeyGenParams | EcKeyGenParams =
    kind === 'ecdsa-p256'
      ? { name: 'ECDSA', namedCurve: 'P-256' }
      : { name: 'RSASSA-PKCS1-v1_5', modulusLength: kind === 'rsa-1024' ? 1024 : 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: 'SHA-1' };
  const pair = await globalThis.crypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const subtle = globalThis.crypto.subtle;
  return {
    spki: new Uint8Array(await subtle.exportKey('spki', pair.publicKey)),
    pkcs8: new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey)),
  };
}

// ---------------------------------------------------------------- certificates

interface NameParts {
  country: string;
  organization?: string;
  commonName: string;
}

function makeName(parts: NameParts): pkijs.RelativeDistinguishedNames {
  // Country is PrintableString (RFC 5280 Appendix A); the others UTF8String.
  const atvs: [string, asn1js.AsnType][] = [[OID.country, new asn1js.PrintableString({ value: parts.country })]];
  if (parts.organization) atvs.push([OID.organization, new asn1js.Utf8String({ value: parts.organization })]);
  atvs.push([OID.commonName, new asn1js.Utf8String({ value: parts.commonName })]);
  // One attribute per RDN. pkijs would put them all in one multi-valued RDN, so the
  // Name is encoded here and read back, which makes pkijs keep these exact bytes.
  const rdns = atvs.map(
    ([type, value]) => new asn1js.Set({ value: [new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: type }), value] })] }),
  );
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
function x509Time(d: Date): pkijs.Time {
  return new pkijs.Time({ type: d.getUTCFullYear() < 2050 ? 0 : 1, value: d });
}

/** A positive serial of at most 20 octets (RFC 5280 §4.1.2.2); random when not given. */
function serialInteger(serial?: bigint): asn1js.Integer {
  if (serial !== undefined) {
    if (serial <= 0n) throw new RangeError('certificate serial must be positive');
    return asn1js.Integer.fromBigInt(serial);
  }
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return new asn1js.Integer({ valueHex: bytes });
}

function extension(extnID: string, critical: boolean, value: asn1js.AsnType): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER(false) });
}

/** keyUsage bits (RFC 5280 §4.2.1.3): digitalSignature(0), keyCertSign(5), cRLSign(6). */
function keyUsage(bits: number[]): pkijs.Extension {
  let byte = 0;
  for (const b of bits) byte |= 0x80 >> b;
  // DER: the unused-bits count drops trailing zero bits.
  let unused = 0;
  while (unused < 7 && (byte & (1 << unused)) === 0) unused++;
  return extension(OID.keyUsage, true, new asn1js.BitString({ valueHex: Uint8Array.of(byte), unusedBits: unused }));
}

/** Key identifier by RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
async function keyIdentifier(spki: pkijs.PublicKeyInfo): Promise<Uint8Array> {
  return new Uint8Array(await engine.digest({ name: 'SHA-1' }, new Uint8Array(spki.subjectPublicKey.valueBlock.valueHexView)));
}

async function subjectKeyIdentifierOf(cert: pkijs.Certificate): Promise<Uint8Array> {
  const ext = cert.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier);
  if (ext?.parsedValue instanceof asn1js.OctetString) return new Uint8Array(ext.parsedValue.valueBlock.valueHexView);
  return keyIdentifier(cert.subjectPublicKeyInfo);
}

function authorityKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  const aki = new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyId }) });
  return extension(OID.authorityKeyIdentifier, false, aki.toSchema());
}

interface CertTemplate {
  subject: pkijs.RelativeDistinguishedNames;
  issuer: pkijs.RelativeDistinguishedNames;
  serial?: bigint;
  notBefore: Date;
  notAfter: Date;
  publicKey: CryptoKey;
  signingKey: CryptoKey;
  hash: string;
  extensions: pkijs.Extension[];
}

async function signCertificate(t: CertTemplate): Promise<Uint8Array> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = serialInteger(t.serial);
  cert.subject = t.subject;
  cert.issuer = t.issuer;
  cert.notBefore = x509Time(t.notBefore);
  cert.notAfter = x509Time(t.notAfter);
  await cert.subjectPublicKeyInfo.importKey(t.publicKey, engine);
  const ski = extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: await keyIdentifier(cert.subjectPublicKeyInfo) }));
  cert.extensions = [...t.extensions, ski];
  await cert.sign(t.signingKey, t.hash, engine);
  return new Uint8Array(cert.toSchema(true).toBER(false));
}

function parseCertificate(der: Uint8Array): pkijs.Certificate {
  return pkijs.Certificate.fromBER(new Uint8Array(der));
}

function countryOf(cert: pkijs.Certificate): string {
  const c = cert.subject.typesAndValues.find((tv) => tv.type === OID.country);
  return c ? String(c.value.valueBlock.value) : '';
}

export async function createCsca(opts: CreateCscaOptions): Promise<Csca> {
  if (!/^[A-Z]{2}$/.test(opts.country)) throw new RangeError(`country must be ISO 3166-1 alpha-2, got ${opts.country}`);
  const keyAlgorithm = opts.keyAlgorithm ?? 'ecdsa-p256';
  const keys = await generateKeyPair(keyAlgorithm);
  const notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
  const name = makeName({
    country: opts.country,
    organization: opts.organization ?? 'Test PKI',
    commonName: opts.commonName ?? `CSCA ${opts.country} TEST`,
  });
  const certificate = await signCertificate({
    subject: name,
    issuer: name,
    serial: opts.serial,
    notBefore,
    notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 15 * 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    hash: keySpec(keyAlgorithm).hash,
    extensions: [
      extension(OID.basicConstraints, true, new pkijs.BasicConstraints({ cA: true, pathLenConstraint: 0 }).toSchema()),
      keyUsage([5, 6]),
    ],
  });
  return { certificate, privateKey: keys.privateKey, keyAlgorithm };
}

/** DocumentTypeListSyntax ::= SEQUENCE { version INTEGER (v0), docTypeList SET OF PrintableString } */
function documentTypeList(types: string[]): pkijs.Extension {
  const value = new asn1js.Sequence({
    value: [new asn1js.Integer({ value: 0 }), new asn1js.Set({ value: types.map((t) => new asn1js.PrintableString({ value: t })) })],
  });
  return extension(OID.documentTypeList, false, value);
}

export async function issueDocumentSigner(csca: Csca, opts: IssueSignerOptions = {}): Promise<DocumentSigner> {
  return issueSigner(csca, opts, 'DS', [keyUsage([0]), documentTypeList(opts.documentTypes ?? ['ID', 'P'])]);
}

/** A Master List Signer: digitalSignature plus the ICAO extended key usage (Doc 9303 Part 12). */
export async function issueMasterListSigner(csca: Csca, opts: IssueSignerOptions = {}): Promise<DocumentSigner> {
  const eku = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.cscaMasterListSigningKey })] });
  return issueSigner(csca, opts, 'Master List Signer', [keyUsage([0]), extension(OID.extKeyUsage, true, eku)]);
}

async function issueSigner(
  csca: Csca,
  opts: IssueSignerOptions,
  role: string,
  extensions: pkijs.Extension[],
): Promise<DocumentSigner> {
  const issuer = parseCertificate(csca.certificate);
  const keyAlgorithm = opts.keyAlgorithm ?? 'ecdsa-p256';
  const keys = await generateKeyPair(keyAlgorithm);
  const country = countryOf(issuer);
  const notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
  const certificate = await signCertificate({
    subject: makeName({ country, organization: 'Test PKI', commonName: opts.commonName ?? `${role} ${country} TEST` }),
    issuer: issuer.subject,
    serial: opts.serial,
    notBefore,
    notAfter: opts.notAfter ?? new Date(notBefore.getTime() + 10 * 365 * DAY),
    publicKey: keys.publicKey,
    signingKey: csca.privateKey,
    hash: keySpec(csca.keyAlgorithm).hash,
    extensions: [authorityKeyIdentifier(await subjectKeyIdentifierOf(issuer)), ...extensions],
  });
  return { certificate, privateKey: keys.privateKey, keyAlgorithm };
}

/** Serial number of a DER certificate, e.g. to revoke it. */
export function certificateSerial(der: Uint8Array): bigint {
  return parseCertificate(der).serialNumber.toBigInt();
}

// ---------------------------------------------------------------- CRL and Master List

/** An X.509 v2 CRL with authorityKeyIdentifier and cRLNumber (Doc 9303 Part 12 CRL profile, RFC 5280 §5). */
export async function issueCrl(csca: Csca, revokedSerials: bigint[], opts: IssueCrlOptions = {}): Promise<Uint8Array> {
  const issuer = parseCertificate(csca.certificate);
  const thisUpdate = opts.thisUpdate ?? new Date();
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = issuer.subject;
  crl.thisUpdate = x509Time(thisUpdate);
  crl.nextUpdate = x509Time(opts.nextUpdate ?? new Date(thisUpdate.getTime() + 90 * DAY));
  // RFC 5280 §5.1.2.6: an empty list is left out, never encoded empty.
  if (revokedSerials.length) {
    crl.revokedCertificates = revokedSerials.map(
      (s) =>
        new pkijs.RevokedCertificate({
          userCertificate: asn1js.Integer.fromBigInt(s),
          revocationDate: x509Time(opts.revocationDate ?? thisUpdate),
        }),
    );
  }
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      authorityKeyIdentifier(await subjectKeyIdentifierOf(issuer)),
      extension(OID.crlNumber, false, asn1js.Integer.fromBigInt(opts.crlNumber ?? 1n)),
    ],
  });
  await crl.sign(csca.privateKey, keySpec(csca.keyAlgorithm).hash, engine);
  return new Uint8Array(crl.toSchema(true).toBER(false));
}

/**
 * A CSCA Master List (Doc 9303 Part 12, CSCA Master Lists): CMS SignedData over
 * CscaMasterList ::= SEQUENCE { version INTEGER (v0), certList SET OF Certificate }.
 */
export async function buildMasterList(signer: CmsSigner, cscaCerts: Uint8Array[]): Promise<Uint8Array> {
  const certs = cscaCerts.map((der) => parseCertificate(der).toSchema());
  const content = new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 }), new asn1js.Set({ value: certs })] });
  return signCms({ contentType: OID_CSCA_MASTER_LIST, content: new Uint8Array(content.toBER(false)), signer });
}

// ---------------------------------------------------------------- save / load (the only I/O)

const FILES = {
  csca: 'csca.pem',
  cscaKey: 'csca.key.pem',
  ds: 'ds.pem',
  dsKey: 'ds.key.pem',
  crl: 'csca.crl',
  masterList: 'masterlist.ml',
  meta: 'pki.json',
} as const;

interface PkiMeta {
  format: 'idkiosk-test-pki';
  version: 1;
  csca: { keyAlgorithm: KeyAlgorithm; certificate: string; privateKey: string };
  ds: { keyAlgorithm: KeyAlgorithm; certificate: string; privateKey: string };
  crl?: string;
  masterList?: string;
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function fromPem(label: string, text: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(text);
  if (!m) throw pkiFileError(`no ${label} PEM block`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

function pkiFileError(what: string): IdkError {
  return new IdkError('PKI_FILE_INVALID', {
    vi: `Tệp PKI thử nghiệm không hợp lệ (${what}): hãy tạo lại thư mục PKI.`,
    en: `The test PKI files are invalid (${what}): create the PKI folder again.`,
  });
}

async function exportPkcs8(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.exportKey('pkcs8', key));
}

async function importPkcs8(der: Uint8Array, alg: KeyAlgorithm): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('pkcs8', new Uint8Array(der), keySpec(alg).import, true, ['sign']);
}

export async function savePki(dir: string, pki: TestPki): Promise<void> {
  await mkdir(dir, { recursive: true });
  const write = (name: string, data: string | Uint8Array) => writeFile(join(dir, name), data);
  await write(FILES.csca, toPem('CERTIFICATE', pki.csca.certificate));
  await write(FILES.cscaKey, toPem('PRIVATE KEY', await exportPkcs8(pki.csca.privateKey)));
  await write(FILES.ds, toPem('CERTIFICATE', pki.ds.certificate));
  await write(FILES.dsKey, toPem('PRIVATE KEY', await exportPkcs8(pki.ds.privateKey)));
  const meta: PkiMeta = {
    format: 'idkiosk-test-pki',
    version: 1,
    csca: { keyAlgorithm: pki.csca.keyAlgorithm, certificate: FILES.csca, privateKey: FILES.cscaKey },
    ds: { keyAlgorithm: pki.ds.keyAlgorithm, certificate: FILES.ds, privateKey: FILES.dsKey },
  };
  if (pki.crl) {
    await write(FILES.crl, pki.crl);
    meta.crl = FILES.crl;
  }
  if (pki.masterList) {
    await write(FILES.masterList, pki.masterList);
    meta.masterList = FILES.masterList;
  }
  await write(FILES.meta, `${JSON.stringify(meta, null, 2)}\n`);
}

export async function loadPki(dir: string): Promise<TestPki> {
  const read = (name: string) => readFile(join(dir, name));
  const meta = parseMeta(await read(FILES.meta).then((b) => b.toString('utf8')));
  const loadPair = async (m: PkiMeta['csca']) => ({
    certificate: fromPem('CERTIFICATE', (await read(m.certificate)).toString('utf8')),
    privateKey: await importPkcs8(fromPem('PRIVATE KEY', (await read(m.privateKey)).toString('utf8')), m.keyAlgorithm),
    keyAlgorithm: m.keyAlgorithm,
  });
  const pki: TestPki = { csca: await loadPair(meta.csca), ds: await loadPair(meta.ds) };
  if (meta.crl) pki.crl = new Uint8Array(await read(meta.crl));
  if (meta.masterList) pki.masterList = new Uint8Array(await read(meta.masterList));
  return pki;
}

/**
 * The PKI in `dir`, made (VN, ECDSA P-256, with an empty CRL) and saved there first if the
 * folder holds none yet, so `card build --pki DIR` works on a fresh folder.
 */
export async function ensurePki(
  dir: string,
  opts: { country?: string } = {},
): Promise<{ pki: TestPki; signer: DocumentSigner; created: boolean }> {
  const exists = await access(join(dir, FILES.meta)).then(
    () => true,
    () => false,
  );
  if (exists) {
    const pki = await loadPki(dir);
    return { pki, signer: pki.ds, created: false };
  }
  const csca = await createCsca({ country: opts.country ?? 'VN' });
  const ds = await issueDocumentSigner(csca);
  const pki: TestPki = { csca, ds, crl: await issueCrl(csca, []) };
  await savePki(dir, pki);
  return { pki, signer: ds, created: true };
}

const KEY_ALGORITHMS: readonly string[] = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-pss-2048', 'rsa-3072'];

function parseMeta(text: string): PkiMeta {
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw pkiFileError('pki.json is not JSON');
  }
  const m = meta as Partial<PkiMeta>;
  const pairOk = (p: unknown): boolean => {
    const q = p as Partial<PkiMeta['csca']> | undefined;
    return !!q && KEY_ALGORITHMS.includes(String(q.keyAlgorithm)) && isPlainFileName(q.certificate) && isPlainFileName(q.privateKey);
  };
  if (m?.format !== 'idkiosk-test-pki' || !pairOk(m.csca) || !pairOk(m.ds)) throw pkiFileError('pki.json fields');
  if ((m.crl !== undefined && !isPlainFileName(m.crl)) || (m.masterList !== undefined && !isPlainFileName(m.masterList))) {
    throw pkiFileError('pki.json file names');
  }
  return m as PkiMeta;
}

/** File names in pki.json stay inside the PKI folder. */
function isPlainFileName(v: unknown): v is string {
  return typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v) && !v.startsWith('.');
}
