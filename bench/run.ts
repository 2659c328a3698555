/**
 * `npm run bench`: every benchmark suite, one run, figures printed as a Markdown table ready for
 * bench/RESULTS.md. Timings never gate a test. `npm run bench -- market journal` runs only the
 * suites named (pricing, surface, journal, market, risk, sim, strategy, bus: needs nats-server). The engine's soak is
 * separate: `npm run bench:soak`.
 */
import { cpus } from 'node:os';
import { pricingBenchmark } from './pricing.js';
import { journalBenchmark } from './journal.js';
import { deribitJsonlBenchmark } from './deribit-jsonl.js';
import { bookBenchmark } from './market-book.js';
import { preTradeBenchmark } from './risk-pretrade.js';
import { stressBenchmark } from './risk-stress.js';
import { pipelineBenchmark } from './sim-pipeline.js';
import { matchingBenchmark } from './sim-matching.js';
import { tardisCsvBenchmark } from './tardis-csv.js';
import { surfaceBenchmark } from './surface.js';
import { tickToQuoteBenchmark } from './strategy-tick.js';
import { sweepNatsBenchmark, sweepNatsTable } from './sweep-nats.js';
import { aggregatorBenchmark } from './aggregator.js';

const fmt = (v: number | undefined, digits = 1): string => (v === undefined ? '-' : v.toFixed(digits));

const SUITES = ['pricing', 'surface', 'journal', 'market', 'risk', 'sim', 'strategy', 'bus'] as const;

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `# Ballast benchmarks — ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} x ${cpu}\n`,
  );
  const named = process.argv.slice(2);
  for (const name of named) {
    if (!(SUITES as readonly string[]).includes(name))
      throw new Error(`unknown suite ${name}; one of ${SUITES.join(', ')}`);
  }
  const run = (suite: (typeof SUITES)[number]): boolean => named.length === 0 || named.includes(suite);
  if (run('pricing')) await pricing();
  if (run('surface')) await surface();
  if (run('journal')) await journal();
  if (run('market')) await market();
  if (run('risk')) await risk();
  if (run('sim')) await sim();
  if (run('strategy')) await strategy();
  if (run('bus')) await bus();
}

async function pricing(): Promise<void> {
  console.log('## Pricing (ns per option: fastest sample, median in brackets; one column pass per sample)\n');
  console.log(
    '| input set | options | Black-76 price + 7 greeks | price alone | implied vol | iv / price | ours inside tolerance | `implied-volatility` ns | its share inside tolerance |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const f of await pricingBenchmark()) {
    const share = (v: number | undefined): string => (v === undefined ? '-' : `${(100 * v).toFixed(2)}%`);
    console.log(
      `| ${f.set} | ${f.options} | ${fmt(f.greeksNs)} (${fmt(f.medianNs[0])}) | ${fmt(f.priceNs)} (${fmt(f.medianNs[1])}) | ${fmt(f.ivNs)} (${fmt(f.medianNs[2])}) | ${fmt(f.ratio, 2)} | ${share(f.oursShare)} | ${fmt(f.peerNs, 0)}${f.peerSample ? ` (${f.peerSample} options)` : ''} | ${share(f.peerShare)} |`,
    );
  }
  console.log(
    '\nTargets on the 2-core machine: price + greeks <= 100 ns, implied vol <= 400 ns, ratio <= 6.',
  );
}

async function surface(): Promise<void> {
  const v = await surfaceBenchmark();
  console.log('\n## Volatility surface (ms, median of samples)\n');
  console.log(
    '| chain | read + implied vols | calibrate | refit from previous | re-mark (vol, price, greeks) |',
  );
  console.log('|---|---|---|---|---|');
  console.log(
    `| 2020-05-21, ${v.options} options, ${v.expiries} expiries | ${fmt(v.readMs, 2)} | ${fmt(v.calibrateMs, 2)} | ${fmt(v.refitMs, 2)} | ${fmt(v.remarkMs, 3)} |`,
  );
  console.log('\nTargets: calibration under 50 ms, re-marking under 0.5 ms.');
}

async function journal(): Promise<void> {
  const j = await journalBenchmark();
  console.log('\n## Journal (SQLite, WAL)\n');
  console.log(
    '| records | append (records/s) | import of a fill file (fills/s) | replay (ms) | replay bodies (ms) | rebuild the book (ms) | restore: snapshot + tail (ms) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| ${j.records} | ${fmt(j.appendPerSecond, 0)} | ${fmt(j.importPerSecond, 0)} (${j.importFills} fills) | ${fmt(j.replayMs, 0)} | ${fmt(j.replayBodiesMs, 0)} | ${fmt(j.rebuildMs, 0)} | ${fmt(j.restoreMs, 0)} (${j.tailEvents} events) |`,
  );
  console.log('\nTargets: import 200,000 fills/s; rebuild the state of 1,000,000 journaled fills under 3 s.');
}

async function market(): Promise<void> {
  const b = bookBenchmark();
  console.log('\n## Order book (fastest of repeated runs)\n');
  console.log(
    '| changes | level changes | level changes/s (parsed) | changes/s (parsed) | notification lines/s end to end | `JSON.parse` alone, lines/s |',
  );
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| ${b.events} | ${b.levelChanges} | ${fmt(b.levelChangesPerSecond, 0)} | ${fmt(b.eventsPerSecond, 0)} | ${fmt(b.linesPerSecond, 0)} | ${fmt(b.jsonParsePerSecond, 0)} |`,
  );
  console.log('\nTarget: 2,000,000 book changes/s applied, already parsed.');

  const d = await deribitJsonlBenchmark();
  console.log('\n## Deribit notifications as JSON Lines (lines/s, fastest of 3)\n');
  console.log('| lines | MB | read and split only | `readDeribitJsonl` | `readDeribitJsonlBatches` |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| ${d.lines} | ${fmt(d.bytes / 1e6, 0)} | ${fmt(d.readLinesPerSecond, 0)} | ${fmt(d.parseLinesPerSecond, 0)} | ${fmt(d.batchLinesPerSecond, 0)} |`,
  );

  const t = await tardisCsvBenchmark();
  console.log('\n## Tardis CSV, incremental_book_L2 (fastest of 3)\n');
  console.log(
    '| rows | plain rows/s | gzipped rows/s | batches plain / gzipped rows/s | read only (ms) | gunzip only (ms) | read + split lines (ms) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  console.log(
    `| ${t.rows} | ${fmt(t.plainRowsPerSecond, 0)} | ${fmt(t.gzipRowsPerSecond, 0)} | ${fmt(t.plainBatchRowsPerSecond, 0)} / ${fmt(t.gzipBatchRowsPerSecond, 0)} | ${fmt(t.readOnlyPlainMs, 0)} | ${fmt(t.gunzipOnlyMs, 0)} | ${fmt(t.splitOnlyPlainMs, 0)} |`,
  );
  console.log('\nTargets: 1,000,000 rows/s plain, 500,000 rows/s gzipped.');
}

async function risk(): Promise<void> {
  const p = await preTradeBenchmark();
  console.log('\n## Pre-trade check\n');
  console.log('| limits | instruments | us per check (fastest sample) | median sample |');
  console.log('|---|---|---|---|');
  console.log(`| ${p.limits} | ${p.instruments} | ${fmt(p.checkUs, 2)} | ${fmt(p.checkMedianUs, 2)} |`);
  console.log('\nTarget: under 5 us.');
  const s = await stressBenchmark();
  console.log('\n## Stress grid by full revaluation (ms, fastest run)\n');
  console.log(
    '| instruments | grid | valuations | worker pool | this thread | same number of `black76Price` calls | one `black76PriceColumns` pass | identical |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${s.instruments} | ${s.spotShocks} x ${s.volShifts} | ${s.valuations} | ${fmt(s.workerGridMs, 0)} (${s.workers} workers) | ${fmt(s.singleGridMs, 0)} | ${fmt(s.singlePricesMs, 0)} | ${fmt(s.columnPricesMs, 0)} | ${s.identical} |`,
  );
  console.log('\nTarget: under 100 ms with the workers started before timing.');
}

async function sim(): Promise<void> {
  const m = matchingBenchmark();
  console.log('\n## Simulated exchange: matching (fastest run)\n');
  console.log(
    '| operations | limit / cancel / market | fills | ops/s | fills/s | reading the stream only, ops/s |',
  );
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| ${m.operations} | ${m.limitOrders} / ${m.cancels} / ${m.marketOrders} | ${m.fills} | ${fmt(m.opsPerSecond, 0)} | ${fmt(m.fillsPerSecond, 0)} | ${fmt(m.readOnlyOpsPerSecond, 0)} |`,
  );
  const p = pipelineBenchmark();
  console.log('\n## Backtest pipeline: recorded book -> AS quoter -> matching (fastest run)\n');
  console.log(
    '| book events | events/s | reading the events only, /s | quote edits | taker orders | fills |',
  );
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| ${p.events} | ${fmt(p.eventsPerSecond, 0)} | ${fmt(p.readOnlyPerSecond, 0)} | ${p.edits} | ${p.takerOrders} | ${p.fills} |`,
  );
  console.log('\nTarget: 500,000 events/s through book, quoter and matching.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

async function strategy(): Promise<void> {
  const { loadavg } = await import('node:os');
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
  const f = await tickToQuoteBenchmark();
  console.log('\n## Tick to quote (us): a spot change to new quotes for the whole chain\n');
  console.log(
    '| options | positions | p50 | p99 | mean | CPU p50 / p99 | three-evaluation reference p50 / p99 | book greeks | exact sides per tick | same prices as reference | load (1/5/15) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${f.options} | ${f.positions} | ${fmt(f.p50Us)} | ${fmt(f.p99Us)} | ${fmt(f.meanUs)} | ${fmt(f.cpuP50Us)} / ${fmt(f.cpuP99Us)} | ${fmt(f.referenceP50Us)} / ${fmt(f.referenceP99Us)} | ${fmt(f.bookGreeksMeanUs, 2)} | ${fmt(f.exactSidesPerTick, 2)} | ${f.matchesReference ? 'yes' : 'NO'} | ${load} |`,
  );
  console.log('\nTarget on the 2-core machine: p99 under 1 ms.');
}

async function bus(): Promise<void> {
  console.log('\n## Distributed sweeps over NATS JetStream (jobs/s)\n');
  console.log(sweepNatsTable(await sweepNatsBenchmark()));
  console.log('\n## The aggregator under the soak load (5,000 market + 200 fill records a second)\n');
  console.log((await aggregatorBenchmark()).markdown);
}
