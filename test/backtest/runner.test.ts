/**
 * The backtest runner: a seed gives the same report to the last byte, another seed another
 * one; the books balance (the maker's fills add up to its inventory, the P&L path ends on the
 * reported P&L); the strategy reacts to its inventory; bad scenarios are named by path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/runner.js';
import { parseScenario, parseScenarioSweep, validateScenario } from '../../src/backtest/scenario.js';
import { runSweep, seedJobs } from '../../src/backtest/sweep.js';
import { InputError } from '../../src/model/errors.js';
import { repoRoot } from '../cli/run-cli.js';

const TEXT = readFileSync(join(repoRoot, 'scenarios/as-btc-perpetual.yaml'), 'utf8');
const SHORT = parseScenario(TEXT.replace('duration_s: 3600', 'duration_s: 600'));

describe('runBacktest', () => {
  it('the same seed gives a byte-identical report; a different seed a different one', () => {
    const a = JSON.stringify(runBacktest(SHORT, 7));
    const b = JSON.stringify(runBacktest(SHORT, 7));
    const c = JSON.stringify(runBacktest(SHORT, 8));
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('a sweep on worker threads gives the runs made one after another, in seed order', async () => {
    const seen: number[] = [];
    const swept = await runSweep(seedJobs(SHORT, 3), { workers: 2, onProgress: (done) => seen.push(done) });
    expect(JSON.stringify(swept)).toBe(JSON.stringify([1, 2, 3].map((seed) => runBacktest(SHORT, seed))));
    expect(seen).toEqual([1, 2, 3]);
  }, 60_000);

  it('accounts consistently: the P&L path ends on the reported P&L, the inventory on the final one', () => {
    const r = runBacktest(SHORT);
    expect(r.fills).toBeGreaterThan(50);
    expect(r.paths.pnl_usd.at(-1)).toBeCloseTo(r.pnl_usd, 9);
    expect(r.paths.inventory_usd.at(-1)).toBe(r.inventory_usd.final);
    expect(r.pnl_usd).toBeCloseTo(r.pnl_coin * (r.paths.mid.at(-1) as number), 9);
    expect(r.volume_usd % 10).toBe(0); // whole lots
    expect(r.fill_ratio).toBeGreaterThan(0);
    expect(r.fill_ratio).toBeLessThanOrEqual(1);
  });

  it('charges the fees a scenario gives: a maker fee of 1 bp of the notional, paid in coin', () => {
    const free = runBacktest(SHORT);
    const paid = runBacktest(
      parseScenario(
        `${TEXT.replace('duration_s: 3600', 'duration_s: 600')}fees: { maker: 0.0001, taker: 0.0005 }\n`,
      ),
    );
    expect(free.fees_coin).toBe(0); // the venue's perpetual maker fee is 0
    // The same fills (fees do not move quotes); fees = 1e-4 x sum(amount / price) ~ 1e-4 x volume / s0.
    expect(paid.fills).toBe(free.fills);
    // Prices stay within 1% of s0 over these ten minutes: the estimate holds to 1%.
    expect(Math.abs(paid.fees_coin / ((1e-4 * paid.volume_usd) / 100_000) - 1)).toBeLessThan(0.01);
    expect(paid.pnl_coin).toBeCloseTo(free.pnl_coin - paid.fees_coin, 12);
  });

  it('the inventory quoter holds less inventory than the symmetric one on the same draws', () => {
    const sym = parseScenario(
      TEXT.replace('duration_s: 3600', 'duration_s: 600').replace(
        'kind: avellaneda-stoikov, gamma: 0.00001',
        'kind: symmetric, gamma: 0.00001',
      ),
    );
    const inv = parseScenario(
      TEXT.replace('duration_s: 3600', 'duration_s: 600').replace('gamma: 0.00001', 'gamma: 0.001'),
    );
    let lower = 0;
    for (let seed = 1; seed <= 5; seed++) {
      if (runBacktest(inv, seed).inventory_usd.mean_abs < runBacktest(sym, seed).inventory_usd.mean_abs)
        lower += 1;
    }
    expect(lower).toBe(5);
  });

  it('expands a sweep into every combination, in the order written, each validated', () => {
    const text = `${TEXT}sweep: { strategy.gamma: [0.00001, 0.0001], flow.rate_per_s: [1, 2, 3] }\n`;
    const variants = parseScenarioSweep(text);
    expect(variants.map((v) => [v.scenario.strategy.gamma, v.scenario.flow.ratePerSecond])).toEqual([
      [0.00001, 1],
      [0.00001, 2],
      [0.00001, 3],
      [0.0001, 1],
      [0.0001, 2],
      [0.0001, 3],
    ]);
    expect(variants[4]?.params).toEqual({ 'strategy.gamma': 0.0001, 'flow.rate_per_s': 2 });
    expect(parseScenarioSweep(TEXT)).toEqual([{ params: {}, scenario: parseScenario(TEXT) }]);
    expect(() => parseScenarioSweep(`${TEXT}sweep: { strategy.gamma: [0.001, -1] }\n`)).toThrow(
      /strategy\.gamma \(sweep \{"strategy\.gamma":-1\}\)/,
    );
    expect(() => parseScenarioSweep(`${TEXT}sweep: { seed.x: [1] }\n`)).toThrow(/sweep\.seed\.x/);
    expect(() => parseScenarioSweep(`${TEXT}sweep: { strategy.gamma: [] }\n`)).toThrow(
      /sweep\.strategy\.gamma/,
    );
  });

  it('names a bad field of a scenario by its path', () => {
    const base = { ...validateScenarioInput() };
    const cases: [unknown, string][] = [
      [{ ...base, strategy: { ...base.strategy, gamma: 0 } }, 'strategy.gamma'],
      [{ ...base, market: { model: 'gbm', s0: 100 } }, 'market.sigma'],
      [{ ...base, market: { model: 'levy', s0: 100 } }, 'market.model'],
      [{ ...base, flow: { ...base.flow, colour: 1 } }, 'flow.colour'],
      [{ ...base, instrument: 'BTC-27DEC24-50000-C' }, 'instrument'],
      [{ ...base, latency: { model: 'empirical', samples_ms: [] } }, 'latency.samples_ms'],
      [{ ...base, step_ms: 0.5 }, 'step_ms'],
    ];
    for (const [data, field] of cases) {
      try {
        validateScenario(data);
        expect.unreachable(field);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).field).toBe(field);
      }
    }
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a scenario document, spread and edited per case
function validateScenarioInput(): Record<string, any> {
  return {
    name: 'x',
    seed: 1,
    instrument: 'BTC-PERPETUAL',
    start: '2026-01-01T00:00:00Z',
    duration_s: 60,
    step_ms: 1000,
    market: { model: 'gbm', s0: 100000, sigma: 0.6 },
    flow: { rate_per_s: 1, k: 0.05, size_usd: 1000 },
    strategy: { kind: 'avellaneda-stoikov', gamma: 0.00001, k: 0.05, quote_size_usd: 1000 },
    latency: { model: 'constant', ms: 20 },
  };
}
