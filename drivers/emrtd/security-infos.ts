// SecurityInfos of ICAO Doc 9303 Part 11 §9.2 (and BSI TR-03110 Part 3 §A.1.1): the
// SET OF SecurityInfo that EF.CardAccess holds bare and DG14 wraps in tag 0x6E. Parsed
// and built with asn1js so the software chip and the reader share one definition of
// the bytes; the LDS wrapper of DG14 is plain BER-TLV.
import * as asn1js from 'asn1js';
import { IdkError, isIdkError, malformed } from '../../core/errors.js';
import * as tlv from '../apdu/tlv.js';
import { bytesToBig } from '../../core/bytes.js';
import { curveOfExplicit } from './curves.js';

// ---------------------------------------------------------------------------------
// Object identifiers. Doc 9303 Part 11 §9.2 (PACE §9.2.1, CA §9.2.5-9.2.6, TA §9.2.7,
// AA §9.2.8) which takes them from BSI TR-03110 Part 3 §A.1.1 / Appendix A.

/** bsi-de: itu-t(0) identified-organization(4) etsi(0) reserved(127) etsi-identified-organization(0) 7 */
const BSI_DE = '0.4.0.127.0.7';
const ID_PK = `${BSI_DE}.2.2.1`;
export const ID_PK_DH = `${ID_PK}.1`;
export const ID_PK_ECDH = `${ID_PK}.2`;
export const ID_TA = `${BSI_DE}.2.2.2`;
const ID_CA = `${BSI_DE}.2.2.3`;
export const ID_CA_DH = `${ID_CA}.1`;
export const ID_CA_ECDH = `${ID_CA}.2`;
const ID_PACE = `${BSI_DE}.2.2.4`;
export const ID_PACE_DH_GM = `${ID_PACE}.1`;
export const ID_PACE_ECDH_GM = `${ID_PACE}.2`;
export const ID_PACE_DH_IM = `${ID_PACE}.3`;
export const ID_PACE_ECDH_IM = `${ID_PACE}.4`;
export const ID_PACE_ECDH_CAM = `${ID_PACE}.6`;

/** Cipher-suite arcs under each PACE / CA mapping (Part 11 §9.2.1): .1 3DES, .2-.4 AES. */
export const PACE = {
  DH_GM_3DES_CBC_CBC: `${ID_PACE_DH_GM}.1`,
  DH_GM_AES_CBC_CMAC_128: `${ID_PACE_DH_GM}.2`,
  DH_GM_AES_CBC_CMAC_192: `${ID_PACE_DH_GM}.3`,
  DH_GM_AES_CBC_CMAC_256: `${ID_PACE_DH_GM}.4`,
  ECDH_GM_3DES_CBC_CBC: `${ID_PACE_ECDH_GM}.1`,
  ECDH_GM_AES_CBC_CMAC_128: `${ID_PACE_ECDH_GM}.2`,
  ECDH_GM_AES_CBC_CMAC_192: `${ID_PACE_ECDH_GM}.3`,
  ECDH_GM_AES_CBC_CMAC_256: `${ID_PACE_ECDH_GM}.4`,
  DH_IM_3DES_CBC_CBC: `${ID_PACE_DH_IM}.1`,
  DH_IM_AES_CBC_CMAC_128: `${ID_PACE_DH_IM}.2`,
  DH_IM_AES_CBC_CMAC_192: `${ID_PACE_DH_IM}.3`,
  DH_IM_AES_CBC_CMAC_256: `${ID_PACE_DH_IM}.4`,
  ECDH_IM_3DES_CBC_CBC: `${ID_PACE_ECDH_IM}.1`,
  ECDH_IM_AES_CBC_CMAC_128: `${ID_PACE_ECDH_IM}.2`,
  ECDH_IM_AES_CBC_CMAC_192: `${ID_PACE_ECDH_IM}.3`,
  ECDH_IM_AES_CBC_CMAC_256: `${ID_PACE_ECDH_IM}.4`,
  // CAM exists with AES only (Part 11 §9.2.1).
  ECDH_CAM_AES_CBC_CMAC_128: `${ID_PACE_ECDH_CAM}.2`,
  ECDH_CAM_AES_CBC_CMAC_192: `${ID_PACE_ECDH_CAM}.3`,
  ECDH_CAM_AES_CBC_CMAC_256: `${ID_PACE_ECDH_CAM}.4`,
} as const;

export const CA = {
  DH_3DES_CBC_CBC: `${ID_CA_DH}.1`,
  DH_AES_CBC_CMAC_128: `${ID_CA_DH}.2`,
  DH_AES_CBC_CMAC_192: `${ID_CA_DH}.3`,
  DH_AES_CBC_CMAC_256: `${ID_CA_DH}.4`,
  ECDH_3DES_CBC_CBC: `${ID_CA_ECDH}.1`,
  ECDH_AES_CBC_CMAC_128: `${ID_CA_ECDH}.2`,
  ECDH_AES_CBC_CMAC_192: `${ID_CA_ECDH}.3`,
  ECDH_AES_CBC_CMAC_256: `${ID_CA_ECDH}.4`,
} as const;

/** id-icao-mrtd-security-aaProtocolObject, Part 11 §9.2.8 (2.23.136.1.1.5). */
export const ID_AA = '2.23.136.1.1.5';

/** id-ecPublicKey (ANSI X9.62 / RFC 5480) and the X9.62 prime-field type. */
export const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
export const ID_PRIME_FIELD = '1.2.840.10045.1.1';
/** standardizedDomainParameters, TR-03110 Part 3 §A.2.1.1: an AlgorithmIdentifier whose parameter is a §9.5.1 ID. */
export const ID_STANDARDIZED_DOMAIN_PARAMETERS = `${BSI_DE}.1.2`;
/** dhpublicnumber (ANSI X9.42 / RFC 3279), the algorithm of DH chip-authentication keys. */
export const ID_DH_PUBLIC_NUMBER = '1.2.840.10046.2.1';

// ---------------------------------------------------------------------------------
// Standardized domain parameters, Part 11 §9.5.1 Table (the same IDs as TR-03110 Part 3
// Table 4). Only the curves @noble/curves carries are usable; the others are named so a
// chip offering them gets a clear "not supported" instead of "malformed".

interface StandardDomainParameters {
  id: number;
  name: string;
  /** Named-curve OID (RFC 5480 / RFC 5639), absent for the MODP groups. */
  curveOid?: string;
}

export const STANDARD_DOMAIN_PARAMETERS: readonly StandardDomainParameters[] = [
  { id: 0, name: '1024-bit MODP Group with 160-bit Prime Order Subgroup' },
  { id: 1, name: '2048-bit MODP Group with 224-bit Prime Order Subgroup' },
  { id: 2, name: '2048-bit MODP Group with 256-bit Prime Order Subgroup' },
  { id: 8, name: 'NIST P-192', curveOid: '1.2.840.10045.3.1.1' },
  { id: 9, name: 'brainpoolP192r1', curveOid: '1.3.36.3.3.2.8.1.1.3' },
  { id: 10, name: 'NIST P-224', curveOid: '1.3.132.0.33' },
  { id: 11, name: 'brainpoolP224r1', curveOid: '1.3.36.3.3.2.8.1.1.5' },
  { id: 12, name: 'NIST P-256', curveOid: '1.2.840.10045.3.1.7' },
  { id: 13, name: 'brainpoolP256r1', curveOid: '1.3.36.3.3.2.8.1.1.7' },
  { id: 14, name: 'brainpoolP320r1', curveOid: '1.3.36.3.3.2.8.1.1.9' },
  { id: 15, name: 'NIST P-384', curveOid: '1.3.132.0.34' },
  { id: 16, name: 'brainpoolP384r1', curveOid: '1.3.36.3.3.2.8.1.1.11' },
  { id: 17, name: 'brainpoolP512r1', curveOid: '1.3.36.3.3.2.8.1.1.13' },
  { id: 18, name: 'NIST P-521', curveOid: '1.3.132.0.35' },
];

// ---------------------------------------------------------------------------------
// Types.

/** PACEInfo, Part 11 §9.2.1. */
export interface PaceInfo {
  kind: 'pace';
  protocol: string;
  version: number;
  parameterId?: number;
}

/** PACEDomainParameterInfo, Part 11 §9.2.1: proprietary parameters, kept as DER. */
interface PaceDomainParameterInfo {
  kind: 'pace-domain-parameters';
  protocol: string;
  /** DER of the AlgorithmIdentifier. */
  domainParameter: Uint8Array;
  parameterId?: number;
}

/** ChipAuthenticationInfo, Part 11 §9.2.5. */
export interface ChipAuthenticationInfo {
  kind: 'chip-authentication';
  protocol: string;
  version: number;
  keyId?: number;
}

/** ChipAuthenticationPublicKeyInfo, Part 11 §9.2.6. */
export interface ChipAuthenticationPublicKeyInfo {
  kind: 'chip-authentication-public-key';
  protocol: string;
  /** DER of the SubjectPublicKeyInfo, exactly as on the chip. */
  subjectPublicKeyInfo: Uint8Array;
  /** The SubjectPublicKeyInfo's algorithm OID (id-ecPublicKey, dhpublicnumber, ...). */
  algorithm: string;
  /** Named curve, either given as an OID or recognised from explicit ECParameters. */
  curveOid?: string;
  /** Standardized domain parameter ID when the key names its parameters that way (Part 11 App. I.1). */
  parameterId?: number;
  /** The subjectPublicKey bits: an EC point (04||X||Y) or a DER INTEGER for DH. */
  publicKey: Uint8Array;
  keyId?: number;
}

/** ActiveAuthenticationInfo, Part 11 §9.2.8. */
export interface ActiveAuthenticationInfo {
  kind: 'active-authentication';
  protocol: string;
  version: number;
  signatureAlgorithm: string;
}

/** TerminalAuthenticationInfo, Part 11 §9.2.7 (the deprecated efCVCA is ignored). */
interface TerminalAuthenticationInfo {
  kind: 'terminal-authentication';
  protocol: string;
  version: number;
}

/** Anything else (CardInfoLocator, EFDIRInfo, PACE-PasswordInfo, ...), kept byte for byte. */
interface UnknownSecurityInfo {
  kind: 'unknown';
  oid: string;
  /** DER of the whole SecurityInfo SEQUENCE. */
  raw: Uint8Array;
}

export type SecurityInfo =
  | PaceInfo
  | PaceDomainParameterInfo
  | ChipAuthenticationInfo
  | ChipAuthenticationPublicKeyInfo
  | ActiveAuthenticationInfo
  | TerminalAuthenticationInfo
  | UnknownSecurityInfo;

// ---------------------------------------------------------------------------------
// Classification by OID.

const CIPHER_ARCS = new Set(['1', '2', '3', '4']);
const PACE_MAPPINGS = [ID_PACE_DH_GM, ID_PACE_ECDH_GM, ID_PACE_DH_IM, ID_PACE_ECDH_IM, ID_PACE_ECDH_CAM];

function under(oid: string, parent: string): string | undefined {
  return oid.startsWith(parent + '.') ? oid.slice(parent.length + 1) : undefined;
}

export function isPaceProtocol(oid: string): boolean {
  return PACE_MAPPINGS.some((m) => {
    const rest = under(oid, m);
    return rest !== undefined && CIPHER_ARCS.has(rest) && !(m === ID_PACE_ECDH_CAM && rest === '1');
  });
}

function isPaceDomainProtocol(oid: string): boolean {
  return PACE_MAPPINGS.includes(oid);
}

function isCaProtocol(oid: string): boolean {
  return [ID_CA_DH, ID_CA_ECDH].some((m) => {
    const rest = under(oid, m);
    return rest !== undefined && CIPHER_ARCS.has(rest);
  });
}

// ---------------------------------------------------------------------------------
// Parsing.

const BER_LIMITS = { maxDepth: 16, maxNodes: 4096 };

function berParse(bytes: Uint8Array, what: string): asn1js.AsnType {
  const r = asn1js.fromBER(bytes, BER_LIMITS);
  if (r.offset === -1 || r.result.error) throw malformed(what);
  if (r.offset !== bytes.length) throw malformed(`${what}: trailing bytes`);
  return r.result;
}

function smallInt(node: asn1js.AsnType | undefined, what: string): number {
  if (!(node instanceof asn1js.Integer)) throw malformed(`${what} is not an INTEGER`);
  const v = node.toBigInt();
  if (v < 0n || v > 0x7fffffffn) throw malformed(`${what} out of range`);
  return Number(v);
}

function oidOf(node: asn1js.AsnType | undefined, what: string): string {
  if (!(node instanceof asn1js.ObjectIdentifier)) throw malformed(`${what} is not an OID`);
  const s = node.getValue();
  if (!/^\d+(\.\d+)+$/.test(s)) throw malformed(`${what}: bad OID`);
  return s;
}

function der(node: asn1js.AsnType): Uint8Array {
  return new Uint8Array(node.toBER(false));
}

/** The bytes a parsed node came from, so raw fields stay exactly as the chip wrote them. */
function original(node: asn1js.AsnType): Uint8Array {
  return Uint8Array.from(node.valueBeforeDecodeView);
}

function seqItems(node: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence)) throw malformed(`${what} is not a SEQUENCE`);
  return node.valueBlock.value;
}

function arity(items: asn1js.AsnType[], min: number, max: number, what: string): void {
  if (items.length < min || items.length > max) throw malformed(`${what}: ${items.length} fields`);
}

function intBytes(node: asn1js.AsnType | undefined, what: string): bigint {
  if (!(node instanceof asn1js.Integer)) throw malformed(`${what} is not an INTEGER`);
  return node.toBigInt();
}

function octets(node: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (!(node instanceof asn1js.OctetString)) throw malformed(`${what} is not an OCTET STRING`);
  return node.valueBlock.valueHexView;
}

/** Names explicit X9.62 ECParameters when they equal a curve we know (same p, a, b, n). */
function recogniseExplicitCurve(params: asn1js.AsnType): string | undefined {
  const items = seqItems(params, 'ECParameters');
  arity(items, 5, 6, 'ECParameters');
  const field = seqItems(items[1], 'FieldID');
  arity(field, 2, 2, 'FieldID');
  if (oidOf(field[0], 'field type') !== ID_PRIME_FIELD) return undefined;
  const p = intBytes(field[1], 'prime');
  const curve = seqItems(items[2], 'Curve');
  arity(curve, 2, 3, 'Curve');
  const a = bytesToBig(octets(curve[0], 'curve a'));
  const b = bytesToBig(octets(curve[1], 'curve b'));
  octets(items[3], 'base point');
  const n = intBytes(items[4], 'order');
  return curveOfExplicit({ p, a, b, n })?.oid;
}

function parsePublicKeyInfo(
  node: asn1js.AsnType | undefined,
): Omit<ChipAuthenticationPublicKeyInfo, 'kind' | 'protocol' | 'keyId'> {
  if (node === undefined) throw malformed('SubjectPublicKeyInfo missing');
  const items = seqItems(node, 'SubjectPublicKeyInfo');
  arity(items, 2, 2, 'SubjectPublicKeyInfo');
  const alg = seqItems(items[0], 'AlgorithmIdentifier');
  arity(alg, 1, 2, 'AlgorithmIdentifier');
  const algorithm = oidOf(alg[0], 'key algorithm');
  const bits = items[1];
  if (!(bits instanceof asn1js.BitString)) throw malformed('subjectPublicKey is not a BIT STRING');
  if (bits.valueBlock.unusedBits !== 0) throw malformed('subjectPublicKey has unused bits');
  const publicKey = Uint8Array.from(bits.valueBlock.valueHexView);
  const out: Omit<ChipAuthenticationPublicKeyInfo, 'kind' | 'protocol' | 'keyId'> = {
    subjectPublicKeyInfo: original(node),
    algorithm,
    publicKey,
  };
  if (algorithm === ID_EC_PUBLIC_KEY) {
    const params = alg[1];
    if (params instanceof asn1js.ObjectIdentifier) out.curveOid = oidOf(params, 'named curve');
    else if (params instanceof asn1js.Sequence) {
      const named = recogniseExplicitCurve(params);
      if (named) out.curveOid = named;
    } else throw malformed('EC key parameters');
  } else if (algorithm === ID_STANDARDIZED_DOMAIN_PARAMETERS) {
    const id = smallInt(alg[1], 'standardized domain parameter ID');
    out.parameterId = id;
    const std = STANDARD_DOMAIN_PARAMETERS.find((d) => d.id === id);
    if (std?.curveOid) out.curveOid = std.curveOid;
  }
  return out;
}

function parseOne(node: asn1js.AsnType): SecurityInfo {
  const items = seqItems(node, 'SecurityInfo');
  if (items.length < 2) throw malformed('SecurityInfo: fewer than 2 fields');
  const protocol = oidOf(items[0], 'SecurityInfo protocol');
  if (isPaceProtocol(protocol)) {
    arity(items, 2, 3, 'PACEInfo');
    const info: PaceInfo = { kind: 'pace', protocol, version: smallInt(items[1], 'PACE version') };
    if (items[2] !== undefined) info.parameterId = smallInt(items[2], 'PACE parameterId');
    return info;
  }
  if (isPaceDomainProtocol(protocol)) {
    arity(items, 2, 3, 'PACEDomainParameterInfo');
    const alg = seqItems(items[1], 'PACE domainParameter');
    arity(alg, 1, 2, 'PACE domainParameter');
    oidOf(alg[0], 'PACE domainParameter algorithm');
    const info: PaceDomainParameterInfo = { kind: 'pace-domain-parameters', protocol, domainParameter: original(items[1]!) };
    if (items[2] !== undefined) info.parameterId = smallInt(items[2], 'PACE domain parameterId');
    return info;
  }
  if (isCaProtocol(protocol)) {
    arity(items, 2, 3, 'ChipAuthenticationInfo');
    const info: ChipAuthenticationInfo = { kind: 'chip-authentication', protocol, version: smallInt(items[1], 'CA version') };
    if (items[2] !== undefined) info.keyId = smallInt(items[2], 'CA keyId');
    return info;
  }
  if (protocol === ID_PK_DH || protocol === ID_PK_ECDH) {
    arity(items, 2, 3, 'ChipAuthenticationPublicKeyInfo');
    const info: ChipAuthenticationPublicKeyInfo = {
      kind: 'chip-authentication-public-key',
      protocol,
      ...parsePublicKeyInfo(items[1]),
    };
    if (items[2] !== undefined) info.keyId = smallInt(items[2], 'CA public key keyId');
    return info;
  }
  if (protocol === ID_AA) {
    // Part 11 §9.2.8: signatureAlgorithm is required for ECDSA and may be absent for RSA.
    arity(items, 2, 3, 'ActiveAuthenticationInfo');
    const version = smallInt(items[1], 'AA version');
    const signatureAlgorithm = items[2] === undefined ? '' : oidOf(items[2], 'AA signature algorithm');
    return { kind: 'active-authentication', protocol, version, signatureAlgorithm };
  }
  if (protocol === ID_TA) {
    arity(items, 2, 3, 'TerminalAuthenticationInfo');
    return { kind: 'terminal-authentication', protocol, version: smallInt(items[1], 'TA version') };
  }
  return { kind: 'unknown', oid: protocol, raw: original(node) };
}

/** Turns anything a hostile input can make asn1js (or us) throw into MALFORMED_DATA. */
function guarded<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isIdkError(e)) throw e;
    throw malformed(what);
  }
}

function parseSet(bytes: Uint8Array, what: string): SecurityInfo[] {
  return guarded(what, () => {
    const root = berParse(bytes, what);
    if (!(root instanceof asn1js.Set)) throw malformed(`${what} is not a SET`);
    return root.valueBlock.value.map(parseOne);
  });
}

/** EF.CardAccess (Part 10 §3.11.3): a bare SecurityInfos SET. */
export function parseCardAccess(bytes: Uint8Array): SecurityInfo[] {
  return parseSet(bytes, 'EF.CardAccess');
}

/** DG14 (Part 10 §4.7.14): tag 0x6E around the SecurityInfos SET. */
export function parseDg14(bytes: Uint8Array): SecurityInfo[] {
  const outer = tlv.decodeExact(bytes, 0x6e);
  return parseSet(outer.value, 'DG14');
}

// ---------------------------------------------------------------------------------
// Building.

function asnInt(n: number): asn1js.Integer {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`bad INTEGER ${n}`);
  return new asn1js.Integer({ value: n });
}

function asnOid(oid: string): asn1js.ObjectIdentifier {
  return new asn1js.ObjectIdentifier({ value: oid });
}

function reparse(bytes: Uint8Array, what: string): asn1js.AsnType {
  const r = asn1js.fromBER(bytes, BER_LIMITS);
  if (r.offset !== bytes.length || r.result.error) throw new RangeError(`${what}: not one DER object`);
  return r.result;
}

function buildOne(info: SecurityInfo): Uint8Array {
  const seq = (...v: asn1js.AsnType[]) => der(new asn1js.Sequence({ value: v }));
  switch (info.kind) {
    case 'pace':
      return seq(
        asnOid(info.protocol),
        asnInt(info.version),
        ...(info.parameterId === undefined ? [] : [asnInt(info.parameterId)]),
      );
    case 'pace-domain-parameters':
      return seq(
        asnOid(info.protocol),
        reparse(info.domainParameter, 'domainParameter'),
        ...(info.parameterId === undefined ? [] : [asnInt(info.parameterId)]),
      );
    case 'chip-authentication':
      return seq(asnOid(info.protocol), asnInt(info.version), ...(info.keyId === undefined ? [] : [asnInt(info.keyId)]));
    case 'chip-authentication-public-key':
      return seq(
        asnOid(info.protocol),
        reparse(info.subjectPublicKeyInfo, 'subjectPublicKeyInfo'),
        ...(info.keyId === undefined ? [] : [asnInt(info.keyId)]),
      );
    case 'active-authentication':
      return seq(
        asnOid(info.protocol),
        asnInt(info.version),
        ...(info.signatureAlgorithm === '' ? [] : [asnOid(info.signatureAlgorithm)]),
      );
    case 'terminal-authentication':
      return seq(asnOid(info.protocol), asnInt(info.version));
    case 'unknown':
      return Uint8Array.from(info.raw);
  }
}

/** An EC SubjectPublicKeyInfo with a named curve (RFC 5480), for building DG14 keys. */
export function ecSubjectPublicKeyInfo(curveOid: string, point: Uint8Array): Uint8Array {
  return der(
    new asn1js.Sequence({
      value: [
        new asn1js.Sequence({ value: [asnOid(ID_EC_PUBLIC_KEY), asnOid(curveOid)] }),
        new asn1js.BitString({ valueHex: point }),
      ],
    }),
  );
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** DER SET OF: members sorted by their encodings (X.690 §11.6), so the bytes are canonical. */
function buildSet(infos: SecurityInfo[]): Uint8Array {
  const members = infos.map(buildOne).sort(compareBytes);
  return der(new asn1js.Set({ value: members.map((m) => reparse(m, 'SecurityInfo')) }));
}

export function buildCardAccess(infos: SecurityInfo[]): Uint8Array {
  return buildSet(infos);
}

export function buildDg14(infos: SecurityInfo[]): Uint8Array {
  return tlv.encode(0x6e, buildSet(infos));
}

// ---------------------------------------------------------------------------------
// Queries.

export function paceInfos(infos: SecurityInfo[]): PaceInfo[] {
  return infos.filter((i): i is PaceInfo => i.kind === 'pace');
}

export function unsupported(what: string): IdkError {
  return new IdkError('UNSUPPORTED', {
    vi: `Thẻ dùng cơ chế chưa được hỗ trợ (${what}).`,
    en: `The card uses a mechanism that is not supported (${what}).`,
  });
}
