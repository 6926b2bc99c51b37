// Around the decision: a tone for it (WebAudio, generated; off by the setting), the person's
// data gone when the card is lifted after the result was recorded, and the status screen in
// the station's local hours with counts on the bars, "not configured" without a server and
// no label twice. The page runs in Asia/Ho_Chi_Minh, as stations in the field do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { CUES } from '../../renderer/sound.js';
import { STRINGS } from '../../renderer/i18n.js';
import { loadDemo } from '../helpers/cards.js';
import { type Rig, axeProblems, contrastProblems, rig, viewShot } from './harness.js';

const vi = STRINGS.vi;

/** One letter of DG13 changed after the issuer signed it. */
function forged(card: CardImage): CardImage {
  const dg13 = new Uint8Array(card.files.get('DG13')!);
  dg13[Buffer.from(dg13).indexOf('Kinh') + 3] = 'm'.charCodeAt(0);
  return { ...card, files: new Map([...card.files, ['DG13', dg13]]) };
}

let r: Rig;
let name: string;

beforeAll(async () => {
  const card = forged(await loadDemo('cccd'));
  name = 'Lê Thị Mẫu';
  r = await rig({
    card,
    autoKey: true,
    store: true,
    timezoneId: 'Asia/Ho_Chi_Minh',
    // Every oscillator the page starts: its wave and frequency, as the cue was generated.
    initScript: () => {
      const tones: Array<{ wave: string; hz: number }> = [];
      (window as unknown as { tones: typeof tones }).tones = tones;
      const create = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function (this: AudioContext) {
        const osc = create.call(this);
        const start = osc.start.bind(osc);
        osc.start = (when?: number) => {
          tones.push({ wave: osc.type, hz: osc.frequency.value });
          start(when);
        };
        return osc;
      };
    },
  });
});

afterAll(async () => r?.close());

const tones = () => r.page.evaluate(() => (window as unknown as { tones: Array<{ wave: string; hz: number }> }).tones);

describe('tones, clear on lift, status', () => {
  it('the three cues differ in pitch and rhythm', () => {
    const sig = (d: keyof typeof CUES) => JSON.stringify(CUES[d]);
    expect(new Set([sig('accept'), sig('review'), sig('reject')]).size).toBe(3);
  });

  it('a reject sounds its cue; lifting the card after the refusal is recorded clears the person', async () => {
    const { page, reader, kiosk } = r;
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('decision').getAttribute('data-decision'), { timeout: 30_000 }).toBe('reject');
    await expect.poll(tones).toEqual(CUES.reject.notes.map((n) => ({ wave: CUES.reject.wave, hz: n.hz })));
    await page.getByTestId('record-refusal').click();
    await expect.poll(() => page.getByTestId('record').getAttribute('data-status')).toBe('stored');
    reader.setPresent(false);
    await page.getByTestId('result').waitFor({ state: 'detached', timeout: 10_000 });
    expect(kiosk.state.phase).toBe('idle');
    expect(kiosk.state.result).toBeUndefined();
    expect(await page.locator('body').textContent()).not.toContain(name);
    expect(await page.getByTestId('phase').textContent()).toBe(vi.phase.idle);
  });

  it('status: local hours with the count on the bar, no server is "not configured", no label twice', async () => {
    const { page } = r;
    await page.getByTestId('tab-status').click();
    await expect.poll(() => page.getByTestId('store').getAttribute('data-link')).toBe('not-configured');
    expect(await page.getByTestId('store').textContent()).toContain(vi.linkNotConfigured);
    expect(await page.getByTestId('store').textContent()).not.toContain(vi.linkState.down);
    const hour = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
    const bar = page.locator(`[data-testid=per-hour] text.count[data-hour="${hour}"]`);
    expect(await bar.textContent()).toBe('1');
    expect(await page.locator('[data-testid=per-hour] text.count').count()).toBe(1);
    expect(await page.locator('[data-testid=per-hour] text.axis').last().textContent()).toBe(`${hour}h`);
    const labels = await page.locator('main dt, main h2, main h3').allTextContents();
    expect(new Set(labels).size).toBe(labels.length);
    expect(await contrastProblems(page)).toEqual([]);
    expect(await axeProblems(page)).toEqual([]);
    await viewShot(page, 'status-local-hours');
  });

  it('with the sound setting off, the next decision is silent', async () => {
    const { page, reader } = r;
    await page.getByTestId('tab-settings').click();
    await page.getByTestId('pin').waitFor();
    expect(await axeProblems(page)).toEqual([]);
    await page.getByTestId('pin').fill('123456');
    await page.keyboard.press('Enter');
    await page.getByTestId('sound').uncheck();
    await page.getByTestId('save').click();
    await expect.poll(() => r.kiosk.currentSettings.sound).toBe(false);
    await page.getByTestId('tab-desk').click();
    const before = (await tones()).length;
    reader.setPresent(true);
    await expect.poll(() => page.getByTestId('decision').getAttribute('data-decision'), { timeout: 30_000 }).toBe('reject');
    await page.waitForTimeout(300);
    expect((await tones()).length).toBe(before);
  });
});
