// The face matcher on its worker thread: a verification round trip through the typed
// messages gives the same result as in-process (the worker on several tfjs threads, this
// process on one), and a bad chip image comes back as a typed error.
import { availableParallelism } from 'node:os';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIdkError } from '../../core/errors.js';
import { buildEvalSet, type EvalFace } from '../../main/eval/face-set.js';
import { FaceWorker } from '../../main/verify/face/client.js';
import { FaceEngine } from '../../main/verify/face/engine.js';
import { FaceNetworks } from '../../main/verify/face/networks.js';
import { faceStep } from '../../main/verify/face/step.js';
import { decodeJpeg, encodeJpeg } from '../../drivers/camera/jpeg.js';
import { scaleBrightness, solidFrame } from '../../drivers/camera/frame.js';
import type { FaceResult } from '../../main/verify/face-result.js';

let worker: FaceWorker;
let set: EvalFace[];
let engine: FaceEngine;
let threads: number;

beforeAll(async () => {
  const nets = await FaceNetworks.load();
  engine = await FaceEngine.load();
  set = await buildEvalSet(nets, 2);
  worker = new FaceWorker();
  threads = await worker.warmUp();
});

afterAll(async () => {
  await worker.close();
});

describe('face worker', () => {
  it('runs tfjs on every core up to four (the threaded WASM build started under Node); the in-process engine on one', () => {
    // A bridge in wasm-threads.ts that stops working falls back to one thread, and this fails on any multi-core machine.
    expect(threads).toBe(Math.min(4, availableParallelism()));
    expect(getThreadsCount()).toBe(1);
  });

  it('verifies live frame against DG2 bytes off the main thread, same score as in-process', async () => {
    const live = set.find((f) => f.id === 'facematch-1')!;
    const doc = set.find((f) => f.id === 'facematch-2')!;
    const other = set.find((f) => f.id === 'sample1-1')!;
    const r1 = await worker.verify(live.live, doc.chipBytes);
    const local = engine.verify(live.live, doc.chip);
    expect(r1.decision).toBe('match');
    expect(r1.score).toBe(local.score);
    // The same chip again (a retry) and then another card.
    const r2 = await worker.verify(other.live, doc.chipBytes);
    expect(r2.decision).toBe('no-match');
    const r3 = await worker.verify(other.live, other.chipBytes);
    expect(r3.decision).toBe('match');
  });

  it('takes the camera JPEG as the page sends it and decodes it in the worker: same score as decoding first', async () => {
    const live = set.find((f) => f.id === 'facematch-1')!;
    const doc = set.find((f) => f.id === 'facematch-2')!;
    const jpeg = encodeJpeg(live.live, 85);
    const fromJpeg = await worker.verify(jpeg, doc.chipBytes);
    const local = engine.verify(decodeJpeg(jpeg), doc.chip);
    expect(fromJpeg.score).not.toBeNull();
    expect(fromJpeg.score).toBe(local.score);
    expect(fromJpeg.decision).toBe('match');
    // A torn camera JPEG is the frame's problem, reported typed; the next frame still works.
    await expect(worker.verify(jpeg.subarray(0, 400), doc.chipBytes)).rejects.toMatchObject({ code: 'BAD_IMAGE' });
    expect((await worker.verify(jpeg, doc.chipBytes)).score).toBe(fromJpeg.score);
  });

  it('returns a typed error for a chip image it cannot decode, and keeps working', async () => {
    const live = set[0]!.live;
    let code = 'none';
    try {
      await worker.verify(live, Uint8Array.of(0x00, 0x01, 0x02, 0x03));
    } catch (e) {
      code = isIdkError(e) ? e.code : String(e);
    }
    expect(code).toBe('BAD_IMAGE');
    expect((await worker.verify(live, set[0]!.chipBytes)).decision).toBe('match');
  });

  it('runs as the pipeline step: prompts on a dark frame, then matches on the next', async () => {
    const f = set.find((x) => x.id === 'facematch-1')!;
    const frames = [scaleBrightness(f.live, 0.2), f.live];
    const prompts: FaceResult[] = [];
    const step = faceStep(worker, { grab: async () => frames.shift()!, onPrompt: (r) => prompts.push(r) });
    const r = await step.verify(set.find((x) => x.id === 'facematch-2')!.chipBytes, new AbortController().signal);
    expect(r.decision).toBe('match');
    expect(prompts.map((p) => p.quality.map((q) => q.code))).toEqual([['TOO_DARK']]);
  });

  it('stops with the clerk prompt when the chip portrait shows no face', async () => {
    const step = faceStep(worker, { grab: async () => set[0]!.live });
    const blank = encodeJpeg(solidFrame(240, 320, [180, 180, 180]), 90);
    let code = 'none';
    try {
      await step.verify(blank, new AbortController().signal);
    } catch (e) {
      code = isIdkError(e) ? e.code : String(e);
    }
    expect(code).toBe('FACE_NO_FACE');
  });
});
