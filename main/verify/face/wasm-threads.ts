// Starts tfjs-backend-wasm's threaded build (XNNPACK on a pthread pool: about 1.5x quicker
// per face on two cores, the same numbers bit for bit) inside a Node worker thread. Its
// Emscripten glue was written for browsers, and three things stop it under Node; each is
// bridged here only while the backend starts, in the calling isolate only (the face worker's):
//
// - its pthread workers are Blob URLs, which node:worker_threads cannot start: the Blob's
//   text is kept when it is made, and the worker is started from that text with `eval`;
// - the module source those workers load comes as a Blob too: it crosses as text instead,
//   preceded by the `require$$N` lines the bundle declares at its top, which it refers to;
// - it takes half the logical cores (it assumes hyperthreads), so a 2-core kiosk would get
//   one thread: os.cpus() lists each core twice while the module starts.
//
// Hand-written because nothing else runs tfjs on several cores offline here (tfjs-node
// downloads its native library at install). Pinned by test/unit/face-worker.test.ts, which
// asks the worker how many threads it runs and compares its scores with one thread's.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import workerThreads from 'node:worker_threads';

/** The module the threaded factory lives in, read for its `var require$$N = require(<builtin>)` lines. */
function bundlePrelude(bundlePath: string): string {
  const head = readFileSync(bundlePath, 'utf8').slice(0, 4096);
  const lines = [...head.matchAll(/^var (require\$\$\d+) = require\('([\w/]+)'\);$/gm)].map((m) => `var ${m[1]}=require(${JSON.stringify(m[2])});`);
  return `${lines.join('')}var commonjsGlobal=globalThis;`;
}

/**
 * Runs `start` (the backend's start-up) with the bridges in place and takes them away after.
 * `bundlePath` is the tfjs-backend-wasm module Node loads (the package's main, resolved).
 */
export async function withWasmThreads<T>(bundlePath: string, start: () => Promise<T>): Promise<T> {
  const g = globalThis as unknown as { Blob: typeof Blob };
  const OrigBlob = g.Blob;
  const origCreateUrl = URL.createObjectURL.bind(URL);
  const origCpus = os.cpus.bind(os);
  const OrigWorker = workerThreads.Worker;
  const texts = new WeakMap<Blob, string>();
  const byUrl = new Map<string, string>();
  const prelude = bundlePrelude(bundlePath);
  // Inside each pthread worker: the glue's importScripts reads a file; the module text arrives as the text itself.
  const workerTail = `;globalThis.importScripts=(f)=>{(0,eval)(f.startsWith('var WasmBackendModuleThreadedSimd')?${JSON.stringify(prelude)}+f:require('node:fs').readFileSync(f,'utf8'))};`;

  g.Blob = class extends OrigBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (parts?.every((p) => typeof p === 'string')) texts.set(this, parts.join(''));
    }
  };
  URL.createObjectURL = (b: Blob): string => {
    const url = origCreateUrl(b);
    const t = texts.get(b);
    if (t !== undefined) byUrl.set(url, t);
    return url;
  };
  os.cpus = () => {
    const c = origCpus();
    return [...c, ...c];
  };
  class PthreadWorker extends OrigWorker {
    constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
      const text = typeof url === 'string' ? byUrl.get(url) : undefined;
      if (text !== undefined) super(text + workerTail, { ...options, eval: true });
      else super(url, options);
      // The pool must not keep the face worker alive once it is asked to stop.
      this.unref();
    }

    override postMessage(message: unknown, transfer?: readonly workerThreads.TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m?.cmd === 'load' && m.urlOrBlob instanceof OrigBlob) {
        const text = texts.get(m.urlOrBlob);
        if (text !== undefined) message = { ...m, urlOrBlob: text };
      }
      super.postMessage(message, transfer);
    }
  }
  (workerThreads as { Worker: typeof OrigWorker }).Worker = PthreadWorker;
  try {
    return await start();
  } finally {
    g.Blob = OrigBlob;
    URL.createObjectURL = origCreateUrl;
    os.cpus = origCpus;
    (workerThreads as { Worker: typeof OrigWorker }).Worker = OrigWorker;
  }
}
