/**
 * Coin/USD conversions and the venue's display greeks, checked against the venue's own
 * figures in the 2020-05-21 Deribit snapshot (`data/deribit/`) and DOMAIN.md's worked example.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/model/errors.js';
import { black76, black76Price } from '../../src/pricing/black76.js';
import {
  coinToUsd,
  inverseOptionImpliedVol,
  inverseOptionPayoffCoin,
  inverseOptionPriceCoin,
  premiumAdjustedDelta,
  usdToCoin,
  venueGreeks,
  venueGreeksFromBlack76,
  venueThetaUsdPerDay,
} from '../../src/pricing/coin.js';
import { normCdf } from '../../src/pricing/normal.js';
import type { OptionKind } from '../../src/pricing/types.js';

const MS_PER_YEAR = 365 * 24 * 3600 * 1000;

interface Row {
  instrument_name: string;
  option_type: OptionKind;
  strike: number;
  expiration_timestamp: number;
  timestamp: number;
  underlying_price: number;
  interest_rate: number;
  mark_price: number;
  mark_iv: number;
  greeks: { delta: number; gamma: number; vega: number; theta: number; rho: number };
}

const rows: Row[] = readFileSync(
  new URL('../../data/deribit/btc-options-2020-05-21.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Row);

const years = (r: Row): number => (r.expiration_timestamp - r.timestamp) / MS_PER_YEAR;
const days = (r: Row): number => years(r) * 365;
const ours = (r: Row, vol = r.mark_iv / 100, t = years(r)) =>
  venueGreeks(r.option_type, r.underlying_price, r.strike, t, vol, r.interest_rate);

/** The venue prints greeks to 5 decimals: half a unit of the last digit. */
const PRINTED = 5e-6;
/** The venue prints mark_iv to 2 decimals of a percent: half a unit, as a decimal vol. */
const MARK_IV_HALF_STEP = 0.00005;

describe('DOMAIN.md worked example: inverse option settlement', () => {
  it('a 100,000 call bought for 0.05 BTC, delivery at 125,000, settles 25,000 USD = 0.2 BTC', () => {
    const payoffCoin = inverseOptionPayoffCoin('call', 100_000, 125_000);
    expect(payoffCoin).toBe(0.2);
    expect(coinToUsd(payoffCoin, 125_000)).toBe(25_000);
    expect(payoffCoin - 0.05).toBeCloseTo(0.15, 15);
  });

  it('an out-of-the-money option pays nothing; a put pays (K - S) / S', () => {
    expect(inverseOptionPayoffCoin('call', 100_000, 90_000)).toBe(0);
    expect(inverseOptionPayoffCoin('put', 100_000, 80_000)).toBe(0.25);
  });
});

describe('coin <-> USD', () => {
  it('converts at the price given and back', () => {
    expect(coinToUsd(0.02124908, 9096.11)).toBeCloseTo(193.283969079, 8);
    expect(usdToCoin(coinToUsd(0.0123, 9100), 9100)).toBeCloseTo(0.0123, 15);
  });

  it('refuses a non-positive or non-finite price with a typed error naming the field', () => {
    expect(() => coinToUsd(1, 0)).toThrow(InputError);
    expect(() => coinToUsd(1, -5)).toThrow(/usdPerCoin: got -5/);
    expect(() => usdToCoin(Number.NaN, 100)).toThrow(/amountUsd: got NaN/);
  });

  it('prices in coin as the USD Black-76 price over the forward, and inverts it', () => {
    const coin = inverseOptionPriceCoin('put', 9096.11, 9250, 0.001, 0.8505, 0);
    expect(coin * 9096.11).toBeCloseTo(black76Price('put', 9096.11, 9250, 0.001, 0.8505, 0), 9);
    expect(inverseOptionImpliedVol('put', coin, 9096.11, 9250, 0.001, 0)).toBeCloseTo(0.8505, 12);
  });

  it('a coin premium below intrinsic has no implied vol: InputError on premiumCoin', () => {
    // 9250 put at forward 9096.11: intrinsic 153.89 USD = 0.0169 BTC.
    const call = (): number => inverseOptionImpliedVol('put', 0.01, 9096.11, 9250, 0.001, 0);
    expect(call).toThrow(InputError);
    expect(call).toThrow(/premiumCoin: got 0.01/);
  });

  it('premium-adjusted delta is Black delta minus the coin price', () => {
    expect(premiumAdjustedDelta(-0.73032, 0.02124908)).toBeCloseTo(-0.75156908, 15);
    const g = ours(rows[0] as Row);
    expect(g.premiumAdjustedDeltaPerCoin).toBeCloseTo(g.deltaPerCoin - g.priceCoin, 15);
  });
});

describe('display rho holds spot (Black-Scholes rho), per 1% of rate', () => {
  // Independent: a central difference of the Black-Scholes price with spot held,
  // V(r) = e^{-rT} Black(F = S e^{rT}), against the closed forms.
  const cases: [OptionKind, number, number, number, number, number][] = [
    ['call', 9000, 10000, 0.5, 0.8, 0.05],
    ['put', 9000, 10000, 0.5, 0.8, 0.05],
    ['put', 100, 80, 2, 0.3, -0.01],
    ['call', 100, 130, 0.1, 0.5, 0.02],
  ];
  for (const [kind, spot, strike, t, vol, rate] of cases) {
    it(`${kind} S=${spot} K=${strike} T=${t} vol=${vol} r=${rate}`, () => {
      const priceAt = (r: number): number => black76Price(kind, spot * Math.exp(r * t), strike, t, vol, r);
      const h = 1e-5;
      const finiteDifference = (priceAt(rate + h) - priceAt(rate - h)) / (2 * h) / 100;
      const forward = spot * Math.exp(rate * t);
      const g = venueGreeks(kind, forward, strike, t, vol, rate);
      const sd = vol * Math.sqrt(t);
      const d2 = Math.log(forward / strike) / sd - sd / 2;
      const closedForm =
        kind === 'call'
          ? (strike * t * Math.exp(-rate * t) * normCdf(d2)) / 100
          : (-strike * t * Math.exp(-rate * t) * normCdf(-d2)) / 100;
      expect(g.rhoUsdPerRatePercent).toBeCloseTo(closedForm, 10);
      expect(Math.abs(g.rhoUsdPerRatePercent - finiteDifference)).toBeLessThan(
        1e-6 * Math.max(1, Math.abs(closedForm)),
      );
    });
  }
});

describe('display theta: the smaller in magnitude of 1-day and lifetime theta', () => {
  it('with more than a day left and value to lose, the analytic theta per day', () => {
    const g = black76('call', 9000, 9000, 30 / 365, 0.8, 0);
    expect(venueThetaUsdPerDay(g.theta, g.price, 30 / 365)).toBeCloseTo(g.theta / 365, 12);
  });
  it('never more than the whole price (lifetime theta)', () => {
    expect(venueThetaUsdPerDay(-3650, 2, 30 / 365)).toBe(-2);
  });
  it('with less than a day left, the analytic theta over the time left', () => {
    expect(venueThetaUsdPerDay(-3650, 1000, 0.25 / 365)).toBeCloseTo(-2.5, 12);
  });
});

describe('display greeks against the venue, every option with more than two days to expiry', () => {
  const long = rows.filter((r) => days(r) > 2);

  it('covers the five expiries from 29MAY20 to 25DEC20 (230 options)', () => {
    expect(long.length).toBe(230);
  });

  it('delta within 5e-5, gamma within 1e-5, theta within 5e-3 USD', () => {
    for (const r of long) {
      const g = ours(r);
      expect(Math.abs(g.deltaPerCoin - r.greeks.delta), r.instrument_name).toBeLessThanOrEqual(5e-5);
      expect(Math.abs(g.gammaPerUsd - r.greeks.gamma), r.instrument_name).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(g.thetaUsdPerDay - r.greeks.theta), r.instrument_name).toBeLessThanOrEqual(5e-3);
    }
  });

  it('vega within 1e-3 relative (or its printed rounding, 5e-6, for vegas under 0.005)', () => {
    // A vega printed as 0.004 is only known to 5e-6 / 0.004 = 1.25e-3 relative.
    for (const r of long) {
      const g = ours(r);
      const tolerance = Math.max(1e-3 * Math.abs(r.greeks.vega), PRINTED);
      expect(Math.abs(g.vegaUsdPerVolPoint - r.greeks.vega), r.instrument_name).toBeLessThanOrEqual(
        tolerance,
      );
    }
  });

  it('rho: within printed rounding for 26, plus mark_iv rounding for 185, plus 30 s of time for all 230', () => {
    // Rho (K T N(d2) / 100, up to 210 USD here) is the greek most sensitive to the vol and the
    // time the venue used. Its printed rounding (5e-6) holds for 26 options. The vol we
    // evaluate at is mark_iv rounded to 0.01 vol point: allowing our rho to move over +-0.005
    // vol point covers 185 (largest miss: 25DEC20-24000-P, 6.7e-4 USD, all from the vol).
    // The other 45 differ by up to 2.5e-4 USD (26JUN20-26000-P, 1e-5 relative), which a time
    // 27 s away from the line's `timestamp` explains; no vol within the rounding does.
    const band = (r: Row, seconds: number): number => {
      const at = ours(r).rhoUsdPerRatePercent;
      let widest = 0;
      for (const dv of [-MARK_IV_HALF_STEP, MARK_IV_HALF_STEP]) {
        for (const dt of [-seconds, seconds]) {
          const moved = ours(
            r,
            r.mark_iv / 100 + dv,
            years(r) + (dt * 1000) / MS_PER_YEAR,
          ).rhoUsdPerRatePercent;
          widest = Math.max(widest, Math.abs(moved - at));
        }
      }
      return PRINTED + widest;
    };
    const miss = (r: Row): number => Math.abs(ours(r).rhoUsdPerRatePercent - r.greeks.rho);
    expect(long.filter((r) => miss(r) <= PRINTED).length).toBe(26);
    expect(long.filter((r) => miss(r) <= band(r, 0)).length).toBe(185);
    for (const r of long) expect(miss(r), r.instrument_name).toBeLessThanOrEqual(band(r, 30));
  });
});

describe('display theta on short-dated options (the rule found by testing)', () => {
  // With the venue's own price (mark x forward) as the lifetime theta, the rule gives every
  // option with under two days left within 5e-3 USD + 0.1%; the 0.1% is the time the venue
  // computed at (in-the-money 22MAY20 options, 0.36 day left, need about 60 s).
  const short = rows.filter((r) => days(r) <= 2 && r.mark_price > 0);
  it.each(short.map((r) => [r.instrument_name, r] as const))('%s', (_name, r) => {
    const g = black76(
      r.option_type,
      r.underlying_price,
      r.strike,
      years(r),
      r.mark_iv / 100,
      r.interest_rate,
    );
    const theta = venueThetaUsdPerDay(g.theta, r.mark_price * r.underlying_price, years(r));
    expect(Math.abs(theta - r.greeks.theta)).toBeLessThanOrEqual(5e-3 + 1e-3 * Math.abs(r.greeks.theta));
  });

  it('a finite-difference 1-day theta does not reproduce the venue', () => {
    // BTC-23MAY20-10375-P: in the money, 1.36 days left; the venue shows the analytic theta.
    const r = rows.find((x) => x.instrument_name === 'BTC-23MAY20-10375-P') as Row;
    const t = years(r);
    const price = (tt: number): number =>
      black76Price(r.option_type, r.underlying_price, r.strike, tt, r.mark_iv / 100, r.interest_rate);
    expect(price(t - 1 / 365) - price(t)).toBeCloseTo(-1.38, 2);
    expect(r.greeks.theta).toBe(-4.21773);
    expect(Math.abs(ours(r).thetaUsdPerDay - r.greeks.theta)).toBeLessThan(5e-3);
  });
});

describe('mark price from mark_iv: coin price x forward at mark_iv', () => {
  // The venue's mark_iv is the Black-76 vol of mark_price x underlying_price. Rounded to
  // 0.01 vol point, it fixes the USD price to vega x 0.005 (vega per vol point), i.e. the
  // coin price to vega / F x 0.005, plus the mark's own 8-decimal rounding (5e-9 BTC).
  // That holds for 113 of the 230 options with more than two days left. The others (mostly
  // deep in the money, where the coin price moves with the forward) are reproduced by a
  // forward within 1.7 USD of underlying_price: the mark and underlying_price were not
  // taken at the same instant (underlying_price itself moves by 15 USD over the snapshot).
  const long = rows.filter((r) => days(r) > 2);
  const markTolerance = (r: Row): number => (ours(r).vegaUsdPerVolPoint / r.underlying_price) * 0.005 + 5e-9;
  const coinAt = (r: Row, forward: number): number =>
    inverseOptionPriceCoin(r.option_type, forward, r.strike, years(r), r.mark_iv / 100, r.interest_rate);

  it('within the tolerance from mark_iv rounding for 113 of 230', () => {
    const within = long.filter(
      (r) => Math.abs(coinAt(r, r.underlying_price) - r.mark_price) <= markTolerance(r),
    );
    expect(within.length).toBe(113);
  });

  it('every mark is reproduced by a forward within 2 USD of underlying_price', () => {
    for (const r of long) {
      const lo = Math.min(coinAt(r, r.underlying_price - 2), coinAt(r, r.underlying_price + 2));
      const hi = Math.max(coinAt(r, r.underlying_price - 2), coinAt(r, r.underlying_price + 2));
      // The coin price is monotone in the forward over +-2 USD; the mark lies in its range.
      expect(r.mark_price, r.instrument_name).toBeGreaterThanOrEqual(lo - markTolerance(r));
      expect(r.mark_price, r.instrument_name).toBeLessThanOrEqual(hi + markTolerance(r));
    }
  });

  it("our implied vol of an out-of-the-money mark is the venue's mark_iv within 0.05 vol point", () => {
    // Out of the money the coin price is all time value and moves little with the forward:
    // of 112 such marks of at least one tick, 79 give back mark_iv within its rounding
    // (0.005 vol point), the median is 0.0035 and the worst 0.047 (BTC-25SEP20-9000-P).
    const otm = long.filter((r) =>
      r.option_type === 'call' ? r.strike > r.underlying_price : r.strike < r.underlying_price,
    );
    const pinned = otm.filter((r) => r.mark_price >= 0.0005);
    let worst = 0;
    for (const r of pinned) {
      const vol = inverseOptionImpliedVol(
        r.option_type,
        r.mark_price,
        r.underlying_price,
        r.strike,
        years(r),
        r.interest_rate,
      );
      worst = Math.max(worst, Math.abs(vol * 100 - r.mark_iv));
    }
    expect(pinned.length).toBe(112);
    expect(worst).toBeLessThan(0.05);
  });
});

describe('venueGreeksFromBlack76 is venueGreeks on an existing evaluation', () => {
  it('gives the same numbers', () => {
    const g = black76('put', 9262, 24000, 0.6, 0.9, 0.01);
    expect(venueGreeksFromBlack76(g, 9262, 0.6)).toEqual(venueGreeks('put', 9262, 24000, 0.6, 0.9, 0.01));
  });
});
