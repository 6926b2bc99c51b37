// The R30x driver against the sensor simulator across a real pty pair (socat): the same
// bytes a USB-serial adapter would carry. Scripted fingers cover enrolment, 1:N search, 1:1
// match, no finger, a smudged image, a silent sensor and a cable pulled mid-command.
import { afterEach, describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { INS, LED_COLOUR, LED_MODE } from '../../drivers/fingerprint/r30x-protocol.js';
import { R30xSensor } from '../../drivers/fingerprint/r30x-sensor.js';
import { type SimulatedSensor, startSimulatedSensor } from '../../drivers/fingerprint/sensor-simulator.js';
import { assertNoBiometric, identifyFinger, verifyFingerAgainstPage, verifyFingerAgainstTemplate } from '../../main/verify/fingerprint.js';

const A = { id: 'test-person-a/right-index' };
const B = { id: 'test-person-b/right-index' };
const FAST = { pollMs: 5, waitMs: 300 };

let rig: SimulatedSensor | undefined;
let sensor: R30xSensor | undefined;

afterEach(async () => {
  await sensor?.close().catch(() => undefined);
  await rig?.stop();
  sensor = undefined;
  rig = undefined;
});

async function setUp(timeoutMs = 400, opts: Parameters<typeof startSimulatedSensor>[0] = {}, retries = 2): Promise<{ rig: SimulatedSensor; sensor: R30xSensor }> {
  rig = await startSimulatedSensor(opts);
  sensor = await R30xSensor.open({ path: rig.hostPath, timeoutMs, retries });
  return { rig, sensor };
}

async function code(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(isIdkError(e), String(e)).toBe(true);
  return (e as { code: string }).code;
}

describe('R30x sensor over a pty', () => {
  it('handshakes and reads the system parameters', async () => {
    const { sensor: s } = await setUp(400, { capacity: 300, packetSize: 64 });
    const p = await s.readSysPara();
    expect(p).toMatchObject({ capacity: 300, packetSize: 64, baudRate: 57600, address: 0xffffffff });
    await s.handshake();
    expect(await s.templateCount()).toBe(0);
    await s.led({ mode: LED_MODE.breathing, colour: LED_COLOUR.blue });
  });

  it('a wrong password is FP_WRONG_PASSWORD and the port is released', async () => {
    rig = await startSimulatedSensor({ password: 0x1234 });
    expect(await code(R30xSensor.open({ path: rig.hostPath, password: 1 }))).toBe('FP_WRONG_PASSWORD');
    sensor = await R30xSensor.open({ path: rig.hostPath, password: 0x1234 });
    expect(sensor.connected).toBe(true);
  });

  it('enrols two fingers, finds each by 1:N search and refuses a stranger', async () => {
    const { rig: r, sensor: s } = await setUp();
    r.sim.script.push(A, null, A);
    await s.enrol(7, FAST);
    r.sim.script.push(B, null, B);
    await s.enrol(8, FAST);
    expect(await s.templateCount()).toBe(2);
    expect(await s.indexTable(0)).toEqual([7, 8]);
    r.sim.finger = A;
    expect((await s.identify(FAST))?.page).toBe(7);
    r.sim.finger = B;
    expect((await s.identify(FAST))?.page).toBe(8);
    r.sim.finger = { id: 'test-person-c/left-thumb' };
    expect(await s.identify(FAST)).toBeNull();
  });

  it('an enrolment with two different fingers is FP_ENROL_MISMATCH', async () => {
    const { rig: r, sensor: s } = await setUp();
    r.sim.script.push(A, null, B);
    expect(await code(s.enrol(1, FAST))).toBe('FP_ENROL_MISMATCH');
    expect(await s.templateCount()).toBe(0);
  });

  it('uploads a template, deletes it, downloads it back and matches 1:1 against it', async () => {
    const { rig: r, sensor: s } = await setUp(400, { packetSize: 32 });
    r.sim.script.push(A, null, A);
    await s.enrol(3, FAST);
    const t = await s.readTemplate(3);
    expect(t.length).toBe(512);
    expect(t).toEqual(r.sim.library.get(3));
    await s.deleteChar(3);
    expect(await s.templateCount()).toBe(0);
    await s.writeTemplate(4, t);
    expect(r.sim.library.get(4)).toEqual(t);

    r.sim.finger = A;
    const same = await verifyFingerAgainstTemplate(s, t, FAST);
    expect(same).toMatchObject({ method: 'sensor-1:1-template', decision: 'match', threshold: 50, quality: [] });
    expect(same.score).toBeGreaterThanOrEqual(50);
    assertNoBiometric(same);

    r.sim.finger = B;
    const other = await verifyFingerAgainstTemplate(s, t, FAST);
    expect(other.decision).toBe('no-match');
    expect(other.score).toBeLessThan(50);

    r.sim.finger = A;
    expect((await verifyFingerAgainstPage(s, 4, FAST)).decision).toBe('match');
    const hit = await identifyFinger(s, FAST);
    expect(hit).toMatchObject({ method: 'sensor-1:n-library', decision: 'match', page: 4 });
    // Our threshold above the sensor's own turns a sensor "match" into no-match.
    expect((await verifyFingerAgainstPage(s, 4, { ...FAST, threshold: 1000 })).decision).toBe('no-match');
  });

  it('no finger, a smudged image and too few features are inconclusive results with prompts', async () => {
    const { rig: r, sensor: s } = await setUp();
    r.sim.script.push(A, null, A);
    await s.enrol(0, FAST);
    r.sim.finger = null;
    const none = await verifyFingerAgainstPage(s, 0, FAST);
    expect(none).toMatchObject({ decision: 'inconclusive', score: null, quality: [{ code: 'FP_CAPTURE_TIMEOUT' }] });
    expect(none.quality[0]!.vi).toMatch(/ngón tay/);
    r.sim.finger = { ...A, quality: 'messy' };
    expect((await verifyFingerAgainstPage(s, 0, FAST)).quality[0]!.code).toBe('FP_IMAGE_MESSY');
    r.sim.finger = { ...A, quality: 'few-features' };
    expect((await verifyFingerAgainstPage(s, 0, FAST)).quality[0]!.code).toBe('FP_FEW_FEATURES');
    r.sim.finger = { ...A, quality: 'bad-image' };
    expect((await verifyFingerAgainstPage(s, 0, FAST)).quality[0]!.code).toBe('FP_IMAGE_FAIL');
    expect(await code(s.loadChar(1, 150))).toBe('FP_TEMPLATE_READ_ERROR');
    expect(await code(s.store(1, 999))).toBe('FP_BAD_LOCATION');
  });

  it('retries a corrupted answer and a receive error, then succeeds', async () => {
    const { rig: r, sensor: s } = await setUp();
    const before = s.sent;
    r.sim.corruptNext = 2;
    expect(await s.templateCount()).toBe(0);
    expect(s.sent - before).toBe(3);
    expect(r.sim.log.slice(-3)).toEqual([INS.templateNum, INS.templateNum, INS.templateNum]);
  });

  it('a silent sensor times out with FP_TIMEOUT after the retries, and answers again later', async () => {
    const { rig: r, sensor: s } = await setUp(150);
    r.sim.silent = true;
    const n = r.sim.log.length;
    expect(await code(s.templateCount())).toBe('FP_TIMEOUT');
    expect(r.sim.log.length - n).toBe(3);
    r.sim.silent = false;
    expect(await s.templateCount()).toBe(0);
  });

  it('a cable pulled mid-answer is FP_UNPLUGGED, with no hang, and every later call fails the same way', { timeout: 30_000 }, async () => {
    // No retries and an answer timeout longer than the test's own: a timeout would surface as
    // FP_TIMEOUT (or fail the test), so FP_UNPLUGGED proves the hang-up itself ended the wait.
    const { rig: r, sensor: s } = await setUp(45_000, {}, 0);
    r.sim.script.push(A, null, A);
    await s.enrol(2, FAST);
    r.sim.finger = A;
    r.sim.unplugOn = INS.search;
    const e = await s.identify(FAST).catch((err: unknown) => err);
    expect(isIdkError(e, 'FP_UNPLUGGED'), String(e)).toBe(true);
    expect(s.connected).toBe(false);
    expect(await code(s.templateCount())).toBe('FP_UNPLUGGED');
  });

  it('an unopenable port is FP_UNAVAILABLE', async () => {
    expect(await code(R30xSensor.open({ path: '/dev/does-not-exist-fp' }))).toBe('FP_UNAVAILABLE');
  });
});
