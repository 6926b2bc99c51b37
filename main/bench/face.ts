// `idkiosk bench face`: one live 640x480 camera frame as the kiosk gets it (a JPEG from the
// page, quality 85) through decoding, detection, mesh, alignment, embedding and comparison
// against a chip portrait already analysed (as on a retry, and as the worker keeps it).
// The decode is counted: every live frame pays it. Limits: issue 14's 70 ms for the median
// through the worker and issue 8's 200 ms for the rest are goals (constants), not
// measurements, and the lines say so; the JPEG decoder is measured against jpeg-js (the
// decoder it replaced) on the same frames in the same run.
import jpegJs from 'jpeg-js';
import type { Figure } from './figure.js';
import { decodeImage } from '../../drivers/camera/image.js';
import { decodeJpeg, encodeJpeg } from '../../drivers/camera/jpeg.js';
import { FaceWorker, threadsText } from '../verify/face/client.js';
import { FaceEngine } from '../verify/face/engine.js';
import { FaceNetworks } from '../verify/face/networks.js';
import { buildEvalSet } from '../eval/face-set.js';

/** Issue 8: detect + embed + compare within 200 ms on a 2-core kiosk. */
const GOAL_MS = 200;
/** Issue 14: median at 640x480, JPEG decode included, on the worker. */
const GOAL_WORKER_MEDIAN_MS = 70;
/** The page encodes camera grabs at quality 0.85 (renderer/camera.ts). */
const CAMERA_JPEG_QUALITY = 85;

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
  const jpegs = set.map((f) => encodeJpeg(f.live, CAMERA_JPEG_QUALITY));
  const doc = set[0]!;
  const docAnalysis = engine.analyse(doc.chip, 'document');
  if (!docAnalysis.embedding) throw new Error('bench portrait not usable');
  // Warm-up: kernels compile and caches fill once per process; a kiosk runs for days.
  for (const j of jpegs.slice(0, 3)) engine.verify(decodeJpeg(j), docAnalysis);
  const live: number[] = [];
  const decode: number[] = [];
  const decodeJs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const k = i % set.length;
    const t = performance.now();
    const frame = decodeJpeg(jpegs[k]!);
    const td = performance.now();
    const r = engine.verify(frame, docAnalysis);
    live.push(performance.now() - t);
    decode.push(td - t);
    if (r.score === null) throw new Error(`bench frame ${set[k]!.id} not compared: ${r.quality.map((q) => q.code).join(',')}`);
    const tj = performance.now();
    jpegJs.decode(jpegs[k]!, { useTArray: true, formatAsRGBA: false });
    decodeJs.push(performance.now() - tj);
  }
  const chipSide: number[] = [];
  const decodeJ2k: number[] = [];
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    const frame = await decodeImage(doc.chipBytes);
    decodeJ2k.push(performance.now() - t);
    t = performance.now();
    engine.analyse(frame, 'document');
    chipSide.push(performance.now() - t);
  }
  // As the kiosk runs it: the page's JPEG posted to the worker thread, decoded and compared there.
  const worker = new FaceWorker();
  const viaWorker: number[] = [];
  let threads: number;
  try {
    threads = await worker.warmUp();
    for (const j of jpegs.slice(0, 3)) await worker.verify(j, doc.chipBytes);
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await worker.verify(jpegs[i % set.length]!, doc.chipBytes);
      viaWorker.push(performance.now() - t);
    }
  } finally {
    await worker.close();
  }
  const note = `${set.length} frames, JPEG q${CAMERA_JPEG_QUALITY} decode included`;
  return [
    { name: 'face via worker 640x480 median', value: pct(viaWorker, 0.5), limit: GOAL_WORKER_MEDIAN_MS, unit: 'ms', target: 1, note: `${note}, tfjs WASM ${threadsText(threads)} (as the kiosk runs it); limit: 70 ms goal (issue 14), not a measurement` },
    { name: 'face via worker 640x480 p95', value: pct(viaWorker, 0.95), limit: GOAL_MS, unit: 'ms', target: 1, note: 'round trip incl. decode; limit: 200 ms goal (issue 8), not a measurement' },
    { name: 'face in-process 640x480 median', value: pct(live, 0.5), limit: GOAL_MS, unit: 'ms', target: 1, note: `${note}, tfjs WASM 1 thread (as evaluations run it); limit: 200 ms goal` },
    { name: 'face in-process 640x480 p95', value: pct(live, 0.95), limit: GOAL_MS, unit: 'ms', target: 1, note: 'limit: 200 ms goal' },
    { name: 'face camera JPEG decode vs jpeg-js', value: pct(decode, 0.5), limit: pct(decodeJs, 0.5), unit: 'ms', note: `medians, libjpeg-turbo WASM against jpeg-js on the same 640x480 frames (${jpegs[0]!.length} B)` },
    { name: 'face chip portrait analyse median', value: pct(chipSide, 0.5), limit: GOAL_MS, unit: 'ms', note: 'once per card, in-process on 1 thread; limit: 200 ms goal' },
    { name: 'face JPEG 2000 decode median', value: pct(decodeJ2k, 0.5), limit: GOAL_MS, unit: 'ms', note: `240x320, ${doc.chipBytes.length} B; limit: 200 ms goal` },
  ];
}
