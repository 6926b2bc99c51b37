// The preload of the sandboxed page: it may require nothing but electron, so it stands
// alone (CommonJS, no imports of ours) and hands the page exactly the Bridge of
// main/api/contract.ts, two functions, and nothing of Electron or Node.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiEvent, Bridge, Method, Reply } from '../api/contract.js';

// Same names as main/api/ipc.ts (checked by test/unit/electron-shell.test.ts).
const IPC_REQUEST = 'idkiosk:request';
const IPC_EVENT = 'idkiosk:event';

const bridge: Bridge = {
  request: (method: Method, params: unknown) => ipcRenderer.invoke(IPC_REQUEST, method, params) as Promise<Reply>,
  onEvent(listener: (e: ApiEvent) => void) {
    // Only the event itself crosses into the page, never Electron's event object.
    const wrapped = (_event: IpcRendererEvent, e: ApiEvent) => listener(e);
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('idkiosk', bridge);
