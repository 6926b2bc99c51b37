// Electron's entry point (`electron dist/main/electron/main.js [options of idkiosk start]`),
// started by `idkiosk start` when the binary exists, with the options it already parsed
// written out in full (main/kiosk/options.ts: one parser and one type for every entry).
// Everything here is the real electron module handed to the tested wiring;
// test/unit/electron-main.test.ts runs this file as a process against a fake electron module.
import electron from 'electron';
import { type Lang, isIdkError } from '../../core/errors.js';
import { type KeyOptions, type SafeStorageLike, safeStorageSealer } from '../../offline-cache/device-keys.js';
import { type Kiosk, kioskFor } from '../kiosk/kiosk.js';
import { followServiceSettings, startKioskService } from '../kiosk/service-run.js';
import { readFileSync } from 'node:fs';
import { type StartOptions, kioskLaunch, parseStartOptions } from '../kiosk/options.js';
import { type ElectronApi, registerScheme, runShell } from './shell.js';

const lang: Lang = (process.env.IDKIOSK_LANG ?? 'vi').startsWith('en') ? 'en' : 'vi';
const e = electron as unknown as ElectronApi;
registerScheme(e);

// `electron main.js …` (process.defaultApp) puts the script before the options; a packaged app does not.
const argv = process.argv.slice((process as { defaultApp?: boolean }).defaultApp ? 2 : 1);
let o: StartOptions;
try {
  o = parseStartOptions(argv, { demo: false });
} catch (err) {
  // The same one line as the CLI: the message in the clerk's language and the code.
  const line = isIdkError(err) ? `${err.text(lang)} [${err.code}]` : `${(err as Error).message} [BAD_ARGUMENTS]`;
  console.error(`idkiosk: ${line}`);
  process.exit(2);
}

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

// The camera is the page's (getUserMedia under the shell's media permission); the matcher runs in this process's worker.
const kiosk = e.app.whenReady().then(() => kioskFor({ ...kioskLaunch(o), keys: keyProtection() }).then(withApi));

/** `--api-port N` (checked by the shared parser): the local identity service beside the window (docs/integration.md). */
async function withApi(k: Kiosk): Promise<Kiosk> {
  if (!o.api) {
    followServiceSettings(k, { log: (l) => console.log(`idkiosk: ${l}`) });
    return k;
  }
  const tls = o.api.cert && o.api.key ? { cert: readFileSync(o.api.cert), key: readFileSync(o.api.key) } : undefined;
  const s = await startKioskService(k, { port: o.api.port, host: o.api.host, tls });
  console.log(`idkiosk: service for the counter software: ${s.url}/v1`);
  return k;
}
runShell(e, kiosk, { mode: o.kioskMode ? 'kiosk' : 'desk', autoStart: o.autoStart }).catch((err: unknown) => {
  console.error('idkiosk:', isIdkError(err) ? `${err.text(lang)} [${err.code}]` : err instanceof Error ? err.message : String(err));
  e.app.quit();
});
