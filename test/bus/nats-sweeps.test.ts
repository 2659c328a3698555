/**
 * Distributed backtest sweeps (`src/bus/nats/sweeps.ts`) against a real 3-node NATS JetStream
 * cluster on loopback, with the built CLI as a user runs it: two `ballast worker` processes and
 * `ballast backtest --workers nats://...` as the coordinator. The report must be byte for byte
 * the local run's, also when a worker is killed with a job in hand (that job is redelivered to
 * the other worker and recorded once). Skipped without nats-server, except under CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeValue, encodeValue, parseNatsServers } from '../../src/bus/nats/sweeps.js';
import type { SweepStats } from '../../src/bus/nats/sweeps.js';
import { cliPath, ensureBuilt, repoRoot, runCli, type CliResult } from '../cli/run-cli.js';
import { natsRequired, natsServerBin, startNatsCluster, type NatsCluster } from '../support/nats.js';

const SEEDS = 200;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('sweep job encoding', () => {
  it('keeps the numbers JSON cannot hold', () => {
    const value = { a: NaN, b: [Infinity, -Infinity, -0, 0, 1.5e-300], c: { $n: 'x', d: 1 }, e: 'NaN' };
    const back = decodeValue(encodeValue(value)) as typeof value;
    expect(Number.isNaN(back.a)).toBe(true);
    expect(back.b).toEqual([Infinity, -Infinity, -0, 0, 1.5e-300]);
    expect(Object.is(back.b[2], -0)).toBe(true);
    expect(Object.is(back.b[3], 0)).toBe(true);
    expect(back.c).toEqual({ $n: 'x', d: 1 });
    expect(back.e).toBe('NaN');
  });

  it('reads server lists with or without a scheme on each', () => {
    expect(parseNatsServers('nats://a:1,b:2, nats://c:3')).toEqual([
      'nats://a:1',
      'nats://b:2',
      'nats://c:3',
    ]);
  });
});

/** A `ballast worker` process with its stderr lines. */
interface WorkerProcess {
  name: string;
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function startWorker(servers: string[], name: string): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [cliPath, 'worker', '--nats', servers.join(','), '--name', name, '--ack-wait', '2', '--verbose'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const lines: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const worker = { name, child, lines, exited };
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const poll = (): void => {
      if (lines.some((l) => l.startsWith('worker: ready'))) return resolve(worker);
      if (child.exitCode !== null || Date.now() > deadline)
        return reject(new Error(`worker ${name} did not start: ${lines.join('\n')}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

/** The `ballast: sweep {...}` line of a coordinator's stderr. */
function sweepStats(result: CliResult): SweepStats {
  const line = result.stderr.split('\n').find((l) => l.startsWith('ballast: sweep {'));
  if (line === undefined) throw new Error(`no sweep stats in: ${result.stderr}`);
  return JSON.parse(line.slice('ballast: sweep '.length)) as SweepStats;
}

const doneCount = (w: WorkerProcess): number => w.lines.filter((l) => l.startsWith('worker: done ')).length;

const d = natsServerBin() === null && !natsRequired ? describe.skip : describe;

d('distributed sweeps over NATS JetStream', () => {
  let cluster: NatsCluster;
  let dir: string;
  let scenario: string;
  let local: string;

  beforeAll(async () => {
    ensureBuilt();
    cluster = await startNatsCluster();
    dir = mkdtempSync(join(tmpdir(), 'ballast-sweeps-'));
    scenario = join(dir, 'short.yaml');
    const text = readFileSync(join(repoRoot, 'scenarios', 'as-btc-perpetual.yaml'), 'utf8');
    expect(text).toMatch(/^duration_s: 3600$/m);
    writeFileSync(scenario, text.replace(/^duration_s: 3600$/m, 'duration_s: 300'));
    const run = await runCli(['backtest', '--scenario', scenario, '--seeds', String(SEEDS), '--json']);
    expect(run.code, run.stderr).toBe(0);
    local = run.stdout;
    const report = JSON.parse(local) as { runs: { seed: number }[] };
    expect(report.runs.map((r) => r.seed)).toEqual(Array.from({ length: SEEDS }, (_, i) => 1 + i));
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** The sweep of SEEDS seeds put on the cluster's work queue. */
  const distributedRun = (): string[] => [
    'backtest',
    '--scenario',
    scenario,
    '--seeds',
    String(SEEDS),
    '--json',
    '--workers',
    cluster.servers.join(','),
  ];

  it('200 seeds over 2 workers give the local run byte for byte', async () => {
    const workers = await Promise.all([startWorker(cluster.servers, 'a'), startWorker(cluster.servers, 'b')]);
    try {
      const run = await runCli(distributedRun());
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(local);
      const stats = sweepStats(run);
      expect(stats.recorded).toBe(SEEDS);
      expect(stats.mismatched).toBe(0);
      // Both workers took part.
      expect(stats.workers['a'] ?? 0).toBeGreaterThan(0);
      expect(stats.workers['b'] ?? 0).toBeGreaterThan(0);
      expect((stats.workers['a'] ?? 0) + (stats.workers['b'] ?? 0)).toBe(SEEDS);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
    }
    // A clean stop on SIGTERM.
    for (const w of workers) {
      expect(await w.exited).toBe(0);
      expect(w.lines.some((l) => /^worker: stopped after \d+ job\(s\)$/.test(l))).toBe(true);
    }
  }, 120_000);

  it('a worker killed with a job in hand changes nothing: the job is redelivered and recorded once', async () => {
    const [a, b] = await Promise.all([startWorker(cluster.servers, 'a'), startWorker(cluster.servers, 'b')]);
    try {
      const coordinator = runCli(distributedRun());
      // After some results, freeze worker a; kill it when it has a job taken and not yet
      // published (else let it go on and try again a moment later).
      const deadline = Date.now() + 60_000;
      while (doneCount(a) < 20) {
        if (Date.now() > deadline) throw new Error(`worker a did no jobs: ${a.lines.join('\n')}`);
        await sleep(20);
      }
      let inHand: string | null = null;
      for (let attempt = 0; attempt < 100 && inHand === null; attempt++) {
        a.child.kill('SIGSTOP');
        await sleep(150); // its stderr (synchronous pipe writes) is all read by now
        const last = a.lines.at(-1) ?? '';
        const taken = /^worker: taken (\S+) delivery \d+$/.exec(last);
        if (taken !== null) {
          inHand = taken[1]!;
          a.child.kill('SIGKILL');
        } else {
          a.child.kill('SIGCONT');
          await sleep(7 + attempt);
        }
      }
      expect(inHand, 'worker a never caught with a job in hand').not.toBeNull();
      await a.exited;
      const doneByA = doneCount(a);

      const run = await coordinator;
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(local);
      const stats = sweepStats(run);
      const index = Number(inHand!.split('/')[1]);
      expect(inHand!.split('/')[0]).toBe(stats.sweep);
      // Redelivered: recorded from a later delivery, by worker b, and once.
      expect(stats.redelivered).toContainEqual({ index, deliveries: 2 });
      expect(b.lines).toContain(`worker: taken ${inHand} delivery 2`);
      expect(b.lines).toContain(`worker: done ${inHand}`);
      expect(stats.recorded).toBe(SEEDS);
      expect(stats.mismatched).toBe(0);
      expect(stats.workers['a']).toBe(doneByA);
      expect(stats.workers['b']).toBe(SEEDS - doneByA);
      expect(doneByA).toBeLessThan(SEEDS);
    } finally {
      a.child.kill('SIGKILL');
      b.child.kill('SIGTERM');
    }
    expect(await b.exited).toBe(0);
  }, 120_000);
});
