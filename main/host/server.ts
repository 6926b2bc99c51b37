// The headless host: the renderer and the WebSocket API over node:http, on 127.0.0.1
// only. A kiosk PC without the Electron binary opens the printed URL in its browser.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdkError } from '../../core/errors.js';
import type { ApiHost } from '../api/dispatch.js';
import { WS_PATH, attachWebSocketApi } from '../api/ws-server.js';
import { type AssetRoots, contentSecurityPolicy, defaultRoots, resolveAsset, securityHeaders } from './assets.js';

interface HostOptions {
  /** 0: any free port. */
  port?: number;
  roots?: AssetRoots;
  /** Fixed token (tests); default: 24 random bytes. */
  token?: string;
}

export interface Host {
  /** Open this in a browser; the token rides in the fragment, never sent in a request. */
  url: string;
  origin: string;
  port: number;
  token: string;
  clients(): number;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

export async function startHost(api: ApiHost, o: HostOptions = {}): Promise<Host> {
  const roots = o.roots ?? defaultRoots();
  const token = o.token ?? randomBytes(24).toString('base64url');
  let origin = '';
  let headers: Record<string, string> = {};

  const server = createServer((req, res) => void serve(req, res));
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A page on another name that resolves to 127.0.0.1 (DNS rebinding) gets nothing.
    if (req.headers.host !== new URL(origin).host) return end(res, 421, 'wrong host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405, 'method not allowed');
    const asset = resolveAsset(new URL(req.url ?? '/', origin).pathname, roots);
    if (!asset) return end(res, 404, 'not found');
    let body: Buffer;
    try {
      body = await readFile(asset.file);
    } catch {
      return end(res, 404, 'not found');
    }
    res.writeHead(200, { ...headers, 'Content-Type': asset.type, 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
  function end(res: ServerResponse, code: number, text: string): void {
    res.writeHead(code, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new IdkError('PORT_IN_USE', { vi: `Cổng ${o.port} đang được dùng: chọn cổng khác (--port).`, en: `Port ${o.port} is in use: choose another (--port).` })
          : e,
      ),
    );
    server.listen(o.port ?? 0, LOOPBACK, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${LOOPBACK}:${port}`;
  headers = securityHeaders(contentSecurityPolicy([`ws://${LOOPBACK}:${port}${WS_PATH}`]));
  const ws = attachWebSocketApi(server, api, { token, origin });
  return {
    url: `${origin}/#t=${token}`,
    origin,
    port,
    token,
    clients: ws.clients,
    close: () =>
      new Promise<void>((resolve) => {
        ws.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
