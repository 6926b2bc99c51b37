// Fuzz budget: a few thousand cases per property in CI, more on demand (FUZZ_RUNS=200000).
export const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
