// The Electron IPC transport: the same dispatch as the WebSocket, reached through the
// preload's two functions. Typed structurally so this module runs (and is tested) under
// plain Node; the shell passes Electron's real ipcMain and webContents.
import type { ApiEvent, Reply } from './contract.js';
import { type ApiHost, dispatch } from './dispatch.js';

/** Channel names; main/electron/preload.cts repeats them (a sandboxed preload imports nothing of ours). */
export const IPC_REQUEST = 'idkiosk:request';
export const IPC_EVENT = 'idkiosk:event';

export interface IpcMainLike {
  handle(channel: string, listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

const forbidden: Reply = {
  ok: false,
  error: {
    code: 'FORBIDDEN',
    messages: { vi: 'Yêu cầu từ một trang không thuộc ứng dụng đã bị chặn.', en: 'A request from a page outside the app was blocked.' },
  },
};

export function attachIpcApi(ipcMain: IpcMainLike, host: ApiHost, isAppUrl: (url: string) => boolean): { target(wc: WebContentsLike): () => void; close(): void } {
  ipcMain.handle(IPC_REQUEST, async (event, method, params) => {
    // Only our own page may call: a navigation that slipped through must not inherit the API.
    if (!event.senderFrame || !isAppUrl(event.senderFrame.url)) return forbidden;
    return dispatch(host, method, params);
  });
  const unsubs = new Set<() => void>();
  return {
    target(wc) {
      const unsub = host.subscribe((e: ApiEvent) => {
        if (!wc.isDestroyed()) wc.send(IPC_EVENT, e);
      });
      unsubs.add(unsub);
      return () => {
        unsub();
        unsubs.delete(unsub);
      };
    },
    close() {
      ipcMain.removeHandler(IPC_REQUEST);
      for (const u of unsubs) u();
    },
  };
}
