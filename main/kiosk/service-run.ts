// Running the local identity service for a kiosk: now (`start --api-port N`), or as the
// operator's Settings say (port or off), restarted when they change; stopped with the kiosk,
// before the store its audit lines go to.
import { IdkError, errorData } from '../../core/errors.js';
import { ClientRegistry } from '../api/clients.js';
import { type RunningService, type ServiceOptions, startService } from '../api/service.js';
import { deviceSigningKey } from '../formats/receipt.js';
import type { Kiosk } from './kiosk.js';
import { KioskService, type KioskServiceOptions } from './service.js';

export interface StartServiceOptions extends Omit<ServiceOptions, 'clients' | 'audit'>, KioskServiceOptions {}

/** The service for a kiosk built by kioskFor (which plugs in the device key, the audit store and the data folder). `close` stops both halves. */
async function openKioskService(kiosk: Kiosk, o: StartServiceOptions): Promise<RunningService & { service: KioskService }> {
  const plug = kiosk.servicePlug;
  if (!plug) {
    throw new IdkError('SYNC_NOT_AVAILABLE', {
      vi: 'Ki-ốt này không có kho lưu trữ cục bộ (khóa thiết bị) nên không mở được dịch vụ cho phần mềm khác.',
      en: 'This kiosk has no local store (device key), so it cannot offer the service to other programs.',
    });
  }
  const service = new KioskService(kiosk, await deviceSigningKey(plug.keys), o);
  let running: RunningService;
  try {
    running = await startService(service, { ...o, clients: new ClientRegistry(plug.dataDir), audit: plug.audit });
  } catch (e) {
    service.close();
    throw e;
  }
  return {
    ...running,
    service,
    close: async () => {
      await running.close();
      service.close();
    },
  };
}

/** Starts the local identity service now (`start --api-port N`); it stops with the kiosk, before the store. */
export async function startKioskService(kiosk: Kiosk, o: StartServiceOptions): Promise<RunningService & { service: KioskService }> {
  const s = await openKioskService(kiosk, o);
  kiosk.onClose(s.close, true);
  return s;
}

/**
 * The service as the operator set it behind the PIN (settings `apiPort`; null: off): started
 * with the kiosk when set, moved or stopped when the setting changes, stopped with the kiosk.
 * `--api-port` on the command line uses startKioskService instead and ignores the setting.
 */
export function followServiceSettings(kiosk: Kiosk, o: Omit<StartServiceOptions, 'port'> & { log: (line: string) => void }): { current(): RunningService | undefined; settled(): Promise<void> } {
  let current: (RunningService & { service: KioskService }) | undefined;
  let port: number | null = null;
  let chain = Promise.resolve();
  const apply = (want: number | null): void => {
    if (want === port) return;
    port = want;
    chain = chain.then(async () => {
      await current?.close();
      current = undefined;
      if (want === null) return o.log('service: off (settings)');
      try {
        current = await openKioskService(kiosk, { ...o, port: want });
        o.log(`service: ${current.url}/v1 (settings)`);
      } catch (e) {
        // A port taken by another program must not stop the kiosk: the log says why, Settings can pick another.
        o.log(`service: not started on port ${want}: ${errorData(e).messages.en}`);
      }
    });
  };
  apply(kiosk.currentSettings.apiPort ?? null);
  const off = kiosk.subscribe((e) => {
    if (e.event === 'settings') apply(e.data.apiPort ?? null);
  });
  kiosk.onClose(async () => {
    off();
    await chain;
    await current?.close();
  }, true);
  return { current: () => current, settled: () => chain };
}
