import { usageError } from '../../core/errors.js';
import { parseArgs } from 'node:util';
import { type ReadArgs, type ReadOutcome, runRead } from '../read/run-read.js';
import { recordRead } from '../read/record.js';
import { formatReport } from '../read/summary.js';
import type { Command } from './command.js';
import { progressPrinter } from './progress.js';

/** The QR only opens the chip; the chip decides. A disagreement is shown, field by field. */
function qrLine(qr: NonNullable<ReadOutcome['qr']>, lang: 'vi' | 'en'): string {
  const key = qr.openedWith.kind === 'can' ? 'CAN' : `MRZ (${lang === 'vi' ? 'lần thử' : 'attempt'} ${qr.openedWith.attempt})`;
  const fields = qr.comparison.mismatches.map((m) => m.field).join(', ');
  if (lang === 'vi') return `  QR: mở chip bằng ${key}; ${qr.comparison.consistent ? 'khớp với dữ liệu chip' : `KHÁC dữ liệu chip ở: ${fields}`}`;
  return `  QR: opened the chip with ${key}; ${qr.comparison.consistent ? 'agrees with the chip' : `DIFFERS from the chip in: ${fields}`}`;
}

/** Said the moment the card leaves mid-read: the read waits for it, the clerk must know. */
function liftedLine(lang: 'vi' | 'en'): string {
  return lang === 'vi' ? '\nThẻ bị nhấc ra khi đang đọc: hãy đặt lại đúng thẻ đó, việc đọc sẽ tiếp tục.\n' : '\nThe card was lifted during reading: place the same card back and the read goes on.\n';
}

export const readCommand: Command = {
  name: ['read'],
  usage: 'read [--reader NAME | --card DIR] (--mrz DOC:YYMMDD:YYMMDD | --can NNNNNN | --qr TEXT) [--trust DIR] [--json] [--face-out FILE] [--record [--data-dir DIR]] [--bac]',
  async run(argv, { lang }) {
    const { values } = parseArgs({
      args: argv,
      options: {
        card: { type: 'string' },
        reader: { type: 'string' },
        mrz: { type: 'string' },
        can: { type: 'string' },
        qr: { type: 'string' },
        trust: { type: 'string' },
        json: { type: 'boolean' },
        'face-out': { type: 'string' },
        record: { type: 'boolean' },
        'data-dir': { type: 'string' },
        bac: { type: 'boolean' },
      },
      strict: true,
    });
    const args: ReadArgs = { ...values, faceOut: values['face-out'], onProgress: values.json ? undefined : progressPrinter(lang), onLifted: () => process.stderr.write(liftedLine(lang)) };
    if (values['data-dir'] !== undefined && !values.record) {
      throw usageError('--data-dir goes with --record', '--data-dir chỉ dùng cùng --record');
    }
    const read = await runRead(args);
    const { report, qr } = read;
    // Recorded before anything is printed: a result on screen must not hide a failed record.
    const recorded = values.record ? recordRead(read, { dataDir: values['data-dir'] }) : undefined;
    if (values.json) {
      process.stdout.write(JSON.stringify({ ...report, ...(qr ? { qr: { openedWith: qr.openedWith, comparison: qr.comparison } } : {}), ...(recorded ? { recorded } : {}) }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(formatReport(report, lang));
    if (qr) process.stdout.write(qrLine(qr, lang) + '\n');
    if (recorded) process.stdout.write(`  ${lang === 'vi' ? 'Đã lưu sự kiện' : 'Recorded event'} #${recorded.seq} (${recorded.id})\n`);
    return 0;
  },
};
