import { usageError } from '../../core/errors.js';
import { parseArgs } from 'node:util';
import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { SoftwareChip } from '../../drivers/emulator/chip.js';
import { VPCD_PORT, VpcdCard } from '../../drivers/emulator/vpcd.js';
import { demoCard } from '../paths.js';
import type { Command } from './command.js';

export const emulateCommand: Command = {
  name: ['emulate'],
  usage: 'emulate [--card DIR] [--vpcd HOST:PORT]',
  async run(argv, { lang }) {
    const { values } = parseArgs({ args: argv, options: { card: { type: 'string' }, vpcd: { type: 'string' } }, strict: true });
    const dir = values.card ?? demoCard('cccd');
    const [host, port] = (values.vpcd ?? `127.0.0.1:${VPCD_PORT}`).split(':');
    const vcard = new VpcdCard(new SoftwareChip(await loadCardFolder(dir)), {
      host,
      port: Number(port ?? VPCD_PORT),
      log: (l) => process.stderr.write(l + '\n'),
    });
    try {
      await vcard.insert();
    } catch (e) {
      throw usageError(
        `cannot reach vpcd at ${host}:${port} (${(e as Error).message}): install Debian's pcscd and vsmartcard-vpcd and start pcscd`,
        `không kết nối được vpcd tại ${host}:${port} (${(e as Error).message}): cài gói Debian pcscd và vsmartcard-vpcd rồi chạy pcscd`,
      );
    }
    process.stderr.write(
      `${lang === 'vi' ? 'Thẻ mô phỏng đã cắm vào vpcd' : 'Software chip inserted into vpcd'} (${dir}); Ctrl+C ${lang === 'vi' ? 'để dừng' : 'to stop'}\n`,
    );
    await vcard.closed();
    return 0;
  },
};
