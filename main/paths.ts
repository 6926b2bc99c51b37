// Files that ship with the package (demo cards), found from the running module whether
// it runs from dist/ or from source under vitest.
import { existsSync } from 'node:fs';
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

export const DEMO_CARDS = {
  cccd: 'drivers/emulator/demo/cccd',
  passport: 'drivers/emulator/demo/passport',
} as const;

export function demoCard(which: keyof typeof DEMO_CARDS = 'cccd'): string {
  return join(packageRoot(), DEMO_CARDS[which]);
}
