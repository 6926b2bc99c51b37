// The one-page printed record for residence registration and hospital files: the data as on
// the card, the portrait (only when the kiosk's policy allows it), the authenticity verdict
// and decision, the time and the device, and a QR code of the signed receipt so the paper
// can be checked against the kiosk's key later. Built with pdfkit; the font is Debian's Noto
// Sans (fonts-noto-core), embedded and subset, so every Vietnamese letter prints and
// `pdftotext` gives the text back exactly (test/unit/pdf.test.ts).
import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { IdkError } from '../../core/errors.js';
import type { BiometricView, Decision, Level } from '../api/contract.js';
import type { ReadReport } from '../verify/report.js';

interface RecordPdfInput {
  report: ReadReport;
  decision: Decision;
  level: Level;
  /** The level's reason code (all-valid, no-trust-anchor…). */
  levelReason: string;
  biometric: BiometricView;
  receipt: string;
  deviceId: string;
  station?: string;
  eventId: string | null;
  at: Date;
  /** JPEG or PNG bytes of the portrait; pass it only when policy allows. */
  photo?: Uint8Array;
}

/** Where Debian (fonts-noto-core) and other systems keep Noto Sans; the first pair found is used. */
const FONT_CANDIDATES = [
  ['/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf', '/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf'],
  ['/usr/share/fonts/noto/NotoSans-Regular.ttf', '/usr/share/fonts/noto/NotoSans-Bold.ttf'],
  ['C:\\Windows\\Fonts\\NotoSans-Regular.ttf', 'C:\\Windows\\Fonts\\NotoSans-Bold.ttf'],
] as const;

function fonts(): { regular: string; bold: string } {
  const env = process.env.IDKIOSK_PDF_FONT;
  if (env && existsSync(env)) return { regular: env, bold: process.env.IDKIOSK_PDF_FONT_BOLD && existsSync(process.env.IDKIOSK_PDF_FONT_BOLD) ? process.env.IDKIOSK_PDF_FONT_BOLD : env };
  for (const [regular, bold] of FONT_CANDIDATES) if (existsSync(regular) && existsSync(bold)) return { regular, bold };
  throw new IdkError('PDF_FONT_MISSING', {
    vi: 'Thiếu phông chữ tiếng Việt để in phiếu: cài gói fonts-noto-core (hoặc đặt IDKIOSK_PDF_FONT là tệp .ttf).',
    en: 'No Vietnamese-capable font to print the record: install fonts-noto-core (or set IDKIOSK_PDF_FONT to a .ttf file).',
  });
}

const LEVEL_WORDS: Record<Level, string> = { green: 'XANH — THẺ THẬT', amber: 'VÀNG — CHƯA XÁC MINH ĐỦ', red: 'ĐỎ — KHÔNG HỢP LỆ' };
const LEVEL_COLOUR: Record<Level, string> = { green: '#0a6b2d', amber: '#8a5a00', red: '#a4001b' };
const DECISION_WORDS: Record<Decision, string> = { accept: 'Chấp nhận', review: 'Cần nhân viên xem xét', reject: 'Từ chối' };
const REASON_WORDS: Record<string, string> = {
  'all-valid': 'dữ liệu do cơ quan cấp ký và chip chứng minh là bản gốc',
  'no-trust-anchor': 'chữ ký khớp, chưa có chứng chỉ gốc (CSCA) để đối chiếu',
  'not-checked': 'chưa kiểm tra được chữ ký dữ liệu',
  'data-altered': 'dữ liệu bị sửa sau khi ký',
  'signature-invalid': 'chữ ký dữ liệu không hợp lệ',
  'clone-suspected': 'nghi chip sao chép (chip không chứng minh được khóa)',
  'chip-auth-pending': 'chip chưa chứng minh là bản gốc',
};
const FACE_WORDS: Record<BiometricView['status'], string> = {
  matched: 'khớp',
  'not-matched': 'KHÔNG khớp',
  'not-compared': 'không so được (nhân viên đối chiếu bằng mắt)',
  'not-available': 'không đối chiếu khuôn mặt',
  pending: 'đang đối chiếu',
};

/** dd/mm/yyyy, as Vietnamese papers print dates; anything not ISO is printed as the chip gave it. */
export function viDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** The rows of the record, label and value, in the order of the card: what the page prints and the tests read back. */
export function recordRows(r: ReadReport): Array<[string, string]> {
  const d = r.document;
  const vn = r.vn;
  const rows: Array<[string, string]> = [];
  const add = (label: string, v: string | null | undefined): void => {
    if (v) rows.push([label, v]);
  };
  if (vn) {
    add('Số định danh cá nhân', vn.idNumber);
    add('Họ và tên', vn.fullName);
    add('Ngày sinh', viDate(vn.dateOfBirth));
    add('Giới tính', vn.sex);
    add('Quốc tịch', vn.nationality);
    add('Dân tộc', vn.ethnicity);
    add('Tôn giáo', vn.religion);
    add('Quê quán', vn.placeOfOrigin);
    add('Nơi thường trú', vn.placeOfResidence);
    add('Đặc điểm nhận dạng', vn.personalIdentification);
    add('Ngày cấp', viDate(vn.dateOfIssue));
    add('Có giá trị đến', viDate(vn.dateOfExpiry));
    add('Họ tên cha', vn.fatherName);
    add('Họ tên mẹ', vn.motherName);
    add('Họ tên vợ/chồng', vn.spouseName);
    add('Số CMND cũ', vn.oldIdNumber);
  } else {
    add('Họ', d.surname);
    add('Tên', d.givenNames);
    add('Ngày sinh', viDate(d.dateOfBirth));
    add('Giới tính', d.sex);
    add('Quốc tịch', d.nationality);
    add('Có giá trị đến', viDate(d.dateOfExpiry));
  }
  add('Loại giấy tờ', `${d.documentType.replace(/<+$/, '')} ${d.issuingState}`);
  add('Số giấy tờ', d.documentNumber);
  return rows;
}

/**
 * The QR of the receipt as a PNG with one pixel a module: drawn unscaled-then-stretched by the
 * viewer without interpolation, it prints crisp (rectangles drawn one by one leave hairline
 * seams that scanners read as white).
 */
async function receiptQrPng(text: string): Promise<Buffer> {
  return QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel: 'L', margin: 4, scale: 1 });
}

export async function recordPdf(input: RecordPdfInput): Promise<Buffer> {
  const f = fonts();
  const qrPng = await receiptQrPng(input.receipt);
  const doc = new PDFDocument({ size: 'A4', margin: 40, info: { Title: 'Phiếu xác thực giấy tờ có gắn chip', Producer: 'idkiosk', Creator: 'idkiosk', CreationDate: input.at } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('body', f.regular);
  doc.registerFont('bold', f.bold);
  const left = 40;
  const width = 515;
  doc.font('bold').fontSize(15).text('PHIẾU XÁC THỰC GIẤY TỜ CÓ GẮN CHIP', left, 40, { width });
  doc.font('body').fontSize(9).fillColor('#444444').text('Chip document verification record', { width }).fillColor('#000000');

  // The portrait, top right, only when the caller passed it (policy allowed).
  const photoW = 96;
  const top = 86;
  if (input.photo) {
    try {
      doc.image(Buffer.from(input.photo), left + width - photoW, top, { fit: [photoW, 128] });
    } catch {
      // A portrait pdfkit cannot draw (JPEG 2000) is left out; the data still print.
    }
  }

  const labelW = 130;
  const valueW = width - labelW - (input.photo ? photoW + 12 : 0);
  let y = top;
  doc.fontSize(10.5);
  for (const [label, value] of recordRows(input.report)) {
    // Below the portrait the value takes the whole width.
    const w = input.photo && y > top + 134 ? width - labelW : valueW;
    doc.font('body').fillColor('#444444').text(label, left, y, { width: labelW - 8 });
    doc.font('bold').fillColor('#000000').text(value, left + labelW, y, { width: w });
    y = Math.max(doc.y, y + 14) + 4;
  }

  y += 8;
  doc.moveTo(left, y).lineTo(left + width, y).lineWidth(0.5).strokeColor('#999999').stroke();
  y += 10;
  const a = input.report.authenticity;
  doc.font('body').fontSize(10).fillColor('#444444').text('Xác thực thẻ', left, y, { width: labelW - 8 });
  doc.font('bold').fontSize(13).fillColor(LEVEL_COLOUR[input.level]).text(LEVEL_WORDS[input.level], left + labelW, y - 2, { width: width - labelW });
  y = doc.y + 4;
  const facts: Array<[string, string]> = [
    ['Lý do', REASON_WORDS[input.levelReason] ?? input.levelReason],
    ['Dữ liệu (SOD) · chip · AA', `${a.passive} · ${a.chip} · ${a.active}`],
    ['Khuôn mặt', FACE_WORDS[input.biometric.status]],
    ['Quyết định', DECISION_WORDS[input.decision]],
    ['Thời gian', `${input.at.toISOString().replace('T', ' ').slice(0, 19)} UTC`],
    ['Thiết bị', input.station ? `${input.station} (${input.deviceId})` : input.deviceId],
    ['Mã sự kiện', input.eventId ?? '— (chưa lưu)'],
  ];
  doc.fontSize(10);
  for (const [label, value] of facts) {
    doc.font('body').fillColor('#444444').text(label, left, y, { width: labelW - 8 });
    doc.font('body').fillColor('#000000').text(value, left + labelW, y, { width: width - labelW - 150 });
    y = Math.max(doc.y, y + 13) + 3;
  }

  // The receipt as a QR code, bottom right: scanning it gives the JWS a back end verifies.
  const qrSize = 170;
  const qrY = Math.max(y - 7 * 16, 842 - 40 - qrSize - 30);
  doc.image(qrPng, left + width - qrSize, qrY, { width: qrSize, height: qrSize });
  doc.font('body').fontSize(7.5).fillColor('#444444').text('Biên nhận ký số (JWS)', left + width - qrSize, qrY + qrSize, { width: qrSize, align: 'center' });
  doc.end();
  return done;
}
