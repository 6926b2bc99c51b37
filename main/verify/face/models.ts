// The face models ship inside npm packages and load from node_modules through the
// filesystem: nothing is fetched at run time, so a kiosk with no link starts the same way.
// tfjs only knows http(s) and browser storage, so a load router teaches it `file://`.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { IdkError } from '../../../core/errors.js';
import { withWasmThreads } from './wasm-threads.js';

/** Where each model comes from; docs/face.md names origin and licence of each. */
export const MODEL_FILES = {
  /** MediaPipe BlazeFace (back-camera variant, 256x256), Apache-2.0, as packaged by @vladmandic/human (MIT). */
  detector: { pkg: '@vladmandic/human', file: 'models/blazeface.json' },
  /** MediaPipe Face Mesh (468 points, 192x192), Apache-2.0, as packaged by @vladmandic/human. */
  mesh: { pkg: '@vladmandic/human', file: 'models/facemesh.json' },
  /** dlib face recognition ResNet v1 (128-d), weights public domain (CC0), as quantised by @vladmandic/face-api (MIT). */
  embedder: { pkg: '@vladmandic/face-api', file: 'model/face_recognition_model-weights_manifest.json' },
} as const;

type ModelName = keyof typeof MODEL_FILES;

function missing(what: string): IdkError {
  return new IdkError(
    'FACE_MODEL_MISSING',
    {
      vi: `Thiếu tệp mô hình khuôn mặt (${what}): hãy cài lại phần mềm (npm ci).`,
      en: `Face model file missing (${what}): reinstall the software (npm ci).`,
    },
    { detail: { what } },
  );
}

/** The package folder, found through Node's own search path so hoisting does not matter. */
function packageDir(pkg: string): string {
  const require = createRequire(import.meta.url);
  for (const base of require.resolve.paths(pkg) ?? []) {
    const dir = join(base, pkg);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw missing(pkg);
}

export function modelPath(name: ModelName): string {
  const m = MODEL_FILES[name];
  const path = join(packageDir(m.pkg), m.file);
  if (!existsSync(path)) throw missing(`${m.pkg}/${m.file}`);
  return path;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function readShards(dir: string, manifest: tf.io.WeightsManifestConfig): [tf.io.WeightsManifestEntry[], ArrayBuffer] {
  const specs = manifest.flatMap((g) => g.weights);
  const data = Buffer.concat(manifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  return [specs, toArrayBuffer(data)];
}

/** tfjs IOHandler for a model.json and its weight shards on the local disk. */
function fileHandler(url: string): tf.io.IOHandler {
  const path = fileURLToPath(url);
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(path, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => readShards(dirname(path), manifest));
    },
  };
}

/** Raw named weights from a tfjs weights manifest (models defined by their ops, not a graph). */
export function loadWeights(path: string): tf.NamedTensorMap {
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as tf.io.WeightsManifestConfig;
  const [specs, data] = readShards(dirname(path), manifest);
  return tf.io.decodeWeights(data, specs);
}

let ready: Promise<number> | undefined;

/**
 * tfjs on its WebAssembly backend (XNNPACK kernels, SIMD). tfjs-node cannot install offline,
 * and the WASM binaries ship in @tensorflow/tfjs-backend-wasm. With `threads` > 1 (the face
 * worker, which has the CPU to itself while a face is compared) the threaded build runs on
 * that many threads (wasm-threads.ts); elsewhere (evaluations, the in-process bench) one thread. The first
 * call decides for the process or worker; resolves to the threads tfjs runs.
 */
export function initRuntime(threads = 1): Promise<number> {
  ready ??= (async () => {
    // tfjs's router type claims a handler is always returned, but null is its "not mine".
    const router = (url: string | string[]): tf.io.IOHandler | null => (typeof url === 'string' && url.startsWith('file://') ? fileHandler(url) : null);
    tf.io.registerLoadRouter(router as Parameters<typeof tf.io.registerLoadRouter>[0]);
    setWasmPaths(join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist') + '/');
    if (threads > 1) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      setThreadsCount(threads);
      // A threaded start that fails (an unknown runtime) falls back to one thread: slower, still right.
      if (await withWasmThreads(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'), () => tf.setBackend('wasm')).catch(() => false)) {
        await tf.ready();
        return getThreadsCount();
      }
    }
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw missing('@tensorflow/tfjs-backend-wasm');
    await tf.ready();
    return 1;
  })();
  return ready;
}

export function modelUrl(name: ModelName): string {
  return pathToFileURL(modelPath(name)).href;
}
