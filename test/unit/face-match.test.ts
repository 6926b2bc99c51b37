// Face 1:1 on pictures that ship in npm packages (see main/eval/face-set.ts): the same man in
// different photos must match across a chip-like JPEG 2000 copy, different people must not,
// and the stored result must hold no biometric data.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../drivers/camera/image.js';
import { buildEvalSet, type EvalFace } from '../../main/eval/face-set.js';
import { evaluateFaces, fmr, fnmr } from '../../main/eval/face-eval.js';
import { FACE_THRESHOLD, FaceEngine } from '../../main/verify/face/engine.js';
import {
  blazeFaceAnchors, CHIP_TEMPLATE, eyeOpenness, fitSimilarity, applyAffine, type Point, suppress, yawRatio,
} from '../../main/verify/face/geometry.js';
import { FaceNetworks } from '../../main/verify/face/networks.js';

let engine: FaceEngine;
let set: EvalFace[];

beforeAll(async () => {
  const nets = await FaceNetworks.load();
  engine = await FaceEngine.load();
  set = await buildEvalSet(nets, 2);
});

const face = (id: string): EvalFace => {
  const f = set.find((s) => s.id === id);
  if (!f) throw new Error(`eval face ${id} missing`);
  return f;
};

describe('face 1:1 on packaged photos', () => {
  it('matches one man across two photos, live frame against a 240x320 JPEG 2000 chip copy', async () => {
    const chip = await decodeImage(face('facematch-2').chipBytes);
    expect([chip.width, chip.height]).toEqual([240, 320]);
    expect(face('facematch-2').chipBytes.length).toBeLessThan(16_500);
    const r = engine.verify(face('facematch-1').live, chip);
    expect(r.decision).toBe('match');
    expect(r.score!).toBeGreaterThanOrEqual(FACE_THRESHOLD);
  });

  it('tells apart different people standing in one photo', () => {
    for (const [a, b] of [['sample1-1', 'sample1-2'], ['sample4-1', 'sample4-2'], ['sample6-1', 'sample6-2']] as const) {
      const r = engine.verify(face(a).live, face(b).chip);
      expect(r.decision, `${a} vs ${b}`).toBe('no-match');
      expect(r.score!).toBeLessThan(FACE_THRESHOLD);
    }
  });

  it('keeps genuine scores above and impostor scores below the threshold across the small set', async () => {
    const r = await evaluateFaces(engine, set);
    expect(r.genuine.length).toBeGreaterThan(0);
    expect(r.impostor.length).toBeGreaterThan(50);
    expect(fnmr(r.genuine, FACE_THRESHOLD)).toBe(0);
    expect(fnmr(r.samePhoto, FACE_THRESHOLD)).toBe(0);
    expect(fmr(r.impostor, FACE_THRESHOLD)).toBe(0);
  });

  it('carries method, score, threshold, decision, quality and liveness, and nothing biometric', () => {
    const r = engine.verify(face('sample3-1').live, face('sample3-1').chip);
    expect(Object.keys(r).sort()).toEqual(['decision', 'liveness', 'matcher', 'method', 'ms', 'quality', 'score', 'threshold']);
    expect(r.method).toBe('face');
    expect(r.threshold).toBe(FACE_THRESHOLD);
    expect(r.liveness.checked).toBe(false);
    expect(r.liveness.message.vi.length).toBeGreaterThan(10);
    const json = JSON.stringify(r);
    expect(json.length).toBeLessThan(2000);
    expect(json).not.toMatch(/"(embedding|descriptor|landmarks|points|data|image)"/);
    expect(json).not.toMatch(/\[(-?[\d.e-]+,){8,}/); // no vector of numbers
  });

  it('reports a chip portrait without a face as not compared, with a note for the clerk', () => {
    const blank = face('sample3-1').chip;
    const r = engine.verify(face('sample3-1').live, { ...blank, data: new Uint8Array(blank.data.length).fill(200) });
    expect(r.decision).toBe('not-compared');
    expect(r.score).toBeNull();
    expect(r.quality.map((q) => [q.code, q.subject, q.blocking])).toEqual([['NO_FACE', 'document', true]]);
  });
});

describe('face geometry', () => {
  it('has 896 BlazeFace anchors, 512 on the 16x16 grid', () => {
    const a = blazeFaceAnchors();
    expect(a.length).toBe(896);
    expect(a[0]).toEqual([8, 8]);
    expect(a[511]).toEqual([248, 248]);
    expect(a[512]).toEqual([16, 16]);
  });

  it('recovers a known similarity transform from the template points', () => {
    const angle = 0.3, s = 1.7, tx = 40, ty = -12;
    const moved: Point[] = CHIP_TEMPLATE.map(([x, y]) => [s * (Math.cos(angle) * x - Math.sin(angle) * y) + tx, s * (Math.sin(angle) * x + Math.cos(angle) * y) + ty]);
    const m = fitSimilarity(CHIP_TEMPLATE, moved);
    for (const [i, p] of CHIP_TEMPLATE.entries()) {
      const q = applyAffine(m, p);
      expect(q[0]).toBeCloseTo(moved[i]![0], 6);
      expect(q[1]).toBeCloseTo(moved[i]![1], 6);
    }
  });

  it('keeps the best of overlapping boxes and both of separate ones', () => {
    const d = (x: number, score: number) => ({ score, x, y: 0, width: 100, height: 100, keypoints: [] });
    expect(suppress([d(0, 0.7), d(10, 0.9), d(300, 0.6)]).map((k) => k.score)).toEqual([0.9, 0.6]);
  });

  it('reads eyes and head turn from mesh points', () => {
    const mesh: Point[] = Array.from({ length: 468 }, () => [0, 0] as Point);
    const eye = (up: number, low: number, outer: number, inner: number, cx: number, gap: number): void => {
      mesh[outer] = [cx - 15, 100];
      mesh[inner] = [cx + 15, 100];
      mesh[up] = [cx, 100 - gap / 2];
      mesh[low] = [cx, 100 + gap / 2];
    };
    eye(159, 145, 33, 133, 100, 9);
    eye(386, 374, 263, 362, 160, 1.5);
    expect(eyeOpenness(mesh, 'right')).toBeCloseTo(0.3, 6);
    expect(eyeOpenness(mesh, 'left')).toBeCloseTo(0.05, 6);
    mesh[1] = [130, 140];
    expect(yawRatio(mesh)).toBeCloseTo(0, 6);
    mesh[1] = [160, 140];
    expect(yawRatio(mesh)).toBeCloseTo(0.5, 6);
  });
});
