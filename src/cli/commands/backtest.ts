/**
 * `ballast backtest --scenario FILE [--seeds N] [--json] [--html FILE] [--paths]`: runs a
 * scenario file (`src/backtest/scenario.ts`, `docs/backtest.md`) for its seed, or for N seeds
 * from it, and prints every run's figures and their summary; the same seed gives the same bytes.
 * `--html` writes the report with charts (P&L, inventory, mid) of the first seed. A
 * `kind: hedging` file (`src/backtest/hedge-scenario.ts`) runs the hedging study instead, a
 * `kind: options` file (`src/backtest/options-scenario.ts`, `docs/options-backtest.md`) the
 * book-level against per-option options quoting study.
 */
import { readFile, writeFile } from 'node:fs/promises';

import { InvalidArgumentError, type Command } from 'commander';

import { htmlReport } from '../../backtest/chart.js';
import { runBacktest, type BacktestReport } from '../../backtest/runner.js';
import { loadRecordedEvents, runRecordedBacktest, scenarioDir } from '../../backtest/recorded-runner.js';
import {
  runEngineScenario,
  validateEngineScenario,
  type EngineScenario,
} from '../../backtest/engine-scenario.js';
import {
  hedgeScenarioReport,
  validateHedgeScenario,
  type HedgeScenario,
  type HedgeSeedReport,
} from '../../backtest/hedge-scenario.js';
import {
  optionsScenarioReport,
  validateOptionsScenario,
  type OptionsModeFigures,
  type OptionsScenario,
  type OptionsSeedReport,
} from '../../backtest/options-scenario.js';
import {
  parseDocument,
  parseScenarioSweep,
  scenarioKind,
  type RecordedMarket,
  type ScenarioVariant,
} from '../../backtest/scenario.js';
import type { MarketEvent } from '../../market/events.js';
import { runHedgeSweep, runOptionsSweep, runSweep, seedJobs } from '../../backtest/sweep.js';
import type { HedgeTask, OptionsTask, WorkerResult, WorkerTask } from '../../backtest/sweep-worker.js';
import { isNatsSpec, parseNatsServers, runDistributedSweep } from '../../bus/nats/sweeps.js';
import { InputError } from '../../model/errors.js';
import { InputFileError } from '../jsonl.js';

/** Mean figures over runs. */
interface SweepSummary {
  seeds: number;
  pnl_usd_mean: number;
  pnl_usd_std: number;
  sharpe_mean: number;
  max_drawdown_usd_mean: number;
  fill_ratio_mean: number;
}

/** The figures of a run without its paths. */
type RunFigures = Omit<BacktestReport, 'paths'>;

function figures(report: BacktestReport, withPaths: boolean): RunFigures | BacktestReport {
  if (withPaths) return report;
  const { paths: _paths, ...rest } = report;
  return rest;
}

function meanStd(xs: readonly number[]): { mean: number; std: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

/** Progress on stderr when it is a terminal: a bar of runs done. */
function progressBar(done: number, total: number): void {
  if (process.stderr.isTTY !== true) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} runs`);
  if (done === total) process.stderr.write('\r\x1b[K');
}

/** `--workers`: a thread count, or NATS servers whose `ballast worker`s run the jobs. */
type Workers = number | { nats: string[] };

/** The thread count of `--workers`, if it is one. */
function threads(workers: Workers | undefined): { workers?: number } {
  return typeof workers === 'number' ? { workers } : {};
}

/**
 * Runs `tasks` on the `ballast worker`s of `nats` (`src/bus/nats/sweeps.ts`); the results in
 * task order, as a local sweep gives them. Ctrl-C abandons the sweep (its jobs are withdrawn).
 * What the coordinator saw goes to stderr as one line, `ballast: sweep {...}`.
 */
async function distributed<R extends WorkerResult>(
  nats: string[],
  tasks: readonly WorkerTask[],
  dropPaths: boolean,
): Promise<R[]> {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { results, stats } = await runDistributedSweep<R>(tasks, {
      servers: nats,
      onProgress: progressBar,
      dropPaths,
      signal: controller.signal,
    });
    process.stderr.write(`ballast: sweep ${JSON.stringify(stats)}\n`);
    return results;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A hedging study (`kind: hedging`): every seed on worker threads, the JSON report or a table. */
async function runHedging(
  scenario: HedgeScenario,
  options: { seeds: number; workers?: Workers; json?: boolean },
  setExitCode: (code: number) => void,
): Promise<void> {
  const seeds =
    typeof options.workers === 'object'
      ? await distributed<HedgeSeedReport>(
          options.workers.nats,
          Array.from({ length: options.seeds }, (_, i): HedgeTask => ({
            hedge: scenario,
            seed: scenario.study.seed + i,
          })),
          false,
        )
      : await runHedgeSweep(scenario, options.seeds, {
          onProgress: progressBar,
          ...threads(options.workers),
        });
  const report = hedgeScenarioReport(scenario, seeds);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const lines = [
      `${report.name}: ${report.policy.kind} against the best of ${scenario.sweepIntervals.length} fixed intervals, ${seeds.length} seed(s)`,
      `objective: ${report.objective}`,
      '',
      'seed   policy objective   cost    P&L std   best interval  its objective   cost    P&L std  policy wins',
    ];
    for (const r of report.seeds) {
      const best = r.intervals.find(
        (x) => x.intervalMinutes === r.bestIntervalMinutes,
      ) as (typeof r.intervals)[number];
      lines.push(
        `${String(r.seed).padEnd(7)}${r.policy.objective.toFixed(0).padStart(16)}${r.policy.meanCost.toFixed(0).padStart(8)}${r.policy.pnlStd.toFixed(0).padStart(10)}${`${r.bestIntervalMinutes} min`.padStart(15)}${best.objective.toFixed(0).padStart(15)}${best.meanCost.toFixed(0).padStart(8)}${best.pnlStd.toFixed(0).padStart(10)}  ${r.policyWins ? 'yes' : 'no'}`,
      );
    }
    lines.push('', `the policy wins on ${report.wins} of ${report.seeds.length} seed(s)`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  setExitCode(0);
}

/**
 * An options quoting study (`kind: options`): every seed on worker threads, the JSON report or a
 * table of both quoters' max |vega| per expiry and in total, breach, contracts and P&L.
 */
/** A backtest through the engine's own loop on the simulated venue (`kind: engine`), seed after seed. */
async function runEngine(
  scenario: EngineScenario,
  options: { seeds: number; json?: boolean },
  setExitCode: (code: number) => void,
): Promise<void> {
  const seeds = await runEngineScenario(scenario, options.seeds, progressBar);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ scenario: scenario.name, kind: 'engine', seeds })}\n`);
  } else {
    const lines = [
      `${scenario.name}: the engine on the simulated venue, ${scenario.durationS} s a seed, ${seeds.length} seed(s)`,
      '',
      'seed    fills  orders  positions     P&L USD  max |delta|  hedges  hedge cost USD  state',
    ];
    for (const r of seeds) {
      lines.push(
        `${String(r.seed).padEnd(6)}${String(r.fills).padStart(7)}${String(r.orders_sent).padStart(8)}${String(r.positions).padStart(11)}${r.pnl_usd.toFixed(2).padStart(12)}${r.max_abs_delta_coin.toFixed(3).padStart(13)}${String(r.hedges).padStart(8)}${r.hedging_cost_usd.toFixed(2).padStart(16)}  ${r.trading_state}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  setExitCode(0);
}

async function runOptions(
  scenario: OptionsScenario,
  options: { seeds: number; workers?: Workers; json?: boolean },
  setExitCode: (code: number) => void,
): Promise<void> {
  const seeds =
    typeof options.workers === 'object'
      ? await distributed<OptionsSeedReport>(
          options.workers.nats,
          Array.from({ length: options.seeds }, (_, i): OptionsTask => ({
            options: scenario,
            seed: scenario.seed + i,
          })),
          false,
        )
      : await runOptionsSweep(scenario, options.seeds, {
          onProgress: progressBar,
          ...threads(options.workers),
        });
  const report = optionsScenarioReport(scenario, seeds);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const limits = report.expiryDays
      .map((d, e) => `${d} d ${report.vegaLimitPerExpiry[e]!.toFixed(0)}`)
      .join(', ');
    const vegaHead = [...report.expiryDays.map((d) => `${d} d`), 'total'].map((h) => h.padStart(7)).join('');
    const mode = (m: OptionsModeFigures): string =>
      [...m.maxAbsVega, m.maxAbsVegaTotal].map((v) => v.toFixed(0).padStart(7)).join('') +
      `${(m.maxVegaUse * 100).toFixed(0).padStart(6)}%${(m.breached ? 'yes' : 'no').padStart(6)}` +
      `${m.contractsTraded.toFixed(1).padStart(8)}${m.pnlCoin.toFixed(4).padStart(10)}`;
    const modeHead = `${vegaHead}${'use'.padStart(7)}${'over'.padStart(6)}${'traded'.padStart(8)}${'P&L BTC'.padStart(10)}`;
    const width = modeHead.length;
    const lines = [
      `${report.name}: book-level against per-option quoting, ${seeds.length} seed(s)`,
      `|vega| limits, USD per vol point: ${limits}, total ${report.vegaLimitTotal.toFixed(0)}`,
      `max |vega| per expiry and in total; use: the largest max |vega| / its limit`,
      '',
      `${''.padEnd(6)}${'book-level'.padEnd(width)}  ${'per-option'.padEnd(width)}`,
      `${'seed'.padEnd(6)}${modeHead}  ${modeHead}  holds`,
    ];
    for (const r of report.seeds)
      lines.push(
        `${String(r.seed).padEnd(6)}${mode(r.book)}  ${mode(r.perOption)}  ${r.holds ? 'yes' : 'no'}`,
      );
    lines.push(
      '',
      `book-level inside its limits and per-option over them on ${report.held} of ${report.seeds.length} seed(s): ${report.holds ? 'holds' : 'does not hold'} (needs 80%)`,
    );
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  setExitCode(0);
}

export function registerBacktest(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('backtest')
    .summary('run a scenario file on the simulated exchange, for one seed or many')
    .description(
      'Runs a scenario (JSON or YAML: market generator, taker flow, strategy and its parameters,\n' +
        'latency, seed; see docs/backtest.md) through the simulated exchange and prints P&L in coin\n' +
        'and USD, Sharpe, drawdown, fill ratio, spread captured, markouts at 1/10/60 s and inventory.\n' +
        'With --seeds N the seeds from the scenario seed on; every run is reported, then the summary.',
    )
    .requiredOption('--scenario <file>', 'the scenario file')
    .option(
      '--seeds <n>',
      'number of seeds to run, from the scenario seed',
      (v) => {
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1)
          throw new InvalidArgumentError('--seeds: expected an integer >= 1');
        return n;
      },
      1,
    )
    .option(
      '--workers <n|nats://host:port,...>',
      'worker threads for a sweep (default: up to 2), or NATS servers whose `ballast worker`s run it',
      (v): Workers => {
        if (isNatsSpec(v)) return { nats: parseNatsServers(v) };
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 1)
          throw new InvalidArgumentError('--workers: expected an integer >= 1 or nats://host:port[,...]');
        return n;
      },
    )
    .option('--json', 'print one JSON object')
    .option('--paths', 'include the per-step paths (mid, inventory, P&L) in the JSON')
    .option('--html <file>', "write the first seed's report with charts as an HTML page")
    .action(
      async (options: {
        scenario: string;
        seeds: number;
        workers?: Workers;
        json?: boolean;
        paths?: boolean;
        html?: string;
      }) => {
        let text: string;
        try {
          text = await readFile(options.scenario, 'utf8');
        } catch {
          throw new InputFileError(options.scenario, 'cannot read the scenario file');
        }
        const document = parseDocument(text, options.scenario);
        if (scenarioKind(document) === 'hedging') {
          await runHedging(validateHedgeScenario(document), options, setExitCode);
          return;
        }
        if (scenarioKind(document) === 'engine') {
          if (typeof options.workers === 'object')
            throw new InputError(
              '--workers',
              'nats://...',
              'a thread count: engine scenarios run on this machine',
            );
          await runEngine(validateEngineScenario(document), options, setExitCode);
          return;
        }
        if (scenarioKind(document) === 'options') {
          await runOptions(validateOptionsScenario(document), options, setExitCode);
          return;
        }
        const variants = parseScenarioSweep(text, options.scenario);
        const scenario = (variants[0] as ScenarioVariant).scenario;
        const progress = progressBar;
        // One run on this thread; more on worker threads (the same reports, in job order):
        // every sweep combination, each for every seed.
        const jobs = variants.flatMap((v) => seedJobs(v.scenario, options.seeds));
        const params = variants.flatMap((v) => Array.from({ length: options.seeds }, () => v.params));
        let reports: BacktestReport[];
        if (scenario.market.model === 'recorded' && typeof options.workers === 'object') {
          throw new InputError(
            '--workers',
            'nats://...',
            'a thread count: recorded data is read on this machine',
          );
        }
        if (typeof options.workers === 'object') {
          reports = await distributed<BacktestReport>(
            options.workers.nats,
            jobs,
            options.paths !== true && options.html === undefined,
          );
        } else if (scenario.market.model === 'recorded') {
          // Recorded data: read once per file, replayed on this thread for every job.
          const loaded = new Map<string, MarketEvent[]>();
          reports = [];
          for (const [i, job] of jobs.entries()) {
            const market = job.scenario.market as RecordedMarket;
            let events = loaded.get(market.file);
            if (events === undefined) {
              events = await loadRecordedEvents(
                market,
                job.scenario.instrument,
                scenarioDir(options.scenario),
              );
              loaded.set(market.file, events);
            }
            reports.push(runRecordedBacktest(job.scenario, events, job.seed));
            progress(i + 1, jobs.length);
          }
        } else {
          reports =
            jobs.length === 1
              ? [runBacktest(scenario)]
              : await runSweep(jobs, { onProgress: progress, ...threads(options.workers) });
        }
        const summarize = (rs: readonly BacktestReport[]): SweepSummary => {
          const pnl = meanStd(rs.map((r) => r.pnl_usd));
          return {
            seeds: rs.length,
            pnl_usd_mean: pnl.mean,
            pnl_usd_std: pnl.std,
            sharpe_mean: meanStd(rs.map((r) => r.sharpe)).mean,
            max_drawdown_usd_mean: meanStd(rs.map((r) => r.max_drawdown_usd)).mean,
            fill_ratio_mean: meanStd(rs.map((r) => r.fill_ratio)).mean,
          };
        };
        const pnl = meanStd(reports.map((r) => r.pnl_usd));
        const summary = summarize(reports);
        const perVariant = variants.map((v, i) => ({
          params: v.params,
          ...summarize(reports.slice(i * options.seeds, (i + 1) * options.seeds)),
        }));
        if (options.html !== undefined) {
          const first = reports[0] as BacktestReport;
          const { paths } = first;
          const table: Record<string, string | number> = {
            scenario: first.scenario,
            seed: first.seed,
            strategy: first.strategy,
            fills: first.fills,
            'P&L (USD)': first.pnl_usd,
            'P&L (coin)': first.pnl_coin,
            Sharpe: first.sharpe,
            'max drawdown (USD)': first.max_drawdown_usd,
            'fill ratio': first.fill_ratio,
            'spread captured (bps)': first.spread_captured.bps,
          };
          for (const m of first.markouts) table[`markout ${m.horizon_ms / 1000} s (bps)`] = m.bps;
          await writeFile(
            options.html,
            htmlReport(`${first.scenario}, seed ${first.seed}`, table, [
              { title: 'P&L', unit: 'USD', timesMs: paths.times_ms, values: paths.pnl_usd },
              { title: 'Inventory', unit: 'USD', timesMs: paths.times_ms, values: paths.inventory_usd },
              { title: 'Mid', unit: 'USD', timesMs: paths.times_ms, values: paths.mid },
            ]),
          );
        }
        if (options.json === true) {
          const runs = reports.map((r, i) => ({ params: params[i], ...figures(r, options.paths === true) }));
          process.stdout.write(
            `${JSON.stringify({ scenario: scenario.name, runs, summary, variants: perVariant })}\n`,
          );
        } else {
          const lines = [`${scenario.name}: ${reports.length} run(s)`, ''];
          lines.push(
            'seed      P&L USD     P&L coin    Sharpe   max DD USD  fills  fill ratio  edge bps  markout 60 s bps',
          );
          for (const r of reports) {
            const m60 = r.markouts.find((m) => m.horizon_ms === 60_000)?.bps ?? 0;
            lines.push(
              `${String(r.seed).padEnd(6)}${r.pnl_usd.toFixed(2).padStart(11)}${r.pnl_coin.toFixed(6).padStart(13)}${r.sharpe.toFixed(1).padStart(10)}${r.max_drawdown_usd.toFixed(2).padStart(13)}${String(r.fills).padStart(7)}${r.fill_ratio.toFixed(3).padStart(12)}${r.spread_captured.bps.toFixed(2).padStart(10)}${m60.toFixed(2).padStart(18)}`,
            );
          }
          lines.push(
            '',
            `P&L USD mean ${pnl.mean.toFixed(2)}, std ${pnl.std.toFixed(2)} over ${reports.length} run(s)`,
          );
          const guarded = reports.filter((r) => r.protection_events.length > 0);
          if (guarded.length > 0) {
            lines.push('', 'protections:');
            for (const r of guarded) {
              const drops = r.protection_events.filter((e) => e.type === 'disconnect').length;
              lines.push(
                `  seed ${r.seed}: ${r.mmp_triggers} MMP trigger(s); ${drops} drop(s), ${r.cancelled_on_disconnect} order(s) cancelled on disconnect`,
              );
            }
          }
          if (variants.length > 1) {
            lines.push('', 'by sweep combination:');
            for (const v of perVariant) {
              lines.push(
                `  ${JSON.stringify(v.params)}: P&L USD mean ${v.pnl_usd_mean.toFixed(2)}, std ${v.pnl_usd_std.toFixed(2)}, Sharpe ${v.sharpe_mean.toFixed(1)}`,
              );
            }
          }
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        setExitCode(0);
      },
    );
}
