// A bad event never blocks the queue: it is set aside with its reason, kept byte for byte,
// the events after it are re-linked into one valid chain, and an operator can retry or
// export it.
import { afterEach, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { chainHashes, genesisHash, signHash, verifyHashSignature } from '../../offline-cache/events.js';
import { checkStore, storeHealth } from '../../offline-cache/health.js';
import { exportEvents, pendingRun, queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { x25519KeyPair } from '../../offline-cache/platform-crypto.js';
import { exportQuarantined, nextBatch, quarantined, retryQuarantined, setAsideFrom } from '../../offline-cache/quarantine.js';
import { alerts } from '../../offline-cache/retention.js';
import { type LocalStore, openLocalStore, setMeta } from '../../offline-cache/store.js';
import { tempDir } from '../helpers/cards.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';
import { storeRecorder } from '../../main/kiosk/store.js';

const open: LocalStore[] = [];
function filled(n: number): { s: LocalStore; ids: string[] } {
  const s = openLocalStore({ dataDir: tempDir('idk-q-'), diskReserveBytes: 0 });
  open.push(s);
  const ids = Array.from({ length: n }, (_, i) => recordVerification(s, syntheticVerification(i + 1, 5)).id);
  return { s, ids };
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** The whole undelivered chain is valid from genesis, signature by signature. */
function expectValidChain(s: LocalStore): string[] {
  const run = pendingRun(s, 10_000);
  const hashes = chainHashes(genesisHash(s.keys.signPublicKey), run.events.map((e) => e.body));
  run.events.forEach((e, i) => {
    expect(e.body.seq).toBe(i + 1);
    expect(b64(hashes[i]!)).toBe(b64(e.hash));
    expect(verifyHashSignature(e.hash, e.sig, s.keys.signPublicKey)).toBe(true);
  });
  expect(queueCounts(s).head).toBe(run.events.length);
  return run.events.map((e) => e.body.id);
}

const poisons: [string, (s: LocalStore, seq: number) => void][] = [
  ['SUBJECT_UNREADABLE', (s, seq) => s.db.prepare('UPDATE events SET subject = zeroblob(80) WHERE seq = ?').run(seq)],
  ['BODY_INVALID', (s, seq) => s.db.prepare("UPDATE events SET body = substr(body, 1, 40) WHERE seq = ?").run(seq)],
  ['CHAIN_BROKEN', (s, seq) => s.db.prepare("UPDATE events SET body = replace(body, '\"operator\":\"nv', '\"operator\":\"xx') WHERE seq = ?").run(seq)],
  ['FOREIGN_DEVICE', (s, seq) => s.db.prepare("UPDATE events SET body = replace(body, ?, '00000000-0000-4000-8000-000000000000') WHERE seq = ?").run(s.keys.deviceId, seq)],
];

describe('quarantine', () => {
  for (const [code, poison] of poisons) {
    it(`sets aside an event with ${code}, keeps it, and the rest still goes as one valid chain`, () => {
      const { s, ids } = filled(10);
      const before = s.db.prepare('SELECT * FROM events WHERE seq = 4').get() as Record<string, unknown>;
      poison(s, 4);
      const poisoned = s.db.prepare('SELECT body, hash, sig, subject FROM events WHERE seq = 4').get() as Record<string, unknown>;
      const run = nextBatch(s, 100);
      expect(run.setAside).toBe(1);
      expect(run.events.map((e) => e.body.id)).toEqual(ids.filter((_, i) => i !== 3));
      expect(expectValidChain(s)).toEqual(ids.filter((_, i) => i !== 3));
      // The batch tip's signature is the device's over the (new) tip hash.
      const tip = run.events[run.events.length - 1]!;
      expect(b64(tip.sig)).toBe(b64(signHash(tip.hash, s.keys.signSecretKey)));
      const q = quarantined(s);
      expect(q).toEqual([expect.objectContaining({ qid: 1, seq: 4, id: before.id, code })]);
      // Kept byte for byte as it was when it was set aside.
      const kept = s.db.prepare('SELECT body, hash, sig, subject FROM quarantine').get() as Record<string, unknown>;
      expect(kept).toEqual(poisoned);
      expect(alerts(s).map((a) => a.code)).toContain('QUARANTINED');
      // Recording goes on after it, on the re-linked head.
      expect(recordVerification(s, syntheticVerification(99, 5)).seq).toBe(10);
      expectValidChain(s);
    });
  }

  it('sets aside several at once, and events already delivered are never touched', () => {
    const { s, ids } = filled(12);
    poisons[0]![1](s, 5);
    poisons[1]![1](s, 9);
    const run = nextBatch(s, 3);
    expect(run.events.map((e) => e.body.seq)).toEqual([1, 2, 3]);
    expect(nextBatch(s, 100).events.map((e) => e.body.id)).toEqual(ids.filter((_, i) => i !== 4 && i !== 8));
    expect(quarantined(s).map((q) => [q.seq, q.code])).toEqual([
      [5, 'SUBJECT_UNREADABLE'],
      [9, 'BODY_INVALID'],
    ]);
    expect(() => setAsideFrom(s, 0)).toThrow();
  });

  it('re-links a long tail page by page', () => {
    const s = openLocalStore({ dataDir: tempDir('idk-q-'), diskReserveBytes: 0, synchronous: 'NORMAL' });
    open.push(s);
    const ids: string[] = [];
    s.db.transaction(() => {
      for (let i = 1; i <= 2500; i++) ids.push(recordVerification(s, syntheticVerification(i, 6)).id);
    })();
    poisons[0]![1](s, 100);
    poisons[1]![1](s, 2200);
    expect(setAsideFrom(s, 100)).toBe(2);
    expect(expectValidChain(s)).toEqual(ids.filter((_, i) => i !== 99 && i !== 2199));
  });

  it('retry puts a sendable event back at the head; one that still fails stays, counted', () => {
    const { s, ids } = filled(6);
    // The server refused record 2 (it is fine here): set aside on its word.
    setAsideFrom(s, 2, new Map([[2, { code: 'SERVER_REJECTED', reason: 'FORGED: event 1 …' }]]));
    poisons[0]![1](s, 3); // was record 4 before the re-link
    nextBatch(s, 100);
    expect(quarantined(s).map((q) => q.code)).toEqual(['SERVER_REJECTED', 'SUBJECT_UNREADABLE']);
    const r = retryQuarantined(s);
    expect(r.requeued).toEqual([{ qid: 1, id: ids[1], seq: 5 }]);
    expect(r.kept).toEqual([expect.objectContaining({ qid: 2, id: ids[3], code: 'SUBJECT_UNREADABLE' })]);
    expect(quarantined(s)).toEqual([expect.objectContaining({ qid: 2, attempts: 1 })]);
    expect(expectValidChain(s)).toEqual([ids[0], ids[2], ids[4], ids[5], ids[1]]);
  });

  it('retry never re-signs a record edited after it was signed', () => {
    const { s } = filled(4);
    poisons[2]![1](s, 2);
    nextBatch(s, 10);
    const r = retryQuarantined(s);
    expect(r.requeued).toEqual([]);
    expect(r.kept).toEqual([expect.objectContaining({ code: 'CHAIN_BROKEN' })]);
    expect(queueCounts(s).head).toBe(3);
  });

  it('queue export of all events goes on past one whose personal data does not decrypt', () => {
    const { s } = filled(3);
    setMeta(s, 'server_box_key', b64(x25519KeyPair().publicKey));
    poisons[0]![1](s, 2);
    const out = [...exportEvents(s)];
    expect(out.map((e) => [e.body.seq, e.subjectUnreadable ?? false, typeof e.subjectSealed])).toEqual([
      [1, false, 'string'],
      [2, true, 'undefined'],
      [3, false, 'string'],
    ]);
  });

  it('exports what was set aside without personal data in clear; status reports it read-only', () => {
    const { s } = filled(3);
    const v = syntheticVerification(2, 5);
    poisons[2]![1](s, 2);
    nextBatch(s, 10);
    const out = [...exportQuarantined(s)];
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ code: 'CHAIN_BROKEN', seq: 2 });
    expect(out[0]!.subjectStored.length).toBeGreaterThan(40);
    expect(JSON.stringify(out)).not.toContain(v.holder.fullName!);
    const c = checkStore({ dataDir: s.dataDir });
    expect(c.status === 'ok' && c.health.quarantined.map((q) => q.code)).toEqual(['CHAIN_BROKEN']);
    // The same summary from the open store (what the kiosk's Status screen would call).
    expect(storeHealth(s)).toMatchObject({ deviceId: s.keys.deviceId, counts: { head: 2, pending: 2 }, quarantined: [{ code: 'CHAIN_BROKEN' }] });
    expect(storeHealth(s).alerts.map((a) => a.code)).toContain('QUARANTINED');
  });

  it("the kiosk's Status names what was set aside, by reason, while they stay unreadable", async () => {
    const { s } = filled(6);
    const status = async () => {
      const st = await storeRecorder(s).status();
      return st.quarantined;
    };
    expect(await status()).toEqual({ count: 0, codes: [] });
    s.db.prepare('UPDATE events SET subject = zeroblob(80) WHERE seq = 2').run();
    s.db.prepare("UPDATE events SET body = substr(body, 1, 40) WHERE seq = 5").run();
    nextBatch(s, 100);
    expect(await status()).toEqual({ count: 2, codes: ['SUBJECT_UNREADABLE', 'BODY_INVALID'] });
    // Still unreadable: a retry keeps them, and Status still shows them.
    retryQuarantined(s);
    expect((await status())?.count).toBe(2);
  });
});
