// `idkiosk doctor` against a real station set-up (pcscd + vpcd with the demo card, a store
// with queued verifications enrolled with a real ingest server, a trust folder), then each
// part broken on purpose: pcscd stopped, a read-only data dir, a full disk (small tmpfs),
// an out-of-date CRL, an unreachable server, a skewed clock, the face models gone. Each must
// give the right status and fix. The doctor runs as the CLI does, a child process (--json).
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCrl, loadPki } from '../../drivers/emulator/test-pki.js';
import { CHECK_IDS } from '../../main/doctor/doctor.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { recordVerification } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { nextBatch } from '../../offline-cache/quarantine.js';
import { KEY_FILE } from '../../offline-cache/device-keys.js';
import { enrolDevice } from '../../offline-cache/sync/client.js';
import { tempDir } from '../helpers/cards.js';
import { INGEST_TOKEN, type Ingest, OPERATOR_TOKEN, ingest } from '../helpers/ingest.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';
import { run } from '../install/helpers.js';
import { type Fixture, insert, startFixture, stopFixture } from './pcsc-fixture.js';

const CLI = join(packageRoot(), 'dist/main/cli.js');
const DEMO_PKI = join(packageRoot(), 'drivers/emulator/demo/pki');

interface Report {
  checks: Array<{ id: string; status: 'ok' | 'warn' | 'fail'; message: string; fix?: string }>;
  ok: boolean;
}

let fixture: Fixture | undefined;
let server: Ingest | undefined;
let dataDir: string;
let goodTrust: string;

function byId(r: Report, id: string) {
  const c = r.checks.find((x) => x.id === id);
  if (!c) throw new Error(`no check "${id}" in ${JSON.stringify(r)}`);
  return c;
}

/** `idkiosk doctor --json …` as a process, optionally inside `sh -c` set-up in a private mount namespace. */
async function doctor(args: string[], o: { lang?: 'vi' | 'en'; namespace?: string; dataDir?: string } = {}): Promise<{ code: number; report: Report; stderr: string }> {
  const env = { ...process.env, IDKIOSK_LANG: o.lang ?? 'en', IDKIOSK_DATA_DIR: o.dataDir ?? dataDir, IDKIOSK_SYNC_URL: '' };
  const argv = [CLI, 'doctor', '--json', ...args];
  const r = o.namespace
    ? await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${o.namespace} && exec "$0" "$@"`, process.execPath, ...argv], { env })
    : await run(process.execPath, argv, { env });
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('the doctor tests mount file systems in a private namespace and stop pcscd: run them as root (CI does)');
  fixture = await startFixture();
  await insert(fixture, demoCard('cccd'), 0);
  server = await ingest();
  dataDir = tempDir('idk-doctor-data-');
  const store = openLocalStore({ dataDir });
  try {
    await enrolDevice(store, server.url, INGEST_TOKEN, 'doctor test');
    for (let i = 1; i <= 3; i++) recordVerification(store, syntheticVerification(i, 7));
  } finally {
    store.close();
  }
  // The demo CSCA with a CRL issued now (the shipped demo CRL ages like any other).
  goodTrust = tempDir('idk-doctor-trust-');
  copyFileSync(join(DEMO_PKI, 'csca.pem'), join(goodTrust, 'csca.pem'));
  writeFileSync(join(goodTrust, 'csca.crl'), await issueCrl((await loadPki(DEMO_PKI)).csca, []));
});

afterAll(async () => {
  await server?.stop();
  await stopFixture(fixture);
});

describe('idkiosk doctor', () => {
  it('a working station: every check listed, the right ones ok, exit 0', async () => {
    const { code, report } = await doctor(['--trust', goodTrust, '--reader', fixture!.slot0, '--no-face']);
    expect(report.checks.map((c) => c.id)).toEqual([...CHECK_IDS]);
    for (const c of report.checks) {
      expect(['ok', 'warn', 'fail']).toContain(c.status);
      expect(typeof c.message).toBe('string');
      // A fix exactly where something is wrong.
      expect(c.fix === undefined).toBe(c.status === 'ok');
    }
    for (const id of ['version', 'pcsc-binding', 'pcscd', 'keychain', 'data-dir', 'disk', 'store', 'trust', 'sync', 'clock', 'face']) expect(byId(report, id).status, `${id}: ${byId(report, id).message}`).toBe('ok');
    expect(byId(report, 'pcscd').message).toContain(`"${fixture!.slot0}" (card present)`);
    expect(byId(report, 'store').message).toContain('3 unsent');
    expect(byId(report, 'disk').message).toMatch(/room for about \d+ days/);
    expect(byId(report, 'sync').message).toContain(server!.url);
    expect(byId(report, 'trust').message).toMatch(/^1 CSCA, 1 CRL/);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
  });

  it('prints one line per check in Vietnamese, a fix on each that is not ok', async () => {
    const r = await run(process.execPath, [CLI, 'doctor', '--sync', 'http://127.0.0.1:1/', '--no-face'], { env: { ...process.env, IDKIOSK_LANG: 'vi', IDKIOSK_DATA_DIR: dataDir } });
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(CHECK_IDS.length + 1);
    const sync = lines.find((l) => /^\[cảnh báo\]\s+sync\s/.test(l));
    expect(sync).toContain('cách sửa: Kiểm tra mạng');
    expect(lines.find((l) => /\sversion\s/.test(l))).toMatch(/^\[ổn\]/);
  });

  it('an out-of-date CRL fails trust and says to fetch a new one', async () => {
    const pki = await loadPki(DEMO_PKI);
    const dir = tempDir('idk-doctor-oldcrl-');
    copyFileSync(join(DEMO_PKI, 'csca.pem'), join(dir, 'csca.pem'));
    const day = 86_400_000;
    writeFileSync(join(dir, 'old.crl'), await issueCrl(pki.csca, [], { thisUpdate: new Date(Date.now() - 100 * day), nextUpdate: new Date(Date.now() - 10 * day) }));
    const { code, report } = await doctor(['--trust', dir, '--no-face']);
    const t = byId(report, 'trust');
    expect(t.status).toBe('fail');
    expect(t.message).toContain('CRL past its next update: old.crl');
    expect(t.fix).toContain("Download the issuer's current CRL");
    expect(code).toBe(1);
  });

  it('an unreachable server is a warning (nothing is lost), and the clock cannot be compared', async () => {
    const { report } = await doctor(['--sync', 'http://127.0.0.1:1/', '--no-face']);
    expect(byId(report, 'sync')).toMatchObject({ status: 'warn', message: expect.stringContaining('ECONNREFUSED') });
    expect(byId(report, 'sync').fix).toContain('Check the network');
    expect(byId(report, 'sync').message).toContain('3 results wait');
    expect(byId(report, 'clock').status).toBe('warn');
  });

  it('a skewed clock against the server: 10 minutes fails, 30 s warns, both say how to sync time', async () => {
    for (const [skewS, status] of [[600, 'fail'], [30, 'warn']] as const) {
      const skewed = await ingest(tempDir('idk-srv-'), 0, INGEST_TOKEN, () => Date.now() + skewS * 1000);
      try {
        const { report } = await doctor(['--sync', skewed.url, '--no-face']);
        const c = byId(report, 'clock');
        expect(c.status, c.message).toBe(status);
        expect(c.message).toMatch(new RegExp(`is (${skewS - 1}|${skewS}|${skewS + 1}) s behind the server`));
        expect(c.fix).toContain('timedatectl set-ntp true');
        // That server answers but never enrolled this station.
        expect(byId(report, 'sync')).toMatchObject({ status: 'warn', message: expect.stringContaining('not enrolled') });
      } finally {
        await skewed.stop();
      }
    }
  });

  it('a read-only data dir fails data-dir with the remount fix; the store is still read', async () => {
    const { code, report } = await doctor(['--no-face'], { namespace: `mount --bind "${dataDir}" "${dataDir}" && mount -o remount,bind,ro "${dataDir}"` });
    const d = byId(report, 'data-dir');
    expect(d.status).toBe('fail');
    expect(d.message).toContain('read-only');
    expect(d.fix).toContain('mount -o remount,rw');
    expect(byId(report, 'store')).toMatchObject({ status: 'ok', message: expect.stringContaining('3 unsent') });
    expect(code).toBe(1);
  });

  it('events set aside warn with their reasons and the queue commands; a missing or foreign device key fails the store', async () => {
    const copyOf = (): string => {
      const d = tempDir('idk-doctor-copy-');
      for (const f of readdirSync(dataDir)) copyFileSync(join(dataDir, f), join(d, f));
      return d;
    };
    const poisoned = copyOf();
    const s = openLocalStore({ dataDir: poisoned });
    try {
      s.db.prepare('UPDATE events SET subject = zeroblob(80) WHERE seq = 2').run();
      expect(nextBatch(s, 100).setAside).toBe(1);
    } finally {
      s.close();
    }
    const q = byId((await doctor(['--no-face'], { dataDir: poisoned })).report, 'store');
    expect(q.status).toBe('warn');
    expect(q.message).toContain('1 set aside because they could not be sealed or sent (SUBJECT_UNREADABLE)');
    expect(q.fix).toContain('idkiosk queue retry');

    const keyless = copyOf();
    rmSync(join(keyless, KEY_FILE));
    const missing = byId((await doctor(['--no-face'], { dataDir: keyless })).report, 'store');
    expect(missing).toMatchObject({ status: 'fail', message: expect.stringContaining('KEY_MISSING') });
    expect(missing.fix).toContain('Restore');

    const foreign = copyOf();
    const other = openLocalStore({ dataDir: tempDir('idk-doctor-other-') });
    other.close();
    copyFileSync(join(other.dataDir, KEY_FILE), join(foreign, KEY_FILE));
    const { code, report } = await doctor(['--no-face'], { dataDir: foreign });
    expect(byId(report, 'store')).toMatchObject({ status: 'fail', message: expect.stringContaining('KEY_MISMATCH') });
    expect(code).toBe(1);
  });

  it('a station the operator revoked fails sync, and says to ask why', async () => {
    const own = await ingest(tempDir('idk-srv-revoke-'));
    try {
      const d = tempDir('idk-doctor-revoked-');
      const st = openLocalStore({ dataDir: d });
      const id = st.keys.deviceId;
      try {
        await enrolDevice(st, own.url, INGEST_TOKEN, 'doctor revoke');
      } finally {
        st.close();
      }
      const ok = byId((await doctor(['--no-face'], { dataDir: d })).report, 'sync');
      expect(ok.status, ok.message).toBe('ok');
      const r = await fetch(`${own.url}/v1/admin/devices/${id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'lost' }) });
      expect(r.status).toBe(200);
      const revoked = byId((await doctor(['--no-face'], { dataDir: d })).report, 'sync');
      expect(revoked).toMatchObject({ status: 'fail', message: expect.stringContaining('has revoked this station') });
      expect(revoked.fix).toContain('Ask the server administrator');
    } finally {
      await own.stop();
    }
  });

  it('a full disk (a small tmpfs) fails disk: recording is refused, free space is the fix', async () => {
    const full = tempDir('idk-doctor-full-');
    const copy = readdirSync(dataDir).map((f) => `cp -p "${join(dataDir, f)}" "${full}/"`).join(' && ');
    // The store on an 8 MiB file system (below the 16 MiB reserve), then filled up.
    const setup = `mount -t tmpfs -o size=8m,mode=700 tmpfs "${full}" && ${copy} && (dd if=/dev/zero of="${full}/filler" bs=1M count=6 2>/dev/null || true)`;
    const { code, report } = await doctor(['--no-face'], { namespace: setup, dataDir: full });
    const d = byId(report, 'disk');
    expect(d.status).toBe('fail');
    expect(d.message).toContain('refuses to record new results');
    expect(d.fix).toContain('Free some space');
    expect(byId(report, 'store').status).toBe('ok');
    expect(code).toBe(1);
  });

  it('face models that cannot load: doctor says face is off with the reason, and so does the kiosk status', async () => {
    const models = join(packageRoot(), 'node_modules/@vladmandic/face-api/model');
    const hide = `mount -t tmpfs -o size=1m tmpfs "${models}"`;
    const { report } = await doctor([], { namespace: hide });
    const f = byId(report, 'face');
    expect(f.status).toBe('fail');
    expect(f.message).toMatch(/^Face matching OFF: .*FACE_MODEL_MISSING/);
    expect(f.fix).toContain('Reinstall');
    // The kiosk itself, in the same situation: its status (what the Status screen draws) shows face off and why.
    const script = `
      const { kioskFor } = await import(${JSON.stringify(join(packageRoot(), 'dist/main/kiosk/kiosk.js'))});
      const k = await kioskFor({ card: ${JSON.stringify(demoCard('cccd'))}, face: true, dataDir: ${JSON.stringify(tempDir('idk-doctor-kiosk-'))}, log: () => {} });
      let face;
      for (let i = 0; i < 300; i++) {
        face = (await k.handlers.status({})).devices.find((d) => d.kind === 'face');
        if (face.state !== 'ok') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      process.stdout.write(JSON.stringify(face));
      await k.close();`;
    // A file, not -e: workers inherit the parent's exec arguments.
    const file = join(tempDir('idk-doctor-script-'), 'status.mjs');
    writeFileSync(file, script);
    const r = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${hide} && exec "$0" "$1"`, process.execPath, file]);
    const face = JSON.parse(r.stdout) as { state: string; reason?: { code: string; messages: { vi: string; en: string } } };
    expect(face.state).toBe('off');
    expect(face.reason?.code).toBe('FACE_MODEL_MISSING');
    expect(face.reason?.messages.vi).toContain('Thiếu tệp mô hình khuôn mặt');
  });

  it('pcscd stopped: pcscd fails with how to start it; in demo mode only a warning', async () => {
    await fixture!.pcscd.stop();
    const { code, report } = await doctor(['--no-face']);
    const p = byId(report, 'pcscd');
    expect(p.status).toBe('fail');
    expect(p.message).toContain('pcscd is not running');
    expect(p.fix).toContain('systemctl start pcscd.socket');
    expect(code).toBe(1);
    const demo = await doctor(['--demo', '--no-face'], { dataDir: tempDir('idk-doctor-demo-') });
    expect(byId(demo.report, 'pcscd').status).toBe('warn');
    expect(demo.code).toBe(demo.report.ok ? 0 : 1);
  });
});
