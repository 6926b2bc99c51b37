import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Integration tests share the machine's single pcscd socket (/run/pcscd/pcscd.comm):
    // their project runs its files one at a time (vitest puts such a project's files in a
    // sequential group after the parallel ones); everything else runs in parallel.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/integration/**', 'node_modules/**', 'dist/**'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], fileParallelism: false } },
    ],
  },
});
