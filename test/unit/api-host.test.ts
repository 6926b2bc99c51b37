// The headless host over real sockets: only a page it served (right Host, right Origin,
// right token) may open the API; every response carries the strict headers; paths outside
// the renderer are not served; bad frames get a clear error, not a crash.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Reply, ServerFrame } from '../../main/api/contract.js';
import { type Host, startHost } from '../../main/host/server.js';
import { type Kiosk, demoKiosk } from '../../main/kiosk/kiosk.js';
import { demoCard } from '../../main/paths.js';
import type { EmulatedReader } from '../../main/verify/emulated-reader.js';

let host: Host;
let kiosk: Kiosk;
let reader: EmulatedReader;

beforeAll(async () => {
  ({ kiosk, reader } = await demoKiosk({ card: demoCard('cccd'), latency: null }));
  host = await startHost(kiosk);
});
afterAll(async () => {
  await host.close();
  kiosk.close();
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, headers: { host: `127.0.0.1:${host.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function open(opts: { token?: string; origin?: string; host?: string } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api?t=${opts.token ?? host.token}`, {
      origin: opts.origin ?? host.origin,
      headers: opts.host ? { host: opts.host } : {},
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, id: number, method: string, params: unknown): Promise<Reply> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const f = JSON.parse(data.toString()) as ServerFrame;
      if (f.t === 'res' && f.id === id) {
        ws.off('message', onMessage);
        resolve(f.ok ? { ok: true, result: f.result } : { ok: false, error: f.error });
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ t: 'req', id, method, params }));
  });
}

describe('headless host', () => {
  it('listens on 127.0.0.1 only and prints a URL whose token rides in the fragment', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#t=[A-Za-z0-9_-]{32}$/);
    expect(host.url.endsWith(host.token)).toBe(true);
  });

  it('serves the page with a strict CSP and security headers', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src ws://127.0.0.1:${host.port}/api`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.body).toContain('js/main.js');
    expect((await get('/style.css')).headers['content-type']).toMatch(/^text\/css/);
  });

  it('serves nothing outside the renderer and nothing under another host name', async () => {
    for (const p of ['/../package.json', '/js/../../package.json', '/%2e%2e/package.json', '/package.json', '/js/x.ts', '/img/a.png', '/main/kiosk.ts']) {
      expect((await get(p)).status, p).toBe(404);
    }
    expect((await get('/', { host: 'evil.example:80' })).status).toBe(421);
  });

  it('refuses the API to a wrong token, another origin, or another host name', async () => {
    await expect(open({ token: 'x'.repeat(32) })).rejects.toThrow('HTTP 403');
    await expect(open({ token: '' })).rejects.toThrow('HTTP 403');
    await expect(open({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(open({ origin: `http://localhost:${host.port}` })).rejects.toThrow('HTTP 403');
    await expect(open({ host: `evil.example:${host.port}` })).rejects.toThrow('HTTP 403');
  });

  it('carries requests, replies, errors and events', async () => {
    const ws = await open();
    const hello = await call(ws, 1, 'hello', {});
    expect(hello).toMatchObject({ ok: true, result: { state: { mode: 'demo', phase: 'idle' }, settings: { lang: 'vi' } } });
    expect(await call(ws, 2, 'nope', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const bad = await call(ws, 3, 'accessKey', { kind: 'can', can: '12345' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', messages: { vi: expect.stringContaining('params.can'), en: expect.stringContaining('params.can') } } });
    expect(await call(ws, 4, 'unlockSettings', { pin: '000000' })).toMatchObject({ ok: false, error: { code: 'WRONG_PIN' } });
    const events: string[] = [];
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as ServerFrame;
      if (f.t === 'evt' && f.event === 'state') events.push(f.data.phase);
    });
    reader.setPresent(true);
    await call(ws, 5, 'accessKey', { kind: 'can', can: '012345' });
    await expect.poll(() => events.at(-1)).toBe('result');
    expect(events).toContain('reading');
    ws.close();
  });

  it('hangs up on a frame that is not the contract, and keeps serving others', async () => {
    const ws = await open();
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send('{not json');
    expect(await closed).toBe(1008);
    const again = await open();
    expect((await call(again, 1, 'status', {})).ok).toBe(true);
    again.close();
  });
});
