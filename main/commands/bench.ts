import type { Command } from './command.js';

export const benchCommand: Command = {
  name: ['bench'],
  usage: 'bench [NAME …]',
  async run(argv) {
    const { runBench } = await import('../bench/bench.js');
    return runBench(argv);
  },
};
