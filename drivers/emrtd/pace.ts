// PACE, ICAO Doc 9303 Part 11 §4.4 (with BSI TR-03110 Part 2/3 behind it): ECDH with the
// Generic, Integrated and Chip Authentication mappings, for the terminal and for the
// software chip. Pure protocol code: it talks to a send(command) -> response function
// (terminal) or answers one command at a time (chip); no I/O, no clocks.
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import type { WeierstrassPoint, WeierstrassPointCons } from '@noble/curves/abstract/weierstrass.js';
import { type Command, type Response, StatusError, SW } from '../apdu/apdu.js';
import { bigToBytes, bytesToBig, concat, equal, fromHex, utf8 } from '../../core/bytes.js';
import { IdkError, isIdkError, malformed } from '../../core/errors.js';
import * as tlv from '../apdu/tlv.js';
import {
  type CipherKind,
  KDF_ENC,
  KDF_MAC,
  KDF_PI,
  aesCmac,
  aesDecrypt,
  aesEcbEncrypt,
  aesEncrypt,
  kdf,
  pad,
  retailMac,
  sha,
  tdesDecrypt,
  tdesEncrypt,
  unpad,
} from './crypto.js';
import { SecureMessaging, type SmKind } from './secure-messaging.js';
import { mul, mulX } from './ec-openssl.js';
import {
  ID_PACE_DH_GM,
  ID_PACE_DH_IM,
  ID_PACE_ECDH_CAM,
  ID_PACE_ECDH_GM,
  ID_PACE_ECDH_IM,
  type PaceInfo,
  STANDARD_DOMAIN_PARAMETERS,
  unsupported,
} from './security-infos.js';
import { curveByParameterId } from './curves.js';
import { mod, pow } from '@noble/curves/abstract/modular.js';
import { bitLen } from '@noble/curves/utils.js';

export type { PaceInfo } from './security-infos.js';

export type Random = (n: number) => Uint8Array;
const defaultRandom: Random = (n) => new Uint8Array(randomBytes(n));

export type PacePassword = { kind: 'mrz'; mrzInfo: string } | { kind: 'can'; can: string };
type PaceMapping = 'GM' | 'IM' | 'CAM';

type Point = WeierstrassPoint<bigint>;

// ---------------------------------------------------------------------------------
// Errors a clerk can act on.

function paceAccessDenied(kind: PacePassword['kind'], detail?: Record<string, unknown>): IdkError {
  const what =
    kind === 'can'
      ? { vi: 'CAN (6 số in trên mặt trước thẻ)', en: 'CAN (the 6 digits printed on the front of the card)' }
      : { vi: 'MRZ (số giấy tờ, ngày sinh, ngày hết hạn)', en: 'MRZ (document number, date of birth, date of expiry)' };
  return new IdkError(
    'ACCESS_DENIED',
    {
      vi: `CAN hoặc MRZ không đúng: chip từ chối ${what.vi}. Hãy kiểm tra và nhập lại.`,
      en: `Wrong CAN or MRZ: the chip refused the ${what.en}. Check it and enter it again.`,
    },
    detail === undefined ? undefined : { detail },
  );
}

function paceBlocked(sw: number): IdkError {
  return new IdkError(
    'ACCESS_BLOCKED',
    {
      vi: 'Chip đã khóa mật khẩu truy cập do nhập sai quá nhiều lần: hãy dùng CAN, hoặc đưa thẻ đến cơ quan cấp.',
      en: 'The chip has blocked this access password after too many wrong attempts: use the CAN, or refer the card to the issuer.',
    },
    { detail: { sw: sw.toString(16).toUpperCase() } },
  );
}

function badPassword(why: string): IdkError {
  return new IdkError('BAD_ACCESS_KEY', {
    vi: `Khóa truy cập PACE không hợp lệ: ${why}.`,
    en: `Invalid PACE access key: ${why}.`,
  });
}

// ---------------------------------------------------------------------------------
// Cipher suites (Part 11 §4.4.3.2 Table 3) and domain parameters (§9.5.1).

interface PaceSuite {
  protocol: string;
  mapping: PaceMapping;
  cipher: CipherKind;
  sm: SmKind;
  /** Key length k in bytes; for 3DES the PRF treats it as 128 bits (§4.4.3.3.2 Note). */
  keyLength: number;
}

const CIPHERS: Record<string, { cipher: CipherKind; keyLength: number }> = {
  '1': { cipher: '3DES', keyLength: 16 },
  '2': { cipher: 'AES-128', keyLength: 16 },
  '3': { cipher: 'AES-192', keyLength: 24 },
  '4': { cipher: 'AES-256', keyLength: 32 },
};

export function paceSuite(protocol: string): PaceSuite {
  const dot = protocol.lastIndexOf('.');
  const parent = protocol.slice(0, dot);
  const c = CIPHERS[protocol.slice(dot + 1)];
  if (parent === ID_PACE_DH_GM || parent === ID_PACE_DH_IM) throw unsupported('PACE-DH');
  const mapping: PaceMapping | undefined =
    parent === ID_PACE_ECDH_GM ? 'GM' : parent === ID_PACE_ECDH_IM ? 'IM' : parent === ID_PACE_ECDH_CAM ? 'CAM' : undefined;
  if (!mapping || !c || (mapping === 'CAM' && c.cipher === '3DES')) throw unsupported(`PACE ${protocol}`);
  return { protocol, mapping, ...c, sm: c.cipher === '3DES' ? '3DES' : 'AES' };
}

export interface PaceCurve {
  parameterId: number;
  name: string;
  Point: WeierstrassPointCons<bigint>;
  p: bigint;
  a: bigint;
  b: bigint;
  n: bigint;
  h: bigint;
  /** Bytes of a field element (FE2OS length). */
  size: number;
  /** Bytes of a scalar modulo n. */
  orderSize: number;
}

export function paceCurve(parameterId: number | undefined): PaceCurve {
  if (parameterId === undefined) throw unsupported('PACE with proprietary domain parameters');
  const std = STANDARD_DOMAIN_PARAMETERS.find((d) => d.id === parameterId);
  const P = curveByParameterId(parameterId)?.ecdsa.Point;
  if (!P || !std) throw unsupported(`PACE domain parameters ${std?.name ?? parameterId}`);
  const c = P.CURVE();
  return {
    parameterId,
    name: std.name,
    Point: P,
    p: c.p,
    a: c.a,
    b: c.b,
    n: c.n,
    h: c.h,
    size: P.Fp.BYTES,
    orderSize: Math.ceil(c.n.toString(2).length / 8),
  };
}

// ---------------------------------------------------------------------------------
// Primitives. Each is small and exported so the tests can pin it to Appendix G/H/I.

/** K = f(π), Part 11 §9.7.3: SHA-1 of the MRZ information, or the CAN's characters. */
export function passwordKey(pw: PacePassword): Uint8Array {
  if (pw.kind === 'can') {
    if (!/^\d{1,16}$/.test(pw.can)) throw badPassword('the CAN must be digits');
    return utf8.encode(pw.can);
  }
  if (!/^[0-9A-Z<]{15,64}$/.test(pw.mrzInfo)) throw badPassword('the MRZ information has characters outside A-Z, 0-9, <');
  return sha('sha1', utf8.encode(pw.mrzInfo));
}

function passwordReference(pw: PacePassword): number {
  return pw.kind === 'mrz' ? 1 : 2;
}

function blockSize(cipher: CipherKind): number {
  return cipher === '3DES' ? 8 : 16;
}

/** E() in CBC mode with an all-zero IV (§4.4.3.3), as PACE uses it for nonces and the PRF. */
function encryptCbc0(cipher: CipherKind, key: Uint8Array, data: Uint8Array): Uint8Array {
  return cipher === '3DES' ? tdesEncrypt(key, data) : aesEncrypt(key, data);
}

function decryptCbc0(cipher: CipherKind, key: Uint8Array, data: Uint8Array): Uint8Array {
  return cipher === '3DES' ? tdesDecrypt(key, data) : aesDecrypt(key, data);
}

function encryptNonce(suite: PaceSuite, kPi: Uint8Array, s: Uint8Array): Uint8Array {
  return encryptCbc0(suite.cipher, kPi, s);
}

export function decryptNonce(suite: PaceSuite, kPi: Uint8Array, z: Uint8Array): Uint8Array {
  if (z.length === 0 || z.length > 64 || z.length % blockSize(suite.cipher) !== 0) throw malformed('PACE encrypted nonce length');
  return decryptCbc0(suite.cipher, kPi, z);
}

/**
 * Length of the chip's nonce s: a multiple of the block size and, so the same nonce
 * also serves the Integrated Mapping, the smallest such length >= k (§4.4.3.3).
 */
export function nonceLength(suite: PaceSuite): number {
  return suite.keyLength <= 16 ? 16 : 32;
}

// Pseudo-random number mapping constants, Part 11 §4.4.3.3.2 (after Figure 2).
const C0_128 = fromHex('a668892a7c41e3ca739f40b057d85904');
const C1_128 = fromHex('a4e136ac725f738b01c1f60217c188ad');
const C0_256 = fromHex('d463d65234124ef7897054986dca0a174e28df758cbaa03f240616414d5a1676');
const C1_256 = fromHex('54bd7255f0aaf831bec3423fcf39d69b6cbf066677d0faae5aadd99df8e53517');

/**
 * R(s,t) of §4.4.3.3.2 Figure 2: the block cipher keyed first with t, then chained
 * through c0 for the next key and c1 for each output block, n blocks with
 * n·l >= log2(p) + 64 so the reduction mod p is close to uniform.
 */
export function integratedMappingPrf(suite: PaceSuite, s: Uint8Array, t: Uint8Array, p: bigint): Uint8Array {
  const wide = suite.keyLength > 16;
  const c0 = wide ? C0_256 : C0_128;
  const c1 = wide ? C1_256 : C1_128;
  const l = c0.length * 8;
  if (s.length * 8 !== l) throw malformed('PACE-IM nonce length');
  if (t.length !== suite.keyLength) throw malformed('PACE-IM terminal nonce length');
  const n = Math.ceil((bitLen(p) + 64) / l);
  let key = encryptCbc0(suite.cipher, t, s).slice(0, suite.keyLength);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    out.push(encryptCbc0(suite.cipher, key, c1));
    key = encryptCbc0(suite.cipher, key, c0).slice(0, suite.keyLength);
  }
  return concat(...out);
}

/**
 * f_G of Part 11 Appendix B.2 (affine coordinates): the point encoding of Brier et al.
 * for p ≡ 3 (mod 4), which holds for every curve we carry. Hostile t can only yield a
 * random point, but a degenerate one (t = 0) is refused rather than returned.
 */
export function integratedMappingPoint(curve: PaceCurve, t: bigint): Point {
  const { p, a, b } = curve;
  if (p % 4n !== 3n) throw unsupported('PACE-IM on a curve with p ≢ 3 mod 4');
  const alpha = mod(-t * t, p);
  const aa = mod(alpha + alpha * alpha, p);
  const x2 = mod(-b * (1n + aa) * pow(a * aa, p - 2n, p), p);
  const x3 = mod(alpha * x2, p);
  const h2 = mod(x2 * x2 * x2 + a * x2 + b, p);
  const u = mod(pow(t, 3n, p) * h2, p);
  const A = pow(h2, p - 1n - (p + 1n) / 4n, p);
  const [x, y] = mod(A * A * h2, p) === 1n ? [x2, mod(A * h2, p)] : [x3, mod(A * u, p)];
  try {
    let pt = curve.Point.fromAffine({ x, y });
    if (curve.h !== 1n) pt = pt.multiply(curve.h);
    pt.assertValidity();
    if (pt.is0()) throw new Error('infinity');
    return pt;
  } catch {
    throw malformed('PACE-IM mapped generator');
  }
}

export function mapIntegrated(suite: PaceSuite, curve: PaceCurve, s: Uint8Array, t: Uint8Array): Point {
  return integratedMappingPoint(curve, mod(bytesToBig(integratedMappingPrf(suite, s, t, curve.p)), curve.p));
}

/** Ĝ = s·G + H, §4.4.3.3.1. */
export function mapGeneric(curve: PaceCurve, s: Uint8Array, h: Point): Point {
  const k = mod(bytesToBig(s), curve.n);
  const g = k === 0n ? h : curve.Point.BASE.multiply(k).add(h);
  if (g.is0()) throw malformed('PACE mapped generator');
  return g;
}

export function encodePoint(curve: PaceCurve, pt: Point): Uint8Array {
  const { x, y } = pt.toAffine();
  return concat(Uint8Array.of(4), bigToBytes(x, curve.size), bigToBytes(y, curve.size));
}

/** Uncompressed points only (§4.4.3.2), on the curve, not at infinity. */
export function decodePoint(curve: PaceCurve, bytes: Uint8Array, what: string): Point {
  if (bytes.length !== 1 + 2 * curve.size || bytes[0] !== 4) throw malformed(`${what}: not an uncompressed point`);
  try {
    const pt = curve.Point.fromBytes(bytes);
    pt.assertValidity();
    if (pt.is0()) throw new Error('infinity');
    return pt;
  } catch {
    throw malformed(`${what}: not a point on ${curve.name}`);
  }
}

/** A private key in [1, n-1] from the random source; the top bits above n's length are masked so P-521 needs no retries. */
export function randomScalar(curve: PaceCurve, random: Random): bigint {
  const mask = (1n << BigInt(bitLen(curve.n))) - 1n;
  for (let i = 0; i < 64; i++) {
    const bytes = random(curve.orderSize);
    if (bytes.length !== curve.orderSize) throw new RangeError('random source returned the wrong length');
    const k = bytesToBig(bytes) & mask;
    if (k > 0n && k < curve.n) return k;
  }
  throw new RangeError('random source keeps returning out-of-range scalars');
}

/** x-coordinate of k·P (ECKA, TR-03111), FE2OS-encoded. */
export function sharedSecret(curve: PaceCurve, k: bigint, pub: Point): Uint8Array {
  const x = mulX(curve.Point, k, pub);
  if (x === undefined) throw malformed('PACE shared secret at infinity');
  return bigToBytes(x, curve.size);
}

export function sessionKeys(suite: PaceSuite, secret: Uint8Array): { ksEnc: Uint8Array; ksMac: Uint8Array } {
  return { ksEnc: kdf(secret, KDF_ENC, suite.cipher), ksMac: kdf(secret, KDF_MAC, suite.cipher) };
}

/** OID content octets (the value of tag 0x06), as MSE:Set AT tag 0x80 and §9.4 need them. */
export function oidValue(oid: string): Uint8Array {
  const der = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER(false));
  return Uint8Array.from(tlv.decodeExact(der, 0x06).value);
}

/** Public key data object of §9.4.5 for the token: 7F49 { 06 OID, 86 point }. */
export function publicKeyDataObject(oid: string, point: Uint8Array): Uint8Array {
  return tlv.encode(0x7f49, tlv.encode(0x06, oidValue(oid)), tlv.encode(0x86, point));
}

/** Authentication token, §4.4.3.4: 8-byte CMAC (AES) or retail MAC (3DES) over the data object. */
export function authToken(suite: PaceSuite, ksMac: Uint8Array, point: Uint8Array): Uint8Array {
  const input = publicKeyDataObject(suite.protocol, point);
  if (suite.cipher === '3DES') return retailMac(ksMac, pad(input, 8));
  return aesCmac(ksMac, input).slice(0, 8);
}

/** IV = E(KSenc, -1) for the CAM data, §4.4.3.5.4. */
function camIv(ksEnc: Uint8Array): Uint8Array {
  return aesEcbEncrypt(ksEnc, new Uint8Array(16).fill(0xff));
}

/** A_IC = E(KSenc, FE2OS(CA_IC)) with padding method 2, §4.4.3.5.1-4.4.3.5.4. */
function encryptCamData(curve: PaceCurve, ksEnc: Uint8Array, caIc: bigint): Uint8Array {
  return aesEncrypt(ksEnc, pad(bigToBytes(caIc, curve.orderSize), 16), camIv(ksEnc));
}

export function decryptCamData(ksEnc: Uint8Array, aIc: Uint8Array): Uint8Array {
  if (aIc.length === 0 || aIc.length % 16 !== 0 || aIc.length > 96) throw malformed('PACE-CAM chip authentication data length');
  return unpad(aesDecrypt(ksEnc, aIc, camIv(ksEnc)));
}

/**
 * §4.4.3.5.2: PK_Map,IC = CA_IC · PK_IC, with PK_IC the chip's static key from
 * EF.CardSecurity / DG14 (whose signature passive authentication must have checked).
 */
export function verifyCamData(curve: PaceCurve, caIc: Uint8Array, mappingPublicKey: Uint8Array, chipStaticPublicKey: Uint8Array): boolean {
  const k = bytesToBig(caIc);
  if (k <= 0n || k >= curve.n) return false;
  const pkIc = decodePoint(curve, chipStaticPublicKey, 'chip authentication public key');
  const pkMap = decodePoint(curve, mappingPublicKey, 'PACE mapping public key');
  return pkIc.multiply(k).equals(pkMap);
}

function invert(x: bigint, n: bigint): bigint {
  // Fermat: n is prime for every curve we carry.
  return pow(x, n - 2n, n);
}

// ---------------------------------------------------------------------------------
// APDUs (§4.4.4).

const INS_MSE = 0x22;
const INS_GA = 0x86;
const CHAIN = 0x10;
/** §4.4.4.2: "Authentication failed"; §4.4.4.1: "Referenced data not found". */
const SW_AUTH_FAILED = 0x6300;
const SW_REF_NOT_FOUND = 0x6a88;

function mseSetAt(protocol: string, pwRef: number, parameterId?: number): Command {
  const parts = [tlv.encode(0x80, oidValue(protocol)), tlv.encode(0x83, Uint8Array.of(pwRef))];
  if (parameterId !== undefined) parts.push(tlv.encode(0x84, Uint8Array.of(parameterId)));
  // No Le: MSE:Set AT is case 3, and CCCD chips refuse a case-4 form.
  return { cla: 0x00, ins: INS_MSE, p1: 0xc1, p2: 0xa4, data: concat(...parts) };
}

function generalAuthenticate(inner: Uint8Array, last: boolean): Command {
  return { cla: last ? 0x00 : CHAIN, ins: INS_GA, p1: 0, p2: 0, data: tlv.encode(0x7c, inner), le: 256 };
}

/** The objects inside a 7C dynamic authentication data, each tag at most once. */
function dynamicData(data: Uint8Array, what: string): tlv.Tlv[] {
  const outer = tlv.decodeExact(data, 0x7c);
  const items = tlv.decodeAll(outer.value);
  const seen = new Set<number>();
  for (const i of items) {
    if (seen.has(i.tag)) throw malformed(`${what}: repeated tag ${i.tag.toString(16)}`);
    seen.add(i.tag);
  }
  return items;
}

// ---------------------------------------------------------------------------------
// Terminal.

interface PaceTerminalOptions {
  password: PacePassword;
  info: PaceInfo;
  random?: Random;
  /**
   * Send the domain-parameter ID (tag 0x84) in MSE:Set AT. It is required only when
   * the chip offers several parameter sets (§4.4.4.1); sent by default because chips
   * accept it and an ambiguous chip fails without it.
   */
  includeParameterId?: boolean;
}

export interface PaceResult {
  sm: SecureMessaging;
  mapping: PaceMapping;
  /** The chip's ephemeral public key PK_DH,IC (its compressed form is ID_IC for TA). */
  chipPublicKey: Uint8Array;
  cardAccessOid: string;
  /** PACE-CAM only: to verify against the chip's static key once DG14/CardSecurity is read. */
  cam?: { chipAuthenticationData: Uint8Array; mappingPublicKey: Uint8Array };
}

/**
 * Runs PACE over `send` (which should already resolve 61xx/6Cxx, as apdu.transceive does)
 * and returns the secure-messaging session with SSC zero (§9.8.2 for PACE). Wrong CAN/MRZ
 * is ACCESS_DENIED, a blocked password ACCESS_BLOCKED, other refusals CARD_STATUS, and
 * anything the chip sends that does not parse is MALFORMED_DATA.
 */
export async function paceTerminal(send: (c: Command) => Promise<Response>, opts: PaceTerminalOptions): Promise<PaceResult> {
  const suite = paceSuite(opts.info.protocol);
  const curve = paceCurve(opts.info.parameterId);
  const random = opts.random ?? defaultRandom;
  const pw = opts.password;
  const kPi = kdf(passwordKey(pw), KDF_PI, suite.cipher);

  const exchange = async (c: Command, what: string): Promise<Response> => {
    const r = await send(c);
    if (r.sw === SW.OK) return r;
    if (r.sw === 0x63c0 || r.sw === SW.AUTH_METHOD_BLOCKED) throw paceBlocked(r.sw);
    const counter = (r.sw & 0xfff0) === 0x63c0;
    // MSE:Set AT may report the password's retry counter as a warning (TR-03110 Part 3 §B.11.1).
    if (c.ins === INS_MSE && counter) return r;
    if (c.ins === INS_GA && (counter || r.sw === SW_AUTH_FAILED)) {
      throw paceAccessDenied(pw.kind, { sw: r.sw.toString(16).toUpperCase() });
    }
    throw new StatusError(r.sw, what);
  };
  const step = async (inner: Uint8Array, last: boolean, what: string): Promise<tlv.Tlv[]> =>
    dynamicData((await exchange(generalAuthenticate(inner, last), what)).data, what);

  const includeId = opts.includeParameterId ?? true;
  await exchange(mseSetAt(suite.protocol, passwordReference(pw), includeId ? curve.parameterId : undefined), 'MSE:Set AT (PACE)');

  // 1. Encrypted nonce.
  const r1 = await step(new Uint8Array(0), false, 'PACE encrypted nonce');
  const s = decryptNonce(suite, kPi, tlv.require(r1, 0x80, 'PACE encrypted nonce').value);

  // 2. Map nonce.
  let generator: Point;
  let mappingPublicKey: Uint8Array | undefined;
  if (suite.mapping === 'IM') {
    const t = random(suite.keyLength);
    const r2 = await step(tlv.encode(0x81, t), false, 'PACE map nonce');
    const m = tlv.find(r2, 0x82);
    if (m && m.value.length !== 0) throw malformed('PACE-IM mapping data not empty');
    generator = mapIntegrated(suite, curve, s, t);
  } else {
    const skMap = randomScalar(curve, random);
    const pkMap = encodePoint(curve, curve.Point.BASE.multiply(skMap));
    const r2 = await step(tlv.encode(0x81, pkMap), false, 'PACE map nonce');
    mappingPublicKey = Uint8Array.from(tlv.require(r2, 0x82, 'PACE mapping data').value);
    const pkMapIc = decodePoint(curve, mappingPublicKey, 'PACE chip mapping key');
    if (equal(mappingPublicKey, pkMap)) throw malformed('PACE chip mapping key equals ours');
    generator = mapGeneric(curve, s, mul(curve.Point, skMap, pkMapIc));
  }

  // 3. Key agreement on the mapped generator.
  const skDh = randomScalar(curve, random);
  const pkDh = encodePoint(curve, mul(curve.Point, skDh, generator));
  const r3 = await step(tlv.encode(0x83, pkDh), false, 'PACE key agreement');
  const chipPublicKey = Uint8Array.from(tlv.require(r3, 0x84, 'PACE chip ephemeral key').value);
  const pkDhIc = decodePoint(curve, chipPublicKey, 'PACE chip ephemeral key');
  // §4.4.1 Figure 1: both sides check PK_DH,IC ≠ PK_DH,IFD (a reflected key proves nothing).
  if (equal(chipPublicKey, pkDh)) throw malformed('PACE chip ephemeral key equals ours');
  const { ksEnc, ksMac } = sessionKeys(suite, sharedSecret(curve, skDh, pkDhIc));

  // 4. Mutual authentication.
  const r4 = await step(tlv.encode(0x85, authToken(suite, ksMac, chipPublicKey)), true, 'PACE mutual authentication');
  const tIc = tlv.require(r4, 0x86, 'PACE chip token').value;
  // A chip that cannot produce our token did not derive the same keys: its password differs.
  if (!equal(tIc, authToken(suite, ksMac, pkDh))) throw paceAccessDenied(pw.kind, { reason: 'chip token mismatch' });

  const result: PaceResult = {
    sm: new SecureMessaging(suite.sm, ksEnc, ksMac, new Uint8Array(suite.sm === 'AES' ? 16 : 8)),
    mapping: suite.mapping,
    chipPublicKey,
    cardAccessOid: suite.protocol,
  };
  if (suite.mapping === 'CAM') {
    const aIc = tlv.require(r4, 0x8a, 'PACE-CAM chip authentication data').value;
    result.cam = { chipAuthenticationData: decryptCamData(ksEnc, aIc), mappingPublicKey: mappingPublicKey! };
  }
  return result;
}

// ---------------------------------------------------------------------------------
// Chip.

type ChipState =
  | { step: 'idle' }
  | { step: 'selected'; kPi: Uint8Array }
  | { step: 'nonce'; s: Uint8Array }
  | { step: 'mapped'; generator: Point; skMap?: bigint }
  | { step: 'agreed'; ksEnc: Uint8Array; ksMac: Uint8Array; pkDh: Uint8Array; pkDhIfd: Uint8Array; skMap?: bigint }
  | { step: 'done' };

interface PaceChipOptions {
  can?: string;
  mrzInfo?: string;
  info: PaceInfo;
  random?: Random;
  /** The static chip-authentication private key, required for PACE-CAM (§4.4.3.5). */
  chipAuthenticationPrivateKey?: bigint;
}

interface PaceChipAnswer {
  response: Response;
  sm?: SecureMessaging;
}

function sw(code: number): PaceChipAnswer {
  return { response: { data: new Uint8Array(0), sw: code } };
}

function ok(inner: Uint8Array): PaceChipAnswer {
  return { response: { data: tlv.encode(0x7c, inner), sw: SW.OK } };
}

/** The chip side of PACE: one answer per command, state kept between them. */
export class PaceChip {
  private state: ChipState = { step: 'idle' };
  private readonly suite: PaceSuite;
  private readonly curve: PaceCurve;
  private readonly random: Random;

  constructor(private readonly opts: PaceChipOptions) {
    this.suite = paceSuite(opts.info.protocol);
    this.curve = paceCurve(opts.info.parameterId);
    this.random = opts.random ?? defaultRandom;
    if (this.suite.mapping === 'CAM' && opts.chipAuthenticationPrivateKey === undefined) {
      throw new RangeError('PACE-CAM needs the chip authentication private key');
    }
    // A misconfigured card folder fails here, once, not in the middle of a terminal's run.
    if (opts.can !== undefined) passwordKey({ kind: 'can', can: opts.can });
    if (opts.mrzInfo !== undefined) passwordKey({ kind: 'mrz', mrzInfo: opts.mrzInfo });
  }

  /** The protocol step the chip waits for, for the emulator and tests. */
  get step(): ChipState['step'] {
    return this.state.step;
  }

  handle(c: Command): PaceChipAnswer {
    try {
      if (c.ins === INS_MSE && c.p1 === 0xc1 && c.p2 === 0xa4) return this.mse(c);
      if (c.ins === INS_GA) return this.generalAuthenticate(c);
      return sw(SW.INS_NOT_SUPPORTED);
    } catch (e) {
      // Bad bytes from the terminal abort the protocol, as a real chip would.
      this.state = { step: 'idle' };
      if (isIdkError(e, 'MALFORMED_DATA')) return sw(SW.WRONG_DATA);
      throw e;
    }
  }

  private mse(c: Command): PaceChipAnswer {
    this.state = { step: 'idle' };
    const items = tlv.decodeAll(c.data ?? new Uint8Array(0));
    const mech = tlv.find(items, 0x80);
    const ref = tlv.find(items, 0x83);
    const param = tlv.find(items, 0x84);
    if (!mech || !ref || ref.value.length !== 1) return sw(SW.WRONG_DATA);
    if (!equal(mech.value, oidValue(this.suite.protocol))) return sw(SW.WRONG_DATA);
    if (param && (param.value.length !== 1 || param.value[0] !== this.curve.parameterId)) return sw(SW_REF_NOT_FOUND);
    let pw: PacePassword;
    if (ref.value[0] === 1 && this.opts.mrzInfo !== undefined) pw = { kind: 'mrz', mrzInfo: this.opts.mrzInfo };
    else if (ref.value[0] === 2 && this.opts.can !== undefined) pw = { kind: 'can', can: this.opts.can };
    else return sw(ref.value[0] === 1 || ref.value[0] === 2 ? SW_REF_NOT_FOUND : SW.WRONG_DATA);
    this.state = { step: 'selected', kPi: kdf(passwordKey(pw), KDF_PI, this.suite.cipher) };
    return sw(SW.OK);
  }

  private generalAuthenticate(c: Command): PaceChipAnswer {
    if (c.p1 !== 0 || c.p2 !== 0) return this.abort(SW.WRONG_P1P2);
    const chained = (c.cla & CHAIN) !== 0;
    const st = this.state;
    // Steps 1-3 are links of the chain, step 4 closes it (§4.4.4.3); anything else is out of order.
    const expectChained = st.step !== 'agreed';
    if (st.step === 'idle' || st.step === 'done' || chained !== expectChained) return this.abort(SW.CONDITIONS_NOT_SATISFIED);
    const items = dynamicData(c.data ?? new Uint8Array(0), 'GENERAL AUTHENTICATE');
    const { suite, curve } = this;
    switch (st.step) {
      case 'selected': {
        if (items.length !== 0) return this.abort(SW.WRONG_DATA);
        const s = this.random(nonceLength(suite));
        this.state = { step: 'nonce', s };
        return ok(tlv.encode(0x80, encryptNonce(suite, st.kPi, s)));
      }
      case 'nonce': {
        const m = tlv.find(items, 0x81);
        if (!m || items.length !== 1) return this.abort(SW.WRONG_DATA);
        if (suite.mapping === 'IM') {
          if (m.value.length !== suite.keyLength) return this.abort(SW.WRONG_DATA);
          this.state = { step: 'mapped', generator: mapIntegrated(suite, curve, st.s, m.value) };
          return ok(tlv.encode(0x82, new Uint8Array(0)));
        }
        const pkMapIfd = decodePoint(curve, m.value, 'PACE terminal mapping key');
        const skMap = randomScalar(curve, this.random);
        const generator = mapGeneric(curve, st.s, pkMapIfd.multiply(skMap));
        this.state = { step: 'mapped', generator, skMap };
        return ok(tlv.encode(0x82, encodePoint(curve, curve.Point.BASE.multiply(skMap))));
      }
      case 'mapped': {
        const k = tlv.find(items, 0x83);
        if (!k || items.length !== 1) return this.abort(SW.WRONG_DATA);
        const pkDhIfd = decodePoint(curve, k.value, 'PACE terminal ephemeral key');
        const skDh = randomScalar(curve, this.random);
        const pkDh = encodePoint(curve, st.generator.multiply(skDh));
        if (equal(pkDh, k.value)) return this.abort(SW.WRONG_DATA);
        const keys = sessionKeys(suite, sharedSecret(curve, skDh, pkDhIfd));
        this.state = { step: 'agreed', ...keys, pkDh, pkDhIfd: Uint8Array.from(k.value), skMap: st.skMap };
        return ok(tlv.encode(0x84, pkDh));
      }
      case 'agreed': {
        const t = tlv.find(items, 0x85);
        if (!t || items.length !== 1) return this.abort(SW.WRONG_DATA);
        if (!equal(t.value, authToken(suite, st.ksMac, st.pkDh))) return this.abort(SW_AUTH_FAILED);
        const parts = [tlv.encode(0x86, authToken(suite, st.ksMac, st.pkDhIfd))];
        if (suite.mapping === 'CAM') {
          const skIc = this.opts.chipAuthenticationPrivateKey!;
          const caIc = mod(invert(mod(skIc, curve.n), curve.n) * st.skMap!, curve.n);
          parts.push(tlv.encode(0x8a, encryptCamData(curve, st.ksEnc, caIc)));
        }
        this.state = { step: 'done' };
        const sm = new SecureMessaging(suite.sm, st.ksEnc, st.ksMac, new Uint8Array(suite.sm === 'AES' ? 16 : 8));
        return { ...ok(concat(...parts)), sm };
      }
    }
  }

  private abort(code: number): PaceChipAnswer {
    this.state = { step: 'idle' };
    return sw(code);
  }
}
