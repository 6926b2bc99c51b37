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
