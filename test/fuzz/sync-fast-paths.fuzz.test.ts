// The ingest server's quick paths give the very bytes of the reference ones: canonicalText
// against canonical() on any JSON (keys in order or not), node:crypto's X25519 open against
// tweetnacl's for sealed boxes to the right and to a wrong key, and the server's batch
// verification against events.ts's chain and commitment hashes.
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { b64, canonical, canonicalText, type Json } from '../../offline-cache/canonical.js';
import { openSealed, sealTo } from '../../offline-cache/crypto-box.js';
import { chainHashes, subjectDigest } from '../../offline-cache/events.js';
import { SimDevice } from '../../offline-cache/sync/device-sim.js';
import { decodeBatch, verifyBatch } from '../../offline-cache/sync/protocol.js';
import { openSealedFast } from '../../offline-cache/sync/sealed-open.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';
import { RUNS } from './runs.js';

/** JSON as the wire brings it: what JSON.parse gives for the canonical text, or for any text. */
const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>;

describe('ingest quick paths', () => {
  it('canonicalText equals canonical() for any JSON, sorted or not', () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(canonicalText(v)).toBe(canonical(v));
        // As it arrives after a round trip through canonical text (the kiosk's case: keys in order).
        const parsed = JSON.parse(canonical(v)) as unknown;
        expect(canonicalText(parsed)).toBe(canonical(v));
      }),
      { numRuns: RUNS },
    );
    // Keys out of order, integer-like keys, undefined members: the long way, same answer.
    for (const v of [{ b: 1, a: 2 }, { '10': 1, '9': 2, a: 3 }, { a: undefined, b: [1, { d: 1, c: 2 }] }, { x: -0 }]) expect(canonicalText(v)).toBe(canonical(v as Json));
  });

  it('openSealedFast opens exactly what tweetnacl opens', () => {
    const me = nacl.box.keyPair();
    const other = nacl.box.keyPair();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), fc.nat(), (plain, toMe, flip) => {
        const sealed = sealTo(toMe ? me.publicKey : other.publicKey, plain);
        if (flip % 5 === 0) sealed[flip % sealed.length] = sealed[flip % sealed.length]! ^ 0x40;
        const slow = openSealed(me.secretKey, sealed);
        const fast = openSealedFast(me.secretKey, sealed);
        expect(fast === null ? null : b64(fast)).toBe(slow === null ? null : b64(slow));
      }),
      { numRuns: Math.min(RUNS, 500) },
    );
    expect(openSealedFast(me.secretKey, new Uint8Array(40))).toBeNull();
    expect(openSealedFast(me.secretKey, new Uint8Array(200))).toBeNull(); // an all-zero ephemeral key
  });

  it("the server's batch verification gives events.ts's hashes and commitments", async () => {
    const box = nacl.box.keyPair();
    const d = new SimDevice('fast-path-1');
    d.serverBoxKey = box.publicKey;
    d.record(Array.from({ length: 300 }, (_, i) => syntheticVerification(i, 77)));
    const p = await decodeBatch(await d.batch(101, 300), box.secretKey);
    const v = verifyBatch(p, d.deviceId, d.signPublicKey);
    expect(v.hashes.map(b64)).toEqual(chainHashes(d.events[99]!.hash, d.events.slice(100).map((e) => e.body)).map(b64));
    expect(v.hashes.map(b64)).toEqual(d.events.slice(100).map((e) => b64(e.hash)));
    expect(v.subjectTexts.map((t) => b64(new Uint8Array(Buffer.from(t)))).length).toBe(200);
    p.events.forEach((e, i) => {
      expect(v.bodyTexts[i]).toBe(canonical(e.body as unknown as Json));
      expect(v.subjectTexts[i]).toBe(canonical(e.subject as unknown as Json));
      expect(subjectDigest(e.subject)).toBe(e.body.subject);
    });
  });
});
