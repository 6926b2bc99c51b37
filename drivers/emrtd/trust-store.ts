// The trust store of passive authentication: Country Signing CA certificates (PEM or DER),
// ICAO / national CSCA Master Lists (Doc 9303 Part 12 §9: CMS SignedData over
// CscaMasterList, OID 2.23.136.1.1.2) whose signer is checked before their CSCAs are
// believed, and CRLs (RFC 5280 §5) checked against the CSCA that issued them.
//
// Pure: it takes file names and bytes and returns what it could use and, per file, what it
// could not. Reading a folder is main/verify/trust-folder.ts's job. X.509 and CMS are
// parsed with pkijs; signatures are checked here (verifySignature) rather than through
// WebCrypto, because CSCAs sign with brainpool curves and explicit EC parameters, which
// WebCrypto refuses: ECDSA goes through @noble/curves, RSA through node:crypto.
import { constants, createPublicKey, verify as nodeVerify } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { bytesToBig, equal, hex } from '../../core/bytes.js';
import { IdkError, type Messages, isIdkError } from '../../core/errors.js';
import { sha } from './crypto.js';
import { type Curve, type Ecdsa, curveByOid, curveOfExplicit } from './curves.js';
import { OID_CSCA_MASTER_LIST } from './sod.js';

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** What passive authentication needs of one X.509 certificate, free of pkijs types. */
export interface CertInfo {
  der: Uint8Array;
  /** RFC 4514-like text for people, e.g. "C=VN, O=Test PKI, CN=CSCA VN TEST". */
  subject: string;
  issuer: string;
  /** Normalised names for matching issuer to subject (RFC 5280 §7.1, simplified). */
  subjectKey: string;
  issuerKey: string;
  serial: bigint;
  notBefore: Date;
  notAfter: Date;
  /** ISO 3166-1 alpha-2 from the subject's C attribute, upper case. */
  country?: string;
  subjectKeyId?: string;
  authorityKeyId?: string;
  isCa: boolean;
  /** keyUsage bit names when the extension is present (RFC 5280 §4.2.1.3). */
  keyUsage?: KeyUsage[];
  extendedKeyUsage?: string[];
  /** Doc 9303 Part 12 documentTypeList of a Document Signer, e.g. ['P', 'ID']. */
  documentTypes?: string[];
  spki: Uint8Array;
  tbs: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
}

type KeyUsage =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';
const KEY_USAGE_BITS: KeyUsage[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

interface SignatureAlgorithm {
  oid: string;
  /** DER of the parameters, when present (RSASSA-PSS needs them). */
  params?: Uint8Array;
}

interface CrlInfo {
  der: Uint8Array;
  issuer: string;
  issuerKey: string;
  authorityKeyId?: string;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serial (hex, no leading zeros) -> revocation date. */
  revoked: Map<string, Date>;
  tbs: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
}

export interface TrustAnchor {
  certificate: CertInfo;
  /** The file it came from; for a master list, "FILE (master list)". */
  source: string;
}

interface TrustedCrl {
  crl: CrlInfo;
  source: string;
  /** The anchor whose key verified the CRL's signature. */
  issuer: CertInfo;
}

interface TrustProblem {
  file: string;
  code: 'UNREADABLE' | 'NOT_PKI' | 'NOT_A_CA' | 'BAD_SIGNATURE' | 'MASTER_LIST_UNTRUSTED' | 'CRL_UNTRUSTED' | 'UNSUPPORTED';
  messages: Messages;
}

export interface TrustStore {
  anchors: TrustAnchor[];
  crls: TrustedCrl[];
  problems: TrustProblem[];
  /** What each usable file contributed, for the operator. */
  files: { file: string; kind: 'certificate' | 'master-list' | 'crl'; count: number }[];
}

export interface TrustFile {
  name: string;
  bytes: Uint8Array;
}

// X.509 (RFC 5280 §4.2.1) and ICAO (Doc 9303 Part 12) object identifiers.
const OID = {
  country: '2.5.4.6',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  documentTypeList: '2.23.136.1.1.6.2',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  ecPublicKey: '1.2.840.10045.2.1',
  primeField: '1.2.840.10045.1.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
} as const;

/** Attribute short names for people-readable names (RFC 4514 §3 plus a few common ones). */
const NAME_LABELS: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};

// Hash OIDs: RFC 3279 (SHA-1), RFC 5754 (SHA-2).
export const HASH_OIDS: Record<string, HashName> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

type SigKind = 'rsa' | 'rsa-pss' | 'ecdsa' | 'ecdsa-plain';
/**
 * Signature algorithm OIDs: RFC 3279 / RFC 4055 (RSA), RFC 5758 (ECDSA with SHA-2),
 * BSI TR-03111 §5.2.1 (ecdsa-plain-*, 0.4.0.127.0.7.1.1.4.1.x, r||s). A hash of
 * undefined takes the digest algorithm of the CMS SignerInfo.
 */
const SIGNATURE_ALGORITHMS: Record<string, { kind: SigKind; hash?: HashName }> = {
  '1.2.840.113549.1.1.1': { kind: 'rsa' },
  '1.2.840.113549.1.1.5': { kind: 'rsa', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { kind: 'rsa', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { kind: 'rsa', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { kind: 'rsa', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { kind: 'rsa', hash: 'sha512' },
  '1.2.840.113549.1.1.10': { kind: 'rsa-pss' },
  '1.2.840.10045.2.1': { kind: 'ecdsa' },
  '1.2.840.10045.4.1': { kind: 'ecdsa', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { kind: 'ecdsa', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'sha512' },
  '0.4.0.127.0.7.1.1.4.1.1': { kind: 'ecdsa-plain', hash: 'sha1' },
  '0.4.0.127.0.7.1.1.4.1.2': { kind: 'ecdsa-plain', hash: 'sha224' },
  '0.4.0.127.0.7.1.1.4.1.3': { kind: 'ecdsa-plain', hash: 'sha256' },
  '0.4.0.127.0.7.1.1.4.1.4': { kind: 'ecdsa-plain', hash: 'sha384' },
  '0.4.0.127.0.7.1.1.4.1.5': { kind: 'ecdsa-plain', hash: 'sha512' },
};

/** The hash a signature algorithm names, if it names one. */
export function signatureHash(oid: string): HashName | undefined {
  return SIGNATURE_ALGORITHMS[oid]?.hash;
}

// ---------------------------------------------------------------- EC keys

interface EcPublicKey {
  curveOid: string;
  curve: Ecdsa;
  point: Uint8Array;
}

/** Named or explicit (X9.62 ECParameters) curve of an EC key; undefined for unknown curves. */
function curveOfParams(params: unknown): Curve | undefined {
  if (params instanceof asn1js.ObjectIdentifier) return curveByOid(params.getValue());
  if (!(params instanceof asn1js.Sequence)) return undefined;
  const [, fieldId, curve, , order] = params.valueBlock.value;
  if (!(fieldId instanceof asn1js.Sequence) || !(curve instanceof asn1js.Sequence) || !(order instanceof asn1js.Integer)) return undefined;
  const [fieldType, prime] = fieldId.valueBlock.value;
  const [a, b] = curve.valueBlock.value;
  if (!(fieldType instanceof asn1js.ObjectIdentifier) || fieldType.getValue() !== OID.primeField) return undefined;
  if (!(prime instanceof asn1js.Integer) || !(a instanceof asn1js.OctetString) || !(b instanceof asn1js.OctetString)) return undefined;
  const p = prime.toBigInt();
  const n = order.toBigInt();
  return curveOfExplicit({ p, n, a: bytesToBig(a.valueBlock.valueHexView), b: bytesToBig(b.valueBlock.valueHexView) });
}

/** An EC SubjectPublicKeyInfo's curve and point; throws for other keys or unknown curves. */
export function ecPublicKey(spki: Uint8Array): EcPublicKey {
  const info = new pkijs.PublicKeyInfo({ schema: derNode(spki, 'public key') });
  if (info.algorithm.algorithmId !== OID.ecPublicKey) throw new Error('not an EC key');
  const c = curveOfParams(info.algorithm.algorithmParams);
  if (!c) throw new Error('EC curve not supported');
  return { curveOid: c.oid, curve: c.ecdsa, point: new Uint8Array(info.subjectPublicKey.valueBlock.valueHexView) };
}

// ---------------------------------------------------------------- signatures

type SignatureCheck = { ok: true } | { ok: false; why: string };

/**
 * Checks `signature` over `data` with the key in `spki` under `alg`. `defaultHash` is the
 * CMS digest algorithm, used when the signature OID names no hash (rsaEncryption,
 * id-ecPublicKey, as some issuers write). Never throws for bad input: a signature that
 * cannot be checked is reported with the reason.
 */
export function verifySignature(
  spki: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
  defaultHash?: HashName,
): SignatureCheck {
  const known = SIGNATURE_ALGORITHMS[alg.oid];
  if (!known) return { ok: false, why: `signature algorithm ${alg.oid} not supported` };
  try {
    switch (known.kind) {
      case 'rsa': {
        const hash = known.hash ?? defaultHash;
        if (!hash) return { ok: false, why: 'no hash algorithm for the RSA signature' };
        const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
        return verdict(nodeVerify(hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature));
      }
      case 'rsa-pss': {
        const pss = pssParams(alg.params);
        const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
        return verdict(nodeVerify(pss.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength }, signature));
      }
      case 'ecdsa':
      case 'ecdsa-plain': {
        const hash = known.hash ?? defaultHash;
        if (!hash) return { ok: false, why: 'no hash algorithm for the ECDSA signature' };
        const key = ecPublicKey(spki);
        const digest = sha(hash, data);
        const format = known.kind === 'ecdsa' ? 'der' : 'compact';
        return verdict(key.curve.verify(signature, digest, key.point, { prehash: false, lowS: false, format }));
      }
    }
  } catch (e) {
    return { ok: false, why: `signature could not be checked: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function verdict(ok: boolean): SignatureCheck {
  return ok ? { ok: true } : { ok: false, why: 'signature does not verify' };
}

/** RSASSA-PSS-params (RFC 4055 §3.1): hash, MGF1 with the same hash, salt length. */
function pssParams(params: Uint8Array | undefined): { hash: HashName; saltLength: number } {
  const p = params ? new pkijs.RSASSAPSSParams({ schema: derNode(params, 'RSASSA-PSS parameters') }) : new pkijs.RSASSAPSSParams();
  const hash = HASH_OIDS[p.hashAlgorithm.algorithmId];
  if (!hash) throw new Error(`PSS hash ${p.hashAlgorithm.algorithmId} not supported`);
  if (p.maskGenAlgorithm.algorithmId !== OID.mgf1) throw new Error('PSS mask generation other than MGF1');
  const mgfHash = new pkijs.AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams });
  if (HASH_OIDS[mgfHash.algorithmId] !== hash) throw new Error('PSS with an MGF1 hash other than the message hash');
  return { hash, saltLength: p.saltLength };
}

// ---------------------------------------------------------------- parsing

function derNode(bytes: Uint8Array, what: string): asn1js.AsnType {
  const r = asn1js.fromBER(new Uint8Array(bytes));
  if (r.offset === -1 || r.result.error) throw new Error(`${what}: bad ASN.1`);
  if (r.offset !== bytes.length) throw new Error(`${what}: trailing bytes`);
  return r.result;
}

function algorithmOf(a: pkijs.AlgorithmIdentifier): SignatureAlgorithm {
  const params = a.algorithmParams as asn1js.AsnType | undefined;
  const hasParams = params !== undefined && !(params instanceof asn1js.Null);
  return { oid: a.algorithmId, params: hasParams ? new Uint8Array(params.toBER(false)) : undefined };
}

function attributeText(value: unknown): string {
  const v = (value as { valueBlock?: { value?: unknown } }).valueBlock?.value;
  return typeof v === 'string' ? v : '';
}

function nameText(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => `${NAME_LABELS[tv.type] ?? tv.type}=${attributeText(tv.value)}`).join(', ');
}

/** Case-insensitive, whitespace-collapsed attribute values, so PrintableString and UTF8String spellings match. */
function nameKey(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => `${tv.type}=${attributeText(tv.value).trim().replace(/\s+/g, ' ').toLowerCase()}`).join('\u0000');
}

function extension(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

function keyIdOf(v: unknown): string | undefined {
  return v instanceof asn1js.OctetString ? hex(new Uint8Array(v.valueBlock.valueHexView)) : undefined;
}

function keyUsageOf(ext: pkijs.Extension | undefined): KeyUsage[] | undefined {
  if (!ext) return undefined;
  const bits = ext.parsedValue;
  if (!(bits instanceof asn1js.BitString)) return [];
  const bytes = bits.valueBlock.valueHexView;
  return KEY_USAGE_BITS.filter((_, i) => ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0);
}

function documentTypesOf(ext: pkijs.Extension | undefined): string[] | undefined {
  if (!ext) return undefined;
  const node = derNode(new Uint8Array(ext.extnValue.valueBlock.valueHexView), 'documentTypeList');
  if (!(node instanceof asn1js.Sequence)) throw new Error('documentTypeList is not a SEQUENCE');
  const set = node.valueBlock.value[1];
  if (!(set instanceof asn1js.Set)) throw new Error('documentTypeList has no SET');
  return set.valueBlock.value.map(attributeText);
}

function countryOf(name: pkijs.RelativeDistinguishedNames): string | undefined {
  const c = name.typesAndValues.find((tv) => tv.type === OID.country);
  const v = c ? attributeText(c.value).trim().toUpperCase() : '';
  return v || undefined;
}

function certInfo(cert: pkijs.Certificate, der: Uint8Array): CertInfo {
  const bc = extension(cert, OID.basicConstraints)?.parsedValue;
  const aki = extension(cert, OID.authorityKeyIdentifier)?.parsedValue;
  const eku = extension(cert, OID.extKeyUsage)?.parsedValue;
  return {
    der,
    subject: nameText(cert.subject),
    issuer: nameText(cert.issuer),
    subjectKey: nameKey(cert.subject),
    issuerKey: nameKey(cert.issuer),
    serial: cert.serialNumber.toBigInt(),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    country: countryOf(cert.subject),
    subjectKeyId: keyIdOf(extension(cert, OID.subjectKeyIdentifier)?.parsedValue),
    authorityKeyId: aki instanceof pkijs.AuthorityKeyIdentifier ? keyIdOf(aki.keyIdentifier) : undefined,
    isCa: bc instanceof pkijs.BasicConstraints && bc.cA === true,
    keyUsage: keyUsageOf(extension(cert, OID.keyUsage)),
    extendedKeyUsage: eku instanceof pkijs.ExtKeyUsage ? eku.keyPurposes : undefined,
    documentTypes: documentTypesOf(extension(cert, OID.documentTypeList)),
    spki: new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER(false)),
    tbs: new Uint8Array(cert.tbsView),
    signatureAlgorithm: algorithmOf(cert.signatureAlgorithm),
    signature: new Uint8Array(cert.signatureValue.valueBlock.valueHexView),
  };
}

/** One DER X.509 certificate; throws a plain Error when it is not one. */
export function parseCertificate(der: Uint8Array): CertInfo {
  const owned = new Uint8Array(der);
  const cert = new pkijs.Certificate({ schema: derNode(owned, 'certificate') });
  return certInfo(cert, owned);
}

/** Whether `cert` was signed by `issuer`'s key (name and key identifiers are the caller's concern). */
export function isSignedBy(cert: CertInfo | CrlInfo, issuer: CertInfo): SignatureCheck {
  return verifySignature(issuer.spki, cert.signatureAlgorithm, cert.tbs, cert.signature);
}

/** An issuer candidate: same name, and key identifiers agree where both are given. */
export function couldHaveIssued(issuer: CertInfo, subject: { issuerKey: string; authorityKeyId?: string }): boolean {
  if (issuer.subjectKey !== subject.issuerKey) return false;
  return !(issuer.subjectKeyId && subject.authorityKeyId && issuer.subjectKeyId !== subject.authorityKeyId);
}

function parseCrl(der: Uint8Array): CrlInfo {
  const owned = new Uint8Array(der);
  const crl = new pkijs.CertificateRevocationList({ schema: derNode(owned, 'CRL') });
  const revoked = new Map<string, Date>();
  for (const r of crl.revokedCertificates ?? []) revoked.set(r.userCertificate.toBigInt().toString(16), r.revocationDate.value);
  const aki = crl.crlExtensions?.extensions.find((e) => e.extnID === OID.authorityKeyIdentifier)?.parsedValue;
  return {
    der: owned,
    issuer: nameText(crl.issuer),
    issuerKey: nameKey(crl.issuer),
    authorityKeyId: aki instanceof pkijs.AuthorityKeyIdentifier ? keyIdOf(aki.keyIdentifier) : undefined,
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value,
    revoked,
    tbs: new Uint8Array(crl.tbsView),
    signatureAlgorithm: algorithmOf(crl.signatureAlgorithm),
    signature: new Uint8Array(crl.signatureValue.valueBlock.valueHexView),
  };
}

// ---------------------------------------------------------------- CMS

interface CmsCheck {
  check: SignatureCheck;
  signer?: CertInfo;
  /** Every certificate carried in SignedData.certificates. */
  certificates: CertInfo[];
}

/**
 * The signature of a CMS SignedData (RFC 5652 §5.4, §5.6) with its first SignerInfo: the
 * signer certificate is the one the sid names among SignedData.certificates; with signed
 * attributes, content-type must match and message-digest must be the eContent's hash.
 * `signedData` must be a pkijs SignedData (as parseSod keeps it).
 */
export function verifyCms(signedData: unknown, eContent: Uint8Array): CmsCheck {
  if (!(signedData instanceof pkijs.SignedData)) return { check: { ok: false, why: 'not a CMS SignedData' }, certificates: [] };
  let certificates: CertInfo[];
  try {
    certificates = (signedData.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
      .map((c) => certInfo(c, new Uint8Array(c.toSchema().toBER(false))));
  } catch (e) {
    return { check: { ok: false, why: `a certificate in the SignedData is unreadable (${e instanceof Error ? e.message : String(e)})` }, certificates: [] };
  }
  const si = signedData.signerInfos[0];
  if (!si) return { check: { ok: false, why: 'no SignerInfo' }, certificates };
  const signer = findSigner(signedData, si, certificates);
  if (!signer) return { check: { ok: false, why: 'the signer certificate is not in the SignedData' }, certificates };
  const digest = HASH_OIDS[si.digestAlgorithm.algorithmId];
  if (!digest) return { check: { ok: false, why: `digest algorithm ${si.digestAlgorithm.algorithmId} not supported` }, signer, certificates };
  let signedBytes = eContent;
  if (si.signedAttrs) {
    const attr = (oid: string) => si.signedAttrs!.attributes.find((a) => a.type === oid)?.values;
    const ct = attr(OID.contentType);
    if (ct?.length !== 1 || !(ct[0] instanceof asn1js.ObjectIdentifier) || ct[0].getValue() !== signedData.encapContentInfo.eContentType) {
      return { check: { ok: false, why: 'content-type attribute missing or not the content type' }, signer, certificates };
    }
    const md = attr(OID.messageDigest);
    if (md?.length !== 1 || !(md[0] instanceof asn1js.OctetString) || !equal(new Uint8Array(md[0].valueBlock.valueHexView), sha(digest, eContent))) {
      return { check: { ok: false, why: 'message-digest attribute does not match the content' }, signer, certificates };
    }
    // pkijs keeps the attributes' original encoding with the [0] tag already turned into SET (RFC 5652 §5.4).
    signedBytes = new Uint8Array(si.signedAttrs.encodedValue);
  }
  const check = verifySignature(signer.spki, algorithmOf(si.signatureAlgorithm), signedBytes, new Uint8Array(si.signature.valueBlock.valueHexView), digest);
  return { check, signer, certificates };
}

function findSigner(sd: pkijs.SignedData, si: pkijs.SignerInfo, infos: CertInfo[]): CertInfo | undefined {
  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const sid: unknown = si.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const i = certs.findIndex((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
    if (i >= 0) return infos[i];
  } else if (sid instanceof asn1js.BaseBlock) {
    // [0] SubjectKeyIdentifier: its octets, however asn1js kept the implicit tag.
    const der = new Uint8Array(sid.toBER(false));
    const found = infos.find((c) => c.subjectKeyId !== undefined && hex(der).endsWith(c.subjectKeyId));
    if (found) return found;
  }
  return infos.length === 1 ? infos[0] : undefined;
}

// ---------------------------------------------------------------- master lists

interface MasterList {
  cscas: CertInfo[];
  signer: CertInfo;
  /** The CSCA whose key signed the master list signer's certificate. */
  signerIssuer: CertInfo;
}

/**
 * A CSCA Master List (Doc 9303 Part 12 §9): CMS SignedData over
 * CscaMasterList ::= SEQUENCE { version INTEGER, certList SET OF Certificate }.
 * The CMS signature must verify, and the Master List Signer must have been issued by a
 * CSCA in the list itself or in `known` (the folder's own CSCA certificates); otherwise
 * the list is refused, so a corrupted or re-signed file cannot slip CSCAs in.
 */
function parseMasterList(bytes: Uint8Array, known: CertInfo[] = []): MasterList {
  const ci = new pkijs.ContentInfo({ schema: derNode(bytes, 'master list') });
  if (ci.contentType !== OID.signedData) throw trustError('NOT_PKI', 'the file is CMS but not SignedData', 'tệp là CMS nhưng không phải SignedData');
  const sd = new pkijs.SignedData({ schema: ci.content });
  if (sd.encapContentInfo.eContentType !== OID_CSCA_MASTER_LIST) {
    throw trustError('NOT_PKI', `CMS content ${sd.encapContentInfo.eContentType} is not a CSCA master list`, 'nội dung CMS không phải danh sách CSCA (master list)');
  }
  const e = sd.encapContentInfo.eContent;
  if (!(e instanceof asn1js.OctetString)) throw trustError('NOT_PKI', 'master list without content', 'master list không có nội dung');
  const content = e.idBlock.isConstructed ? new Uint8Array(e.getValue()) : new Uint8Array(e.valueBlock.valueHexView);
  const list = derNode(content, 'CscaMasterList');
  const certSet = list instanceof asn1js.Sequence ? list.valueBlock.value[1] : undefined;
  if (!(certSet instanceof asn1js.Set)) throw trustError('NOT_PKI', 'CscaMasterList has no certificate list', 'CscaMasterList không có danh sách chứng thư');
  const cscas = certSet.valueBlock.value.map((node) => {
    const der = new Uint8Array(node.toBER(false));
    return parseCertificate(der);
  });
  const cms = verifyCms(sd, content);
  if (!cms.signer) throw trustError('MASTER_LIST_UNTRUSTED', 'the master list signer certificate is missing', 'thiếu chứng thư của bên ký master list');
  if (!cms.check.ok) {
    throw trustError('BAD_SIGNATURE', `the master list signature is invalid (${cms.check.why})`, `chữ ký của master list không hợp lệ (${cms.check.why})`);
  }
  const signer = cms.signer;
  if (signer.keyUsage && !signer.keyUsage.includes('digitalSignature')) {
    throw trustError('MASTER_LIST_UNTRUSTED', 'the master list signer may not sign (key usage)', 'bên ký master list không được phép ký (key usage)');
  }
  const candidates = [...cscas, ...known, ...cms.certificates.filter((c) => c.isCa)].filter((c) => couldHaveIssued(c, signer));
  const signerIssuer = candidates.find((c) => isSignedBy(signer, c).ok);
  if (!signerIssuer) {
    throw trustError(
      'MASTER_LIST_UNTRUSTED',
      `the master list signer (${signer.subject}) was not issued by any CSCA in the list or the folder`,
      `bên ký master list (${signer.subject}) không do CSCA nào trong danh sách hay trong thư mục cấp`,
    );
  }
  return { cscas, signer, signerIssuer };
}

// ---------------------------------------------------------------- the store

function trustError(code: TrustProblem['code'], en: string, vi: string): IdkError {
  return new IdkError(`TRUST_${code}`, { en, vi });
}

function problem(file: string, code: TrustProblem['code'], en: string, vi: string): TrustProblem {
  return { file, code, messages: { en: `${file}: ${en}`, vi: `${file}: ${vi}` } };
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

type Item = { kind: 'certificate'; der: Uint8Array } | { kind: 'crl'; der: Uint8Array } | { kind: 'cms'; der: Uint8Array };

/** PEM blocks by label, or one DER object recognised by trying each kind. */
function items(file: TrustFile): Item[] {
  const text = new TextDecoder('latin1').decode(file.bytes.subarray(0, 64 * 1024 * 1024));
  if (text.includes('-----BEGIN ')) {
    const out: Item[] = [];
    for (const m of text.matchAll(PEM_BLOCK)) {
      const der = new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
      const label = m[1]!;
      if (label === 'CERTIFICATE' || label === 'X509 CERTIFICATE' || label === 'TRUSTED CERTIFICATE') out.push({ kind: 'certificate', der });
      else if (label === 'X509 CRL') out.push({ kind: 'crl', der });
      else if (label === 'CMS' || label === 'PKCS7') out.push({ kind: 'cms', der });
    }
    return out;
  }
  return [{ kind: sniff(file.bytes), der: file.bytes }];
}

/** DER: a ContentInfo starts with an OID; a certificate's TBS has a validity; else try CRL. */
function sniff(der: Uint8Array): Item['kind'] {
  try {
    const node = derNode(der, 'file');
    const first = node instanceof asn1js.Sequence ? node.valueBlock.value[0] : undefined;
    if (first instanceof asn1js.ObjectIdentifier) return 'cms';
    const tbs = first instanceof asn1js.Sequence ? first.valueBlock.value : [];
    // TBSCertificate: [0] version, serial, signature, issuer, validity...; TBSCertList: version?, signature, issuer, thisUpdate...
    const hasValidity = tbs.some((n) => n instanceof asn1js.Sequence && n.valueBlock.value.length === 2 && isTime(n.valueBlock.value[0]));
    return hasValidity ? 'certificate' : 'crl';
  } catch {
    return 'certificate';
  }
}

function isTime(n: unknown): boolean {
  return n instanceof asn1js.UTCTime || n instanceof asn1js.GeneralizedTime;
}

function describe(e: unknown): string {
  if (isIdkError(e)) return e.messages.en;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Builds the store from the files of a trust folder. Every file is judged on its own: a
 * garbage file, a non-CA certificate, a master list whose signer cannot be traced to a
 * CSCA, or a CRL no CSCA of the store signed becomes a TrustProblem and the rest is used.
 */
export function buildTrustStore(files: TrustFile[]): TrustStore {
  const problems: TrustProblem[] = [];
  const contributed: TrustStore['files'] = [];
  const certs: { cert: CertInfo; file: string }[] = [];
  const crls: { crl: CrlInfo; file: string }[] = [];
  const lists: { der: Uint8Array; file: string }[] = [];

  for (const f of files) {
    let found: Item[];
    try {
      found = items(f);
    } catch (e) {
      problems.push(problem(f.name, 'UNREADABLE', `cannot be read (${describe(e)})`, `không đọc được (${describe(e)})`));
      continue;
    }
    if (found.length === 0) {
      problems.push(problem(f.name, 'NOT_PKI', 'holds no certificate, CRL or master list', 'không chứa chứng thư, CRL hay master list'));
      continue;
    }
    for (const it of found) {
      try {
        if (it.kind === 'certificate') certs.push({ cert: parseCertificate(it.der), file: f.name });
        else if (it.kind === 'crl') crls.push({ crl: parseCrl(it.der), file: f.name });
        else lists.push({ der: it.der, file: f.name });
      } catch (e) {
        const what = it.kind === 'crl' ? 'CRL' : it.kind === 'cms' ? 'master list' : 'certificate';
        problems.push(problem(f.name, 'NOT_PKI', `is not a valid ${what} (${describe(e)})`, `không phải ${what} hợp lệ (${describe(e)})`));
      }
    }
  }

  const anchors: TrustAnchor[] = [];
  const seen = new Set<string>();
  const add = (cert: CertInfo, source: string): boolean => {
    const id = hex(sha('sha256', cert.der));
    if (seen.has(id)) return false;
    seen.add(id);
    anchors.push({ certificate: cert, source });
    return true;
  };
  const counts = new Map<string, TrustStore['files'][number]>();
  const count = (file: string, kind: TrustStore['files'][number]['kind'], n = 1) => {
    const key = `${file}\u0000${kind}`;
    const c = counts.get(key) ?? { file, kind, count: 0 };
    c.count += n;
    counts.set(key, c);
  };

  for (const { cert, file } of certs) {
    const why = anchorProblem(cert);
    if (why) problems.push(problem(file, why.code, why.en, why.vi));
    else if (add(cert, file)) count(file, 'certificate');
  }
  const folderCscas = anchors.map((a) => a.certificate);
  for (const { der, file } of lists) {
    try {
      const ml = parseMasterList(der, folderCscas);
      let used = 0;
      for (const c of ml.cscas) {
        if (!anchorProblem(c) && add(c, `${file} (master list)`)) used++;
      }
      count(file, 'master-list', used);
    } catch (e) {
      const code = isIdkError(e) && e.code.startsWith('TRUST_') ? (e.code.slice(6) as TrustProblem['code']) : 'NOT_PKI';
      const vi = isIdkError(e) ? e.messages.vi : `không phải master list hợp lệ (${describe(e)})`;
      const en = isIdkError(e) ? e.messages.en : `is not a valid master list (${describe(e)})`;
      problems.push(problem(file, code, en, vi));
    }
  }
  const trustedCrls: TrustedCrl[] = [];
  for (const { crl, file } of crls) {
    const issuer = anchors.map((a) => a.certificate).find((a) => couldHaveIssued(a, crl) && isSignedBy(crl, a).ok);
    if (!issuer) {
      problems.push(
        problem(
          file,
          'CRL_UNTRUSTED',
          `CRL of ${crl.issuer} is not signed by any CSCA in the folder: ignored`,
          `CRL của ${crl.issuer} không do CSCA nào trong thư mục ký: bỏ qua`,
        ),
      );
      continue;
    }
    if (issuer.keyUsage && !issuer.keyUsage.includes('cRLSign')) {
      problems.push(problem(file, 'CRL_UNTRUSTED', 'the CSCA that signed this CRL may not sign CRLs: ignored', 'CSCA ký CRL này không được phép ký CRL: bỏ qua'));
      continue;
    }
    trustedCrls.push({ crl, source: file, issuer });
    count(file, 'crl');
  }
  contributed.push(...counts.values());
  return { anchors, crls: trustedCrls, problems, files: contributed };
}

/** Why a certificate cannot be a trust anchor: not a CA, or a self-signature that fails. */
function anchorProblem(cert: CertInfo): { code: TrustProblem['code']; en: string; vi: string } | undefined {
  if (!cert.isCa) {
    return {
      code: 'NOT_A_CA',
      en: `${cert.subject} is not a CA certificate (a Document Signer?): not used as a CSCA`,
      vi: `${cert.subject} không phải chứng thư CA (có thể là Document Signer): không dùng làm CSCA`,
    };
  }
  if (cert.keyUsage && !cert.keyUsage.includes('keyCertSign')) {
    return { code: 'NOT_A_CA', en: `${cert.subject} may not sign certificates (key usage)`, vi: `${cert.subject} không được phép ký chứng thư (key usage)` };
  }
  if (cert.subjectKey === cert.issuerKey && !(cert.authorityKeyId && cert.subjectKeyId && cert.authorityKeyId !== cert.subjectKeyId)) {
    const check = isSignedBy(cert, cert);
    if (!check.ok) {
      return {
        code: check.why.includes('not supported') ? 'UNSUPPORTED' : 'BAD_SIGNATURE',
        en: `${cert.subject}: its self-signature fails (${check.why})`,
        vi: `${cert.subject}: chữ ký tự ký không hợp lệ (${check.why})`,
      };
    }
  }
  return undefined;
}
