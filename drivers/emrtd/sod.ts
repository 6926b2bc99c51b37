// EF.SOD, the Document Security Object (ICAO Doc 9303 Part 10 §4.6.2, Part 12): tag 0x77
// around a CMS ContentInfo / SignedData (RFC 5652) whose encapsulated content is the
// LDSSecurityObject listing one hash per data group. Parser and builder live side by
// side so the software chip and the reader share one definition of the bytes.
//
// CMS and X.509 go through pkijs/asn1js; only the small LDSSecurityObject is walked by
// hand (on asn1js nodes), because pkijs has no schema for it.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { equal } from '../../core/bytes.js';
import { isIdkError, malformed } from '../../core/errors.js';
import { decodeExact, encode } from '../apdu/tlv.js';
import { sha } from './crypto.js';
import { EF_SOD } from './files.js';

export type SodHashAlgorithm = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

export interface Sod {
  /** LDSSecurityObjectVersion: 0, or 1 when ldsVersionInfo is present (LDS 1.8). */
  version: number;
  hashAlgorithm: SodHashAlgorithm;
  hashOid: string;
  dataGroupHashes: Map<number, Uint8Array>;
  ldsVersion?: string;
  unicodeVersion?: string;
  /** DER of the Document Signer certificate carried in SignedData.certificates. */
  signerCertificate?: Uint8Array;
  /** The pkijs SignedData, kept opaque for verification; callers must not depend on its type. */
  signedData: unknown;
  /** eContent: the DER LDSSecurityObject the message-digest attribute covers. */
  encapsulatedContent: Uint8Array;
  signatureAlgorithmOid: string;
  /** signing-time signed attribute, ISO 8601, when present. */
  signingTime?: string;
}

/** What buildSod needs of a Document Signer; test-pki's DocumentSigner fits it. */
export interface CmsSigner {
  certificate: Uint8Array;
  privateKey: CryptoKey;
}

interface SodSignatureCheck {
  valid: boolean;
  reason?: string;
}

// OIDs. ICAO: Doc 9303 Part 10 §4.6.2 / Part 12 (id-icao-mrtd-security 2.23.136.1.1).
// CMS: RFC 5652 §5.1, §11. Hashes: RFC 3279 (SHA-1), RFC 5754 (SHA-2).
export const OID_LDS_SECURITY_OBJECT = '2.23.136.1.1.1';
export const OID_CSCA_MASTER_LIST = '2.23.136.1.1.2';
const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const OID_SIGNING_TIME = '1.2.840.113549.1.9.5';

const HASH_OIDS: Record<SodHashAlgorithm, string> = {
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const HASH_LENGTHS: Record<SodHashAlgorithm, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
const WEBCRYPTO_HASH: Record<SodHashAlgorithm, string> = {
  sha1: 'SHA-1', sha224: 'SHA-224', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512',
};

/** Real SODs are a few kilobytes; anything near this is an attack on memory, not a card. */
export const MAX_SOD_BYTES = 256 * 1024;
const MAX_DATA_GROUP = 16;

// One engine passed explicitly to every pkijs call, so nothing depends on pkijs's global.
const engine = new pkijs.CryptoEngine({ name: 'node-webcrypto', crypto: globalThis.crypto });

/** A copy over a plain ArrayBuffer, the only kind WebCrypto and pkijs accept in their types. */
function owned(u: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(u);
}

function hashAlgorithmForOid(oid: string): SodHashAlgorithm | undefined {
  return (Object.keys(HASH_OIDS) as SodHashAlgorithm[]).find((k) => HASH_OIDS[k] === oid);
}

export function hashDataGroup(alg: SodHashAlgorithm, bytes: Uint8Array): Uint8Array {
  return sha(alg, bytes);
}

// ---------------------------------------------------------------- parsing

export function parseSod(bytes: Uint8Array): Sod {
  if (bytes.length > MAX_SOD_BYTES) throw malformed('EF.SOD too large', { length: bytes.length });
  const outer = decodeExact(bytes, EF_SOD.tag);
  try {
    return parseContentInfo(outer.value);
  } catch (e) {
    // pkijs/asn1js throw plain Errors (and deep input may even throw RangeError):
    // every one of them means the chip's bytes are not a valid SOD.
    if (isIdkError(e)) throw e;
    throw malformed('EF.SOD is not a CMS SignedData', { cause: String(e) });
  }
}

function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  const asn1 = asn1js.fromBER(bytes);
  if (asn1.offset === -1 || asn1.result.error) throw malformed(`${what}: bad ASN.1`);
  if (asn1.offset !== bytes.length) throw malformed(`${what}: trailing bytes`);
  return asn1.result;
}

function parseContentInfo(der: Uint8Array): Sod {
  const contentInfo = new pkijs.ContentInfo({ schema: parseDer(der, 'EF.SOD') });
  if (contentInfo.contentType !== OID_SIGNED_DATA) throw malformed('EF.SOD content is not SignedData');
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  const eci = signedData.encapContentInfo;
  if (eci.eContentType !== OID_LDS_SECURITY_OBJECT) {
    throw malformed('EF.SOD content type is not LDSSecurityObject', { eContentType: eci.eContentType });
  }
  const eContent = octetStringValue(eci.eContent, 'EF.SOD eContent');
  const signerInfo = signedData.signerInfos[0];
  if (!signerInfo) throw malformed('EF.SOD has no SignerInfo');
  const lds = parseLdsSecurityObject(eContent);
  const cert = findSignerCertificate(signedData, signerInfo);
  const signingTime = readSigningTime(signerInfo);
  return {
    ...lds,
    signerCertificate: cert ? new Uint8Array(cert.toSchema().toBER(false)) : undefined,
    signedData,
    encapsulatedContent: eContent,
    signatureAlgorithmOid: signerInfo.signatureAlgorithm.algorithmId,
    signingTime,
  };
}

/** OCTET STRING contents, primitive or (BER) constructed; chips have sent both. */
function octetStringValue(node: unknown, what: string): Uint8Array {
  if (!(node instanceof asn1js.OctetString)) throw malformed(`${what} missing`);
  if (!node.idBlock.isConstructed) return new Uint8Array(node.valueBlock.valueHexView);
  return new Uint8Array(node.getValue());
}

type LdsFields = Pick<Sod, 'version' | 'hashAlgorithm' | 'hashOid' | 'dataGroupHashes' | 'ldsVersion' | 'unicodeVersion'>;

/**
 * LDSSecurityObject ::= SEQUENCE { version INTEGER, hashAlgorithm AlgorithmIdentifier,
 *   dataGroupHashValues SEQUENCE SIZE (2..16) OF DataGroupHash, ldsVersionInfo LDSVersionInfo OPTIONAL }
 * (Doc 9303 Part 10 §4.6.2).
 */
export function parseLdsSecurityObject(der: Uint8Array): LdsFields {
  const seq = parseDer(der, 'LDSSecurityObject');
  const items = sequenceItems(seq, 'LDSSecurityObject');
  if (items.length < 3 || items.length > 4) throw malformed('LDSSecurityObject field count');
  const version = smallInteger(items[0], 'LDSSecurityObject version');
  if (version > 2) throw malformed('LDSSecurityObject version', { version });
  const alg = new pkijs.AlgorithmIdentifier({ schema: items[1] });
  const hashAlgorithm = hashAlgorithmForOid(alg.algorithmId);
  if (!hashAlgorithm) throw malformed('SOD hash algorithm unsupported', { oid: alg.algorithmId });
  const dataGroupHashes = parseDataGroupHashes(items[2], HASH_LENGTHS[hashAlgorithm]);
  const out: LdsFields = { version, hashAlgorithm, hashOid: alg.algorithmId, dataGroupHashes };
  if (items[3] !== undefined) {
    const info = sequenceItems(items[3], 'LDSVersionInfo');
    if (info.length !== 2) throw malformed('LDSVersionInfo field count');
    out.ldsVersion = printable(info[0], 'ldsVersion');
    out.unicodeVersion = printable(info[1], 'unicodeVersion');
  }
  return out;
}

function parseDataGroupHashes(node: unknown, hashLength: number): Map<number, Uint8Array> {
  const entries = sequenceItems(node, 'dataGroupHashValues');
  if (entries.length === 0 || entries.length > MAX_DATA_GROUP) {
    throw malformed('dataGroupHashValues count', { count: entries.length });
  }
  const out = new Map<number, Uint8Array>();
  for (const entry of entries) {
    const [num, hash, ...rest] = sequenceItems(entry, 'DataGroupHash');
    if (rest.length) throw malformed('DataGroupHash field count');
    const n = smallInteger(num, 'dataGroupNumber');
    if (n < 1 || n > MAX_DATA_GROUP) throw malformed('dataGroupNumber out of range', { n });
    if (out.has(n)) throw malformed('duplicate dataGroupNumber', { n });
    const value = octetStringValue(hash, 'dataGroupHashValue');
    if (value.length !== hashLength) throw malformed('dataGroupHashValue length', { n, length: value.length });
    out.set(n, value);
  }
  return out;
}

function sequenceItems(node: unknown, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence)) throw malformed(`${what} is not a SEQUENCE`);
  return node.valueBlock.value;
}

function smallInteger(node: unknown, what: string): number {
  if (!(node instanceof asn1js.Integer)) throw malformed(`${what} is not an INTEGER`);
  // More than 4 bytes is never a version or DG number; refuse rather than lose precision.
  if (node.valueBlock.valueHexView.length > 4) throw malformed(`${what} too large`);
  const v = node.valueBlock.valueDec;
  if (!Number.isSafeInteger(v) || v < 0) throw malformed(`${what} out of range`);
  return v;
}

function printable(node: unknown, what: string): string {
  if (!(node instanceof asn1js.PrintableString)) throw malformed(`${what} is not a PrintableString`);
  return node.valueBlock.value;
}

/** The certificate SignerInfo.sid names; a lone certificate is taken when sid matches none. */
function findSignerCertificate(sd: pkijs.SignedData, si: pkijs.SignerInfo): pkijs.Certificate | undefined {
  const certs = (sd.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
    const sid = si.sid;
    const match = certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
    if (match) return match;
  }
  // A subjectKeyIdentifier sid, or a sid naming nothing: the signature check will
  // still fail if this certificate is not the signer's.
  return certs.length === 1 ? certs[0] : undefined;
}

function attributeValues(si: pkijs.SignerInfo, oid: string): unknown[] | undefined {
  const attr = si.signedAttrs?.attributes.find((a) => a.type === oid);
  return attr?.values;
}

function readSigningTime(si: pkijs.SignerInfo): string | undefined {
  const v = attributeValues(si, OID_SIGNING_TIME)?.[0];
  if (v instanceof asn1js.UTCTime || v instanceof asn1js.GeneralizedTime) {
    const d = v.toDate();
    if (!Number.isNaN(d.getTime())) return d.toISOString();
  }
  return undefined;
}

// ---------------------------------------------------------------- building

interface BuildSodOptions {
  hashAlgorithm: SodHashAlgorithm;
  /** Full file bytes of each data group, keyed by DG number. */
  dataGroups: Map<number, Uint8Array>;
  signer: CmsSigner;
  /** LDS 1.8 version info, e.g. { lds: '0108', unicode: '040000' }; makes version 1. */
  ldsVersion?: { lds: string; unicode: string };
  signingTime?: Date;
  /** Digest of the CMS signature; by default SHA-384 for P-384 keys, SHA-256 otherwise. */
  signatureHash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

export async function buildSod(opts: BuildSodOptions): Promise<Uint8Array> {
  const hashes = new Map<number, Uint8Array>();
  for (const [n, bytes] of opts.dataGroups) hashes.set(n, hashDataGroup(opts.hashAlgorithm, bytes));
  const content = encodeLdsSecurityObject(opts.hashAlgorithm, hashes, opts.ldsVersion);
  const cms = await signCms({
    contentType: OID_LDS_SECURITY_OBJECT,
    content,
    signer: opts.signer,
    signingTime: opts.signingTime,
    hash: opts.signatureHash,
  });
  return encode(EF_SOD.tag!, cms);
}

export function encodeLdsSecurityObject(
  alg: SodHashAlgorithm,
  hashes: Map<number, Uint8Array>,
  ldsVersion?: { lds: string; unicode: string },
): Uint8Array {
  const numbers = [...hashes.keys()].sort((a, b) => a - b);
  for (const n of numbers) if (n < 1 || n > MAX_DATA_GROUP) throw new RangeError(`no data group ${n}`);
  const fields: asn1js.AsnType[] = [
    new asn1js.Integer({ value: ldsVersion ? 1 : 0 }),
    new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[alg] }).toSchema(),
    new asn1js.Sequence({
      value: numbers.map(
        (n) => new asn1js.Sequence({ value: [new asn1js.Integer({ value: n }), new asn1js.OctetString({ valueHex: hashes.get(n)! })] }),
      ),
    }),
  ];
  if (ldsVersion) {
    fields.push(
      new asn1js.Sequence({
        value: [new asn1js.PrintableString({ value: ldsVersion.lds }), new asn1js.PrintableString({ value: ldsVersion.unicode })],
      }),
    );
  }
  return new Uint8Array(new asn1js.Sequence({ value: fields }).toBER(false));
}

interface SignCmsOptions {
  contentType: string;
  content: Uint8Array;
  signer: CmsSigner;
  signingTime?: Date;
  hash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
}

/**
 * A DER ContentInfo/SignedData (RFC 5652 §5) with the content encapsulated, the signer's
 * certificate included and the signed attributes content-type, signing-time and
 * message-digest, as Doc 9303 Part 10 §4.6.2 profiles it. Also used for Master Lists.
 */
export async function signCms(opts: SignCmsOptions): Promise<Uint8Array> {
  const cert = pkijs.Certificate.fromBER(owned(opts.signer.certificate));
  const hash = opts.hash ?? defaultSignatureHash(opts.signer.privateKey);
  const eci = new pkijs.EncapsulatedContentInfo({ eContentType: opts.contentType });
  // pkijs would wrap a given eContent in a constructed (BER) OCTET STRING; DER wants it primitive.
  eci.eContent = new asn1js.OctetString({ valueHex: opts.content });
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
  });
  const digest = await engine.digest({ name: hash }, owned(opts.content));
  signerInfo.signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: derSortedAttributes([
      new pkijs.Attribute({ type: OID_CONTENT_TYPE, values: [new asn1js.ObjectIdentifier({ value: opts.contentType })] }),
      new pkijs.Attribute({ type: OID_SIGNING_TIME, values: [cmsTime(opts.signingTime ?? new Date())] }),
      new pkijs.Attribute({ type: OID_MESSAGE_DIGEST, values: [new asn1js.OctetString({ valueHex: digest })] }),
    ]),
  });
  // version 3: eContentType is not id-data (RFC 5652 §5.1).
  const sd = new pkijs.SignedData({ version: 3, encapContentInfo: eci, signerInfos: [signerInfo], certificates: [cert] });
  await sd.sign(opts.signer.privateKey, 0, hash, undefined, engine);
  const ci = new pkijs.ContentInfo({ contentType: OID_SIGNED_DATA, content: sd.toSchema(true) });
  return new Uint8Array(ci.toSchema().toBER(false));
}

function defaultSignatureHash(key: CryptoKey): 'SHA-256' | 'SHA-384' {
  const alg = key.algorithm as EcKeyAlgorithm;
  return alg.name === 'ECDSA' && alg.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256';
}

/** signing-time: UTCTime through 2049, GeneralizedTime after (RFC 5652 §11.3). */
function cmsTime(d: Date): asn1js.AsnType {
  return d.getUTCFullYear() < 2050 ? new asn1js.UTCTime({ valueDate: d }) : new asn1js.GeneralizedTime({ valueDate: d });
}

/**
 * SignedAttributes is a SET OF, which DER orders by encoding (X.690 §11.6). Verifiers
 * such as OpenSSL re-encode it sorted before checking the signature, so we must sign
 * that same order.
 */
function derSortedAttributes(attrs: pkijs.Attribute[]): pkijs.Attribute[] {
  const encoded = attrs.map((a) => ({ a, der: new Uint8Array(a.toSchema().toBER(false)) }));
  encoded.sort((x, y) => compareDer(x.der, y.der));
  return encoded.map((e) => e.a);
}

function compareDer(x: Uint8Array, y: Uint8Array): number {
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

// ---------------------------------------------------------------- verification

/**
 * Checks the SOD's own signature: the signed attributes name the LDSSecurityObject
 * content type, their message-digest matches the eContent, and the embedded Document
 * Signer certificate's key verifies the signature over them. The DS -> CSCA chain is
 * a separate step of passive authentication.
 */
export async function verifySodSignature(sod: Sod): Promise<SodSignatureCheck> {
  const sd = sod.signedData;
  if (!(sd instanceof pkijs.SignedData)) return invalid('SOD was not produced by parseSod');
  const si = sd.signerInfos[0];
  if (!si) return invalid('no SignerInfo');
  if (!sod.signerCertificate) return invalid('no Document Signer certificate in the SOD');
  if (!si.signedAttrs) return invalid('no signed attributes');
  const digestAlg = hashAlgorithmForOid(si.digestAlgorithm.algorithmId);
  if (!digestAlg) return invalid(`unsupported digest algorithm ${si.digestAlgorithm.algorithmId}`);
  const attrProblem = checkSignedAttributes(si, sd.encapContentInfo.eContentType, digestAlg, sod.encapsulatedContent);
  if (attrProblem) return invalid(attrProblem);
  return verifySignature(si, sod.signerCertificate, digestAlg);
}

function invalid(reason: string): SodSignatureCheck {
  return { valid: false, reason };
}

function checkSignedAttributes(
  si: pkijs.SignerInfo,
  eContentType: string,
  digestAlg: SodHashAlgorithm,
  eContent: Uint8Array,
): string | undefined {
  const ct = attributeValues(si, OID_CONTENT_TYPE);
  if (ct?.length !== 1 || !(ct[0] instanceof asn1js.ObjectIdentifier)) return 'content-type attribute missing';
  if (ct[0].getValue() !== eContentType) return 'content-type attribute does not match eContentType';
  const md = attributeValues(si, OID_MESSAGE_DIGEST);
  if (md?.length !== 1 || !(md[0] instanceof asn1js.OctetString)) return 'message-digest attribute missing';
  const expected = sha(digestAlg, eContent);
  if (!equal(new Uint8Array(md[0].valueBlock.valueHexView), expected)) return 'message-digest does not match the content';
  return undefined;
}

async function verifySignature(
  si: pkijs.SignerInfo,
  certDer: Uint8Array,
  digestAlg: SodHashAlgorithm,
): Promise<SodSignatureCheck> {
  try {
    const cert = pkijs.Certificate.fromBER(owned(certDer));
    // Signature OIDs that name no hash (rsaEncryption, ecPublicKey, as some issuers
    // write) sign with the SignerInfo digest algorithm.
    const hash = engine.getHashAlgorithm(si.signatureAlgorithm) || WEBCRYPTO_HASH[digestAlg];
    const ok = await engine.verifyWithPublicKey(
      si.signedAttrs!.encodedValue,
      si.signature,
      cert.subjectPublicKeyInfo,
      si.signatureAlgorithm,
      hash,
    );
    return ok ? { valid: true } : invalid('signature does not verify with the Document Signer key');
  } catch (e) {
    // Unknown curves (brainpool) or malformed keys/signatures end here.
    return invalid(`signature could not be checked: ${e instanceof Error ? e.message : String(e)}`);
  }
}
