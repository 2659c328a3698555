import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { readRiskBook, readRiskMarket } from '../../src/risk/inputs.js';
import type { Revaluer, Scenario } from '../../src/risk/scenario.js';
import { createRevaluer } from '../../src/risk/stress/revalue.js';
import {
  betaWeightedDelta,
  checkCorrelation,
  cholesky,
  conditionalBetas,
  crossAssetScenario,
  deltaUsdByCoin,
  estimateBetas,
  estimateCorrelation,
  estimateVolatilities,
  historicalScenarios,
  monteCarloScenarios,
  seededNormal,
  valueAtRisk,
  varOfPnl,
} from '../../src/risk/var.js';
import { repoRoot } from '../cli/run-cli.js';

/** A book whose P&L is linear in the spot moves: USD deltas 1,000,000 in BTC and 500,000 in ETH. */
const linear: Revaluer = {
  baseValueUsd: 0,
  warnings: [],
  pnlUsd: (s: Scenario) => 1e6 * (s.spot.BTC ?? 0) + 5e5 * (s.spot.ETH ?? 0),
};

/** A book whose P&L is a ln(1 + move): normal under the Monte Carlo's log-returns. */
const logContract = (a: number): Revaluer => ({
  baseValueUsd: 0,
  warnings: [],
  pnlUsd: (s: Scenario) => a * Math.log1p(s.spot.BTC ?? 0),
});

const BTC = [-0.1, 0.05, -0.02, 0.03, -0.04, 0.01, 0.0, -0.06, 0.02, 0.04];
const ETH = [-0.15, 0.06, -0.01, 0.02, -0.05, 0.03, 0.01, -0.08, 0.01, 0.05];

describe('historical VaR and ES by revaluation', () => {
  it('by hand on ten dates', () => {
    // P&L = 1e6 r_BTC + 5e5 r_ETH per date: -175000, 80000, -25000, 40000, -65000, 25000, 5000,
    // -100000, 25000, 65000. Losses, worst first: 175000, 100000, 65000, 25000, ...
    const scenarios = historicalScenarios({ BTC, ETH });
    expect(scenarios[0]).toEqual({ name: 'historical #0', spot: { BTC: -0.1, ETH: -0.15 }, volShift: 0 });
    // 90%: k = ceil(10 x 0.1) = 1: VaR = ES = 175000.
    const v90 = valueAtRisk(linear, scenarios, 0.9);
    expect(v90).toMatchObject({ tailCount: 1, scenarioCount: 10, worst: { name: 'historical #0' } });
    expect(v90.varUsd).toBeCloseTo(175000, 6);
    expect(v90.esUsd).toBeCloseTo(175000, 6);
    // 80%: k = 2: VaR 100000, ES (175000 + 100000) / 2 = 137500.
    const v80 = valueAtRisk(linear, scenarios, 0.8);
    expect(v80.varUsd).toBeCloseTo(100000, 6);
    expect(v80.esUsd).toBeCloseTo(137500, 6);
    // 70% and 75%: k = 3: VaR 65000, ES 340000 / 3.
    for (const c of [0.7, 0.75]) {
      const v = valueAtRisk(linear, scenarios, c);
      expect(v.tailCount).toBe(3);
      expect(v.varUsd).toBeCloseTo(65000, 6);
      expect(v.esUsd).toBeCloseTo(340000 / 3, 6);
    }
    // 500 scenarios at 99%: the fifth-worst loss.
    expect(
      varOfPnl(
        Array.from({ length: 500 }, (_, i) => i - 250),
        0.99,
      ),
    ).toMatchObject({ tailCount: 5, varUsd: 246 });
  });

  it('names, vol changes and days per date', () => {
    const s = historicalScenarios(
      { BTC: [0.1, -0.1] },
      { names: ['a', 'b'], volChanges: [0.05, -0.02], days: 1 },
    );
    expect(s).toEqual([
      { name: 'a', spot: { BTC: 0.1 }, volShift: 0.05, days: 1 },
      { name: 'b', spot: { BTC: -0.1 }, volShift: -0.02, days: 1 },
    ]);
  });

  it('properties: ES >= VaR, and both rise with the confidence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        (pnl, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const vLo = varOfPnl(pnl, lo);
          const vHi = varOfPnl(pnl, hi);
          expect(vLo.esUsd).toBeGreaterThanOrEqual(vLo.varUsd - 1e-6);
          expect(vHi.varUsd).toBeGreaterThanOrEqual(vLo.varUsd);
          expect(vHi.esUsd).toBeGreaterThanOrEqual(vLo.esUsd - 1e-6);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Monte Carlo scenarios', () => {
  it('reproduce the normal VaR and ES of a log contract (closed form)', () => {
    // P&L = a x, x ~ N(0, sigma^2), a = 1e6, sigma = 0.05: VaR(99%) = a sigma z = 116317.4,
    // ES = a sigma n(z) / 0.01 = 1e6 x 0.05 x 0.0266521 / 0.01 = 133260.5 (z = 2.3263479).
    const scenarios = monteCarloScenarios({
      correlation: { coins: ['BTC'], matrix: [[1]] },
      vols: { BTC: 0.05 },
      count: 40000,
      seed: 7,
    });
    const v = valueAtRisk(logContract(1e6), scenarios, 0.99);
    expect(Math.abs(v.varUsd / 116317.4 - 1)).toBeLessThan(0.03);
    expect(Math.abs(v.esUsd / 133260.5 - 1)).toBeLessThan(0.03);
  });

  it('are seeded and carry the correlation', () => {
    const correlation = {
      coins: ['BTC', 'ETH'],
      matrix: [
        [1, 0.8],
        [0.8, 1],
      ],
    };
    const opts = { correlation, vols: { BTC: 0.04, ETH: 0.05 }, count: 20000, seed: 42 };
    const a = monteCarloScenarios(opts);
    expect(monteCarloScenarios(opts)).toEqual(a);
    expect(monteCarloScenarios({ ...opts, seed: 43 })[0]).not.toEqual(a[0]);
    const logs = {
      BTC: a.map((s) => Math.log1p(s.spot.BTC!)),
      ETH: a.map((s) => Math.log1p(s.spot.ETH!)),
    };
    // Estimating back from the draws (log-returns given as the series: only moments are compared).
    const rho = estimateCorrelation(logs).matrix[0]![1]!;
    expect(Math.abs(rho - 0.8)).toBeLessThan(0.02);
    const vols = estimateVolatilities(logs);
    expect(Math.abs(vols.ETH! / 0.05 - 1)).toBeLessThan(0.03);
  });

  it('the seeded normal has mean 0 and variance 1', () => {
    const n = seededNormal(1);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 100000; i++) {
      const x = n();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / 100000)).toBeLessThan(0.01);
    expect(Math.abs(s2 / 100000 - 1)).toBeLessThan(0.02);
  });
});

describe('correlation, betas and cross-asset scenarios', () => {
  it('estimates, factors and propagates by hand', () => {
    // x = [1, 2, 3, 4]%, y = [1, 3, 2, 4]%: deviations (-1.5, -0.5, 0.5, 1.5) and (-1.5, 0.5, -0.5, 1.5):
    // cov = 4e-4 / 3, var = 5e-4 / 3 each: rho = 0.8; beta of y to x = 0.8.
    const returns = { BTC: [0.01, 0.02, 0.03, 0.04], ETH: [0.01, 0.03, 0.02, 0.04] };
    const c = estimateCorrelation(returns);
    expect(c.coins).toEqual(['BTC', 'ETH']);
    expect(c.matrix[0]![1]).toBeCloseTo(0.8, 12);
    expect(estimateBetas(returns, 'BTC').ETH).toBeCloseTo(0.8, 12);
    // Cholesky of [[1, 0.8], [0.8, 1]]: [[1, 0], [0.8, 0.6]].
    const l = cholesky([
      [1, 0.8],
      [0.8, 1],
    ]);
    expect(l[1]![0]).toBeCloseTo(0.8, 15);
    expect(l[1]![1]).toBeCloseTo(0.6, 15);
    // Cross-asset: rho 0.8, sigma_BTC 4%, sigma_ETH 6%: beta_ETH|BTC = 0.8 x 6 / 4 = 1.2;
    // BTC -10% -> ETH -12%; the other way beta_BTC|ETH = 0.8 x 4 / 6 = 0.5333.
    const corr = {
      coins: ['BTC', 'ETH'],
      matrix: [
        [1, 0.8],
        [0.8, 1],
      ],
    };
    const s = crossAssetScenario('BTC', -0.1, corr, { BTC: 0.04, ETH: 0.06 });
    expect(s.spot.BTC).toBe(-0.1);
    expect(s.spot.ETH).toBeCloseTo(-0.12, 12);
    expect(s.name).toBe('BTC -10.0% (cross-asset)');
    expect(conditionalBetas('ETH', corr, { BTC: 0.04, ETH: 0.06 }).BTC).toBeCloseTo(0.8 * (4 / 6), 12);
    // Perfectly correlated coins are positive semi-definite: accepted.
    expect(() =>
      checkCorrelation({
        coins: ['A', 'B'],
        matrix: [
          [1, 1],
          [1, 1],
        ],
      }),
    ).not.toThrow();
  });

  it('beta-weighted delta by revaluation', () => {
    // USD deltas by central difference of the linear book: exactly 1e6 and 5e5;
    // ETH moves 1.5 x BTC in the series: beta 1.5; 1e6 + 1.5 x 5e5 = 1.75e6 USD = 175 BTC at 10000.
    const d = deltaUsdByCoin(linear, ['BTC', 'ETH']);
    expect(d.BTC).toBeCloseTo(1e6, 6);
    expect(d.ETH).toBeCloseTo(5e5, 6);
    const betas = estimateBetas({ BTC: [0.01, -0.02, 0.03], ETH: [0.015, -0.03, 0.045] }, 'BTC');
    expect(betas.ETH).toBeCloseTo(1.5, 12);
    const w = betaWeightedDelta(d, betas, 'BTC', 10000);
    expect(w.deltaUsd).toBeCloseTo(1.75e6, 4);
    expect(w.deltaCoin).toBeCloseTo(175, 8);
    expect(w.byCoin.map((x) => x.coin)).toEqual(['BTC', 'ETH']);
  });

  it('names the field of bad input', () => {
    const bad = (f: () => unknown, re: RegExp): void => {
      expect(f).toThrow(InputError);
      expect(f).toThrow(re);
    };
    bad(
      () =>
        checkCorrelation({
          coins: ['A', 'B'],
          matrix: [
            [1, 0.5],
            [0.4, 1],
          ],
        }),
      /correlation\.matrix\[0\]\[1\]/,
    );
    bad(
      () =>
        checkCorrelation({
          coins: ['A', 'B'],
          matrix: [
            [1, 2],
            [2, 1],
          ],
        }),
      /correlation\.matrix\[0\]\[1\]/,
    );
    bad(
      () =>
        checkCorrelation({
          coins: ['A', 'B', 'C'],
          matrix: [
            [1, 0.9, -0.9],
            [0.9, 1, 0.9],
            [-0.9, 0.9, 1],
          ],
        }),
      /correlation: .*positive semi-definite/,
    );
    bad(() => varOfPnl([1], 1), /confidence/);
    bad(() => varOfPnl([], 0.9), /pnlUsd/);
    bad(() => historicalScenarios({ BTC: [0.1, 0.2], ETH: [0.1] }), /returns\.ETH/);
    bad(() => historicalScenarios({ BTC: [-1.5] }), /returns\.BTC\[0\]/);
    bad(() => betaWeightedDelta({ BTC: 1, ETH: 1 }, {}, 'BTC'), /betas\.ETH/);
    bad(
      () =>
        monteCarloScenarios({
          correlation: {
            coins: ['A', 'B'],
            matrix: [
              [1, 0],
              [0, 1],
            ],
          },
          vols: { A: 0.1 },
          count: 1,
          seed: 1,
        }),
      /vols\.B/,
    );
    bad(
      () =>
        monteCarloScenarios({
          correlation: { coins: ['A'], matrix: [[1]] },
          vols: { A: 0.1 },
          count: 0,
          seed: 1,
        }),
      /count/,
    );
    bad(() => crossAssetScenario('SOL', 0.1, { coins: ['A'], matrix: [[1]] }, { A: 0.1 }), /coin/);
    bad(() => estimateBetas({ BTC: [0.1, 0.2] }, 'ETH'), /reference/);
    bad(() => valueAtRisk(linear, [], 0.99), /scenarios/);
  });
});

describe('through the full revaluer on the shared snapshot', () => {
  const SNAPSHOT = readFileSync(join(repoRoot, 'data/deribit/btc-options-2020-05-21.jsonl'), 'utf8');
  const PERP =
    '{"instrument_name":"BTC-PERPETUAL","mark_price":9100,"index_price":9095.83,"timestamp":1590103200000}';

  it('a perpetual adds N x s: its VaR and delta by hand; an option book against the venue delta', async () => {
    const market = await readRiskMarket(`${PERP}\n${SNAPSHOT}`);
    const perp = createRevaluer(await readRiskBook('{"instrument":"BTC-PERPETUAL","amount":100000}'), market);
    // 100,000 USD long: P&L = 100000 s; returns -10%, 5%, -2%, 3%: at 50% k = 2, VaR 2000, ES 6000.
    const v = valueAtRisk(perp, historicalScenarios({ BTC: [-0.1, 0.05, -0.02, 0.03] }), 0.5);
    expect(v.varUsd).toBeCloseTo(2000, 6);
    expect(v.esUsd).toBeCloseTo(6000, 6);
    expect(deltaUsdByCoin(perp, ['BTC']).BTC).toBeCloseTo(100000, 6);
    // Short 25 BTC-26JUN20-10000-C beside it: USD delta 100000 - 25 x 0.40271 (venue delta) x
    // 9094.87 (the line's forward) = 8435.12; ours by revaluation within the venue's rounding.
    const book = await readRiskBook(
      '{"instrument":"BTC-PERPETUAL","amount":100000}\n{"instrument":"BTC-26JUN20-10000-C","amount":-25}',
    );
    const r = createRevaluer(book, market);
    expect(Math.abs(deltaUsdByCoin(r, ['BTC']).BTC! - 8435.12)).toBeLessThan(5);
    const mc = monteCarloScenarios({
      correlation: { coins: ['BTC'], matrix: [[1]] },
      vols: { BTC: 0.04 },
      count: 2000,
      seed: 3,
    });
    const at95 = valueAtRisk(r, mc, 0.95);
    const at99 = valueAtRisk(r, mc, 0.99);
    expect(at99.varUsd).toBeGreaterThanOrEqual(at95.varUsd);
    expect(at99.esUsd).toBeGreaterThanOrEqual(at99.varUsd);
  });
});
