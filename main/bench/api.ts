// `npm run bench api`: a read over the local identity service, from the calling program's
// request to its signed result, against the same read as the CLI does it (`read --record`:
// the card-reader path, the decode and the store) in the same run, on the same software chip
// at contactless speed (the emulator's latency model). Target: at most 1.05x, as the median
// of 11 back-to-back pairs (order alternating), so a machine busy with other work slows both
// halves of a pair alike instead of landing on one side.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { recordAudit } from '../../offline-cache/audit.js';
import { recordVerification } from '../../offline-cache/outbox.js';
import { openLocalStore } from '../../offline-cache/store.js';
import { ClientRegistry } from '../api/clients.js';
import type { ServiceRead } from '../api/service-contract.js';
import { Kiosk } from '../kiosk/kiosk.js';
import { startKioskService } from '../kiosk/service-run.js';
import { storeRecorder } from '../kiosk/store.js';
import { demoCard } from '../paths.js';
import { cliVerification } from '../read/record.js';
import { readCard } from '../verify/card-reader.js';
import { EmulatedReader } from '../verify/emulated-reader.js';
import { verificationEvent } from '../verify/event.js';
import { decodeDocument } from '../verify/report.js';
import type { Figure } from './figure.js';

const RUNS = 11;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function send(url: string, method: string, path: string, token: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const r = request(new URL(path, url), { method, headers: { authorization: `Bearer ${token}`, ...(text ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(parts).toString('utf8'))));
    });
    r.on('error', reject);
    r.end(text);
  });
}

export async function benchApi(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'idk-bench-api-'));
  const card = await loadCardFolder(demoCard('cccd'));
  const can = card.secrets.can!;
  // The CLI's read: the same reader path, decode and durable record as `read --record`.
  const cliReader = new EmulatedReader(card);
  cliReader.setPresent(true);
  const cliStore = openLocalStore({ dataDir: join(dir, 'cli') });
  const cliRead = async (): Promise<number> => {
    const t0 = performance.now();
    const { raw } = await readCard(cliReader, { kind: 'can', can });
    const { report } = await decodeDocument(raw, performance.now() - t0);
    recordVerification(cliStore, verificationEvent(cliVerification({ report, reader: cliReader.name })));
    return performance.now() - t0;
  };

  // The service's read: a kiosk over its own copy of the chip and store, a paired client on 127.0.0.1.
  const reader = new EmulatedReader(card);
  const store = openLocalStore({ dataDir: join(dir, 'kiosk') });
  const recorder = storeRecorder(store);
  const kiosk = new Kiosk({ reader, mode: 'demo', recorder, store: recorder, log: () => undefined });
  kiosk.servicePlug = { keys: store.keys, audit: (l) => void recordAudit(store, l), dataDir: dir };
  kiosk.onClose(() => store.close());
  const { url } = await startKioskService(kiosk, { port: 0, rateLimit: { burst: 1000, perMinute: 60_000 } });
  const token = new ClientRegistry(dir).pair('bench', []).token;
  reader.setPresent(true);
  const serviceRead = async (): Promise<number> => {
    const t0 = performance.now();
    let read = (await send(url, 'POST', '/v1/reads', token, { can, face: false })) as ServiceRead;
    while (!['done', 'failed', 'cancelled'].includes(read.status)) read = (await send(url, 'GET', `/v1/reads/${read.id}?wait=30`, token)) as ServiceRead;
    const ms = performance.now() - t0;
    if (read.status !== 'done') throw new Error(`bench api: the service read ended ${read.status} (${read.error?.code})`);
    return ms;
  };

  const cli: number[] = [];
  const service: number[] = [];
  const ratios: number[] = [];
  try {
    // One of each first, unmeasured: module loading and JIT warm-up belong to neither.
    await cliRead();
    await serviceRead();
    for (let i = 0; i < RUNS; i++) {
      // Back to back, the order alternating: a machine busy with something else slows both of a pair alike.
      const [c, s] = i % 2 === 0 ? [await cliRead(), await serviceRead()] : (([x, y]) => [y, x])([await serviceRead(), await cliRead()]);
      cli.push(c!);
      service.push(s!);
      ratios.push(s! / c!);
    }
  } finally {
    await kiosk.close();
    cliStore.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const s = median(service);
  const c = median(cli);
  return [
    { name: 'api request to result / CLI read', value: median(ratios), limit: 1, unit: 'x', target: 1.05, note: `median of ${RUNS} back-to-back pairs; HTTP on 127.0.0.1, receipt signed, event stored` },
    { name: 'api request to result', value: s, limit: c, unit: 'ms', note: `median; the limit is the CLI read's median` },
  ];
}
