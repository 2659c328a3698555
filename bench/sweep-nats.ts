/**
 * Sweep throughput over NATS JetStream (issue 11, must-show): jobs per second of a backtest
 * sweep run by the coordinator (`runDistributedSweep`, what `ballast backtest --workers
 * nats://...` runs) on 1 and 2 workers (`serveSweepJobs`, what `ballast worker` runs, one
 * thread each), against the local sweep's threads (1 and 2, started beforehand as the workers'
 * are: a local run also pays their start, a few hundred ms under tsx), on one local
 * `nats-server -js` on 127.0.0.1 (a free port, its store in a temporary directory).
 *
 *   npx tsx bench/sweep-nats.ts [--seeds 200] [--out bench/RESULTS-sweeps.md | --no-write]
 *
 * Two job sizes: the quoting scenario `scenarios/as-btc-perpetual.yaml` cut to 300 s of
 * market (tens of ms of work a job: throughput bound by the work), and cut to 10 s (about a
 * millisecond: bound by the protocol, a job's round trip through the streams). Each row is
 * one warm-up sweep, then the best of `--repeat` measured ones; a sweep's time runs from the
 * first job published to the last result collected (workers already connected and idle).
 * Every distributed sweep's results are checked equal to the local ones.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import { parseScenario } from '../src/backtest/scenario.js';
import { runSweep, seedJobs } from '../src/backtest/sweep.js';
import { SWEEP_WORKER_MARK, type WorkerResult, type WorkerTask } from '../src/backtest/sweep-worker.js';
import { startWorkerPool } from '../src/engine/worker-pool.js';
import type { BacktestReport } from '../src/backtest/runner.js';
import { runDistributedSweep, serveSweepJobs, type SweepWorker } from '../src/bus/nats/sweeps.js';
import { startNatsServer } from './nats-server.js';

export interface SweepThroughput {
  job: string;
  jobs: number;
  /** Jobs per second: local 1 and 2 threads, NATS 1 and 2 workers. */
  local1: number;
  local2: number;
  nats1: number;
  nats2: number;
  /** Mean job time on one local thread, ms. */
  jobMs: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

async function best(repeat: number, run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up
  let fastest = Infinity;
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - t);
  }
  return fastest;
}

export async function sweepNatsBenchmark(seeds = 200, repeat = 2): Promise<SweepThroughput[]> {
  const cluster = await startNatsServer();
  const workerUrl = new URL('../src/backtest/sweep-worker.ts', import.meta.url);
  const text = readFileSync(new URL('../scenarios/as-btc-perpetual.yaml', import.meta.url), 'utf8');
  const out: SweepThroughput[] = [];
  try {
    for (const durationS of [300, 10]) {
      const scenario = parseScenario(text.replace(/^duration_s: 3600$/m, `duration_s: ${durationS}`));
      const jobs = seedJobs(scenario, seeds);
      const reference = await runSweep(jobs, { workers: 1 });
      const local = async (threads: number): Promise<number> => {
        const pool = await startWorkerPool<WorkerTask, WorkerResult>(workerUrl, SWEEP_WORKER_MARK, threads);
        try {
          return await best(repeat, async () => {
            let next = 0;
            const lane = async (w: number): Promise<void> => {
              while (next < jobs.length) await pool.run(w, jobs[next++] as WorkerTask);
            };
            await Promise.all(Array.from({ length: threads }, (_, w) => lane(w)));
          });
        } finally {
          await pool.close();
        }
      };
      const local1 = await local(1);
      const local2 = await local(2);
      const distributed = async (count: number): Promise<number> => {
        const workers: SweepWorker[] = Array.from({ length: count }, (_, i) =>
          serveSweepJobs({ servers: cluster.servers, name: `bench-${i}` }),
        );
        try {
          await Promise.all(workers.map((w) => w.ready));
          return await best(repeat, async () => {
            const { results } = await runDistributedSweep<BacktestReport>(jobs, {
              servers: cluster.servers,
              log: () => undefined,
            });
            if (!isDeepStrictEqual(results, reference))
              throw new Error('a distributed sweep differs from the local one');
          });
        } finally {
          for (const w of workers) w.stop();
          await Promise.all(workers.map((w) => w.done));
        }
      };
      const nats1 = await distributed(1);
      const nats2 = await distributed(2);
      const rate = (ms: number): number => (seeds * 1000) / ms;
      out.push({
        job: `as-btc-perpetual, ${durationS} s of market`,
        jobs: seeds,
        local1: rate(local1),
        local2: rate(local2),
        nats1: rate(nats1),
        nats2: rate(nats2),
        jobMs: local1 / seeds,
      });
    }
  } finally {
    await cluster.stop();
  }
  return out;
}

export function sweepNatsTable(rows: readonly SweepThroughput[]): string {
  const f = (v: number): string => v.toFixed(1);
  return [
    '| job | jobs | job time, 1 thread (ms) | local, 1 thread (jobs/s) | local, 2 threads | NATS, 1 worker | NATS, 2 workers | 2 workers / 1 |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.job} | ${r.jobs} | ${r.jobMs.toFixed(2)} | ${f(r.local1)} | ${f(r.local2)} | ${f(r.nats1)} | ${f(r.nats2)} | ${(r.nats2 / r.nats1).toFixed(2)} |`,
    ),
  ].join('\n');
}

async function main(): Promise<void> {
  const seeds = Number(arg('seeds', '200'));
  const repeat = Number(arg('repeat', '2'));
  const rows = await sweepNatsBenchmark(seeds, repeat);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const table = sweepNatsTable(rows);
  const text = [
    '# Distributed sweep throughput',
    '',
    `Measured with \`npx tsx bench/sweep-nats.ts --seeds ${seeds} --repeat ${repeat}\`, ${new Date().toISOString()},`,
    `Node ${process.version}, ${cpus().length} x ${cpu}; one \`nats-server -js\` on 127.0.0.1; the`,
    'workers in the same process as the coordinator, one job thread each (all on the same cores);',
    `threads started beforehand for both; load average ${loadavg()
      .map((v) => v.toFixed(1))
      .join(', ')} at the end.`,
    'Best of the measured sweeps after a warm-up; from the first job published to the last result.',
    '',
    table,
    '',
  ].join('\n');
  console.log(text);
  if (!process.argv.includes('--no-write')) {
    writeFileSync(resolve(arg('out', fileURLToPath(new URL('./RESULTS-sweeps.md', import.meta.url)))), text);
  }
}

if (process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  await main();
}
