// A poisoned event in the middle of 1,000 (issue #19): its personal data sealed under a key
// this device no longer has, as the old identity race left them. The sender sets it aside
// and the other 999 arrive at a real ingest server (the `idkiosk sync-server` of dist/, in a
// child process), in one chain the server verified; the operator sees it with `queue status`
// and gets it out with `queue export --quarantined`.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { canonical, type Json } from '../../offline-cache/canonical.js';
import { sealField } from '../../offline-cache/crypto-box.js';
import { recordVerification } from '../../offline-cache/outbox.js';
import { randomBytes } from '../../offline-cache/platform-crypto.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { SyncClient, enrolDevice } from '../../offline-cache/sync/client.js';
import { tempDir } from '../helpers/cards.js';
import { DIST, type ServerChild, killHard, requireDist, startServerChild } from '../helpers/sync-server-child.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

const TOKEN = 'quarantine-test-token';
const OPERATOR = 'quarantine-test-operator';
const run = promisify(execFile);
let server: ServerChild | undefined;
afterAll(async () => {
  if (server) await killHard(server.child);
});

async function idkiosk(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(DIST, 'main/cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, IDKIOSK_LANG: 'en' } });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

describe('a poisoned event in the middle of 1,000', () => {
  it('is set aside; the other 999 arrive at a real server; the operator sees and exports it', { timeout: 180_000 }, async () => {
    requireDist('main/cli.js');
    server = await startServerChild(['--data-dir', tempDir('idk-q-srv-'), '--token', TOKEN, '--operator-token', OPERATOR, '--quiet']);
    const dataDir = tempDir('idk-q-kiosk-');
    const s = openLocalStore({ dataDir, diskReserveBytes: 0 });
    const ids: string[] = [];
    s.db.transaction(() => {
      for (let i = 1; i <= 1000; i++) ids.push(recordVerification(s, syntheticVerification(i, 23)).id);
    })();
    // Event 500's personal data, sealed under a data key this device never had.
    s.db.prepare('UPDATE events SET subject = ? WHERE seq = 500').run(sealField(randomBytes(32), new TextEncoder().encode(canonical({ documentNumber: 'X', salt: 'AAAA' } as Json))));
    await enrolDevice(s, server.url, TOKEN, 'Quầy 1');
    const client = new SyncClient({ store: s, initialBatchEvents: 100, maxBatchEvents: 200 });
    const r = await client.drain({ maxMs: 120_000 });
    await client.stop();
    expect(r).toMatchObject({ pending: 0, acked: 999, failures: 0 });
    s.close();

    const stats = (await (await fetch(`${server.url}/stats`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as { events: number; devices: { deviceId: string; events: number; ackSeq: number }[] };
    expect(stats.devices).toEqual([expect.objectContaining({ deviceId: s.keys.deviceId, events: 999, ackSeq: 999 })]);

    // queue status (read-only) names it, with its reason, as a warning: the queue is not blocked.
    const st = await idkiosk(['queue', 'status', '--data-dir', dataDir, '--json']);
    expect(st.code).toBe(0);
    const status = JSON.parse(st.stdout) as { pending: number; delivered: number; quarantined: { id: string; seq: number; code: string }[]; alerts: { code: string }[] };
    expect(status).toMatchObject({ pending: 0, delivered: 999 });
    expect(status.quarantined).toEqual([expect.objectContaining({ qid: 1, id: ids[499], seq: 500, code: 'SUBJECT_UNREADABLE' })]);
    expect(status.alerts.map((a) => a.code)).toContain('QUARANTINED');
    const human = await idkiosk(['queue', 'status', '--data-dir', dataDir]);
    expect(human.stdout).toMatch(/Set aside \(could not be sent\): 1/);
    expect(human.stdout).toContain(ids[499]);

    // A retry cannot make it readable: it stays, counted. Export gets it out, sealed.
    const retry = await idkiosk(['queue', 'retry', '--data-dir', dataDir]);
    expect(retry.code).toBe(3);
    expect(retry.stdout).toMatch(/Back in the queue: 0; still set aside: 1/);
    const out = join(tempDir('idk-q-out-'), 'aside.jsonl');
    const ex = await idkiosk(['queue', 'export', '--quarantined', '--out', out, '--data-dir', dataDir]);
    expect(ex.code).toBe(0);
    expect(ex.stderr).toMatch(/exported 1 records/);
    expect(ex.stderr + ex.stdout).not.toMatch(/\n\s+at /); // no stack trace anywhere
    rmSync(out);
  });
});
