// Quality gates on synthetic frames made from a packaged photo: empty, dark, washed out,
// too far away, two people. Each must stop the comparison with a prompt the person can act on.
import { beforeAll, describe, expect, it } from 'vitest';
import { cropFrame, type Frame, placeOnCanvas, resizeFrame, scaleBrightness, solidFrame } from '../../drivers/camera/frame.js';
import { buildEvalSet } from '../../main/eval/face-set.js';
import { FaceEngine } from '../../main/verify/face/engine.js';
import { FaceNetworks } from '../../main/verify/face/networks.js';
import type { FaceQualityCode } from '../../main/verify/face-result.js';

let engine: FaceEngine;
let good: Frame;
let chip: Frame;

beforeAll(async () => {
  const nets = await FaceNetworks.load();
  engine = await FaceEngine.load();
  const set = await buildEvalSet(nets, 2);
  good = set.find((f) => f.id === 'facematch-1')!.live;
  chip = set.find((f) => f.id === 'facematch-2')!.chip;
});

function gate(frame: Frame): { codes: FaceQualityCode[]; decision: string; vi: string; en: string } {
  const r = engine.verify(frame, chip);
  const live = r.quality.filter((q) => q.subject === 'live');
  return { codes: live.map((q) => q.code), decision: r.decision, vi: live[0]?.message.vi ?? '', en: live[0]?.message.en ?? '' };
}

describe('face quality gates', () => {
  it('passes the good frame (the control for every case below)', () => {
    expect(gate(good)).toMatchObject({ codes: [], decision: 'match' });
  });

  it('says no face on an empty frame', () => {
    const g = gate(solidFrame(640, 480, [120, 120, 120]));
    expect(g).toMatchObject({ codes: ['NO_FACE'], decision: 'retry' });
    expect(g.en).toMatch(/look straight at it/);
    expect(g.vi).toMatch(/nhìn thẳng/);
  });

  it('says too dark, with or without a detectable face', () => {
    for (const gain of [0.3, 0.05]) expect(gate(scaleBrightness(good, gain)), `gain ${gain}`).toMatchObject({ codes: ['TOO_DARK'], decision: 'retry' });
  });

  it('says too bright on a washed-out frame', () => {
    for (const gain of [2, 5]) expect(gate(scaleBrightness(good, gain)), `gain ${gain}`).toMatchObject({ codes: ['TOO_BRIGHT'], decision: 'retry' });
  });

  it('asks a distant person to come closer', () => {
    const far = resizeFrame(good, 320, 240);
    const g = gate(placeOnCanvas(far, 640, 480, 160, 120, [90, 90, 90]));
    expect(g).toMatchObject({ codes: ['FACE_TOO_SMALL'], decision: 'retry' });
    expect(g.en).toMatch(/closer/);
  });

  it('asks for one person when two faces of similar size are in view', () => {
    const head = resizeFrame(cropFrame(good, { x: 100, y: 20, width: 440, height: 440 }), 300, 300);
    const two = placeOnCanvas(head, 640, 480, 10, 90, [90, 90, 90]);
    const data = two.data;
    for (let y = 0; y < 300; y++) data.set(head.data.subarray(y * 900, (y + 1) * 900), ((y + 90) * 640 + 330) * 3);
    expect(gate(two)).toMatchObject({ codes: ['SEVERAL_FACES'], decision: 'retry' });
  });
});
