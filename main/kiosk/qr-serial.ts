// The kiosk's QR scanner on a serial port (`--qr-serial PATH`): each framed code goes to
// Kiosk.handleQrText(…, 'serial'), and a garbled one is shown to the clerk like a bad QR.
// The port may be missing at start or unplugged later: the status screen says so, the kiosk
// keeps working (keys can still be typed or scanned otherwise), and the port is tried again
// every few seconds until the scanner is back. Logs name the port and error codes, never a code's text.
import { isIdkError } from '../../core/errors.js';
import { type ScanResult, type SerialScanner, openSerialScanner } from '../../drivers/qr/serial-scanner.js';
import type { QrDevice, QrSink } from './parts.js';

interface SerialQrOptions {
  path: string;
  baudRate?: number;
  /** How often a missing or lost port is tried again (ms). */
  retryMs?: number;
  log?: (line: string) => void;
}

interface SerialQrScanner extends QrDevice {
  close(): Promise<void>;
}

export function serialQrScanner(kiosk: QrSink, o: SerialQrOptions): SerialQrScanner {
  const log = o.log ?? ((l: string) => process.stderr.write(`idkiosk: ${l}\n`));
  let scanner: SerialScanner | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  /** Said once per outage, not on every retry. */
  let reported = false;

  const onScan = (r: ScanResult): void => {
    if (!r.ok) {
      if (r.error.code === 'SCANNER_UNAVAILABLE') log(`QR scanner on ${o.path}: ${r.error.code}`);
      else kiosk.rejectQr(r.error);
      return;
    }
    try {
      kiosk.handleQrText(r.text, 'serial');
    } catch (e) {
      // Already on the clerk's screen (a bad QR) or harmless (a read in progress).
      log(`QR scan not used: ${isIdkError(e) ? e.code : 'INTERNAL'}`);
    }
  };
  const retry = (): void => {
    if (!closed) timer = setTimeout(() => void open(), o.retryMs ?? 2000);
  };
  const open = async (): Promise<void> => {
    try {
      const s = await openSerialScanner(
        {
          path: o.path,
          baudRate: o.baudRate,
          onLost: () => {
            scanner = undefined;
            log(`QR scanner on ${o.path} lost; retrying`);
            retry();
          },
        },
        onScan,
      );
      if (closed) return void (await s.close());
      scanner = s;
      if (reported) log(`QR scanner on ${o.path} is back`);
      reported = false;
    } catch (e) {
      if (!reported) log(`QR scanner on ${o.path} not available (${isIdkError(e) ? e.code : 'INTERNAL'}); retrying`);
      reported = true;
      retry();
    }
  };
  void open();
  return {
    name: o.path,
    state: () => (scanner ? 'ok' : 'absent'),
    async close() {
      closed = true;
      clearTimeout(timer);
      const s = scanner;
      scanner = undefined;
      await s?.close();
    },
  };
}
