// Chip Authentication, ICAO Doc 9303 Part 11 §6.2 (BSI TR-03110 Part 1 §3.4 behind it):
// the chip proves it holds the private key whose public half DG14 carries, which a copy
// of the files onto another chip cannot. Terminal and chip side live together so the
// software chip and the reader share one definition of the exchange.
//
// The terminal sends an ephemeral public key; both sides derive K from static-ephemeral
// (EC)DH, new secure-messaging keys KS_Enc = KDF(K,1), KS_Mac = KDF(K,2) with the SSC
// back to zero (§9.8.2), and the chip's proof is implicit: its next response only
// verifies if it derived the same K, which needs the private key. 3DES suites use
// MSE:Set KAT (§6.2.4.1); AES suites MSE:Set AT + GENERAL AUTHENTICATE (§6.2.4.2).
// ECDH is mandatory here; DH works with groups given as explicit parameters in DG14.
import { randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import { type Command, type Response, SW } from '../apdu/apdu.js';
import { bigToBytes, bytesToBig, concat, equal } from '../../core/bytes.js';
import { isIdkError, malformed } from '../../core/errors.js';
import * as tlv from '../apdu/tlv.js';
import { type CipherKind, KDF_ENC, KDF_MAC, kdf } from './crypto.js';
import { EF_COM } from './files.js';
import { type PaceCurve, decodePoint, encodePoint, oidValue, paceCurve, randomScalar, sharedSecret } from './pace.js';
import { SecureMessaging } from './secure-messaging.js';
import {
  type ChipAuthenticationInfo,
  type ChipAuthenticationPublicKeyInfo,
  ID_CA_DH,
  ID_CA_ECDH,
  ID_DH_PUBLIC_NUMBER,
  ID_PK_DH,
  type SecurityInfo,
} from './security-infos.js';
import { pow } from '@noble/curves/abstract/modular.js';
import { curveByOid } from './curves.js';

export type Random = (n: number) => Uint8Array;
const defaultRandom: Random = (n) => new Uint8Array(randomBytes(n));

type AuthOutcome = 'valid' | 'invalid' | 'not-supported' | 'not-checked';

/** The result of one anti-cloning check, as RawDocument carries it. */
export interface AuthCheck {
  outcome: AuthOutcome;
  reason?: string;
  /** Protocol OID (CA) or algorithm (AA) that was used. */
  protocol?: string;
}

/** Minimal session the terminal needs: CardSession fits. */
export interface SmSession {
  sm: SecureMessaging | undefined;
  send(c: Command): Promise<Response>;
}

// ---------------------------------------------------------------- the agreement

const CIPHERS: Record<string, CipherKind> = { '1': '3DES', '2': 'AES-128', '3': 'AES-192', '4': 'AES-256' };

interface CaSuite {
  protocol: string;
  kind: 'ECDH' | 'DH';
  cipher: CipherKind;
}

function caSuite(protocol: string): CaSuite | undefined {
  const dot = protocol.lastIndexOf('.');
  const parent = protocol.slice(0, dot);
  const cipher = CIPHERS[protocol.slice(dot + 1)];
  if (!cipher) return undefined;
  if (parent === ID_CA_ECDH) return { protocol, kind: 'ECDH', cipher };
  if (parent === ID_CA_DH) return { protocol, kind: 'DH', cipher };
  return undefined;
}

interface DhGroup {
  p: bigint;
  g: bigint;
  q?: bigint;
  size: number;
}

/** The chip's static key from DG14, ready for the agreement. */
type StaticKey = { kind: 'ECDH'; curve: PaceCurve; point: Uint8Array } | { kind: 'DH'; group: DhGroup; y: bigint };

function byteLength(x: bigint): number {
  return Math.ceil(x.toString(16).length / 2);
}

/** DomainParameters ::= SEQUENCE { p, g, q, j OPTIONAL, validationParms OPTIONAL } (ANSI X9.42, RFC 3279 §2.3.3). */
function dhGroup(spki: Uint8Array): DhGroup {
  const r = asn1js.fromBER(new Uint8Array(spki));
  const seq = r.result;
  const alg = seq instanceof asn1js.Sequence ? seq.valueBlock.value[0] : undefined;
  const params = alg instanceof asn1js.Sequence ? alg.valueBlock.value[1] : undefined;
  if (!(params instanceof asn1js.Sequence)) throw malformed('DG14 DH domain parameters');
  const [p, g, q] = params.valueBlock.value;
  if (!(p instanceof asn1js.Integer) || !(g instanceof asn1js.Integer)) throw malformed('DG14 DH p and g');
  const pv = p.toBigInt();
  if (pv < 0xffffn) throw malformed('DG14 DH prime too small');
  return { p: pv, g: g.toBigInt(), q: q instanceof asn1js.Integer ? q.toBigInt() : undefined, size: byteLength(pv) };
}

function staticKey(info: ChipAuthenticationPublicKeyInfo): StaticKey {
  if (info.protocol === ID_PK_DH) {
    if (info.algorithm !== ID_DH_PUBLIC_NUMBER) throw unsupportedKey(`DH key ${info.algorithm}`);
    const group = dhGroup(info.subjectPublicKeyInfo);
    const y = asn1js.fromBER(new Uint8Array(info.publicKey)).result;
    if (!(y instanceof asn1js.Integer)) throw malformed('DG14 DH public key');
    return { kind: 'DH', group, y: y.toBigInt() };
  }
  const known = curveByOid(info.curveOid);
  if (!known) throw unsupportedKey(`curve ${info.curveOid ?? 'explicit, not recognised'}`);
  const curve = paceCurve(known.parameterId);
  decodePoint(curve, info.publicKey, 'DG14 chip authentication key');
  return { kind: 'ECDH', curve, point: info.publicKey };
}

class UnsupportedKey extends Error {}
function unsupportedKey(what: string): UnsupportedKey {
  return new UnsupportedKey(`chip authentication with ${what} is not supported by this reader`);
}

/** Ephemeral key pair: its public encoding for the chip and the shared secret with the static key. */
function agree(key: StaticKey, random: Random): { publicKey: Uint8Array; secret: Uint8Array } {
  if (key.kind === 'ECDH') {
    const sk = randomScalar(key.curve, random);
    const publicKey = encodePoint(key.curve, key.curve.Point.BASE.multiply(sk));
    return { publicKey, secret: sharedSecret(key.curve, sk, decodePoint(key.curve, key.point, 'DG14 key')) };
  }
  const { p, g, q, size } = key.group;
  const x = randomBelow(q ?? p - 1n, random);
  const publicKey = bigToBytes(pow(g, x, p), size);
  return { publicKey, secret: dhSecret(key.group, key.y, x) };
}

function randomBelow(limit: bigint, random: Random): bigint {
  const n = byteLength(limit);
  for (let i = 0; i < 64; i++) {
    const v = bytesToBig(random(n)) % limit;
    if (v > 1n) return v;
  }
  throw new RangeError('random source keeps returning tiny values');
}

/** K = y^x mod p as an octet string of p's length (Doc 9303 Part 11 §9.6, TR-03111). */
function dhSecret(group: DhGroup, y: bigint, x: bigint): Uint8Array {
  if (y <= 1n || y >= group.p - 1n) throw malformed('DH public value out of range');
  if (group.q !== undefined && pow(y, group.q, group.p) !== 1n) throw malformed('DH public value not in the subgroup');
  return bigToBytes(pow(y, x, group.p), group.size);
}

function caSecureMessaging(cipher: CipherKind, secret: Uint8Array): SecureMessaging {
  const kind = cipher === '3DES' ? '3DES' : 'AES';
  return new SecureMessaging(kind, kdf(secret, KDF_ENC, cipher), kdf(secret, KDF_MAC, cipher), new Uint8Array(kind === 'AES' ? 16 : 8));
}

// ---------------------------------------------------------------- choosing what DG14 offers

interface CaChoice {
  suite: CaSuite;
  key: ChipAuthenticationPublicKeyInfo;
  keyId?: number;
}

/**
 * Pairs a ChipAuthenticationInfo with its public key (same keyId, same DH/ECDH family).
 * Without any ChipAuthenticationInfo, early passports imply the 3DES suite (Part 11 §9.2.5).
 */
export function chooseChipAuthentication(infos: SecurityInfo[]): CaChoice | undefined {
  const keys = infos.filter((i): i is ChipAuthenticationPublicKeyInfo => i.kind === 'chip-authentication-public-key');
  const cas = infos.filter((i): i is ChipAuthenticationInfo => i.kind === 'chip-authentication');
  const family = (k: ChipAuthenticationPublicKeyInfo) => (k.protocol === ID_PK_DH ? 'DH' : 'ECDH');
  // Prefer AES, then ECDH, as the stronger choices.
  const ranked = cas
    .map((c) => ({ c, suite: caSuite(c.protocol) }))
    .filter((x): x is { c: ChipAuthenticationInfo; suite: CaSuite } => x.suite !== undefined)
    .sort((a, b) => Number(a.suite.cipher === '3DES') - Number(b.suite.cipher === '3DES') || Number(a.suite.kind === 'DH') - Number(b.suite.kind === 'DH'));
  for (const { c, suite } of ranked) {
    const key = keys.find((k) => family(k) === suite.kind && (c.keyId === undefined || k.keyId === undefined || k.keyId === c.keyId));
    if (key) return { suite, key, keyId: c.keyId ?? key.keyId };
  }
  if (cas.length === 0 && keys[0]) {
    const key = keys[0];
    const kind = family(key);
    return { suite: { protocol: `${kind === 'DH' ? ID_CA_DH : ID_CA_ECDH}.1`, kind, cipher: '3DES' }, key, keyId: key.keyId };
  }
  return undefined;
}

// ---------------------------------------------------------------- APDUs

const INS_MSE = 0x22;
const INS_GA = 0x86;
const P1_SET_COMPUTE = 0x41;
const P2_KAT = 0xa6;
const P2_AT = 0xa4;

function keyRef(keyId: number | undefined): Uint8Array[] {
  return keyId === undefined ? [] : [tlv.encode(0x84, bigToBytes(BigInt(keyId)))];
}

function mseSetKat(ephemeral: Uint8Array, keyId?: number): Command {
  return { cla: 0, ins: INS_MSE, p1: P1_SET_COMPUTE, p2: P2_KAT, data: concat(tlv.encode(0x91, ephemeral), ...keyRef(keyId)) };
}

function mseSetAtCa(protocol: string, keyId?: number): Command {
  return { cla: 0, ins: INS_MSE, p1: P1_SET_COMPUTE, p2: P2_AT, data: concat(tlv.encode(0x80, oidValue(protocol)), ...keyRef(keyId)) };
}

function generalAuthenticateCa(ephemeral: Uint8Array): Command {
  return { cla: 0, ins: INS_GA, p1: 0, p2: 0, data: tlv.encode(0x7c, tlv.encode(0x80, ephemeral)), le: 256 };
}

// ---------------------------------------------------------------- terminal

/** Physical failures end the read as they would anywhere else; the rest is the chip's answer. */
export function isPhysical(e: unknown): boolean {
  return isIdkError(e, 'CARD_REMOVED') || isIdkError(e, 'CARD_MUTE') || isIdkError(e, 'READER_UNPLUGGED');
}

function describe(e: unknown): string {
  if (isIdkError(e)) return e.messages.en;
  return e instanceof Error ? e.message : String(e);
}

function swText(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * Runs Chip Authentication over an open SM session: on success the session continues
 * under the new keys. `dg14` are DG14's SecurityInfos (whose integrity passive
 * authentication checks). A chip that refuses, or cannot continue secure messaging under
 * the new keys, fails: it does not hold the DG14 private key.
 */
export async function chipAuthenticate(session: SmSession, infos: SecurityInfo[], opts: { random?: Random } = {}): Promise<AuthCheck> {
  const choice = chooseChipAuthentication(infos);
  if (!choice) return { outcome: 'not-supported', reason: 'DG14 offers no chip authentication key' };
  const { suite, keyId } = choice;
  let key: StaticKey;
  try {
    key = staticKey(choice.key);
  } catch (e) {
    if (e instanceof UnsupportedKey) return { outcome: 'not-checked', reason: e.message, protocol: suite.protocol };
    return { outcome: 'invalid', reason: `DG14 chip authentication key unusable: ${describe(e)}`, protocol: suite.protocol };
  }
  const { publicKey, secret } = agree(key, opts.random ?? defaultRandom);
  const fail = (reason: string): AuthCheck => ({ outcome: 'invalid', reason, protocol: suite.protocol });
  try {
    if (suite.cipher === '3DES') {
      const r = await session.send(mseSetKat(publicKey, keyId));
      if (r.sw !== SW.OK) return fail(`the chip refused chip authentication (MSE:Set KAT, status ${swText(r.sw)})`);
    } else {
      const r1 = await session.send(mseSetAtCa(suite.protocol, keyId));
      if (r1.sw !== SW.OK) return fail(`the chip refused chip authentication (MSE:Set AT, status ${swText(r1.sw)})`);
      const r2 = await session.send(generalAuthenticateCa(publicKey));
      if (r2.sw !== SW.OK) return fail(`the chip refused chip authentication (GENERAL AUTHENTICATE, status ${swText(r2.sw)})`);
      if (r2.data.length > 0) tlv.decodeExact(r2.data, 0x7c);
    }
  } catch (e) {
    if (isPhysical(e)) throw e;
    return fail(`chip authentication failed: ${describe(e)}`);
  }
  session.sm = caSecureMessaging(suite.cipher, secret);
  // The proof: a response MACed under keys only the holder of the DG14 private key can derive.
  try {
    const r = await session.send({ cla: 0, ins: 0xa4, p1: 0x02, p2: 0x0c, data: bigToBytes(BigInt(EF_COM.fid), 2) });
    if (r.sw !== SW.OK) return fail(`the chip did not answer under the new keys (status ${swText(r.sw)}): it does not hold the DG14 private key`);
  } catch (e) {
    if (isPhysical(e)) throw e;
    return fail(`the chip's answer under the new keys does not verify (${describe(e)}): it does not hold the DG14 private key`);
  }
  return { outcome: 'valid', protocol: suite.protocol };
}

// ---------------------------------------------------------------- chip

interface ChipAuthenticationAnswer {
  response: Response;
  /** Secure messaging to use after this response has been sent under the old keys. */
  sm?: SecureMessaging;
}

/** The chip side: MSE:Set KAT, or MSE:Set AT then GENERAL AUTHENTICATE, under SM. */
export class ChipAuthenticationChip {
  private selected: CaChoice | undefined;
  private readonly choices: CaChoice[];

  /** `privateKey`: the EC scalar or DH exponent, big-endian, whose public half DG14 holds. */
  constructor(
    infos: SecurityInfo[],
    private readonly privateKey: Uint8Array,
  ) {
    this.choices = offered(infos);
    if (this.choices.length === 0) throw new RangeError('DG14 offers no chip authentication');
    for (const c of this.choices) staticKey(c.key);
  }

  reset(): void {
    this.selected = undefined;
  }

  handle(c: Command): ChipAuthenticationAnswer {
    try {
      if (c.ins === INS_MSE && c.p1 === P1_SET_COMPUTE && c.p2 === P2_KAT) return this.kat(c);
      if (c.ins === INS_MSE && c.p1 === P1_SET_COMPUTE && c.p2 === P2_AT) return this.setAt(c);
      if (c.ins === INS_GA) return this.generalAuthenticate(c);
      return answer(c.ins === INS_MSE ? SW.WRONG_P1P2 : SW.INS_NOT_SUPPORTED);
    } catch (e) {
      // Bad bytes from the terminal (TLV, points, DH values) abort the protocol, as a real chip would.
      this.selected = undefined;
      if (isIdkError(e)) return answer(SW.WRONG_DATA);
      throw e;
    }
  }

  private pick(items: tlv.Tlv[], filter: (c: CaChoice) => boolean): CaChoice | undefined {
    const ref = tlv.find(items, 0x84);
    const id = ref ? Number(bytesToBig(ref.value)) : undefined;
    return this.choices.find((c) => filter(c) && (id === undefined || c.keyId === undefined || c.keyId === id));
  }

  private kat(c: Command): ChipAuthenticationAnswer {
    this.selected = undefined;
    const items = tlv.decodeAll(c.data ?? new Uint8Array(0));
    const pk = tlv.find(items, 0x91);
    if (!pk) return answer(SW.WRONG_DATA);
    const choice = this.pick(items, (x) => x.suite.cipher === '3DES');
    if (!choice) return answer(0x6a88);
    return this.complete(choice, pk.value, { data: new Uint8Array(0), sw: SW.OK });
  }

  private setAt(c: Command): ChipAuthenticationAnswer {
    this.selected = undefined;
    const items = tlv.decodeAll(c.data ?? new Uint8Array(0));
    const mech = tlv.find(items, 0x80);
    if (!mech) return answer(SW.WRONG_DATA);
    const choice = this.pick(items, (x) => equal(oidValue(x.suite.protocol), mech.value));
    if (!choice) return answer(0x6a88);
    this.selected = choice;
    return answer(SW.OK);
  }

  private generalAuthenticate(c: Command): ChipAuthenticationAnswer {
    const choice = this.selected;
    this.selected = undefined;
    if (!choice || c.p1 !== 0 || c.p2 !== 0 || (c.cla & 0x10) !== 0) return answer(SW.CONDITIONS_NOT_SATISFIED);
    const outer = tlv.decodeExact(c.data ?? new Uint8Array(0), 0x7c);
    const pk = tlv.find(tlv.decodeAll(outer.value), 0x80);
    if (!pk) return answer(SW.WRONG_DATA);
    return this.complete(choice, pk.value, { data: tlv.encode(0x7c, new Uint8Array(0)), sw: SW.OK });
  }

  private complete(choice: CaChoice, ephemeral: Uint8Array, response: Response): ChipAuthenticationAnswer {
    const key = staticKey(choice.key);
    let secret: Uint8Array;
    if (key.kind === 'ECDH') {
      const sk = bytesToBig(this.privateKey);
      secret = sharedSecret(key.curve, sk, decodePoint(key.curve, ephemeral, 'terminal ephemeral key'));
    } else {
      if (ephemeral.length !== key.group.size) return answer(SW.WRONG_DATA);
      secret = dhSecret(key.group, bytesToBig(ephemeral), bytesToBig(this.privateKey));
    }
    return { response, sm: caSecureMessaging(choice.suite.cipher, secret) };
  }
}

function answer(sw: number): ChipAuthenticationAnswer {
  return { response: { data: new Uint8Array(0), sw } };
}

/** Every suite DG14 offers, each with its key (the implied 3DES suite when none is named). */
function offered(infos: SecurityInfo[]): CaChoice[] {
  const cas = infos.filter((i): i is ChipAuthenticationInfo => i.kind === 'chip-authentication');
  const out: CaChoice[] = [];
  for (const c of cas) {
    const suite = caSuite(c.protocol);
    if (!suite) continue;
    const only = chooseChipAuthentication([c, ...infos.filter((i) => i.kind === 'chip-authentication-public-key')]);
    if (only) out.push(only);
  }
  if (out.length === 0) {
    const implied = chooseChipAuthentication(infos);
    if (implied) out.push(implied);
  }
  return out;
}

/** A DH SubjectPublicKeyInfo (dhpublicnumber, RFC 3279 §2.3.3) for building DG14 in tests and card builders. */
export function dhSubjectPublicKeyInfo(group: { p: bigint; g: bigint; q?: bigint }, y: bigint): Uint8Array {
  const int = (v: bigint) => asn1js.Integer.fromBigInt(v);
  const params = [int(group.p), int(group.g), ...(group.q === undefined ? [] : [int(group.q)])];
  const spki = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: ID_DH_PUBLIC_NUMBER }), new asn1js.Sequence({ value: params })] }),
      new asn1js.BitString({ valueHex: new Uint8Array(int(y).toBER(false)) }),
    ],
  });
  return new Uint8Array(spki.toBER(false));
}

/** y = g^x mod p, for making DH chip keys. */
export function dhPublicValue(group: { p: bigint; g: bigint }, x: bigint): bigint {
  return pow(group.g, x, group.p);
}
