// The self-service kiosk end to end, by touch: place the card, tap the CAN on the keypad,
// see one's own data, then walk away: the time-out wipes the screen and main forgets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDg13 } from '../../drivers/emrtd/dg13.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { STRINGS } from '../../renderer/i18n.js';
import { loadDemo } from '../helpers/cards.js';
import { type Rig, axeProblems, contrastProblems, rig, shot, unlabelled } from './harness.js';

const IDLE_SECONDS = 5;
let card: CardImage;
let r: Rig;

beforeAll(async () => {
  card = await loadDemo('cccd');
  r = await rig({ card, settings: { profile: 'self-service', idleSeconds: IDLE_SECONDS }, touch: true });
});

afterAll(async () => {
  await r?.close();
});

describe('self-service view', () => {
  it('guides by touch from card to result, and the time-out wipes the screen and the kiosk state', async () => {
    const { page } = r;
    const vi = STRINGS.vi;
    const name = parseDg13(card.files.get('DG13')!).fullName!;
    await page.getByTestId('welcome').waitFor();
    expect(await page.getByRole('heading', { level: 2 }).textContent()).toBe(vi.ssStep1);
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'self-service-1-welcome');

    await page.getByTestId('demo-place').tap();
    await page.getByTestId('key-0').waitFor();
    // Touch targets: every keypad key at least 64 px each way (WCAG asks 44; gloves and haste ask more).
    for (const d of ['0', '1', '5', '9', 'del', 'ok']) {
      const box = (await page.getByTestId(`key-${d}`).boundingBox())!;
      expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(64);
    }
    for (const d of card.secrets.can!) await page.getByTestId(`key-${d}`).tap();
    expect(await page.getByTestId('digits').textContent()).toBe(card.secrets.can);
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, 'self-service-2-keypad');
    await page.getByTestId('key-ok').tap();
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('fullName').textContent()).toBe(name);
    // No trust store and no face check here: not an accept, so no "Xác nhận"; the person is sent to staff.
    expect(await page.getByTestId('confirm').count()).toBe(0);
    expect(await page.getByTestId('ask-staff').textContent()).toBe(vi.ssSeeStaff);
    const done = (await page.getByTestId('cancel').boundingBox())!;
    expect(done.height).toBeGreaterThanOrEqual(64);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'self-service-3-result');

    // Walk away: nothing of this person may remain once the time-out passes.
    const shownAt = Date.now();
    await page.getByTestId('result').waitFor({ state: 'detached', timeout: (IDLE_SECONDS + 10) * 1000 });
    expect(Date.now() - shownAt).toBeGreaterThanOrEqual((IDLE_SECONDS - 1) * 1000);
    // The card still lies on the reader, so the keypad is back, empty.
    expect(await page.getByTestId('digits').textContent()).toBe('······');
    const html = await page.content();
    expect(html).not.toContain(name);
    expect(html).not.toContain('data:image/jpeg');
    await expect.poll(() => r.kiosk.state.result).toBeUndefined();
    await shot(page, 'self-service-4-wiped');
  });

  it('staff finish it with the PIN (what they checked), then the thank-you wipes', async () => {
    const { page } = r;
    // The card is still on the reader: the keypad is back for the next person.
    await page.getByTestId('key-0').waitFor();
    for (const d of card.secrets.can!) await page.getByTestId(`key-${d}`).tap();
    await page.getByTestId('key-ok').tap();
    await page.getByTestId('staff-pin').fill('123456', { timeout: 30_000 });
    await page.getByTestId('staff-unlock').tap();
    await page.getByTestId('check-FACE_BY_EYE').check();
    await page.getByTestId('confirm').tap();
    await page.getByTestId('done').waitFor();
    await shot(page, 'self-service-5-done');
    await page.getByTestId('done').waitFor({ state: 'detached', timeout: 20_000 });
    expect(await page.content()).not.toContain(parseDg13(card.files.get('DG13')!).fullName!);
  });
});
