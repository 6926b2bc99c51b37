// `idkiosk readers [--json]`: the PC/SC readers pcscd reports and whether a card lies on each.
import { parseArgs } from 'node:util';
import { listReaders } from '../../drivers/pcsc/readers.js';
import type { Command } from './command.js';

export const readersCommand: Command = {
  name: ['readers'],
  usage: 'readers [--json]',
  async run(argv, { lang }) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } }, strict: true });
    const readers = await listReaders();
    if (values.json) {
      process.stdout.write(JSON.stringify({ readers }, null, 2) + '\n');
      return 0;
    }
    if (readers.length === 0) {
      process.stdout.write(lang === 'vi' ? 'Không có đầu đọc thẻ nào được kết nối.\n' : 'No card reader is connected.\n');
      return 0;
    }
    for (const r of readers) {
      const state = r.mute
        ? lang === 'vi'
          ? 'thẻ không trả lời'
          : 'card mute'
        : r.present
          ? `${lang === 'vi' ? 'có thẻ' : 'card present'}${r.atr ? ` (ATR ${r.atr})` : ''}${r.exclusive ? (lang === 'vi' ? ', đang được chương trình khác dùng' : ', in use by another program') : ''}`
          : lang === 'vi'
            ? 'không có thẻ'
            : 'no card';
      process.stdout.write(`${r.name}: ${state}\n`);
    }
    return 0;
  },
};
