// kill -9 of the kiosk process at random points while it records verifications and sends
// them: every record the kiosk reported as saved must reach the server, once.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { b64 } from '../../offline-cache/canonical.js';
import { type EventBody, chainHash, genesisHash } from '../../offline-cache/events.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { enrolDevice } from '../../offline-cache/sync/client.js';
import { keyringIn } from '../helpers/ingest.js';
import { SqliteServerStore } from '../../offline-cache/sync/server-store-sqlite.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { tempDir } from '../helpers/cards.js';
import { DIST, killHard, requireDist } from '../helpers/sync-server-child.js';
import { prng } from '../../main/bench/synthetic.js';

const KILLS = 55;
const TOTAL = 100_000; // more than the kills leave time for: the kiosk never finishes on its own
const TOKEN = 'kill-test-token';
const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

interface Run {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function kiosk(dataDir: string, total: number): Run {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../helpers/kiosk-child.mjs'), DIST, dataDir, String(total), '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (code !== null && code !== 0) lines.push(`error ${err}`);
  });
  return { child, lines, exited };
}

describe('kill -9 of the kiosk', () => {
  it(`loses and duplicates nothing across ${KILLS} kills while recording and sending`, { timeout: 240_000 }, async () => {
    requireDist('offline-cache/sync/client.js');
    requireDist('main/bench/synthetic.js');
    const srvDir = tempDir('idk-kill-srv-');
    const db = new SqliteServerStore(join(srvDir, 'ingest.sqlite'));
    const server: Server = createSyncServer({ store: db, keys: await keyringIn(db, srvDir), enrolToken: TOKEN, operatorToken: 'operator-kill' });
    const url = await listen(server);
    cleanup.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await db.close();
    });
    const dataDir = tempDir('idk-kill-kiosk-');
    const s0 = openLocalStore({ dataDir, diskReserveBytes: 0 });
    await enrolDevice(s0, url, TOKEN, 'Bệnh viện - Tiếp đón');
    const device = s0.keys.deviceId;
    const pk = s0.keys.signPublicKey;
    s0.close();

    const random = prng(99);
    const saved = new Map<number, string>();
    const collect = (r: Run): void => {
      for (const l of r.lines) {
        if (l.startsWith('error')) throw new Error(`kiosk failed: ${l}`);
        const m = /^rec (\d+) (\S+)$/.exec(l);
        if (!m) continue;
        const seq = Number(m[1]);
        // A sequence number reported twice with different ids would mean a saved record was lost and replaced.
        if (saved.has(seq)) expect(saved.get(seq)).toBe(m[2]);
        saved.set(seq, m[2]!);
      }
    };
    for (let k = 0; k < KILLS; k++) {
      const r = kiosk(dataDir, TOTAL);
      // Wait until it is recording, then kill at a random moment of its work.
      const t = Date.now();
      while (!r.lines.some((l) => l.startsWith('rec')) && Date.now() - t < 15_000 && r.child.exitCode === null) await new Promise((res) => setTimeout(res, 5));
      await new Promise((res) => setTimeout(res, Math.floor(random() * 250)));
      await killHard(r.child);
      collect(r);
    }
    const lastSaved = Math.max(...saved.keys());
    expect(saved.size).toBeGreaterThan(KILLS);
    // A last run with no kill: it records up to one more than saved, then drains.
    const final = kiosk(dataDir, lastSaved + 1);
    const code = await final.exited;
    collect(final);
    expect(code).toBe(0);
    expect(final.lines).toContain('done');

    const rows = await db.events(device);
    const stats = await db.stats();
    expect(stats.events).toBe(rows.length);
    // Nothing duplicated: one row per sequence number, contiguous, ids unique.
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    // Nothing lost: every record the kiosk reported as saved is on the server with its id.
    const byId = new Map(rows.map((r) => [r.seq, r.id]));
    for (const [seq, id] of saved) expect(byId.get(seq)).toBe(id);
    expect(rows.length).toBe(lastSaved + 1);
    // Chain intact end to end.
    let prev = genesisHash(pk);
    for (const r of rows) {
      prev = chainHash(prev, JSON.parse(r.body) as EventBody);
      expect(b64(prev)).toBe(b64(r.hash));
    }
    const s1 = openLocalStore({ dataDir, diskReserveBytes: 0 });
    expect(s1.db.pragma('integrity_check', { simple: true })).toBe('ok');
    s1.close();
  });
});
