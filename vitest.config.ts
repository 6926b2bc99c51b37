import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests share the machine's single pcscd socket; files run one at a time
    // inside that project, everything else in parallel.
    pool: 'forks',
  },
});
