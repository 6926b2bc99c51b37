// Symmetric primitives of ICAO Doc 9303 Part 11 (§9.7-9.8): key derivation, 3DES and
// AES in CBC, ISO 9797-1 padding, retail MAC and AES-CMAC.
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { concat, xor } from '../../core/bytes.js';
import { malformed } from '../../core/errors.js';

export type CipherKind = '3DES' | 'AES-128' | 'AES-192' | 'AES-256';

/** ISO/IEC 9797-1 padding method 2: 0x80 then zeros up to the block size. */
export function pad(data: Uint8Array, block: number): Uint8Array {
  const n = data.length + 1;
  const total = Math.ceil(n / block) * block;
  const out = new Uint8Array(total);
  out.set(data, 0);
  out[data.length] = 0x80;
  return out;
}

export function unpad(data: Uint8Array): Uint8Array {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0) i--;
  if (i < 0 || data[i] !== 0x80) throw malformed('bad padding');
  return data.slice(0, i);
}

/** Sets each byte's lowest bit for odd parity, as DES keys carry it. */
function adjustParity(key: Uint8Array): Uint8Array {
  const out = Uint8Array.from(key);
  for (let i = 0; i < out.length; i++) {
    let b = out[i]! & 0xfe;
    let ones = 0;
    for (let x = b; x; x >>= 1) ones += x & 1;
    if (ones % 2 === 0) b |= 1;
    out[i] = b;
  }
  return out;
}

/** KDF of Doc 9303 Part 11 §9.7.1: hash(K || counter). */
export function kdf(secret: Uint8Array, counter: number, kind: CipherKind): Uint8Array {
  const c = Uint8Array.of(0, 0, 0, counter);
  const input = concat(secret, c);
  switch (kind) {
    case '3DES':
      return adjustParity(new Uint8Array(createHash('sha1').update(input).digest()).subarray(0, 16));
    case 'AES-128':
      return new Uint8Array(createHash('sha1').update(input).digest()).slice(0, 16);
    case 'AES-192':
      return new Uint8Array(createHash('sha256').update(input).digest()).slice(0, 24);
    case 'AES-256':
      return new Uint8Array(createHash('sha256').update(input).digest()).slice(0, 32);
  }
}

export const KDF_ENC = 1;
export const KDF_MAC = 2;
export const KDF_PI = 3;

function run(alg: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array, decrypt: boolean): Uint8Array {
  const c = decrypt ? createDecipheriv(alg, key, iv) : createCipheriv(alg, key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** Two-key 3DES as Node 20's OpenSSL allows it: des-ede3 with K1|K2|K1. */
function tdesKey(key: Uint8Array): Uint8Array {
  if (key.length === 24) return key;
  if (key.length !== 16) throw new RangeError('3DES key must be 16 or 24 bytes');
  return concat(key, key.subarray(0, 8));
}

const ZERO8 = new Uint8Array(8);

export function tdesEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO8): Uint8Array {
  return run('des-ede3-cbc', tdesKey(key), iv, data, false);
}

export function tdesDecrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO8): Uint8Array {
  return run('des-ede3-cbc', tdesKey(key), iv, data, true);
}

/** Single DES through des-ede3 with K|K|K, because Node 20's OpenSSL refuses des-cbc. */
function desCbc(key8: Uint8Array, data: Uint8Array, decrypt: boolean): Uint8Array {
  return run('des-ede3-cbc', concat(key8, key8, key8), ZERO8, data, decrypt);
}

/** ISO/IEC 9797-1 MAC algorithm 3 (retail MAC) with DES; data must already be padded. */
export function retailMac(key: Uint8Array, paddedData: Uint8Array): Uint8Array {
  if (paddedData.length % 8 !== 0 || paddedData.length === 0) throw new RangeError('retail MAC input not padded');
  const ka = key.subarray(0, 8);
  const kb = key.subarray(8, 16);
  const cbc = desCbc(ka, paddedData, false);
  const h = cbc.subarray(cbc.length - 8);
  return desCbc(ka, desCbc(kb, h, true), false);
}

function aesAlg(key: Uint8Array, mode: 'cbc' | 'ecb'): string {
  return `aes-${key.length * 8}-${mode}`;
}

const ZERO16 = new Uint8Array(16);

export function aesEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO16): Uint8Array {
  return run(aesAlg(key, 'cbc'), key, iv, data, false);
}

export function aesDecrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO16): Uint8Array {
  return run(aesAlg(key, 'cbc'), key, iv, data, true);
}

export function aesEcbEncrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
  return run(aesAlg(key, 'ecb'), key, null, block, false);
}

function shiftLeft1(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = ((b[i]! << 1) | ((b[i + 1] ?? 0) >> 7)) & 0xff;
  return out;
}

function cmacSubkey(l: Uint8Array): Uint8Array {
  const k = shiftLeft1(l);
  if (l[0]! & 0x80) k[15]! ^= 0x87;
  return k;
}

/** AES-CMAC (NIST SP 800-38B / RFC 4493), full 16 bytes. Node's crypto has no CMAC. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  const l = aesEcbEncrypt(key, ZERO16);
  const k1 = cmacSubkey(l);
  const k2 = cmacSubkey(k1);
  const n = Math.max(1, Math.ceil(message.length / 16));
  const complete = message.length > 0 && message.length % 16 === 0;
  const last = complete
    ? xor(message.subarray((n - 1) * 16), k1)
    : xor(pad(message.subarray((n - 1) * 16), 16), k2);
  const blocks = concat(message.subarray(0, (n - 1) * 16), last);
  const cbc = aesEncrypt(key, blocks);
  return cbc.slice(cbc.length - 16);
}

export function sha(alg: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512', data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(alg).update(data).digest());
}
