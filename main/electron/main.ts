// Electron's entry point (`electron dist/main/electron/main.js [--demo] [--card DIR]
// [--profile P] [--kiosk] [--auto-start]`), started by `idkiosk start` when the binary
// exists. Everything here is the real electron module handed to the tested wiring.
import { parseArgs } from 'node:util';
import electron from 'electron';
import type { Profile } from '../api/contract.js';
import { type KeyOptions, type SafeStorageLike, safeStorageSealer } from '../../offline-cache/device-keys.js';
import { kioskFor } from '../kiosk/kiosk.js';
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
    sync: { type: 'string' },
    'sync-token': { type: 'string' },
    'no-face': { type: 'boolean' },
    'qr-serial': { type: 'string' },
    'qr-baud': { type: 'string' },
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
    sync: typeof values.sync === 'string' ? values.sync : undefined,
    syncToken: typeof values['sync-token'] === 'string' ? values['sync-token'] : undefined,
    keys: keyProtection(),
    // The camera is the page's (getUserMedia under the shell's media permission); the matcher runs in this process's worker.
    face: !values['no-face'],
    // Checked by `idkiosk start` before it spawned this process.
    qrSerial: typeof values['qr-serial'] === 'string' ? values['qr-serial'] : undefined,
    qrBaud: typeof values['qr-baud'] === 'string' ? Number(values['qr-baud']) : undefined,
  }),
);
runShell(e, kiosk, { mode: values.kiosk ? 'kiosk' : 'desk', autoStart: Boolean(values['auto-start']) }).catch((err: unknown) => {
  console.error('idkiosk:', err instanceof Error ? err.message : String(err));
  e.app.quit();
});
