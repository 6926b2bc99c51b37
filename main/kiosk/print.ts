// The printed record of a result (main/formats/pdf.ts) as the kiosk makes it: for the desk's
// Print button (API request `recordPdf`) and for a calling program (`?format=pdf`). The
// receipt on it is signed with the device key; the portrait is printed only when the
// operator's `sharePhoto` setting allows it.
import { IdkError } from '../../core/errors.js';
import type { KioskState, SettingsView, VerificationView } from '../api/contract.js';
import type { DeviceKeys } from '../../offline-cache/device-keys.js';
import { recordPdf } from '../formats/pdf.js';
import { type DeviceSigner, deviceSigningKey, signReceipt } from '../formats/receipt.js';
import type { ReadReport } from '../verify/report.js';

/** What printing needs of the kiosk (structural, so kiosk.ts can call this without an import circle). */
interface PrintingKiosk {
  readonly state: KioskState;
  readonly pipeline: { reportOf(id: string): ReadReport | undefined };
  readonly servicePlug: { keys: DeviceKeys } | undefined;
  readonly currentSettings: SettingsView;
}

/** The portrait's bytes from the data: URL the screen shows (JPEG as on the chip, or PNG decoded from JPEG 2000). */
function photoBytes(v: VerificationView): Uint8Array | undefined {
  const url = v.person.photo?.url;
  const m = url ? /^data:image\/(?:jpeg|png);base64,(.+)$/.exec(url) : null;
  return m ? new Uint8Array(Buffer.from(m[1]!, 'base64')) : undefined;
}

export function receiptInput(readId: string, v: VerificationView, report: ReadReport, eventId: string | null, at: Date): Parameters<typeof signReceipt>[1] {
  const a = v.authenticity;
  return { readId, at, decision: v.decision, authenticity: { level: a.level, reason: a.reason, passive: a.passive, chip: a.chip, active: a.active }, biometric: v.biometric, person: { document: report.document, vn: report.vn }, eventId };
}

export async function pdfOf(kiosk: PrintingKiosk, o: { v: VerificationView; report: ReadReport; receipt: string; signer: DeviceSigner; eventId: string | null; at: Date }): Promise<Buffer> {
  const photo = kiosk.currentSettings.sharePhoto === true ? photoBytes(o.v) : undefined;
  return recordPdf({
    report: o.report,
    decision: o.v.decision,
    level: o.v.authenticity.level,
    levelReason: o.v.authenticity.reason,
    biometric: o.v.biometric,
    receipt: o.receipt,
    deviceId: o.signer.deviceId,
    station: kiosk.currentSettings.station,
    eventId: o.eventId,
    at: o.at,
    ...(photo ? { photo } : {}),
  });
}

/** The desk's Print: the result now on screen, as a PDF with a freshly signed receipt. */
export async function printResult(kiosk: PrintingKiosk, id: string): Promise<Buffer> {
  const v = kiosk.state.result;
  const report = kiosk.pipeline.reportOf(id);
  if (!v || v.id !== id || !report) {
    throw new IdkError('STALE_RESULT', {
      vi: 'Kết quả này không còn trên màn hình: hãy đọc lại thẻ rồi in.',
      en: 'This result is no longer on screen: read the card again, then print.',
    });
  }
  const plug = kiosk.servicePlug;
  if (!plug) {
    throw new IdkError('SYNC_NOT_AVAILABLE', {
      vi: 'Ki-ốt này không có khóa thiết bị nên không ký được phiếu in.',
      en: 'This kiosk has no device key, so it cannot sign the printed record.',
    });
  }
  const signer = await deviceSigningKey(plug.keys);
  const eventId = v.record.status === 'stored' ? v.record.eventId : null;
  const at = new Date();
  const receipt = await signReceipt(signer, receiptInput(id, v, report, eventId, at));
  return pdfOf(kiosk, { v, report, receipt, signer, eventId, at });
}
