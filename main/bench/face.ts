// `idkiosk bench face`: one live 640x480 frame through detection, mesh, alignment, embedding
// and comparison against a chip portrait already analysed (as on a retry, and as the worker
// keeps it), median and p95 against the 200 ms goal; plus the one-off chip side and a JPEG
// 2000 portrait decode against the same goal for scale.
import type { Figure } from './figure.js';
import { decodeImage } from '../../drivers/camera/image.js';
import { FaceWorker } from '../verify/face/client.js';
import { FaceEngine } from '../verify/face/engine.js';
import { FaceNetworks } from '../verify/face/networks.js';
import { buildEvalSet } from '../eval/face-set.js';

/** Issue 8: detect + embed + compare within 200 ms on a 2-core kiosk. */
const GOAL_MS = 200;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

export async function benchFace(runs = 30): Promise<Figure[]> {
  const nets = await FaceNetworks.load();
  const engine = await FaceEngine.load();
  // Frames the live gates accept: a refused frame stops early and would flatter the figure.
  const set = (await buildEvalSet(nets, 2)).filter((f) => engine.analyse(f.live, 'live').embedding !== undefined);
  if (set.length < 3) throw new Error('too few bench frames pass the live quality gates');
  const doc = set[0]!;
  const docAnalysis = engine.analyse(doc.chip, 'document');
  if (!docAnalysis.embedding) throw new Error('bench portrait not usable');
  // Warm-up: kernels compile and caches fill once per process; a kiosk runs for days.
  for (const f of set.slice(0, 3)) engine.verify(f.live, docAnalysis);
  const live: number[] = [];
  for (let i = 0; i < runs; i++) {
    const f = set[i % set.length]!;
    const t = performance.now();
    const r = engine.verify(f.live, docAnalysis);
    live.push(performance.now() - t);
    if (r.score === null) throw new Error(`bench frame ${f.id} not compared: ${r.quality.map((q) => q.code).join(',')}`);
  }
  const chipSide: number[] = [];
  const decode: number[] = [];
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    const frame = await decodeImage(doc.chipBytes);
    decode.push(performance.now() - t);
    t = performance.now();
    engine.analyse(frame, 'document');
    chipSide.push(performance.now() - t);
  }
  // The same through the worker thread the kiosk uses: adds message copies of the frame.
  const worker = new FaceWorker();
  const viaWorker: number[] = [];
  try {
    await worker.verify(set[0]!.live, doc.chipBytes);
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await worker.verify(set[i % set.length]!.live, doc.chipBytes);
      viaWorker.push(performance.now() - t);
    }
  } finally {
    await worker.close();
  }
  const note = `${set.length} frames, tfjs WASM 1 thread`;
  return [
    { name: 'face verify 640x480 median', value: pct(live, 0.5), limit: GOAL_MS, unit: 'ms', target: 1, note },
    { name: 'face verify 640x480 p95', value: pct(live, 0.95), limit: GOAL_MS, unit: 'ms', target: 1, note },
    { name: 'face verify via worker p95', value: pct(viaWorker, 0.95), limit: GOAL_MS, unit: 'ms', target: 1, note: 'round trip incl. frame copy' },
    { name: 'face chip portrait analyse median', value: pct(chipSide, 0.5), limit: GOAL_MS, unit: 'ms', note: 'once per card' },
    { name: 'face JPEG 2000 decode median', value: pct(decode, 0.5), limit: GOAL_MS, unit: 'ms', note: `240x320, ${doc.chipBytes.length} B` },
  ];
}
