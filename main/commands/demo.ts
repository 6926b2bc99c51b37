import { loadCardFolder } from '../../drivers/emulator/card-folder.js';
import { demoCard } from '../paths.js';
import { runRead } from '../read-command.js';
import { formatReport } from '../summary.js';
import type { Command, CommandContext } from './command.js';
import { progressPrinter } from './progress.js';

async function demo({ lang }: CommandContext): Promise<number> {
  const dir = demoCard('cccd');
  const card = await loadCardFolder(dir);
  process.stderr.write(
    lang === 'vi' ? `Thẻ CCCD mô phỏng (người hư cấu), mở bằng CAN ${card.secrets.can}\n` : `Emulated CCCD (fictitious person), opened with CAN ${card.secrets.can}\n`,
  );
  const { report } = await runRead({ card: dir, can: card.secrets.can, onProgress: progressPrinter(lang) });
  process.stdout.write(formatReport(report, lang));
  return 0;
}

export const demoCommand: Command = {
  name: ['demo'],
  usage: 'demo',
  run: (_argv, ctx) => demo(ctx),
};

export const startCommand: Command = {
  name: ['start'],
  usage: 'start',
  async run(_argv, ctx) {
    process.stderr.write(
      ctx.lang === 'vi'
        ? 'Giao diện quầy (Electron / trình duyệt) chưa có trong phiên bản này; đang đọc thẻ mô phỏng thay thế.\n'
        : 'The counter UI (Electron / browser) is not in this version yet; reading the demo card instead.\n',
    );
    return demo(ctx);
  },
};
