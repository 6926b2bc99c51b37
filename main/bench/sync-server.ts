// The central side's rows of `npm run bench sync`, each against a limit measured in the
// same run, with `idkiosk sync-server` processes as they run in production:
//
// - forged batch: server CPU for a well-formed 20,000-event batch whose request signature
//   is forged, against server CPU for one valid 10-event batch (goal: under 5 ms each);
// - /health under 300 hostile slow uploads: the slowest answer, against the 100 ms goal
//   (a constant, said so on the line);
// - ingest on SQLite and on PostgreSQL: time per 1,000 events accepted by one server
//   process, against a bare batched INSERT of the same rows into the same database
//   (target <= 2x the time, i.e. >= 0.5x the bare INSERT's rate);
// - 1, 2 and 3 server processes on one PostgreSQL: events/s as a ratio of one process.
//
// PostgreSQL comes from $IDKIOSK_TEST_PG_URL (.ci/services.d/postgres.sh); its idk_ tables
// are dropped and made again.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openDatabase } from '../../offline-cache/store.js';
import { SimDevice } from '../../offline-cache/sync/device-sim.js';
import { httpExchange } from '../../offline-cache/sync/http.js';
import { signedHeaders } from '../../offline-cache/sync/request-auth.js';
import { dropSchemaSql } from '../../offline-cache/sync/server-store-postgres.js';
import { BATCH_CONTENT_TYPE } from '../../offline-cache/sync/protocol.js';
import { packageRoot } from '../paths.js';
import { syntheticVerification } from './synthetic.js';
import type { Figure } from './figure.js';
import { startSlowClients } from './slow-clients.js';

const ENROL = 'bench-enrol';
const OPERATOR = 'bench-operator';
const MASTER = Buffer.alloc(32, 0x42).toString('base64');

interface Child {
  child: ChildProcess;
  url: string;
  port: number;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'idk-bench-srv-'));
}

async function startServer(db: string, dataDir: string, port = 0): Promise<Child> {
  const cli = join(packageRoot(), 'dist', 'main', 'cli.js');
  const child = spawn(process.execPath, [cli, 'sync-server', '--db', db, '--data-dir', dataDir, '--token', ENROL, '--operator-token', OPERATOR, '--quiet', '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, IDKIOSK_SERVER_MASTER_KEY: MASTER, IDKIOSK_LANG: 'en' },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`sync-server did not start: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`sync-server exited (${c}): ${err}`));
    });
  });
  return { child, url, port: Number(new URL(url).port) };
}

function stop(c: Child): Promise<void> {
  return new Promise((resolve) => {
    if (c.child.exitCode !== null) return resolve();
    c.child.once('exit', () => resolve());
    c.child.kill('SIGTERM');
  });
}

/** CPU seconds (user + system) a process has used so far (Linux /proc, 10 ms ticks). */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function pgUrl(): string {
  const url = process.env.IDKIOSK_TEST_PG_URL;
  if (!url) throw new Error('bench sync needs PostgreSQL: install Debian\'s "postgresql" and run "source .ci/services.d/postgres.sh" (it exports IDKIOSK_TEST_PG_URL)');
  return url;
}

async function resetPg(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`${dropSchemaSql()} DROP TABLE IF EXISTS bench_bare;`);
  } finally {
    await c.end();
  }
}

/** Devices enrolled with `url`, each with `events` events recorded. */
async function fleet(url: string, devices: number, events: number, prefix: string): Promise<SimDevice[]> {
  const out: SimDevice[] = [];
  for (let d = 0; d < devices; d++) {
    const dev = new SimDevice(`${prefix}-${d}`);
    dev.record(Array.from({ length: events }, (_, i) => ({ ...syntheticVerification(i, 500 + d), site: `Điểm ${d % 8}` })));
    const r = await dev.enrol(url, ENROL, `Điểm ${d % 8}`);
    if (r.status !== 200 && r.status !== 201) throw new Error(`enrolment failed: ${r.status} ${JSON.stringify(r.json)}`);
    out.push(dev);
  }
  return out;
}

interface Job {
  dev: SimDevice;
  from: number;
  to: number;
  wire: Uint8Array;
}

/** Every device's events as batches of `size`, sealed and compressed before the clock starts. */
async function jobsOf(devs: SimDevice[], size: number): Promise<Job[][]> {
  return Promise.all(
    devs.map(async (dev) => {
      const jobs: Job[] = [];
      for (let from = 1; from <= dev.head; from += size) {
        const to = Math.min(dev.head, from + size - 1);
        jobs.push({ dev, from, to, wire: await dev.batch(from, to) });
      }
      return jobs;
    }),
  );
}

/** Sends every device's batches in order, `inFlight` devices at a time, device d to urls[d % n]; returns seconds. */
async function drive(perDevice: Job[][], urls: string[], inFlight: number): Promise<number> {
  const queue = perDevice.map((jobs, d) => ({ jobs, url: urls[d % urls.length]! }));
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let q = queue.shift(); q; q = queue.shift()) {
        for (const j of q.jobs) {
          const r = await j.dev.send(q.url, j.wire, { to: j.to, timeoutMs: 120_000 });
          if (r.status !== 200) throw new Error(`bench batch ${j.dev.deviceId} ${j.from}-${j.to}: ${r.status} ${JSON.stringify(r.json)}`);
        }
      }
    }),
  );
  return (performance.now() - t) / 1000;
}

/**
 * One untimed round of the same load first (other devices): a server runs for days, and the
 * first seconds of a process go to compiling its hot code (V8's optimiser, on helper threads),
 * which would otherwise be a third of a one-second measurement.
 */
async function warmUp(urls: string[], prefix: string): Promise<void> {
  const devs = await fleet(urls[0]!, DEVICES, EVENTS, `warm-${prefix}`);
  await drive(await jobsOf(devs, BATCH), urls, 4);
}

const DEVICES = 40;
const EVENTS = 500;
const BATCH = 250;

/** The rows the server stored, for the bare INSERT to write again. */
interface BareRow {
  device_id: string;
  seq: number;
  id: string;
  at: number;
  received_at: number;
  body: string;
  hash: Uint8Array;
  sig: Uint8Array | null;
  subject: Uint8Array;
  key_id: string;
  clock_flag: string | null;
  site: string;
  result: string;
  auth_invalid: number | boolean;
}

function bareSqlite(rows: BareRow[]): number {
  const dir = tmp();
  const db = openDatabase(join(dir, 'bare.sqlite'), 'FULL');
  db.exec(`CREATE TABLE events (device_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER NOT NULL,
    body TEXT NOT NULL, hash BLOB NOT NULL, sig BLOB, subject BLOB, key_id TEXT, clock_flag TEXT, site TEXT NOT NULL, result TEXT NOT NULL,
    auth_invalid INTEGER NOT NULL, purged_at INTEGER, PRIMARY KEY (device_id, seq)) STRICT, WITHOUT ROWID`);
  const ins = db.prepare('INSERT INTO events(device_id, seq, id, at, received_at, body, hash, sig, subject, key_id, clock_flag, site, result, auth_invalid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const batch = db.transaction((rs: BareRow[]) => {
    for (const r of rs) ins.run(r.device_id, r.seq, r.id, r.at, r.received_at, r.body, r.hash, r.sig, r.subject, r.key_id, r.clock_flag, r.site, r.result, r.auth_invalid ? 1 : 0);
  });
  const t = performance.now();
  for (let i = 0; i < rows.length; i += BATCH) batch.immediate(rows.slice(i, i + BATCH));
  const s = (performance.now() - t) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return s;
}

async function barePostgres(url: string, rows: BareRow[]): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare (LIKE idk_events INCLUDING ALL)');
    const t = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      const f = rows.slice(i, i + BATCH);
      await c.query(
        `INSERT INTO bench_bare(device_id, seq, id, at, received_at, body, hash, sig, subject, key_id, clock_flag, site, result, auth_invalid)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::bigint[], $5::bigint[], $6::text[], $7::bytea[], $8::bytea[], $9::bytea[], $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[])`,
        [
          f.map((r) => r.device_id),
          f.map((r) => r.seq),
          f.map((r) => r.id),
          f.map((r) => r.at),
          f.map((r) => r.received_at),
          f.map((r) => r.body),
          f.map((r) => Buffer.from(r.hash)),
          f.map((r) => (r.sig ? Buffer.from(r.sig) : null)),
          f.map((r) => Buffer.from(r.subject)),
          f.map((r) => r.key_id),
          f.map((r) => r.clock_flag),
          f.map((r) => r.site),
          f.map((r) => r.result),
          f.map((r) => !!r.auth_invalid),
        ],
      );
    }
    const s = (performance.now() - t) / 1000;
    await c.query('DROP TABLE bench_bare');
    return s;
  } finally {
    await c.end();
  }
}

const COLS = 'device_id, seq, id, at, received_at, body, hash, sig, subject, key_id, clock_flag, site, result, auth_invalid';

/** Ingest through one server process against a bare batched INSERT of the same rows. */
async function ingestFigure(kind: 'SQLite' | 'PostgreSQL'): Promise<{ figure: Figure; eventsPerSec: number }> {
  const dir = tmp();
  const pgu = kind === 'PostgreSQL' ? pgUrl() : undefined;
  if (pgu) await resetPg(pgu);
  const dbArg = pgu ?? join(dir, 'ingest.sqlite');
  const srv = await startServer(dbArg, dir);
  try {
    await warmUp([srv.url], `ingest-${kind}`);
    const devs = await fleet(srv.url, DEVICES, EVENTS, `ingest-${kind}`);
    const jobs = await jobsOf(devs, BATCH);
    const seconds = await drive(jobs, [srv.url], 4);
    const n = DEVICES * EVENTS;
    let rows: BareRow[];
    if (pgu) {
      const c = new pg.Client({ connectionString: pgu });
      await c.connect();
      rows = (await c.query<BareRow>(`SELECT ${COLS} FROM idk_events WHERE device_id LIKE $1 ORDER BY device_id, seq`, [`ingest-${kind}-%`])).rows;
      await c.end();
    } else {
      const db = new Database(join(dir, 'ingest.sqlite'), { readonly: true });
      rows = db.prepare(`SELECT ${COLS} FROM events WHERE device_id LIKE ? ORDER BY device_id, seq`).all(`ingest-${kind}-%`) as BareRow[];
      db.close();
    }
    if (rows.length !== n) throw new Error(`bench ingest: ${rows.length} rows stored, expected ${n}`);
    const bare = pgu ? await barePostgres(pgu, rows) : bareSqlite(rows);
    const per = (s: number): number => (s * 1000 * 1000) / n; // ms per 1,000 events
    return {
      eventsPerSec: n / seconds,
      figure: {
        name: `ingest ${kind}, 1 server process`,
        value: per(seconds),
        limit: per(bare),
        unit: 'ms/1k',
        target: 2,
        note: `${(n / seconds).toFixed(0)} events/s accepted = ${(bare / seconds).toFixed(2)}x the bare batched INSERT's ${(n / bare).toFixed(0)}/s (target >= 0.5x); ${n} events in ${BATCH}-event batches, 4 in flight, after an untimed round of the same load`,
      },
    };
  } finally {
    await stop(srv);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Events/s with 1, 2 and 3 server processes on one PostgreSQL, as ratios of one process. */
async function scaleFigures(): Promise<Figure[]> {
  const url = pgUrl();
  const rates: number[] = [];
  for (const n of [1, 2, 3]) {
    await resetPg(url);
    const dirs = Array.from({ length: n }, tmp);
    const servers: Child[] = [];
    for (const d of dirs) servers.push(await startServer(url, d));
    try {
      await warmUp(servers.map((s) => s.url), `scale${n}`);
      const devs = await fleet(servers[0]!.url, DEVICES, EVENTS, `scale${n}`);
      const jobs = await jobsOf(devs, BATCH);
      // The same load each time (six devices sending at once); only the number of processes changes.
      const seconds = await drive(jobs, servers.map((s) => s.url), 6);
      rates.push((DEVICES * EVENTS) / seconds);
    } finally {
      for (const s of servers) await stop(s);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }
  return [2, 3].map((n) => ({
    name: `ingest PostgreSQL, ${n} processes`,
    value: rates[n - 1]!,
    limit: rates[0]!,
    unit: 'ev/s',
    note: `events/s as a ratio of 1 process (${rates[0]!.toFixed(0)}/s); all processes, PostgreSQL and the load share this machine's ${availableParallelism()} cores`,
  }));
}

/** Server CPU for a forged 20,000-event batch against one valid 10-event batch. */
async function forgedFigure(): Promise<Figure> {
  const dir = tmp();
  const srv = await startServer(join(dir, 'ingest.sqlite'), dir);
  try {
    const [victim] = await fleet(srv.url, 1, 20_000, 'forged-victim');
    const wire = await victim!.batch(1, 20_000); // well-formed, sealed to this server, ~2 MB
    const pid = srv.child.pid!;
    const N = 100;
    let c0 = cpuSeconds(pid);
    for (let i = 0; i < N; i++) {
      // Every header right but the signature, which the attacker cannot make.
      const h = signedHeaders(() => new Uint8Array(64).map(() => Math.floor(Math.random() * 256)), { method: 'POST', path: '/v1/batches', device: victim!.deviceId, time: Date.now(), offset: 0, body: wire, queue: 'head=1;oldest=-' });
      const r = await httpExchange(`${srv.url}/v1/batches`, { method: 'POST', headers: { 'content-type': BATCH_CONTENT_TYPE, ...h }, body: wire, timeoutMs: 30_000 }).catch(() => undefined);
      if (r && r.status !== 401) throw new Error(`a forged batch got ${r.status}`);
    }
    await new Promise((r) => setTimeout(r, 2500)); // the lingering closes finish (their reading counts too)
    const forged = ((cpuSeconds(pid) - c0) * 1000) / N;
    const small = await fleet(srv.url, N, 10, 'forged-control');
    const smallJobs = await jobsOf(small, 10);
    c0 = cpuSeconds(pid);
    await drive(smallJobs, [srv.url], 1);
    const valid = ((cpuSeconds(pid) - c0) * 1000) / N;
    return {
      name: 'forged 20k-event batch, server CPU',
      value: forged,
      limit: valid,
      unit: 'ms',
      target: 1,
      note: `${forged.toFixed(2)} ms each (goal < 5 ms); limit: one valid 10-event batch, ${valid.toFixed(2)} ms; ${N} of each, CPU from /proc`,
    };
  } finally {
    await stop(srv);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The slowest /health answer while 300 forged slow uploads hold on. */
async function healthFigure(): Promise<Figure> {
  const dir = tmp();
  const srv = await startServer(join(dir, 'ingest.sqlite'), dir);
  try {
    const [dev] = await fleet(srv.url, 1, 1, 'health');
    const attack = startSlowClients({ port: srv.port, deviceId: dev!.deviceId, slowHeaders: 100, slowBodies: 100, fastBodies: 100 });
    const times: number[] = [];
    await new Promise((r) => setTimeout(r, 1000));
    const until = Date.now() + 10_000;
    while (Date.now() < until) {
      const t = performance.now();
      const r = await httpExchange(`${srv.url}/health`, { method: 'GET', timeoutMs: 10_000 });
      if (r.status !== 200) throw new Error(`/health answered ${r.status} under attack`);
      times.push(performance.now() - t);
      await new Promise((res) => setTimeout(res, 50));
    }
    attack.stop();
    times.sort((a, b) => a - b);
    return {
      name: '/health under 300 slow uploads',
      value: times[times.length - 1]!,
      limit: 100,
      unit: 'ms',
      target: 1,
      note: `slowest of ${times.length} probes (median ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms); limit: the 100 ms goal, a constant, not a measurement; ${attack.stats.connections} hostile connections`,
    };
  } finally {
    await stop(srv);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function serverFigures(): Promise<Figure[]> {
  const out: Figure[] = [];
  out.push(await forgedFigure());
  out.push(await healthFigure());
  out.push((await ingestFigure('SQLite')).figure);
  out.push((await ingestFigure('PostgreSQL')).figure);
  out.push(...(await scaleFigures()));
  return out;
}
