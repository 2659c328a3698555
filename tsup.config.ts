import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'cli/main': 'src/cli/main.ts',
    // The stress grid's worker thread, loaded by path (src/risk/stress/grid.ts).
    'risk/stress/worker': 'src/risk/stress/worker.ts',
    // The backtest sweep's worker thread (src/backtest/sweep.ts).
    'backtest/sweep-worker': 'src/backtest/sweep-worker.ts',
    // The PostgreSQL journal's worker thread (src/store/postgres/journal.ts).
    'store/postgres/worker': 'src/store/postgres/worker.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  splitting: true,
  shims: false,
});
