// `node dist/main/eval/face-eval.js`: genuine and impostor score distributions of the face
// matcher on the packaged evaluation set, FMR and FNMR at the configured threshold, and the
// threshold the data suggests. The numbers go to docs/face.md.
import { fileURLToPath } from 'node:url';
import { cosine, FACE_THRESHOLD, FaceEngine } from '../verify/face/engine.js';
import { FaceNetworks } from '../verify/face/networks.js';
import { buildEvalSet, type EvalFace } from './face-set.js';

interface EvalScores {
  faces: number;
  /** Faces the pipeline could not embed (id and why). */
  failures: string[];
  /** Same person, different photos: live frame of one against the chip copy of another. */
  genuine: number[];
  /** Same photo: the live frame against its own chip copy (camera vs chip degradation only). */
  samePhoto: number[];
  /** Different people: every live frame against every other person's chip copy. */
  impostor: number[];
  chipBytes: { min: number; max: number };
}

export async function evaluateFaces(engine: FaceEngine, set: EvalFace[]): Promise<EvalScores> {
  const emb = new Map<string, { live: Float32Array; chip: Float32Array }>();
  const failures: string[] = [];
  for (const f of set) {
    // The matcher's own distribution: the chip portrait path (no live gates) for both sides.
    const live = engine.analyse(f.live, 'document');
    const chip = engine.analyse(f.chip, 'document');
    if (!live.embedding || !chip.embedding) {
      failures.push(`${f.id}: ${[...live.notes, ...chip.notes].map((n) => n.code).join(',')}`);
      continue;
    }
    emb.set(f.id, { live: live.embedding, chip: chip.embedding });
  }
  const ok = set.filter((f) => emb.has(f.id));
  const genuine: number[] = [];
  const samePhoto: number[] = [];
  const impostor: number[] = [];
  for (const a of ok) {
    for (const b of ok) {
      const s = cosine(emb.get(a.id)!.live, emb.get(b.id)!.chip);
      if (a.id === b.id) samePhoto.push(s);
      else if (a.person === b.person) genuine.push(s);
      else impostor.push(s);
    }
  }
  const sizes = set.map((f) => f.chipBytes.length);
  return { faces: set.length, failures, genuine, samePhoto, impostor, chipBytes: { min: Math.min(...sizes), max: Math.max(...sizes) } };
}

export const fmr = (impostor: number[], t: number): number => impostor.filter((s) => s >= t).length / impostor.length;
export const fnmr = (genuine: number[], t: number): number => genuine.filter((s) => s < t).length / genuine.length;

/** Lowest threshold with no impostor accepted, raised to the middle of the gap when the classes separate. */
export function suggestThreshold(genuine: number[], impostor: number[]): number {
  const maxImp = Math.max(...impostor);
  const minGen = Math.min(...genuine);
  return minGen > maxImp ? (minGen + maxImp) / 2 : maxImp + 1e-4;
}

function quantiles(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): string => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN).toFixed(3);
  return `n=${s.length} min ${q(0)} p5 ${q(0.05)} median ${q(0.5)} p95 ${q(0.95)} max ${(s[s.length - 1] ?? NaN).toFixed(3)}`;
}

function histogram(xs: number[], lo = 0.3, hi = 1, bins = 14): string {
  const counts = new Array<number>(bins).fill(0);
  for (const x of xs) counts[Math.max(0, Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo)) * bins)))]! += 1;
  const max = Math.max(...counts, 1);
  return counts.map((c, i) => `  ${(lo + ((hi - lo) * i) / bins).toFixed(2)} ${String(c).padStart(4)} ${'#'.repeat(Math.ceil((40 * c) / max))}`).join('\n');
}

export function report(r: EvalScores, threshold = FACE_THRESHOLD): string {
  const lines = [
    `faces ${r.faces}, not embedded ${r.failures.length}${r.failures.length ? ` (${r.failures.join('; ')})` : ''}; chip copies ${r.chipBytes.min}-${r.chipBytes.max} bytes (240x320 JPEG 2000)`,
    `genuine (same person, other photo, live vs chip): ${quantiles(r.genuine)}`,
    histogram(r.genuine),
    `same photo (live vs its own chip copy):          ${quantiles(r.samePhoto)}`,
    `impostor (different people, live vs chip):       ${quantiles(r.impostor)}`,
    histogram(r.impostor),
    `threshold ${threshold}: FMR ${(100 * fmr(r.impostor, threshold)).toFixed(2)}% (${r.impostor.filter((s) => s >= threshold).length}/${r.impostor.length}), ` +
      `FNMR ${(100 * fnmr(r.genuine, threshold)).toFixed(2)}% (${r.genuine.filter((s) => s < threshold).length}/${r.genuine.length}), ` +
      `same-photo FNMR ${(100 * fnmr(r.samePhoto, threshold)).toFixed(2)}%`,
    `suggested threshold (zero FMR on this set): ${suggestThreshold([...r.genuine, ...r.samePhoto], r.impostor).toFixed(4)}`,
    'sweep:  t     FMR%   FNMR%',
    ...[0.86, 0.88, 0.9, 0.92, 0.93, 0.94, 0.95, 0.96].map((t) => `       ${t.toFixed(2)} ${(100 * fmr(r.impostor, t)).toFixed(2).padStart(6)} ${(100 * fnmr(r.genuine, t)).toFixed(2).padStart(7)}`),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const nets = await FaceNetworks.load();
  const engine = await FaceEngine.load();
  const set = await buildEvalSet(nets);
  process.stdout.write(report(await evaluateFaces(engine, set)) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
