// Eight processes open the same fresh data folder at once, fifty times over (issue #19): the
// store ends with one identity and every event a process reported is delivered to a real
// ingest server, or a process was clearly refused. Before the store lock, the processes
// each made a key, the last file written won, and the queue was blocked for good.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { type EventBody, chainHashes, genesisHash } from '../../offline-cache/events.js';
import { pendingRun } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { tempDir } from '../helpers/cards.js';
import { INGEST_TOKEN, type Ingest, ingest } from '../helpers/ingest.js';
import { DIST, requireDist } from '../helpers/sync-server-child.js';

const ROUNDS = Number(process.env.IDKIOSK_CONCURRENCY_ROUNDS ?? 50);
const PROCS = 8;
const EACH = 3;

function child(dataDir: string, waitMs: number): Promise<{ lines: string[]; code: number | null; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [join(import.meta.dirname, '../helpers/store-child.mjs'), DIST, dataDir, String(EACH), String(waitMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.once('exit', (code) => resolve({ lines: out.split('\n').filter(Boolean), code, err }));
  });
}

let srv: Ingest | undefined;
afterAll(async () => {
  await srv?.stop();
});

describe('concurrent first opens of a fresh store', () => {
  it(`${PROCS} processes x ${ROUNDS} rounds: one identity, every reported event delivered, or a clear refusal`, { timeout: 600_000 }, async () => {
    requireDist('offline-cache/store.js');
    requireDist('main/bench/synthetic.js');
    srv = await ingest();
    let refusals = 0;
    let delivered = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const dir = tempDir('idk-conc-');
      // Half the rounds wait for the lock (all should get in), half do not wait (most are refused).
      const waitMs = round % 2 === 0 ? 10_000 : 0;
      const runs = await Promise.all(Array.from({ length: PROCS }, () => child(dir, waitMs)));
      const reported = new Map<string, number>();
      const devices = new Set<string>();
      for (const r of runs) {
        expect(r.code, r.err).toBe(0);
        // No stack trace, nothing unexpected on stderr.
        expect(r.err).toBe('');
        for (const l of r.lines) {
          const rec = /^rec (\d+) (\S+) (\S+)$/.exec(l);
          const ref = /^refused (\S+) /.exec(l);
          if (rec) {
            reported.set(rec[2]!, Number(rec[1]));
            devices.add(rec[3]!);
          } else if (ref) {
            expect(ref[1]).toBe('STORE_BUSY');
            refusals++;
          } else expect(l).toBe('done');
        }
      }
      if (waitMs > 0) expect(reported.size).toBe(PROCS * EACH);
      expect(reported.size).toBeGreaterThan(0);
      expect(devices.size).toBe(1);
      expect(readdirSync(dir).filter((f) => f.startsWith('device-key') || f.endsWith('.tmp'))).toEqual(['device-key.json']);
      const s = openLocalStore({ dataDir: dir, diskReserveBytes: 0 });
      try {
        expect(s.keys.deviceId).toBe([...devices][0]);
        const run = pendingRun(s, 1000);
        expect(run.events.map((e) => e.body.id).sort()).toEqual([...reported.keys()].sort());
        const hashes = chainHashes(genesisHash(s.keys.signPublicKey), run.events.map((e) => e.body as EventBody));
        run.events.forEach((e, i) => expect(b64(hashes[i]!)).toBe(b64(e.hash)));
        await enrolDevice(s, srv.url, INGEST_TOKEN, 'concurrency');
        const c = new SyncClient({ store: s });
        const out = await c.drain({ maxMs: 30_000 });
        await c.stop();
        expect(out.pending).toBe(0);
        const onServer = await srv.db.events(s.keys.deviceId);
        expect(onServer.map((e) => e.id).sort()).toEqual([...reported.keys()].sort());
        delivered += onServer.length;
      } finally {
        s.close();
      }
      expect(existsSync(join(dir, 'events.sqlite'))).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, 'device-key.json'), 'utf8')).deviceId).toBe([...devices][0]);
    }
    // Both outcomes were exercised.
    expect(refusals).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(ROUNDS * EACH);
  });
});
