/**
 * Worker threads for CPU-bound work (stress grids, backtest sweeps): a pool started once and
 * waited for before use, tasks answered by id, and the worker side's loop (`serveWorker`).
 *
 * A worker module is loaded by URL: the built `.js` beside the bundle in `dist/` (a tsup entry),
 * or the `.ts` source under tsx or vitest, in which case the thread first registers tsx's
 * loader (tsx is then installed: it is what runs the sources).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { InputError } from '../model/errors.js';

/** A pool of started workers. */
export interface WorkerPool<Task, Result> {
  readonly size: number;
  /** Sends `task` to worker `index` (0 <= index < size) and resolves with its answer. */
  run(index: number, task: Task): Promise<Result>;
  /** Stops the workers. */
  close(): Promise<void>;
}

type Reply<Result> = { id: number; result: Result } | { id: number; error: string } | { ready: true };

/**
 * Finds a worker module: `source` (a `.ts` URL) when the caller itself runs from sources
 * (`callerUrl` ends in `.ts`), else the first of `built` (paths relative to `callerUrl`) that
 * exists. Throws `InputError` naming the tsup entry when none does.
 */
export function locateWorker(
  callerUrl: string,
  source: string,
  built: readonly string[],
  entry: string,
): URL {
  if (callerUrl.endsWith('.ts')) return new URL(source, callerUrl);
  const candidates = built.map((p) => new URL(p, callerUrl));
  const found = candidates.find((u) => existsSync(fileURLToPath(u)));
  if (found === undefined) {
    throw new InputError(
      'worker',
      candidates.map((u) => u.pathname).join(', '),
      `a built worker (tsup entry ${entry})`,
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

/** Starts `size` workers on the module at `url` (which calls `serveWorker(mark, ...)`) and waits until each is ready. */
export async function startWorkerPool<Task, Result>(
  url: URL,
  mark: string,
  size?: number,
): Promise<WorkerPool<Task, Result>> {
  const count = size ?? Math.max(1, Math.min(2, availableParallelism()));
  if (!Number.isSafeInteger(count) || count < 1) throw new InputError('workers', count, 'an integer >= 1');
  const tsx = url.pathname.endsWith('.ts') ? tsxApiUrl() : null;
  const workers = Array.from(
    { length: count },
    () => new Worker(BOOT, { eval: true, workerData: { mark, url: url.href, tsx } }),
  );
  const pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | null = null;
  const ready = workers.map(
    (w) =>
      new Promise<void>((resolve, reject) => {
        w.on('message', (m: Reply<Result>) => {
          if ('ready' in m) return resolve();
          const p = pending.get(m.id);
          if (p === undefined) return;
          pending.delete(m.id);
          if ('error' in m) p.reject(new Error(`worker: ${m.error}`));
          else p.resolve(m.result);
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
  return {
    size: count,
    run(index, task) {
      return new Promise((resolve, reject) => {
        if (failure !== null) return reject(failure);
        const worker = workers[index];
        if (worker === undefined)
          return reject(new InputError('index', index, `a worker from 0 to ${count - 1}`));
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, task });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * The worker side: in a thread started by `startWorkerPool` with `mark`, answers each task with
 * `handle(task)` (or its error's message). Elsewhere (the main thread, another pool) does nothing.
 */
export function serveWorker<Task, Result>(mark: string, handle: (task: Task) => Result): void {
  const port = parentPort;
  if (isMainThread || port === null || (workerData as { mark?: unknown } | null)?.mark !== mark) return;
  port.on('message', ({ id, task }: { id: number; task: Task }) => {
    let reply: Reply<Result>;
    try {
      reply = { id, result: handle(task) };
    } catch (error) {
      reply = { id, error: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true });
}
