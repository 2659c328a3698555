/**
 * The venue's worked example: the response example of `private/pme/simulate` in Deribit's API
 * reference, https://docs.deribit.com/api-reference/account-management/private-simulate
 * (`currency: BTC`, `model_params.timestamp` 1718619740501 = 2024-06-17 10:22:20 UTC).
 *
 * Published inputs: `portfolio.position` BTC-PERPETUAL 0.314538364 and BTC-28JUN24 -0.001187534
 * (in BTC), `ticker` marks 65910.57 and 67371.75, `index_price.btc_usd` 65666.19, and
 * `model_params` (our defaults). Published outputs: each instrument's 27-entry `standard` and
 * 8-entry `extended` risk vector, the aggregated vectors, `worst_case` 0.05968587238095239 at
 * bucket 1 (left, standard, index 1), `roll_shock` 0.00315725898, `delta_shock` 0,
 * `correlation_contingency` 0, `risk_matrix_margin` 0.06284313098, `maintenance_margin`
 * 0.050274504784, `initial_margin` 0.122861343.
 *
 * Assumed: the book holds the positions as USD amounts (what inverse futures are traded in),
 * amount = BTC size x mark price, which is how the venue's BTC size relates to its P&L
 * (`-0.05991206933 = 0.314538364 x (-0.16 / 0.84)`). The example's `initial_margin` also holds
 * `mmp_margin` 0.06 and `open_orders_margin` 0.000018212, which this estimate does not model
 * (no orders, no market-maker protection): they are added back to compare.
 */
import { describe, expect, it } from 'vitest';
import { bookPnlCoin, portfolioMargin, prepareBook } from '../../../src/risk/margin/index.js';
import { book, market } from './market.js';

const NOW = 1718619740501;
const PERP = { name: 'BTC-PERPETUAL', mark: 65910.57, index: 65666.19 };
const JUN = { name: 'BTC-28JUN24', mark: 67371.75, index: 65666.19 };
const PERP_BTC = 0.314538364;
const JUN_BTC = -0.001187534;
const MARKET = market(NOW, { BTC: 65666.19 }, [], [PERP, JUN]);
const BOOK = book([PERP.name, PERP_BTC * PERP.mark], [JUN.name, JUN_BTC * JUN.mark]);

/** `initial_risk_vectors.*.standard`, one entry per price bucket (the three vols are equal). */
const PERP_STANDARD = [
  -0.05991206933333334, -0.04289159509090909, -0.027351162086956524, -0.013105765166666668, 0,
  0.012097629384615385, 0.023299138074074074, 0.033700538999999995, 0.043384601931034494,
];
const JUN_STANDARD = [
  0.0002261969523809524, 0.00016193645454545456, 0.00010326382608695652, 0.00004948058333333334, 0,
  -0.00004567438461538462, -0.00008796548148148148, -0.0001272357857142857, -0.00016379779310344832,
];
/** `aggregated_risk_vectors.btc_btc.standard`, per bucket: the sum, gains counted as 0. */
const AGGREGATED = [
  -0.05968587238095239, -0.04272965863636364, -0.02724789826086957, -0.013056284583333334, 0, 0, 0, 0, 0,
];
const PERP_EXTENDED = [
  -0.05991206933333334, -0.05991206933333334, 0.04338460193103449, 0.04338460193103449, 0.04338460193103449,
  0.04338460193103449, 0.04338460193103449, 0.04338460193103449,
];

describe("Deribit's private/pme/simulate example (BTC, 2024-06-17)", () => {
  it('reproduces each instrument risk vector', () => {
    const moves = [-0.16, -0.12, -0.08, -0.04, 0, 0.04, 0.08, 0.12, 0.16];
    const perp = prepareBook([BOOK[0]!], MARKET, 'BTC');
    const jun = prepareBook([BOOK[1]!], MARKET, 'BTC');
    moves.forEach((m, i) => {
      for (const vol of ['up', 'same', 'down'] as const) {
        expect(bookPnlCoin(perp, m, vol)).toBeCloseTo(PERP_STANDARD[i]!, 14);
        expect(bookPnlCoin(jun, m, vol)).toBeCloseTo(JUN_STANDARD[i]!, 16);
      }
    });
    [-0.66, -0.33, 0.5, 1, 2, 3, 4, 5].forEach((m, i) => {
      const capped = Math.max(-0.16, Math.min(0.16, m));
      expect(bookPnlCoin(perp, m, 'up', capped)).toBeCloseTo(PERP_EXTENDED[i]!, 14);
    });
  });

  it('reproduces the aggregated matrix, the worst case, the add-ons and the margins', () => {
    const r = portfolioMargin(BOOK, MARKET);
    const standard = r.scenarios.filter((s) => s.table === 'standard');
    expect(standard).toHaveLength(27);
    standard.forEach((s, i) =>
      expect(Math.min(0, s.pnlCoin)).toBeCloseTo(AGGREGATED[Math.floor(i / 3)]!, 14),
    );
    // `aggregated_risk_vectors.btc_btc.extended`: all 0 after the dampener.
    for (const s of r.scenarios.filter((x) => x.table === 'extended')) expect(s.pnlCoin).toBe(0);
    expect(r.worstCaseCoin).toBeCloseTo(0.05968587238095239, 15);
    expect(r.worstScenario).toMatchObject({
      table: 'standard',
      index: 1,
      priceMove: -0.16,
      name: '-16%, vol same',
    });
    expect(r.addOns.rollShockCoin).toBeCloseTo(0.00315725898, 14);
    expect(r.addOns.deltaShockCoin).toBe(0);
    expect(r.addOns.correlationContingencyCoin).toBe(0);
    // The venue prints risk_matrix_margin rounded to 1e-11 and ours differs by 3.8e-10 from its
    // sum of worst_case and roll_shock, so 1e-9.
    expect(Math.abs(r.riskMatrixMarginCoin - 0.06284313098)).toBeLessThan(1e-9);
    expect(Math.abs(r.maintenanceMarginCoin - 0.050274504784)).toBeLessThan(1e-9);
    expect(Math.abs(r.initialMarginCoin + 0.06 + 0.000018212 - 0.122861343)).toBeLessThan(1e-9);
    expect(r.initialMarginUsd).toBeCloseTo(r.initialMarginCoin * 65666.19, 9);
  });
});
