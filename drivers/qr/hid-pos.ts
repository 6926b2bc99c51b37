// HID-POS barcode scanners (USB HID Point of Sale Usage Tables 1.02, usage page 0x8C "Bar
// Code Scanner"): codes arrive as Scanned Data input reports, not keystrokes, so they never
// land in a form field. The report parser is pure; enumeration and reading use node-hid.
//
// Report layout (the Scanned Data Report as Honeywell and Zebra scanners send it in HID-POS
// mode, 64 bytes): [0] report ID 0x02, [1] number of data bytes in this report, [2..4] AIM
// symbology identifier (e.g. "]Q1" QR), [5..60] data (56 bytes), [63] bit 0 "Decoded Data
// Continued": more reports follow for this code. Layout per vendor manuals; see docs/qr.md.
import { IdkError } from '../../core/errors.js';
import { qrBytesToText } from './cccd-qr.js';

export const HID_POS_USAGE_PAGE = 0x8c;
const SCANNED_DATA_REPORT_ID = 0x02;
const DATA_OFFSET = 5;
const DATA_MAX = 56;
const CONTINUED_BYTE = 63;

interface HidPosReport {
  /** AIM symbology identifier, e.g. ']Q1' for QR Code. */
  symbology: string;
  data: Uint8Array;
  /** More reports follow for this code. */
  continued: boolean;
}

function badReport(why: string): IdkError {
  return new IdkError(
    'SCAN_FRAMING',
    { vi: `Máy quét HID gửi báo cáo không hợp lệ (${why}).`, en: `The HID scanner sent an invalid report (${why}).` },
    { detail: { why } },
  );
}

/** One input report as node-hid delivers it (report ID first). */
export function parseHidPosReport(report: Uint8Array): HidPosReport {
  if (report.length < DATA_OFFSET) throw badReport('too short');
  if (report[0] !== SCANNED_DATA_REPORT_ID) throw badReport(`report ID ${report[0]} is not a Scanned Data report`);
  const n = report[1]!;
  if (n > DATA_MAX || DATA_OFFSET + n > report.length) throw badReport('length byte beyond the report');
  const sym = report.subarray(2, 5);
  for (const b of sym) if (b !== 0 && (b < 0x20 || b > 0x7e)) throw badReport('symbology identifier is not printable');
  return {
    symbology: String.fromCharCode(...sym.filter((b) => b !== 0)),
    data: report.slice(DATA_OFFSET, DATA_OFFSET + n),
    continued: report.length > CONTINUED_BYTE && (report[CONTINUED_BYTE]! & 1) === 1,
  };
}

/** Builds reports as a scanner sends them (tests, and a software scanner for demos). */
export function buildHidPosReports(symbology: string, data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off === 0 || off < data.length; off += DATA_MAX) {
    const part = data.subarray(off, off + DATA_MAX);
    const r = new Uint8Array(64);
    r[0] = SCANNED_DATA_REPORT_ID;
    r[1] = part.length;
    for (let i = 0; i < 3; i++) r[2 + i] = symbology.charCodeAt(i) || 0;
    r.set(part, DATA_OFFSET);
    r[CONTINUED_BYTE] = off + DATA_MAX < data.length ? 1 : 0;
    out.push(r);
  }
  return out;
}

/** Joins continued reports into whole codes. */
export class HidPosAssembler {
  private parts: Uint8Array[] = [];
  private size = 0;
  constructor(private readonly maxLength = 4096) {}

  push(report: Uint8Array): { symbology: string; text: string } | null {
    const r = parseHidPosReport(report);
    this.size += r.data.length;
    if (this.size > this.maxLength) {
      this.parts = [];
      this.size = 0;
      throw new IdkError('QR_TOO_LONG', { vi: 'Mã quét được quá dài.', en: 'The scanned code is too long.' });
    }
    this.parts.push(r.data);
    if (r.continued) return null;
    const all = new Uint8Array(this.size);
    let o = 0;
    for (const p of this.parts) {
      all.set(p, o);
      o += p.length;
    }
    this.parts = [];
    this.size = 0;
    return { symbology: r.symbology, text: qrBytesToText(all) };
  }
}

interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string;
  product?: string;
  usagePage?: number;
  usage?: number;
}

/** The HID-POS scanner interfaces among enumerated HID devices. */
export function hidPosInterfaces<T extends HidDeviceInfo>(devices: T[]): T[] {
  return devices.filter((d) => d.usagePage === HID_POS_USAGE_PAGE && d.path !== undefined);
}

/** HID-POS scanners attached now, through node-hid (hidraw on Linux: needs read access to /dev/hidraw*). */
export async function listHidPosScanners(): Promise<HidDeviceInfo[]> {
  const HID = await import('node-hid');
  return hidPosInterfaces(await HID.devicesAsync());
}
