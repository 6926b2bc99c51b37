import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { b64, unb64 } from '../../offline-cache/canonical.js';
import { type KeySealer, loadOrCreateDeviceKeys, safeStorageSealer } from '../../offline-cache/device-keys.js';
import { chainHashes, genesisHash, verifyHashSignature, type EventBody } from '../../offline-cache/events.js';
import { acknowledge, exportEvents, pendingRun, queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { MIGRATIONS } from '../../offline-cache/migrations.js';
import { alerts } from '../../offline-cache/retention.js';
import { type LocalStore, type StoreOptions, openLocalStore } from '../../offline-cache/store.js';
import { tempDir } from '../helpers/cards.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const open: LocalStore[] = [];
function store(opts: Partial<StoreOptions> = {}): LocalStore {
  const s = openLocalStore({ dataDir: opts.dataDir ?? tempDir('idk-store-'), diskReserveBytes: 0, ...opts });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('local store', () => {
  it('is WAL with synchronous=FULL, migrated, and every file it makes is 0600', () => {
    const s = store();
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(s.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    recordVerification(s, syntheticVerification(1));
    for (const f of ['device-key.json', 'events.sqlite', 'events.sqlite-wal', 'events.sqlite-shm', 'store.lock']) {
      expect([f, statSync(join(s.dataDir, f)).mode & 0o777]).toEqual([f, 0o600]);
    }
    expect(s.keys.protection).toBe('file-0600');
  });

  it('records signed, chained events with personal data encrypted at rest', () => {
    const s = store();
    const inputs = Array.from({ length: 30 }, (_, i) => syntheticVerification(i, 7));
    const recs = inputs.map((v) => recordVerification(s, v));
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    s.db.pragma('wal_checkpoint(TRUNCATE)');
    const raw = readFileSync(s.dbPath).toString('utf8');
    for (const v of inputs) {
      expect(raw).not.toContain(v.holder.fullName!);
      expect(raw).not.toContain(v.holder.idNumber!);
    }
    const run = pendingRun(s, 100);
    expect(run.events.map((e) => e.subject.fullName)).toEqual(inputs.map((v) => v.holder.fullName!.normalize('NFC')));
    const hashes = chainHashes(genesisHash(s.keys.signPublicKey), run.events.map((e) => e.body));
    run.events.forEach((e, i) => {
      expect(b64(hashes[i]!)).toBe(b64(e.hash));
      expect(verifyHashSignature(e.hash, e.sig, s.keys.signPublicKey)).toBe(true);
    });
  });

  it('an edit made directly in the database breaks the chain', () => {
    const s = store();
    for (let i = 0; i < 5; i++) recordVerification(s, syntheticVerification(i));
    const row = s.db.prepare('SELECT body FROM events WHERE seq = 3').get() as { body: string };
    const tampered = JSON.parse(row.body) as EventBody;
    tampered.result = tampered.result === 'accepted' ? 'rejected' : 'accepted';
    s.db.prepare('UPDATE events SET body = ? WHERE seq = 3').run(JSON.stringify(tampered));
    const run = pendingRun(s, 10);
    const hashes = chainHashes(genesisHash(s.keys.signPublicKey), run.events.map((e) => e.body));
    expect(b64(hashes[2]!)).not.toBe(b64(run.events[2]!.hash));
    expect(b64(hashes[4]!)).not.toBe(b64(run.events[4]!.hash));
  });

  it('survives reopening: same device, chain continues, migrations not re-run', () => {
    const dir = tempDir('idk-store-');
    const a = openLocalStore({ dataDir: dir, diskReserveBytes: 0 });
    recordVerification(a, syntheticVerification(1));
    const id = a.keys.deviceId;
    a.close();
    const b = store({ dataDir: dir });
    expect(b.keys.deviceId).toBe(id);
    expect(recordVerification(b, syntheticVerification(2)).seq).toBe(2);
  });

  it('refuses a key file others can read, and a plain-text safeStorage backend', () => {
    const dir = tempDir('idk-store-');
    loadOrCreateDeviceKeys(dir);
    chmodSync(join(dir, 'device-key.json'), 0o644);
    expect(() => loadOrCreateDeviceKeys(dir)).toThrow(expect.objectContaining({ code: 'KEY_FILE_INSECURE' }));
    // Electron's safeStorage API shape on Linux without a keyring: 'basic_text'.
    const basic = safeStorageSealer({
      isEncryptionAvailable: () => true,
      getSelectedStorageBackend: () => 'basic_text',
      encryptString: (t) => Buffer.from(t),
      decryptString: (b) => b.toString(),
    })!;
    expect(basic.plaintext).toBe(true);
    expect(() => loadOrCreateDeviceKeys(tempDir(), { sealer: basic })).toThrow(expect.objectContaining({ code: 'KEY_STORAGE_INSECURE' }));
    const warnings: string[] = [];
    const k = loadOrCreateDeviceKeys(tempDir(), { sealer: basic, allowPlaintextSealer: true, warn: (m) => warnings.push(m) });
    expect(k.protection).toBe('safeStorage:basic_text');
    expect(warnings.join()).toMatch(/plain text/);
  });

  it('seals the key with an injected sealer and needs it to reopen', () => {
    const dir = tempDir('idk-store-');
    const xor = (b: Uint8Array): Uint8Array => b.map((x) => x ^ 0x5a);
    const sealer: KeySealer = { name: 'safeStorage:gnome_libsecret', plaintext: false, seal: xor, unseal: xor };
    const k = loadOrCreateDeviceKeys(dir, { sealer });
    const file = JSON.parse(readFileSync(join(dir, 'device-key.json'), 'utf8')) as { secret: string };
    expect(b64(unb64(file.secret).subarray(32))).not.toBe(b64(k.dataKey));
    expect(b64(loadOrCreateDeviceKeys(dir, { sealer }).dataKey)).toBe(b64(k.dataKey));
    expect(() => loadOrCreateDeviceKeys(dir)).toThrow(expect.objectContaining({ code: 'KEY_SEALER_MISSING' }));
  });

  it('at the queue limit refuses new records, drops nothing, and warns before', () => {
    const s = store({ queueLimit: 10 });
    for (let i = 0; i < 8; i++) recordVerification(s, syntheticVerification(i));
    expect(alerts(s).map((a) => a.code)).toContain('QUEUE_NEAR_LIMIT');
    recordVerification(s, syntheticVerification(8));
    recordVerification(s, syntheticVerification(9));
    expect(() => recordVerification(s, syntheticVerification(10))).toThrow(expect.objectContaining({ code: 'QUEUE_FULL' }));
    expect(alerts(s).find((a) => a.code === 'QUEUE_FULL')?.level).toBe('critical');
    expect(queueCounts(s)).toMatchObject({ head: 10, pending: 10, stored: 10 });
    acknowledge(s, 4, pendingRun(s, 4).events[3]!.hash);
    expect(recordVerification(s, syntheticVerification(10)).seq).toBe(11);
  });

  it('purges delivered events after the retention period, never undelivered ones', () => {
    let now = 1_800_000_000_000;
    const s = store({ retentionMs: 1000, now: () => now });
    for (let i = 0; i < 6; i++) recordVerification(s, syntheticVerification(i));
    const run = pendingRun(s, 10);
    expect(acknowledge(s, 4, run.events[3]!.hash)).toEqual({ newlyAcked: 4, purged: 0 });
    now += 1001;
    // The next acknowledgement purges what has been delivered for longer than the period.
    expect(acknowledge(s, 5, run.events[4]!.hash)).toEqual({ newlyAcked: 1, purged: 4 });
    expect(queueCounts(s)).toMatchObject({ head: 6, acked: 5, pending: 1, stored: 2 });
    // The chain still continues from the purged part.
    expect(pendingRun(s, 10).from).toBe(6);
    expect(b64(pendingRun(s, 10).prev)).toBe(b64(run.events[4]!.hash));
    expect(() => acknowledge(s, 9)).toThrow(expect.objectContaining({ code: 'SERVER_AHEAD' }));
    expect(() => acknowledge(s, 6, run.events[0]!.hash)).toThrow(expect.objectContaining({ code: 'CHAIN_DIVERGED' }));
  });

  it('exports events without personal data in clear', () => {
    const s = store();
    const v = syntheticVerification(4);
    recordVerification(s, v);
    const out = [...exportEvents(s)];
    expect(out).toHaveLength(1);
    expect(JSON.stringify(out)).not.toContain(v.holder.fullName!);
    expect(out[0]!.subjectSealed).toBeUndefined();
  });
});
