// Encryption of personal data: one secretbox per field at rest (XSalsa20-Poly1305 under the
// device's data key), and a sealed box to the ingest server's X25519 key for whatever leaves
// the device. Why per-field rather than whole-file encryption: see docs/store-and-forward.md.
import nacl from 'tweetnacl';
import { IdkError } from '../core/errors.js';

const NONCE = nacl.secretbox.nonceLength;

function decryptFailed(what: string): IdkError {
  return new IdkError('DECRYPT_FAILED', {
    vi: `Không giải mã được ${what}: khóa thiết bị không khớp hoặc dữ liệu đã bị sửa.`,
    en: `Could not decrypt ${what}: the device key does not match or the data was altered.`,
  });
}

/** nonce || secretbox(plain): a fresh random nonce per field, so equal values never look equal. */
export function sealField(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const nonce = nacl.randomBytes(NONCE);
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

/** ephemeral public key || nonce || box: only the holder of the recipient's secret key can open it. */
export function sealTo(recipientPublicKey: Uint8Array, plain: Uint8Array): Uint8Array {
  const eph = nacl.box.keyPair();
  const nonce = nacl.randomBytes(nacl.box.nonceLength);
  const ct = nacl.box(plain, nonce, recipientPublicKey, eph.secretKey);
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
  return nacl.box.open(sealed.subarray(32 + n), sealed.subarray(32, 32 + n), sealed.subarray(0, 32), recipientSecretKey);
}
