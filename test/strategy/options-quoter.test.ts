import { describe, expect, it } from 'vitest';
import { INVERSE_OPTION_TICKS } from '../../src/model/default-instruments.js';
import { formatInstrumentName } from '../../src/model/instrument-name.js';
import { MS_PER_YEAR } from '../../src/model/time.js';
import {
  black76SpreadTaylor,
  OptionsQuoter,
  type OptionsQuoterConfig,
} from '../../src/strategy/options-quoter.js';
import { VolSurface, type SurfaceSlice } from '../../src/vol/surface.js';

const T0 = Date.UTC(2024, 0, 2, 8);
const SPOT = 40_000;
const E1 = Date.UTC(2024, 0, 26, 8);
const E2 = Date.UTC(2024, 2, 29, 8);
const SVI = [
  { a: 0.01, b: 0.03, rho: -0.3, m: 0.02, sigma: 0.15 },
  { a: 0.04, b: 0.06, rho: -0.25, m: 0.0, sigma: 0.2 },
];
const CARRY = [1.004, 1.012];

function surface(): VolSurface {
  const slices: SurfaceSlice[] = [E1, E2].map((expiryMs, e) => ({
    expiryMs,
    yearsToExpiry: (expiryMs - T0) / MS_PER_YEAR,
    forward: SPOT * CARRY[e]!,
    svi: SVI[e]!,
  }));
  return new VolSurface(T0, slices);
}

const STRIKES = [10_000, 20_000, 30_000, 36_000, 40_000, 44_000, 50_000, 70_000, 120_000];
const NAMES = [E1, E2].flatMap((expiryMs) =>
  STRIKES.flatMap((strike) =>
    (['call', 'put'] as const).map((optionType) =>
      formatInstrumentName({ kind: 'option', base: 'BTC', quote: null, expiryMs, strike, optionType }),
    ),
  ),
);
const CONFIG: OptionsQuoterConfig = {
  halfSpreadVol: 0.01,
  vegaSkewVol: 0.02,
  deltaSkew: 0.004,
  baseSize: 10,
};
const LIMITS = { vegaPerExpiry: 1000, vegaTotal: 3000, deltaCoin: 20 };

function quoter(
  config: Partial<OptionsQuoterConfig> = {},
  extra: Partial<ConstructorParameters<typeof OptionsQuoter>[0]> = {},
) {
  return new OptionsQuoter({
    surface: surface(),
    refSpot: SPOT,
    instruments: NAMES,
    config: { ...CONFIG, ...config },
    limits: LIMITS,
    atMs: T0,
    ...extra,
  });
}

// ---- independent reference: normal CDF by Simpson integration of the density, Black-76, raw SVI
function normCdf(x: number): number {
  const n = 4000;
  const a = Math.abs(x);
  const h = a / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    s += w * Math.exp(-0.5 * (i * h) ** 2);
  }
  const half = (s * h) / 3 / Math.sqrt(2 * Math.PI);
  return x >= 0 ? 0.5 + half : 0.5 - half;
}
function refBlack(call: boolean, f: number, k: number, t: number, vol: number) {
  const sd = vol * Math.sqrt(t);
  const d1 = Math.log(f / k) / sd + sd / 2;
  const d2 = d1 - sd;
  const price = call ? f * normCdf(d1) - k * normCdf(d2) : k * normCdf(-d2) - f * normCdf(-d1);
  const delta = call ? normCdf(d1) : normCdf(d1) - 1;
  const vega = (f * Math.exp(-0.5 * d1 * d1) * Math.sqrt(t)) / Math.sqrt(2 * Math.PI);
  return { price, delta, vega };
}
function refVol(e: number, strike: number, spot: number): number {
  const p = SVI[e]!;
  const f = spot * CARRY[e]!;
  const k = Math.log(strike / f) - p.m;
  const w = p.a + p.b * (p.rho * k + Math.sqrt(k * k + p.sigma * p.sigma));
  return Math.sqrt(w / (([E1, E2][e]! - T0) / MS_PER_YEAR));
}
function parse(name: string) {
  const [, exp, k, cp] = name.split('-');
  return { e: exp === '26JAN24' ? 0 : 1, strike: Number(k), call: cp === 'C' };
}

const flat = { vegaByExpiry: [0, 0], deltaCoin: 0 };
const TOL_PRICE = 1e-9; // coin per contract: Simpson CDF error is below 1e-12

describe('OptionsQuoter prices', () => {
  it('vols and prices match an independent Black-76 in coin; bids rounded down, asks up, one tick at most', () => {
    for (const spot of [SPOT, 37_123.5, 43_210]) {
      const q = quoter();
      const out = q.quote(spot, flat);
      let checked = 0;
      NAMES.forEach((name, i) => {
        const { e, strike, call } = parse(name);
        const t = ([E1, E2][e]! - T0) / MS_PER_YEAR;
        const f = spot * CARRY[e]!;
        const sigma = refVol(e, strike, spot);
        expect(out.surfaceVol[i]).toBeCloseTo(sigma, 12);
        const rawBid = refBlack(call, f, strike, t, sigma - 0.01).price / f;
        const rawAsk = refBlack(call, f, strike, t, sigma + 0.01).price / f;
        const mid = refBlack(call, f, strike, t, sigma);
        expect(Math.abs(out.delta[i]! - (mid.delta - mid.price / f))).toBeLessThan(1e-9);
        expect(Math.abs(out.vega[i]! - mid.vega / 100)).toBeLessThan(1e-7 * Math.max(1, mid.vega));
        const ask = out.askPrice[i]!;
        const tickA = INVERSE_OPTION_TICKS.tickAt(ask, T0);
        expect(INVERSE_OPTION_TICKS.isOnTick(ask, T0)).toBe(true);
        if (rawAsk >= 0.0001) {
          expect(ask).toBeGreaterThanOrEqual(rawAsk - TOL_PRICE);
          expect(ask - rawAsk).toBeLessThan(tickA + TOL_PRICE);
          expect(ask).toBe(INVERSE_OPTION_TICKS.snap(rawAsk, T0, 'up'));
        } else expect(ask).toBe(0.0001); // lifted to the minimum price
        if (out.bidSize[i]! > 0) {
          const bid = out.bidPrice[i]!;
          expect(INVERSE_OPTION_TICKS.isOnTick(bid, T0)).toBe(true);
          expect(bid).toBeLessThanOrEqual(rawBid + TOL_PRICE);
          expect(rawBid - bid).toBeLessThan(INVERSE_OPTION_TICKS.tickAt(rawBid, T0) + TOL_PRICE);
          expect(bid).toBeLessThan(ask);
          expect(bid).toBeGreaterThanOrEqual(0.0001);
          checked++;
        } else {
          expect(rawBid).toBeLessThan(0.0001 + TOL_PRICE); // only dropped below the minimum price
          expect(Number.isNaN(out.bidPrice[i]!)).toBe(true);
        }
      });
      expect(checked).toBeGreaterThan(NAMES.length / 2);
    }
  });

  it('a maximum price drops asks above it and lowers bids to it; bid < ask kept', () => {
    const q = quoter({}, { instruments: NAMES.map((instrument) => ({ instrument, maxPrice: 0.02 })) });
    const out = q.quote(SPOT, flat);
    let dropped = 0;
    NAMES.forEach((_, i) => {
      if (out.askSize[i]! > 0) expect(out.askPrice[i]!).toBeLessThanOrEqual(0.02);
      else dropped++;
      if (out.bidSize[i]! > 0) expect(out.bidPrice[i]!).toBeLessThanOrEqual(0.02);
      if (out.bidSize[i]! > 0 && out.askSize[i]! > 0) expect(out.bidPrice[i]!).toBeLessThan(out.askPrice[i]!);
    });
    expect(dropped).toBeGreaterThan(0);
  });

  it('zero-width spread still gives bid < ask (bid one tick below)', () => {
    const q = quoter({ halfSpreadVol: 1e-9 });
    const out = q.quote(SPOT, flat);
    NAMES.forEach((_, i) => {
      if (out.bidSize[i]! > 0) expect(out.bidPrice[i]!).toBeLessThan(out.askPrice[i]!);
    });
  });
});

describe('OptionsQuoter skew', () => {
  it("long vega in one expiry lowers only that expiry's vols, by vegaSkewVol x use, both sides", () => {
    const q = quoter();
    const base = q.quote(SPOT, flat);
    const bidVol = Float64Array.from(base.bidVol);
    const askVol = Float64Array.from(base.askVol);
    const bid = Float64Array.from(base.bidPrice);
    const skewed = q.quote(SPOT, { vegaByExpiry: [600, 0], deltaCoin: 0 });
    NAMES.forEach((name, i) => {
      const shift = parse(name).e === 0 ? -0.02 * 0.6 : 0;
      expect(skewed.bidVol[i]! - bidVol[i]!).toBeCloseTo(shift, 14);
      expect(skewed.askVol[i]! - askVol[i]!).toBeCloseTo(shift, 14);
      if (parse(name).e === 0 && skewed.bidSize[i]! > 0)
        expect(skewed.bidPrice[i]!).toBeLessThanOrEqual(bid[i]!);
    });
  });

  it('long delta lowers calls and raises puts by deltaSkew x use x premium-adjusted delta', () => {
    const q = quoter({ halfSpreadVol: 0.01 });
    const base = q.quote(SPOT, flat);
    const askBase = Float64Array.from(base.askPrice);
    const long = q.quote(SPOT, { vegaByExpiry: [0, 0], deltaCoin: 10 });
    let moved = 0;
    NAMES.forEach((name, i) => {
      const { e, strike, call } = parse(name);
      const f = SPOT * CARRY[e]!;
      const t = ([E1, E2][e]! - T0) / MS_PER_YEAR;
      const sigma = refVol(e, strike, SPOT);
      const mid = refBlack(call, f, strike, t, sigma);
      const rawAsk =
        refBlack(call, f, strike, t, sigma + 0.01).price / f - 0.004 * 0.5 * (mid.delta - mid.price / f);
      expect(long.askPrice[i]).toBe(INVERSE_OPTION_TICKS.snap(Math.max(rawAsk, 0.0001), T0, 'up'));
      if (call) expect(long.askPrice[i]!).toBeLessThanOrEqual(askBase[i]!);
      else expect(long.askPrice[i]!).toBeGreaterThanOrEqual(askBase[i]!);
      if (long.askPrice[i] !== askBase[i]) moved++;
    });
    expect(moved).toBeGreaterThan(NAMES.length / 3);
  });
});

describe('OptionsQuoter sizes', () => {
  it('the side adding vega shrinks linearly with the expiry limit use and is zero at the limit', () => {
    const q = quoter({ deltaSkew: 0 }, { limits: { ...LIMITS, deltaCoin: 1e9, vegaTotal: 1e9 } });
    for (const use of [0, 0.25, 0.5, 0.9, 1, 1.2]) {
      const out = q.quote(SPOT, { vegaByExpiry: [use * 1000, 0], deltaCoin: 0 });
      NAMES.forEach((name, i) => {
        if (parse(name).e !== 0 || out.surfaceVol[i]! <= 0) return;
        const vega = out.vega[i]!;
        const expectedBid = Math.min(10 * Math.max(0, 1 - use), Math.max(0, 1000 - use * 1000) / vega);
        const lotted = Math.floor(expectedBid * 10 + 1e-9) / 10;
        if (!Number.isNaN(out.bidPrice[i]!) || lotted === 0) expect(out.bidSize[i]).toBeCloseTo(lotted, 12);
        // selling reduces vega: full size (capped at 2x limit room, far away here)
        expect(out.askSize[i]).toBeCloseTo(
          Math.min(10, Math.floor(((use * 1000 + 1000) / vega) * 10 + 1e-9) / 10),
          12,
        );
      });
    }
  });

  it('a full fill can never pass a limit: size x greek within the room', () => {
    const q = quoter();
    const book = { vegaByExpiry: [950, -400], deltaCoin: 19.5 };
    const out = q.quote(SPOT, book);
    NAMES.forEach((name, i) => {
      const e = parse(name).e;
      const v = out.vega[i]!;
      const d = out.delta[i]!;
      const after = (s: number) => ({
        vegaE: book.vegaByExpiry[e]! + s * v,
        vegaT: 550 + s * v,
        delta: book.deltaCoin + s * d,
      });
      for (const s of [out.bidSize[i]!, -out.askSize[i]!]) {
        const a = after(s);
        const before = [book.vegaByExpiry[e]!, 550, book.deltaCoin];
        const lim = [1000, 3000, 20];
        [a.vegaE, a.vegaT, a.delta].forEach((x, j) => {
          expect(Math.abs(x) <= lim[j]! + 1e-9 || Math.abs(x) <= Math.abs(before[j]!)).toBe(true);
        });
      }
    });
  });

  it('delta at its limit: no call bids or put asks; the reducing sides keep their size', () => {
    const q = quoter({ deltaSkew: 0 }, { limits: { ...LIMITS, vegaPerExpiry: 1e9, vegaTotal: 1e9 } });
    const out = q.quote(SPOT, { vegaByExpiry: [0, 0], deltaCoin: 20 });
    NAMES.forEach((name, i) => {
      const { call } = parse(name);
      if (Math.abs(out.delta[i]!) < 1e-6) return;
      if (call) {
        expect(out.bidSize[i]).toBe(0);
        expect(out.askSize[i]).toBe(10);
      } else {
        expect(out.askSize[i]).toBe(0);
      }
    });
  });
});

describe('OptionsQuoter input', () => {
  it('names the field of bad input', () => {
    expect(() => quoter({ halfSpreadVol: -1 })).toThrow(/config.halfSpreadVol/);
    expect(() => quoter({}, { instruments: ['BTC-PERPETUAL'] })).toThrow(/instruments\[0\]/);
    expect(() => quoter({}, { limits: { ...LIMITS, vegaPerExpiry: [1] } })).toThrow(/vegaPerExpiry/);
    expect(() => quoter({}, { refSpot: 0 })).toThrow(/refSpot/);
    const q = quoter();
    expect(() => q.quote(-1, flat)).toThrow(/spot/);
    expect(() => q.quote(SPOT, { vegaByExpiry: [0], deltaCoin: 0 })).toThrow(/vegaByExpiry/);
    expect(() => q.quote(SPOT, { vegaByExpiry: [0, 0], deltaCoin: NaN })).toThrow(/deltaCoin/);
  });

  it('book greeks: a sum over positions of the per-contract greeks', () => {
    const q = quoter();
    const out = q.quote(SPOT, flat);
    const vega = new Float64Array(2);
    const delta = q.bookGreeks([0, 3, 20], [2, -1, 0.5], 3, vega);
    expect(delta).toBeCloseTo(2 * out.delta[0]! - out.delta[3]! + 0.5 * out.delta[20]!, 12);
    expect(vega[0]).toBeCloseTo(2 * out.vega[0]! - out.vega[3]!, 12);
    expect(vega[1]).toBeCloseTo(0.5 * out.vega[20]!, 12);
  });
});

describe('OptionsQuoter fast path: one evaluation and a bounded Taylor step', () => {
  // Independent reference: refBlack above (Simpson CDF, error below 1e-12 of F + K here).
  const cases: [boolean, number, number, number, number, number][] = [];
  for (const call of [true, false])
    for (const strike of [20_000, 33_000, 39_000, 40_000, 41_500, 47_000, 60_000])
      for (const t of [3 / 365, 0.05, 0.25, 1])
        for (const vol of [0.3, 0.6, 1.1])
          for (const h of [0.002, 0.01, 0.04]) cases.push([call, 40_000, strike, t, vol, h]);

  it('centre price, delta and vega match an independent Black-76; the bound holds for bid and ask', () => {
    let tight = 0;
    let measured = 0;
    for (const [call, f, k, t, vol, h] of cases) {
      const r = black76SpreadTaylor(call, f, k, t, vol, h);
      const tol = 1e-12 * (f + k); // reference accuracy
      const mid = refBlack(call, f, k, t, vol);
      expect(Math.abs(r.price - mid.price)).toBeLessThan(tol);
      expect(Math.abs(r.delta - mid.delta)).toBeLessThan(1e-11);
      expect(Math.abs(r.vega - mid.vega)).toBeLessThan(1e-9 * Math.max(1, mid.vega));
      const bid = refBlack(call, f, k, t, vol - h).price;
      const ask = refBlack(call, f, k, t, vol + h).price;
      const errors = [Math.abs(r.bid - bid), Math.abs(r.ask - ask)];
      for (const error of errors) {
        expect(error).toBeLessThanOrEqual(r.errorBound + tol);
        if (error > 1e3 * tol) {
          measured++;
          if (r.errorBound < 30 * error) tight++;
        }
      }
    }
    // Not vacuous: most measurable errors are within a factor 30 of the bound.
    expect(measured).toBeGreaterThan(100);
    expect(tight / measured).toBeGreaterThan(0.8);
  });

  it('the estimate rounds to the exact price on the tick except within its bound of a boundary', () => {
    let near = 0;
    let total = 0;
    for (const [call, f, k, t, vol, h] of cases) {
      if (h > 0.01) continue; // the error grows as h^3: at 0.04 the bound reaches a tick
      const r = black76SpreadTaylor(call, f, k, t, vol, h);
      for (const [estimate, exact, up] of [
        [r.ask / f, refBlack(call, f, k, t, vol + h).price / f, true],
        [r.bid / f, refBlack(call, f, k, t, vol - h).price / f, false],
      ] as const) {
        if (exact < 0.0001) continue;
        total++;
        const dir = up ? 'up' : 'down';
        const boundCoin = r.errorBound / f + 1e-12 * (1 + k / f);
        const straddles =
          INVERSE_OPTION_TICKS.snap(exact - boundCoin, T0, dir) !==
          INVERSE_OPTION_TICKS.snap(exact + boundCoin, T0, dir);
        if (straddles) near++;
        else
          expect(INVERSE_OPTION_TICKS.snap(estimate, T0, dir)).toBe(
            INVERSE_OPTION_TICKS.snap(exact, T0, dir),
          );
      }
    }
    expect(total).toBeGreaterThan(200);
    // Near a boundary: mostly the deep in-the-money calls at exactly 0.5 coin (intrinsic value
    // on the tick, time value below 1e-11), which any nonzero bound straddles.
    expect(near).toBeGreaterThan(0);
    expect(near / total).toBeLessThan(0.06);
  });

  it('quote gives exactly the prices and sizes of three exact evaluations (quoteExact), ticks near boundaries included', () => {
    let exactSides: number;
    let quotedSides: number;
    const rates: number[] = [];
    for (const [config, extra] of [
      [{}, {}],
      [{ halfSpreadVol: 0.05, deltaSkew: 0.01 }, {}],
      [{ halfSpreadVol: 0.002, rate: 0.03, shrinkStart: 0.5, minSize: 1 }, {}],
      // spread wide against the lowest vols: the Taylor step is not taken there
      [{ halfSpreadVol: 0.15, vegaSkewVol: 0.05 }, {}],
      [{}, { instruments: NAMES.map((instrument) => ({ instrument, maxPrice: 0.02, minPrice: 0.0005 })) }],
    ] as [Partial<OptionsQuoterConfig>, Partial<ConstructorParameters<typeof OptionsQuoter>[0]>][]) {
      const fast = quoter(config, extra);
      const exact = quoter(config, extra);
      exactSides = 0;
      quotedSides = 0;
      for (let j = 0; j < 400; j++) {
        const spot = SPOT * (0.7 + (0.6 * j) / 400);
        const book = {
          vegaByExpiry: [((j % 7) - 3) * 300, ((j % 5) - 2) * 400],
          deltaCoin: ((j % 9) - 4) * 4,
        };
        const a = fast.quote(spot, book);
        const b = exact.quoteExact(spot, book);
        exactSides += fast.lastExactSides;
        for (let i = 0; i < NAMES.length; i++) {
          expect(a.bidSize[i]).toBe(b.bidSize[i]);
          expect(a.askSize[i]).toBe(b.askSize[i]);
          expect(a.bidPrice[i]).toBe(b.bidPrice[i]);
          expect(a.askPrice[i]).toBe(b.askPrice[i]);
          expect(Math.abs(a.delta[i]! - b.delta[i]!)).toBeLessThan(1e-13);
          expect(Math.abs(a.vega[i]! - b.vega[i]!)).toBeLessThan(1e-12 * Math.max(1, Math.abs(b.vega[i]!)));
          if (a.bidSize[i]! > 0) quotedSides++;
          if (a.askSize[i]! > 0) quotedSides++;
        }
      }
      rates.push(exactSides / quotedSides);
    }
    // The exact fallback was exercised; rare at the default one-vol-point half-spread, common
    // only at 5 and 15 points (Taylor error ~ h^3).
    expect(rates[0]! + rates[2]! + rates[4]!).toBeGreaterThan(0);
    expect(rates[1]).toBeGreaterThan(0);
    expect(rates[3]).toBeLessThan(0.5);
    expect(rates[0]).toBeLessThan(0.01);
    expect(rates[2]).toBeLessThan(0.01);
    expect(rates[4]).toBeLessThan(0.01);
  });

  it('a surface of another class is evaluated through its own totalVariance', () => {
    class Shifted extends VolSurface {
      override totalVariance(k: number, t: number): number {
        return super.totalVariance(k, t) + 0.0001 * t;
      }
    }
    const base = surface();
    const shifted = new Shifted(base.asOfMs, base.slices);
    const q = quoter({}, { surface: shifted });
    const out = q.quote(SPOT, flat);
    NAMES.forEach((name, i) => {
      const { e, strike } = parse(name);
      const t = ([E1, E2][e]! - T0) / MS_PER_YEAR;
      const sigma = refVol(e, strike, SPOT);
      expect(out.surfaceVol[i]).toBeCloseTo(Math.sqrt(sigma * sigma + 0.0001), 12);
      void t;
    });
  });

  it('black76SpreadTaylor names a half-spread outside (0, 0.15 vol)', () => {
    expect(() => black76SpreadTaylor(true, 40_000, 40_000, 0.1, 0.5, 0.08)).toThrow(/halfSpreadVol/);
    expect(black76SpreadTaylor(true, 40_000, 40_000, 0.1, 0.5, 0.07).errorBound).toBeGreaterThan(0);
  });
});
