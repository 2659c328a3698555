/**
 * The spot × vol stress grid by full revaluation (issue 6, item 4 and item 8): `pnl_usd[i][j]`
 * is the change of the book's value in USD when every coin moves by `spot_shocks[i]` (relative)
 * and vols by `vol_shifts[j]` (absolute, 0.1 = 10 vol points, weighted by the vol model), with
 * `days` passing (0 by default). Pricing is `revalue.ts`'s, in columns (`kernel.ts`).
 *
 * `createStressPool` prices a grid on worker threads started beforehand, each taking a
 * contiguous share of the spot rows; every cell is computed by the same function on the same
 * inputs as in `stressGrid`, so both grids are equal exactly.
 *
 * Where the worker code lives: from `src` (tsx, vitest) the pool loads `worker.ts` beside this
 * file and registers tsx's loader in the thread first; from a build it loads
 * `risk/stress/worker.js` under the build's root (tsup entry
 * `'risk/stress/worker': 'src/risk/stress/worker.ts'`), looked for beside this code's chunk and
 * one directory up. `workerUrl` overrides both.
 */
import { locateWorker, startWorkerPool } from '../../engine/worker-pool.js';
import { InputError } from '../../model/errors.js';
import type { RiskMarket, RiskPosition } from '../inputs.js';
import { gridRows, STRESS_WORKER_MARK } from './kernel.js';
import { createRevaluer, type RevaluerOptions, type StressRevaluer } from './revalue.js';
import type { StressTask } from './worker.js';

/** A stress grid as `ballast risk --json` prints it. */
export interface StressGrid {
  spot_shocks: number[];
  vol_shifts: number[];
  pnl_usd: number[][];
}

/** A book and market to build a revaluer from. */
export interface StressBook {
  book: readonly RiskPosition[];
  market: RiskMarket;
  options?: RevaluerOptions;
}

/** Options of a grid. */
export interface GridOptions {
  /** Days that pass in every cell; 0 by default. */
  days?: number;
}

function checkShocks(field: string, values: readonly number[], relative: boolean): number[] {
  if (!Array.isArray(values) || values.length === 0)
    throw new InputError(field, values, 'a non-empty list of numbers');
  values.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || (relative && v <= -1))
      throw new InputError(`${field}[${i}]`, v, relative ? 'a finite relative move > -1' : 'a finite number');
  });
  return [...values];
}

function checkDays(days: number): number {
  if (typeof days !== 'number' || !Number.isFinite(days) || days < 0)
    throw new InputError('days', days, 'a finite number of days >= 0');
  return days;
}

function revaluerOf(source: StressRevaluer | StressBook): StressRevaluer {
  return 'columns' in source ? source : createRevaluer(source.book, source.market, source.options);
}

interface PreparedGrid {
  revaluer: StressRevaluer;
  spots: number[];
  shifts: number[];
  days: number;
  volAddRows: (Float64Array | null)[] | null;
}

function prepare(
  source: StressRevaluer | StressBook,
  spotShocks: readonly number[],
  volShifts: readonly number[],
  options: GridOptions,
): PreparedGrid {
  const spots = checkShocks('spotShocks', spotShocks, true);
  const shifts = checkShocks('volShifts', volShifts, false);
  const days = checkDays(options.days ?? 0);
  const revaluer = revaluerOf(source);
  const coins = revaluer.coins.length;
  const volAddRows =
    revaluer.volModel === 'sticky-moneyness'
      ? spots.map((s) => revaluer.volAdd(new Float64Array(coins).fill(s)))
      : null;
  return { revaluer, spots, shifts, days, volAddRows };
}

/** The grid on this thread. Throws `InputError` for a bad shock or a bad book. */
export function stressGrid(
  source: StressRevaluer | StressBook,
  spotShocks: readonly number[],
  volShifts: readonly number[],
  options: GridOptions = {},
): StressGrid {
  const g = prepare(source, spotShocks, volShifts, options);
  const r = g.revaluer;
  const pnl = gridRows(r.columns, r.coins.length, r.baseValueUsd, g.spots, g.shifts, g.days, g.volAddRows);
  return { spot_shocks: g.spots, vol_shifts: g.shifts, pnl_usd: pnl };
}

/** Worker threads that price grids. */
export interface StressPool {
  readonly size: number;
  /** As `stressGrid`, the spot rows shared among the workers. */
  grid(
    source: StressRevaluer | StressBook,
    spotShocks: readonly number[],
    volShifts: readonly number[],
    options?: GridOptions,
  ): Promise<StressGrid>;
  /** Stops the workers. */
  close(): Promise<void>;
}

/** Options of `createStressPool`. */
export interface StressPoolOptions {
  /** Threads; default min(2, available parallelism), at least 1. */
  workers?: number;
  /** The worker module to load (see the module comment). */
  workerUrl?: URL;
}

/** Starts the worker threads and waits until each is ready. */
export async function createStressPool(options: StressPoolOptions = {}): Promise<StressPool> {
  const url =
    options.workerUrl ??
    locateWorker(
      import.meta.url,
      './worker.ts',
      ['./risk/stress/worker.js', '../risk/stress/worker.js', './worker.js'],
      "'risk/stress/worker': 'src/risk/stress/worker.ts'",
    );
  const pool = await startWorkerPool<StressTask, number[][]>(url, STRESS_WORKER_MARK, options.workers);
  const size = pool.size;
  const run = (w: number, task: StressTask): Promise<number[][]> => pool.run(w, task);

  return {
    size,
    async grid(source, spotShocks, volShifts, gridOptions = {}) {
      const g = prepare(source, spotShocks, volShifts, gridOptions);
      const r = g.revaluer;
      const share = Math.ceil(g.spots.length / size);
      const parts: Promise<number[][]>[] = [];
      for (let w = 0; w < size && w * share < g.spots.length; w++) {
        const from = w * share;
        const to = Math.min(g.spots.length, from + share);
        parts.push(
          run(w, {
            columns: r.columns,
            coinCount: r.coins.length,
            baseValue: r.baseValueUsd,
            spotShocks: g.spots.slice(from, to),
            volShifts: g.shifts,
            days: g.days,
            volAddRows: g.volAddRows === null ? null : g.volAddRows.slice(from, to),
          }),
        );
      }
      const rows = (await Promise.all(parts)).flat();
      return { spot_shocks: g.spots, vol_shifts: g.shifts, pnl_usd: rows };
    },
    close: () => pool.close(),
  };
}
