// Opening a batch sealed to one of the server's X25519 keys, with the X25519 step in
// node:crypto (OpenSSL) instead of JavaScript: the same bytes as crypto-box.ts openSealed
// (NaCl box: X25519, HSalsa20, XSalsa20-Poly1305), about forty times quicker on the key
// agreement, which was most of a small batch's cost. XSalsa20-Poly1305 itself has no
// node:crypto primitive and stays tweetnacl's.
import { type KeyObject, createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import nacl from 'tweetnacl';
import { b64 } from '../canonical.js';

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const SIGMA = new Uint8Array(Buffer.from('expand 32-byte k'));
const ZERO16 = new Uint8Array(16);
const privates = new Map<string, KeyObject>();
// tweetnacl's low-level HSalsa20 (the step crypto_box_beforenm takes after the key agreement); its typings omit it.
const hsalsa20 = (nacl as unknown as { lowlevel: { crypto_core_hsalsa20(out: Uint8Array, inp: Uint8Array, k: Uint8Array, c: Uint8Array): number } }).lowlevel.crypto_core_hsalsa20;

function privateKey(secret: Uint8Array): KeyObject {
  const id = b64(secret);
  let k = privates.get(id);
  if (!k) privates.set(id, (k = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secret]), format: 'der', type: 'pkcs8' })));
  return k;
}

/** ephemeral public key (32) || nonce (24) || box: the plaintext, or null if this key does not open it. */
export function openSealedFast(recipientSecretKey: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  const n = nacl.box.nonceLength;
  if (sealed.length < 32 + n + nacl.box.overheadLength) return null;
  let shared: Buffer;
  try {
    const eph = createPublicKey({ key: Buffer.concat([SPKI_X25519, sealed.subarray(0, 32)]), format: 'der', type: 'spki' });
    shared = diffieHellman({ privateKey: privateKey(recipientSecretKey), publicKey: eph });
  } catch {
    return null; // a point OpenSSL refuses (all-zero shared secret): not sealed to us
  }
  const k = new Uint8Array(32);
  hsalsa20(k, ZERO16, new Uint8Array(shared), SIGMA);
  return nacl.secretbox.open(sealed.subarray(32 + n), sealed.subarray(32, 32 + n), k);
}
