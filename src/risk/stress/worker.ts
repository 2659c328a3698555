/**
 * The stress worker: imported by a worker thread that `createStressPool` (`grid.ts`) starts, it
 * prices its share of a grid's rows with the same `gridRows` the single-thread grid uses. In a
 * thread started otherwise (or in the main thread) importing it does nothing.
 */
import { serveWorker } from '../../engine/worker-pool.js';
import { gridRows, STRESS_WORKER_MARK, type StressColumns } from './kernel.js';

/** What the pool sends: the book in columns and the rows of the grid to price. */
export interface StressTask {
  columns: StressColumns;
  coinCount: number;
  baseValue: number;
  spotShocks: number[];
  volShifts: number[];
  days: number;
  volAddRows: (Float64Array | null)[] | null;
}

serveWorker<StressTask, number[][]>(STRESS_WORKER_MARK, (task) =>
  gridRows(
    task.columns,
    task.coinCount,
    task.baseValue,
    task.spotShocks,
    task.volShifts,
    task.days,
    task.volAddRows,
  ),
);
