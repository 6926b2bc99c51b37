// The README's first commands on a machine without the PC/SC headers: a copy of the checkout
// as a clone holds it, `npm ci` with /usr/include/PCSC hidden in a private mount namespace
// (as on a machine without libpcsclite-dev), then `idkiosk demo --once` must show the demo
// card genuine, and a live command must say in one line what to install and what to run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';
import { checkoutCopy, idkEnv, requireCommand, requireRoot, run } from './helpers.js';

const HEADERS = '/usr/include/PCSC';

/** `sh -c script` in a private mount namespace whose /usr/include/PCSC is an empty tmpfs. */
function withoutHeaders(script: string, cwd: string, env?: NodeJS.ProcessEnv) {
  // On a machine that never had the headers there is nothing to hide.
  const hide = existsSync(HEADERS) ? `mount -t tmpfs -o size=1m tmpfs ${HEADERS} && ` : '';
  return run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `${hide}test ! -e ${HEADERS}/winscard.h && ${script}`], { cwd, env });
}

describe('a fresh clone without the PC/SC headers', () => {
  it('npm ci installs, demo --once says genuine, a live read names libpcsclite-dev and npm install', async () => {
    requireRoot('a private mount namespace hides /usr/include/PCSC');
    requireCommand('unshare', 'util-linux');
    const dir = tempDir('idk-clone-');
    checkoutCopy(dir);
    const ci = await withoutHeaders('npm ci --prefer-offline --no-audit --no-fund', dir);
    expect(ci.code, ci.stderr.slice(-3000)).toBe(0);
    // npm left the optional binding out because its build could not find winscard.h.
    expect(existsSync(join(dir, 'node_modules', 'smartcard'))).toBe(false);
    expect(existsSync(join(dir, 'dist', 'main', 'cli.js'))).toBe(true);

    const data = tempDir('idk-clone-data-');
    const en = await run(process.execPath, ['dist/main/cli.js', 'demo', '--once'], { cwd: dir, env: idkEnv(data, 'en') });
    expect(en.code, en.stderr).toBe(0);
    expect(en.stdout).toMatch(/Result: Lê Thị Mẫu — GREEN — GENUINE/);
    const vi = await run(process.execPath, ['dist/main/cli.js', 'demo', '--once'], { cwd: dir, env: idkEnv(data, 'vi') });
    expect(vi.stdout).toMatch(/Kết quả: Lê Thị Mẫu — XANH — THẺ THẬT/);

    const live = await run(process.execPath, ['dist/main/cli.js', 'readers'], { cwd: dir, env: idkEnv(data, 'en') });
    expect(live.code).toBe(2);
    const lines = live.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('[PCSC_BINDING_MISSING]');
    expect(lines[0]).toContain('libpcsclite-dev');
    expect(lines[0]).toContain('"npm install"');
    expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('an installed binding whose system library is gone names libpcsclite1', async () => {
    requireRoot('a private mount namespace hides libpcsclite.so.1');
    const lib = '/usr/lib/x86_64-linux-gnu/libpcsclite.so.1';
    if (!existsSync(lib)) throw new Error(`${lib} is missing: apt-get install libpcsclite1`);
    const cli = join(packageRoot(), 'dist', 'main', 'cli.js');
    const r = await run('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mount --bind /dev/null ${lib} && exec "${process.execPath}" "${cli}" readers`], { env: idkEnv(tempDir('idk-data-'), 'vi') });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('[PCSC_LIBRARY_MISSING]');
    expect(r.stderr).toContain('libpcsclite1');
  });
});
