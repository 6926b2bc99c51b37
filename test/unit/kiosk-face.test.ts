// The face step inside the kiosk, without a browser: camera frames arrive through the API
// (`cameraFrame`, JPEG as the renderer sends them), the real face worker compares them with
// a JPEG 2000 chip portrait, and the state, the decision and the stored event follow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeJpeg } from '../../drivers/camera/jpeg.js';
import { scaleBrightness, solidFrame } from '../../drivers/camera/frame.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import type { KioskState } from '../../main/api/contract.js';
import { dispatch } from '../../main/api/dispatch.js';
import { buildEvalSet, type EvalFace } from '../../main/eval/face-set.js';
import { Kiosk } from '../../main/kiosk/kiosk.js';
import { storeRecorder } from '../../main/kiosk/store.js';
import { CameraFeed } from '../../main/verify/camera-feed.js';
import { EmulatedReader, demoCanSource } from '../../main/verify/emulated-reader.js';
import { FaceWorker } from '../../main/verify/face/client.js';
import { FACE_THRESHOLD } from '../../main/verify/face/engine.js';
import { FaceNetworks } from '../../main/verify/face/networks.js';
import { bodyProblem } from '../../offline-cache/events.js';
import { exportEvents } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { demoPerson, freshCard, tempDir } from '../helpers/cards.js';

let faces: EvalFace[];
const face = (id: string) => faces.find((f) => f.id === id)!;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

beforeAll(async () => {
  faces = await buildEvalSet(await FaceNetworks.load(), 2);
});

describe('camera feed', () => {
  it('hands the newest frame to whoever waits, refuses unwanted frames, and passes a renderer failure on at once', async () => {
    const feed = new CameraFeed();
    const jpeg = encodeJpeg(solidFrame(32, 24, [10, 20, 30]), 90);
    expect(feed.push('face', jpeg)).toBe(false);
    const release = feed.want('face');
    const waiting = feed.nextJpeg('face', new AbortController().signal);
    expect(feed.push('face', jpeg, 'Cam A')).toBe(true);
    expect(await waiting).toBe(jpeg);
    // Two frames before anyone asks: only the newest is kept.
    const older = encodeJpeg(solidFrame(16, 16, [0, 0, 0]), 90);
    const newest = encodeJpeg(solidFrame(8, 8, [0, 0, 0]), 90);
    feed.push('face', older);
    feed.push('face', newest);
    expect(await feed.nextJpeg('face', new AbortController().signal)).toBe(newest);
    const pending = feed.nextJpeg('face', new AbortController().signal);
    feed.fail('face', 'CAMERA_DENIED');
    await expect(pending).rejects.toMatchObject({ code: 'CAMERA_DENIED' });
    await expect(feed.nextJpeg('face', new AbortController().signal)).rejects.toMatchObject({ code: 'CAMERA_DENIED' });
    expect(feed.device).toBe('Cam A');
    release();
    expect(feed.isWanted('face')).toBe(false);
  });

  it('gives up on a screen that never sends a frame, and stops waiting when aborted', async () => {
    const feed = new CameraFeed({ firstFrameMs: 50 });
    feed.want('qr');
    await expect(feed.nextJpeg('qr', new AbortController().signal)).rejects.toMatchObject({ code: 'CAMERA_NO_FRAMES' });
    const ac = new AbortController();
    const p = feed.nextJpeg('qr', ac.signal);
    ac.abort(new Error('cleared'));
    await expect(p).rejects.toThrow('cleared');
  });
});

describe('kiosk face step', () => {
  let worker: FaceWorker;
  let card: CardImage;
  beforeAll(async () => {
    card = await freshCard(await demoPerson('cccd'), { portrait: { format: 'jpeg2000', width: 240, height: 320, image: face('facematch-2').chipBytes } });
    worker = new FaceWorker();
    await worker.warmUp();
  });
  afterAll(async () => {
    await worker.close();
  });

  function setup(c: CardImage, store = false) {
    const reader = new EmulatedReader(c, { latency: null });
    const local = store ? openLocalStore({ dataDir: tempDir('idk-face-store-') }) : undefined;
    const recorder = local ? storeRecorder(local) : undefined;
    // The test's worker, lent to each kiosk: a kiosk's close() must not stop it between tests.
    const lent: Pick<FaceWorker, 'verify' | 'close'> = { verify: (l, d, t) => worker.verify(l, d, t), close: async () => undefined };
    const kiosk = new Kiosk({ reader, mode: 'demo', keySources: [demoCanSource(c)], recorder, face: { worker: lent as unknown as FaceWorker, attempts: 5 } });
    const until = (p: (s: KioskState) => boolean) => expect.poll(() => p(kiosk.state), { timeout: 30_000 }).toBe(true);
    const frame = (jpeg: Uint8Array) => dispatch(kiosk, 'cameraFrame', { purpose: 'face', jpeg: b64(jpeg) });
    return { reader, kiosk, until, frame, local };
  }

  it('asks for the camera after the read, prompts on a dark frame, matches on a good one, and stores the audit fields only', async () => {
    const { reader, kiosk, until, frame, local } = setup(card, true);
    reader.setPresent(true);
    await until((s) => s.phase === 'face');
    expect(kiosk.state.camera).toEqual({ purpose: 'face' });
    expect(kiosk.state.result!.biometric).toEqual({ status: 'pending', method: 'face' });
    expect(await dispatch(kiosk, 'confirm', { id: kiosk.state.result!.id })).toMatchObject({ ok: false, error: { code: 'FACE_PENDING' } });
    const live = face('facematch-1').live;
    expect(await frame(encodeJpeg(scaleBrightness(live, 0.15), 90))).toEqual({ ok: true, result: { more: true } });
    await until((s) => s.camera?.prompt?.code === 'TOO_DARK');
    await frame(encodeJpeg(live, 90));
    await until((s) => s.phase === 'result');
    expect(kiosk.state.camera).toBeUndefined();
    const b = kiosk.state.result!.biometric;
    expect(b).toMatchObject({ status: 'matched', method: 'face', threshold: FACE_THRESHOLD, face: { decision: 'match', liveness: { checked: false } } });
    if (b.status !== 'matched') throw new Error('not matched');
    expect(b.score).toBeGreaterThanOrEqual(FACE_THRESHOLD);
    expect(b.face!.quality.map((q) => q.code)).toEqual([]);
    // Frames after the step are not wanted any more.
    expect(await frame(encodeJpeg(live, 90))).toEqual({ ok: true, result: { more: false } });
    await dispatch(kiosk, 'confirm', { id: kiosk.state.result!.id, checked: ['FACE_BY_EYE'] });
    const [ev] = [...exportEvents(local!)];
    expect(bodyProblem(ev!.body)).toBeNull();
    expect(ev!.body.bio).toEqual({ method: 'face', score: Math.round(b.score * 1e4) / 1e4, threshold: FACE_THRESHOLD, decision: 'match', matcher: b.face!.matcher, quality: [], liveness: false });
    await kiosk.close();
  });

  it('a chip portrait without a usable face leaves the comparison to staff (not compared, review), not an error', async () => {
    const blank = encodeJpeg(solidFrame(240, 320, [180, 180, 180]), 90);
    const noFace = await freshCard(await demoPerson('cccd'), { portrait: { format: 'jpeg', width: 240, height: 320, image: blank } });
    const { reader, kiosk, until, frame } = setup(noFace);
    reader.setPresent(true);
    await until((s) => s.phase === 'face');
    await frame(encodeJpeg(face('facematch-1').live, 90));
    await until((s) => s.phase === 'result');
    expect(kiosk.state.result!.biometric).toMatchObject({ status: 'not-compared', reason: { code: 'FACE_NO_FACE' }, face: { decision: 'not-compared', quality: [{ code: 'NO_FACE', subject: 'document' }] } });
    expect(kiosk.state.result!.decision).toBe('review');
    await kiosk.close();
  });

  it('no camera in the page: not available with the reason, and the status screen says the camera is absent', async () => {
    const { reader, kiosk, until } = setup(card);
    reader.setPresent(true);
    await until((s) => s.phase === 'face');
    expect(await dispatch(kiosk, 'cameraError', { purpose: 'face', code: 'CAMERA_DENIED' })).toEqual({ ok: true, result: { accepted: true } });
    await until((s) => s.phase === 'result');
    expect(kiosk.state.result!.biometric).toMatchObject({ status: 'not-available', reason: { code: 'CAMERA_DENIED' } });
    const status = await dispatch(kiosk, 'status', {});
    expect(status).toMatchObject({ ok: true, result: { devices: expect.arrayContaining([{ kind: 'camera', name: 'camera', state: 'absent' }]) } });
    expect(await dispatch(kiosk, 'cameraFrame', { purpose: 'face', jpeg: 'not base64!' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    await kiosk.close();
  });
});
