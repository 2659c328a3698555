/**
 * Distributed backtest sweeps over NATS JetStream: a coordinator (`ballast backtest --workers
 * nats://...`) puts one job per (scenario, seed) on a work-queue stream; `ballast worker`
 * processes on any machine take them, run them with the local sweep code (`runTask` of
 * `backtest/sweep-worker.ts`, on worker threads) and publish each result; the coordinator
 * collects the results by job index, so its report is the one a local run gives.
 *
 * The protocol:
 * - `BALLAST_JOBS`: a work-queue stream on `ballast.jobs.>`; a sweep's jobs go to
 *   `ballast.jobs.<sweep-id>`, each with the message id `<sweep-id>/<index>` (a job published
 *   twice is stored once). A job is a JSON `SweepJob` (the `WorkerTask` of the local sweep).
 * - `ballast-workers`: one durable pull consumer of that stream shared by every worker (explicit
 *   acks; ack wait 30 s by default). A worker pulls one job per lane, sends `working` heartbeats
 *   every third of the ack wait while it runs, publishes the result, then acks. A worker killed
 *   with a job in hand never acks it: the server redelivers it after the ack wait to another.
 * - `BALLAST_RESULTS`: a stream on `ballast.results.>` (kept an hour); a job's result goes to
 *   `ballast.results.<sweep-id>` with the message id `<sweep-id>/<index>`, so a job done twice
 *   (its result published, then its worker killed before the ack) is stored once within the
 *   stream's de-duplication window; past it, the coordinator keeps the first result per index
 *   and checks that a later one has the same bytes. Headers: `Ballast-Index`,
 *   `Ballast-Deliveries` (how many times the job was handed out), `Ballast-Worker`, and
 *   `Ballast-Error` when the job threw (the body is then the message).
 *
 * Numbers that JSON cannot hold (NaN, infinities, -0) are carried as `{"$n": "NaN"}` and so on,
 * so a result decoded here is the value a worker thread would have returned.
 */
import { hostname } from 'node:os';

import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  StringCodec,
  connect,
  headers as natsHeaders,
  nanos,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
} from 'nats';

import { locateWorker, startWorkerPool, type WorkerPool } from '../../engine/worker-pool.js';
import { BallastError, InputError } from '../../model/errors.js';
import { SWEEP_WORKER_MARK, type WorkerResult, type WorkerTask } from '../../backtest/sweep-worker.js';

export const JOBS_STREAM = 'BALLAST_JOBS';
export const RESULTS_STREAM = 'BALLAST_RESULTS';
export const WORKERS_CONSUMER = 'ballast-workers';
/** Default ack wait of the workers' consumer, ms. */
export const DEFAULT_ACK_WAIT_MS = 30_000;

export const jobsSubject = (sweep: string): string => `ballast.jobs.${sweep}`;
export const resultsSubject = (sweep: string): string => `ballast.results.${sweep}`;
export const jobMessageId = (sweep: string, index: number): string => `${sweep}/${index}`;

/** One job on the stream. */
export interface SweepJob {
  v: 1;
  sweep: string;
  index: number;
  total: number;
  task: WorkerTask;
  /** Leave out a quoting report's per-step paths (the coordinator does not need them). */
  dropPaths: boolean;
}

/** Whether a `--workers` value names NATS servers rather than a thread count. */
export function isNatsSpec(spec: string): boolean {
  return /^(nats|tls|ws|wss):\/\//i.test(spec.trim());
}

/** `nats://a:4222,b:4222` or `nats://a:4222,nats://b:4222`: the server URLs. */
export function parseNatsServers(spec: string): string[] {
  const parts = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new InputError('nats', spec, 'nats://host:port[,host:port...]');
  return parts.map((p) => (/^[a-z]+:\/\//i.test(p) ? p : `nats://${p}`));
}

/** JSON with NaN, +-Infinity and -0 kept (as `{"$n": ...}`). */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'number') return v;
    if (Number.isNaN(v)) return { $n: 'NaN' };
    if (v === Infinity) return { $n: 'Infinity' };
    if (v === -Infinity) return { $n: '-Infinity' };
    if (Object.is(v, -0)) return { $n: '-0' };
    return v;
  });
}

/** The inverse of `encodeValue`. */
export function decodeValue(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    const n = (v as { $n?: unknown }).$n;
    if (keys.length !== 1 || typeof n !== 'string') return v;
    if (n === 'NaN') return NaN;
    if (n === 'Infinity') return Infinity;
    if (n === '-Infinity') return -Infinity;
    if (n === '-0') return -0;
    return v;
  });
}

const sc = StringCodec();

/** Creates the jobs and results streams when missing. */
export async function ensureSweepStreams(jsm: JetStreamManager, replicas = 1): Promise<void> {
  const want = [
    {
      name: JOBS_STREAM,
      subjects: ['ballast.jobs.>'],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
      max_age: nanos(24 * 3600_000),
      duplicate_window: nanos(120_000),
    },
    {
      name: RESULTS_STREAM,
      subjects: ['ballast.results.>'],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      num_replicas: replicas,
      max_age: nanos(3600_000),
      duplicate_window: nanos(120_000),
    },
  ];
  for (const config of want) {
    try {
      await jsm.streams.info(config.name);
    } catch {
      try {
        await jsm.streams.add(config);
      } catch (error) {
        // Another process may have created it in between.
        await jsm.streams.info(config.name).catch(() => {
          throw error;
        });
      }
    }
  }
}

/** Creates the workers' consumer when missing, or sets its ack wait; resolves with the ack wait in force, ms. */
export async function ensureWorkersConsumer(jsm: JetStreamManager, ackWaitMs?: number): Promise<number> {
  const existing = await jsm.consumers.info(JOBS_STREAM, WORKERS_CONSUMER).catch(() => null);
  if (existing === null) {
    try {
      const info = await jsm.consumers.add(JOBS_STREAM, {
        durable_name: WORKERS_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
        filter_subject: 'ballast.jobs.>',
        max_ack_pending: 10_000,
      });
      return (info.config.ack_wait ?? nanos(DEFAULT_ACK_WAIT_MS)) / 1e6;
    } catch (error) {
      const raced = await jsm.consumers.info(JOBS_STREAM, WORKERS_CONSUMER).catch(() => null);
      if (raced === null) throw error;
      return ensureWorkersConsumer(jsm, ackWaitMs);
    }
  }
  const current = (existing.config.ack_wait ?? nanos(DEFAULT_ACK_WAIT_MS)) / 1e6;
  if (ackWaitMs === undefined || Math.abs(current - ackWaitMs) < 1) return current;
  const info = await jsm.consumers.update(JOBS_STREAM, WORKERS_CONSUMER, { ack_wait: nanos(ackWaitMs) });
  return (info.config.ack_wait ?? nanos(DEFAULT_ACK_WAIT_MS)) / 1e6;
}

/** A fresh sweep id (a subject token: letters and digits). */
export function newSweepId(): string {
  const random = Math.floor(Math.random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0');
  return `s${Date.now().toString(36)}${random}`;
}

// ---------------------------------------------------------------------------------------------
// The coordinator.

/** Options of `runDistributedSweep`. */
export interface DistributedSweepOptions {
  servers: readonly string[];
  /** Called after each new result with the count done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Notes for the operator (stalls, duplicates that differ), one line each. */
  log?: (line: string) => void;
  /** Leave out quoting reports' paths on the way back (default false). */
  dropPaths?: boolean;
  /** A note after this long without a new result, ms (default 30 000). */
  stallNoticeMs?: number;
  /** Abandons the sweep: its jobs are purged and the promise rejects. */
  signal?: AbortSignal;
  /** Stream replicas when the streams are created (default 1). */
  replicas?: number;
}

/** What the coordinator saw. */
export interface SweepStats {
  sweep: string;
  jobs: number;
  /** Results recorded: one per job. */
  recorded: number;
  /** Results received for a job already recorded (same bytes). */
  duplicates: number;
  /** Of those, how many had different bytes (logged; the first was kept). */
  mismatched: number;
  /** Jobs whose recorded result came from a delivery after the first. */
  redelivered: { index: number; deliveries: number }[];
  /** Jobs recorded per worker name. */
  workers: Record<string, number>;
  elapsedMs: number;
}

/**
 * Runs `tasks` on the workers listening on `servers`; the results in task order and what the
 * coordinator saw. Throws a `BallastError` when a job failed on its worker.
 */
export async function runDistributedSweep<R extends WorkerResult>(
  tasks: readonly WorkerTask[],
  options: DistributedSweepOptions,
): Promise<{ results: R[]; stats: SweepStats }> {
  if (tasks.length === 0) throw new InputError('jobs', 0, 'at least one job');
  const started = performance.now();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const nc = await connect({ servers: [...options.servers], name: 'ballast-sweep' });
  const sweep = newSweepId();
  let messages: ConsumerMessages | null = null;
  let stall: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let finished = false;
  try {
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    await ensureSweepStreams(jsm, options.replicas);
    // Results are read from the stream's start for this sweep: none can be missed.
    const consumer = await js.consumers.get(RESULTS_STREAM, { filterSubjects: resultsSubject(sweep) });
    messages = await consumer.consume();
    await publishJobs(js, sweep, tasks, options.dropPaths === true);

    const results = new Array<R>(tasks.length);
    const bytes = new Array<string | undefined>(tasks.length);
    const stats: SweepStats = {
      sweep,
      jobs: tasks.length,
      recorded: 0,
      duplicates: 0,
      mismatched: 0,
      redelivered: [],
      workers: {},
      elapsedMs: 0,
    };
    let lastResult = Date.now();
    const stallMs = options.stallNoticeMs ?? 30_000;
    stall = setInterval(
      () => {
        if (Date.now() - lastResult < stallMs) return;
        log(
          `ballast: sweep ${sweep}: no result for ${Math.round((Date.now() - lastResult) / 1000)} s, ${stats.recorded}/${tasks.length} done; is a worker running (ballast worker --nats ${options.servers.join(',')})?`,
        );
        lastResult = Date.now();
      },
      Math.max(1000, Math.floor(stallMs / 4)),
    );
    stall.unref();
    const iter = messages;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new BallastError(`sweep ${sweep} interrupted`));
      if (options.signal?.aborted === true) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    const collect = async (): Promise<void> => {
      for await (const m of iter) {
        const index = Number(m.headers?.get('Ballast-Index'));
        if (!Number.isSafeInteger(index) || index < 0 || index >= tasks.length) {
          log(`ballast: sweep ${sweep}: a result without a valid job index, ignored`);
          continue;
        }
        const error = m.headers?.get('Ballast-Error') ?? '';
        if (error !== '') {
          throw new BallastError(
            `sweep ${sweep}: job ${index} failed on worker ${m.headers?.get('Ballast-Worker') ?? '?'}: ${sc.decode(m.data)}`,
          );
        }
        const text = sc.decode(m.data);
        const seen = bytes[index];
        if (seen !== undefined) {
          stats.duplicates += 1;
          if (seen !== text) {
            stats.mismatched += 1;
            log(
              `ballast: sweep ${sweep}: job ${index} was done twice with different results; the first is kept`,
            );
          }
          continue;
        }
        bytes[index] = text;
        results[index] = decodeValue(text) as R;
        const deliveries = Number(m.headers?.get('Ballast-Deliveries') ?? '1');
        if (deliveries > 1) stats.redelivered.push({ index, deliveries });
        const worker = m.headers?.get('Ballast-Worker') ?? '?';
        stats.workers[worker] = (stats.workers[worker] ?? 0) + 1;
        stats.recorded += 1;
        lastResult = Date.now();
        options.onProgress?.(stats.recorded, tasks.length);
        if (stats.recorded === tasks.length) return;
      }
      throw new BallastError(`sweep ${sweep}: the results subscription ended early`);
    };
    await Promise.race([collect(), aborted]);
    finished = true;
    stats.redelivered.sort((a, b) => a.index - b.index);
    stats.elapsedMs = performance.now() - started;
    return { results, stats };
  } finally {
    if (stall !== undefined) clearInterval(stall);
    if (onAbort !== undefined) options.signal?.removeEventListener('abort', onAbort);
    await messages?.close().catch(() => undefined);
    // Jobs left (an interrupted or failed sweep) would be done for no one; the results are read.
    try {
      const jsm = await nc.jetstreamManager();
      if (!finished) await jsm.streams.purge(JOBS_STREAM, { filter: jobsSubject(sweep) });
      await jsm.streams.purge(RESULTS_STREAM, { filter: resultsSubject(sweep) });
    } catch {
      // The streams expire old messages anyway.
    }
    await nc.drain().catch(() => undefined);
  }
}

async function publishJobs(
  js: JetStreamClient,
  sweep: string,
  tasks: readonly WorkerTask[],
  dropPaths: boolean,
): Promise<void> {
  const batch = 64;
  for (let from = 0; from < tasks.length; from += batch) {
    const acks = [];
    for (let index = from; index < Math.min(tasks.length, from + batch); index++) {
      const job: SweepJob = {
        v: 1,
        sweep,
        index,
        total: tasks.length,
        task: tasks[index] as WorkerTask,
        dropPaths,
      };
      acks.push(
        js.publish(jobsSubject(sweep), sc.encode(encodeValue(job)), {
          msgID: jobMessageId(sweep, index),
        }),
      );
    }
    await Promise.all(acks);
  }
}

// ---------------------------------------------------------------------------------------------
// The worker.

/** Options of `serveSweepJobs`. */
export interface SweepWorkerOptions {
  servers: readonly string[];
  /** Jobs run at once, each on its own thread (default 1). */
  concurrency?: number;
  /** Sets the shared consumer's ack wait, ms (default: leave it; 30 s when it is created). */
  ackWaitMs?: number;
  /** This worker's name in results (default `<host>:<pid>`). */
  name?: string;
  /** A line per job taken and done (for operators and tests). */
  log?: (line: string) => void;
  replicas?: number;
}

/** A running worker. */
export interface SweepWorker {
  /** Resolves once connected and its threads are ready. */
  ready: Promise<void>;
  /** Takes no more jobs; those in hand are finished and acked. */
  stop(): void;
  /** Takes no more jobs; those in hand are given back at once (nak) for another worker. */
  abort(): void;
  /** Resolves when stopped, with the count of jobs done. */
  done: Promise<{ jobs: number }>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a worker: takes jobs from the shared consumer until stopped. */
export function serveSweepJobs(options: SweepWorkerOptions): SweepWorker {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new InputError('concurrency', concurrency, 'an integer >= 1');
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const log = options.log ?? (() => undefined);
  let stopping = false;
  let abortNow: () => void = () => undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    abortNow = () => resolve('aborted');
  });
  let readyResolve: () => void = () => undefined;
  let readyReject: (e: unknown) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  ready.catch(() => undefined);
  let jobs = 0;

  const main = async (): Promise<{ jobs: number }> => {
    let nc: NatsConnection | null = null;
    let pool: WorkerPool<WorkerTask, WorkerResult> | null = null;
    try {
      nc = await connect({ servers: [...options.servers], name: `ballast-worker ${name}` });
      const jsm = await nc.jetstreamManager();
      const js = nc.jetstream();
      await ensureSweepStreams(jsm, options.replicas);
      const ackWaitMs = await ensureWorkersConsumer(jsm, options.ackWaitMs);
      const consumer = await js.consumers.get(JOBS_STREAM, WORKERS_CONSUMER);
      const url = locateWorker(
        import.meta.url,
        '../../backtest/sweep-worker.ts',
        ['./backtest/sweep-worker.js', '../backtest/sweep-worker.js', '../../backtest/sweep-worker.js'],
        "'backtest/sweep-worker': 'src/backtest/sweep-worker.ts'",
      );
      pool = await startWorkerPool<WorkerTask, WorkerResult>(url, SWEEP_WORKER_MARK, concurrency);
      readyResolve();
      const heartbeatMs = Math.max(100, Math.floor(ackWaitMs / 3));
      const threads = pool;

      const handle = async (lane: number, msg: JsMsg): Promise<'done' | 'aborted'> => {
        let job: SweepJob;
        try {
          job = decodeValue(sc.decode(msg.data)) as SweepJob;
          if (job.v !== 1 || typeof job.sweep !== 'string' || !Number.isSafeInteger(job.index))
            throw new Error('not a version 1 sweep job');
        } catch (error) {
          log(`job ${msg.subject} #${msg.seq}: unreadable (${String(error)}), dropped`);
          msg.term();
          return 'done';
        }
        const id = jobMessageId(job.sweep, job.index);
        const deliveries = msg.info.deliveryCount;
        log(`taken ${id} delivery ${deliveries}`);
        const heartbeat = setInterval(() => msg.working(), heartbeatMs);
        let outcome: { result: WorkerResult } | { error: string } | 'aborted';
        try {
          outcome = await Promise.race([
            threads.run(lane, job.task).then(
              (result) => ({ result }),
              (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
            ),
            aborted,
          ]);
        } finally {
          clearInterval(heartbeat);
        }
        if (outcome === 'aborted') {
          msg.nak();
          log(`given back ${id}`);
          return 'aborted';
        }
        const h = natsHeaders();
        h.set('Ballast-Index', String(job.index));
        h.set('Ballast-Deliveries', String(deliveries));
        h.set('Ballast-Worker', name);
        let body: string;
        if ('error' in outcome) {
          h.set('Ballast-Error', 'true');
          body = outcome.error;
        } else {
          let result = outcome.result;
          if (job.dropPaths && 'paths' in result) {
            const { paths: _paths, ...rest } = result;
            result = rest as WorkerResult;
          }
          body = encodeValue(result);
        }
        log(`publishing ${id}`);
        await js.publish(resultsSubject(job.sweep), sc.encode(body), {
          msgID: id,
          headers: h,
        });
        // The result is stored (its publish acknowledged): a lost ack only means a redelivery,
        // whose result the stream drops as a duplicate.
        msg.ack();
        jobs += 1;
        log(`done ${id}`);
        return 'done';
      };

      const lane = async (w: number): Promise<void> => {
        while (!stopping) {
          let msg: JsMsg | null;
          try {
            msg = await consumer.next({ expires: 2000 });
          } catch (error) {
            if (stopping) break;
            log(`pull failed (${error instanceof Error ? error.message : String(error)}); retrying`);
            await sleep(1000);
            continue;
          }
          if (msg === null) continue;
          if (stopping) {
            msg.nak();
            break;
          }
          if ((await handle(w, msg)) === 'aborted') break;
        }
      };
      await Promise.race([Promise.all(Array.from({ length: concurrency }, (_, w) => lane(w))), aborted]);
      return { jobs };
    } catch (error) {
      readyReject(error);
      throw error;
    } finally {
      await pool?.close();
      await nc?.drain().catch(() => undefined);
    }
  };

  const done = main();
  return {
    ready,
    stop() {
      stopping = true;
    },
    abort() {
      stopping = true;
      abortNow();
    },
    done,
  };
}
