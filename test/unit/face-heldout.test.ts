// The held-out face evaluation's arithmetic on hand-made data: exact binomial intervals
// against published values, the split keeps tuning and test faces apart and puts every
// multi-face person in both halves, pairs are formed only inside a group.
import { describe, expect, it } from 'vitest';
import { type Embedded, clopperPearson, faceBootstrap, pairsOf, split } from '../../main/eval/face-heldout.js';

const v = (...xs: number[]) => Float32Array.from(xs);
/** A face whose embeddings point along its person's axis, so same-person pairs score 1 and others 0. */
const face = (id: string, person: string, axis: number): Embedded => {
  const e = new Float32Array(8);
  e[axis] = 1;
  return { id, person, live: e, chip: Float32Array.from(e) };
};

describe('held-out face evaluation', () => {
  it('Clopper-Pearson matches the exact values (R binom.test)', () => {
    const [lo0, hi0] = clopperPearson(0, 286);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(1 - 0.025 ** (1 / 286), 6); // 0.01282
    const [lo, hi] = clopperPearson(2, 20);
    expect(lo).toBeCloseTo(0.01234853, 5);
    expect(hi).toBeCloseTo(0.31698569, 5);
    const [lo5, hi5] = clopperPearson(5, 10);
    expect(lo5).toBeCloseTo(0.187086, 5);
    expect(hi5).toBeCloseTo(0.812914, 5);
    expect(clopperPearson(10, 10)[1]).toBe(1);
  });

  it('splits faces into disjoint halves, each multi-face person in both, the same for the same seed', () => {
    const faces = [
      ...['a1', 'a2', 'a3', 'a4', 'a5'].map((id) => face(id, 'a', 0)),
      ...['b1', 'b2'].map((id) => face(id, 'b', 1)),
      ...['c', 'd', 'e', 'f', 'g'].map((id, i) => face(id, id, 2 + i)),
    ];
    const [x, y] = split(faces, 14);
    expect(new Set([...x, ...y].map((f) => f.id))).toEqual(new Set(faces.map((f) => f.id)));
    expect(x.filter((f) => y.includes(f))).toEqual([]);
    expect(Math.abs(x.length - y.length)).toBeLessThanOrEqual(1);
    for (const p of ['a', 'b']) {
      expect(x.some((f) => f.person === p), p).toBe(true);
      expect(y.some((f) => f.person === p), p).toBe(true);
    }
    expect(split(faces, 14)[0].map((f) => f.id)).toEqual(x.map((f) => f.id));
    // Another seed shuffles differently somewhere across a few tries.
    expect([1, 2, 3].some((s) => split(faces, s)[0].map((f) => f.id).join() !== x.map((f) => f.id).join())).toBe(true);
  });

  it('forms live-vs-chip pairs inside a group only, none of a face with itself', () => {
    const faces = [face('a1', 'a', 0), face('a2', 'a', 0), face('b1', 'b', 1)];
    const p = pairsOf(faces);
    expect(p.genuine).toEqual([1, 1]);
    expect(p.impostor).toEqual([0, 0, 0, 0]);
    expect(pairsOf([{ id: 'x', person: 'x', live: v(1, 0), chip: v(0, 1) }]).genuine).toEqual([]);
  });

  it('bootstraps over faces: no errors give [0, 0], errors give an interval that contains the observed rate', () => {
    const clean = [face('a1', 'a', 0), face('a2', 'a', 0), face('a3', 'a', 0), face('b1', 'b', 1), face('c1', 'c', 2)];
    expect(faceBootstrap(clean, 0.5, 1, 300).fmr).toEqual([0, 0]);
    // b1 looks like person a to the matcher: its impostor pairs with a's faces score 1.
    const confused = clean.map((f) => (f.id === 'b1' ? { ...f, live: v(1, 0, 0, 0, 0, 0, 0, 0), chip: v(1, 0, 0, 0, 0, 0, 0, 0) } : f));
    const obs = pairsOf(confused);
    const rate = obs.impostor.filter((s) => s >= 0.5).length / obs.impostor.length;
    const ci = faceBootstrap(confused, 0.5, 1, 500).fmr;
    expect(ci[0]).toBeLessThanOrEqual(rate);
    expect(ci[1]).toBeGreaterThanOrEqual(rate);
    expect(ci[1]).toBeGreaterThan(0);
  });
});
