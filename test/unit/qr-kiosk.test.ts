// A scanned QR as the kiosk's key source: the pipeline tries the QR's keys in `read --qr`'s
// order against the software chip, says which one opened it, compares the QR with the chip,
// and turns a QR that opens nothing (or is not a CCCD QR) into an error the clerk acts on.
// The QR texts are built from what the card's own DG13 says, then changed where a test needs it.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KioskState } from '../../main/api/contract.js';
import { dispatch } from '../../main/api/dispatch.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { kioskDemoCommand, kioskStartCommand } from '../../main/commands/start.js';
import { packageRoot } from '../../main/paths.js';
import { EmulatedReader } from '../../main/verify/emulated-reader.js';
import type { BiometricStep, Recorder } from '../../main/verify/pipeline.js';
import { storeRecorder } from '../../main/kiosk/store.js';
import { exportEvents } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { loadTrustFolder } from '../../main/verify/trust-folder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import type { Person } from '../../drivers/emulator/card-builder.js';
import { demoPerson, freshCard, loadDemo, tempDir } from '../helpers/cards.js';
import { qrFromCard } from '../helpers/qr.js';

const bacOnly = (p: Person): Person => ({ ...p, paceParameterId: null, chip: { ...p.chip, pace: false } });

function setup(card: CardImage, extra: { biometric?: BiometricStep; trust?: Awaited<ReturnType<typeof loadTrustFolder>>; recorder?: Recorder } = {}) {
  const reader = new EmulatedReader(card, { latency: null });
  const kiosk = new Kiosk({ reader, mode: 'demo', biometric: extra.biometric, trust: extra.trust, recorder: extra.recorder, log: () => {} });
  const until = (p: (s: KioskState) => boolean) => expect.poll(() => p(kiosk.state), { timeout: 20_000 }).toBe(true);
  return { reader, kiosk, until, call: (m: string, p: unknown) => dispatch(kiosk, m, p) };
}

describe('QR keys in the kiosk pipeline', () => {
  it('a CCCD with PACE opens with the CAN from its QR, and the view says so', async () => {
    const card = await loadDemo('cccd');
    const { reader, kiosk, until } = setup(card);
    reader.setPresent(true);
    expect(kiosk.state.phase).toBe('need-key');
    kiosk.handleQrText(qrFromCard(card), 'wedge');
    await until((s) => s.phase === 'result');
    const v = kiosk.state.result!;
    expect(v.access).toBe('PACE-GM · QR → CAN');
    expect(v.qr).toEqual({ source: 'wedge', opened: { kind: 'can' }, mismatches: [] });
  });

  it('a QR scanned before the card is kept and used when the card arrives', async () => {
    const card = await loadDemo('cccd');
    const { reader, kiosk, until, call } = setup(card);
    expect(await call('qrText', { text: qrFromCard(card), source: 'serial' })).toEqual({ ok: true, result: { accepted: true } });
    expect(kiosk.state).toMatchObject({ phase: 'idle', qrWaiting: 'serial' });
    reader.setPresent(true);
    await until((s) => s.phase === 'result');
    expect(kiosk.state.result!.qr).toMatchObject({ source: 'serial', opened: { kind: 'can' } });
    expect(kiosk.state.qrWaiting).toBeUndefined();
    // A typed key after a scan replaces it, and the screen stops saying a QR waits.
    await call('clear', {});
    reader.setPresent(false);
    kiosk.handleQrText(qrFromCard(card, { idNumber: '079190054321' }), 'wedge');
    expect(kiosk.state.qrWaiting).toBe('wedge');
    await call('accessKey', { kind: 'can', can: card.secrets.can });
    expect(kiosk.state.qrWaiting).toBeUndefined();
    reader.setPresent(true);
    await until((s) => s.phase === 'result');
    expect(kiosk.state.result!.qr).toBeUndefined();
  });

  it('a BAC-only card opens with the MRZ candidate that fits, and the one that opened it is reported', async () => {
    // Issued at the grace window's edge: the literal reading of the law gives the wrong expiry, the second candidate the right one.
    const base = await demoPerson('cccd');
    const person = bacOnly({ ...base, idNumber: '001098012345', dateOfBirth: '1998-08-20', sex: 'M', fullName: 'Lê Văn Thử', dateOfIssue: '2021-08-05', dateOfExpiry: '2038-08-20' });
    const card = await freshCard(person);
    const { reader, kiosk, until } = setup(card);
    reader.setPresent(true);
    kiosk.handleQrText(qrFromCard(card), 'camera');
    await until((s) => s.phase === 'result');
    const v = kiosk.state.result!;
    expect(v.qr).toMatchObject({ source: 'camera', opened: { kind: 'mrz', attempt: 2, inferred: true }, mismatches: [] });
    expect(v.access).toMatch(/^BAC · QR → MRZ, law-59-2014, grace window counted a month earlier \(inferred\)$/);
    expect(v.person.vn!.fullName).toBe('Lê Văn Thử');
  });

  it("another person's QR leaves the prompt up with a clear error; the typed CAN still opens the chip", async () => {
    const card = await loadDemo('cccd');
    const other = await freshCard({ ...(await demoPerson('cccd')), idNumber: '079190054321', fullName: 'Trần Văn Khác' });
    const { reader, kiosk, until, call } = setup(card);
    reader.setPresent(true);
    kiosk.handleQrText(qrFromCard(other), 'wedge');
    await until((s) => s.phase === 'need-key' && s.keyError !== undefined);
    const err = kiosk.state.keyError!;
    expect(err.code).toBe('QR_KEY_NOT_FOUND');
    expect(err.messages.vi).toMatch(/Mã QR không mở được thẻ.*CAN.*MRZ/);
    expect(err.messages.en).toMatch(/QR code did not open the card.*CAN.*MRZ/);
    // The message names no personal data from the QR.
    expect(JSON.stringify(kiosk.state)).not.toContain('054321');
    expect(JSON.stringify(kiosk.state)).not.toContain('Trần');
    await call('accessKey', { kind: 'can', can: card.secrets.can });
    await until((s) => s.phase === 'result');
    expect(kiosk.state.result!.access).toBe('PACE-GM');
    expect(kiosk.state.result!.qr).toBeUndefined();
  });

  it('a BAC-only card whose QR gives no working MRZ key: need-key after every candidate was tried', async () => {
    const person = bacOnly({ ...(await demoPerson('cccd')), dateOfExpiry: '2031-01-01' });
    const card = await freshCard(person);
    const { reader, kiosk, until } = setup(card);
    reader.setPresent(true);
    kiosk.handleQrText(qrFromCard(card), 'serial');
    await until((s) => s.phase === 'need-key' && s.keyError !== undefined);
    expect(kiosk.state.keyError!.code).toBe('QR_KEY_NOT_FOUND');
  });

  it('a QR that disagrees with the chip: the mismatch is in the view and the event, and a would-be accept becomes review', async () => {
    const card = await loadDemo('cccd');
    const trust = await loadTrustFolder(join(packageRoot(), 'drivers/emulator/demo/pki'));
    const biometric: BiometricStep = { method: 'fingerprint', verify: async () => ({ method: 'fingerprint', score: 0.9, threshold: 0.5 }) };
    const store = openLocalStore({ dataDir: tempDir('idk-qr-kiosk-') });
    const { reader, kiosk, until, call } = setup(card, { trust, biometric, recorder: storeRecorder(store) });
    reader.setPresent(true);
    // The same card, QR matching: green, matched, accepted.
    kiosk.handleQrText(qrFromCard(card), 'wedge');
    await until((s) => s.phase === 'result');
    expect(kiosk.state.result!).toMatchObject({ decision: 'accept', authenticity: { level: 'green' }, qr: { mismatches: [] } });
    expect(await call('confirm', { id: kiosk.state.result!.id, checked: ['FACE_BY_EYE'] })).toMatchObject({ ok: true, result: { record: { status: 'stored' } } });
    await call('clear', {});
    kiosk.handleQrText(qrFromCard(card, { fullName: 'Lê Thị Mẫn', placeOfResidence: 'Số 2 Đường Khác, Phường Mẫu, Thành phố Mô Phỏng' }), 'wedge');
    await until((s) => s.phase === 'result');
    const v = kiosk.state.result!;
    expect(v.qr!.mismatches).toEqual([
      { field: 'fullName', source: 'DG13' },
      { field: 'placeOfResidence', source: 'DG13' },
    ]);
    expect(v.authenticity.level).toBe('green');
    expect(v.decision).toBe('review');
    // The QR's differing text is not in the state: only the field names.
    expect(JSON.stringify(kiosk.state)).not.toContain('Mẫn');
    expect(await call('confirm', { id: v.id, checked: ['FACE_BY_EYE'] })).toMatchObject({ ok: true, result: { record: { status: 'stored' } } });
    // The events say the QR opened the chip, and which one disagreed; not what it said.
    const events = [...exportEvents(store)];
    expect(events.map((e) => [e.body.access, e.body.result])).toEqual([
      ['PACE-GM+QR', 'accepted'],
      ['PACE-GM+QR-MISMATCH', 'review'],
    ]);
    expect(JSON.stringify(events)).not.toContain('Mẫn');
    await kiosk.close();
    store.close();
  });

  it('bad QR text is a QR_* error to the caller and on the screen, never echoing the text; a scan mid-read is QR_BUSY', async () => {
    const card = await loadDemo('cccd');
    const { reader, kiosk, until, call } = setup(card);
    reader.setPresent(true);
    const cut = qrFromCard(card).slice(0, 40);
    expect(await call('qrText', { text: cut, source: 'wedge' })).toMatchObject({ ok: false, error: { code: 'QR_TRUNCATED' } });
    expect(kiosk.state).toMatchObject({ phase: 'need-key', keyError: { code: 'QR_TRUNCATED' } });
    expect(JSON.stringify(kiosk.state)).not.toContain(cut.slice(13, 30));
    expect(await call('qrText', { text: 'https://example.org/', source: 'camera' })).toMatchObject({ ok: false, error: { code: 'QR_FOREIGN' } });
    expect(await call('qrText', { text: '0'.repeat(2000), source: 'typed' })).toMatchObject({ ok: false, error: { code: 'QR_TOO_LONG' } });
    expect(await call('qrText', { text: 'x', source: 'bluetooth' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    let busy: unknown;
    kiosk.pipeline.onState((s) => {
      if (s.phase === 'reading' && busy === undefined) busy = kiosk.handlers.qrText({ text: qrFromCard(card), source: 'wedge' }).catch((e: unknown) => e);
    });
    kiosk.handleQrText(qrFromCard(card), 'wedge');
    await until((s) => s.phase === 'result');
    expect(await busy).toMatchObject({ code: 'QR_BUSY' });
    // A good scan after a bad one clears the error.
    expect(kiosk.state.keyError).toBeUndefined();
  });

  it('start/demo refuse a --qr-baud that is not a baud rate, or without --qr-serial, before opening anything', async () => {
    await expect(kioskDemoCommand.run(['--qr-serial', '/dev/ttyACM0', '--qr-baud', 'fast'], { lang: 'en' })).rejects.toMatchObject({ code: 'BAD_ARGUMENTS' });
    await expect(kioskStartCommand.run(['--qr-baud', '9600'], { lang: 'vi' })).rejects.toMatchObject({ code: 'BAD_ARGUMENTS', messages: { vi: expect.stringContaining('--qr-serial') } });
  });
});
