// The liveness measurement (main/eval/liveness-eval.ts) on a small subset: structural truths only.
// How well human's antispoof/liveness models separate the simulated attacks is what the
// script measures; we do not know it in advance, so no test asserts a quality threshold.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildEvalSet, type EvalFace } from '../../main/eval/face-set.js';
import { ATTACK_TYPES, seedFor, simulateAttack } from '../../main/eval/liveness-attacks.js';
import {
  apcerAtBpcer, PAD_MODEL_NAMES, PadModels, padReport, padTable, rocAuc, scoreSet, type PadSample,
} from '../../main/eval/liveness-eval.js';
import { FaceNetworks } from '../../main/verify/face/networks.js';

let nets: FaceNetworks;
let pad: PadModels;
let faces: EvalFace[];
let first: PadSample[];

beforeAll(async () => {
  nets = await FaceNetworks.load();
  pad = await PadModels.load();
  // One face of the man in the screenshot and one woman from a demo photo.
  const set = await buildEvalSet(nets, 1);
  faces = ['facematch-1', 'sample1-1'].map((id) => set.find((f) => f.id === id)!);
  first = scoreSet(nets, pad, faces);
});

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

describe('simulated presentation attacks', () => {
  it('are deterministic per seed, differ from the live frame, and differ between seeds', () => {
    const live = faces[1]!.live;
    for (const attack of ATTACK_TYPES) {
      const a = simulateAttack(live, attack, seedFor('sample1-1', attack));
      const b = simulateAttack(live, attack, seedFor('sample1-1', attack));
      expect([a.width, a.height]).toEqual([live.width, live.height]);
      expect(same(a.data, b.data), attack).toBe(true);
      expect(same(a.data, live.data), attack).toBe(false);
    }
    const s1 = simulateAttack(live, 'glare', 1);
    const s2 = simulateAttack(live, 'glare', 2);
    expect(same(s1.data, s2.data)).toBe(false);
  });
});

describe('liveness measurement on two faces', () => {
  it('reads the input sizes from the graphs (antispoof 128x128, liveness 32x32)', () => {
    expect(pad.inputSize('antispoof')).toEqual([128, 128]);
    expect(pad.inputSize('liveness')).toEqual([32, 32]);
  });

  it('scores one bona fide frame and every attack type per face, each score finite and in [0, 1]', () => {
    expect(first).toHaveLength(faces.length * (1 + ATTACK_TYPES.length));
    for (const f of faces) {
      const kinds = first.filter((s) => s.id === f.id).map((s) => s.kind);
      expect(kinds).toEqual(['bona-fide', ...ATTACK_TYPES]);
      // The bona fide frame is the control: its face must be found.
      expect(first.find((s) => s.id === f.id && s.kind === 'bona-fide')!.scores).not.toBeNull();
    }
    const scored = first.filter((s) => s.scores);
    expect(scored.length).toBeGreaterThan(faces.length);
    for (const s of scored) {
      for (const m of PAD_MODEL_NAMES) {
        const v = s.scores![m];
        expect(Number.isFinite(v), `${s.id} ${s.kind} ${m}`).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
  });

  it('gives the models input they respond to: scores vary across frames', () => {
    for (const m of PAD_MODEL_NAMES) {
      const values = new Set(first.filter((s) => s.scores).map((s) => s.scores![m]));
      expect(values.size, m).toBeGreaterThan(1);
    }
  });

  it('gives the same scores on a second run', () => {
    expect(scoreSet(nets, pad, faces)).toEqual(first);
  });

  it('reports every attack type and the pooled row for both models, and says the attacks are simulated', () => {
    const rows = padTable(first);
    for (const m of PAD_MODEL_NAMES) {
      expect(rows.filter((r) => r.model === m).map((r) => r.attack)).toEqual([...ATTACK_TYPES, 'all']);
    }
    for (const r of rows) {
      expect(r.nBonaFide).toBe(faces.length);
      expect(r.nAttack + r.noFace).toBe(r.attack === 'all' ? faces.length * ATTACK_TYPES.length : faces.length);
      if (r.nAttack) {
        expect(r.auc).toBeGreaterThanOrEqual(0);
        expect(r.auc).toBeLessThanOrEqual(1);
        expect(r.apcer1).toBeGreaterThanOrEqual(r.apcer5);
      }
    }
    const text = padReport(first);
    expect(text).toContain('SIMULATED');
    for (const a of ATTACK_TYPES) expect(text).toMatch(new RegExp(`^\\s+${a}\\s`, 'm'));
  });
});

describe('ISO/IEC 30107-3 figures', () => {
  it('ROC AUC is 1 when every bona fide scores above every attack, 0 when reversed, 0.5 on ties', () => {
    expect(rocAuc([0.9, 0.8, 0.7], [0.1, 0.2])).toBe(1);
    expect(rocAuc([0.1, 0.2], [0.9, 0.8, 0.7])).toBe(0);
    expect(rocAuc([0.5, 0.5], [0.5])).toBe(0.5);
    expect(rocAuc([0.9, 0.3], [0.5])).toBe(0.5);
  });

  it('APCER at a BPCER: the threshold rejects at most that share of bona fide, attacks at or above it are accepted', () => {
    const bona = Array.from({ length: 20 }, (_, i) => (i + 1) / 20); // 0.05 .. 1.00
    const r5 = apcerAtBpcer(bona, [0.05, 0.1, 0.5], 0.05);
    expect(r5.threshold).toBe(0.1); // one of 20 bona fide (5%) below
    expect(r5.bpcerActual).toBe(0.05);
    expect(r5.apcer).toBeCloseTo(2 / 3, 12);
    const r1 = apcerAtBpcer(bona, [0.05, 0.1, 0.5], 0.01);
    expect(r1.threshold).toBe(0.05); // 1% of 20 is no sample: nothing may be rejected
    expect(r1.bpcerActual).toBe(0);
    expect(r1.apcer).toBe(1);
  });
});
