// Files that ship with the package (demo cards), found from the running module whether
// it runs from dist/ or from source under vitest.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
}

const DEMO_CARDS = {
  cccd: 'drivers/emulator/demo/cccd',
  passport: 'drivers/emulator/demo/passport',
} as const;

export function demoCard(which: keyof typeof DEMO_CARDS = 'cccd'): string {
  return join(packageRoot(), DEMO_CARDS[which]);
}

/** The OS's per-user data folder: $XDG_DATA_HOME, else ~/.local/share (Linux), %LOCALAPPDATA% (Windows). */
function userDataHome(): string {
  if (process.env.XDG_DATA_HOME) return process.env.XDG_DATA_HOME;
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return process.env.LOCALAPPDATA;
  return join(homedir(), '.local', 'share');
}

/** The kiosk's data: --data-dir, else $IDKIOSK_DATA_DIR, else <user data>/idkiosk. */
export function defaultDataDir(given?: string): string {
  return given ?? (process.env.IDKIOSK_DATA_DIR || join(userDataHome(), 'idkiosk'));
}

/** The reference ingest server's keys and SQLite database: --data-dir, else <user data>/idkiosk-server. */
export function defaultServerDir(given?: string): string {
  return given ?? (process.env.IDKIOSK_SERVER_DIR || join(userDataHome(), 'idkiosk-server'));
}

/**
 * In a packaged Electron app the code lives in resources/app.asar; files that something other
 * than Electron's asar-aware fs must load (a worker thread's script and its imports, WASM,
 * models) are unpacked to app.asar.unpacked (electron-builder.yml `asarUnpack`). The same
 * path there when it exists; otherwise the path as given (a checkout, the .deb).
 */
export function unpackedPath(path: string): string {
  const m = /([\\/])app\.asar([\\/])/.exec(path);
  if (!m) return path;
  const candidate = `${path.slice(0, m.index)}${m[1]}app.asar.unpacked${m[2]}${path.slice(m.index + m[0].length)}`;
  return existsSync(candidate) ? candidate : path;
}
