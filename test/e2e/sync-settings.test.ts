// The operator points a kiosk at its ingest server from the Settings screen (behind the PIN),
// in Chromium against the headless host: the verification kept while no server was set is
// forwarded, the Status screen names the server, and a wrong address is refused on screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kioskFor } from '../../main/kiosk/kiosk.js';
import { demoCard } from '../../main/paths.js';
import { STRINGS } from '../../renderer/i18n.js';
import { tempDir } from '../helpers/cards.js';
import { INGEST_TOKEN, type Ingest, ingest } from '../helpers/ingest.js';
import { type Browsed, browse, confirmOnDesk, contrastProblems, requireChromium, shot, unlabelled } from './harness.js';

const vi = STRINGS.vi;
let srv: Ingest;
let b: Browsed;

beforeAll(async () => {
  requireChromium();
  srv = await ingest();
  const kiosk = await kioskFor({ card: demoCard('cccd'), autoKey: true, dataDir: tempDir('idk-sync-settings-'), pin: '2468', syncTiming: { pollMs: 300, backoff: { baseMs: 50, capMs: 400 } }, log: () => {} });
  b = await browse(kiosk);
}, 60_000);

afterAll(async () => {
  await b?.close();
  await srv?.stop();
});

describe('sync server on the settings screen', () => {
  it('kept offline first, forwarded once the operator sets the server; a bad address is refused', async () => {
    const { page } = b;
    await page.getByTestId('demo-place').click();
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    await confirmOnDesk(page);
    await expect.poll(() => page.getByTestId('record').getAttribute('data-status'), { timeout: 20_000 }).toBe('stored');

    await page.getByTestId('tab-status').click();
    await expect.poll(() => page.getByTestId('store').getAttribute('data-queue')).toBe('1');
    expect(await page.getByTestId('store').textContent()).toContain(`${vi.syncServer}${vi.syncNone}`);

    await page.getByTestId('tab-settings').click();
    await page.getByLabel(vi.pinLabel).fill('2468');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('sync-current').textContent()).toBe(`${vi.syncServer}: ${vi.syncNone}`);
    await page.getByTestId('sync-url').fill('ftp://example.invalid/');
    await page.getByTestId('sync-save').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Địa chỉ máy chủ đồng bộ không hợp lệ');
    await page.getByTestId('sync-url').fill(srv.url);
    await page.getByTestId('sync-token').fill(INGEST_TOKEN);
    await page.getByTestId('sync-save').click();
    await expect.poll(() => page.getByTestId('saved').textContent()).toBe(vi.syncSaved);
    await expect.poll(() => page.getByTestId('sync-current').textContent()).toBe(`${vi.syncServer}: ${srv.url}`);
    // The token is a secret: not left in the form.
    expect(await page.getByTestId('sync-token').inputValue()).toBe('');
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'settings-sync');

    await expect.poll(async () => (await srv.db.stats()).events, { timeout: 15_000 }).toBe(1);
    await page.getByTestId('tab-status').click();
    await expect.poll(() => page.getByTestId('store').getAttribute('data-queue'), { timeout: 10_000 }).toBe('0');
    expect(await page.getByTestId('store').textContent()).toContain(`${vi.syncServer}${srv.url}`);
    await shot(page, 'status-sync');
  }, 90_000);
});
