// The kiosk in live mode on the PC/SC reader: a private pcscd, the demo CCCD on vpcd
// served from a worker thread, and the kiosk driven through its API handlers as the
// renderer drives it (card placed -> CAN -> reading -> result; card lifted mid-read;
// pcscd gone and back). A card lifted mid-read is waited for and resumed, as `read` does
// (main/verify/card-reader.ts), and the stored event names pcscd's reader.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KioskState } from '../../main/api/contract.js';
import { dispatch } from '../../main/api/dispatch.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { demoCard } from '../../main/paths.js';
import { PcscCardReader } from '../../main/verify/pcsc-reader.js';
import { PcscTransport } from '../../drivers/pcsc/transport.js';
import { readDocument } from '../../drivers/emrtd/read-document.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { saveCardFolder } from '../../drivers/emulator/card-folder.js';
import type { VerificationRecord } from '../../main/verify/event.js';
import { demoPerson, freshCard, loadDemo, tempDir } from '../helpers/cards.js';
import { type Fixture, type HostedCard, insert, startFixture, stopFixture, waitPresence } from './pcsc-fixture.js';

let f: Fixture | undefined;
const fx = (): Fixture => {
  if (!f) throw new Error('pcscd did not start (see beforeAll)');
  return f;
};

/** The APDU index where DG2 starts streaming in a read of the demo CCCD. */
let dg2Start = 0;

beforeAll(async () => {
  const chip = new SoftwareChip(await loadDemo('cccd'));
  await readDocument(chip, { access: { kind: 'can', can: CAN }, onProgress: (p) => void (p.file === 'DG2' && dg2Start === 0 && (dg2Start = chip.apdus)) });
  f = await startFixture();
}, 30_000);

afterAll(async () => {
  await stopFixture(f);
}, 30_000);

const open: Array<{ kiosk: Kiosk; reader: PcscCardReader }> = [];
const cards: HostedCard[] = [];

afterEach(async () => {
  for (const { kiosk, reader } of open.splice(0)) {
    kiosk.close();
    await reader.close();
  }
  for (const c of cards.splice(0)) {
    await c.stop();
    f?.cards.delete(c);
  }
  if (f?.pcscd.alive()) {
    await waitPresence(f.slot0, false);
  }
}, 30_000);

const CAN = '012345';

function setup(name?: string, o: { resumeWithinMs?: number; records?: VerificationRecord[] } = {}) {
  const reader = new PcscCardReader({ name, watch: { pollMs: 300, retryMs: 200 } });
  const records = o.records;
  const recorder = records && { record: async (v: VerificationRecord) => (records.push(v), { eventId: `e${records.length}` }) };
  const kiosk = new Kiosk({ reader, mode: 'live', progressEveryMs: 0, resumeWithinMs: o.resumeWithinMs ?? 1500, ...(recorder ? { recorder } : {}) });
  open.push({ kiosk, reader });
  const states: KioskState[] = [];
  kiosk.pipeline.onState((s) => states.push(s));
  const until = (what: string, p: (s: KioskState) => boolean) =>
    expect.poll(() => (p(kiosk.state) ? true : `${what}; now ${JSON.stringify({ reader: kiosk.state.reader, phase: kiosk.state.phase, error: kiosk.state.error })}`), { timeout: 20_000, interval: 50 }).toBe(true);
  return { reader, kiosk, states, until, call: (m: string, p: unknown) => dispatch(kiosk, m, p) };
}

async function placeCard(dir = demoCard('cccd')): Promise<HostedCard> {
  const c = await insert(fx(), dir);
  cards.push(c);
  return c;
}

describe('kiosk on a PC/SC reader', () => {
  it('follows the first reader, asks for the CAN when the card lands, reads it and holds it exclusively', async () => {
    const { reader, kiosk, states, until, call } = setup();
    await until('the first vpcd slot, empty', (s) => s.reader.status === 'empty' && s.reader.name === fx().slot0);
    expect(kiosk.state).toMatchObject({ mode: 'live', phase: 'idle', reader: { emulated: false } });
    expect(reader.problem).toBeUndefined();

    await placeCard();
    await until('need-key with the card on the reader', (s) => s.reader.status === 'card' && s.phase === 'need-key');
    expect(await call('accessKey', { kind: 'can', can: CAN })).toEqual({ ok: true, result: { accepted: true } });
    await until('a result', (s) => s.phase === 'result');

    const phases = states.map((s) => s.phase);
    expect(phases.indexOf('reading')).toBeGreaterThan(phases.indexOf('need-key'));
    expect(phases.indexOf('checking')).toBeGreaterThan(phases.indexOf('reading'));
    const result = kiosk.state.result!;
    expect(result.person.vn?.fullName).toBe('Lê Thị Mẫu');
    expect(result.access).toBe('PACE-GM');
    expect(result.stats.apdus).toBeGreaterThan(10);

    // The session stays ours while the result is on screen: no other program rides on it.
    const other = await PcscTransport.connect(fx().slot0, { share: 'shared' }).then(
      async (t) => (await t.close(), undefined),
      (e: unknown) => e,
    );
    expect(other).toMatchObject({ code: 'READER_BUSY' });

    // The clerk clears and reads the same card again: the previous session is released first.
    await call('clear', {});
    await until('need-key after clear', (s) => s.phase === 'need-key');
    await call('accessKey', { kind: 'can', can: CAN });
    await until('a second result', (s) => s.phase === 'result' && s.result!.id !== result.id);
    expect(kiosk.state.result!.person.vn?.fullName).toBe('Lê Thị Mẫu');
  });

  it('a card lifted mid-DG2 and put back is resumed: the result comes without starting over, and the event names the reader', async () => {
    const records: VerificationRecord[] = [];
    const { kiosk, states, until, call } = setup(undefined, { resumeWithinMs: 20_000, records });
    await until('an empty reader', (s) => s.reader.status === 'empty');
    const card = await placeCard();
    await until('need-key', (s) => s.phase === 'need-key');
    // The chip leaves the field a few APDUs into DG2; the clerk puts it back once the screen says so.
    await card.removeAfter(dg2Start + 3);
    let putBack: Promise<unknown> | undefined;
    kiosk.pipeline.onState((s) => {
      if (s.progress?.lifted && !putBack) putBack = card.insert();
    });
    await call('accessKey', { kind: 'can', can: CAN });
    await until('a result', (s) => s.phase === 'result' || s.phase === 'error');
    expect(kiosk.state.error).toBeUndefined();
    expect(putBack).toBeDefined();
    const lifted = states.findIndex((s) => s.progress?.lifted);
    const before = states.slice(0, lifted).filter((s) => s.progress?.file === 'DG2').map((s) => s.progress!.read);
    const after = states.slice(lifted).filter((s) => s.progress?.file === 'DG2').map((s) => s.progress!.read);
    expect(before.length).toBeGreaterThan(0);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(Math.max(...before));
    const result = kiosk.state.result!;
    expect(result.person.vn?.fullName).toBe('Lê Thị Mẫu');
    // Chip authentication ran on the resumed session: it is the chip, not a replay of what was read.
    expect(result.authenticity.chip).toBe('valid');
    // No trust folder here: a review, confirmed with what the clerk checked.
    expect(await call('confirm', { id: result.id, checked: ['FACE_BY_EYE'] })).toMatchObject({ ok: true });
    expect(records.map((r) => r.reader)).toEqual([fx().slot0]);
  });

  it('a different card put back during the wait is refused: CARD_CHANGED, nothing joined', async () => {
    const other = tempDir('idk-other-');
    const twin = await freshCard(await demoPerson('cccd'));
    twin.secrets.can = CAN;
    await saveCardFolder(other, twin, 'the demo person, issued again (another SOD)');
    const { kiosk, until, call } = setup(undefined, { resumeWithinMs: 20_000 });
    await until('an empty reader', (s) => s.reader.status === 'empty');
    const card = await placeCard();
    await until('need-key', (s) => s.phase === 'need-key');
    await card.removeAfter(dg2Start + 3);
    let swapped: Promise<unknown> | undefined;
    kiosk.pipeline.onState((s) => {
      if (s.progress?.lifted && !swapped) {
        swapped = (async () => {
          await card.stop();
          f?.cards.delete(card);
          cards.splice(cards.indexOf(card), 1);
          await placeCard(other);
        })();
      }
    });
    await call('accessKey', { kind: 'can', can: CAN });
    await until('an error', (s) => s.phase === 'error');
    await swapped;
    expect(kiosk.state.error!.code).toBe('CARD_CHANGED');
    expect(kiosk.state.result).toBeUndefined();
  });

  it('a card lifted mid-read and not put back in time is CARD_REMOVED; placed again, the same CAN reads it', async () => {
    const { kiosk, states, until, call } = setup();
    await until('an empty reader', (s) => s.reader.status === 'empty');
    const card = await placeCard();
    await until('need-key', (s) => s.phase === 'need-key');
    // The chip leaves the field at its 30th APDU (past PACE, inside the files): the host drops vpcd's link.
    await card.removeAfter(30);
    await call('accessKey', { kind: 'can', can: CAN });
    await until('an error', (s) => s.phase === 'error');
    expect(kiosk.state.error!.code).toBe('CARD_REMOVED');
    expect(kiosk.state.error!.messages.vi).toContain('đặt lại thẻ');
    expect(states.some((s) => s.phase === 'reading' && (s.progress?.done ?? 0) >= 1)).toBe(true);
    await until('the reader empty', (s) => s.reader.status === 'empty');
    expect((await card.state()).inserted).toBe(false);

    await card.insert();
    await until('a result after the card came back', (s) => s.phase === 'result');
    expect(kiosk.state.result!.person.vn?.fullName).toBe('Lê Thị Mẫu');
  });

  it('a named reader is followed by name; an absent one shows no reader with NO_READER', async () => {
    const slot1 = setup(fx().slot1);
    await slot1.until('slot 1, empty', (s) => s.reader.status === 'empty' && s.reader.name === fx().slot1);
    const missing = setup('No Such Reader 00 00');
    // Give the watcher a round to list the readers it does see.
    await slot1.until('slot 1 still empty', (s) => s.reader.status === 'empty');
    await missing.until('no reader', (s) => s.reader.status === 'no-reader');
    expect(missing.kiosk.state.reader.name).toBe('No Such Reader 00 00');
    expect(missing.reader.problem).toMatchObject({ code: 'NO_READER' });
    expect(missing.reader.problem!.messages.en).toContain(fx().slot0);

    // A card on slot 0 is not slot 1's.
    await placeCard();
    const unnamed = setup();
    await unnamed.until('the unnamed reader sees the card', (s) => s.reader.status === 'card');
    expect(slot1.kiosk.state.reader.status).toBe('empty');
    expect(slot1.kiosk.state.phase).toBe('idle');
  });

  it('pcscd stopping shows no reader with PCSCD_NOT_RUNNING; pcscd back, the reader is back', async () => {
    const { reader, kiosk, until, call } = setup();
    await until('an empty reader', (s) => s.reader.status === 'empty');
    await fx().pcscd.stop();
    await until('no reader', (s) => s.reader.status === 'no-reader');
    expect(reader.problem).toMatchObject({ code: 'PCSCD_NOT_RUNNING' });
    expect(reader.problem!.messages.vi).toContain('pcscd');
    // The kiosk state carries it to the screen, so the clerk reads what to start.
    await until('the reader problem in the kiosk state', (s) => s.reader.problem?.code === 'PCSCD_NOT_RUNNING');
    expect(kiosk.state.reader.problem!.messages.vi).toContain('pcscd');
    expect(await call('status', {})).toMatchObject({ ok: true, result: { devices: expect.arrayContaining([{ kind: 'reader', name: 'PC/SC', state: 'absent' }]) } });
    expect(kiosk.state.phase).toBe('idle');

    // A reader made while pcscd is down says the same.
    const late = setup();
    await late.until('no reader', (s) => s.reader.status === 'no-reader');
    await expect.poll(() => late.reader.problem?.code, { timeout: 10_000 }).toBe('PCSCD_NOT_RUNNING');

    f = await startFixture();
    await until('the reader back', (s) => s.reader.status === 'empty' && s.reader.name === fx().slot0);
    expect(reader.problem).toBeUndefined();
    expect(kiosk.state.reader.problem).toBeUndefined();
    await late.until('the reader back', (s) => s.reader.status === 'empty');
  }, 60_000);
});
