// Encryption of personal data: one secretbox per field at rest (XSalsa20-Poly1305 under the
// device's data key), and a sealed box to the ingest server's X25519 key for whatever leaves
// the device. Why per-field rather than whole-file encryption: see docs/store-and-forward.md.
//
// The sealed box is NaCl's crypto_box with an ephemeral sender key. Its X25519 runs in
// Node's crypto; Node has no HSalsa20/XSalsa20-Poly1305, so the key derivation after it and
// the box itself stay tweetnacl's: the bytes are what nacl.box made (offline-compat test).
import nacl from 'tweetnacl';
import { IdkError } from '../core/errors.js';
import { randomBytes, x25519, x25519KeyPair } from './platform-crypto.js';

const NONCE = nacl.secretbox.nonceLength;

function decryptFailed(what: string): IdkError {
  return new IdkError('DECRYPT_FAILED', {
    vi: `Không giải mã được ${what}: khóa thiết bị không khớp hoặc dữ liệu đã bị sửa.`,
    en: `Could not decrypt ${what}: the device key does not match or the data was altered.`,
  });
}

/** nonce || secretbox(plain): a fresh random nonce per field, so equal values never look equal. */
export function sealField(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const ct = nacl.secretbox(plain, nonce, key);
  const out = new Uint8Array(NONCE + ct.length);
  out.set(nonce);
  out.set(ct, NONCE);
  return out;
}

export function openField(key: Uint8Array, sealed: Uint8Array, what = 'a stored field'): Uint8Array {
  if (sealed.length < NONCE + nacl.secretbox.overheadLength) throw decryptFailed(what);
  const plain = nacl.secretbox.open(sealed.subarray(NONCE), sealed.subarray(0, NONCE), key);
  if (!plain) throw decryptFailed(what);
  return plain;
}

const ZERO16 = new Uint8Array(16);
const SIGMA = new TextEncoder().encode('expand 32-byte k');
const hsalsa20 = (nacl as unknown as { lowlevel: { crypto_core_hsalsa20(out: Uint8Array, inp: Uint8Array, k: Uint8Array, c: Uint8Array): number } }).lowlevel
  .crypto_core_hsalsa20;

/** crypto_box_beforenm: HSalsa20 of the X25519 secret, as nacl.box.before computes it. */
function boxKey(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  const shared = x25519(secretKey, publicKey);
  if (!shared) return null;
  const k = new Uint8Array(32);
  hsalsa20(k, ZERO16, shared, SIGMA);
  return k;
}

/** ephemeral public key || nonce || box: only the holder of the recipient's secret key can open it. */
export function sealTo(recipientPublicKey: Uint8Array, plain: Uint8Array): Uint8Array {
  const eph = x25519KeyPair();
  const k = boxKey(eph.secretKey, recipientPublicKey);
  if (!k) throw new TypeError('the recipient key is not a usable X25519 public key');
  const nonce = randomBytes(nacl.box.nonceLength);
  const ct = nacl.secretbox(plain, nonce, k);
  const out = new Uint8Array(32 + nonce.length + ct.length);
  out.set(eph.publicKey);
  out.set(nonce, 32);
  out.set(ct, 32 + nonce.length);
  return out;
}

const SEAL_OVERHEAD = 32 + nacl.box.nonceLength + nacl.box.overheadLength;

export function openSealed(recipientSecretKey: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < SEAL_OVERHEAD) return null;
  const n = nacl.box.nonceLength;
  const k = boxKey(recipientSecretKey, sealed.subarray(0, 32));
  if (!k) return null;
  return nacl.secretbox.open(sealed.subarray(32 + n), sealed.subarray(32, 32 + n), k);
}
