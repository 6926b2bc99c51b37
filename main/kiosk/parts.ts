// The kiosk's part interfaces: what the composition root (kiosk.ts) expects of the parts it
// plugs in, so each part can be written and tested without importing the kiosk itself.
import type { ApiError, HistoryView, QrSource, StatusView } from '../api/contract.js';

/** Queue depth, last sync and link quality, from the store (offline-cache) once it is plugged in. */
export interface StoreStatus {
  status(): Promise<Extract<StatusView['store'], { available: true }>>;
  /** Today's verifications, masked (history.ts). */
  history?(o: { last?: string }): HistoryView;
  /** Forward to another ingest server from now on (the settings screen); resolves with the server in effect. */
  setSyncServer?(url: string, token: string | undefined): Promise<string>;
}

/** Whether the store can take the next record (store-probe.ts): a problem for the screen and a technical line for the log. */
export interface StoreProbe {
  readonly dir: string;
  check(): { problem: ApiError; why: string } | undefined;
}

/** What the status screen shows of a QR scanner. */
export interface QrDevice {
  readonly name: string;
  state(): 'ok' | 'absent';
}

/** Where a hardware QR scanner delivers: a code's text, or why a scan was not usable. */
export interface QrSink {
  /** Throws the QR_* error when the text is not a usable CCCD QR (already shown to the clerk). */
  handleQrText(text: string, source: QrSource): void;
  /** A garbled scan: shown where keys are asked for, never the text. */
  rejectQr(error: unknown): void;
}
