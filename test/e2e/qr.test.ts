// A keyboard-wedge QR scanner at the desk, end to end: Playwright types the card's QR as a
// scanner does (a burst a few ms a key, Enter at the end) into the real renderer in Chromium
// while the CAN prompt has the focus. The page must keep the burst out of the CAN field, send
// it as a QR, and main must open the chip with it; a person typing the CAN at human speed
// still works, and a malformed code is a clear error on screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { STRINGS } from '../../renderer/i18n.js';
import { dispatch } from '../../main/api/dispatch.js';
import { loadDemo } from '../helpers/cards.js';
import { qrFromCard } from '../helpers/qr.js';
import { type Rig, contrastProblems, rig, shot, unlabelled } from './harness.js';

let card: CardImage;
let r: Rig;

beforeAll(async () => {
  card = await loadDemo('cccd');
  r = await rig({ card, settings: { profile: 'airport' } });
});

afterAll(async () => {
  await r?.close();
});

const phase = () => r.page.getByTestId('phase').getAttribute('data-phase');

/** Watches the CAN field from inside the page: every value it takes, and the element itself. */
async function watchCan(): Promise<void> {
  await expect.poll(() => r.page.evaluate(() => document.activeElement?.id)).toBe('can');
  await r.page.evaluate(() => {
    const el = document.getElementById('can') as HTMLInputElement;
    const w = window as unknown as { canEl: HTMLInputElement; canSeen: string[] };
    w.canEl = el;
    w.canSeen = [];
    el.addEventListener('input', () => w.canSeen.push(el.value));
  });
}

const canAfter = () => r.page.evaluate(() => ({ value: (window as unknown as { canEl: HTMLInputElement }).canEl.value, seen: (window as unknown as { canSeen: string[] }).canSeen }));

describe('keyboard-wedge QR scanner at the desk', () => {
  it('a scanner burst at the CAN prompt opens the chip with the QR; the CAN field keeps none of it', async () => {
    const { page } = r;
    await expect.poll(() => page.getByTestId('reader-status').getAttribute('data-status')).toBe('empty');
    await page.getByTestId('demo-place').click();
    await expect.poll(phase).toBe('need-key');
    await watchCan();
    const qr = qrFromCard(card);
    await page.keyboard.type(`${qr}\n`, { delay: 5 });
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    const check = page.getByTestId('qr-check');
    expect(await check.getAttribute('data-opened')).toBe('can');
    expect(await check.getAttribute('data-source')).toBe('wedge');
    expect(await check.textContent()).toBe(STRINGS.vi.qr.openedCan(STRINGS.vi.qr.source.wedge));
    expect(await page.locator('.stats').textContent()).toContain('QR → CAN');
    expect(await page.getByTestId('qr-mismatch').count()).toBe(0);
    // Only the first keys (before the burst could be told from typing) reached the field, and were taken back.
    const can = await canAfter();
    expect(can.value).toBe('');
    expect(can.seen.every((v) => v.length <= 2)).toBe(true);
    expect(can.seen.join('')).not.toContain(qr.slice(0, 6));
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'qr-1-wedge-result');
  });

  it('a person typing the CAN at human speed still opens the chip the ordinary way', async () => {
    const { page } = r;
    await page.getByTestId('next').click();
    await expect.poll(phase).toBe('need-key');
    await watchCan();
    await page.keyboard.type(card.secrets.can!, { delay: 120 });
    expect((await canAfter()).value).toBe(card.secrets.can);
    await page.keyboard.press('Enter');
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('qr-check').count()).toBe(0);
    expect(await page.locator('.stats').textContent()).not.toContain('QR');
  });

  it('a fast typist (40 ms a key) gets every digit into the field: held-back keys are put back, the CAN opens the chip', async () => {
    const { page } = r;
    await page.getByTestId('next').click();
    await expect.poll(phase).toBe('need-key');
    await watchCan();
    await page.keyboard.type(card.secrets.can!, { delay: 40 });
    await expect.poll(async () => (await canAfter()).value).toBe(card.secrets.can);
    await page.keyboard.press('Enter');
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('qr-check').count()).toBe(0);
  });

  it('a scanner that stalls mid-code and sends characters without keydown (insertText) is still one scan', async () => {
    const { page } = r;
    await page.getByTestId('next').click();
    await expect.poll(phase).toBe('need-key');
    await watchCan();
    const qr = [...qrFromCard(card)];
    for (const [i, ch] of qr.entries()) {
      await page.keyboard.insertText(ch);
      // One stall of 150 ms inside the code, as a busy page or USB stack makes.
      if (i === 40) await new Promise((res) => setTimeout(res, 150));
    }
    await page.keyboard.press('Enter');
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('qr-check').getAttribute('data-opened')).toBe('can');
    expect((await canAfter()).value).toBe('');
  });

  it('a malformed QR burst is a clear error on screen, the field stays empty, and the CAN prompt stays usable', async () => {
    const { page } = r;
    await page.getByTestId('next').click();
    await expect.poll(phase).toBe('need-key');
    await watchCan();
    // Cut off after the name: a scanner that lost the end of the code.
    const cut = qrFromCard(card).split('|').slice(0, 3).join('|');
    await page.keyboard.type(`${cut}\n`, { delay: 5 });
    await expect.poll(() => page.getByTestId('key-error').textContent()).toContain('Mã QR CCCD bị thiếu dữ liệu');
    expect(await phase()).toBe('need-key');
    expect((await canAfter()).value).toBe('');
    await shot(page, 'qr-2-malformed');
    expect(await contrastProblems(page)).toEqual([]);
    // The QR's content is not on screen.
    expect(await page.locator('body').textContent()).not.toContain(cut.split('|')[2]);
  });

  it("a QR that disagrees with the chip is a warning beside the result, and the decision is 'review'", async () => {
    const { page } = r;
    await expect.poll(phase).toBe('need-key');
    await watchCan();
    await page.keyboard.type(`${qrFromCard(card, { fullName: 'Lê Thị Mẫn' })}\n`, { delay: 5 });
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    const warn = page.getByTestId('qr-mismatch');
    expect(await warn.getAttribute('data-fields')).toBe('fullName');
    expect(await warn.textContent()).toContain(STRINGS.vi.f.fullName);
    expect(await page.getByTestId('decision').getAttribute('data-decision')).toBe('review');
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'qr-3-mismatch');
  });

  it('a scan before the card, with no field on screen, keeps its Vietnamese letters: the desk waits for the card, then opens it', async () => {
    const { page, kiosk } = r;
    await page.getByTestId('next').click();
    await page.getByTestId('demo-remove').click();
    await expect.poll(phase).toBe('idle');
    // The name's "ữ"/"ẫ" come as text input only (no key on the layout makes them).
    await page.keyboard.type(`${qrFromCard(card)}\n`, { delay: 5 });
    await expect.poll(() => page.getByTestId('qr-waiting').count(), { timeout: 10_000 }).toBe(1);
    expect(kiosk.state.keyError).toBeUndefined();
    expect(await page.getByTestId('wedge-sink').inputValue()).toBe('');
    await page.getByTestId('demo-place').click();
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    expect(kiosk.state.result!.qr).toMatchObject({ source: 'wedge', opened: { kind: 'can' } });
    expect(await page.getByTestId('qr-mismatch').count()).toBe(0);
  });
});

describe('QR at the self-service kiosk', () => {
  let ss: Rig;
  beforeAll(async () => {
    ss = await rig({ card, settings: { profile: 'self-service', idleSeconds: 30 }, touch: true });
  });
  afterAll(async () => {
    await ss?.close();
  });
  const ssPhase = () => ss.page.getByTestId('self-service').getAttribute('data-phase');

  it('a scan before the card: "QR read, now place your card" in large type, then the card opens with the QR; the QR hint stays offered', async () => {
    const { page, kiosk } = ss;
    await page.getByTestId('welcome').waitFor();
    // No scanner known yet (no serial port, no camera, this browser never saw a wedge scan): no hint.
    expect(await page.getByTestId('qr-hint').count()).toBe(0);
    await page.keyboard.type(`${qrFromCard(card)}\n`, { delay: 5 });
    const waiting = page.getByTestId('qr-waiting');
    await waiting.waitFor({ timeout: 10_000 });
    expect(await waiting.textContent()).toBe(STRINGS.vi.ssQrWaiting);
    expect(await waiting.getAttribute('class')).toContain('ss-big');
    expect(kiosk.state.qrWaiting).toBe('wedge');
    // The hidden field that lets letters outside the layout (ữ, ẫ) arrive keeps nothing of the scan.
    expect(await page.getByTestId('wedge-sink').inputValue()).toBe('');
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'qr-4-self-service-waiting');
    await page.getByTestId('demo-place').tap();
    await expect.poll(ssPhase, { timeout: 30_000 }).toBe('result');
    expect(kiosk.state.result!.qr).toMatchObject({ source: 'wedge', opened: { kind: 'can' } });
    expect(await page.getByTestId('fullName').textContent()).toBeTruthy();
    await page.getByTestId('cancel').tap();
    await page.getByTestId('demo-remove').tap();
    // This browser has now seen a scanner type: the welcome offers the QR, with its picture.
    await expect.poll(ssPhase).toBe('idle');
    const hint = page.getByTestId('qr-hint');
    await hint.waitFor();
    expect(await hint.locator('img').getAttribute('src')).toBe('img/scan-qr.svg');
    expect(await hint.textContent()).toContain(STRINGS.vi.ssQrHint);
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'qr-5-self-service-hint');
  });

  it('a bad QR is a large error on the welcome screen; the time-out wipes it, and a waiting QR, here and in main', async () => {
    const { page, kiosk } = ss;
    await expect.poll(ssPhase).toBe('idle');
    const cut = qrFromCard(card).split('|').slice(0, 3).join('|');
    await page.keyboard.type(`${cut}\n`, { delay: 5 });
    const err = page.getByTestId('key-error');
    await err.waitFor({ timeout: 10_000 });
    expect(await err.textContent()).toContain('Mã QR CCCD bị thiếu dữ liệu');
    expect(await err.getAttribute('class')).toContain('ss-big');
    expect(await page.locator('body').textContent()).not.toContain(cut.split('|')[2]);
    await shot(page, 'qr-6-self-service-bad');

    // A short time-out from here on (the operator's setting, as from the settings screen).
    const unlock = await dispatch(kiosk, 'unlockSettings', { pin: '123456' });
    if (!unlock.ok) throw new Error(unlock.error.code);
    await dispatch(kiosk, 'updateSettings', { session: (unlock.result as { session: string }).session, idleSeconds: 5 });
    await err.waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => kiosk.state.keyError).toBeUndefined();

    await page.keyboard.type(`${qrFromCard(card)}\n`, { delay: 5 });
    await page.getByTestId('qr-waiting').waitFor({ timeout: 10_000 });
    expect(kiosk.state.qrWaiting).toBe('wedge');
    // Walk away: the waiting QR must not open the next person's card.
    await page.getByTestId('qr-waiting').waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => kiosk.state.qrWaiting).toBeUndefined();
    expect(await page.getByTestId('welcome').count()).toBe(1);
    await page.getByTestId('demo-place').tap();
    await expect.poll(ssPhase, { timeout: 10_000 }).toBe('need-key');
  });
});
