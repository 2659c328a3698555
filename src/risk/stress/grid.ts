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
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError } from '../../model/errors.js';
import type { RiskMarket, RiskPosition } from '../inputs.js';
import { gridRows, STRESS_WORKER_MARK } from './kernel.js';
import { createRevaluer, type RevaluerOptions, type StressRevaluer } from './revalue.js';
import type { StressReply, StressTask } from './worker.js';

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

/** Where the worker module is, and whether it needs tsx's loader (a `.ts` source). */
function locateWorker(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./worker.ts', here);
  const candidates = ['./risk/stress/worker.js', '../risk/stress/worker.js', './worker.js'].map(
    (p) => new URL(p, here),
  );
  const found = candidates.find((u) => existsSync(fileURLToPath(u)));
  if (found === undefined) {
    throw new InputError(
      'stress worker',
      candidates.map((u) => u.pathname).join(', '),
      "a built worker (tsup entry 'risk/stress/worker': 'src/risk/stress/worker.ts')",
    );
  }
  return found;
}

/** tsx's ESM registration API, for a worker that loads TypeScript sources. */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const esm = require.resolve('tsx/esm'); // .../tsx/dist/esm/index.mjs
  return pathToFileURL(join(dirname(esm), 'api', 'index.mjs')).href;
}

const BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== null) (await import(workerData.tsx)).register();
  await import(workerData.url);
})().catch((error) => { setImmediate(() => { throw error; }); });
`;

/** Starts the worker threads and waits until each is ready. */
export async function createStressPool(options: StressPoolOptions = {}): Promise<StressPool> {
  const size = options.workers ?? Math.max(1, Math.min(2, availableParallelism()));
  if (!Number.isSafeInteger(size) || size < 1) throw new InputError('workers', size, 'an integer >= 1');
  const url = options.workerUrl ?? locateWorker();
  const tsx = url.pathname.endsWith('.ts') ? tsxApiUrl() : null;
  const workers = Array.from(
    { length: size },
    () => new Worker(BOOT, { eval: true, workerData: { mark: STRESS_WORKER_MARK, url: url.href, tsx } }),
  );
  const pending = new Map<number, { resolve: (rows: number[][]) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | null = null;
  const ready = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        w.on('message', (m: StressReply | { ready: true }) => {
          if ('ready' in m) return resolve();
          const p = pending.get(m.id);
          if (p === undefined) return;
          pending.delete(m.id);
          if ('error' in m) p.reject(new Error(`stress worker: ${m.error}`));
          else p.resolve(m.rows);
        });
        w.on('error', (error) => {
          failure = error;
          reject(error);
          for (const p of pending.values()) p.reject(error);
          pending.clear();
        });
      }),
  );
  try {
    await Promise.all(ready);
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }

  const run = (w: Worker, task: Omit<StressTask, 'id'>): Promise<number[][]> =>
    new Promise((resolve, reject) => {
      if (failure !== null) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      w.postMessage({ ...task, id });
    });

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
          run(workers[w]!, {
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
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
