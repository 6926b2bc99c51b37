// Progress of a read on the terminal, for people (stderr, only when it is a terminal).
import type { Lang } from '../../core/errors.js';
import type { Progress } from '../../drivers/emrtd/read-file.js';

export function progressPrinter(lang: Lang): (p: Progress & { done: number; of: number }) => void {
  let last = '';
  return (p) => {
    if (!process.stderr.isTTY) return;
    const pct = Math.floor((100 * p.read) / p.total);
    const line = `${lang === 'vi' ? 'Đang đọc' : 'Reading'} ${p.file}: ${pct}% (${p.read}/${p.total} B)`;
    if (line !== last) process.stderr.write(`\r${line}   `);
    last = line;
    if (p.read === p.total && p.done === p.of - 1) process.stderr.write('\n');
  };
}
