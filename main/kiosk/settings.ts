// The operator's settings (language, profile, idle time-out, station name) and the hash of
// the operator PIN, kept across restarts in `settings.json` beside the local store.
//
// A small JSON file rather than a table in the store: the settings must be readable when
// the store is not (a device key that will not unseal, a full disk), an administrator can
// read or reset them with a text editor (deleting `pin` brings back the initial PIN), and
// they change a handful of times a year, far from the event store's migrations and
// durability rules. Written like the device key: temporary file, fsync, rename, 0600.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROFILES, type SettingsView } from '../api/contract.js';
import { writeFileDurably } from '../../offline-cache/atomic-file.js';

export const SETTINGS_FILE = 'settings.json';

interface PinHash {
  salt: Buffer;
  hash: Buffer;
}

interface Persisted {
  settings: Partial<SettingsView>;
  pin?: PinHash;
}

/** Where the kiosk keeps its settings; the Kiosk only sees this interface. */
export interface SettingsStore {
  load(): Persisted;
  /** Throws when the file cannot be written; the caller decides what that means. */
  save(p: { settings: SettingsView; pin: PinHash }): void;
}

const B64 = /^[A-Za-z0-9+/]+=*$/;

/**
 * What a settings file holds, field by field: a field that is missing or not valid is left
 * out (the kiosk's default stands) and named in `problems`. Never throws.
 */
export function parseSettings(text: string): { value: Persisted; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { value: { settings: {} }, problems: ['not valid JSON'] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { value: { settings: {} }, problems: ['not a JSON object'] };
  const r = raw as Record<string, unknown>;
  const s = (typeof r.settings === 'object' && r.settings !== null ? r.settings : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const settings: Partial<SettingsView> = {};
  const take = <K extends keyof SettingsView>(k: K, ok: (v: unknown) => boolean): void => {
    if (s[k] === undefined) return;
    if (ok(s[k])) settings[k] = s[k] as SettingsView[K];
    else problems.push(`invalid ${k}`);
  };
  take('lang', (v) => v === 'vi' || v === 'en');
  take('profile', (v) => (PROFILES as readonly unknown[]).includes(v));
  take('idleSeconds', (v) => Number.isInteger(v) && (v as number) >= 5 && (v as number) <= 600);
  take('station', (v) => typeof v === 'string' && /^\P{Cc}{1,60}$/u.test(v));
  take('sound', (v) => typeof v === 'boolean');
  take('apiPort', (v) => v === null || (Number.isInteger(v) && (v as number) >= 1024 && (v as number) <= 65535));
  take('sharePhoto', (v) => typeof v === 'boolean');
  let pin: PinHash | undefined;
  if (r.pin !== undefined) {
    const p = r.pin as { salt?: unknown; hash?: unknown } | null;
    const salt = typeof p?.salt === 'string' && B64.test(p.salt) ? Buffer.from(p.salt, 'base64') : undefined;
    const hash = typeof p?.hash === 'string' && B64.test(p.hash) ? Buffer.from(p.hash, 'base64') : undefined;
    if (salt && hash && salt.length >= 16 && hash.length === 32) pin = { salt, hash };
    else problems.push('invalid pin');
  }
  return { value: pin ? { settings, pin } : { settings }, problems };
}

function serializeSettings(p: { settings: SettingsView; pin: PinHash }): string {
  const { lang, profile, idleSeconds, station, sound, apiPort, sharePhoto } = p.settings;
  return JSON.stringify({ v: 1, settings: { lang, profile, idleSeconds, station, sound, apiPort, sharePhoto }, pin: { salt: p.pin.salt.toString('base64'), hash: p.pin.hash.toString('base64') } }, null, 2) + '\n';
}

/**
 * `settings.json` in `dir`. An unreadable or damaged file means defaults and one warning
 * (which fields, never their values); the next save replaces it.
 */
export function settingsFile(dir: string, warn: (line: string) => void): SettingsStore {
  const path = join(dir, SETTINGS_FILE);
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warn(`settings file ${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}): using the defaults`);
        return { settings: {} };
      }
      const { value, problems } = parseSettings(text);
      if (problems.length > 0) warn(`settings file ${path}: ${problems.join(', ')}; using the defaults for what is not valid`);
      return value;
    },
    save(p) {
      writeFileDurably(path, serializeSettings(p));
    },
  };
}
