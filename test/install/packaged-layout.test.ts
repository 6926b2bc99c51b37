// The Electron package's layout, built here by electron-builder (`--linux dir`) with a local
// stand-in for the Electron distribution (the binary cannot be downloaded here; the stand-in
// carries Electron's fuse wire, so electron-builder's fuse step runs for real). Then:
// every runtime asset resolves from the packaged app.asar (@electron/asar), what a worker or
// a WASM/model loader reads is unpacked (each worker's imports walked, packages with their
// dependencies), and the headless host run from that layout reads the demo card and matches
// a face on its worker started from app.asar.unpacked.
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, posix } from 'node:path';
import asar from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { parseDg2 } from '../../drivers/emrtd/dg2.js';
import type { ApiEvent, KioskState, ServerFrame } from '../../main/api/contract.js';
import { MODEL_FILES } from '../../main/verify/face/models.js';
import { packageRoot } from '../../main/paths.js';
import { tempDir } from '../helpers/cards.js';
import { type Ran, idkEnv, run } from './helpers.js';

const ROOT = packageRoot();
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
/** Electron's own fuse defaults (fuse wire v1): RunAsNode, CookieEncryption, NodeOptions, Inspect, AsarIntegrity, OnlyLoadAppFromAsar, V8Snapshot, GrantFileProtocol. */
const STOCK_FUSES = '10110001';

let out: string;
let archive: string;
let entries: Map<string, { unpacked: boolean }>;
let view: string;
let build: Ran;

/** The packaged Electron distribution's stand-in: an executable carrying the fuse wire, nothing else of Electron. */
function electronStandIn(dir: string): void {
  mkdirSync(join(dir, 'resources'), { recursive: true });
  mkdirSync(join(dir, 'locales'), { recursive: true });
  const exe = join(dir, 'electron');
  writeFileSync(exe, Buffer.concat([Buffer.from('#!/bin/sh\necho "stand-in for the Electron binary (it cannot be downloaded here)" >&2\nexit 3\n# '), Buffer.from(SENTINEL), Buffer.from([1, STOCK_FUSES.length]), Buffer.from(`${STOCK_FUSES}\n`)]));
  chmodSync(exe, 0o755);
  writeFileSync(join(dir, 'LICENSE'), 'stand-in\n');
}

/** Every file in the archive's header, with whether it lives in app.asar.unpacked. */
function headerEntries(file: string): Map<string, { unpacked: boolean }> {
  type Node = { files?: Record<string, Node>; unpacked?: boolean };
  const map = new Map<string, { unpacked: boolean }>();
  const walk = (node: Node, at: string, unpacked: boolean): void => {
    for (const [name, child] of Object.entries(node.files ?? {})) {
      const path = at ? `${at}/${name}` : name;
      const u = unpacked || Boolean(child.unpacked);
      if (child.files) walk(child, path, u);
      else map.set(path, { unpacked: u });
    }
  };
  walk(asar.getRawHeader(file).header as Node, '', false);
  return map;
}

/** The files a worker loads: its static imports (relative ones followed), and the packages it names. */
function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const read = (rel: string): string => {
    const unpacked = join(view, 'resources', 'app.asar.unpacked', rel);
    return readFileSync(existsSync(unpacked) ? unpacked : join(view, 'resources', 'app.asar', rel), 'utf8');
  };
  const walk = (rel: string): void => {
    if (files.has(rel)) return;
    files.add(rel);
    const src = read(rel);
    for (const m of src.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|import\s*['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const s = (m[1] ?? m[2] ?? m[3] ?? m[4])!;
      if (s.startsWith('.')) walk(posix.normalize(posix.join(posix.dirname(rel), s)));
      else if (!s.startsWith('node:')) packages.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);
    }
  };
  walk(entry);
  return { files, packages };
}

/** Packages with their dependencies, as folders under the archive's root node_modules (the layout npm hoists). */
function packageClosure(names: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const pj = join(view, 'resources', 'app.asar', 'node_modules', name, 'package.json');
    if (!existsSync(pj)) throw new Error(`a worker needs the package ${name}, which is not in the package (${pj})`);
    const deps = (JSON.parse(readFileSync(pj, 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
    for (const d of Object.keys(deps)) if (existsSync(join(view, 'resources', 'app.asar', 'node_modules', d, 'package.json'))) visit(d);
  };
  for (const n of names) visit(n);
  return seen;
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'main', 'electron', 'main.js'))) throw new Error('run "npm run build" first (npm test does)');
  const work = tempDir('idk-pack-');
  const dist = join(work, 'electron-dist');
  electronStandIn(dist);
  out = join(work, 'release');
  const electronVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
  // npmRebuild off: rebuilding native modules against Electron needs its headers from the network.
  build = await run(
    process.execPath,
    [join(ROOT, 'node_modules', 'electron-builder', 'cli.js'), '--linux', 'dir', `-c.electronDist=${dist}`, `-c.electronVersion=${electronVersion}`, '-c.npmRebuild=false', `-c.directories.output=${out}`],
    { cwd: ROOT },
  );
  if (build.code !== 0) throw new Error(`electron-builder failed (${build.code}):\n${build.stdout.slice(-3000)}\n${build.stderr.slice(-3000)}`);
  archive = join(out, 'linux-unpacked', 'resources', 'app.asar');
  entries = headerEntries(archive);
  // What Electron's main process sees: the archive's files at app.asar/… (unpacked ones
  // served through it too), and beside it app.asar.unpacked/ holding only the unpacked ones,
  // all that a plain worker thread can read.
  view = join(work, 'view');
  asar.extractAll(archive, join(view, 'resources', 'app.asar'));
  cpSync(`${archive}.unpacked`, join(view, 'resources', 'app.asar.unpacked'), { recursive: true });
  // Workers must start from app.asar.unpacked (main/paths.ts unpackedPath): their copies in the archive view go.
  rmSync(join(view, 'resources', 'app.asar', 'dist/main/verify/face/worker.js'));
  rmSync(join(view, 'resources', 'app.asar', 'dist/main/kiosk/qr-scan-worker.js'));
});

afterAll(() => {
  if (out) rmSync(dirname(out), { recursive: true, force: true });
});

function has(path: string, unpacked?: boolean): void {
  const e = entries.get(path);
  expect(e, `${path} is not in app.asar`).toBeDefined();
  if (unpacked !== undefined) expect(e!.unpacked, `${path} must ${unpacked ? '' : 'not '}be unpacked`).toBe(unpacked);
}

describe('the packaged Electron layout', () => {
  it('electron-builder applied the fuses to the executable', () => {
    const exe = readFileSync(join(out, 'linux-unpacked', 'idkiosk'));
    const at = exe.indexOf(SENTINEL) + SENTINEL.length;
    const wire = exe.subarray(at + 2, at + 2 + exe[at + 1]!).toString();
    // runAsNode off, cookie encryption on, NODE_OPTIONS and --inspect off, asar integrity and asar-only on, file:// privileges off.
    expect(wire).toBe('01001100');
  });

  it('resolves every runtime asset in app.asar: renderer, preload, migrations, demo cards, trust folder', () => {
    const pkg = JSON.parse(asar.extractFile(archive, 'package.json').toString()) as { main: string };
    expect(pkg.main).toBe('dist/main/electron/main.js');
    has('dist/main/electron/main.js');
    has('dist/main/electron/preload.cjs');
    has('dist/main/cli.js');
    has('dist/offline-cache/migrations.js');
    for (const f of ['index.html', 'style.css']) has(`renderer/${f}`);
    for (const f of readdirSync(join(ROOT, 'renderer', 'img')).filter((f) => f.endsWith('.svg'))) has(`renderer/img/${f}`);
    for (const f of readdirSync(join(ROOT, 'dist', 'renderer')).filter((f) => f.endsWith('.js'))) has(`dist/renderer/${f}`);
    for (const card of ['cccd', 'passport']) for (const f of readdirSync(join(ROOT, 'drivers/emulator/demo', card))) has(`drivers/emulator/demo/${card}/${f}`);
    for (const f of ['csca.pem', 'csca.crl']) has(`drivers/emulator/demo/pki/${f}`);
  });

  it('unpacks native modules, both workers and all they load: code, packages, tfjs WASM, models, JPEG 2000 codec', () => {
    for (const [path, e] of entries) if (path.endsWith('.node')) expect(e.unpacked, path).toBe(true);
    for (const n of ['better_sqlite3.node', 'smartcard_napi.node']) expect([...entries.keys()].some((p) => p.endsWith(n) && entries.get(p)!.unpacked), n).toBe(true);
    has('package.json', true);
    const missing: string[] = [];
    for (const worker of ['dist/main/verify/face/worker.js', 'dist/main/kiosk/qr-scan-worker.js']) {
      has(worker, true);
      const { files, packages } = importClosure(worker);
      for (const f of files) if (!entries.get(f)?.unpacked && f !== worker) missing.push(`${worker} imports ${f}`);
      for (const p of packageClosure(packages)) {
        const prefix = `node_modules/${p}/`;
        const inPkg = [...entries].filter(([path]) => path.startsWith(prefix));
        expect(inPkg.length, p).toBeGreaterThan(0);
        for (const [path, e] of inPkg) if (!e.unpacked) missing.push(`${worker} needs ${path}`);
      }
    }
    expect(missing.slice(0, 20), 'add these to asarUnpack in electron-builder.yml').toEqual([]);
    // WASM: the tfjs backend's binaries and the codec's.
    const wasm = [...entries].filter(([p]) => p.endsWith('.wasm'));
    expect(wasm.some(([p]) => p.startsWith('node_modules/@tensorflow/tfjs-backend-wasm/'))).toBe(true);
    expect(wasm.some(([p]) => p.startsWith('node_modules/@cornerstonejs/codec-openjpeg/'))).toBe(true);
    for (const [p, e] of wasm) if (p.startsWith('node_modules/@tensorflow/') || p.startsWith('node_modules/@cornerstonejs/')) expect(e.unpacked, p).toBe(true);
    // Models: each manifest and every weight shard it names.
    for (const m of Object.values(MODEL_FILES)) {
      const manifest = `node_modules/${m.pkg}/${m.file}`;
      has(manifest, true);
      has(`node_modules/${m.pkg}/package.json`, true);
      const json = JSON.parse(readFileSync(join(`${archive}.unpacked`, manifest), 'utf8')) as { weightsManifest?: Array<{ paths: string[] }> } | Array<{ paths: string[] }>;
      const groups = Array.isArray(json) ? json : (json.weightsManifest ?? []);
      for (const g of groups) for (const shard of g.paths) has(posix.join(posix.dirname(manifest), shard), true);
    }
  });

  it('from that layout: demo --once reads the demo card genuine', async () => {
    const cli = join(view, 'resources', 'app.asar', 'dist', 'main', 'cli.js');
    const r = await run(process.execPath, [cli, 'demo', '--once', '--json'], { env: idkEnv(tempDir('idk-pack-data-')) });
    expect(r.code, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout) as { person: { vn: { fullName: string } }; authenticity: { level: string } };
    expect(o.person.vn.fullName).toBe('Lê Thị Mẫu');
    expect(o.authenticity.level).toBe('green');
  });

  it('from that layout: the headless host reads the demo card and matches the face on its worker', async () => {
    const cli = join(view, 'resources', 'app.asar', 'dist', 'main', 'cli.js');
    const { spawn } = await import('node:child_process');
    const host = spawn(process.execPath, [cli, 'demo', '--headless'], { env: idkEnv(tempDir('idk-pack-data-')), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    host.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      const url = await new Promise<URL>((resolve, reject) => {
        let text = '';
        host.stdout.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+\/#t=[\w-]+)/.exec(text);
          if (m) resolve(new URL(m[1]!));
        });
        host.once('exit', (code) => reject(new Error(`host exited (${code}): ${stderr}`)));
      });
      const ws = new WebSocket(`ws://${url.host}/api?t=${url.hash.slice(3)}`, { origin: url.origin });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      let state: KioskState | undefined;
      const waiters: Array<() => void> = [];
      const replies = new Map<number, (f: ServerFrame) => void>();
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as ServerFrame;
        if (f.t === 'evt' && (f as ApiEvent).event === 'state') state = (f as ApiEvent & { event: 'state' }).data;
        if (f.t === 'res') replies.get(f.id)?.(f);
        for (const w of waiters.splice(0)) w();
      });
      let id = 0;
      const call = (method: string, params: unknown) =>
        new Promise<ServerFrame>((resolve) => {
          replies.set(++id, resolve);
          ws.send(JSON.stringify({ t: 'req', id, method, params }));
        });
      const until = async (p: (s: KioskState) => boolean, what: string) => {
        const end = Date.now() + 120_000;
        while (!state || !p(state)) {
          if (Date.now() > end) throw new Error(`no ${what}; state ${JSON.stringify(state)?.slice(0, 400)}; ${stderr}`);
          await new Promise<void>((r) => {
            waiters.push(r);
            setTimeout(r, 250);
          });
        }
        return state;
      };
      await call('hello', {});
      await call('demoCard', { present: true });
      // A face matcher that could not start skips the face phase: the result then says why (and fails below).
      await until((s) => s.phase === 'face' || s.phase === 'result', 'face phase');
      // The camera shows the demo card's own portrait: the same face, so a match.
      const portrait = parseDg2(new Uint8Array(readFileSync(join(ROOT, 'drivers/emulator/demo/cccd/DG2.bin')))).faces[0]!.image;
      const sender = setInterval(() => void call('cameraFrame', { purpose: 'face', jpeg: Buffer.from(portrait).toString('base64') }), 300);
      let done: KioskState;
      try {
        done = await until((s) => s.phase === 'result', 'face result');
      } finally {
        clearInterval(sender);
      }
      expect(done.result?.authenticity.level).toBe('green');
      expect(done.result?.biometric).toMatchObject({ status: 'matched', method: 'face' });
      const status = (await call('status', {})) as { ok: true; result: { devices: Array<{ kind: string; state: string }> } };
      expect(status.result.devices.find((d) => d.kind === 'face')?.state).toBe('ok');
      // tfjs's threaded build started from the unpacked layout too (one thread would mean its start-up bridge failed there).
      const threads = Math.min(4, availableParallelism());
      expect(stderr).toContain(`face matcher ready on ${threads} thread${threads === 1 ? '' : 's'}`);
      ws.close();
    } finally {
      host.kill('SIGTERM');
    }
  });
});
