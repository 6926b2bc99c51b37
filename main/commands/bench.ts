// `idkiosk bench`: the benchmarks live in main/bench/, which a checkout has and the
// installed package does not (electron-builder.yml leaves it out): say so, clearly.
import { IdkError } from '../../core/errors.js';
import type { Command } from './command.js';

export const benchCommand: Command = {
  name: ['bench'],
  usage: 'bench [NAME …]',
  async run(argv) {
    let bench: typeof import('../bench/bench.js');
    try {
      bench = await import('../bench/bench.js');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
      throw new IdkError('BENCH_NOT_INSTALLED', {
        vi: 'Bản cài đặt này không kèm benchmark: hãy chạy "npm run bench" từ mã nguồn (npm ci trước).',
        en: 'This installation does not include the benchmarks: run "npm run bench" from a source checkout (after npm ci).',
      });
    }
    return bench.runBench(argv);
  },
};
