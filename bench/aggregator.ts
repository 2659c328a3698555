/**
 * The firm aggregator under the soak load (issue 11, must-show): events per second folded by
 * the aggregator and its lag behind the engine's journal.
 *
 *   npx tsx bench/aggregator.ts [--seconds 60] [--events 5000] [--fills 200] [--out FILE | --no-write]
 *
 * One local `nats-server -js` on 127.0.0.1 (a free port, its store in a temporary directory).
 * A producer process (this file with `--producer`) stands for an engine: it appends to an SQLite
 * journal, every 10 ms, the records due at the soak's rate (`bench/soak.ts`: 5,000 market
 * events a second, ~10 % tickers, ~2 % trades, the rest book changes, on 50 options and
 * BTC-PERPETUAL, as `input.market` records; and 200 fills a second as `fill` records), and runs
 * the `JournalReplicator` on that journal (what an engine runs). The aggregator runs in this
 * process with its own connection, from the stream's start. Measured while the load runs:
 * records consumed and inventory events folded per second, the aggregator's fold CPU time, and
 * the lag of each fill from its append to the journal (its timestamp is the wall clock at the
 * append) to its fold (p50 / p99 / max); then the drain time after the load stops.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { Aggregator } from '../src/bus/nats/aggregator.js';
import { cursorPathOf, JournalReplicator } from '../src/bus/nats/replicator.js';
import { inputRecord } from '../src/engine/inputs.js';
import { eventRecord } from '../src/inventory/event-json.js';
import type { FillEvent } from '../src/inventory/events.js';
import { parseMoney } from '../src/inventory/money.js';
import type { MarketEvent } from '../src/market/events.js';
import type { JournalRecord } from '../src/store/journal.js';
import { SqliteJournal } from '../src/store/sqlite/journal.js';
import { startNatsServer } from './nats-server.js';

export interface AggregatorBenchOptions {
  /** Load duration, s (default 60). */
  seconds?: number;
  /** Market records a second (default 5,000). */
  events?: number;
  /** Fill records a second (default 200). */
  fills?: number;
}

export interface AggregatorFigures {
  seconds: number;
  /** Records the producer journaled (and the replicator published). */
  produced: number;
  producedPerS: number;
  /** Records the aggregator consumed while the load ran, per second. */
  consumedPerS: number;
  /** Inventory events folded while the load ran, per second. */
  inventoryPerS: number;
  /** Aggregator fold CPU (parse, apply, ack) per record, µs, and its share of one core. */
  foldUsPerRecord: number;
  foldCoreShare: number;
  /** Fill lag, append to fold, ms. */
  lagP50: number;
  lagP99: number;
  lagMax: number;
  lagSamples: number;
  /** Time after the load stopped until every record was consumed, ms. */
  drainMs: number;
  /** Records consumed in all, fills folded in all (must equal what was produced). */
  consumed: number;
  fillsFolded: number;
  fillsProduced: number;
  replicatorFailures: number;
  load: number[];
}

const PERP = 'BTC-PERPETUAL';
const OPTIONS: string[] = [];
for (const expiry of ['27DEC30', '28MAR31']) {
  for (const strike of [
    60000, 70000, 80000, 90000, 100000, 110000, 120000, 130000, 140000, 150000, 160000, 170000, 180000,
  ])
    for (const cp of ['C', 'P']) if (OPTIONS.length < 50) OPTIONS.push(`BTC-${expiry}-${strike}-${cp}`);
}
const INSTRUMENTS = [...OPTIONS, PERP];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : fallback;
}

/** The producer: an engine's journal at the soak's rate, replicated. Prints its counts. */
async function producer(): Promise<void> {
  const servers = [arg('servers', '')];
  const seconds = Number(arg('seconds', '60'));
  const eventsPerS = Number(arg('events', '5000'));
  const fillsPerS = Number(arg('fills', '200'));
  const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-agg-'));
  const path = join(dir, 'journal.sqlite');
  const journal = SqliteJournal.open(path);
  const engineId = 'bench-engine';
  let failures = 0;
  const replicator = await JournalReplicator.start({
    engineId,
    journal,
    cursorPath: cursorPathOf(path, engineId),
    servers,
    replicas: 1,
    pollMs: 10,
    onError: () => (failures += 1),
  });
  const changeIds = new Map<string, number>();
  let market = 0;
  let fills = 0;
  let n = 0;
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  const tickerEvery = Math.max(1, Math.round(eventsPerS / (INSTRUMENTS.length * 10)));
  await new Promise<void>((done) => {
    const tick = (): void => {
      const now = Date.now();
      const elapsed = Math.min(now, end) - t0;
      const records: JournalRecord[] = [];
      const wantMarket = Math.floor((elapsed / 1000) * eventsPerS);
      const wantFills = Math.floor((elapsed / 1000) * fillsPerS);
      while (market < wantMarket || fills < wantFills) {
        // Interleaved in schedule order.
        const mDue = (market + 1) / eventsPerS;
        const fDue = (fills + 1) / fillsPerS;
        if (fills < wantFills && (market >= wantMarket || fDue <= mDue)) {
          fills += 1;
          const ins = fills % 5 === 0 ? PERP : (OPTIONS[fills % OPTIONS.length] as string);
          const option = ins !== PERP;
          const event: FillEvent = {
            type: 'fill',
            venue: 'deribit',
            id: `soak-${fills}`,
            timestampMs: now,
            sequence: fills,
            instrument: ins,
            side: fills % 2 === 0 ? 'buy' : 'sell',
            amount: parseMoney(option ? '0.1' : '10'),
            price: parseMoney(option ? '0.0425' : '100000.5'),
            fee: parseMoney(option ? '0.00003' : '0.00000005'),
            feeCurrency: 'BTC',
            liquidity: 'maker',
            orderId: `o-${fills}`,
          };
          records.push(eventRecord(event));
        } else {
          market += 1;
          n += 1;
          const ins = INSTRUMENTS[n % INSTRUMENTS.length] as string;
          let event: MarketEvent;
          if (n % tickerEvery === 0) {
            const t = INSTRUMENTS[Math.floor(n / tickerEvery) % INSTRUMENTS.length] as string;
            event =
              t === PERP
                ? {
                    type: 'ticker',
                    venue: 'deribit',
                    instrument: t,
                    timestampMs: now,
                    markPrice: 100010,
                    indexPrice: 100000,
                    fundingRate: 0.0001,
                  }
                : {
                    type: 'ticker',
                    venue: 'deribit',
                    instrument: t,
                    timestampMs: now,
                    markPrice: 0.0425,
                    indexPrice: 100000,
                    underlyingPrice: 100500,
                    underlyingIndex: `SYN.${t.split('-').slice(0, 2).join('-')}`,
                    markIv: 55 + (n % 7) / 10,
                    bidIv: 53,
                    askIv: 57,
                    bidPrice: 0.042,
                    askPrice: 0.043,
                    bidAmount: 10,
                    askAmount: 12,
                  };
          } else if (n % 50 === 1) {
            event = {
              type: 'trade',
              venue: 'deribit',
              instrument: ins,
              timestampMs: now,
              tradeId: `mkt-${n}`,
              tradeSeq: n,
              price: ins === PERP ? 100000.5 : 0.0425,
              amount: ins === PERP ? 100 : 0.5,
              side: n % 2 === 0 ? 'buy' : 'sell',
            } as MarketEvent;
          } else {
            const prev = changeIds.get(ins) ?? 0;
            changeIds.set(ins, prev + 1);
            const change = {
              price: ins === PERP ? 100000 + (n % 20) / 2 : 0.04 + (n % 20) / 2000,
              amount: 10 + (n % 9),
              action: 'change' as const,
            };
            event = {
              type: 'book_change',
              venue: 'deribit',
              instrument: ins,
              timestampMs: now,
              changeId: prev + 1,
              prevChangeId: prev,
              bids: n % 2 === 0 ? [change] : [],
              asks: n % 2 === 0 ? [] : [change],
            } as MarketEvent;
          }
          records.push(inputRecord({ kind: 'market', event }, `run-${n}`));
        }
      }
      if (records.length > 0) journal.append(records);
      if (now >= end) done();
      else setTimeout(tick, 10);
    };
    tick();
  });
  await replicator.flush(120_000);
  const stats = replicator.stats;
  await replicator.stop();
  journal.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(
    `${JSON.stringify({ market, fills, produced: market + fills, failures, published: stats.published })}\n`,
  );
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

export async function aggregatorBenchmark(
  options: AggregatorBenchOptions = {},
): Promise<{ figures: AggregatorFigures; markdown: string }> {
  const seconds = options.seconds ?? 60;
  const events = options.events ?? 5000;
  const fillsPerS = options.fills ?? 200;
  const nats = await startNatsServer();
  const lags: number[] = [];
  let loadRunning = true;
  const aggregator = await Aggregator.start({
    servers: nats.servers,
    durable: 'bench_aggregator',
    replicas: 1,
    onInventory: (_id, record) => {
      if (loadRunning) lags.push(Date.now() - record.timestampMs);
    },
  });
  try {
    const self = fileURLToPath(import.meta.url);
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        self,
        '--producer',
        '--servers',
        nats.servers[0] as string,
        '--seconds',
        String(seconds),
        '--events',
        String(events),
        '--fills',
        String(fillsPerS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    // The load window: from the first record consumed to the producer's last append.
    while (aggregator.stats.messages === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    const s0 = { ...aggregator.stats };
    await new Promise((r) => setTimeout(r, seconds * 1000 - 50));
    loadRunning = false;
    const windowMs = performance.now() - t0;
    const s1 = { ...aggregator.stats };
    const stopped = performance.now();
    const code = await exited;
    if (code !== 0) throw new Error(`producer exited with ${code}`);
    const counts = JSON.parse(out.trim().split('\n').pop() as string) as {
      market: number;
      fills: number;
      produced: number;
      failures: number;
    };
    const deadline = Date.now() + 300_000;
    while (aggregator.stats.messages < counts.produced) {
      if (Date.now() > deadline)
        throw new Error(`aggregator: ${aggregator.stats.messages} of ${counts.produced}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const drainMs = performance.now() - stopped;
    lags.sort((a, b) => a - b);
    const consumed = s1.messages - s0.messages;
    const foldMs = s1.foldMs - s0.foldMs;
    const figures: AggregatorFigures = {
      seconds,
      produced: counts.produced,
      producedPerS: counts.produced / seconds,
      consumedPerS: consumed / (windowMs / 1000),
      inventoryPerS: (s1.inventoryApplied - s0.inventoryApplied) / (windowMs / 1000),
      foldUsPerRecord: consumed > 0 ? (foldMs * 1000) / consumed : Number.NaN,
      foldCoreShare: foldMs / windowMs,
      lagP50: quantile(lags, 0.5),
      lagP99: quantile(lags, 0.99),
      lagMax: lags.length > 0 ? (lags[lags.length - 1] as number) : Number.NaN,
      lagSamples: lags.length,
      drainMs,
      consumed: aggregator.stats.messages,
      fillsFolded: aggregator.stats.inventoryApplied,
      fillsProduced: counts.fills,
      replicatorFailures: counts.failures,
      load: loadavg(),
    };
    return { figures, markdown: markdownOf(figures, events, fillsPerS) };
  } finally {
    await aggregator.stop();
    await nats.stop();
  }
}

function markdownOf(f: AggregatorFigures, events: number, fills: number): string {
  const n = (x: number, d = 0): string =>
    x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    '## Firm aggregator under the soak load (issue 11)',
    '',
    `\`bench/aggregator.ts\`: one engine's SQLite journal filled at the soak's rate (${n(events)} market records and ${n(fills)} fills a second, appended every 10 ms by a producer process) and replicated by \`JournalReplicator\` to one local \`nats-server -js\`; the \`Aggregator\` (this process, its own connection) consuming the stream from its start. ${f.seconds} s of load; ${n(cpus().length)} cores, load average ${f.load.map((x) => x.toFixed(2)).join(' / ')} at the end.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| records journaled and replicated | ${n(f.produced)} (${n(f.producedPerS)}/s) |`,
    `| records consumed by the aggregator during the load | ${n(f.consumedPerS)}/s |`,
    `| inventory events (fills) folded during the load | ${n(f.inventoryPerS, 1)}/s |`,
    `| aggregator fold time (parse, apply, ack) | ${n(f.foldUsPerRecord, 1)} µs a record, ${n(f.foldCoreShare * 100, 1)} % of a core |`,
    `| fill lag, journal append to fold: p50 / p99 / max | ${n(f.lagP50)} / ${n(f.lagP99)} / ${n(f.lagMax)} ms (${n(f.lagSamples)} fills) |`,
    `| drain after the load stopped | ${n(f.drainMs)} ms |`,
    `| consumed in all / fills folded / fills journaled | ${n(f.consumed)} / ${n(f.fillsFolded)} / ${n(f.fillsProduced)} |`,
    `| replicator failures | ${n(f.replicatorFailures)} |`,
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  if (process.argv.includes('--producer')) {
    await producer();
    process.exit(0);
  }
  const { markdown } = await aggregatorBenchmark({
    seconds: Number(arg('seconds', '60')),
    events: Number(arg('events', '5000')),
    fills: Number(arg('fills', '200')),
  });
  process.stdout.write(`${markdown}\n`);
  if (!process.argv.includes('--no-write'))
    writeFileSync(
      resolve(arg('out', fileURLToPath(new URL('./RESULTS-aggregator.md', import.meta.url)))),
      `# Aggregator benchmark\n\n${markdown}`,
    );
  process.exit(0);
}
