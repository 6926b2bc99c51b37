// Disk full under the kiosk's store, on a real size-limited filesystem (tmpfs): a clear
// error, nothing half-written, the store still opens, and recording resumes once there is room.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { chainHashes, genesisHash } from '../../offline-cache/events.js';
import { pendingRun, queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { alerts } from '../../offline-cache/retention.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { tempDir } from '../helpers/cards.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const mnt = join(tempDir('idk-full-'), 'mnt');
let mounted = false;

function mountSmall(bytes: number): void {
  mkdirSync(mnt, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    throw new Error(`this test mounts a small tmpfs and needs root (or CAP_SYS_ADMIN) and util-linux's mount: ${(e as Error).message}`, { cause: e });
  }
}

afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mnt]);
});

describe('disk full', () => {
  it('refuses with STORE_FULL, corrupts nothing, reopens, and resumes when space is freed', () => {
    mountSmall(3 * 1024 * 1024);
    const dataDir = join(mnt, 'kiosk');
    const filler = join(mnt, 'filler.bin');
    writeFileSync(filler, Buffer.alloc(512 * 1024, 1));

    // First the guard: with a reserve larger than what is free, recording is refused up front.
    const guarded = openLocalStore({ dataDir, diskReserveBytes: 8 * 1024 * 1024 });
    expect(() => recordVerification(guarded, syntheticVerification(0))).toThrow(expect.objectContaining({ code: 'STORE_FULL' }));
    expect(alerts(guarded).map((a) => a.code)).toContain('DISK_FULL');
    guarded.close();

    // Then the real thing: no reserve, so SQLite itself meets the full disk.
    const s = openLocalStore({ dataDir, diskReserveBytes: 0 });
    let saved = 0;
    let error: unknown;
    for (let i = 1; i <= 100_000; i++) {
      try {
        recordVerification(s, syntheticVerification(i, 3));
        saved++;
      } catch (e) {
        error = e;
        break;
      }
    }
    expect(saved).toBeGreaterThan(50);
    expect(error).toMatchObject({ code: 'STORE_FULL' });
    expect((error as { messages: { vi: string; en: string } }).messages.en).toMatch(/disk .* is full.*NOT recorded/);
    expect((error as { messages: { vi: string; en: string } }).messages.vi).toMatch(/đầy/);
    // Again, still a clean refusal (the failed transaction left nothing behind).
    expect(() => recordVerification(s, syntheticVerification(0))).toThrow(expect.objectContaining({ code: 'STORE_FULL' }));
    expect(queueCounts(s)).toMatchObject({ head: saved, stored: saved });
    s.close();

    // Reopen on the still-full disk: it opens, checks clean, and holds exactly what was saved.
    const again = openLocalStore({ dataDir, diskReserveBytes: 0 });
    expect(again.db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(queueCounts(again)).toMatchObject({ head: saved, pending: saved });
    const run = pendingRun(again, saved);
    const hashes = chainHashes(genesisHash(again.keys.signPublicKey), run.events.map((e) => e.body));
    expect(run.events.every((e, i) => b64(e.hash) === b64(hashes[i]!))).toBe(true);
    // Room again: recording continues the same chain.
    rmSync(filler);
    expect(recordVerification(again, syntheticVerification(saved + 1, 3)).seq).toBe(saved + 1);
    again.close();
  });
});
