/**
 * The stress grid against the independent mpmath computation of
 * `scripts/reference/stress_reference.py` (`--marks venue`, sticky-strike, 12 options of the
 * shared snapshot and one inverse future).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { RiskMarket, RiskPosition } from '../../../src/risk/inputs.js';
import { stressGrid } from '../../../src/risk/stress/grid.js';
import { createRevaluer } from '../../../src/risk/stress/revalue.js';
import { bookOf, REFERENCE, referenceMarket } from './helpers.js';

/** Tolerance: 1e-6 USD per cell, absolute (cells reach ~1e5 USD; a relative 1e-11). */
const TOLERANCE_USD = 1e-6;

describe('stress grid against the mpmath reference', () => {
  let market: RiskMarket;
  let book: RiskPosition[];
  beforeAll(async () => {
    market = await referenceMarket();
    book = await bookOf(REFERENCE.book);
  });

  it('reads each mark to the reference implied vol', () => {
    for (const [name, iv] of Object.entries(REFERENCE.iv_mark)) {
      expect(Math.abs(market.options.get(name)!.ivMark! - iv), name).toBeLessThan(1e-12);
    }
  });

  it('gives the reference grid and base value', () => {
    const revaluer = createRevaluer(book, market, { volModel: 'sticky-strike', marks: 'venue' });
    expect(revaluer.warnings).toEqual([]);
    expect(Math.abs(revaluer.baseValueUsd - REFERENCE.base_value_usd)).toBeLessThan(TOLERANCE_USD);
    const grid = stressGrid(revaluer, REFERENCE.spot_shocks, REFERENCE.vol_shifts);
    expect(grid.spot_shocks).toEqual(REFERENCE.spot_shocks);
    expect(grid.vol_shifts).toEqual(REFERENCE.vol_shifts);
    let worst = 0;
    REFERENCE.pnl_usd.forEach((row, i) =>
      row.forEach((ref, j) => {
        worst = Math.max(worst, Math.abs(grid.pnl_usd[i]![j]! - ref));
      }),
    );
    expect(worst).toBeLessThan(TOLERANCE_USD);
    // The same from a book and market directly, and cell by cell through the revaluer.
    expect(stressGrid({ book, market }, REFERENCE.spot_shocks, REFERENCE.vol_shifts)).toEqual(grid);
    expect(revaluer.pnlUsd({ spot: { BTC: 0.1 }, volShift: 0.1 })).toBe(grid.pnl_usd[3]![2]);
  });
});
