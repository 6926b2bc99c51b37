// The Linux kiosk package as an administrator meets it: build idkiosk_<version>_amd64.deb with
// build/deb/build-deb.sh (dpkg-deb), install it with apt-get on this machine, run the
// installed `idkiosk doctor` and `idkiosk demo --once`, read the demo card live through pcscd
// + vpcd with the packaged PC/SC binding, start the headless host as the unit starts it and
// the Chromium launcher on it; then upgrade (data and unsent queue kept), remove (kept),
// purge with an unsent event (asks; the non-interactive default keeps the data), purge again
// answering yes (deleted). Runs as root; wrap it in flock /tmp/idkiosk-pcscd.lock (pcscd).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCrl, loadPki } from '../../drivers/emulator/test-pki.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';
import { type Fixture, insert, startFixture, stopFixture } from '../integration/pcsc-fixture.js';
import { type Ran, requireCommand, requireRoot, run } from './helpers.js';

const ROOT = packageRoot();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const V1 = `${VERSION}+test.1`;
const V2 = `${VERSION}+test.2`;
const DATA = '/var/lib/idkiosk';
const APT = ['-y', '-q', '-o', 'DPkg::Lock::Timeout=300'];
const ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', IDKIOSK_LANG: 'en' };

let debs: { v1: string; v2: string };
let fixture: Fixture | undefined;
let installed = false;

async function apt(args: string[]): Promise<Ran> {
  const r = await run('apt-get', [...APT, ...args], { env: ENV });
  if (r.code !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

/** The installed command, as an administrator runs it (root; the wrapper works as the service's user). */
function idkiosk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return run('/usr/bin/idkiosk', args, { env: { ...ENV, ...env } });
}

async function pending(): Promise<number> {
  const r = await idkiosk(['queue', 'status', '--json']);
  if (r.code !== 0) throw new Error(`queue status failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { pending: number }).pending;
}

async function dpkgVersion(): Promise<string | undefined> {
  const r = await run('dpkg-query', ['-W', '-f=${Status} ${Version}', 'idkiosk']);
  const m = /install ok installed (\S+)/.exec(r.stdout);
  return m?.[1];
}

function get(url: URL): Promise<{ status: number; csp: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, csp: String(res.headers['content-security-policy'] ?? '') }));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(async () => {
  requireRoot('apt-get installs the package system-wide');
  for (const [cmd, pkg] of [['dpkg-deb', 'dpkg'], ['apt-get', 'apt'], ['debconf-set-selections', 'debconf'], ['runuser', 'util-linux'], ['chromium', 'chromium']] as const) requireCommand(cmd, pkg);
  if (await dpkgVersion()) throw new Error('idkiosk is installed on this machine already: this test would replace and purge it; remove it first (apt-get purge idkiosk)');
  if (existsSync(DATA)) throw new Error(`${DATA} exists (kept by an earlier purge?): move it away first, the test purges it`);
  const out = tempDir('idk-deb-');
  const built: string[] = [];
  for (const v of [V1, V2]) {
    const r = await run('bash', [join(ROOT, 'build/deb/build-deb.sh'), '--version', v, '--out', out], { cwd: ROOT });
    if (r.code !== 0) throw new Error(`build-deb.sh failed (${r.code}): ${r.stderr}`);
    built.push(r.stdout.trim());
  }
  debs = { v1: built[0]!, v2: built[1]! };
  fixture = await startFixture();
  await insert(fixture, demoCard('cccd'), 0);
});

afterAll(async () => {
  await stopFixture(fixture);
  // Leave the machine as it was: no package, no data folder (the test made both).
  if (installed || (await dpkgVersion())) await run('apt-get', [...APT, 'purge', 'idkiosk'], { env: ENV });
  await run('rm', ['-rf', DATA, '/run/idkiosk']);
});

describe('the .deb', () => {
  it('is built by dpkg-deb with its own Node, the unit, the launcher and the Depends', async () => {
    expect(debs.v1).toMatch(/idkiosk_.+\+test\.1_amd64\.deb$/);
    const info = await run('dpkg-deb', ['-f', debs.v1, 'Depends', 'Version']);
    expect(info.stdout).toContain('pcscd, libpcsclite1, chromium');
    // The printed record (main/formats/pdf.ts) needs a Vietnamese font.
    expect(info.stdout).toContain('fonts-noto-core');
    expect(info.stdout).toContain(`Version: ${V1}`);
    const files = (await run('dpkg-deb', ['-c', debs.v1])).stdout;
    for (const f of ['./usr/lib/idkiosk/node/bin/node', './usr/bin/idkiosk', './usr/bin/idkiosk-browser', './lib/systemd/system/idkiosk.service', './usr/lib/idkiosk/app/dist/main/cli.js', 'smartcard_napi.node', 'better_sqlite3.node']) expect(files).toContain(f);
    // Only production dependencies travel.
    expect(files).not.toContain('node_modules/vitest/');
    expect(files).not.toContain('node_modules/electron-builder/');
  });

  it('installs with apt-get: the service user, its 0700 data folder, a unit systemd accepts', async () => {
    await apt(['install', debs.v1]);
    installed = true;
    expect(await dpkgVersion()).toBe(V1);
    const st = statSync(DATA);
    expect(st.mode & 0o777).toBe(0o700);
    expect((await run('id', ['-un', String(st.uid)])).stdout.trim()).toBe('idkiosk');
    const node = await run('/usr/lib/idkiosk/node/bin/node', ['--version']);
    expect(node.stdout.trim()).toBe(process.version);
    const verify = await run('systemd-analyze', ['verify', '/lib/systemd/system/idkiosk.service']);
    expect(verify.stderr).not.toMatch(/idkiosk\.service:\d+:/);
  });

  it('installed: a live read through pcscd with the packaged binding, recorded in the service\'s store', async () => {
    // The demo CSCA as this station's trust, with a CRL issued now.
    const pki = join(ROOT, 'drivers/emulator/demo/pki');
    writeFileSync('/etc/idkiosk/trust/csca.pem', readFileSync(join(pki, 'csca.pem')));
    writeFileSync('/etc/idkiosk/trust/csca.crl', await issueCrl((await loadPki(pki)).csca, []));
    const r = await idkiosk(['read', '--reader', fixture!.slot0, '--can', '012345', '--trust', '/etc/idkiosk/trust', '--record', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout) as { authenticity: { passive: string } };
    expect(o.authenticity.passive).toBe('valid');
    expect(await pending()).toBe(1);
    expect(statSync(join(DATA, 'events.sqlite')).uid).toBe(statSync(DATA).uid);
  });

  it('installed: idkiosk doctor checks the service\'s set-up from the installed path', async () => {
    const r = await idkiosk(['doctor', '--json']);
    const report = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; message: string; fix?: string }>; ok: boolean };
    const c = (id: string) => report.checks.find((x) => x.id === id)!;
    expect(c('version').message).toContain('/usr/lib/idkiosk/app');
    expect(c('version').message).toContain(process.version);
    for (const id of ['pcsc-binding', 'pcscd', 'keychain', 'data-dir', 'store', 'trust', 'face']) expect(c(id).status, `${id}: ${c(id).message}`).toBe('ok');
    expect(c('pcscd').message).toContain(fixture!.slot0);
    expect(c('data-dir').message).toContain(DATA);
    expect(c('store').message).toContain('1 unsent');
    expect(c('trust').message).toMatch(/^1 CSCA, 1 CRL/);
    expect(r.code).toBe(report.ok ? 0 : 1);
  });

  it('installed: idkiosk demo --once says genuine', async () => {
    const r = await idkiosk(['demo', '--once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Result: Lê Thị Mẫu — GREEN — GENUINE/);
  });

  it('the unit\'s command starts the headless host, and idkiosk-browser opens Chromium in kiosk mode on it', async () => {
    const unit = readFileSync('/lib/systemd/system/idkiosk.service', 'utf8');
    const exec = /^ExecStart=(.+)$/m.exec(unit)![1]!.replace('$IDKIOSK_START_OPTIONS', '').trim().split(/\s+/);
    // What systemd's RuntimeDirectory= and User= would do.
    await run('install', ['-d', '-m', '0750', '-o', 'idkiosk', '-g', 'idkiosk', '/run/idkiosk']);
    const host = spawn('runuser', ['-u', 'idkiosk', '--', ...exec], { env: { ...ENV, IDKIOSK_DATA_DIR: DATA, IDKIOSK_TRUST_DIR: '/etc/idkiosk/trust' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    host.stdout.on('data', (d: Buffer) => (log += d.toString()));
    host.stderr.on('data', (d: Buffer) => (log += d.toString()));
    try {
      for (let i = 0; i < 150 && !existsSync('/run/idkiosk/url'); i++) await new Promise((r) => setTimeout(r, 200));
      expect(existsSync('/run/idkiosk/url'), log).toBe(true);
      expect(statSync('/run/idkiosk/url').mode & 0o777).toBe(0o640);
      const url = new URL(readFileSync('/run/idkiosk/url', 'utf8').trim());
      expect(url.host).toBe('127.0.0.1:8917');
      const page = await get(url);
      expect(page.status).toBe(200);
      expect(page.csp).toContain("script-src 'self'");
      const browser = await run('/usr/bin/idkiosk-browser', [], { env: { ...ENV, IDKIOSK_BROWSER: 'echo', HOME: tempDir('idk-browser-home-') } });
      expect(browser.code).toBe(0);
      expect(browser.stdout).toContain('--kiosk');
      expect(browser.stdout.trim().endsWith(url.href)).toBe(true);
    } finally {
      host.kill('SIGTERM');
      await new Promise((r) => host.once('exit', r));
    }
  });

  it('upgrades to a newer build keeping the data folder, the device key and the unsent queue', async () => {
    const key = readFileSync(join(DATA, 'device-key.json'));
    await apt(['install', debs.v2]);
    expect(await dpkgVersion()).toBe(V2);
    expect(readFileSync(join(DATA, 'device-key.json')).equals(key)).toBe(true);
    expect(await pending()).toBe(1);
  });

  it('remove keeps the data and the settings', async () => {
    await apt(['remove', 'idkiosk']);
    expect(existsSync('/usr/bin/idkiosk')).toBe(false);
    expect(existsSync('/usr/lib/idkiosk')).toBe(false);
    for (const f of ['events.sqlite', 'device-key.json']) expect(existsSync(join(DATA, f)), f).toBe(true);
    expect(existsSync('/etc/default/idkiosk')).toBe(true);
    expect(readFileSync(join(DATA, '.unsent-at-removal'), 'utf8').trim()).toBe('1');
  });

  it('purge with an unsent verification asks first; the non-interactive default keeps the data', async () => {
    const r = await apt(['purge', 'idkiosk']);
    expect(await dpkgVersion()).toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toContain('kept /var/lib/idkiosk (1 unsent verifications)');
    expect(existsSync(join(DATA, 'events.sqlite'))).toBe(true);
    expect(existsSync('/etc/default/idkiosk')).toBe(false);
  });

  it('reinstalled, the kept queue is there again; purge answered "yes" deletes the data', async () => {
    await apt(['install', debs.v2]);
    expect(await pending()).toBe(1);
    const pre = await run('debconf-set-selections', [], { input: 'idkiosk idkiosk/purge-unsent boolean true\n' });
    expect(pre.code, pre.stderr).toBe(0);
    await apt(['purge', 'idkiosk']);
    installed = false;
    expect(await dpkgVersion()).toBeUndefined();
    expect(existsSync(DATA)).toBe(false);
  });
});
