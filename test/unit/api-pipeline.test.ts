// The verification pipeline behind the API, with the software chip on the emulated
// reader: keys, progress, errors a clerk can act on, and the plug-in points (biometric
// step, recorder) doing what they say while the real modules are still to land.
import { describe, expect, it } from 'vitest';
import type { KioskState } from '../../main/api/contract.js';
import { dispatch } from '../../main/api/dispatch.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { EmulatedReader, demoCanSource } from '../../main/verify/emulated-reader.js';
import { type BiometricStep, type Recorder } from '../../main/verify/pipeline.js';
import type { VerificationRecord } from '../../main/verify/event.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { parseDg2 } from '../../drivers/emrtd/dg2.js';
import { loadDemo } from '../helpers/cards.js';

function setup(card: CardImage, extra: { biometric?: BiometricStep; recorder?: Recorder; autoKey?: boolean } = {}) {
  const reader = new EmulatedReader(card, { latency: null });
  const kiosk = new Kiosk({ reader, mode: 'demo', keySources: extra.autoKey ? [demoCanSource(card)] : [], biometric: extra.biometric, recorder: extra.recorder });
  const states: KioskState[] = [];
  kiosk.pipeline.onState((s) => states.push(s));
  const until = (p: (s: KioskState) => boolean) => expect.poll(() => p(kiosk.state), { timeout: 20_000 }).toBe(true);
  return { reader, kiosk, states, until, call: (m: string, p: unknown) => dispatch(kiosk, m, p) };
}

function forged(card: CardImage): CardImage {
  // One letter of DG13 changed after the issuer signed it: still parses, no longer hashes.
  const dg13 = new Uint8Array(card.files.get('DG13')!);
  const at = Buffer.from(dg13).indexOf('Kinh');
  dg13[at + 3] = 'm'.charCodeAt(0);
  return { ...card, files: new Map([...card.files, ['DG13', dg13]]) };
}

describe('verification pipeline', () => {
  it('asks for a key when the card arrives, refuses a wrong CAN with a clear message, then reads with progress', async () => {
    const card = await loadDemo('cccd');
    const { reader, kiosk, states, until, call } = setup(card);
    reader.setPresent(true);
    expect(kiosk.state.phase).toBe('need-key');
    await call('accessKey', { kind: 'can', can: '999999' });
    await until((s) => s.phase === 'need-key' && s.keyError !== undefined);
    expect(kiosk.state.keyError!.code).toBe('ACCESS_DENIED');
    expect(kiosk.state.keyError!.messages.vi).toContain('CAN');
    await call('accessKey', { kind: 'can', can: card.secrets.can });
    await until((s) => s.phase === 'result');
    const fractions = states.filter((s) => s.phase === 'reading' && s.progress).map((s) => s.progress!.fraction);
    expect(fractions.length).toBeGreaterThan(2);
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    const v = kiosk.state.result!;
    expect(v.biometric).toEqual({ status: 'not-available' });
    expect(v.person.photo && 'url' in v.person.photo && v.person.photo.url?.startsWith('data:image/jpeg;base64,')).toBe(true);
    // Nothing plugged in to store it: confirming says so rather than pretending.
    expect(await call('confirm', { id: v.id, checked: ['FACE_BY_EYE'] })).toEqual({ ok: true, result: { record: { status: 'not-available' } } });
    expect(kiosk.state.phase).toBe('confirmed');
    expect(await call('confirm', { id: 'stale-id' })).toMatchObject({ ok: false, error: { code: 'STALE_RESULT' } });
  });

  it('a forged card is red and rejected', async () => {
    const { reader, kiosk, until } = setup(forged(await loadDemo('cccd')), { autoKey: true });
    reader.setPresent(true);
    await until((s) => s.phase === 'result');
    expect(kiosk.state.result!.authenticity).toMatchObject({ level: 'red', reason: 'data-altered', passive: 'invalid' });
    expect(kiosk.state.result!.decision).toBe('reject');
  });

  it('hands the step the chip portrait, turns its score into matched / not-matched at the threshold, decides, records, and clear forgets the person', async () => {
    const card = await loadDemo('cccd');
    const portrait = parseDg2(card.files.get('DG2')!).faces[0]!.image;
    // The step's answers are inputs here; what is checked is what the pipeline makes of them.
    for (const { score, status } of [
      { score: 0.42, status: 'not-matched' },
      { score: 0.6, status: 'matched' }, // at the threshold counts as a match (>=)
      { score: 0.9, status: 'matched' },
    ] as const) {
      const seen: Array<Uint8Array | undefined> = [];
      const records: VerificationRecord[] = [];
      const biometric: BiometricStep = { method: 'face', verify: async (p) => (seen.push(p), { method: 'face', score, threshold: 0.6 }) };
      const recorder: Recorder = { record: async (v) => (records.push(v), { eventId: `evt-${records.length}` }) };
      const { reader, kiosk, until, call } = setup(card, { biometric, recorder, autoKey: true });
      reader.setPresent(true);
      await until((s) => s.phase === 'result');
      // Exactly the image inside DG2's biometric data block, not the whole data group or a copy of something else.
      expect(seen).toHaveLength(1);
      expect(Buffer.from(seen[0]!).equals(Buffer.from(portrait))).toBe(true);
      const v = kiosk.state.result!;
      expect(v.biometric.status, `score ${score}`).toBe(status);
      // No trust store here: authenticity is amber, so a match leaves it to staff and a non-match rejects.
      expect(v.authenticity.level).toBe('amber');
      expect(v.decision, `score ${score}`).toBe(status === 'matched' ? 'review' : 'reject');
      // A review is confirmed with what the clerk checked; a reject is confirmed as the refusal.
      const outcome = status === 'matched' ? 'review' : 'rejected';
      expect(await call('confirm', { id: v.id, ...(status === 'matched' ? { checked: ['FACE_BY_EYE'] } : {}) })).toEqual({ ok: true, result: { record: { status: 'stored', eventId: 'evt-1', outcome } } });
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ id: v.id, decision: v.decision, biometric: { status }, report: { document: v.person.document } });
      await call('clear', {});
      expect(kiosk.state.result).toBeUndefined();
      expect(JSON.stringify(kiosk.state)).not.toContain(v.person.document.documentNumber);
    }
  });
});
