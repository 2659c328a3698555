/**
 * Backtests on recorded data: a Deribit notification file (book changes and trades of
 * BTC-PERPETUAL, written here from a seeded feed) replayed with the quoter's orders in the
 * recorded queues. Deterministic; the probabilistic queue fills at least as much as the
 * risk-averse one; trades through our price fill us; the CLI runs such a scenario.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRecordedEvents, runRecordedBacktest } from '../../src/backtest/recorded-runner.js';
import { parseScenario, type RecordedMarket } from '../../src/backtest/scenario.js';
import type { MarketEvent } from '../../src/market/events.js';
import { syntheticBookFeed } from '../../bench/market-book.js';
import { ensureBuilt, runCli } from '../cli/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'ballast-recorded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureBuilt(), 120_000);

/** A feed of 6,000 book changes 10 ms apart with a trade at the touch every 50 ms, as notification lines. */
function writeFeed(): string {
  const { snapshot, changes } = syntheticBookFeed(6000, 3);
  const t0 = 1_767_225_600_000;
  const lines: string[] = [];
  const levels = (xs: readonly { price: number; amount: number; action?: string }[]): unknown[] =>
    xs.map((x) => [x.action ?? 'new', x.price, x.amount]);
  const note = (channel: string, data: unknown): string =>
    JSON.stringify({ jsonrpc: '2.0', method: 'subscription', params: { channel, data } });
  lines.push(
    note('book.BTC-PERPETUAL.100ms', {
      type: 'snapshot',
      timestamp: t0,
      instrument_name: 'BTC-PERPETUAL',
      change_id: 1,
      bids: levels(snapshot.bids),
      asks: levels(snapshot.asks),
    }),
  );
  let bestBid = snapshot.bids[0]!.price;
  let bestAsk = snapshot.asks[0]!.price;
  changes.forEach((c, i) => {
    const t = t0 + 10 * (i + 1);
    lines.push(
      note('book.BTC-PERPETUAL.100ms', {
        type: 'change',
        timestamp: t,
        instrument_name: 'BTC-PERPETUAL',
        change_id: c.changeId,
        prev_change_id: c.prevChangeId,
        bids: levels(c.bids),
        asks: levels(c.asks),
      }),
    );
    for (const b of c.bids) if (b.amount > 0 && b.price > bestBid) bestBid = b.price;
    for (const a of c.asks) if (a.amount > 0 && a.price < bestAsk) bestAsk = a.price;
    if (i % 5 === 0) {
      const buy = i % 10 === 0;
      // Some trades sweep a few ticks through the touch.
      const through = (i % 35 === 0 ? 6 : 0) * 0.5;
      lines.push(
        note('trades.BTC-PERPETUAL.100ms', [
          {
            trade_seq: i,
            trade_id: `T${i}`,
            timestamp: t + 1,
            tick_direction: 0,
            price: buy ? bestAsk + through : bestBid - through,
            mark_price: 100000,
            index_price: 100000,
            instrument_name: 'BTC-PERPETUAL',
            direction: buy ? 'buy' : 'sell',
            amount: 2000,
          },
        ]),
      );
    }
  });
  const path = join(dir, 'feed.jsonl');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

writeFeed();
const scenarioText = (queue: string): string => `name: recorded
seed: 1
instrument: BTC-PERPETUAL
start: 2026-01-01T00:00:00Z
duration_s: 60
step_ms: 100
market: { model: recorded, file: feed.jsonl, queue: ${queue}, sigma: 0.6 }
flow: { rate_per_s: 0, k: 0.05, size_usd: 1000 }
strategy: { kind: avellaneda-stoikov, gamma: 0.0001, k: 0.3, quote_size_usd: 1000, max_inventory: 20 }
latency: { model: constant, ms: 20 }
`;

describe('recorded-data backtests', () => {
  let events: MarketEvent[];
  beforeAll(async () => {
    const s = parseScenario(scenarioText('risk-averse'));
    events = await loadRecordedEvents(s.market as RecordedMarket, s.instrument, dir);
  });

  it('replays the recorded book and trades with our quotes in the queues, the same bytes every time', () => {
    const s = parseScenario(scenarioText('risk-averse'));
    const a = runRecordedBacktest(s, events);
    expect(JSON.stringify(runRecordedBacktest(s, events))).toBe(JSON.stringify(a));
    expect(a.steps).toBe(600);
    expect(a.taker_orders).toBe(1200);
    expect(a.fills).toBeGreaterThan(0);
    expect(a.paths.pnl_usd.at(-1)).toBeCloseTo(a.pnl_usd, 9);
  });

  it('the probabilistic queue fills at least as much as the risk-averse one', () => {
    const averse = runRecordedBacktest(parseScenario(scenarioText('risk-averse')), events);
    const probabilistic = runRecordedBacktest(parseScenario(scenarioText('probabilistic')), events);
    expect(probabilistic.volume_usd).toBeGreaterThanOrEqual(averse.volume_usd);
  });

  it('runs from the CLI, the file relative to the scenario', async () => {
    const path = join(dir, 'recorded.yaml');
    writeFileSync(path, scenarioText('risk-averse'));
    const result = await runCli(['backtest', '--scenario', path, '--seeds', '2', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { runs: { seed: number; fills: number }[] };
    expect(report.runs.map((r) => r.seed)).toEqual([1, 2]);
    expect(report.runs[0]?.fills).toBeGreaterThan(0);
  });
});
