/**
 * The backtest sweep worker: runs one job (a quoting scenario or a hedging study, for one seed)
 * in a worker thread that `runSweep` (`sweep.ts`) starts; elsewhere importing it does nothing.
 */
import { serveWorker } from '../engine/worker-pool.js';
import { runHedgeSeed, type HedgeScenario, type HedgeSeedReport } from './hedge-scenario.js';
import { runBacktest, type BacktestReport } from './runner.js';
import type { Scenario } from './scenario.js';

/** The worker marker of backtest sweeps. */
export const SWEEP_WORKER_MARK = 'ballast-backtest-sweep';

/** One job: a validated scenario and a seed. */
export interface SweepTask {
  scenario: Scenario;
  seed: number;
}

/** One seed of a hedging study. */
export interface HedgeTask {
  hedge: HedgeScenario;
  seed: number;
}

/** What a worker runs. */
export type WorkerTask = SweepTask | HedgeTask;

/** Runs one job on the calling thread (what a worker does with it). */
export function runTask(task: WorkerTask): BacktestReport | HedgeSeedReport {
  return 'hedge' in task ? runHedgeSeed(task.hedge, task.seed) : runBacktest(task.scenario, task.seed);
}

serveWorker<WorkerTask, BacktestReport | HedgeSeedReport>(SWEEP_WORKER_MARK, runTask);
