// What the install tests share: a copy of the checkout as a clone would hold it, commands
// run as real processes, and a plain failure (naming what to install) when the machine
// lacks a part these tests need: they never skip.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../main/paths.js';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never through a shell), collecting both streams. */
export function run(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
    child.on('error', reject);
    // A child that exits without reading its input (most do) must not fail the test with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** Fails (never skips) unless the test runs as root: mount namespaces, apt and dpkg need it. */
export function requireRoot(why: string): void {
  if (process.getuid?.() !== 0) throw new Error(`this test must run as root (${why}); CI (.ci/run) runs as root`);
}

/** Fails naming the Debian package when a command is missing. */
export function requireCommand(cmd: string, pkg: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`]);
  if (r.status !== 0) throw new Error(`"${cmd}" is missing: apt-get install ${pkg}`);
}

/**
 * The files a clone of this checkout would hold, with the working tree's changes (tracked and
 * new, not ignored ones): git's own list, copied to `dest`. No node_modules, no dist/.
 */
export function checkoutCopy(dest: string): void {
  const root = packageRoot();
  const ls = spawnSync('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' });
  if (ls.status !== 0) throw new Error(`git ls-files failed in ${root}: ${ls.stderr} (apt-get install git)`);
  for (const f of ls.stdout.split('\0').filter(Boolean)) {
    const from = join(root, f);
    if (!existsSync(from) && !isLink(from)) continue; // deleted in the working tree
    const to = join(dest, f);
    mkdirSync(dirname(to), { recursive: true });
    if (isLink(from)) symlinkSync(readlinkSync(from), to);
    else copyFileSync(from, to);
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** An environment for a child idkiosk: English or Vietnamese, its data in `dataDir`. */
export function idkEnv(dataDir: string, lang: 'vi' | 'en' = 'en', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, IDKIOSK_DATA_DIR: dataDir, IDKIOSK_LANG: lang, ...extra };
}
