// AES-256-GCM as the server seals with it: its own key sets under the master key, and each
// stored subject under a key set's data key, bound (as associated data) to its device and
// sequence number, so a sealed subject moved to another row does not open.
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

// Random nonces drawn 1,000 at a time: one system call instead of one per sealed field.
const noncePool = Buffer.alloc(12 * 1000);
let nonceAt = noncePool.length;
function freshNonce(): Buffer {
  if (nonceAt >= noncePool.length) {
    randomFillSync(noncePool);
    nonceAt = 0;
  }
  nonceAt += 12;
  return noncePool.subarray(nonceAt - 12, nonceAt);
}

/** nonce(12) || AES-256-GCM(ct) || tag(16), bound to `aad`; written once into one buffer (the ingest server seals every event). */
export function gcmSeal(key: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = freshNonce();
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  // Its own memory, not a slice of Buffer's shared pool: it crosses to the main thread, and a pool slice would carry its neighbours along.
  const out = Buffer.allocUnsafeSlow(12 + plain.length + 16);
  nonce.copy(out, 0);
  // GCM is a stream mode: update gives every ciphertext byte, final only the tag.
  c.update(plain).copy(out, 12);
  c.final();
  c.getAuthTag().copy(out, 12 + plain.length);
  return out;
}

export function gcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < 28) return null;
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const d = createDecipheriv('aes-256-gcm', key, b.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(b.subarray(b.length - 16));
    return new Uint8Array(Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]));
  } catch {
    return null;
  }
}

export const subjectAad = (deviceId: string, seq: number): Buffer => Buffer.from(`idkiosk-subject-v1|${deviceId}|${seq}`);
