// `idkiosk qr (--image FILE | --text TEXT) [--json]`: what a QR code holds and what it means.
import { parseArgs } from 'node:util';
import { IdkError, usageError } from '../../core/errors.js';
import { canFromIdNumber } from '../../drivers/qr/access-key.js';
import { classifyQrText } from '../../drivers/qr/cccd-qr.js';
import { BarcodeDecoder, HINT_TEXT, frameStats, loadImageFile, luminance, qualityHints } from '../../drivers/qr/decode.js';
import type { Command } from './command.js';
import { type BoardingPass, isBcbp, parseBcbp } from '../../drivers/qr/bcbp.js';

/** The `qr --json` object of DESIGN.md. */
type QrOutput =
  | {
      kind: 'cccd';
      text: string;
      format?: string;
      idNumber: string;
      oldIdNumber: string | null;
      fullName: string;
      dateOfBirth: string;
      sex: string;
      placeOfResidence: string;
      dateOfIssue: string;
      can: string;
      extra: string[];
      warnings: string[];
    }
  | { kind: 'url' | 'text'; text: string; format?: string }
  /** An airline boarding pass (IATA BCBP): exactly these fields (docs/integration.md). */
  | BoardingPass;

function describeQr(text: string, format?: string): QrOutput {
  if (isBcbp(text)) return parseBcbp(text);
  const m = classifyQrText(text);
  const f = format === undefined ? {} : { format };
  if (m.kind !== 'cccd') return { kind: m.kind, text: m.text, ...f };
  const c = m.cccd;
  return {
    kind: 'cccd',
    text: m.text,
    ...f,
    idNumber: c.idNumber,
    oldIdNumber: c.oldIdNumber,
    fullName: c.fullName,
    dateOfBirth: c.dateOfBirth,
    sex: c.sex,
    placeOfResidence: c.placeOfResidence,
    dateOfIssue: c.dateOfIssue,
    can: canFromIdNumber(c.idNumber),
    extra: c.extra,
    warnings: c.warnings,
  };
}

function human(o: QrOutput, lang: 'vi' | 'en'): string {
  if (o.kind === 'bcbp') {
    const rows: [string, string, string][] = [
      ['Hành khách', 'Passenger', o.passengerName],
      ['Mã đặt chỗ', 'Booking', o.pnr],
      ['Chặng', 'Route', `${o.from} → ${o.to}`],
      ['Chuyến bay', 'Flight', `${o.carrier}${o.flight}`],
      ['Ngày bay', 'Date', o.date],
      ['Ghế', 'Seat', o.seat || '-'],
    ];
    const head = lang === 'vi' ? 'Thẻ lên máy bay (IATA BCBP)' : 'Boarding pass (IATA BCBP)';
    return [head, ...rows.map(([vi, en, v]) => `  ${(lang === 'vi' ? vi : en).padEnd(12)} ${v}`), ''].join('\n');
  }
  if (o.kind !== 'cccd') {
    const what = o.kind === 'url' ? (lang === 'vi' ? 'Đường dẫn' : 'Link') : lang === 'vi' ? 'Văn bản' : 'Text';
    return `${what}: ${o.text}\n${lang === 'vi' ? '(không phải mã QR của thẻ CCCD)' : '(not a CCCD QR code)'}\n`;
  }
  const rows: [string, string, string][] = [
    ['Số định danh', 'ID number', o.idNumber],
    ['Số CMND cũ', 'Old ID number', o.oldIdNumber ?? '-'],
    ['Họ và tên', 'Full name', o.fullName],
    ['Ngày sinh', 'Date of birth', o.dateOfBirth],
    ['Giới tính', 'Sex', o.sex],
    ['Nơi thường trú', 'Place of residence', o.placeOfResidence],
    ['Ngày cấp', 'Date of issue', o.dateOfIssue],
    ['CAN (mở chip)', 'CAN (opens the chip)', o.can],
  ];
  const head = lang === 'vi' ? 'Mã QR thẻ CCCD (chỉ để mở chip; thông tin chỉ có giá trị khi chip xác nhận)' : 'CCCD QR code (opens the chip; the data count only once the chip confirms them)';
  return [head, ...rows.map(([vi, en, v]) => `  ${(lang === 'vi' ? vi : en).padEnd(22)} ${v}`), ...o.warnings.map((w) => `  ! ${w}`), ''].join('\n');
}

export const qrCommand: Command = {
  name: ['qr'],
  usage: 'qr (--image FILE | --text TEXT) [--json]',
  async run(argv, { lang }) {
    const { values } = parseArgs({ args: argv, options: { image: { type: 'string' }, text: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
    if ((values.image === undefined) === (values.text === undefined)) {
      throw usageError('give exactly one of --image FILE or --text TEXT', 'cần đúng một trong --image TỆP hoặc --text NỘI-DUNG');
    }
    let out: QrOutput;
    if (values.image !== undefined) {
      const frame = await loadImageFile(values.image);
      const code = new BarcodeDecoder().decode(frame);
      if (!code) {
        const hints = qualityHints(frameStats(luminance(frame), frame.width, frame.height));
        throw new IdkError(
          'NO_CODE_FOUND',
          {
            vi: `Không tìm thấy mã QR trong ảnh. ${hints.map((h) => HINT_TEXT[h].vi).join(' ')}`.trim(),
            en: `No QR code found in the image. ${hints.map((h) => HINT_TEXT[h].en).join(' ')}`.trim(),
          },
          { detail: { hints } },
        );
      }
      out = describeQr(code.text, code.format);
    } else {
      out = describeQr(values.text!);
    }
    process.stdout.write(values.json ? JSON.stringify(out, null, 2) + '\n' : human(out, lang));
    return 0;
  },
};
