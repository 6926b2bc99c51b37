// One identity per store: the store records its key and refuses any other, or none; one
// writer at a time; a read-only look beside the writer.
import { chmodSync, copyFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { MIGRATIONS } from '../../offline-cache/migrations.js';
import { pendingRun, queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { type LocalStore, type StoreOptions, getMeta, openLocalStore } from '../../offline-cache/store.js';
import { tempDir } from '../helpers/cards.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const open: LocalStore[] = [];
function store(dataDir: string, opts: Partial<StoreOptions> = {}): LocalStore {
  const s = openLocalStore({ dataDir, diskReserveBytes: 0, ...opts });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('one identity per store', () => {
  it('records its key, and a missing key file is refused: never a new identity', () => {
    const dir = tempDir('idk-id-');
    const a = store(dir);
    recordVerification(a, syntheticVerification(1));
    const id = a.keys.deviceId;
    expect(getMeta(a, 'device_id')).toBe(id);
    expect(getMeta(a, 'device_sign_pk')).toBe(b64(a.keys.signPublicKey));
    a.close();
    renameSync(join(dir, 'device-key.json'), join(dir, 'device-key.json.away'));
    expect(() => store(dir)).toThrow(expect.objectContaining({ code: 'KEY_MISSING' }));
    expect(() => store(dir, { readOnly: true })).toThrow(expect.objectContaining({ code: 'KEY_MISSING' }));
    // The refusal made nothing: the key comes back and the store goes on as the same device.
    renameSync(join(dir, 'device-key.json.away'), join(dir, 'device-key.json'));
    const b = store(dir);
    expect(b.keys.deviceId).toBe(id);
    expect(recordVerification(b, syntheticVerification(2)).seq).toBe(2);
  });

  it('a store opened once, with nothing recorded yet, still keeps its identity', () => {
    const dir = tempDir('idk-id-');
    store(dir).close();
    rmSync(join(dir, 'device-key.json'));
    expect(() => store(dir)).toThrow(expect.objectContaining({ code: 'KEY_MISSING' }));
  });

  it("another store's key is refused, with both device ids named", () => {
    const one = tempDir('idk-id-');
    const two = tempDir('idk-id-');
    const a = store(one);
    const b = store(two);
    recordVerification(a, syntheticVerification(1));
    const [ida, idb] = [a.keys.deviceId, b.keys.deviceId];
    a.close();
    b.close();
    copyFileSync(join(two, 'device-key.json'), join(one, 'device-key.json'));
    chmodSync(join(one, 'device-key.json'), 0o600);
    let err: unknown;
    try {
      store(one);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'KEY_MISMATCH', detail: { storeDevice: ida, keyDevice: idb } });
    expect((err as { messages: { vi: string } }).messages.vi).toContain('KHÔNG ghi được');
  });

  it('a store from before identities were recorded adopts its own key, and refuses a stranger', () => {
    const fix = join(import.meta.dirname, '../fixtures/store-v1');
    const legacy = (): string => {
      const d = tempDir('idk-id-legacy-');
      for (const f of ['events.sqlite', 'device-key.json']) {
        copyFileSync(join(fix, f), join(d, f));
        chmodSync(join(d, f), 0o600);
      }
      return d;
    };
    const old = legacy();
    // Older versions made the database 0644: opening it tightens it.
    chmodSync(join(old, 'events.sqlite'), 0o644);
    const ok = store(old);
    expect(statSync(join(old, 'events.sqlite')).mode & 0o777).toBe(0o600);
    expect(ok.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(getMeta(ok, 'device_id')).toBe(ok.keys.deviceId);
    expect(queueCounts(ok).head).toBe(12);
    const d = legacy();
    const stranger = store(tempDir('idk-id-'));
    stranger.close();
    copyFileSync(join(stranger.dataDir, 'device-key.json'), join(d, 'device-key.json'));
    expect(() => store(d)).toThrow(expect.objectContaining({ code: 'KEY_MISMATCH' }));
  });
});

describe('one writer at a time', () => {
  it('a second open waits briefly, then says the store is in use; after close it opens', () => {
    const dir = tempDir('idk-lock-');
    const a = store(dir);
    const t0 = Date.now();
    expect(() => openLocalStore({ dataDir: dir, lockWaitMs: 300 })).toThrow(expect.objectContaining({ code: 'STORE_BUSY' }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    a.close();
    expect(store(dir, { lockWaitMs: 300 }).keys.deviceId).toBe(a.keys.deviceId);
  });

  it('a read-only open works beside the writer, sees its records, and records nothing', () => {
    const dir = tempDir('idk-lock-');
    const w = store(dir);
    for (let i = 1; i <= 3; i++) recordVerification(w, syntheticVerification(i));
    const r = store(dir, { readOnly: true });
    expect(r.readOnly).toBe(true);
    expect(queueCounts(r)).toMatchObject({ head: 3, pending: 3 });
    expect(pendingRun(r, 10).events.map((e) => e.body.seq)).toEqual([1, 2, 3]);
    expect(() => recordVerification(r, syntheticVerification(4))).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
    recordVerification(w, syntheticVerification(4));
    expect(queueCounts(r).head).toBe(4);
  });
});
