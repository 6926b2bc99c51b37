// Active Authentication, ICAO Doc 9303 Part 11 §6.1: the chip signs an 8-byte challenge
// with the private key whose public half DG15 holds, which a copy of the files onto a
// blank chip cannot. RSA chips sign with ISO/IEC 9796-2 digital signature scheme 1
// (message recovery: the chip's nonce M1 is recovered, the challenge is M2); ECDSA chips
// return plain r||s (BSI TR-03111 §5.2.1) with the hash DG14's ActiveAuthenticationInfo
// names. Terminal, verification and the software chip's signing live side by side.
import { constants, createPrivateKey, privateEncrypt, randomBytes, sign as nodeSign } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { type Command, SW } from '../apdu/apdu.js';
import { bigToBytes, bytesToBig, concat, equal } from '../../core/bytes.js';
import { isIdkError } from '../../core/errors.js';
import { type AuthCheck, type Random, type SmSession, isPhysical } from './chip-auth.js';
import { sha } from './crypto.js';
import { parseDg15 } from './dg15.js';
import { type ActiveAuthenticationInfo, type SecurityInfo } from './security-infos.js';
import { type HashName, ecPublicKey, signatureHash } from './trust-store.js';
import { pow } from '@noble/curves/abstract/modular.js';
import { bitLen } from '@noble/curves/utils.js';

const defaultRandom: Random = (n) => new Uint8Array(randomBytes(n));

const CHALLENGE_LENGTH = 8;

export function internalAuthenticate(challenge: Uint8Array): Command {
  return { cla: 0, ins: 0x88, p1: 0, p2: 0, data: challenge, le: 256 };
}

// ---------------------------------------------------------------- ISO/IEC 9796-2 scheme 1

export interface HashFunction {
  name: string;
  length: number;
  digest(data: Uint8Array): Uint8Array;
}

const node = (name: HashName, length: number): HashFunction => ({ name, length, digest: (d) => sha(name, d) });

/** Hash identifiers of ISO/IEC 10118-3 in the two-byte trailer 0x??CC (ISO/IEC 9796-2 §8.1.2). */
export const TRAILER_HASHES: Record<number, HashFunction> = {
  0x33: node('sha1', 20),
  0x34: node('sha256', 32),
  0x35: node('sha512', 64),
  0x36: node('sha384', 48),
  0x38: node('sha224', 28),
};
const SHA1 = TRAILER_HASHES[0x33]!;

interface RsaPublicKey {
  n: bigint;
  e: bigint;
}

interface Recovered {
  /** M1, the recovered part of the message. */
  m1: Uint8Array;
  hash: Uint8Array;
  hashFunction: HashFunction;
  /** Whether the signer said more message follows (M2). */
  partial: boolean;
}

/**
 * Opens an ISO/IEC 9796-2 scheme 1 signature: J = s^e mod n (or n - J, ISO/IEC 9796-2
 * §B.6, whichever ends in nibble C), then header 01 + more-data bit, padding ending in
 * nibble A, M1, the hash, and the trailer BC (implicit hash) or ??CC (hash identifier).
 * Returns undefined when the structure is wrong.
 */
export function recoverIso9796(key: RsaPublicKey, signature: Uint8Array, implicit: HashFunction = SHA1): Recovered | undefined {
  const s = bytesToBig(signature);
  if (s === 0n || s >= key.n) return undefined;
  let j = pow(s, key.e, key.n);
  if ((j & 0xfn) !== 0xcn) j = key.n - j;
  if ((j & 0xfn) !== 0xcn) return undefined;
  const len = Math.ceil((bitLen(key.n) - 1) / 8);
  if (bitLen(j) > len * 8) return undefined;
  const f = bigToBytes(j, len);
  if ((f[0]! & 0xc0) !== 0x40) return undefined;
  let hashFunction = implicit;
  let trailer = 1;
  if (f[len - 1] !== 0xbc) {
    if (f[len - 1] !== 0xcc) return undefined;
    const h = TRAILER_HASHES[f[len - 2]!];
    if (!h) return undefined;
    hashFunction = h;
    trailer = 2;
  }
  // Padding: nibbles B then one A (the first byte carries the header bits in its high nibble).
  let start = 0;
  while (start < len && (f[start]! & 0x0f) !== 0x0a) start++;
  start++;
  const hashStart = len - trailer - hashFunction.length;
  if (start > hashStart) return undefined;
  return {
    m1: f.slice(start, hashStart),
    hash: f.slice(hashStart, len - trailer),
    hashFunction,
    partial: (f[0]! & 0x20) !== 0,
  };
}

/** Verifies a scheme 1 signature over M1 || m2 with the recovered M1. */
export function verifyIso9796(key: RsaPublicKey, signature: Uint8Array, m2: Uint8Array, implicit: HashFunction = SHA1): boolean {
  const r = recoverIso9796(key, signature, implicit);
  if (!r) return false;
  if (!r.partial && m2.length > 0) return false;
  return equal(r.hashFunction.digest(concat(r.m1, m2)), r.hash);
}

/** Signs with partial recovery: header 6A, a random M1 filling the block, H(M1 || m2), trailer. */
function signIso9796(
  key: { n: bigint; raw: (block: Uint8Array) => Uint8Array },
  m2: Uint8Array,
  opts: { hash?: HashFunction; implicit?: boolean; random?: Random } = {},
): Uint8Array {
  const hash = opts.hash ?? SHA1;
  const implicit = opts.implicit ?? hash === SHA1;
  const trailerByte = Number(Object.entries(TRAILER_HASHES).find(([, h]) => h === hash)?.[0]);
  const trailer = implicit ? Uint8Array.of(0xbc) : Uint8Array.of(trailerByte, 0xcc);
  const bits = bitLen(key.n);
  if (bits % 8 !== 0) throw new RangeError('ISO 9796-2 signing here needs a modulus of whole bytes');
  const len = bits / 8;
  const m1 = (opts.random ?? defaultRandom)(len - 1 - hash.length - trailer.length);
  const f = concat(Uint8Array.of(0x6a), m1, hash.digest(concat(m1, m2)), trailer);
  return key.raw(f);
}

// ---------------------------------------------------------------- verification

interface AaVerification {
  valid: boolean;
  reason?: string;
  algorithm: string;
}

function rsaKey(spki: Uint8Array): RsaPublicKey {
  const info = new pkijs.PublicKeyInfo({ schema: asn1js.fromBER(new Uint8Array(spki)).result });
  const k = info.parsedKey;
  if (!(k instanceof pkijs.RSAPublicKey)) throw new Error('DG15 RSA key unreadable');
  // pkijs strips the DER sign byte (convertFromDER), so read the magnitude, not toBigInt().
  return { n: bytesToBig(k.modulus.valueBlock.valueHexView), e: bytesToBig(k.publicExponent.valueBlock.valueHexView) };
}

/** ActiveAuthenticationInfo's signature algorithm, when DG14 has one. */
export function aaSignatureAlgorithm(dg14: SecurityInfo[] | undefined): string | undefined {
  const info = dg14?.find((i): i is ActiveAuthenticationInfo => i.kind === 'active-authentication');
  return info?.signatureAlgorithm || undefined;
}

const FALLBACK_HASHES: HashName[] = ['sha256', 'sha1', 'sha384', 'sha512', 'sha224'];

/**
 * Checks the chip's answer to INTERNAL AUTHENTICATE against the DG15 key. `dg14` names the
 * ECDSA hash; when a chip's DG14 omits it (Part 11 §9.2.8 requires it), every SHA is
 * tried: any signature over our random challenge still proves the key is on the chip.
 */
export function verifyActiveAuthentication(dg15: Uint8Array, dg14: SecurityInfo[] | undefined, challenge: Uint8Array, signature: Uint8Array): AaVerification {
  const key = parseDg15(dg15);
  if (key.algorithm === 'rsa') {
    const rsa = rsaKey(key.spki);
    const r = recoverIso9796(rsa, signature);
    if (!r) return { valid: false, algorithm: 'RSA ISO/IEC 9796-2', reason: 'the signature does not open to an ISO/IEC 9796-2 message with the DG15 key' };
    const algorithm = `RSA ISO/IEC 9796-2 ${r.hashFunction.name.toUpperCase()}`;
    if (!r.partial) return { valid: false, algorithm, reason: 'the signature recovers the whole message, not our challenge' };
    const ok = equal(r.hashFunction.digest(concat(r.m1, challenge)), r.hash);
    return ok ? { valid: true, algorithm } : { valid: false, algorithm, reason: 'the signature is not over our challenge' };
  }
  const ec = ecPublicKey(key.spki);
  const oid = aaSignatureAlgorithm(dg14);
  const named = oid ? signatureHash(oid) : undefined;
  const hashes = named ? [named] : FALLBACK_HASHES;
  const size = Math.ceil(bitLen(ec.curve.Point.CURVE().n) / 8);
  const format = signature.length === 2 * size ? 'compact' : 'der';
  for (const h of hashes) {
    try {
      if (ec.curve.verify(signature, sha(h, challenge), ec.point, { prehash: false, lowS: false, format })) {
        return { valid: true, algorithm: `ECDSA ${h.toUpperCase()}` };
      }
    } catch {
      return { valid: false, algorithm: 'ECDSA', reason: 'the signature is not a plain r||s ECDSA signature' };
    }
  }
  return { valid: false, algorithm: named ? `ECDSA ${named.toUpperCase()}` : 'ECDSA', reason: 'the signature does not verify with the DG15 key' };
}

// ---------------------------------------------------------------- terminal

function describe(e: unknown): string {
  if (isIdkError(e)) return e.messages.en;
  return e instanceof Error ? e.message : String(e);
}

/** Sends a fresh random challenge and checks the answer; physical failures propagate. */
export async function activeAuthenticate(
  session: SmSession,
  dg15: Uint8Array,
  dg14: SecurityInfo[] | undefined,
  opts: { random?: Random } = {},
): Promise<AuthCheck> {
  const challenge = (opts.random ?? defaultRandom)(CHALLENGE_LENGTH);
  let signature: Uint8Array;
  try {
    parseDg15(dg15);
    const r = await session.send(internalAuthenticate(challenge));
    if (r.sw !== SW.OK) {
      return { outcome: 'invalid', reason: `the chip refused INTERNAL AUTHENTICATE (status ${r.sw.toString(16).toUpperCase().padStart(4, '0')}) although DG15 holds a key` };
    }
    signature = r.data;
  } catch (e) {
    if (isPhysical(e)) throw e;
    return { outcome: 'invalid', reason: `active authentication failed: ${describe(e)}` };
  }
  try {
    const v = verifyActiveAuthentication(dg15, dg14, challenge, signature);
    return v.valid ? { outcome: 'valid', protocol: v.algorithm } : { outcome: 'invalid', reason: v.reason, protocol: v.algorithm };
  } catch (e) {
    // Keys this reader cannot use (an unknown curve) are not the chip's fault.
    return { outcome: 'not-checked', reason: `DG15 key not usable here: ${describe(e)}` };
  }
}

// ---------------------------------------------------------------- chip

/**
 * The chip's answer to INTERNAL AUTHENTICATE with its PKCS#8 key: ISO/IEC 9796-2 for RSA
 * (SHA-1 with the implicit trailer unless DG14 names a SHA-2 RSA algorithm), plain r||s
 * ECDSA with the hash DG14 names (SHA-256 when it names none).
 */
export function activeAuthenticationSignature(pkcs8: Uint8Array, challenge: Uint8Array, opts: { signatureAlgorithm?: string; random?: Random } = {}): Uint8Array {
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  const named = opts.signatureAlgorithm ? signatureHash(opts.signatureAlgorithm) : undefined;
  if (key.asymmetricKeyType === 'rsa') {
    const jwk = key.export({ format: 'jwk' });
    const n = bytesToBig(new Uint8Array(Buffer.from(jwk.n!, 'base64url')));
    const hash = named && named !== 'sha1' ? Object.values(TRAILER_HASHES).find((h) => h.name === named) : SHA1;
    return signIso9796(
      { n, raw: (block) => new Uint8Array(privateEncrypt({ key, padding: constants.RSA_NO_PADDING }, block)) },
      challenge,
      { hash, implicit: hash === SHA1, random: opts.random },
    );
  }
  if (key.asymmetricKeyType === 'ec') {
    return new Uint8Array(nodeSign(named ?? 'sha256', challenge, { key, dsaEncoding: 'ieee-p1363' }));
  }
  throw new RangeError(`active authentication key type ${key.asymmetricKeyType} not supported`);
}
