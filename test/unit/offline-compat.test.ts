// The record path moved from tweetnacl to node:crypto (Ed25519, X25519, SHA-256): every
// stored and wire format must stay byte for byte. Forward: what the old code wrote
// (test/fixtures/store-v1, made by its make.mjs from commit 49dc7ff) reads, verifies and
// re-signs identically today. Backward: what today's code writes opens and verifies with
// tweetnacl itself, the primitive the old code called.
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';
import nacl from 'tweetnacl';
import { afterAll, describe, expect, it } from 'vitest';
import { b64, unb64 } from '../../offline-cache/canonical.js';
import { openField, openSealed, sealField, sealTo } from '../../offline-cache/crypto-box.js';
import { loadOrCreateDeviceKeys } from '../../offline-cache/device-keys.js';
import { type EventBody, type Subject, chainHash, genesisHash, signHash, subjectDigest, verifyHashSignature } from '../../offline-cache/events.js';
import { pendingRun, queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { ed25519FromSeed, x25519KeyPair, x25519PublicKey } from '../../offline-cache/platform-crypto.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { type BatchPayload, decodeBatch, encodeBatch, verifyBatch } from '../../offline-cache/sync/protocol.js';
import { tempDir } from '../helpers/cards.js';
import { INGEST_TOKEN, type Ingest, ingest } from '../helpers/ingest.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const FIX = join(import.meta.dirname, '../fixtures/store-v1');

/** The fixture's server key file, in the reference server's format before keys moved into its database. */
function fixtureServerKeys(path: string) {
  const f = JSON.parse(readFileSync(path, 'utf8')) as { boxSecretKey: string; dataKey: string };
  const pair = nacl.box.keyPair.fromSecretKey(unb64(f.boxSecretKey));
  return { boxPublicKey: pair.publicKey, boxSecretKey: pair.secretKey, dataKey: unb64(f.dataKey) };
}
const dec = new TextDecoder();
const enc = new TextEncoder();

interface Row {
  seq: number;
  id: string;
  at: number;
  body: string;
  hash: string;
  sig: string;
  subject: string;
}
const rows = JSON.parse(readFileSync(join(FIX, 'events.json'), 'utf8')) as Row[];
const batch = JSON.parse(readFileSync(join(FIX, 'batch.json'), 'utf8')) as { payload: BatchPayload; wire: string; exported: { seq: number; subjectSealed: string }[] };

/** The fixture's key files in a fresh folder, 0600 as the store demands (git checks files out 0644). */
function fixtureDir(withStore: boolean): string {
  const dir = tempDir('idk-compat-');
  const files = ['device-key.json', 'server-key.json', ...(withStore ? ['events.sqlite'] : [])];
  for (const f of files) {
    copyFileSync(join(FIX, f), join(dir, f));
    chmodSync(join(dir, f), 0o600);
  }
  return dir;
}

const stops: Ingest[] = [];
afterAll(async () => {
  for (const s of stops) await s.stop();
});

describe('old records, new code (fixtures made by the tweetnacl code)', () => {
  const dir = fixtureDir(false);
  const keys = loadOrCreateDeviceKeys(dir);
  const server = fixtureServerKeys(join(dir, 'server-key.json'));

  it('the chain recomputes, every signature verifies, and re-signing gives the same bytes', () => {
    expect(rows).toHaveLength(12);
    let prev = genesisHash(keys.signPublicKey);
    for (const r of rows) {
      const body = JSON.parse(r.body) as EventBody;
      expect(body.device).toBe(keys.deviceId);
      const h = chainHash(prev, body);
      expect(b64(h)).toBe(r.hash);
      expect(verifyHashSignature(h, unb64(r.sig), keys.signPublicKey)).toBe(true);
      // Ed25519 is deterministic: node:crypto must give tweetnacl's very signature.
      expect(b64(signHash(h, keys.signSecretKey))).toBe(r.sig);
      prev = h;
    }
  });

  it('subjects sealed at rest open, and match their signed commitments', () => {
    for (const r of rows) {
      const subject = JSON.parse(dec.decode(openField(keys.dataKey, unb64(r.subject)))) as Subject;
      expect(subjectDigest(subject)).toBe((JSON.parse(r.body) as EventBody).subject);
    }
  });

  it('a batch sealed to the server by the old code opens and verifies', async () => {
    const p = await decodeBatch(unb64(batch.wire), server.boxSecretKey);
    expect(p).toEqual(batch.payload);
    const v = verifyBatch(p, keys.deviceId, keys.signPublicKey);
    expect(b64(v.hashes[v.hashes.length - 1]!)).toBe(rows[rows.length - 1]!.hash);
    for (const x of batch.exported) {
      const subject = JSON.parse(dec.decode(openSealed(server.boxSecretKey, unb64(x.subjectSealed))!)) as Subject;
      expect(subjectDigest(subject)).toBe(batch.payload.events[x.seq - 1]!.body.subject);
    }
    // A single flipped bit in the sealed batch is refused, as before.
    const bad = unb64(batch.wire);
    bad[100] = bad[100]! ^ 1;
    await expect(decodeBatch(bad, server.boxSecretKey)).rejects.toMatchObject({ code: 'BAD_ENVELOPE' });
  });

  it('a store written by the old code opens, continues its chain, and a real server takes all of it', async () => {
    const d = fixtureDir(true);
    const s = openLocalStore({ dataDir: d, diskReserveBytes: 0 });
    try {
      expect(s.keys.deviceId).toBe(keys.deviceId);
      expect(queueCounts(s)).toMatchObject({ head: 12, pending: 12 });
      const r = recordVerification(s, syntheticVerification(13, 19));
      expect(r.seq).toBe(13);
      const run = pendingRun(s, 100);
      expect(b64(run.events[11]!.hash)).toBe(rows[11]!.hash);
      expect(b64(chainHash(run.events[11]!.hash, run.events[12]!.body))).toBe(r.hash);
      const srv = await ingest();
      stops.push(srv);
      await enrolDevice(s, srv.url, INGEST_TOKEN, 'compat');
      const c = new SyncClient({ store: s });
      const out = await c.drain({ maxMs: 20_000 });
      await c.stop();
      expect(out.pending).toBe(0);
      const stored = await srv.db.events(keys.deviceId);
      expect(stored.map((e) => b64(e.hash))).toEqual([...rows.map((x) => x.hash), r.hash]);
    } finally {
      s.close();
    }
  });
});

describe('new records, old primitive (tweetnacl itself)', () => {
  it('keys derive as tweetnacl derives them', () => {
    for (let i = 0; i < 20; i++) {
      const seed = nacl.randomBytes(32);
      const ours = ed25519FromSeed(seed);
      const theirs = nacl.sign.keyPair.fromSeed(seed);
      expect(b64(ours.publicKey)).toBe(b64(theirs.publicKey));
      expect(b64(ours.secretKey)).toBe(b64(theirs.secretKey));
      const box = x25519KeyPair();
      expect(b64(nacl.box.keyPair.fromSecretKey(box.secretKey).publicKey)).toBe(b64(box.publicKey));
      expect(b64(x25519PublicKey(box.secretKey))).toBe(b64(box.publicKey));
    }
  });

  it('signatures made now verify with tweetnacl and equal its own', () => {
    const pair = nacl.sign.keyPair();
    for (let i = 0; i < 50; i++) {
      const h = nacl.randomBytes(32);
      const sig = signHash(h, pair.secretKey);
      const msg = new Uint8Array([...enc.encode('idkiosk-event-v1'), ...h]);
      expect(nacl.sign.detached.verify(msg, sig, pair.publicKey)).toBe(true);
      expect(b64(sig)).toBe(b64(nacl.sign.detached(msg, pair.secretKey)));
      expect(verifyHashSignature(h, nacl.sign.detached(msg, pair.secretKey), pair.publicKey)).toBe(true);
    }
    // And a wrong key or a changed hash still fails.
    const h = nacl.randomBytes(32);
    expect(verifyHashSignature(h, signHash(h, pair.secretKey), nacl.sign.keyPair().publicKey)).toBe(false);
    expect(verifyHashSignature(nacl.randomBytes(32), signHash(h, pair.secretKey), pair.publicKey)).toBe(false);
  });

  it('sealed boxes and fields made now open with tweetnacl, and theirs open here', async () => {
    const server = nacl.box.keyPair();
    const plain = enc.encode('{"documentNumber":"000000001","salt":"AAAA"}');
    const sealed = sealTo(server.publicKey, plain);
    const opened = nacl.box.open(sealed.subarray(56), sealed.subarray(32, 56), sealed.subarray(0, 32), server.secretKey);
    expect(opened && dec.decode(opened)).toBe(dec.decode(plain));
    // tweetnacl's own sealed box (the old sealTo, step by step) opens with today's openSealed.
    const eph = nacl.box.keyPair();
    const nonce = nacl.randomBytes(24);
    const old = new Uint8Array([...eph.publicKey, ...nonce, ...nacl.box(plain, nonce, server.publicKey, eph.secretKey)]);
    expect(dec.decode(openSealed(server.secretKey, old)!)).toBe(dec.decode(plain));
    const key = nacl.randomBytes(32);
    const field = sealField(key, plain);
    expect(dec.decode(nacl.secretbox.open(field.subarray(24), field.subarray(0, 24), key)!)).toBe(dec.decode(plain));
    // A batch encoded today opens with tweetnacl and brotli alone.
    const enc2 = await encodeBatch(batch.payload, server.publicKey);
    const inner = nacl.box.open(enc2.wire.subarray(56), enc2.wire.subarray(32, 56), enc2.wire.subarray(0, 32), server.secretKey)!;
    expect(JSON.parse((await promisify(brotliDecompress)(inner)).toString('utf8'))).toEqual(batch.payload);
  });
});
