// The airport desk in Chromium: a boarding pass from the scanner is checked against the chip
// and shown with the result — flight, and an alert when the name is another's or the flight
// is not today.
import { afterEach, describe, expect, it } from 'vitest';
import { STRINGS } from '../../renderer/i18n.js';
import { loadDemo } from '../helpers/cards.js';
import { type Rig, rig, shot } from './harness.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

function pass(name: string, daysFromToday = 0): string {
  const d = new Date();
  d.setDate(d.getDate() + daysFromToday);
  const day = Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 0)) / 86_400_000);
  return `M1${name.padEnd(20)}EXYZ789 HANDADVN 0123 ${String(day).padStart(3, '0')}Y007A0042 100`;
}

describe('boarding pass at the airport desk', () => {
  it('shows the flight with the result; a name that differs and a flight not today are alerts', async () => {
    r = await rig({ card: await loadDemo('cccd'), autoKey: true, settings: { profile: 'airport' } });
    const { page } = r;
    r.kiosk.handleQrText(pass('LE/THI MAU'), 'wedge');
    r.reader.setPresent(true);
    const bp = page.getByTestId('boarding-pass');
    await expect.poll(() => bp.getAttribute('data-name-match'), { timeout: 20_000 }).toBe('true');
    expect(await bp.getAttribute('data-today')).toBe('true');
    expect(await bp.textContent()).toContain('VN123 HAN → DAD');
    expect(await bp.textContent()).toContain(STRINGS.vi.boarding.nameOk);
    expect(await bp.getByRole('alert').count()).toBe(0);
    await shot(page, 'desk-boarding-ok');
    r.kiosk.handleQrText(pass('NGUYEN/VAN AN', 2), 'wedge');
    await expect.poll(() => bp.getAttribute('data-name-match')).toBe('false');
    expect(await bp.getAttribute('data-today')).toBe('false');
    expect(await bp.getByRole('alert').allTextContents()).toEqual([STRINGS.vi.boarding.nameBad('NGUYEN/VAN AN'), STRINGS.vi.boarding.notToday]);
    await shot(page, 'desk-boarding-mismatch');
  });
});
