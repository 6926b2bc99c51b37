import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { fromHex, hex } from '../../core/bytes.js';
import { canonical } from '../../offline-cache/canonical.js';
import { openField, openSealed, sealField, sealTo } from '../../offline-cache/crypto-box.js';
import {
  type EventBody,
  bodyOf,
  bodyProblem,
  chainHashes,
  genesisHash,
  signHash,
  subjectDigest,
  subjectOf,
  verifyHashSignature,
} from '../../offline-cache/events.js';
import { ed25519FromSeed, ed25519Sign, x25519, x25519PublicKey } from '../../offline-cache/platform-crypto.js';
import { UUID_RE, uuidv7, uuidv7Time } from '../../offline-cache/uuidv7.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

describe('primitives', () => {
  it('Ed25519 through tweetnacl matches RFC 8032 §7.1 TEST 1', () => {
    const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    const pair = nacl.sign.keyPair.fromSeed(seed);
    expect(hex(pair.publicKey).toLowerCase()).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    const sig = nacl.sign.detached(new Uint8Array(0), pair.secretKey);
    expect(hex(sig).toLowerCase()).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
  });

  it('Ed25519 and X25519 through node:crypto match RFC 8032 §7.1 TEST 1 and RFC 7748 §6.1', () => {
    const pair = ed25519FromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    expect(hex(pair.publicKey).toLowerCase()).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(hex(ed25519Sign(new Uint8Array(0), pair.secretKey)).toLowerCase()).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bobPublic = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    expect(hex(x25519PublicKey(alice)).toLowerCase()).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(x25519(alice, bobPublic)!).toLowerCase()).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
    // A peer key of small order (here 0) gives no secret at all.
    expect(x25519(alice, new Uint8Array(32))).toBeNull();
  });

  it('UUIDv7 carries the millisecond timestamp (RFC 9562 A.6 time 0x017F22E279B0), version and variant, and sorts', () => {
    const t = 0x017f22e279b0;
    const id = uuidv7(t);
    expect(id).toMatch(UUID_RE);
    expect(id.slice(0, 13)).toBe('017f22e2-79b0');
    expect(id[14]).toBe('7');
    expect(uuidv7Time(id)).toBe(t);
    const ids = Array.from({ length: 5000 }, () => uuidv7(t + 1));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('canonical JSON sorts keys at every level and refuses non-finite numbers', () => {
    expect(canonical({ b: 1, a: { d: [1, 'x', null], c: true }, z: undefined })).toBe('{"a":{"c":true,"d":[1,"x",null]},"b":1}');
    expect(() => canonical({ a: Infinity })).toThrow();
  });

  it('field secretbox and sealed box round-trip and refuse tampering', () => {
    const key = nacl.randomBytes(32);
    const s = sealField(key, new TextEncoder().encode('Nguyễn Văn An'));
    expect(new TextDecoder().decode(openField(key, s))).toBe('Nguyễn Văn An');
    expect(hex(sealField(key, new Uint8Array(4)))).not.toBe(hex(sealField(key, new Uint8Array(4))));
    s[30]! ^= 1;
    expect(() => openField(key, s)).toThrow(/decrypt/);
    const box = nacl.box.keyPair();
    const sealed = sealTo(box.publicKey, new Uint8Array([1, 2, 3]));
    expect([...openSealed(box.secretKey, sealed)!]).toEqual([1, 2, 3]);
    expect(openSealed(nacl.box.keyPair().secretKey, sealed)).toBeNull();
  });
});

describe('events', () => {
  const keys = nacl.sign.keyPair();
  function chain(n: number): EventBody[] {
    return Array.from({ length: n }, (_, i) => {
      const input = syntheticVerification(i);
      const subject = subjectOf(input, nacl.randomBytes(16));
      return bodyOf(input, { id: uuidv7(), device: 'dev-1', seq: i + 1, at: 1_750_000_000_000 + i, clock: null, subject });
    });
  }

  it('keeps personal data out of the signed body', () => {
    const input = syntheticVerification(3);
    const subject = subjectOf(input, nacl.randomBytes(16));
    const body = bodyOf(input, { id: uuidv7(), device: 'd', seq: 1, at: Date.now(), clock: 12, subject });
    const text = canonical(body as never);
    expect(text).not.toContain(input.holder.fullName!);
    expect(text).not.toContain(input.holder.idNumber!);
    expect(text).not.toContain(input.document.number);
    expect(text).not.toContain(input.holder.dateOfBirth!);
    expect(body.subject).toBe(subjectDigest(subject));
    expect(bodyProblem(body)).toBeNull();
    // Same person, another salt: another commitment (no dictionary of ID numbers works).
    expect(subjectDigest(subjectOf(input, nacl.randomBytes(16)))).not.toBe(body.subject);
  });

  it('a signed chain verifies, and any edit, removal or reordering is visible', () => {
    const bodies = chain(20);
    const g = genesisHash(keys.publicKey);
    const hashes = chainHashes(g, bodies);
    const sig = signHash(hashes[19]!, keys.secretKey);
    expect(verifyHashSignature(hashes[19]!, sig, keys.publicKey)).toBe(true);
    const edited = bodies.map((b, i) => (i === 7 ? { ...b, result: 'accepted' as const, bio: { method: 'face' as const, score: 0.99 } } : b));
    if (bodies[7]!.result === 'accepted' && bodies[7]!.bio.score === 0.99) throw new Error('edit did not change anything');
    expect(verifyHashSignature(chainHashes(g, edited)[19]!, sig, keys.publicKey)).toBe(false);
    expect(verifyHashSignature(chainHashes(g, [...bodies.slice(0, 5), ...bodies.slice(6)]).at(-1)!, sig, keys.publicKey)).toBe(false);
    const swapped = [...bodies];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    expect(verifyHashSignature(chainHashes(g, swapped)[19]!, sig, keys.publicKey)).toBe(false);
    expect(verifyHashSignature(hashes[19]!, sig, nacl.sign.keyPair().publicKey)).toBe(false);
  });

  it('refuses bad input with a typed error', () => {
    const input = { ...syntheticVerification(1), biometric: { method: 'face' as const, score: 1.5 } };
    expect(() => bodyOf(input, { id: uuidv7(), device: 'd', seq: 1, at: 0, clock: null, subject: subjectOf(input, new Uint8Array(16)) })).toThrow(
      expect.objectContaining({ code: 'BAD_VERIFICATION_RECORD' }),
    );
    expect(bodyProblem({ v: 1 })).not.toBeNull();
  });
});
