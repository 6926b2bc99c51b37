// The desk view end to end: the headless host serving the renderer to a real Chromium,
// the software chip on the emulated reader. Place the card, type the CAN, watch the
// progress, see the data and authenticity, confirm; switch language; the other screens.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { parseDg2 } from '../../drivers/emrtd/dg2.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { STRINGS, vnDate } from '../../renderer/i18n.js';
import { decodeDocument, type ReadReport } from '../../main/verify/report.js';
import { authenticityView } from '../../main/verify/pipeline.js';
import { loadDemo, tempDir } from '../helpers/cards.js';
import { type Rig, axeProblems, contrastProblems, rig, shot, unlabelled } from './harness.js';
import { queueCounts, recordVerification } from '../../offline-cache/outbox.js';
import { nextBatch } from '../../offline-cache/quarantine.js';
import { syntheticVerification } from '../../main/bench/synthetic.js';

let card: CardImage;
let expected: ReadReport;
let r: Rig;

beforeAll(async () => {
  card = await loadDemo('cccd');
  // What the chip says, decoded by the drivers outside the UI: the screen must show this.
  expected = (await decodeDocument(await readDocument(new SoftwareChip(card), { access: { kind: 'can', can: card.secrets.can! } }), 0)).report;
  r = await rig({ card, settings: { profile: 'airport' }, store: true });
  // The device key that signs the printed record's receipt, as kioskFor plugs it.
  r.kiosk.servicePlug = { keys: r.store!.keys, audit: () => undefined, dataDir: r.store!.dataDir };
});

afterAll(async () => {
  await r?.close();
});

describe('desk view', () => {
  it('places the card, asks for the CAN, refuses a wrong one, reads with progress and shows data, authenticity, then confirms', async () => {
    const { page } = r;
    const vi = STRINGS.vi;
    await expect.poll(() => page.getByTestId('reader-status').getAttribute('data-status')).toBe('empty');
    await expect.poll(() => page.getByTestId('phase').textContent()).toBe(vi.phase.idle);
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'desk-1-idle');

    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase')).toBe('need-key');
    // The CAN field has the focus: the clerk types and presses Enter, no mouse needed.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('can');
    await page.keyboard.type('111111');
    await page.keyboard.press('Enter');
    // The chip's refusal in plain words: no "CAN" jargon on a Vietnamese screen.
    await expect.poll(() => page.getByTestId('key-error').textContent(), { timeout: 20_000 }).toBe(vi.errors.ACCESS_DENIED);
    await shot(page, 'desk-2-wrong-can');
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);

    // Watch the bar from inside the page: every value it shows, in order.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seen: number[] }).seen = seen;
      const tick = () => {
        const p = document.querySelector<HTMLProgressElement>('[data-testid=progress]');
        if (p && seen[seen.length - 1] !== p.value) seen.push(p.value);
        requestAnimationFrame(tick);
      };
      tick();
    });
    await page.getByLabel(vi.canLabel).fill(card.secrets.can!);
    await page.getByTestId('open-chip').press('Enter');
    await page.getByTestId('progress').waitFor();
    await shot(page, 'desk-3-reading');
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
    const seen = await page.evaluate(() => (window as unknown as { seen: number[] }).seen);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);

    const vn = expected.vn!;
    expect(await page.getByTestId('fullName').textContent()).toBe(vn.fullName);
    expect(await page.getByTestId('idNumber').textContent()).toBe(vn.idNumber);
    expect(await page.getByTestId('dateOfBirth').textContent()).toBe(vnDate(vn.dateOfBirth));
    expect(await page.getByTestId('dateOfBirth').textContent()).toMatch(/^\d{2}\/\d{2}\/\d{4}$/);
    expect(await page.getByTestId('dateOfIssue').textContent()).toBe(vnDate(vn.dateOfIssue));
    for (const text of [vn.placeOfResidence!, vn.placeOfOrigin!, vn.ethnicity!, vn.motherName!]) {
      await expect.poll(() => page.getByTestId('person').textContent()).toContain(text);
    }
    // The portrait is the chip's JPEG itself, decoded by the browser at its own size.
    const face = parseDg2(card.files.get('DG2')!).faces[0]!;
    const img = page.getByTestId('photo');
    expect(await img.getAttribute('src')).toBe(`data:image/jpeg;base64,${Buffer.from(face.image).toString('base64')}`);
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight])).toEqual([face.width, face.height]);

    const auth = authenticityView(expected.authenticity);
    expect(await page.getByTestId('authenticity').getAttribute('data-level')).toBe(auth.level);
    expect(await page.getByTestId('authenticity').textContent()).toContain(vi.reason[auth.reason]);
    expect(await page.getByTestId('biometric').getAttribute('data-status')).toBe('not-available');
    expect(await page.getByTestId('camera').textContent()).toContain(vi.cameraNotAvailable);
    expect(await page.getByTestId('airport-panel').textContent()).toContain(vn.fullName);
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'desk-4-result');

    // No trust store here: the decision is review, in view at the top. The clerk ticks what they
    // checked; the confirm button is reached with the keyboard and pressed with Enter.
    expect(await page.getByTestId('decision').getAttribute('data-decision')).toBe('review');
    await page.getByTestId('check-FACE_BY_EYE').check();
    await page.getByTestId('confirm').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('record').getAttribute('data-status')).toBe('stored');
    expect(await page.getByTestId('record').textContent()).toContain(vi.record.stored);
    // The event is in the real store: signed, chained, waiting to be sent.
    expect(queueCounts(r.store!)).toMatchObject({ head: 1, acked: 0, pending: 1 });
    expect(r.kiosk.state.phase).toBe('confirmed');
    expect(await page.getByTestId('confirm').count()).toBe(0);
    await shot(page, 'desk-5-confirmed');

    // Print: the recorded result as a one-page PDF, the name with its diacritics as on the chip.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('print').click()]);
    const file = join(tempDir('idk-print-'), 'record.pdf');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toMatch(/^idkiosk-.+\.pdf$/);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Pages:\s+1\n/);
    expect(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })).toContain(expected.vn!.fullName!);
  });

  it('switches language: labels, prompts and the authenticity reason follow; dates stay dd/mm/yyyy', async () => {
    const { page } = r;
    const en = STRINGS.en;
    await page.getByTestId('lang').click();
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en');
    const auth = authenticityView(expected.authenticity);
    expect(await page.getByTestId('authenticity').textContent()).toContain(en.reason[auth.reason]);
    expect(await page.getByTestId('person').textContent()).toContain(en.f.placeOfResidence);
    expect(await page.getByTestId('dateOfBirth').textContent()).toBe(vnDate(expected.vn!.dateOfBirth));
    expect(await page.getByTestId('tab-status').textContent()).toBe(en.tabStatus);
    await shot(page, 'desk-6-english');
    await page.getByTestId('lang').click();
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('vi');
  });

  it('next person wipes the data and waits for the next card; a lifted card during the read is a clear error', async () => {
    const { page, reader } = r;
    await page.getByTestId('next').click();
    // The recorded person's card is still on the reader: not read again, the next card is awaited.
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase')).toBe('idle');
    expect(await page.getByTestId('phase').textContent()).toBe(STRINGS.vi.liftForNext);
    expect(await page.locator('body').textContent()).not.toContain(expected.vn!.fullName);
    await page.getByTestId('demo-remove').click();
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase')).toBe('need-key');
    await page.getByLabel(STRINGS.vi.canLabel).fill(card.secrets.can!);
    await page.keyboard.press('Enter');
    await page.getByTestId('progress').waitFor();
    reader.setPresent(false);
    await expect.poll(() => page.getByTestId('error').textContent()).toContain('đặt lại thẻ');
    await shot(page, 'desk-7-card-removed');
    // Placed again: the key is kept for the retry, so the read simply resumes.
    await page.getByTestId('demo-place').click();
    await page.getByTestId('result').waitFor({ timeout: 30_000 });
  });

  it('status shows devices, the queue of stored verifications and what was set aside; settings need the PIN', async () => {
    const { page } = r;
    // One stored event made unreadable, as a failing disk or a foreign key would: the sender sets it aside.
    r.store!.db.prepare('UPDATE events SET subject = zeroblob(80) WHERE seq = 1').run();
    expect(nextBatch(r.store!, 100).setAside).toBe(1);
    recordVerification(r.store!, syntheticVerification(1, 3));
    await page.getByTestId('tab-status').click();
    await expect.poll(() => page.getByTestId('store').getAttribute('data-available')).toBe('true');
    await expect.poll(() => page.getByTestId('quarantined').getAttribute('data-count')).toBe('1');
    expect(await page.getByTestId('quarantined').textContent()).toContain('SUBJECT_UNREADABLE');
    expect(await page.getByTestId('quarantined').textContent()).toContain('idkiosk queue retry');
    const pending = queueCounts(r.store!).pending;
    expect(pending).toBeGreaterThanOrEqual(1);
    expect(await page.getByTestId('store').textContent()).toContain(String(pending));
    expect(await page.getByTestId('devices').textContent()).toContain(r.reader.name);
    expect(await unlabelled(page)).toEqual([]);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'status');

    await page.getByTestId('tab-settings').click();
    await page.getByLabel(STRINGS.vi.pinLabel).fill('999999');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('toast').textContent()).toBe('Mã PIN quản trị không đúng.');
    await page.getByLabel(STRINGS.vi.pinLabel).fill('123456');
    await page.keyboard.press('Enter');
    await page.getByTestId('profile-select').selectOption('residence');
    await page.getByTestId('save').click();
    await expect.poll(() => page.getByTestId('saved').textContent()).toBe(STRINGS.vi.saved);
    expect(r.kiosk.currentSettings.profile).toBe('residence');
    expect(await unlabelled(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await shot(page, 'settings');

    // The residence profile prefills the declaration form from the chip.
    await page.getByTestId('tab-desk').click();
    await expect.poll(() => page.getByLabel(STRINGS.vi.f.placeOfResidence).last().inputValue()).toBe(expected.vn!.placeOfResidence);
    await shot(page, 'desk-8-residence');
  });
});
