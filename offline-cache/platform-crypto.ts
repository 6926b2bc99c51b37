// Ed25519 and X25519 through Node's own crypto (OpenSSL): a signature costs ~0.05 ms there
// against ~7 ms in tweetnacl's pure JavaScript, which sat on the clerk's record path. The
// keys stay in the raw 32-byte forms tweetnacl used (seed || public key for a signing key),
// so key files, signatures and sealed boxes are byte for byte what they were
// (test/unit/offline-compat.test.ts). Node has no XSalsa20-Poly1305: crypto-box.ts keeps
// tweetnacl for that.
import { type KeyObject, createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes as nodeRandomBytes, sign, verify } from 'node:crypto';

// DER prefixes that wrap a raw 32-byte key as PKCS#8 / SPKI (RFC 8410 §7 and §4).
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

function raw(k: KeyObject, type: 'pkcs8' | 'spki'): Uint8Array {
  const der = k.export({ format: 'der', type });
  return new Uint8Array(der.subarray(der.length - 32));
}

// A record draws three small random values (salt, id, nonce); one system call per 4 KiB
// instead of one each. Every byte is handed out once.
let pool = new Uint8Array(0);
let poolAt = 0;

export function randomBytes(n: number): Uint8Array {
  if (n > 256) return new Uint8Array(nodeRandomBytes(n));
  if (poolAt + n > pool.length) {
    pool = new Uint8Array(nodeRandomBytes(4096));
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + n);
  poolAt += n;
  return out;
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

// A device signs with one key for its whole life, a server verifies a fleet's: key objects
// are made once per key, not once per signature.
const signers = new WeakMap<Uint8Array, KeyObject>();
const verifiers = new Map<string, KeyObject>();
const MAX_VERIFIERS = 4096;

function ed25519Private(secretKey: Uint8Array): KeyObject {
  let k = signers.get(secretKey);
  if (!k) {
    if (secretKey.length !== 64 && secretKey.length !== 32) throw new TypeError('Ed25519 secret key must be 32 (seed) or 64 (seed || public) bytes');
    k = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, secretKey.subarray(0, 32)]), format: 'der', type: 'pkcs8' });
    signers.set(secretKey, k);
  }
  return k;
}

function ed25519Public(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('base64');
  let k = verifiers.get(id);
  if (!k) {
    k = createPublicKey({ key: Buffer.concat([ED25519_SPKI, publicKey]), format: 'der', type: 'spki' });
    if (verifiers.size >= MAX_VERIFIERS) verifiers.delete(verifiers.keys().next().value!);
    verifiers.set(id, k);
  }
  return k;
}

/** The signing pair for a 32-byte seed, in tweetnacl's layout: secretKey = seed || publicKey. */
export function ed25519FromSeed(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array } {
  if (seed.length !== 32) throw new TypeError('Ed25519 seed must be 32 bytes');
  const publicKey = raw(createPublicKey(ed25519Private(seed)), 'spki');
  const secretKey = new Uint8Array(64);
  secretKey.set(seed);
  secretKey.set(publicKey, 32);
  return { publicKey, secretKey };
}

/** Detached Ed25519 signature (RFC 8032, deterministic: the same bytes tweetnacl gives). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const s = sign(null, message, ed25519Private(secretKey));
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
}

export function ed25519Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return verify(null, message, ed25519Public(publicKey), signature);
  } catch {
    return false;
  }
}

export function x25519KeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: raw(publicKey, 'spki'), secretKey: raw(privateKey, 'pkcs8') };
}

export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return raw(createPublicKey(createPrivateKey({ key: Buffer.concat([X25519_PKCS8, secretKey]), format: 'der', type: 'pkcs8' })), 'spki');
}

/** The raw X25519 shared secret (RFC 7748); null for a peer key of small order (all-zero result). */
export function x25519(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array | null {
  if (secretKey.length !== 32 || peerPublicKey.length !== 32) return null;
  try {
    const s = diffieHellman({
      privateKey: createPrivateKey({ key: Buffer.concat([X25519_PKCS8, secretKey]), format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI, peerPublicKey]), format: 'der', type: 'spki' }),
    });
    return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
  } catch {
    return null;
  }
}
