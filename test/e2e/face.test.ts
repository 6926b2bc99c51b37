// The face step end to end: Chromium's fake camera plays a Y4M file made from a packaged
// photo, the renderer's real getUserMedia -> canvas -> JPEG path sends frames to main, the
// real face worker compares them with the chip portrait (a JPEG 2000 DG2, as on a CCCD), and
// the screen and the stored event say what came out — including that liveness was NOT checked.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameFromRgba, placeOnCanvas, solidFrame } from '../../drivers/camera/frame.js';
import { ensurePki } from '../../drivers/emulator/test-pki.js';
import { buildCard } from '../../drivers/emulator/card-builder.js';
import type { CardImage } from '../../drivers/emulator/card-image.js';
import { buildEvalSet, type EvalFace } from '../../main/eval/face-set.js';
import { packageRoot } from '../../main/paths.js';
import { FACE_THRESHOLD } from '../../main/verify/face/engine.js';
import { FaceNetworks } from '../../main/verify/face/networks.js';
import { NO_LIVENESS } from '../../main/verify/face-result.js';
import { loadTrustFolder } from '../../main/verify/trust-folder.js';
import type { TrustStore } from '../../drivers/emrtd/trust-store.js';
import { exportEvents } from '../../offline-cache/outbox.js';
import { STRINGS } from '../../renderer/i18n.js';
import { demoPerson, tempDir } from '../helpers/cards.js';
import { writeY4m } from '../helpers/y4m.js';
import { qrFromCard } from '../helpers/qr.js';
import { qrFrame } from '../unit/qr-fixtures.js';
import { loadDemo } from '../helpers/cards.js';
import { type Rig, contrastProblems, rig, shot, unlabelled } from './harness.js';

const DEMO_PKI = join(packageRoot(), 'drivers/emulator/demo/pki');

let faces: EvalFace[];
let card: CardImage;
let trust: TrustStore;
let dir: string;
const face = (id: string) => faces.find((f) => f.id === id)!;

beforeAll(async () => {
  faces = await buildEvalSet(await FaceNetworks.load(), 2);
  // The holder's chip carries a JPEG 2000 portrait of the man in human's face-match screenshot (his second picture).
  const chip = face('facematch-2');
  const { signer } = await ensurePki(DEMO_PKI);
  card = await buildCard(await demoPerson('cccd'), signer, { portrait: { format: 'jpeg2000', width: 240, height: 320, image: chip.chipBytes } });
  trust = await loadTrustFolder(DEMO_PKI);
  dir = tempDir('idk-face-e2e-');
});

let r: Rig | undefined;
afterAll(async () => {
  await r?.close();
});

async function open(o: Omit<Parameters<typeof rig>[0], 'card'>): Promise<Rig> {
  await r?.close();
  r = undefined;
  r = await rig({ card, autoKey: true, trust, store: true, ...o });
  return r;
}

describe('face step with the camera', () => {
  it('matches the holder: live video beside the chip photo, then score over threshold, liveness NOT checked, stored event with the face fields', async () => {
    const cam = writeY4m(join(dir, 'same-person.y4m'), face('facematch-1').live);
    const { page, store } = await open({ face: true, camera: cam, settings: { profile: 'airport' } });
    const vi = STRINGS.vi;
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase'), { timeout: 30_000 }).toBe('face');
    // The live picture really plays in the page (the fake device's frames, not a placeholder).
    await expect.poll(() => page.getByTestId('camera-video').evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 20_000 }).toBe(640);
    expect(await page.locator('.viewfinder svg.guide ellipse').count()).toBe(1);
    // Nothing to confirm while the face step runs: the decision is not made yet.
    expect(await page.getByTestId('confirm').count()).toBe(0);
    expect(await page.getByTestId('decision').getAttribute('data-decision')).toBe('pending');
    await shot(page, 'face-1-live');
    expect(await unlabelled(page)).toEqual([]);

    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase'), { timeout: 60_000 }).toBe('result');
    const line = page.getByTestId('biometric');
    expect(await line.getAttribute('data-status')).toBe('matched');
    const score = Number(await line.getAttribute('data-score'));
    expect(Number(await line.getAttribute('data-threshold'))).toBe(FACE_THRESHOLD);
    expect(score).toBeGreaterThanOrEqual(FACE_THRESHOLD);
    expect(await page.getByTestId('liveness').textContent()).toBe(NO_LIVENESS.message.vi);
    expect(await page.getByTestId('authenticity').getAttribute('data-level')).toBe('green');
    // Green and matched: the one case the kiosk accepts by itself.
    expect(await page.getByTestId('decision').getAttribute('data-decision')).toBe('accept');
    // The stream is closed once main stops asking.
    await expect.poll(() => page.evaluate(() => document.querySelector('video')?.srcObject ?? null)).toBe(null);
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'face-2-matched');

    await page.getByTestId('confirm').click();
    await expect.poll(() => page.getByTestId('record').getAttribute('data-status')).toBe('stored');
    const events = [...exportEvents(store!)];
    expect(events).toHaveLength(1);
    const bio = events[0]!.body.bio;
    expect(bio).toMatchObject({ method: 'face', threshold: FACE_THRESHOLD, decision: 'match', liveness: false });
    expect(bio.score).toBeCloseTo(score, 3);
    expect(bio.matcher).toContain('dlib');
    expect(Array.isArray(bio.quality)).toBe(true);
    expect(events[0]!.body.result).toBe('accepted');
    // Audit fields only: nothing in the event could hold an image or an embedding.
    expect(JSON.stringify(events[0]!.body).length).toBeLessThan(1500);
    expect(vi.phase.face).toBeTruthy();
  });

  it('another person in front of the camera is no match and the kiosk rejects (self-service: "look at the camera" step)', async () => {
    const cam = writeY4m(join(dir, 'other-person.y4m'), face('sample1-1').live);
    const { page } = await open({ face: true, camera: cam, settings: { profile: 'self-service' }, touch: true });
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('face-step').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('face-step').locator('img.step-picture').getAttribute('src')).toBe('img/look-camera.svg');
    await shot(page, 'face-3-self-service-look');
    await expect.poll(() => page.getByTestId('self-service').getAttribute('data-phase'), { timeout: 60_000 }).toBe('result');
    const bio = r!.kiosk.state.result!.biometric;
    expect(bio.status).toBe('not-matched');
    expect(bio.status === 'not-matched' && bio.score).toBeLessThan(FACE_THRESHOLD);
    expect(r!.kiosk.state.result!.decision).toBe('reject');
    // The person is sent to staff; scores and the liveness note are staff matters, not shown to them.
    expect(await page.getByTestId('ask-staff').textContent()).toBe(STRINGS.vi.ssSeeStaff);
    expect(await page.getByTestId('confirm').count()).toBe(0);
    expect(await page.getByTestId('biometric').count()).toBe(0);
    // Staff open their panel with the PIN: there the liveness statement stands.
    await page.getByTestId('staff-pin').fill('123456');
    await page.getByTestId('staff-unlock').tap();
    expect(await page.getByTestId('liveness').textContent()).toBe(NO_LIVENESS.message.vi);
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'face-4-self-service-no-match');
  });

  it('no face in view: the person is told so, then staff compare by eye (not compared, review) — no crash', async () => {
    const cam = writeY4m(join(dir, 'grey.y4m'), solidFrame(640, 480, [128, 128, 128]));
    const { page, kiosk } = await open({ face: { attempts: 15 }, camera: cam, settings: { profile: 'airport', lang: 'en' } });
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('camera-prompt').getAttribute('data-code'), { timeout: 30_000 }).toBe('NO_FACE');
    expect(await page.getByTestId('camera-prompt').textContent()).toContain('No face found');
    await shot(page, 'face-5-no-face-prompt');
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase'), { timeout: 60_000 }).toBe('result');
    expect(await page.getByTestId('biometric').getAttribute('data-status')).toBe('not-compared');
    expect(await page.getByTestId('biometric').getAttribute('data-code')).toBe('FACE_NO_FACE');
    expect(kiosk.state.result!.decision).toBe('review');
    expect(await page.getByTestId('liveness').textContent()).toBe(NO_LIVENESS.message.en);
    await shot(page, 'face-6-not-compared');
  });

  it('the clerk ends the face step ("compare by eye"): camera off, not compared, review on a green card, the event has no score', async () => {
    const cam = writeY4m(join(dir, 'grey-skip.y4m'), solidFrame(640, 480, [128, 128, 128]));
    const { page, kiosk, store } = await open({ face: { attempts: 1000 }, camera: cam, settings: { profile: 'airport' } });
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('camera-prompt').getAttribute('data-code'), { timeout: 30_000 }).toBe('NO_FACE');
    const skip = page.getByTestId('skip-face');
    expect(await skip.textContent()).toBe(STRINGS.vi.skipFace);
    expect(await unlabelled(page)).toEqual([]);
    await shot(page, 'face-6b-skip-button');
    await skip.click();
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase'), { timeout: 10_000 }).toBe('result');
    expect(await page.getByTestId('skip-face').count()).toBe(0);
    const line = page.getByTestId('biometric');
    expect(await line.getAttribute('data-status')).toBe('not-compared');
    expect(await line.getAttribute('data-code')).toBe('FACE_SKIPPED');
    expect(await line.textContent()).toContain(STRINGS.vi.compareByEye);
    expect(await page.getByTestId('authenticity').getAttribute('data-level')).toBe('green');
    expect(await page.getByTestId('decision').getAttribute('data-decision')).toBe('review');
    await expect.poll(() => page.evaluate(() => document.querySelector('video')?.srcObject ?? null)).toBe(null);
    expect(kiosk.state.camera).toBeUndefined();
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'face-6c-skipped');
    await page.getByTestId('check-FACE_BY_EYE').check();
    await page.getByTestId('confirm').click();
    await expect.poll(() => page.getByTestId('record').getAttribute('data-status')).toBe('stored');
    const events = [...exportEvents(store!)];
    expect(events).toHaveLength(1);
    expect(events[0]!.body.result).toBe('review');
    expect(events[0]!.body.bio).toEqual({ method: 'face', score: null, decision: 'not-compared', quality: ['FACE_SKIPPED'] });
  });

  it('self-service: the person cannot skip the face step; when it gives up, the screen asks them to see staff', async () => {
    const cam = writeY4m(join(dir, 'grey-ss.y4m'), solidFrame(640, 480, [128, 128, 128]));
    const { page } = await open({ face: { attempts: 8 }, camera: cam, settings: { profile: 'self-service' }, touch: true });
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('face-step').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('skip-face').count()).toBe(0);
    await expect.poll(() => page.getByTestId('self-service').getAttribute('data-phase'), { timeout: 60_000 }).toBe('result');
    expect(r!.kiosk.state.result!.biometric.status).toBe('not-compared');
    expect(await page.getByTestId('ask-staff').textContent()).toBe(STRINGS.vi.ssFaceAskStaff);
    expect(await page.getByTestId('confirm').count()).toBe(0);
    expect(await contrastProblems(page)).toEqual([]);
    await shot(page, 'face-6d-self-service-ask-staff');
  });

  it('no camera at all: the screen says so, the read still ends in a result staff can confirm', async () => {
    const { page, kiosk } = await open({ face: true, camera: 'none', settings: { profile: 'airport' } });
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase'), { timeout: 60_000 }).toBe('result');
    expect(await page.getByTestId('biometric').getAttribute('data-status')).toBe('not-available');
    expect(await page.getByTestId('biometric').getAttribute('data-code')).toBe('CAMERA_NONE');
    expect(kiosk.state.result!.decision).toBe('review');
    await page.getByTestId('tab-status').click();
    await expect.poll(() => page.getByTestId('devices').textContent()).toContain(STRINGS.vi.deviceState.absent);
    await shot(page, 'face-7-no-camera-status');
  });

  it('a new card during the face step drops it: the camera closes and the next read starts', async () => {
    const cam = writeY4m(join(dir, 'grey2.y4m'), solidFrame(640, 480, [128, 128, 128]));
    const { page, reader, kiosk } = await open({ face: { attempts: 1000 }, camera: cam, settings: { profile: 'airport' } });
    reader.setPresent(true);
    await expect.poll(() => kiosk.state.phase, { timeout: 30_000 }).toBe('face');
    await expect.poll(() => page.getByTestId('camera').getAttribute('data-active'), { timeout: 20_000 }).toBe('true');
    await page.getByTestId('next').click();
    await expect.poll(() => kiosk.state.camera).toBeUndefined();
    await expect.poll(() => page.evaluate(() => document.querySelector('video')?.srcObject ?? null)).toBe(null);
    // Lifted and placed again: a fresh read and face step, not a hang.
    reader.setPresent(false);
    reader.setPresent(true);
    await expect.poll(() => kiosk.state.phase, { timeout: 30_000 }).toBe('face');
  });
});

describe('QR code through the camera', () => {
  it('the CCCD QR held up to the camera opens the chip without typing', async () => {
    const demo = await loadDemo('cccd');
    const qr = await qrFrame(qrFromCard(demo), { size: 5, margin: 4 });
    const cam = writeY4m(join(dir, 'qr.y4m'), placeOnCanvas(frameFromRgba(qr.width, qr.height, qr.data), 640, 480, Math.round(320 - qr.width / 2), Math.round(240 - qr.height / 2), [235, 235, 235]));
    await r?.close();
    r = undefined;
    r = await rig({ card: demo, qrCamera: true, camera: cam, settings: { profile: 'airport' } });
    const { page, kiosk } = r;
    await page.getByTestId('demo-place').click();
    await expect.poll(() => page.getByTestId('phase').getAttribute('data-phase'), { timeout: 60_000 }).toBe('result');
    expect(kiosk.state.result!.qr).toMatchObject({ source: 'camera', opened: { kind: 'can' } });
    expect(kiosk.state.result!.access).toContain('QR');
    // The scan stopped with the need for a key: no camera left open.
    expect(kiosk.state.camera).toBeUndefined();
    await expect.poll(() => page.evaluate(() => document.querySelector('video')?.srcObject ?? null)).toBe(null);
    await shot(page, 'face-8-qr-camera-opened');

    // Settings list the cameras the page can see (the fake device here); the choice stays in this browser profile.
    await page.getByTestId('tab-settings').click();
    await page.getByLabel(STRINGS.vi.pinLabel).fill('123456');
    await page.getByTestId('unlock').click();
    const select = page.getByTestId('camera-select');
    await expect.poll(() => select.locator('option').count()).toBe(2);
    const fake = await select.locator('option').nth(1).getAttribute('value');
    await select.selectOption(fake!);
    expect(await page.getByTestId('camera-note').textContent()).toBe(STRINGS.vi.cameraChosen);
    expect(await page.evaluate(() => localStorage.getItem('idkiosk.cameraId'))).toBe(fake);
    expect(await unlabelled(page)).toEqual([]);
  });
});
