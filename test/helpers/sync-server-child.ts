// Runs `idkiosk sync-server` from dist/ in a child process, so tests can kill -9 it.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../main/paths.js';

export const DIST = join(packageRoot(), 'dist');

export function requireDist(file: string): string {
  const p = join(DIST, file);
  if (!existsSync(p)) throw new Error(`${p} is missing: run "npm run build" first (the sync tests run the built server and kiosk in child processes)`);
  return p;
}

export interface ServerChild {
  child: ChildProcess;
  port: number;
  url: string;
  stderr: string[];
}

export async function startServerChild(args: string[], port = 0, env: NodeJS.ProcessEnv = {}): Promise<ServerChild> {
  const mod = requireDist('main/commands/sync-server.js');
  const code = `import(${JSON.stringify(mod)}).then((m) => m.syncServerCommand.run(process.argv.slice(1), { lang: 'en' })).then((c) => process.exit(c), (e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', code, '--', ...args, '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`sync-server did not start: ${stderr.join('')}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`sync-server exited (${c}): ${stderr.join('')}`));
    });
  });
  return { child, url, port: Number(new URL(url).port), stderr };
}

export function killHard(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}
