// The clerk ends the face step ("compare by eye"): through the API like the desk's button,
// with the real face worker and a green card, so the only thing keeping the decision from
// `accept` is the skip itself. The result says not compared (FACE_SKIPPED), the decision is
// review, and the stored event says the face was not compared, with no score.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeJpeg } from '../../drivers/camera/jpeg.js';
import { buildCard } from '../../drivers/emulator/card-builder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { ensurePki } from '../../drivers/emulator/test-pki.js';
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';
import type { KioskState } from '../../main/api/contract.js';
import { dispatch } from '../../main/api/dispatch.js';
import { buildEvalSet, type EvalFace } from '../../main/eval/face-set.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { storeRecorder } from '../../main/kiosk/store.js';
import { packageRoot } from '../../main/paths.js';
import { EmulatedReader, demoCanSource } from '../../main/verify/emulated-reader.js';
import { FaceWorker } from '../../main/verify/face/client.js';
import { FaceNetworks } from '../../main/verify/face/networks.js';
import { loadTrustFolder } from '../../main/verify/trust-folder.js';
import { bodyProblem } from '../../offline-cache/events.js';
import { exportEvents } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { demoPerson, tempDir } from '../helpers/cards.js';

const DEMO_PKI = join(packageRoot(), 'drivers/emulator/demo/pki');

let faces: EvalFace[];
let card: CardImage;
let trust: TrustStore;
let worker: FaceWorker;
const face = (id: string) => faces.find((f) => f.id === id)!;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

beforeAll(async () => {
  faces = await buildEvalSet(await FaceNetworks.load(), 2);
  const { signer } = await ensurePki(DEMO_PKI);
  card = await buildCard(await demoPerson('cccd'), signer, { portrait: { format: 'jpeg2000', width: 240, height: 320, image: face('facematch-2').chipBytes } });
  trust = await loadTrustFolder(DEMO_PKI);
  worker = new FaceWorker();
  await worker.warmUp();
});

afterAll(async () => {
  await worker?.close();
});

function setup() {
  const reader = new EmulatedReader(card, { latency: null });
  const local = openLocalStore({ dataDir: tempDir('idk-face-skip-') });
  const recorder = storeRecorder(local);
  // The test's worker, lent to each kiosk: a kiosk's close() must not stop it between tests.
  const lent: Pick<FaceWorker, 'verify' | 'close'> = { verify: (l, d, t) => worker.verify(l, d, t), close: async () => undefined };
  const kiosk = new Kiosk({ reader, mode: 'demo', keySources: [demoCanSource(card)], recorder, trust, face: { worker: lent as unknown as FaceWorker, attempts: 1000 } });
  const until = (p: (s: KioskState) => boolean) => expect.poll(() => p(kiosk.state), { timeout: 30_000 }).toBe(true);
  return { reader, kiosk, until, local };
}

describe('clerk ends the face step', () => {
  it('skipFace during phase face: not compared (FACE_SKIPPED), review on a green card, camera released, event without a score', async () => {
    const { reader, kiosk, until, local } = setup();
    reader.setPresent(true);
    await until((s) => s.phase === 'face');
    const id = kiosk.state.result!.id;
    expect(await dispatch(kiosk, 'skipFace', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await dispatch(kiosk, 'skipFace', { id: 'someone-else' })).toMatchObject({ ok: false, error: { code: 'STALE_RESULT' } });
    expect(kiosk.state.phase).toBe('face');

    const reply = await dispatch(kiosk, 'skipFace', { id });
    expect(reply).toMatchObject({ ok: true, result: { state: { phase: 'result' } } });
    const v = kiosk.state.result!;
    expect(v.id).toBe(id);
    expect(v.authenticity.level).toBe('green');
    expect(v.biometric).toEqual({ status: 'not-compared', method: 'face', reason: { code: 'FACE_SKIPPED', messages: { vi: expect.stringContaining('bằng mắt'), en: expect.stringContaining('by eye') } } });
    expect(v.decision).toBe('review');
    expect(kiosk.state.camera).toBeUndefined();
    // The camera is no longer wanted: a late frame is refused.
    expect(await dispatch(kiosk, 'cameraFrame', { purpose: 'face', jpeg: b64(encodeJpeg(face('facematch-1').live, 90)) })).toEqual({ ok: true, result: { more: false } });
    // Once over, the same id is stale.
    expect(await dispatch(kiosk, 'skipFace', { id })).toMatchObject({ ok: false, error: { code: 'STALE_RESULT' } });

    expect(await dispatch(kiosk, 'confirm', { id, checked: ['FACE_BY_EYE'] })).toMatchObject({ ok: true, result: { record: { status: 'stored' } } });
    const [ev, more] = [...exportEvents(local)];
    expect(more).toBeUndefined();
    expect(bodyProblem(ev!.body)).toBeNull();
    expect(ev!.body.result).toBe('review');
    expect(ev!.body.bio).toEqual({ method: 'face', score: null, decision: 'not-compared', quality: ['FACE_SKIPPED'] });
    await kiosk.close();
  });

  it('a skip while a frame is in the worker ends the step at once; the late comparison changes nothing', async () => {
    const { reader, kiosk, until } = setup();
    reader.setPresent(true);
    await until((s) => s.phase === 'face');
    const id = kiosk.state.result!.id;
    // The holder's own face: left to run, this frame would match and the green card would be accepted.
    expect(await dispatch(kiosk, 'cameraFrame', { purpose: 'face', jpeg: b64(encodeJpeg(face('facematch-1').live, 90)) })).toEqual({ ok: true, result: { more: true } });
    const reply = await dispatch(kiosk, 'skipFace', { id });
    expect(reply).toMatchObject({ ok: true, result: { state: { phase: 'result', result: { biometric: { status: 'not-compared', reason: { code: 'FACE_SKIPPED' } }, decision: 'review' } } } });
    // Give the worker time to answer the frame it had: the result stays as the clerk left it.
    await worker.verify(face('facematch-1').live, face('facematch-2').chipBytes);
    expect(kiosk.state.result!.biometric).toMatchObject({ status: 'not-compared', reason: { code: 'FACE_SKIPPED' } });
    expect(kiosk.state.result!.decision).toBe('review');
    await kiosk.close();
  });

  it('after clear, or with no face step running, skipFace is refused as stale', async () => {
    const { reader, kiosk, until } = setup();
    expect(await dispatch(kiosk, 'skipFace', { id: 'nothing-here' })).toMatchObject({ ok: false, error: { code: 'STALE_RESULT' } });
    reader.setPresent(true);
    await until((s) => s.phase === 'face');
    const id = kiosk.state.result!.id;
    await dispatch(kiosk, 'clear', {});
    expect(await dispatch(kiosk, 'skipFace', { id })).toMatchObject({ ok: false, error: { code: 'STALE_RESULT' } });
    expect(kiosk.state.result).toBeUndefined();
    await kiosk.close();
  });
});
