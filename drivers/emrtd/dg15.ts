// DG15, the Active Authentication public key (ICAO Doc 9303 Part 10 §4.7.15, Part 11 §6.1):
// tag 0x6F around a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), RSA or EC.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { isIdkError, malformed } from '../../core/errors.js';
import { decodeExact, encode } from '../apdu/tlv.js';
import { dataGroup } from './files.js';

interface Dg15 {
  /** DER SubjectPublicKeyInfo, exactly as on the chip. */
  spki: Uint8Array;
  algorithm: 'rsa' | 'ec';
  /** Named curve OID; absent when the chip spells out explicit domain parameters. */
  curveOid?: string;
  /** RSA modulus length, or EC field size derived from the public point. */
  keyBits?: number;
}

// RFC 3279 §2.3.1 (rsaEncryption) and RFC 5480 §2.1.1 (id-ecPublicKey).
const OID_RSA = '1.2.840.113549.1.1.1';
const OID_EC = '1.2.840.10045.2.1';
const DG15_TAG = dataGroup(15).tag!;
/** RSA 8192 with room to spare; larger is not a chip key. */
const MAX_SPKI_BYTES = 2048;

export function parseDg15(bytes: Uint8Array): Dg15 {
  const outer = decodeExact(bytes, DG15_TAG);
  if (outer.value.length > MAX_SPKI_BYTES) throw malformed('DG15 key too large', { length: outer.value.length });
  try {
    return parseSpki(outer.value);
  } catch (e) {
    if (isIdkError(e)) throw e;
    throw malformed('DG15 is not a SubjectPublicKeyInfo', { cause: String(e) });
  }
}

export function buildDg15(spkiDer: Uint8Array): Uint8Array {
  // Parsing first means the chip never serves a DG15 our own reader would refuse.
  parseSpki(spkiDer);
  return encode(DG15_TAG, spkiDer);
}

function parseSpki(der: Uint8Array): Dg15 {
  const asn1 = asn1js.fromBER(der);
  if (asn1.offset === -1 || asn1.result.error || asn1.offset !== der.length) throw malformed('DG15 SPKI: bad ASN.1');
  const info = new pkijs.PublicKeyInfo({ schema: asn1.result });
  const spki = new Uint8Array(der);
  switch (info.algorithm.algorithmId) {
    case OID_RSA:
      return { spki, algorithm: 'rsa', keyBits: rsaModulusBits(info) };
    case OID_EC:
      return { spki, algorithm: 'ec', curveOid: namedCurve(info), keyBits: ecFieldBits(info) };
    default:
      throw malformed('DG15 key algorithm unsupported', { oid: info.algorithm.algorithmId });
  }
}

function rsaModulusBits(info: pkijs.PublicKeyInfo): number {
  const key = info.parsedKey;
  if (!(key instanceof pkijs.RSAPublicKey)) throw malformed('DG15 RSA key unreadable');
  const n = key.modulus.valueBlock.valueHexView;
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) throw malformed('DG15 RSA modulus is zero');
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]!));
}

function namedCurve(info: pkijs.PublicKeyInfo): string | undefined {
  const params = info.algorithm.algorithmParams;
  if (params instanceof asn1js.ObjectIdentifier) return params.getValue();
  if (params instanceof asn1js.Sequence) return undefined; // explicit ECParameters
  throw malformed('DG15 EC parameters missing');
}

/** From an uncompressed point 04||X||Y: the coordinate length in bits. */
function ecFieldBits(info: pkijs.PublicKeyInfo): number {
  const point = info.subjectPublicKey.valueBlock.valueHexView;
  if (point.length < 3 || point[0] !== 0x04 || point.length % 2 !== 1) throw malformed('DG15 EC point not uncompressed');
  return ((point.length - 1) / 2) * 8;
}
