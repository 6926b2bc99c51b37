// `node dist/main/eval/liveness-eval.js`: how well the two presentation-attack models that ship in
// @vladmandic/human (antispoof, liveness) tell the packaged "live" frames from simulated
// re-captures of the same frames (main/eval/liveness-attacks.ts). Measurement only: neither model
// is part of the kiosk's decision (docs/face.md, "Liveness"). Terms as ISO/IEC 30107-3:
// APCER = attacks accepted as bona fide, BPCER = bona fide rejected as attacks.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { type Frame, warpAffine } from '../../drivers/camera/frame.js';
import { initRuntime } from '../verify/face/models.js';
import { FaceNetworks } from '../verify/face/networks.js';
import { pixelCentred } from '../verify/face/geometry.js';
import { buildEvalSet, type EvalFace } from './face-set.js';
import { ATTACK_TYPES, type AttackType, cameraJpeg, seedFor, simulateAttack } from './liveness-attacks.js';

const PAD_MODELS = {
  /** 128x128 RGB in [0,1] -> sigmoid, high = "real"; graph says generatedBy kaggle.com/anku420/fake-face-detection. */
  antispoof: 'models/antispoof.json',
  /** 32x32 RGB in [0,1] -> softmax of 2, human reads [0] as "live"; graph says generatedBy github.com/leokwu/livenessnet. */
  liveness: 'models/liveness.json',
} as const;

type PadModelName = keyof typeof PAD_MODELS;
export const PAD_MODEL_NAMES = Object.keys(PAD_MODELS) as PadModelName[];

/** `minConfidence` of human's demo/faceid: it accepts `real` and `live` at or above this. */
const HUMAN_DEMO_THRESHOLD = 0.6;

/** human crops the face at this size for its mesh, then each model resizes that crop (src/face/facemesh.ts, antispoof.ts). */
const HUMAN_FACE_CROP = 192;
/** human enlarges BlazeFace's box 1.4x and makes it square (config.face.detector.scale, blazeface.ts). */
const HUMAN_BOX_SCALE = 1.4;

function humanModelPath(file: string): string {
  const require = createRequire(import.meta.url);
  for (const base of require.resolve.paths('@vladmandic/human') ?? []) {
    const p = join(base, '@vladmandic/human', file);
    if (existsSync(p)) return p;
  }
  throw new Error(`@vladmandic/human/${file} not installed`);
}

export class PadModels {
  private constructor(private readonly models: Record<PadModelName, GraphModel>) {}

  static async load(): Promise<PadModels> {
    await initRuntime();
    const [antispoof, liveness] = await Promise.all(
      PAD_MODEL_NAMES.map((n) => loadGraphModel(pathToFileURL(humanModelPath(PAD_MODELS[n])).href)),
    );
    return new PadModels({ antispoof: antispoof!, liveness: liveness! });
  }

  /** [height, width] of a model's input, read from its graph. */
  inputSize(name: PadModelName): [number, number] {
    const [, h, w] = this.models[name].inputs[0]!.shape!;
    return [h!, w!];
  }

  /**
   * Both scores for the face in `box`, fed as human feeds them: a square crop 1.4x the
   * detector box, 192x192, RGB / 255, bilinear resize to the model's input (no alignment,
   * no rotation: human's default `detector.rotation: false`).
   */
  score(frame: Frame, box: { x: number; y: number; width: number; height: number }): Record<PadModelName, number> {
    const side = HUMAN_BOX_SCALE * Math.max(box.width, box.height);
    const k = side / HUMAN_FACE_CROP;
    const x0 = box.x + box.width / 2 - side / 2;
    const y0 = box.y + box.height / 2 - side / 2;
    const crop = warpAffine(frame, pixelCentred({ a: k, b: 0, c: x0, d: 0, e: k, f: y0 }), HUMAN_FACE_CROP, HUMAN_FACE_CROP, 1 / 255, 0);
    const out = {} as Record<PadModelName, number>;
    tf.tidy(() => {
      const face = tf.tensor4d(crop, [1, HUMAN_FACE_CROP, HUMAN_FACE_CROP, 3]);
      for (const name of PAD_MODEL_NAMES) {
        const res = this.models[name].execute(tf.image.resizeBilinear(face, this.inputSize(name), false)) as tf.Tensor;
        out[name] = (res.dataSync() as Float32Array)[0]!;
      }
    });
    return out;
  }
}

export interface PadSample {
  id: string;
  /** 'bona-fide' or the attack type. */
  kind: 'bona-fide' | AttackType;
  /** null when BlazeFace finds no face: the face step would stop there, nothing is scored. */
  scores: Record<PadModelName, number> | null;
}

function attackFrames(f: EvalFace, attacks: readonly AttackType[] = ATTACK_TYPES): { kind: AttackType; frame: Frame }[] {
  return attacks.map((kind) => ({ kind, frame: simulateAttack(f.live, kind, seedFor(f.id, kind)) }));
}

export function scoreSet(nets: FaceNetworks, pad: PadModels, set: EvalFace[], attacks: readonly AttackType[] = ATTACK_TYPES): PadSample[] {
  const out: PadSample[] = [];
  const one = (id: string, kind: PadSample['kind'], frame: Frame): void => {
    // The kiosk's detector threshold; the largest face is the person in front of the camera.
    const det = nets.detect(frame, 0.5).sort((a, b) => b.width * b.height - a.width * a.height)[0];
    out.push({ id, kind, scores: det ? pad.score(frame, det) : null });
  };
  for (const f of set) {
    one(f.id, 'bona-fide', cameraJpeg(f.live));
    for (const a of attackFrames(f, attacks)) one(f.id, a.kind, a.frame);
  }
  return out;
}

/** Probability that a random bona fide scores above a random attack (ties count half): ROC AUC. */
export function rocAuc(bonaFide: number[], attack: number[]): number {
  if (!bonaFide.length || !attack.length) return NaN;
  let wins = 0;
  for (const b of bonaFide) for (const a of attack) wins += b > a ? 1 : b === a ? 0.5 : 0;
  return wins / (bonaFide.length * attack.length);
}

/**
 * The threshold with the highest acceptance that still rejects at most `bpcer` of the bona fide
 * (accept when score >= threshold), and the APCER it gives. With n bona fide samples, the
 * achievable BPCER steps are 1/n: the reported `bpcerActual` says which one was used.
 */
export function apcerAtBpcer(bonaFide: number[], attack: number[], bpcer: number): { threshold: number; apcer: number; bpcerActual: number } {
  const b = [...bonaFide].sort((x, y) => x - y);
  const reject = Math.floor(bpcer * b.length + 1e-9); // bona fide allowed below the threshold
  const threshold = b[reject] ?? Infinity;
  const apcer = attack.filter((s) => s >= threshold).length / attack.length;
  return { threshold, apcer, bpcerActual: b.filter((s) => s < threshold).length / b.length };
}

interface PadRow {
  model: PadModelName;
  attack: AttackType | 'all';
  nBonaFide: number;
  nAttack: number;
  /** Attack frames where no face was found (stopped by the face step, not by this model). */
  noFace: number;
  auc: number;
  apcer5: number;
  apcer1: number;
  attackMedian: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

export function padTable(samples: PadSample[], attacks: readonly AttackType[] = ATTACK_TYPES): PadRow[] {
  const rows: PadRow[] = [];
  for (const model of PAD_MODEL_NAMES) {
    const bona = samples.filter((s) => s.kind === 'bona-fide' && s.scores).map((s) => s.scores![model]);
    for (const attack of [...attacks, 'all' as const]) {
      const all = samples.filter((s) => s.kind !== 'bona-fide' && (attack === 'all' || s.kind === attack));
      const scored = all.filter((s) => s.scores).map((s) => s.scores![model]);
      rows.push({
        model,
        attack,
        nBonaFide: bona.length,
        nAttack: scored.length,
        noFace: all.length - scored.length,
        auc: rocAuc(bona, scored),
        apcer5: apcerAtBpcer(bona, scored, 0.05).apcer,
        apcer1: apcerAtBpcer(bona, scored, 0.01).apcer,
        attackMedian: median(scored),
      });
    }
  }
  return rows;
}

function quantiles(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): string => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(3);
  return `n=${s.length} min ${q(0)} p5 ${q(0.05)} median ${q(0.5)} p95 ${q(0.95)} max ${(s[s.length - 1] ?? NaN).toFixed(3)}`;
}

export function padReport(samples: PadSample[], attacks: readonly AttackType[] = ATTACK_TYPES): string {
  const rows = padTable(samples, attacks);
  const pct = (x: number): string => (Number.isNaN(x) ? '   -' : (100 * x).toFixed(1)).padStart(6);
  const bonaMissing = samples.filter((s) => s.kind === 'bona-fide' && !s.scores).map((s) => s.id);
  const lines = [
    'SIMULATED presentation attacks (image processing of the packaged photos), not real re-captures.',
    `bona fide frames ${samples.filter((s) => s.kind === 'bona-fide').length}, no face found in ${bonaMissing.length}${bonaMissing.length ? ` (${bonaMissing.join(', ')})` : ''}`,
  ];
  for (const model of PAD_MODEL_NAMES) {
    const bona = samples.filter((s) => s.kind === 'bona-fide' && s.scores).map((s) => s.scores![model]);
    const att = samples.filter((s) => s.kind !== 'bona-fide' && s.scores).map((s) => s.scores![model]);
    lines.push('', `${model}: score high = bona fide (as human reads it)`, `  bona fide: ${quantiles(bona)}`, `  attacks:   ${quantiles(att)}`);
    lines.push('  attack        n  noface    AUC  APCER%@BPCER5  APCER%@BPCER1  attack median');
    for (const r of rows.filter((x) => x.model === model)) {
      lines.push(
        `  ${r.attack.padEnd(13)}${String(r.nAttack).padStart(3)}${String(r.noFace).padStart(8)}  ${Number.isNaN(r.auc) ? '    -' : r.auc.toFixed(3)}` +
          `  ${pct(r.apcer5).padStart(13)}  ${pct(r.apcer1).padStart(13)}  ${Number.isNaN(r.attackMedian) ? '-' : r.attackMedian.toFixed(3).padStart(13)}`,
      );
    }
    const worst = rows.filter((x) => x.model === model && x.attack !== 'all' && x.nAttack > 0);
    const max5 = Math.max(...worst.map((x) => x.apcer5));
    lines.push(`  worst-case APCER at BPCER 5% (max over attack types, ISO/IEC 30107-3): ${pct(max5).trim()}%`);
    const t = HUMAN_DEMO_THRESHOLD;
    lines.push(
      `  at human's faceid demo threshold ${t}: BPCER ${pct(bona.filter((s) => s < t).length / bona.length).trim()}%, ` +
        `APCER ${pct(att.filter((s) => s >= t).length / att.length).trim()}%`,
    );
    // The screenshot tiles are ~100 px crops blown up 4x: already "re-captured" in a sense.
    const photos = padTable(samples.filter((s) => !s.id.startsWith('facematch-')), attacks).find((x) => x.model === model && x.attack === 'all')!;
    lines.push(`  face-api demo photos only (${photos.nBonaFide} bona fide): AUC ${photos.auc.toFixed(3)}, APCER@BPCER5 ${pct(photos.apcer5).trim()}%`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const nets = await FaceNetworks.load();
  const pad = await PadModels.load();
  const set = await buildEvalSet(nets);
  process.stdout.write(padReport(scoreSet(nets, pad, set)) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
