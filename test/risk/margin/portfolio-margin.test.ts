/**
 * Hand-checkable cases of the portfolio margin estimate: each expectation is recomputed here
 * from Black-76 and the published formulas, independently of the module's code path.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/model/errors.js';
import { black76, black76Price } from '../../../src/pricing/black76.js';
import type { OptionKind } from '../../../src/pricing/types.js';
import { DERIBIT_BTC_PM_CONFIG, portfolioMargin, shockedVols } from '../../../src/risk/margin/index.js';
import { book, market } from './market.js';

const NOW = Date.UTC(2020, 4, 22, 8); // 22MAY20 08:00 UTC
const F = 10000;
const MOVES = [-0.16, -0.12, -0.08, -0.04, 0, 0.04, 0.08, 0.12, 0.16];

/** Coin value of an inverse option at forward f: Black-76 USD / f. */
function coinValue(kind: OptionKind, f: number, k: number, years: number, vol: number): number {
  return black76Price(kind, f, k, years, vol, 0) / f;
}

/** Up/same/down vols written out from the published formula. */
function vols(sigma: number, days: number): number[] {
  const w = Math.pow(30 / Math.max(days, 1), days < 30 ? 0.3 : 0.13);
  return [Math.max(sigma, 0.5) * (1 + 0.5 * w), sigma, sigma * (1 - 0.25 * w)];
}

describe('shocked vols', () => {
  it('weights by (30 / days)^power and floors the vol the up shock starts from', () => {
    // 30 days: weight 1 (long-term power from 30 days on).
    const at30 = shockedVols(0.8, 30);
    expect(at30.up).toBeCloseTo(1.2, 15);
    expect(at30.same).toBe(0.8);
    expect(at30.down).toBeCloseTo(0.6, 15);
    // A 30-vol option is shocked up from the 50-vol floor: 0.5 x 1.5, not 0.3 x 1.5.
    expect(shockedVols(0.3, 30).up).toBeCloseTo(0.75, 15);
    expect(shockedVols(0.3, 30).down).toBeCloseTo(0.225, 15);
    // 7.5 days: short-term power 0.3, weight 4^0.3.
    const w = Math.pow(4, 0.3);
    expect(shockedVols(0.8, 7.5).up).toBeCloseTo(0.8 * (1 + 0.5 * w), 14);
    expect(shockedVols(0.8, 7.5).down).toBeCloseTo(0.8 * (1 - 0.25 * w), 14);
    // 365 days: long-term power 0.13.
    expect(shockedVols(0.8, 365).up).toBeCloseTo(0.8 * (1 + 0.5 * Math.pow(30 / 365, 0.13)), 14);
    // Days floored at 1: an option expiring in 2 hours is shocked as a 1-day one.
    expect(shockedVols(0.8, 1 / 12)).toEqual(shockedVols(0.8, 1));
    expect(shockedVols(0.8, 1).up).toBeCloseTo(0.8 * (1 + 0.5 * Math.pow(30, 0.3)), 14);
    // The down shock is floored at 1 vol point when the weight would take it below zero.
    const steep = { ...DERIBIT_BTC_PM_CONFIG, volRangeDown: 0.5 };
    expect(shockedVols(0.8, 1, steep).down).toBe(0.01);
  });
});

describe('portfolio margin, hand-checked', () => {
  it('a single long call: margin = the worst loss over the matrix', () => {
    const name = 'BTC-11JUN20-10000-C'; // 20 days
    const years = 20 / 365;
    const m = market(NOW, { BTC: F }, [{ name, forward: F, vol: 0.8 }]);
    const r = portfolioMargin(book([name, 10]), m);
    const v0 = coinValue('call', F, 10000, years, 0.8);
    const vs = vols(0.8, 20);
    let worst = 0;
    for (const move of MOVES) {
      for (const vol of vs)
        worst = Math.min(worst, 10 * (coinValue('call', F * (1 + move), 10000, years, vol) - v0));
    }
    expect(r.worstCaseCoin).toBeCloseTo(-worst, 12);
    expect(r.worstScenario?.name).toBe('-16%, vol down');
    expect(r.addOns).toEqual({ deltaShockCoin: 0, rollShockCoin: 0, correlationContingencyCoin: 0 });
    expect(r.initialMarginCoin).toBeCloseTo(-worst, 12);
    expect(r.maintenanceMarginCoin).toBeCloseTo(-0.8 * worst, 12);
    expect(r.maintenanceMarginUsd).toBeCloseTo(-0.8 * worst * F, 8);
    // A long option cannot lose more than its value.
    expect(r.worstCaseCoin).toBeLessThan(10 * v0);
    expect(r.scenarios).toHaveLength(27 + 8);
  });

  it('a delta-neutral short straddle: worst at the edge of the range with vol up, the down side in coin', () => {
    const call = 'BTC-19JUN20-10000-C'; // 28 days
    const put = 'BTC-19JUN20-10000-P';
    const years = 28 / 365;
    const g = (kind: OptionKind): number => {
      const x = black76(kind, F, 10000, years, 0.7, 0);
      return x.delta - x.price / F; // premium-adjusted delta per contract
    };
    const optionsDelta = -5 * g('call') - 5 * g('put');
    const hedgeUsd = -optionsDelta * F; // perpetual at mark F: delta amountUsd / F coin
    const m = market(
      NOW,
      { BTC: F },
      [
        { name: call, forward: F, vol: 0.7 },
        { name: put, forward: F, vol: 0.7 },
      ],
      [{ name: 'BTC-PERPETUAL', mark: F, index: F }],
    );
    const r = portfolioMargin(book([call, -5], [put, -5], ['BTC-PERPETUAL', hedgeUsd]), m);
    expect(r.deltaTotalCoin).toBeCloseTo(0, 12);
    const pnl = (move: number, vol: number): number =>
      -5 * (coinValue('call', F * (1 + move), 10000, years, vol) - coinValue('call', F, 10000, years, 0.7)) -
      5 * (coinValue('put', F * (1 + move), 10000, years, vol) - coinValue('put', F, 10000, years, 0.7)) +
      (hedgeUsd / F) * (move / (1 + move));
    const up = vols(0.7, 28)[0]!;
    expect(r.worstScenario?.name).toBe('-16%, vol up');
    expect(r.worstCaseCoin).toBeCloseTo(-pnl(-0.16, up), 12);
    // Short gamma and vega: +16% with vol up loses too, less in coin than -16%.
    const plus = r.scenarios.find((s) => s.name === '+16%, vol up')!;
    expect(plus.pnlCoin).toBeCloseTo(pnl(0.16, up), 12);
    expect(plus.pnlCoin).toBeLessThan(0);
    expect(-plus.pnlCoin).toBeLessThan(r.worstCaseCoin);
    // The unshocked centre earns nothing; vol down at 0 is a gain for the short straddle.
    expect(r.scenarios.find((s) => s.name === '0%, vol same')!.pnlCoin).toBeCloseTo(0, 14);
    expect(r.scenarios.find((s) => s.name === '0%, vol down')!.pnlCoin).toBeGreaterThan(0);
    // The perpetual pays the 1% minimum roll shock on its size.
    expect(r.addOns.rollShockCoin).toBeCloseTo((Math.abs(hedgeUsd) / F) * 0.01, 14);
    expect(r.riskMatrixMarginCoin).toBeCloseTo(r.worstCaseCoin + r.addOns.rollShockCoin, 14);
  });

  it('the extended table dominates for a large short deep out-of-the-money put', () => {
    const name = 'BTC-21JUL20-5000-P'; // 60 days, strike half the forward
    const years = 60 / 365;
    const m = market(NOW, { BTC: F }, [{ name, forward: F, vol: 0.8 }]);
    const r = portfolioMargin(book([name, -1000]), m);
    const up = vols(0.8, 60)[0]!;
    const raw = -1000 * (coinValue('put', F * 0.34, 5000, years, up) - coinValue('put', F, 5000, years, 0.8));
    // Counted: the loss x 0.16 / 0.66, less the 100,000 USD dampener (10 BTC at the index).
    const counted = raw * (0.16 / 0.66) + 100000 / F;
    expect(r.worstScenario).toMatchObject({ table: 'extended', index: 0, name: '-66%, vol up (extended)' });
    expect(r.worstScenario!.rawPnlCoin).toBeCloseTo(raw, 9);
    expect(r.worstCaseCoin).toBeCloseTo(-counted, 9);
    const standardWorst = Math.min(
      ...r.scenarios.filter((s) => s.table === 'standard').map((s) => s.pnlCoin),
    );
    expect(-standardWorst).toBeLessThan(r.worstCaseCoin / 3);
    // A small position stays under the dampener: the extended table then charges nothing.
    const small = portfolioMargin(book([name, -10]), m);
    expect(small.worstScenario?.table).toBe('standard');
    for (const s of small.scenarios.filter((x) => x.table === 'extended')) expect(s.pnlCoin).toBe(0);
  });

  it('the delta shock and the roll shock of futures', () => {
    // 1,000 BTC of perpetual at 30,000 USD: 30M USD of delta, 10M beyond the 20M threshold,
    // that is 333.33 BTC x m_inc 0.00005 = 1.667% of shock on the 1,000 BTC.
    const m = market(
      NOW,
      { BTC: 30000 },
      [],
      [
        { name: 'BTC-PERPETUAL', mark: 30000, index: 30000 },
        { name: 'BTC-25DEC20', mark: 30000, index: 30000 },
      ],
    );
    const r = portfolioMargin(book(['BTC-PERPETUAL', 30e6]), m);
    expect(r.addOns.deltaShockCoin).toBeCloseTo(1000 * (10e6 / 30000) * 0.00005, 9);
    // A calendar spread: delta 0, the roll shock charges both legs, the December one by
    // 7.5% x years to expiry (217 days) since that is above the 1% minimum.
    const spread = portfolioMargin(book(['BTC-PERPETUAL', 3e6], ['BTC-25DEC20', -3e6]), m);
    expect(spread.addOns.deltaShockCoin).toBe(0);
    const years = (Date.UTC(2020, 11, 25, 8) - NOW) / (365 * 86400000);
    expect(spread.addOns.rollShockCoin).toBeCloseTo(100 * 0.01 + 100 * 0.075 * years, 12);
    expect(spread.worstCaseCoin).toBeCloseTo(0, 12);
  });

  it('refuses an unknown instrument, a mark without a vol, a linear instrument and a bad parameter', () => {
    const name = 'BTC-11JUN20-10000-C';
    const m = market(NOW, { BTC: F }, [{ name, forward: F, vol: 0.8 }]);
    expect(() => portfolioMargin(book([name, 1], ['BTC-11JUN20-12000-C', 1]), m)).toThrow(
      /book line 2: instrument: got "BTC-11JUN20-12000-C", expected an instrument with a line in the market snapshot/,
    );
    const noVol = market(NOW, { BTC: F }, [{ name, forward: F, vol: 0.8 }]);
    const q = noVol.options.get(name)!;
    q.ivMark = null;
    q.venueMarkIv = Number.NaN;
    const error = (() => {
      try {
        portfolioMargin(book([name, 1]), noVol);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).field).toBe(`market line 1 (${name}): mark_iv`);
    const noMark = market(NOW, { BTC: F }, [{ name, forward: F, vol: 0.8 }]);
    noMark.options.get(name)!.markCoin = Number.NaN;
    expect(() => portfolioMargin(book([name, 1]), noMark)).toThrow(
      /market line 1 \(BTC-11JUN20-10000-C\): mark_price/,
    );
    const linear = market(NOW, { BTC: F }, [], [{ name: 'BTC_USDC-PERPETUAL', mark: F, index: F }]);
    expect(() => portfolioMargin(book(['BTC_USDC-PERPETUAL', 1]), linear)).toThrow(
      /book line 1: instrument.*inverse/,
    );
    expect(() => portfolioMargin(book([name, 1]), m, { config: { priceRange: -0.1 } })).toThrow(
      /margin config: priceRange/,
    );
    expect(() => portfolioMargin(book([name, 1]), m, { config: { priceSteps: 8 } })).toThrow(
      /margin config: priceSteps/,
    );
    const two = market(
      NOW,
      { BTC: F, ETH: 200 },
      [],
      [
        { name: 'BTC-PERPETUAL', mark: F, index: F },
        { name: 'ETH-PERPETUAL', mark: 200, index: 200 },
      ],
    );
    expect(() => portfolioMargin(book(['BTC-PERPETUAL', 10], ['ETH-PERPETUAL', 10]), two)).toThrow(
      /coin: missing/,
    );
    expect(
      portfolioMargin(book(['BTC-PERPETUAL', 10], ['ETH-PERPETUAL', 10]), two, { coin: 'ETH' }).coin,
    ).toBe('ETH');
  });
});
