// Electron's entry point (`electron dist/main/electron/main.js [--demo] [--card DIR]
// [--profile P] [--kiosk] [--auto-start]`), started by `idkiosk start` when the binary
// exists. Everything here is the real electron module handed to the tested wiring.
import { parseArgs } from 'node:util';
import electron from 'electron';
import type { Profile } from '../api/contract.js';
import { type KeyOptions, type SafeStorageLike, safeStorageSealer } from '../../offline-cache/device-keys.js';
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
/**
 * The device key sealed by the OS keychain through safeStorage (usable only once the app is
 * ready). On Linux without a keyring safeStorage falls back to plain text: then say so loudly
 * and keep the key in a 0600 file instead, which is no weaker and does not pretend.
 */
function keyProtection(): KeyOptions {
  const sealer = safeStorageSealer((electron as unknown as { safeStorage: SafeStorageLike }).safeStorage);
  if (sealer && !sealer.plaintext) return { sealer, warn: (m) => console.warn('idkiosk:', m) };
  console.warn(
    'idkiosk: CẢNH BÁO / WARNING: no OS keychain for safeStorage (plain-text backend); the device key is kept in a file readable only by this user (0600).',
  );
  return { warn: (m) => console.warn('idkiosk:', m) };
}

const kiosk = e.app.whenReady().then(() =>
  kioskFor({
    card,
    autoKey: Boolean(values.demo && !values['manual-key']) || Boolean(values['auto-key']),
    profile: values.profile as Profile | undefined,
    keys: keyProtection(),
  }),
);
runShell(e, kiosk, { mode: values.kiosk ? 'kiosk' : 'desk', autoStart: Boolean(values['auto-start']) }).catch((err: unknown) => {
  console.error('idkiosk:', err instanceof Error ? err.message : String(err));
  e.app.quit();
});
