// `npm run eval:face-heldout`: the face threshold chosen on one part of the evaluation set and
// FMR / FNMR reported on the other, with 95 % confidence intervals (issue 14: the 0.94 in
// engine.ts was set on the same faces whose error rates docs/face.md reported).
//
// Protocol, fixed before the run:
// - the set is buildWideSet (face-set.ts): every face image the installed packages ship that
//   we could label, labels set by eye before scoring;
// - faces are split in two halves with a seeded shuffle (SEED), per identity: the faces of a
//   person with several go alternately to each half, so both halves hold genuine pairs; pairs
//   are only formed inside a half, so no picture is both tuned on and tested on;
// - the threshold rule is the one that produced 0.94: the middle of the gap between the
//   highest impostor and the lowest genuine score on the tuning half (suggestThreshold);
// - reported on the test half: FMR and FNMR at the tuned threshold and at the product's
//   FACE_THRESHOLD, each with an exact (Clopper-Pearson) 95 % interval on the pair counts and a
//   95 % interval from resampling faces (pairs share faces, so the pair-count interval is too
//   narrow; the face bootstrap is the more honest of the two);
// - as a check on the one split: the same over SPLITS random splits.
import { fileURLToPath } from 'node:url';
import { prng } from '../../drivers/emulator/prng.js';
import { cosine, FACE_THRESHOLD, FaceEngine } from '../verify/face/engine.js';
import { FaceNetworks } from '../verify/face/networks.js';
import { fmr, fnmr, suggestThreshold } from './face-eval.js';
import { buildWideSet, type EvalFace } from './face-set.js';

const SEED = 14;
const SPLITS = 500;
const BOOTSTRAP = 2000;

export interface Embedded {
  id: string;
  person: string;
  live: Float32Array;
  chip: Float32Array;
}

export interface Pairs {
  genuine: number[];
  impostor: number[];
}

/** Live frame of one face against the chip copy of another, inside one group of faces. */
export function pairsOf(faces: Embedded[]): Pairs {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (const a of faces) {
    for (const b of faces) {
      if (a.id === b.id) continue;
      (a.person === b.person ? genuine : impostor).push(cosine(a.live, b.chip));
    }
  }
  return { genuine, impostor };
}

/** Two halves, per identity: a person's faces alternate between halves after a seeded shuffle. */
export function split(faces: Embedded[], seed: number): [Embedded[], Embedded[]] {
  const rnd = prng(seed);
  const shuffle = <T>(xs: T[]): T[] => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  };
  const byPerson = new Map<string, Embedded[]>();
  for (const f of faces) byPerson.set(f.person, [...(byPerson.get(f.person) ?? []), f]);
  const halves: [Embedded[], Embedded[]] = [[], []];
  let next = 0;
  // Single-face people alternate too, continuing where the last person left off, so the halves stay even.
  for (const person of shuffle([...byPerson.keys()].sort())) {
    for (const f of shuffle(byPerson.get(person)!)) {
      halves[next]!.push(f);
      next = 1 - next;
    }
  }
  return halves;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** P(X <= k) for X ~ Binomial(n, p). */
function binomCdf(k: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  let s = 0;
  for (let i = 0; i <= k; i++) s += Math.exp(logChoose(n, i) + i * Math.log(p) + (n - i) * Math.log(1 - p));
  return Math.min(1, s);
}

/** Exact (Clopper-Pearson) two-sided 95 % interval for k successes in n trials. */
export function clopperPearson(k: number, n: number, alpha = 0.05): [number, number] {
  const solve = (f: (p: number) => number): number => {
    // f is monotone decreasing in p over [0, 1]; find where it crosses alpha / 2.
    let lo = 0;
    let hi = 1;
    for (let i = 0; i < 60; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid) > alpha / 2) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const lower = k === 0 ? 0 : 1 - solve((p) => 1 - binomCdf(k - 1, n, 1 - p));
  const upper = k === n ? 1 : solve((p) => binomCdf(k, n, p));
  return [lower, upper];
}

/** 95 % percentile interval of FMR and FNMR at t, resampling faces (not pairs) with replacement. */
export function faceBootstrap(faces: Embedded[], t: number, seed: number, rounds = BOOTSTRAP): { fmr: [number, number]; fnmr: [number, number]; used: number } {
  const rnd = prng(seed);
  const fmrs: number[] = [];
  const fnmrs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const pick = faces.map(() => faces[Math.floor(rnd() * faces.length)]!);
    let gen = 0;
    let genMiss = 0;
    let imp = 0;
    let impHit = 0;
    for (const a of pick) {
      for (const b of pick) {
        if (a.id === b.id) continue;
        const s = cosine(a.live, b.chip);
        if (a.person === b.person) {
          gen++;
          if (s < t) genMiss++;
        } else {
          imp++;
          if (s >= t) impHit++;
        }
      }
    }
    // A resample without genuine pairs says nothing about FNMR: left out of both, and counted.
    if (gen === 0 || imp === 0) continue;
    fmrs.push(impHit / imp);
    fnmrs.push(genMiss / gen);
  }
  const ci = (xs: number[]): [number, number] => {
    const s = [...xs].sort((a, b) => a - b);
    return [s[Math.floor(0.025 * (s.length - 1))] ?? NaN, s[Math.ceil(0.975 * (s.length - 1))] ?? NaN];
  };
  return { fmr: ci(fmrs), fnmr: ci(fnmrs), used: fmrs.length };
}

export async function embed(engine: FaceEngine, set: EvalFace[]): Promise<{ faces: Embedded[]; failures: string[] }> {
  const faces: Embedded[] = [];
  const failures: string[] = [];
  for (const f of set) {
    // As in face-eval.ts: the chip portrait path (no live gates) on both sides, so gates do not drop pairs.
    const live = engine.analyse(f.live, 'document');
    const chip = engine.analyse(f.chip, 'document');
    if (!live.embedding || !chip.embedding) failures.push(`${f.id}: ${[...live.notes, ...chip.notes].map((n) => n.code).join(',')}`);
    else faces.push({ id: f.id, person: f.person, live: live.embedding, chip: chip.embedding });
  }
  return { faces, failures };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const range = ([a, b]: [number, number]): string => `[${pct(a)}, ${pct(b)}]`;

function rates(test: Embedded[], t: number, seed: number): string {
  const p = pairsOf(test);
  const falseMatches = p.impostor.filter((s) => s >= t).length;
  const falseNonMatches = p.genuine.filter((s) => s < t).length;
  const boot = faceBootstrap(test, t, seed);
  return [
    `  FMR  ${pct(fmr(p.impostor, t))} (${falseMatches}/${p.impostor.length}) exact 95% ${range(clopperPearson(falseMatches, p.impostor.length))}, face bootstrap 95% ${range(boot.fmr)}`,
    `  FNMR ${pct(fnmr(p.genuine, t))} (${falseNonMatches}/${p.genuine.length}) exact 95% ${range(clopperPearson(falseNonMatches, p.genuine.length))}, face bootstrap 95% ${range(boot.fnmr)} (${boot.used}/${BOOTSTRAP} resamples with both kinds of pair)`,
  ].join('\n');
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function heldOutReport(faces: Embedded[], failures: string[]): string {
  const people = new Set(faces.map((f) => f.person));
  const multi = [...people].filter((p) => faces.filter((f) => f.person === p).length > 1);
  const [tune, test] = split(faces, SEED);
  const tp = pairsOf(tune);
  const t = suggestThreshold(tp.genuine, tp.impostor);
  const lines = [
    `faces ${faces.length + failures.length}, embedded ${faces.length}${failures.length ? ` (not embedded: ${failures.join('; ')})` : ''}; people ${people.size}, with more than one face: ${multi.map((p) => `${p} ${faces.filter((f) => f.person === p).length}`).join(', ')}`,
    `split seed ${SEED}: tuning ${tune.length} faces (${tp.genuine.length} genuine, ${tp.impostor.length} impostor pairs), test ${test.length} faces (${pairsOf(test).genuine.length} genuine, ${pairsOf(test).impostor.length} impostor pairs)`,
    `tuning half: highest impostor ${Math.max(...tp.impostor).toFixed(4)}, lowest genuine ${Math.min(...tp.genuine).toFixed(4)} -> threshold ${t.toFixed(4)}`,
    `test half at the tuned threshold ${t.toFixed(4)}:`,
    rates(test, t, SEED),
    `test half at the product threshold ${FACE_THRESHOLD}:`,
    rates(test, FACE_THRESHOLD, SEED),
  ];
  // The one split could be lucky: the same protocol over many random splits.
  const ts: number[] = [];
  const fmrs: number[] = [];
  const fnmrs: number[] = [];
  // Fixed candidates scored on the test halves only: the old product value and its neighbours.
  const fixed = [0.93, 0.94, 0.95, 0.96];
  const atFixed = fixed.map(() => ({ fm: 0, im: 0, fn: 0, gm: 0 }));
  for (let i = 0; i < SPLITS; i++) {
    const [a, b] = split(faces, 1000 + i);
    const pa = pairsOf(a);
    const pb = pairsOf(b);
    if (pa.genuine.length === 0 || pb.genuine.length === 0) continue;
    const ti = suggestThreshold(pa.genuine, pa.impostor);
    ts.push(ti);
    fmrs.push(fmr(pb.impostor, ti));
    fnmrs.push(fnmr(pb.genuine, ti));
    for (const [j, tf] of fixed.entries()) {
      const acc = atFixed[j]!;
      acc.fm += pb.impostor.filter((x) => x >= tf).length;
      acc.im += pb.impostor.length;
      acc.fn += pb.genuine.filter((x) => x < tf).length;
      acc.gm += pb.genuine.length;
    }
  }
  lines.push(
    `${ts.length} random splits (seeds 1000..${1000 + SPLITS - 1}): tuned threshold median ${quantile(ts, 0.5).toFixed(4)} [5%..95%: ${quantile(ts, 0.05).toFixed(4)}..${quantile(ts, 0.95).toFixed(4)}]; ` +
      `held-out FMR median ${pct(quantile(fmrs, 0.5))} [95th pct ${pct(quantile(fmrs, 0.95))}], FNMR median ${pct(quantile(fnmrs, 0.5))} [95th pct ${pct(quantile(fnmrs, 0.95))}]`,
    `fixed thresholds on the test halves of the same splits (pooled):`,
    ...fixed.map((tf, j) => `  ${tf.toFixed(2)}  FMR ${pct(atFixed[j]!.fm / atFixed[j]!.im)}  FNMR ${pct(atFixed[j]!.fn / atFixed[j]!.gm)}`),
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const nets = await FaceNetworks.load();
  const engine = await FaceEngine.load();
  const { faces, failures } = await embed(engine, await buildWideSet(nets));
  process.stdout.write(heldOutReport(faces, failures) + '\n');
  // The one label set after scoring in the first evaluation (sample3-2 as sample1-3): the same with it undone.
  const undone = faces.map((f) => (f.id === 'sample3-2' ? { ...f, person: 'sample3-2' } : f));
  process.stdout.write(`\nwith the post-scoring label undone (sample3-2 its own person):\n${heldOutReport(undone, failures)}\n`);
  // The label most in doubt, set apart before scoring: the faceid man scores 0.94-0.96 against every face-match tile.
  const merged = faces.map((f) => (f.id === 'faceid-1' ? { ...f, person: 'facematch-man' } : f));
  process.stdout.write(`\nif the faceid man were the face-match man (not used for the choice):\n${heldOutReport(merged, failures)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}
