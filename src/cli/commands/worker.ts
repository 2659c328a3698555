/**
 * `ballast worker --nats URL[,URL...] [--concurrency N] [--ack-wait S] [--name NAME] [--verbose]`:
 * takes backtest sweep jobs from NATS JetStream (`src/bus/nats/sweeps.ts`), runs them on worker
 * threads with the local sweep code and publishes their results, until SIGINT or SIGTERM: the
 * first signal takes no more jobs and finishes those in hand, a second gives them back (nak)
 * and exits at once.
 */
import { InvalidArgumentError, type Command } from 'commander';

import { parseNatsServers, serveSweepJobs } from '../../bus/nats/sweeps.js';

export function registerWorker(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('worker')
    .summary('take backtest sweep jobs from NATS JetStream and run them')
    .description(
      'Takes the jobs that `ballast backtest --workers nats://...` puts on NATS JetStream (stream\n' +
        'BALLAST_JOBS, shared consumer ballast-workers), runs each (one scenario, one seed) on a\n' +
        'worker thread and publishes its result (stream BALLAST_RESULTS). Runs until SIGINT or\n' +
        'SIGTERM: the first finishes the jobs in hand, a second gives them back at once.',
    )
    .requiredOption('--nats <urls>', 'NATS servers: nats://host:port[,host:port...]')
    .option(
      '--concurrency <n>',
      'jobs run at once, each on its own thread',
      (v) => {
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1)
          throw new InvalidArgumentError('--concurrency: expected an integer >= 1');
        return n;
      },
      1,
    )
    .option(
      '--ack-wait <s>',
      "set the shared consumer's ack wait: a job not acked in this time (its worker died) goes to another (default: as set, 30 s when created)",
      (v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError('--ack-wait: expected seconds >= 1');
        return n;
      },
    )
    .option('--name <name>', "this worker's name in results (default host:pid)")
    .option('--verbose', 'a line on stderr per job taken, published and done')
    .action(
      async (options: {
        nats: string;
        concurrency: number;
        ackWait?: number;
        name?: string;
        verbose?: boolean;
      }) => {
        const servers = parseNatsServers(options.nats);
        const worker = serveSweepJobs({
          servers,
          concurrency: options.concurrency,
          ...(options.ackWait === undefined ? {} : { ackWaitMs: options.ackWait * 1000 }),
          ...(options.name === undefined ? {} : { name: options.name }),
          ...(options.verbose === true
            ? { log: (line: string) => process.stderr.write(`worker: ${line}\n`) }
            : {}),
        });
        let signals = 0;
        const onSignal = (): void => {
          signals += 1;
          if (signals === 1) {
            process.stderr.write('worker: stopping after the jobs in hand (again to give them back)\n');
            worker.stop();
          } else {
            worker.abort();
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        try {
          await worker.ready;
          process.stderr.write(
            `worker: ready on ${servers.join(',')} with ${options.concurrency} thread(s)\n`,
          );
          const { jobs } = await worker.done;
          process.stderr.write(`worker: stopped after ${jobs} job(s)\n`);
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        setExitCode(0);
      },
    );
}
