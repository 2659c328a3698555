import { describe, expect, it } from 'vitest';
import { runOptionsBacktest, type OptionsBacktestConfig } from '../../src/backtest/options-runner.js';

const shape = { a: 0.2, b: 0.1, rho: -0.2, m: 0, sigma: 0.2 };
const CONFIG: OptionsBacktestConfig = {
  spot0: 40_000,
  spotVol: 0.5,
  stepMs: 60_000,
  steps: 300,
  expiries: [
    { days: 7, shape },
    { days: 28, shape },
  ],
  strikes: [34_000, 38_000, 40_000, 42_000, 46_000, 50_000],
  flow: { kind: 'call', side: 'buy', hitProbability: 0.08, takerSize: 1 },
  quoter: { halfSpreadVol: 0.01, vegaSkewVol: 0.05, deltaSkew: 0.002, baseSize: 2, minSize: 0.1 },
  limits: { vegaPerExpiry: 600, vegaTotal: 1000, deltaCoin: 50 },
};

describe('runOptionsBacktest', () => {
  it('one-sided call buying: the book-level quoter stays inside the vega limits, per-option quoting breaches them', () => {
    for (const seed of [1, 2, 3]) {
      const r = runOptionsBacktest(CONFIG, seed);
      expect(r.book.breached).toBe(false);
      for (const m of r.book.maxAbsVega) expect(m).toBeLessThanOrEqual(600);
      expect(r.book.maxAbsVegaTotal).toBeLessThanOrEqual(1000);
      expect(r.perOption.breached).toBe(true);
      expect(Math.max(...r.perOption.maxAbsVega)).toBeGreaterThan(600);
      expect(r.book.contractsTraded).toBeGreaterThan(0);
      // the path's recorded maximum is its maximum
      r.book.vegaPath.forEach((p, e) => expect(Math.max(...p)).toBe(r.book.maxAbsVega[e]));
    }
  });

  it('is deterministic per seed and validates its config', () => {
    const a = runOptionsBacktest(CONFIG, 5);
    const b = runOptionsBacktest(CONFIG, 5);
    expect(a.book.pnlCoin).toBe(b.book.pnlCoin);
    expect(a.perOption.contractsTraded).toBe(b.perOption.contractsTraded);
    expect(() => runOptionsBacktest({ ...CONFIG, steps: 0 }, 1)).toThrow(/steps/);
    expect(() => runOptionsBacktest({ ...CONFIG, flow: { ...CONFIG.flow, hitProbability: 2 } }, 1)).toThrow(
      /flow.hitProbability/,
    );
  });
});
