/**
 * The backtest sweep worker: runs one scenario for one seed in a worker thread that
 * `runSweep` (`sweep.ts`) starts; elsewhere importing it does nothing.
 */
import { serveWorker } from '../engine/worker-pool.js';
import { runBacktest, type BacktestReport } from './runner.js';
import type { Scenario } from './scenario.js';

/** The worker marker of backtest sweeps. */
export const SWEEP_WORKER_MARK = 'ballast-backtest-sweep';

/** One job: a validated scenario and a seed. */
export interface SweepTask {
  scenario: Scenario;
  seed: number;
}

serveWorker<SweepTask, BacktestReport>(SWEEP_WORKER_MARK, (task) => runBacktest(task.scenario, task.seed));
