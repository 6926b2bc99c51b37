// The operator's fleet page in Debian's Chromium, against an ingest server on PostgreSQL fed
// by simulated kiosks: the login behind the operator token (nothing shown without it), then
// devices by site with last seen, queue lag and clock skew, the per-day chart, decisions
// and invalid chips per site, and the revoked device; Vietnamese first, English on request.
// Screenshots go to test/artifacts/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { SimDevice } from '../../offline-cache/sync/device-sim.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { PostgresServerStore } from '../../offline-cache/sync/server-store-postgres.js';
import { createSyncServer, listen } from '../../offline-cache/sync/server.js';
import { tempDir } from '../helpers/cards.js';
import { keyringIn } from '../helpers/ingest.js';
import { URL_PG, resetServerTables } from '../helpers/pg.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';
import { ARTIFACTS, CHROMIUM } from './harness.js';

const ENROL = 'fleet-page-enrol';
const OPERATOR = 'fleet-page-operator';
const DAY = 86_400_000;
const closers: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of closers.splice(0).reverse()) await f();
});

describe('fleet page', () => {
  it('shows the fleet behind the operator token, in Vietnamese first', { timeout: 180_000 }, async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await resetServerTables();
    const store = await PostgresServerStore.open(URL_PG);
    closers.push(() => store.close());
    const server = createSyncServer({ store, keys: await keyringIn(store, tempDir('idk-fleet-page-')), enrolToken: ENROL, operatorToken: OPERATOR, purgeIntervalMs: 0 });
    const url = await listen(server);
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    // Three sites, five kiosks, a week of verifications; every one is sent except the last
    // 20 of one kiosk; one kiosk's clock is 9 minutes slow; one kiosk is then revoked.
    const sites = ['Sân bay Nội Bài', 'Cửa khẩu Mộc Bài', 'Bệnh viện Chợ Rẫy'];
    const devices = Array.from({ length: 5 }, (_, i) => new SimDevice(`kiosk-${['noibai', 'mocbai', 'choray'][i % 3]}-${i}`));
    const start = Date.now() - 6 * DAY;
    for (const [i, d] of devices.entries()) {
      d.record(Array.from({ length: 70 + 10 * i }, (_, n) => ({ ...syntheticVerification(n, 300 + i), site: sites[i % 3]! })), start + i * 60_000, (6 * DAY) / (70 + 10 * i));
      expect((await d.enrol(url, ENROL, sites[i % 3]!)).status).toBe(201);
    }
    devices[1]!.clockOffsetMs = 9 * 60_000;
    for (const [i, d] of devices.entries()) {
      const last = i === 2 ? d.head - 20 : d.head;
      for (let from = 1; from <= last; from += 40) expect((await d.send(url, await d.batch(from, Math.min(last, from + 39)), { to: Math.min(last, from + 39) })).status).toBe(200);
    }
    const revoke = await httpExchange(`${url}/v1/admin/devices/${devices[4]!.deviceId}/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPERATOR}`, 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ reason: 'Máy bị mất cắp ngày 3/5' })),
      timeoutMs: 10_000,
    });
    expect(revoke.status).toBe(200);
    const fleet = await store.fleet({ utcOffsetMinutes: 420, days: 30, now: Date.now() });
    const total = fleet.perSiteDay.reduce((n, r) => n + r.count, 0);

    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    closers.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });

    // Without the token: 401, a login form, and nothing of the fleet.
    const first = await page.goto(`${url}/fleet`);
    expect(first!.status()).toBe(401);
    expect(await page.locator('html').getAttribute('lang')).toBe('vi');
    const loginText = await page.locator('body').innerText();
    expect(loginText).toContain('Đăng nhập bằng mã vận hành');
    for (const d of devices) expect(loginText).not.toContain(d.deviceId);
    for (const s of sites) expect(loginText).not.toContain(s);
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-login.png'), fullPage: true });
    await page.fill('input[name=token]', 'not-the-token');
    await page.click('button[type=submit]');
    await expect.poll(() => page.locator('[role=alert]').innerText()).toContain('không đúng');

    await page.fill('input[name=token]', OPERATOR);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=totals]');
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-vi.png'), fullPage: true });
    const body = await page.locator('body').innerText();
    expect(body).toContain('Thiết bị theo điểm');
    for (const s of sites) expect(await page.locator(`h3:text-is("${s}")`).count()).toBe(1);
    // Each device, under its site, with when it was last seen.
    for (const [i, d] of devices.entries()) {
      const row = page.locator(`table[data-site="${sites[i % 3]}"] tr[data-device="${d.deviceId}"]`);
      expect(await row.count()).toBe(1);
      expect(await row.locator('td').nth(1).innerText()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d \(\d+ giây trước\)/);
    }
    // Queue lag: the kiosk that kept 20 back; clock skew: the slow one, flagged.
    const lagging = page.locator(`tr[data-device="${devices[2]!.deviceId}"] td[data-pending]`);
    expect(await lagging.getAttribute('data-pending')).toBe('20');
    // The oldest waiting is event 71 of 90 spread over six days: about 1.3 days old.
    expect(await lagging.innerText()).toMatch(/^20 chờ, cũ nhất 1\.[34] ngày$/);
    const skewCell = page.locator(`tr[data-device="${devices[1]!.deviceId}"] td`).nth(3);
    expect(await skewCell.innerText()).toBe('9 phút');
    expect(await skewCell.getAttribute('class')).toContain('alert');
    // The chart: one bar segment per site and day, adding up to every stored verification.
    const counts = await page.locator('[data-testid=per-day-chart] rect').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
    expect(total).toBe(devices.reduce((n, d, i) => n + d.head - (i === 2 ? 20 : 0), 0));
    // Decisions and invalid chips per site, as the kiosks recorded them.
    for (const s of sites) {
      const sent = devices.flatMap((d, i) => (sites[i % 3] === s ? d.events.slice(0, i === 2 ? d.head - 20 : d.head) : []));
      const want = ['accepted', 'rejected', 'review'].map((r) => sent.filter((e) => e.body.result === r).length);
      const invalid = sent.filter((e) => Object.values(e.body.auth).includes('invalid')).length;
      const cells = await page.locator(`[data-testid=decisions] tr[data-site="${s}"] td`).allInnerTexts();
      expect(cells).toEqual([s, ...want.map(String), String(invalid)]);
    }
    // The revoked kiosk, with the reason.
    const revoked = page.locator(`[data-testid=revoked] tr[data-device="${devices[4]!.deviceId}"]`);
    expect(await revoked.innerText()).toContain('Máy bị mất cắp ngày 3/5');

    await page.click('a:text("English")');
    await page.waitForSelector('[data-testid=totals]');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('body').innerText()).toContain('Devices by site');
    await page.screenshot({ path: join(ARTIFACTS, 'fleet-en.png'), fullPage: true });

    // Signing out ends the session.
    await page.click('button:text("Sign out")');
    expect((await page.goto(`${url}/fleet`))!.status()).toBe(401);
  });
});
