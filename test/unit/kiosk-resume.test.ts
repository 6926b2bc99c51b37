// The kiosk resumes a card lifted mid-read, as `read` does (one reader path:
// main/verify/card-reader.ts): the screen says the card left, the read waits, and when the
// card is back it goes on from where it was instead of starting over. A card that does not
// come back in time is CARD_REMOVED with how far the read got. Through pcscd:
// test/integration/kiosk-pcsc.test.ts.
import { describe, expect, it } from 'vitest';
import type { KioskState } from '../../main/api/contract.js';
import { dispatch } from '../../main/api/dispatch.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import type { VerificationRecord } from '../../main/verify/event.js';
import { EmulatedReader } from '../../main/verify/emulated-reader.js';
import { loadDemo } from '../helpers/cards.js';

async function setup(resumeWithinMs?: number) {
  const card = await loadDemo('cccd');
  const reader = new EmulatedReader(card, { latency: null });
  const records: VerificationRecord[] = [];
  const kiosk = new Kiosk({
    reader,
    mode: 'demo',
    progressEveryMs: 0,
    resumeWithinMs,
    recorder: { record: async (v) => (records.push(v), { eventId: `e${records.length}` }) },
  });
  const states: KioskState[] = [];
  kiosk.pipeline.onState((s) => states.push(s));
  const until = (what: string, p: (s: KioskState) => boolean) =>
    expect.poll(() => (p(kiosk.state) ? true : `${what}; now ${kiosk.state.phase}`), { timeout: 20_000 }).toBe(true);
  return { card, reader, kiosk, states, records, until, call: (m: string, p: unknown) => dispatch(kiosk, m, p) };
}

/** Lifts the card once DG2 has `after` bytes in, and (unless `back` is false) puts it back once the screen says it was lifted. */
function liftDuringDg2(k: Awaited<ReturnType<typeof setup>>, o: { after: number; back: boolean }): { liftedAt: () => number } {
  let liftedAt = -1;
  let returned = false;
  k.kiosk.pipeline.onState((s) => {
    const p = s.progress;
    if (liftedAt < 0 && p?.file === 'DG2' && p.read >= o.after) {
      liftedAt = p.read;
      k.reader.setPresent(false);
    }
    if (o.back && !returned && p?.lifted) {
      returned = true;
      setTimeout(() => k.reader.setPresent(true), 20);
    }
  });
  return { liftedAt: () => liftedAt };
}

describe('the kiosk resumes a lifted card', () => {
  it('waits while the card is off, then continues DG2 where it stopped and shows the result', async () => {
    const k = await setup();
    const lift = liftDuringDg2(k, { after: 1000, back: true });
    k.reader.setPresent(true);
    await k.call('accessKey', { kind: 'can', can: '012345' });
    await k.until('a result', (s) => s.phase === 'result' || s.phase === 'error');
    expect(k.kiosk.state.error).toBeUndefined();
    const result = k.kiosk.state.result!;
    expect(result.person.vn?.fullName).toBe('Lê Thị Mẫu');
    expect(lift.liftedAt()).toBeGreaterThanOrEqual(1000);

    // The screen said the card was lifted, while the read stayed in `reading`.
    const liftedStates = k.states.filter((s) => s.progress?.lifted);
    expect(liftedStates.length).toBeGreaterThan(0);
    expect(liftedStates.every((s) => s.phase === 'reading')).toBe(true);
    expect(liftedStates[0]!.reader.status).toBe('empty');
    // Once it goes on, the prompt is gone.
    expect(k.states.at(-1)!.progress?.lifted).toBeUndefined();
    // Not started over: after the lift, DG2's progress never went back below where it stopped.
    const i = k.states.findIndex((s) => s.progress?.lifted);
    const dg2After = k.states.slice(i).filter((s) => s.progress?.file === 'DG2').map((s) => s.progress!.read);
    expect(dg2After.length).toBeGreaterThan(0);
    expect(Math.min(...dg2After)).toBeGreaterThanOrEqual(lift.liftedAt());
    // Every byte of every file is the card's: the same chip, checked (EF.COM, DG1, SOD again) before joining.
    expect(result.authenticity.passive).toBe('no-trust-anchor');
    expect(result.authenticity.detail ?? '').not.toMatch(/mismatch/);

    // The confirmed event names the reader that read it.
    await k.call('confirm', { id: result.id, checked: ['FACE_BY_EYE'] });
    expect(k.records.map((r) => r.reader)).toEqual([k.reader.name]);
    await k.kiosk.close();
  });

  it('says CARD_REMOVED with how far it got when the card stays off past the wait', async () => {
    const k = await setup(300);
    liftDuringDg2(k, { after: 1, back: false });
    k.reader.setPresent(true);
    await k.call('accessKey', { kind: 'can', can: '012345' });
    await k.until('an error', (s) => s.phase === 'error');
    expect(k.kiosk.state.error!.code).toBe('CARD_REMOVED');
    expect(k.kiosk.state.error!.messages.en).toMatch(/stopped in DG2 \d+ B/);
    expect(k.kiosk.state.error!.messages.vi).toContain('đặt lại thẻ');
    // The key is kept: placed again, the card reads without asking.
    k.reader.setPresent(true);
    await k.until('a result after the card came back', (s) => s.phase === 'result');
    await k.kiosk.close();
  });

  it('clearing while the card is off ends the wait at once', async () => {
    const k = await setup(60_000);
    liftDuringDg2(k, { after: 1, back: false });
    k.reader.setPresent(true);
    await k.call('accessKey', { kind: 'can', can: '012345' });
    await k.until('the lifted prompt', (s) => s.progress?.lifted === true);
    await k.call('clear', {});
    await k.until('idle', (s) => s.phase === 'idle' && !s.progress);
    // A new card is read at once: the old wait is gone, not holding the reader.
    k.reader.setPresent(true);
    await k.until('need-key for the next card', (s) => s.phase === 'need-key');
    await k.kiosk.close();
  });
});
