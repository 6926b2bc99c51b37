// The WebSocket transport of the headless host. Only a page that this host served can
// drive it: the upgrade must name this host (no DNS rebinding), come from its origin
// (no other local web page), and carry the random token printed with the URL.
import { errorData } from '../../core/errors.js';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ServerFrame } from './contract.js';
import { type ApiHost, dispatch } from './dispatch.js';
import { parseClientFrame } from './validate.js';

interface WsApiOptions {
  token: string;
  /** The origin of the pages this host serves, e.g. http://127.0.0.1:8080 */
  origin: string;
  path?: string;
}

export const WS_PATH = '/api';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Why an upgrade is refused, or undefined when it may proceed. */
function refuseUpgrade(req: IncomingMessage, o: WsApiOptions): string | undefined {
  const url = new URL(req.url ?? '/', o.origin);
  if (url.pathname !== (o.path ?? WS_PATH)) return 'path';
  if (req.headers.host !== new URL(o.origin).host) return 'host';
  if (req.headers.origin !== o.origin) return 'origin';
  if (!sameSecret(url.searchParams.get('t') ?? '', o.token)) return 'token';
  return undefined;
}

export function attachWebSocketApi(server: Server, host: ApiHost, o: WsApiOptions): { close(): void; clients(): number } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 512 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const why = refuseUpgrade(req, o);
    if (why) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws));
  };
  server.on('upgrade', onUpgrade);

  function serve(ws: WebSocket): void {
    const send = (f: ServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(f));
    };
    const unsubscribe = host.subscribe((e) => send({ t: 'evt', ...e }));
    ws.on('close', unsubscribe);
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        ws.close(1003, 'text frames only');
        return;
      }
      let frame;
      try {
        frame = parseClientFrame(data.toString());
      } catch (e) {
        // No id to answer to: say why and hang up, the page is not speaking the contract.
        ws.close(1008, errorData(e).messages.en.slice(0, 120));
        return;
      }
      void dispatch(host, frame.method, frame.params).then((reply) => send({ t: 'res', id: frame.id, ...reply }));
    });
  }

  return {
    close() {
      server.off('upgrade', onUpgrade);
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
    clients: () => wss.clients.size,
  };
}
