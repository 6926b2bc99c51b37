// Transport-independent half of the API: validate, call the handler, turn every outcome
// into a Reply value. Both transports (WebSocket, Electron IPC) call `dispatch` and
// forward `subscribe` events; neither knows what the methods do.
import { errorData } from '../../core/errors.js';
import type { ApiEvent, Method, Params, Reply, Result } from './contract.js';
import { badRequest, isMethod, validateParams } from './validate.js';

export type Handlers = { [M in Method]: (params: Params<M>) => Promise<Result<M>> };

export interface ApiHost {
  readonly handlers: Handlers;
  subscribe(listener: (e: ApiEvent) => void): () => void;
  /** Stops what the host opened (reader, store, sync client); the Electron shell awaits it on quit. */
  close?(): void | Promise<void>;
}

export async function dispatch(host: ApiHost, method: unknown, params: unknown): Promise<Reply> {
  try {
    if (!isMethod(method)) throw badRequest('method', `unknown method ${JSON.stringify(method)}`);
    const checked = validateParams(method, params);
    const handler = host.handlers[method] as (p: typeof checked) => Promise<unknown>;
    return { ok: true, result: await handler(checked) };
  } catch (e) {
    return { ok: false, error: errorData(e) };
  }
}
