/**
 * Seed and parameter sweeps of backtests across worker threads: every job (a scenario and a
 * seed) runs on a thread of a pool started once; results come back in job order whatever
 * finishes first, so a sweep's report is the same as the runs made one after another.
 */
import { locateWorker, startWorkerPool } from '../engine/worker-pool.js';
import { InputError } from '../model/errors.js';
import type { HedgeScenario, HedgeSeedReport } from './hedge-scenario.js';
import type { OptionsScenario, OptionsSeedReport } from './options-scenario.js';
import type { BacktestReport } from './runner.js';
import type { Scenario } from './scenario.js';
import {
  SWEEP_WORKER_MARK,
  type HedgeTask,
  type OptionsTask,
  type SweepTask,
  type WorkerTask,
} from './sweep-worker.js';

/** Options of `runSweep`. */
export interface SweepOptions {
  /** Threads; default min(2, available parallelism). */
  workers?: number;
  /** Called after each finished job with the count done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Runs every (scenario, seed) job on worker threads; the reports in job order. */
export function runSweep(jobs: readonly SweepTask[], options: SweepOptions = {}): Promise<BacktestReport[]> {
  return runJobs<BacktestReport>(jobs, options);
}

/** Runs the seeds of a hedging study on worker threads; the seeds' reports in seed order. */
export function runHedgeSweep(
  scenario: HedgeScenario,
  seeds: number,
  options: SweepOptions = {},
): Promise<HedgeSeedReport[]> {
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new InputError('seeds', seeds, 'an integer >= 1');
  const jobs: HedgeTask[] = Array.from({ length: seeds }, (_, i) => ({
    hedge: scenario,
    seed: scenario.study.seed + i,
  }));
  return runJobs<HedgeSeedReport>(jobs, options);
}

/** Runs the seeds of an options quoting study on worker threads; the seeds' reports in seed order. */
export function runOptionsSweep(
  scenario: OptionsScenario,
  seeds: number,
  options: SweepOptions = {},
): Promise<OptionsSeedReport[]> {
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new InputError('seeds', seeds, 'an integer >= 1');
  const jobs: OptionsTask[] = Array.from({ length: seeds }, (_, i) => ({
    options: scenario,
    seed: scenario.seed + i,
  }));
  return runJobs<OptionsSeedReport>(jobs, options);
}

async function runJobs<R>(jobs: readonly WorkerTask[], options: SweepOptions): Promise<R[]> {
  if (jobs.length === 0) throw new InputError('jobs', 0, 'at least one job');
  const url = locateWorker(
    import.meta.url,
    './sweep-worker.ts',
    ['./backtest/sweep-worker.js', '../backtest/sweep-worker.js', './sweep-worker.js'],
    "'backtest/sweep-worker': 'src/backtest/sweep-worker.ts'",
  );
  const pool = await startWorkerPool<WorkerTask, R>(url, SWEEP_WORKER_MARK, options.workers);
  try {
    const results: R[] = new Array<R>(jobs.length);
    let next = 0;
    let done = 0;
    // Each worker takes the next job when it finishes one.
    const lane = async (w: number): Promise<void> => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await pool.run(w, jobs[i] as WorkerTask);
        done += 1;
        options.onProgress?.(done, jobs.length);
      }
    };
    await Promise.all(Array.from({ length: pool.size }, (_, w) => lane(w)));
    return results;
  } finally {
    await pool.close();
  }
}

/** The jobs of `seeds` seeds of `scenario` from its own seed. */
export function seedJobs(scenario: Scenario, seeds: number): SweepTask[] {
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new InputError('seeds', seeds, 'an integer >= 1');
  return Array.from({ length: seeds }, (_, i) => ({ scenario, seed: scenario.seed + i }));
}
