/**
 * The stress worker: imported by a worker thread that `createStressPool` (`grid.ts`) starts, it
 * prices its share of a grid's rows with the same `gridRows` the single-thread grid uses. In a
 * thread started otherwise (or in the main thread) importing it does nothing.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { gridRows, STRESS_WORKER_MARK, type StressColumns } from './kernel.js';

/** What the pool sends: the book in columns and the rows of the grid to price. */
export interface StressTask {
  id: number;
  columns: StressColumns;
  coinCount: number;
  baseValue: number;
  spotShocks: number[];
  volShifts: number[];
  days: number;
  volAddRows: (Float64Array | null)[] | null;
}

/** What the worker answers: the P&L rows, or the error's message. */
export type StressReply = { id: number; rows: number[][] } | { id: number; error: string };

const port = parentPort;
if (
  !isMainThread &&
  port !== null &&
  (workerData as { mark?: unknown } | null)?.mark === STRESS_WORKER_MARK
) {
  port.on('message', (task: StressTask) => {
    let reply: StressReply;
    try {
      const rows = gridRows(
        task.columns,
        task.coinCount,
        task.baseValue,
        task.spotShocks,
        task.volShifts,
        task.days,
        task.volAddRows,
      );
      reply = { id: task.id, rows };
    } catch (error) {
      reply = { id: task.id, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
}
