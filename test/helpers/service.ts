// The local identity service for tests: a kiosk over the software chip (or any reader) with a
// real store in a temporary folder, the service on a real 127.0.0.1 socket, and a raw HTTP
// client that can send any Host and Origin (what a browser or a hostile page would send).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import type { LatencyModel } from '../../drivers/emulator/card-image.js';
import { recordAudit } from '../../offline-cache/audit.js';
import { type LocalStore, openLocalStore } from '../../offline-cache/store.js';
import { ClientRegistry } from '../../main/api/clients.js';
import type { ServiceRead } from '../../main/api/service-contract.js';
import { Kiosk, type KioskOptions } from '../../main/kiosk/kiosk.js';
import { storeRecorder } from '../../main/kiosk/store.js';
import { type StartServiceOptions, startKioskService } from '../../main/kiosk/service-run.js';
import type { KioskService } from '../../main/kiosk/service.js';
import { demoCard } from '../../main/paths.js';
import { EmulatedReader } from '../../main/verify/emulated-reader.js';
import type { CardReader } from '../../main/verify/card-reader.js';
import { tempDir } from './cards.js';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export interface CallOptions {
  token?: string;
  origin?: string;
  host?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Trust this CA (https). */
  ca?: string | Buffer;
}

export function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Reply> {
  const url = new URL(path, base);
  const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.origin) headers.origin = o.origin;
  if (o.host) headers.host = o.host;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // A fresh connection a call (no keep-alive): what a stopped service refuses is then visible as ECONNREFUSED.
    const r = req(url, { method, headers, agent: false, ...(o.ca ? { ca: o.ca } : {}) }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    r.on('error', reject);
    if (body !== undefined) r.write(body);
    r.end();
  });
}

export interface ServiceRig {
  kiosk: Kiosk;
  reader: CardReader;
  store: LocalStore;
  service: KioskService;
  url: string;
  dataDir: string;
  clients: ClientRegistry;
  /** Pairs a client and returns its token. */
  pair(name: string, origins?: string[]): string;
  /** Polls GET /v1/reads/{id}?wait until it is final. */
  finished(token: string, id: string): Promise<ServiceRead>;
  close(): Promise<void>;
}

export interface RigOptions extends Partial<Omit<StartServiceOptions, 'port'>> {
  card?: string;
  reader?: CardReader;
  latency?: LatencyModel | null;
  kiosk?: Partial<KioskOptions>;
  dataDir?: string;
}

export async function serviceRig(o: RigOptions = {}): Promise<ServiceRig> {
  const dataDir = o.dataDir ?? tempDir('idk-svc-');
  const reader = o.reader ?? new EmulatedReader(await loadCardFolder(o.card ?? demoCard('cccd')), { latency: o.latency ?? null });
  const store = openLocalStore({ dataDir: join(dataDir, 'store') });
  const recorder = storeRecorder(store);
  const kiosk = new Kiosk({ reader, mode: reader.emulated ? 'demo' : 'live', recorder, store: recorder, progressEveryMs: 0, log: () => undefined, ...o.kiosk });
  kiosk.servicePlug = { keys: store.keys, audit: (l) => void recordAudit(store, l), dataDir };
  kiosk.onClose(() => store.close());
  const { url, service } = await startKioskService(kiosk, { port: 0, ...o });
  const clients = new ClientRegistry(dataDir);
  return {
    kiosk,
    reader,
    store,
    service,
    url,
    dataDir,
    clients,
    pair: (name, origins = []) => clients.pair(name, origins).token,
    async finished(token, id) {
      for (let i = 0; i < 40; i++) {
        const r = await call(url, 'GET', `/v1/reads/${id}?wait=5`, { token });
        const read = r.json as ServiceRead;
        if (['done', 'failed', 'cancelled'].includes(read.status)) return read;
      }
      throw new Error(`read ${id} did not finish`);
    },
    close: () => kiosk.close(),
  };
}
