// The third transport of main/api: the local identity service, HTTP + JSON under /v1 for
// the counter's own software (docs/integration.md). Off unless started (`start
// --api-port N`, or Settings). On 127.0.0.1 by default; any other address only with TLS.
//
// Every call needs a paired client's bearer token (401 otherwise). A browser call must
// also come from one of that client's origins (CORS with preflight; 403 otherwise), and
// must name this host (a DNS-rebinding page gets 421). Each client has a token bucket
// (429 past it). Each call leaves one audit line (client, time, route, outcome): never a
// body, a key or anything read from a card.
import { type IncomingMessage, type Server, type ServerResponse, createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type ErrorCode, IdkError, errorData } from '../../core/errors.js';
import type { ClientRegistry, PairedClient } from './clients.js';
import type { AuditLine, ServiceFormat, ServiceHost, ServiceReadRequest } from './service-contract.js';

export interface ServiceOptions {
  /** 0: any free port. */
  port: number;
  /** Default 127.0.0.1; anything else requires `tls`. */
  host?: string;
  tls?: { cert: string | Buffer; key: string | Buffer };
  clients: ClientRegistry;
  /** Per client: a bucket of `burst` calls refilled at `perMinute` (defaults 30 and 120). */
  rateLimit?: { burst: number; perMinute: number };
  audit?: (line: AuditLine) => void;
  /** Operational warnings (never personal data). */
  log?: (line: string) => void;
  now?: () => number;
}

export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const MAX_BODY = 4096;
const MAX_WAIT_S = 60;

const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_REQUEST: 400,
  BAD_ACCESS_KEY: 400,
  QR_FOREIGN: 400,
  QR_MALFORMED: 400,
  QR_TRUNCATED: 400,
  QR_TOO_LONG: 400,
  QR_BAD_ENCODING: 400,
  API_UNAUTHORIZED: 401,
  API_ORIGIN_REFUSED: 403,
  PHOTO_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  READ_NOT_FOUND: 404,
  READER_BUSY: 409,
  READ_NOT_FINISHED: 409,
  TOO_LARGE: 413,
  API_RATE_LIMITED: 429,
  NO_READER: 503,
  PCSCD_NOT_RUNNING: 503,
  PCSC_LIBRARY_MISSING: 503,
};

function err(code: ErrorCode, vi: string, en: string): IdkError {
  return new IdkError(code, { vi, en });
}

const unauthorized = (): IdkError =>
  err('API_UNAUTHORIZED', 'Thiếu mã truy cập, hoặc mã không còn hiệu lực: ghép nối lại ứng dụng (idkiosk api pair).', 'Missing, unknown or revoked token: pair the program again (idkiosk api pair).');
const originRefused = (origin: string): IdkError =>
  err('API_ORIGIN_REFUSED', `Trang ${origin} chưa được ghép nối với dịch vụ này.`, `The page ${origin} is not paired with this service.`);
const notFound = (): IdkError => err('NOT_FOUND', 'Không có địa chỉ này trong dịch vụ (xem docs/integration.md).', 'No such endpoint (see docs/integration.md).');
const badRequest = (what: string): IdkError => err('BAD_REQUEST', `Yêu cầu không hợp lệ: ${what}.`, `Bad request: ${what}.`);

/** Checks POST /v1/reads field by field; unknown fields are refused so a typo is not silently ignored. */
function parseReadRequest(body: unknown): ServiceReadRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  const out: ServiceReadRequest = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === 'can' || k === 'mrz' || k === 'qr') {
      if (typeof v !== 'string' || v.length === 0 || v.length > 1024) throw badRequest(`${k} must be a non-empty string`);
      out[k] = v;
    } else if (k === 'face' || k === 'photo') {
      if (typeof v !== 'boolean') throw badRequest(`${k} must be true or false`);
      out[k] = v;
    } else throw badRequest(`unknown field ${JSON.stringify(k).slice(0, 40)}`);
  }
  if ([out.can, out.mrz, out.qr].filter((x) => x !== undefined).length > 1) throw badRequest('give at most one of can, mrz, qr');
  return out;
}

class Buckets {
  private readonly b = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly burst: number,
    private readonly perMinute: number,
    private readonly now: () => number,
  ) {}
  /** Seconds to wait, or 0 when the call may go. */
  take(client: string): number {
    const t = this.now();
    const s = this.b.get(client) ?? { tokens: this.burst, at: t };
    s.tokens = Math.min(this.burst, s.tokens + ((t - s.at) * this.perMinute) / 60_000);
    s.at = t;
    this.b.set(client, s);
    if (s.tokens >= 1) {
      s.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - s.tokens) * 60) / this.perMinute));
  }
}

function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(err('TOO_LARGE', 'Yêu cầu quá lớn.', 'Request body too large.'));
        req.destroy();
      } else parts.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(badRequest('the body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

export async function startService(host: ServiceHost, o: ServiceOptions): Promise<RunningService> {
  const bind = o.host ?? LOOPBACK;
  if (bind !== LOOPBACK && !o.tls) {
    throw err(
      'API_NEEDS_TLS',
      `Dịch vụ chỉ nghe trên ${bind} khi có chứng chỉ TLS (--api-cert, --api-key); không có thì chỉ nghe trên 127.0.0.1.`,
      `The service listens on ${bind} only with a TLS certificate (--api-cert, --api-key); without one it listens on 127.0.0.1 only.`,
    );
  }
  const now = o.now ?? Date.now;
  const buckets = new Buckets(o.rateLimit?.burst ?? 30, o.rateLimit?.perMinute ?? 120, now);
  const log = o.log ?? (() => undefined);
  const audit = (line: AuditLine): void => {
    try {
      o.audit?.(line);
    } catch (e) {
      // A full store must not turn every call into an error; the log says the audit line was lost.
      log(`service: audit line not stored (${errorData(e).code})`);
    }
  };
  let allowedHosts = new Set<string>();
  const streams = new Set<ServerResponse>();

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void serve(req, res);
  };
  const server: Server = o.tls ? createHttps({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttp(handler);

  function cors(res: ServerResponse, origin: string | undefined): void {
    if (!origin) return;
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Location, Retry-After');
  }

  function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
    res.end(text);
  }

  function sendError(res: ServerResponse, e: unknown, headers: Record<string, string> = {}): number {
    const data = errorData(e);
    const status = STATUS[data.code as ErrorCode] ?? (data.code === 'INTERNAL' ? 500 : 422);
    if (data.code === 'INTERNAL') log(`service: unexpected error (${(e as Error)?.message ?? String(e)})`);
    sendJson(res, status, { error: data }, headers);
    return status;
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://service');
    const method = req.method ?? 'GET';
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    // A page on another name that resolves here (DNS rebinding) must not reach the API. With
    // TLS the certificate already pins the name, and the machine's names are not known here.
    if (!o.tls && !allowedHosts.has(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('wrong host');
      return;
    }
    if (method === 'OPTIONS') return preflight(req, res, origin);
    const route = routeOf(method, url.pathname);
    let client: PairedClient | undefined;
    const line = (status: number, code?: string): void => audit({ client: client?.name ?? null, at: now(), what: route ? `${method} ${route.template}` : `${method} (unknown)`, status, ...(code ? { code } : {}) });
    try {
      const auth = req.headers.authorization;
      client = auth?.startsWith('Bearer ') ? o.clients.authenticate(auth.slice(7).trim()) : undefined;
      if (!client) throw unauthorized();
      // A browser always says where the page came from; a program on the machine sends no Origin.
      if (origin !== undefined) {
        if (!client.origins.includes(origin)) throw originRefused(origin);
        cors(res, origin);
      }
      const wait = buckets.take(client.name);
      if (wait > 0) {
        const status = sendError(res, err('API_RATE_LIMITED', `Quá nhiều yêu cầu: thử lại sau ${wait} giây.`, `Too many requests: retry in ${wait} s.`), { 'Retry-After': String(wait) });
        return line(status, 'API_RATE_LIMITED');
      }
      if (!route) throw notFound();
      const status = await route.run(client.name, req, res, url);
      line(status);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return line(500, errorData(e).code);
      }
      // The origin check failed: no CORS header, so the page learns nothing either way.
      const status = sendError(res, e);
      line(status, errorData(e).code);
    }
  }

  function preflight(req: IncomingMessage, res: ServerResponse, origin: string | undefined): void {
    // A preflight carries no token: it may pass only for an origin some active client was paired with.
    if (!origin || !o.clients.originPaired(origin)) {
      audit({ client: null, at: now(), what: 'OPTIONS (preflight)', status: 403, code: 'API_ORIGIN_REFUSED' });
      res.writeHead(403, { 'Content-Length': 0 }).end();
      return;
    }
    const headers: Record<string, string> = {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Methods': 'GET, POST, DELETE',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type',
      'Access-Control-Max-Age': '600',
      Vary: 'Origin',
      'Content-Length': '0',
    };
    // Chromium's Private Network Access: a public page calling a local service asks first.
    if (req.headers['access-control-request-private-network'] === 'true') headers['Access-Control-Allow-Private-Network'] = 'true';
    res.writeHead(204, headers).end();
  }

  type Run = (client: string, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<number>;

  function routeOf(method: string, path: string): { template: string; run: Run } | undefined {
    if (method === 'GET' && path === '/v1/status')
      return {
        template: '/v1/status',
        run: async (_c, _q, res) => (sendJson(res, 200, await host.status()), 200),
      };
    if (method === 'GET' && path === '/v1/device') return { template: '/v1/device', run: async (_c, _q, res) => (sendJson(res, 200, host.device()), 200) };
    if (method === 'POST' && path === '/v1/reads')
      return {
        template: '/v1/reads',
        run: async (client, req, res) => {
          const read = host.startRead(client, parseReadRequest(await readJsonBody(req)));
          sendJson(res, 202, read, { Location: `/v1/reads/${read.id}` });
          return 202;
        },
      };
    if (method === 'GET' && path === '/v1/events') return { template: '/v1/events', run: events };
    const m = /^\/v1\/reads\/([A-Za-z0-9_-]{1,40})$/.exec(path);
    if (m && method === 'GET') return { template: '/v1/reads/:id', run: (client, _q, res, url) => getRead(client, m[1]!, res, url) };
    if (m && method === 'DELETE') return { template: '/v1/reads/:id', run: async (client, _q, res) => (sendJson(res, 200, host.cancelRead(client, m[1]!)), 200) };
    return undefined;
  }

  async function getRead(client: string, id: string, res: ServerResponse, url: URL): Promise<number> {
    const format = (url.searchParams.get('format') ?? 'json') as ServiceFormat;
    if (!['json', 'fhir', 'pdf'].includes(format)) throw badRequest('format is json, fhir or pdf');
    const waitText = url.searchParams.get('wait');
    const wait = waitText === null ? 0 : Number(waitText);
    if (!Number.isFinite(wait) || wait < 0 || wait > MAX_WAIT_S) throw badRequest(`wait is 0 to ${MAX_WAIT_S} seconds`);
    const read = wait > 0 ? await host.waitRead(client, id, wait * 1000) : host.read(client, id);
    if (format === 'json') {
      sendJson(res, 200, read);
      return 200;
    }
    const out = await host.format(client, id, format);
    const body = typeof out.body === 'string' ? Buffer.from(out.body, 'utf8') : Buffer.from(out.body);
    res.writeHead(200, { 'Content-Type': out.contentType, 'Content-Length': body.length, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    res.end(body);
    return 200;
  }

  async function events(client: string, req: IncomingMessage, res: ServerResponse): Promise<number> {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send('status', await host.status());
    const off = host.subscribe(client, (e) => send(e.event, e.data));
    // A comment every 15 s keeps proxies and the browser from closing an idle stream.
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    streams.add(res);
    const end = (): void => {
      off();
      clearInterval(beat);
      streams.delete(res);
    };
    req.on('close', end);
    res.on('close', end);
    return 200;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? err('PORT_IN_USE', `Cổng ${o.port} đang được dùng: chọn cổng khác (--api-port).`, `Port ${o.port} is in use: choose another (--api-port).`) : e),
    );
    server.listen(o.port, bind, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const names = bind === LOOPBACK ? [LOOPBACK, 'localhost'] : [bind, bind.includes(':') ? `[${bind}]` : bind];
  allowedHosts = new Set(names.map((n) => `${n}:${port}`));
  const scheme = o.tls ? 'https' : 'http';
  return {
    url: `${scheme}://${bind.includes(':') ? `[${bind}]` : bind}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.end();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
