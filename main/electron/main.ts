// Electron's entry point (`electron dist/main/electron/main.js [--demo] [--card DIR]
// [--profile P] [--kiosk] [--auto-start]`), started by `idkiosk start` when the binary
// exists. Everything here is the real electron module handed to the tested wiring.
import { parseArgs } from 'node:util';
import electron from 'electron';
import type { Profile } from '../api/contract.js';
import { kioskFor } from '../kiosk.js';
import { demoCard } from '../paths.js';
import { type ElectronApi, registerScheme, runShell } from './shell.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    demo: { type: 'boolean' },
    card: { type: 'string' },
    profile: { type: 'string' },
    kiosk: { type: 'boolean' },
    'auto-start': { type: 'boolean' },
    'auto-key': { type: 'boolean' },
    'manual-key': { type: 'boolean' },
    headless: { type: 'boolean' },
    port: { type: 'string' },
  },
  strict: false,
});

const e = electron as unknown as ElectronApi;
registerScheme(e);
const card = typeof values.card === 'string' ? values.card : values.demo ? demoCard('cccd') : undefined;
const kiosk = kioskFor({ card, autoKey: Boolean(values.demo && !values['manual-key']) || Boolean(values['auto-key']), profile: values.profile as Profile | undefined });
runShell(e, kiosk, { mode: values.kiosk ? 'kiosk' : 'desk', autoStart: Boolean(values['auto-start']) }).catch((err: unknown) => {
  console.error('idkiosk:', err instanceof Error ? err.message : String(err));
  e.app.quit();
});
