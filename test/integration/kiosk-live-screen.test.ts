// The live station's screen with every part real: the kiosk as `idkiosk start` builds it
// (kioskFor, PC/SC reader, store on disk), Debian's Chromium, pcscd with vpcd. Out of
// service appears and clears by itself: pcscd not running (self-service says it is paused),
// pcscd started (the welcome is back); the store's disk filling up (the desk's panel), space
// freed (gone). The technical line goes to the log, the clerk's words to the screen. Then
// trust anchors: a genuine card is amber until the operator imports the Vietnamese master
// list in Settings (a file chosen in the page) and a CRL (from a USB stick); the same card
// read again is green.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kiosk, kioskFor } from '../../main/kiosk/kiosk.js';
import { STRINGS } from '../../renderer/i18n.js';
import { type Browsed, browse, axeProblems, contrastProblems, requireChromium, viewShot } from '../e2e/harness.js';
import { type Fixture, startFixture, stopFixture } from './pcsc-fixture.js';
import { runningPcscd } from './pcscd.js';
import { buildMasterList, issueMasterListSigner, loadPki } from '../../drivers/emulator/test-pki.js';
import { demoCard, packageRoot } from '../../main/paths.js';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { insert } from './pcsc-fixture.js';

const vi = STRINGS.vi;
const mnt = mkdtempSync(join(tmpdir(), 'idk-live-data-'));
let mounted = false;
let f: Fixture | undefined;
let kiosk: Kiosk | undefined;
let b: Browsed | undefined;
const log: string[] = [];
const usb = mkdtempSync(join(tmpdir(), 'idk-usb-'));
const DEMO_PKI = join(packageRoot(), 'drivers/emulator/demo/pki');

beforeAll(async () => {
  requireChromium();
  if (await runningPcscd()) throw new Error('a pcscd is already running: this test needs it stopped first (it starts its own)');
  try {
    // A small disk of its own, so the test can fill it up.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mnt], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    throw new Error(`this test mounts a small tmpfs and needs root (or CAP_SYS_ADMIN) and util-linux's mount: ${(e as Error).message}`, { cause: e });
  }
  kiosk = await kioskFor({ dataDir: mnt, profile: 'self-service', watch: { pollMs: 300, retryMs: 200 }, healthEveryMs: 300, mediaRoots: [usb], log: (l) => log.push(l) });
  b = await browse(kiosk, { touch: true });
}, 60_000);

afterAll(async () => {
  await b?.close();
  await stopFixture(f);
  if (mounted) execFileSync('umount', ['-l', mnt]);
}, 30_000);

describe('out of service on a live station', () => {
  it('pcscd not running: the kiosk is paused for citizens; pcscd started: it serves again by itself', async () => {
    const { page } = b!;
    await page.setViewportSize({ width: 1080, height: 1920 });
    await page.getByTestId('out-of-service').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('out-of-service').textContent()).toContain(vi.service.kioskTitle);
    // Nothing tells the person to place a card that nothing would read.
    expect(await page.getByTestId('welcome').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain(vi.ssStep1);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'live-1-kiosk-out-of-service');
    expect(log.some((l) => l.startsWith('reader: out of service (PCSCD_NOT_RUNNING)'))).toBe(true);

    f = await startFixture();
    await page.getByTestId('welcome').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('out-of-service').count()).toBe(0);
    await viewShot(page, 'live-2-kiosk-back');
    expect(log).toContain('reader: back in service');
  });

  it("the store's disk fills up: the desk shows what to do; space freed: the panel goes", async () => {
    const { page } = b!;
    const s = await kiosk!.handlers.unlockSettings({ pin: '123456' });
    await kiosk!.handlers.updateSettings({ session: s.session, profile: 'airport' });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('reader-status').waitFor();
    expect(await page.getByTestId('service-panel').count()).toBe(0);
    // Leave 4 MiB of the 48: below the store's 16 MiB reserve, where records would be refused.
    const filler = join(mnt, 'filler.bin');
    const free = Number(execFileSync('df', ['--output=avail', '-B1', mnt]).toString().split('\n')[1]);
    writeFileSync(filler, Buffer.alloc(free - 4 * 1024 * 1024));
    await expect.poll(() => page.getByTestId('service-panel').getAttribute('data-codes'), { timeout: 10_000 }).toBe('STORE_FULL');
    expect(await page.getByTestId('service-panel').textContent()).toContain(vi.errors.STORE_FULL!);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'live-3-desk-store-full');
    expect(log.some((l) => l.startsWith(`store: out of service: data folder ${mnt}:`))).toBe(true);
    rmSync(filler);
    await page.getByTestId('service-panel').waitFor({ state: 'detached', timeout: 10_000 });
    expect(log).toContain('store: back in service');
  });

  it('a master list imported in Settings turns the genuine live card green; a CRL comes from the USB stick', async () => {
    const { page } = b!;
    const vi = STRINGS.vi;
    // The Vietnamese (test) CSCA in a master list signed by its Master List Signer, as published.
    const pki = await loadPki(DEMO_PKI);
    const ml = await buildMasterList(await issueMasterListSigner(pki.csca), [pki.csca.certificate]);
    const mlFile = join(mkdtempSync(join(tmpdir(), 'idk-ml-')), 'VN_MasterList.ml');
    writeFileSync(mlFile, ml);
    mkdirSync(join(usb, 'VN'));
    copyFileSync(join(DEMO_PKI, 'csca.crl'), join(usb, 'VN', 'csca.crl'));

    await insert(f!, demoCard('cccd'));
    const read = async (): Promise<void> => {
      await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 20_000 }).toBe('can');
      await page.keyboard.type('012345');
      await page.keyboard.press('Enter');
      await page.getByTestId('result').waitFor({ timeout: 30_000 });
    };
    await read();
    expect(await page.getByTestId('authenticity').getAttribute('data-level')).toBe('amber');
    expect(await page.getByTestId('authenticity').textContent()).toContain(vi.reason['no-trust-anchor']);

    await page.getByTestId('tab-settings').click();
    await page.getByTestId('pin').fill('123456');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('trust-warnings').locator('li').first().getAttribute('data-code')).toBe('NO_ANCHORS');
    await page.getByTestId('trust-file').setInputFiles(mlFile);
    await page.getByTestId('trust-import').click();
    await expect.poll(() => page.getByTestId('trust-totals').getAttribute('data-countries')).toBe('VN');
    expect(await page.getByTestId('trust-totals').getAttribute('data-anchors')).toBe('1');
    expect(await page.getByTestId('trust-anchors').textContent()).toContain('CSCA VN TEST');
    // No CRL yet for VN: said so.
    expect(await page.getByTestId('trust-warnings').textContent()).toContain(vi.trust.warning.NO_CRL('VN'));
    // The same list again adds nothing: refused with the reason, nothing written twice.
    await page.getByTestId('trust-import').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toContain('không thêm gì mới');

    await page.getByTestId('trust-media-search').click();
    await page.locator('[data-testid=trust-media-import][data-name="csca.crl"]').click();
    await expect.poll(() => page.getByTestId('trust-totals').getAttribute('data-crls')).toBe('1');
    expect(await page.getByTestId('trust-crls').textContent()).toContain('CSCA VN TEST');
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 1400 });
    await viewShot(page, 'live-4-settings-trust');
    await page.setViewportSize({ width: 1280, height: 800 });
    // Kept in the station's trust folder, so a restart keeps them.
    expect(readdirSync(join(mnt, 'trust')).sort()).toEqual(['VN_MasterList.ml', 'csca.crl']);

    await page.getByTestId('tab-desk').click();
    await page.getByTestId('next').click();
    await read();
    expect(await page.getByTestId('authenticity').getAttribute('data-level')).toBe('green');
    expect(await page.getByTestId('authenticity').textContent()).toContain(vi.reason['all-valid']);
    await viewShot(page, 'live-5-desk-green');
    expect(existsSync(join(mnt, 'trust', 'csca.crl'))).toBe(true);
  });
});
