import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report lets .ci/run print one plain "N passed, N failed" line for CI.
    reporters: ['default', ['json', { outputFile: 'test/artifacts/vitest-report.json' }]],
    // Integration tests share the machine's single pcscd socket (/run/pcscd/pcscd.comm):
    // their project runs its files one at a time (vitest puts such a project's files in a
    // sequential group after the parallel ones); everything else runs in parallel. The e2e
    // project joins that same one-file-at-a-time group, so a browser test never overlaps a
    // pcscd test; tests that need both (kiosk-pcsc-sync) live in integration with pcscd's.
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/integration/**', 'test/e2e/**', 'test/install/**', 'node_modules/**', 'dist/**'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], fileParallelism: false } },
      // End-to-end through a real Chromium: one browser at a time is kinder to a small machine.
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false } },
      // Installing it as its users will (a fresh clone's npm ci, the packaged layout, the .deb through
      // apt): minutes of compiling each, and apt holds one lock per machine, so one file at a time too.
      { extends: true, test: { name: 'install', include: ['test/install/**/*.test.ts'], fileParallelism: false, testTimeout: 900_000, hookTimeout: 900_000 } },
    ],
  },
});
