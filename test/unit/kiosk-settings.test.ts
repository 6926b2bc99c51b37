// Settings and the operator PIN survive a restart (settings.json beside the store); a
// damaged or unreadable file means defaults and a warning, a failed write is said aloud.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../../main/api/dispatch.js';
import { Kiosk, kioskFor } from '../../main/kiosk/kiosk.js';
import { demoCard } from '../../main/paths.js';
import { SETTINGS_FILE, parseSettings, settingsFile } from '../../main/kiosk/settings.js';
import { EmulatedReader } from '../../main/verify/emulated-reader.js';
import { loadDemo, tempDir } from '../helpers/cards.js';

const card = await loadDemo('cccd');

function kioskOn(dir: string, opts: { pin?: string } = {}) {
  const warnings: string[] = [];
  const kiosk = new Kiosk({ reader: new EmulatedReader(card, { latency: null }), mode: 'demo', settingsStore: settingsFile(dir, (l) => warnings.push(l)), log: (l) => warnings.push(l), pin: opts.pin });
  const call = async (m: string, p: unknown) => {
    const r = await dispatch(kiosk, m, p);
    if (!r.ok) throw Object.assign(new Error(r.error.messages.en), { code: r.error.code });
    return r.result as Record<string, unknown>;
  };
  return { kiosk, warnings, call };
}

const DEFAULTS = { lang: 'vi', profile: 'airport', idleSeconds: 60, station: 'idkiosk', sound: true };

describe('persisted settings', () => {
  it('language, profile, idle time, station and a new PIN are there after a restart', async () => {
    const dir = tempDir('idk-settings-');
    const a = kioskOn(dir);
    expect(a.kiosk.currentSettings).toEqual(DEFAULTS);
    await a.call('setLang', { lang: 'en' });
    const { session } = (await a.call('unlockSettings', { pin: '123456' })) as { session: string };
    await a.call('updateSettings', { session, profile: 'hospital', idleSeconds: 90, station: 'Quầy 3 — Khoa khám', newPin: '24680135' });
    await a.kiosk.close();

    const path = join(dir, SETTINGS_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // Only the salted hash is on disk, never the PIN itself; no temporary file is left behind.
    expect(readFileSync(path, 'utf8')).not.toContain('24680135');
    expect(readdirSync(dir)).toEqual([SETTINGS_FILE]);

    const b = kioskOn(dir);
    expect(b.kiosk.currentSettings).toEqual({ lang: 'en', profile: 'hospital', idleSeconds: 90, station: 'Quầy 3 — Khoa khám', sound: true });
    await expect(b.call('unlockSettings', { pin: '123456' })).rejects.toMatchObject({ code: 'WRONG_PIN' });
    expect(await b.call('unlockSettings', { pin: '24680135' })).toHaveProperty('session');
    expect(b.warnings).toEqual([]);
    // What the command line says for this run (opts.settings, e.g. --profile) wins over the file.
    const c = new Kiosk({ reader: new EmulatedReader(card, { latency: null }), mode: 'demo', settingsStore: settingsFile(dir, () => undefined), settings: { profile: 'residence' } });
    expect(c.currentSettings).toMatchObject({ profile: 'residence', lang: 'en', station: 'Quầy 3 — Khoa khám' });
  });

  it('the saved PIN wins over the initial one; without a saved PIN the initial one holds', async () => {
    const dir = tempDir('idk-settings-');
    const a = kioskOn(dir, { pin: '5555' });
    const { session } = (await a.call('unlockSettings', { pin: '5555' })) as { session: string };
    await a.call('updateSettings', { session, newPin: '7777' });
    const b = kioskOn(dir, { pin: '5555' });
    await expect(b.call('unlockSettings', { pin: '5555' })).rejects.toMatchObject({ code: 'WRONG_PIN' });
    expect(await b.call('unlockSettings', { pin: '7777' })).toHaveProperty('session');
  });

  it('a damaged file means the defaults, one warning without any value from it, and no crash; the next save repairs it', async () => {
    const dir = tempDir('idk-settings-');
    writeFileSync(join(dir, SETTINGS_FILE), '{"v":1,"settings":{"station":"Quầy bí mật", "lang": "en"');
    const a = kioskOn(dir);
    expect(a.kiosk.currentSettings).toEqual(DEFAULTS);
    expect(a.warnings).toHaveLength(1);
    expect(a.warnings[0]).toContain(SETTINGS_FILE);
    expect(a.warnings[0]).toContain('not valid JSON');
    expect(a.warnings[0]).not.toContain('bí mật');
    expect(await a.call('unlockSettings', { pin: '123456' })).toHaveProperty('session');
    await a.call('setLang', { lang: 'en' });
    expect(kioskOn(dir).kiosk.currentSettings).toEqual({ ...DEFAULTS, lang: 'en' });
  });

  it('fields that are not valid fall back one by one, the rest is kept', () => {
    const text = JSON.stringify({ v: 1, settings: { lang: 'fr', profile: 'hospital', idleSeconds: 3, station: 'A\u0007B' }, pin: { salt: 'AAAA', hash: 'x' } });
    const { value, problems } = parseSettings(text);
    expect(value).toEqual({ settings: { profile: 'hospital' } });
    expect(problems).toEqual(['invalid lang', 'invalid idleSeconds', 'invalid station', 'invalid pin']);
    expect(parseSettings('[1,2]')).toEqual({ value: { settings: {} }, problems: ['not a JSON object'] });
    expect(parseSettings('')).toEqual({ value: { settings: {} }, problems: ['not valid JSON'] });
  });

  it('a settings file that cannot be read (here a directory) is the defaults and a warning', () => {
    const dir = tempDir('idk-settings-');
    mkdirSync(join(dir, SETTINGS_FILE));
    const a = kioskOn(dir);
    expect(a.kiosk.currentSettings).toEqual(DEFAULTS);
    expect(a.warnings.join('\n')).toMatch(/cannot be read \(EISDIR\)/);
  });

  it('a failed write refuses the change (the PIN stays the old one) but the clerk can still switch language', async () => {
    const gone = join(tempDir('idk-settings-'), 'no-such-dir');
    const a = kioskOn(gone);
    const { session } = (await a.call('unlockSettings', { pin: '123456' })) as { session: string };
    await expect(a.call('updateSettings', { session, profile: 'hospital', newPin: '9999' })).rejects.toMatchObject({ code: 'SETTINGS_NOT_SAVED' });
    expect(a.kiosk.currentSettings.profile).toBe('airport');
    expect(await a.call('unlockSettings', { pin: '123456' })).toHaveProperty('session');
    await expect(a.call('unlockSettings', { pin: '9999' })).rejects.toMatchObject({ code: 'WRONG_PIN' });
    expect(await a.call('setLang', { lang: 'en' })).toMatchObject({ settings: { lang: 'en' } });
    expect(a.kiosk.currentSettings.lang).toBe('en');
    expect(a.warnings.filter((w) => w.startsWith('settings not saved: ENOENT'))).toHaveLength(2);
    expect(existsSync(gone)).toBe(false);
  });

  it('the app as started (kioskFor) keeps them in its data folder; the demo apart from a live station', async () => {
    const dataDir = tempDir('idk-data-');
    const a = await kioskFor({ card: demoCard('cccd'), dataDir, log: () => undefined });
    await a.handlers.setLang({ lang: 'en' });
    const { session } = await a.handlers.unlockSettings({ pin: '123456' });
    await a.handlers.updateSettings({ session, station: 'Demo 1', newPin: '8642' });
    await a.close();
    expect(existsSync(join(dataDir, 'demo', SETTINGS_FILE))).toBe(true);
    expect(existsSync(join(dataDir, SETTINGS_FILE))).toBe(false);
    const b = await kioskFor({ card: demoCard('cccd'), dataDir, log: () => undefined });
    try {
      expect(b.currentSettings).toMatchObject({ lang: 'en', station: 'Demo 1' });
      expect(await b.handlers.unlockSettings({ pin: '8642' })).toHaveProperty('session');
    } finally {
      await b.close();
    }
  });
});
