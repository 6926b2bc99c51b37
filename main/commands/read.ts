import { usageError } from '../../core/errors.js';
import { parseArgs } from 'node:util';
import { type ReadArgs, type ReadOutcome, runRead } from '../read/run-read.js';
import { recordRead } from '../read/record.js';
import { formatReport } from '../read/summary.js';
import type { Command } from './command.js';
import { progressPrinter } from './progress.js';
import { writeFile } from 'node:fs/promises';
import { patientFromReport } from '../formats/fhir.js';
import { recordPdf } from '../formats/pdf.js';
import { deviceSigningKey, signReceipt } from '../formats/receipt.js';
import { loadOrCreateDeviceKeys } from '../../offline-cache/device-keys.js';
import { settingsFile } from '../kiosk/settings.js';
import { defaultDataDir } from '../paths.js';
import { cliVerification } from '../read/record.js';
import { authenticityLevel } from '../verify/policy.js';

/**
 * `read --format pdf`: the printed record of this read, its receipt signed with this
 * machine's device key (the data folder's, as the kiosk's), the portrait only when the
 * kiosk's settings there allow sharing it.
 */
async function cliRecordPdf(read: ReadOutcome, eventId: string | null, dataDir: string): Promise<Buffer> {
  const v = cliVerification(read);
  const { level, reason } = authenticityLevel(read.report.authenticity);
  const a = read.report.authenticity;
  const signer = await deviceSigningKey(loadOrCreateDeviceKeys(dataDir));
  const at = new Date(v.at);
  const receipt = await signReceipt(signer, { readId: v.id, at, decision: v.decision, authenticity: { level, reason, passive: a.passive, chip: a.chip, active: a.active }, biometric: v.biometric, person: { document: read.report.document, vn: read.report.vn }, eventId });
  const settings = settingsFile(dataDir, () => undefined).load().settings;
  const photo = settings.sharePhoto === true && read.faceImage && read.report.face?.format === 'jpeg' ? read.faceImage : undefined;
  return recordPdf({ report: read.report, decision: v.decision, level, levelReason: reason, biometric: v.biometric, receipt, deviceId: signer.deviceId, station: settings.station, eventId, at, ...(photo ? { photo } : {}) });
}

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
  usage: 'read [--reader NAME | --card DIR] (--mrz DOC:YYMMDD:YYMMDD | --can NNNNNN | --qr TEXT) [--trust DIR] [--json | --format json|fhir|pdf [--out FILE]] [--face-out FILE] [--record] [--data-dir DIR] [--bac]',
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
        format: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    });
    const format = values.format ?? (values.json ? 'json' : undefined);
    if (format !== undefined && !['json', 'fhir', 'pdf'].includes(format)) throw usageError('--format is json, fhir or pdf', '--format là json, fhir hoặc pdf');
    if (values.json && values.format !== undefined && values.format !== 'json') throw usageError('--json is --format json: give one of them', '--json chính là --format json: chỉ dùng một');
    if ((format === 'pdf') !== (values.out !== undefined)) throw usageError('--format pdf needs --out FILE (and --out goes with --format pdf)', '--format pdf cần --out TỆP (và --out chỉ dùng với --format pdf)');
    const quiet = format !== undefined;
    const args: ReadArgs = { ...values, faceOut: values['face-out'], onProgress: quiet ? undefined : progressPrinter(lang), onLifted: () => process.stderr.write(liftedLine(lang)) };
    if (values['data-dir'] !== undefined && !values.record && format !== 'pdf') {
      throw usageError('--data-dir goes with --record or --format pdf', '--data-dir chỉ dùng cùng --record hoặc --format pdf');
    }
    const read = await runRead(args);
    const { report, qr } = read;
    // Recorded before anything is printed: a result on screen must not hide a failed record.
    const recorded = values.record ? recordRead(read, { dataDir: values['data-dir'] }) : undefined;
    if (format === 'fhir') {
      process.stdout.write(JSON.stringify(patientFromReport(report), null, 2) + '\n');
      return 0;
    }
    if (format === 'pdf') {
      const pdf = await cliRecordPdf(read, recorded?.id ?? null, defaultDataDir(values['data-dir']));
      await writeFile(values.out!, pdf);
      process.stderr.write(lang === 'vi' ? `Đã ghi phiếu PDF: ${values.out}\n` : `PDF record written: ${values.out}\n`);
      return 0;
    }
    if (format === 'json') {
      process.stdout.write(JSON.stringify({ ...report, ...(qr ? { qr: { openedWith: qr.openedWith, comparison: qr.comparison } } : {}), ...(recorded ? { recorded } : {}) }, null, 2) + '\n');
      return 0;
    }
    process.stdout.write(formatReport(report, lang));
    if (qr) process.stdout.write(qrLine(qr, lang) + '\n');
    if (recorded) process.stdout.write(`  ${lang === 'vi' ? 'Đã lưu sự kiện' : 'Recorded event'} #${recorded.seq} (${recorded.id})\n`);
    return 0;
  },
};
