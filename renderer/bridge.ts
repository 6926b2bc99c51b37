// The renderer's one way to main: `window.idkiosk` when the Electron preload put it there,
// else a WebSocket to the headless host that served this page. Both give the same Bridge,
// so nothing above this file knows which carries it.
import type { ApiError, ApiEvent, Bridge, Method, Params, Reply, Result, ServerFrame } from '../main/api/contract.js';

declare global {
  interface Window {
    idkiosk?: Bridge;
  }
}

export class ApiFailure extends Error {
  constructor(readonly error: ApiError) {
    super(error.messages.en);
  }
}

export interface Api {
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>;
  onEvent(listener: (e: ApiEvent) => void): () => void;
  /** Connection changes (WebSocket only; IPC is always up). */
  onLink(listener: (up: boolean) => void): void;
}

const lost: ApiError = {
  code: 'DISCONNECTED',
  messages: { vi: 'Mất kết nối với phần mềm chính: hãy thử lại.', en: 'Lost the connection to the main program: try again.' },
};

/** A Bridge over the host's WebSocket, reconnecting with a growing pause. */
function webSocketBridge(url: string, onLink: (up: boolean) => void): Bridge {
  const listeners = new Set<(e: ApiEvent) => void>();
  const pending = new Map<number, (r: Reply) => void>();
  let ws: WebSocket | undefined;
  let open: Promise<WebSocket> | undefined;
  let nextId = 1;
  let delay = 250;

  function connect(): Promise<WebSocket> {
    open ??= new Promise<WebSocket>((resolve, reject) => {
      const s = new WebSocket(url);
      s.onopen = () => {
        ws = s;
        delay = 250;
        onLink(true);
        resolve(s);
      };
      s.onmessage = (m) => {
        const f = JSON.parse(String(m.data)) as ServerFrame;
        if (f.t === 'res') {
          pending.get(f.id)?.(f.ok ? { ok: true, result: f.result } : { ok: false, error: f.error });
          pending.delete(f.id);
        } else if (f.t === 'evt') {
          const { t: _t, ...e } = f;
          for (const l of listeners) l(e as ApiEvent);
        }
      };
      s.onclose = () => {
        const wasOpen = ws === s;
        ws = undefined;
        open = undefined;
        for (const [, done] of pending) done({ ok: false, error: lost });
        pending.clear();
        onLink(false);
        if (!wasOpen) reject(new ApiFailure(lost));
        setTimeout(() => void connect().catch(() => undefined), delay);
        delay = Math.min(delay * 2, 5000);
      };
    });
    return open;
  }
  void connect().catch(() => undefined);

  return {
    async request(method, params) {
      let s: WebSocket;
      try {
        s = ws ?? (await connect());
      } catch {
        return { ok: false, error: lost };
      }
      const id = nextId++;
      return new Promise<Reply>((resolve) => {
        pending.set(id, resolve);
        s.send(JSON.stringify({ t: 'req', id, method, params }));
      });
    },
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
}

export function connectApi(): Api {
  const linkListeners = new Set<(up: boolean) => void>();
  const onLink = (up: boolean) => linkListeners.forEach((l) => l(up));
  let bridge = window.idkiosk;
  if (!bridge) {
    const token = new URLSearchParams(location.hash.slice(1)).get('t') ?? '';
    bridge = webSocketBridge(`ws://${location.host}/api?t=${encodeURIComponent(token)}`, onLink);
  }
  const b = bridge;
  return {
    async call(method, params) {
      const r = await b.request(method, params);
      if (!r.ok) throw new ApiFailure(r.error);
      return r.result as Result<typeof method>;
    },
    onEvent: (l) => b.onEvent(l),
    onLink: (l) => void linkListeners.add(l),
  };
}
