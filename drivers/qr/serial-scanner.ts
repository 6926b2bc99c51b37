// USB-serial (CDC-ACM) barcode scanners: the scanner sends each code as bytes followed by a
// suffix (CR, LF or CR LF by factory default; any byte string when configured), sometimes
// after a prefix. The framer is pure; the adapter at the bottom reads a port with serialport.
import { IdkError } from '../../core/errors.js';
import { qrBytesToText } from './cccd-qr.js';

interface FramingOptions {
  /** 'line': CR, LF or CR LF ends a code (the factory default of most scanners); else these exact bytes. */
  suffix?: 'line' | Uint8Array;
  /** Bytes every code starts with (configured on the scanner), stripped; a code without them is an error. */
  prefix?: Uint8Array;
  /** Longest code accepted, in bytes, before the rest is dropped up to the next suffix. */
  maxLength?: number;
}

export type ScanResult = { ok: true; text: string } | { ok: false; error: IdkError };

function incomplete(): IdkError {
  return new IdkError('SCAN_INCOMPLETE', {
    vi: 'Máy quét gửi dữ liệu không trọn vẹn: hãy quét lại mã.',
    en: 'The scanner sent an incomplete code: scan it again.',
  });
}

function overlong(max: number): IdkError {
  return new IdkError(
    'QR_TOO_LONG',
    { vi: `Mã quét được dài quá ${max} byte: không phải mã QR của thẻ.`, en: `The scanned code is longer than ${max} bytes: not a card's QR code.` },
    { detail: { max } },
  );
}

function noPrefix(): IdkError {
  return new IdkError('SCAN_FRAMING', {
    vi: 'Dữ liệu từ máy quét thiếu tiền tố đã cấu hình: kiểm tra cài đặt máy quét.',
    en: 'The scanner data lacks the configured prefix: check the scanner settings.',
  });
}

export class ScanFramer {
  private buf: number[] = [];
  private dropping = false;
  private readonly suffix: 'line' | Uint8Array;
  private readonly prefix: Uint8Array | undefined;
  private readonly maxLength: number;

  constructor(opts: FramingOptions = {}) {
    this.suffix = opts.suffix ?? 'line';
    this.prefix = opts.prefix;
    this.maxLength = opts.maxLength ?? 4096;
    if (this.suffix !== 'line' && this.suffix.length === 0) throw new RangeError('empty suffix');
  }

  /** Bytes as they arrive (any chunking); returns the codes they complete. */
  push(chunk: Uint8Array): ScanResult[] {
    const out: ScanResult[] = [];
    for (const b of chunk) {
      if (this.suffix === 'line') {
        if (b === 0x0d || b === 0x0a) {
          // CR LF is one ending: the LF after a CR finds an empty buffer and is ignored.
          if (this.buf.length > 0 || this.dropping) out.push(this.complete());
          continue;
        }
        this.add(b);
      } else {
        this.add(b);
        const s = this.suffix;
        const n = this.buf.length;
        if (n >= s.length && s.every((x, i) => this.buf[n - s.length + i] === x)) {
          this.buf.length = n - s.length;
          out.push(this.complete());
        }
      }
    }
    return out;
  }

  /** Bytes waiting without their suffix (the caller's timeout decides they will not come). */
  pending(): number {
    return this.buf.length;
  }

  /** Drop a partial code after a timeout: the scanner was unplugged or the link garbled. */
  expire(): ScanResult | null {
    if (this.buf.length === 0 && !this.dropping) return null;
    this.buf = [];
    this.dropping = false;
    return { ok: false, error: incomplete() };
  }

  private add(b: number): void {
    if (this.dropping) return;
    const limit = this.maxLength + (this.suffix === 'line' ? 0 : this.suffix.length) + (this.prefix?.length ?? 0);
    if (this.buf.length >= limit) {
      this.dropping = true;
      this.buf = [];
      return;
    }
    this.buf.push(b);
  }

  private complete(): ScanResult {
    const bytes = Uint8Array.from(this.buf);
    const dropped = this.dropping;
    this.buf = [];
    this.dropping = false;
    if (dropped) return { ok: false, error: overlong(this.maxLength) };
    let body = bytes;
    if (this.prefix) {
      const p = this.prefix;
      if (bytes.length < p.length || !p.every((x, i) => bytes[i] === x)) return { ok: false, error: noPrefix() };
      body = bytes.subarray(p.length);
    }
    try {
      return { ok: true, text: qrBytesToText(body) };
    } catch (e) {
      if (e instanceof IdkError) return { ok: false, error: e };
      throw e;
    }
  }
}

interface SerialScannerOptions extends FramingOptions {
  path: string;
  baudRate?: number;
  /** A partial code older than this is dropped as incomplete (ms). */
  timeoutMs?: number;
  /** The port went away without close() (scanner unplugged, pty peer gone): the caller may reopen later. */
  onLost?: (e: IdkError) => void;
}

export interface SerialScanner {
  close(): Promise<void>;
}

function portError(path: string, cause: unknown): IdkError {
  return new IdkError(
    'SCANNER_UNAVAILABLE',
    {
      vi: `Không mở được máy quét ở cổng ${path}: kiểm tra cáp và quyền truy cập cổng (nhóm dialout).`,
      en: `Cannot open the scanner on ${path}: check the cable and the port permissions (dialout group).`,
    },
    { cause },
  );
}

function lost(path: string, cause: unknown): IdkError {
  return new IdkError(
    'SCANNER_LOST',
    {
      vi: `Mất kết nối với máy quét ở cổng ${path} (đã rút cáp?): cắm lại máy quét; trong lúc chờ hãy nhập CAN.`,
      en: `Lost the scanner on ${path} (unplugged?): plug it back in; meanwhile enter the CAN.`,
    },
    { cause },
  );
}

/** Opens a serial scanner; each framed code (or framing error) goes to `onScan`. */
export async function openSerialScanner(opts: SerialScannerOptions, onScan: (r: ScanResult) => void): Promise<SerialScanner> {
  const { SerialPort } = await import('serialport');
  const framer = new ScanFramer(opts);
  const timeoutMs = opts.timeoutMs ?? 300;
  const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate ?? 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(portError(opts.path, e)) : resolve())));
  let timer: NodeJS.Timeout | undefined;
  port.on('data', (chunk: Buffer) => {
    for (const r of framer.push(chunk)) onScan(r);
    clearTimeout(timer);
    if (framer.pending() > 0) {
      timer = setTimeout(() => {
        const r = framer.expire();
        if (r) onScan(r);
      }, timeoutMs);
    }
  });
  port.on('error', (e) => onScan({ ok: false, error: portError(opts.path, e) }));
  let closing = false;
  port.on('close', (e: unknown) => {
    clearTimeout(timer);
    if (!closing) opts.onLost?.(lost(opts.path, e));
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        clearTimeout(timer);
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
