// The decision first, in Chromium: a forged card is rejected and cannot be confirmed (its
// refusal is recorded, nothing pre-fills a form), an override needs the PIN and a typed
// reason that both reach the signed event, a review needs what the clerk checked. The
// banner and the primary action are inside the viewport at the desk's 1280x800 and the
// portrait kiosk's 1080x1920, focus is on the primary action and Enter does it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { exportEvents } from '../../offline-cache/outbox.js';
import { STRINGS } from '../../renderer/i18n.js';
import { loadDemo } from '../helpers/cards.js';
import { type Rig, axeProblems, contrastProblems, inViewport, rig, viewShot } from './harness.js';

/** One letter of DG13 changed after the issuer signed it: still parses, no longer hashes. */
function forged(card: CardImage): CardImage {
  const dg13 = new Uint8Array(card.files.get('DG13')!);
  const at = Buffer.from(dg13).indexOf('Kinh');
  dg13[at + 3] = 'm'.charCodeAt(0);
  return { ...card, files: new Map([...card.files, ['DG13', dg13]]) };
}

const vi = STRINGS.vi;
let genuine: CardImage;
let fake: CardImage;

beforeAll(async () => {
  genuine = await loadDemo('cccd');
  fake = forged(genuine);
});

async function focusedTestId(r: Rig): Promise<string | null> {
  return r.page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

describe('desk at 1280x800, residence profile', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ card: fake, autoKey: true, store: true, settings: { profile: 'residence' } });
    await r.page.setViewportSize({ width: 1280, height: 800 });
  });
  afterAll(async () => r?.close());

  it('a forged card: "Từ chối" in view, no confirm and no form; Enter records the refusal', async () => {
    const { page } = r;
    await page.getByTestId('demo-place').click();
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('decision').getAttribute('data-decision')).toBe('reject');
    expect(await page.getByTestId('decision').textContent()).toContain(vi.decision.reject);
    expect(await page.getByTestId('decision-why').textContent()).toBe(vi.reason['data-altered']);
    // Nothing on this screen can confirm it, and the forged data fills no form.
    expect(await page.getByTestId('confirm').count()).toBe(0);
    expect(await page.getByTestId('residence-form').count()).toBe(0);
    expect(await page.locator('input[readonly]').count()).toBe(0);
    expect(await inViewport(page, 'decision')).toBe(true);
    expect(await inViewport(page, 'record-refusal')).toBe(true);
    expect(await focusedTestId(r)).toBe('record-refusal');
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    // Scrolled down to the facts, the decision still stands in view.
    await page.mouse.wheel(0, 2000);
    await expect.poll(() => inViewport(page, 'decision')).toBe(true);
    await viewShot(page, 'decision-desk-1-reject');

    await page.getByTestId('record-refusal').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('record').getAttribute('data-outcome')).toBe('rejected');
    expect(await page.getByTestId('record').textContent()).toBe(vi.record.refused);
    const events = [...exportEvents(r.store!)];
    expect(events).toHaveLength(1);
    expect(events[0]!.body).toMatchObject({ v: 1, result: 'rejected', auth: { passive: 'invalid' } });
    expect(events[0]!.body).not.toHaveProperty('staff');
    // Now the next person is the one thing to do.
    expect(await focusedTestId(r)).toBe('next');
    await viewShot(page, 'decision-desk-2-refusal-recorded');
  });

  it('an override needs a typed reason and the PIN; both are in the signed event, then the form fills', async () => {
    const { page } = r;
    await page.getByTestId('next').click();
    await page.getByTestId('demo-remove').click();
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('decision').getAttribute('data-decision'), { timeout: 30_000 }).toBe('reject');
    await page.getByTestId('override-open').click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('override-reason');
    // Our words, not the browser's: a reason is required.
    await page.getByTestId('override-submit').click();
    expect(await page.getByTestId('override-error').textContent()).toBe(vi.overrideReasonInvalid);
    await page.getByTestId('override-reason').fill('Chip hỏng, đã đối chiếu hộ chiếu');
    await page.getByTestId('override-pin').fill('999999');
    await page.getByTestId('override-submit').click();
    await expect.poll(() => page.getByTestId('toast').textContent()).toBe('Mã PIN quản trị không đúng.');
    expect([...exportEvents(r.store!)]).toHaveLength(1);
    // The typed reason survived the redraw the error caused.
    expect(await page.getByTestId('override-reason').inputValue()).toBe('Chip hỏng, đã đối chiếu hộ chiếu');
    await page.getByTestId('override-pin').fill('123456');
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'decision-desk-3-override-form');
    await page.getByTestId('override-submit').click();
    await expect.poll(() => page.getByTestId('record').getAttribute('data-status')).toBe('stored');
    expect(await page.getByTestId('record').textContent()).toBe(vi.record.overridden);
    const events = [...exportEvents(r.store!)];
    expect(events).toHaveLength(2);
    expect(events[1]!.body).toMatchObject({ v: 2, result: 'accepted', staff: { override: 'Chip hỏng, đã đối chiếu hộ chiếu' }, auth: { passive: 'invalid' } });
    // Accepted by a person, with a reason on record: now the declaration form may be filled.
    await page.getByTestId('residence-form').waitFor();
    await viewShot(page, 'decision-desk-4-overridden');
  });


  it("today's history behind the PIN: masked rows, search by the last digits, CSV of what is shown", async () => {
    const { page } = r;
    await page.getByTestId('tab-history').click();
    await page.getByTestId('pin').fill('123456');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('history-count').getAttribute('data-count')).toBe('2');
    const rows = await page.locator('[data-testid=history-table] tbody tr').allTextContents();
    // Newest first: the exception, then the refusal; initials and the last four digits only.
    expect(rows[0]).toContain(vi.history.overridden);
    expect(rows[1]).toContain(vi.history.outcomes.rejected);
    expect(rows.every((t) => t.includes('L. T. M.') && t.includes('********2345') && t.includes(r.reader.name))).toBe(true);
    const text = (await page.locator('body').textContent())!;
    expect(text).not.toContain('Lê Thị Mẫu');
    expect(text).not.toContain('000190012345');
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'history-1-today');

    await page.getByTestId('history-last').fill('9999');
    await page.getByTestId('history-search').click();
    await expect.poll(() => page.getByTestId('history-count').getAttribute('data-count')).toBe('0');
    await page.getByTestId('history-last').fill('12345');
    await page.getByTestId('history-search').click();
    await expect.poll(() => page.getByTestId('history-count').getAttribute('data-count')).toBe('2');
    // Our own message for a bad search, not the browser's.
    await page.getByTestId('history-last').fill('12a');
    await page.getByTestId('history-search').click();
    expect(await page.locator('#history-invalid').textContent()).toBe(vi.history.searchInvalid);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('history-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe(['Giờ', 'Kết luận', 'Họ tên', 'Số giấy tờ', 'Đầu đọc'].map((x) => `"${x}"`).join(','));
    expect(lines).toHaveLength(3);
    expect(csv).toContain('"********2345"');
    expect(csv).not.toContain('Lê Thị Mẫu');
    await page.getByTestId('tab-desk').click();
  });
});

describe('desk at 1280x800, a genuine card without its trust anchor', () => {
  let r: Rig;
  beforeAll(async () => {
    // No trust store: the card is amber, so a person must look.
    r = await rig({ card: genuine, autoKey: true, store: true, settings: { profile: 'airport' } });
    await r.page.setViewportSize({ width: 1280, height: 800 });
  });
  afterAll(async () => r?.close());

  it('a review: Enter without a tick says what is missing; with one, the check is recorded', async () => {
    const { page, kiosk } = r;
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('decision').getAttribute('data-decision'), { timeout: 30_000 }).toBe('review');
    expect(await page.getByTestId('decision').textContent()).toContain(vi.decision.review);
    expect(await inViewport(page, 'decision')).toBe(true);
    expect(await inViewport(page, 'confirm')).toBe(true);
    expect(await focusedTestId(r)).toBe('confirm');
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('checks-error').textContent()).toBe(vi.checksMissing);
    expect(kiosk.state.result!.record.status).toBe('not-available');
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'decision-desk-5-review-needs-check');
    await page.getByTestId('check-CARD_BY_EYE').check();
    await page.getByTestId('confirm').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('record').getAttribute('data-outcome')).toBe('review');
    const events = [...exportEvents(r.store!)];
    expect(events).toHaveLength(1);
    expect(events[0]!.body).toMatchObject({ v: 2, result: 'review', staff: { checked: ['CARD_BY_EYE'] } });
    await viewShot(page, 'decision-desk-6-review-confirmed');
  });
});

describe('self-service portrait kiosk at 1080x1920', () => {
  let r: Rig;
  beforeAll(async () => {
    r = await rig({ card: fake, autoKey: true, store: true, touch: true, settings: { profile: 'self-service', idleSeconds: 120 } });
    await r.page.setViewportSize({ width: 1080, height: 1920 });
  });
  afterAll(async () => r?.close());

  it('a forged card: no "Xác nhận", the person is sent to staff, who record the refusal with the PIN', async () => {
    const { page } = r;
    await page.getByTestId('welcome').waitFor();
    await viewShot(page, 'decision-kiosk-1-welcome');
    await page.getByTestId('demo-place').tap();
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('result').getAttribute('data-decision')).toBe('reject');
    expect(await page.getByTestId('confirm').count()).toBe(0);
    expect(await page.getByTestId('ask-staff').textContent()).toBe(vi.ssSeeStaff);
    // The forged data is not shown to the person at all.
    expect(await page.getByTestId('fullName').count()).toBe(0);
    expect(await inViewport(page, 'ask-staff')).toBe(true);
    expect(await inViewport(page, 'cancel')).toBe(true);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'decision-kiosk-2-see-staff');

    await page.getByTestId('staff-pin').fill('123456');
    await page.getByTestId('staff-unlock').tap();
    await page.getByTestId('staff-panel').waitFor();
    expect(await page.getByTestId('decision').getAttribute('data-decision')).toBe('reject');
    expect(await inViewport(page, 'record-refusal')).toBe(true);
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'decision-kiosk-3-staff');
    await page.getByTestId('record-refusal').tap();
    await page.getByTestId('done').waitFor();
    expect([...exportEvents(r.store!)].map((e) => e.body.result)).toEqual(['rejected']);
  });
});
