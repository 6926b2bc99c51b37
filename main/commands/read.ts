import { parseArgs } from 'node:util';
import { type ReadArgs, runRead, usageError } from '../read-command.js';
import { formatReport } from '../summary.js';
import type { Command } from './command.js';
import { progressPrinter } from './progress.js';

export const readCommand: Command = {
  name: ['read'],
  usage: 'read --card DIR (--mrz DOC:YYMMDD:YYMMDD | --can NNNNNN) [--json] [--face-out FILE] [--bac]',
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
        bac: { type: 'boolean' },
      },
      strict: true,
    });
    const args: ReadArgs = { ...values, faceOut: values['face-out'], onProgress: values.json ? undefined : progressPrinter(lang) };
    if (values.record) {
      throw usageError('--record comes with the local store (not in this version yet)', '--record cần kho lưu cục bộ (chưa có trong phiên bản này)');
    }
    const { report } = await runRead(args);
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report, lang));
    return 0;
  },
};
