/**
 * The backtest sweep worker: runs one job (a quoting scenario, a hedging study or an options
 * quoting study, for one seed)
 * in a worker thread that `runSweep` (`sweep.ts`) starts; elsewhere importing it does nothing.
 */
import { serveWorker } from '../engine/worker-pool.js';
import { runHedgeSeed, type HedgeScenario, type HedgeSeedReport } from './hedge-scenario.js';
import { runOptionsSeed, type OptionsScenario, type OptionsSeedReport } from './options-scenario.js';
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

/** One seed of an options quoting study (book-level against per-option quoting). */
export interface OptionsTask {
  options: OptionsScenario;
  seed: number;
}

/** What a worker runs. */
export type WorkerTask = SweepTask | HedgeTask | OptionsTask;

/** What a worker returns. */
export type WorkerResult = BacktestReport | HedgeSeedReport | OptionsSeedReport;

/** Runs one job on the calling thread (what a worker does with it). */
export function runTask(task: WorkerTask): WorkerResult {
  if ('hedge' in task) return runHedgeSeed(task.hedge, task.seed);
  if ('options' in task) return runOptionsSeed(task.options, task.seed);
  return runBacktest(task.scenario, task.seed);
}

serveWorker<WorkerTask, WorkerResult>(SWEEP_WORKER_MARK, runTask);
