/**
 * Greeks of a book: hand-computed small books, the venue's displayed (premium-adjusted) delta,
 * finite differences of the coin value, put-call parity, time-weighted vega, buckets that sum
 * to the total.
 */
import { readFileSync } from 'node:fs';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  aggregateGreeks,
  BookAggregator,
  DELTA_ONE_BUCKET,
  GREEK_FIELDS,
  NO_STRIKE_BUCKET,
  PERPETUAL_BUCKET,
} from '../../src/inventory/aggregate.js';
import {
  BookValuation,
  moveMarket,
  type BookPosition,
  type MarketState,
  type UnderlyingMarket,
} from '../../src/inventory/valuation.js';
import { MS_PER_DAY } from '../../src/model/time.js';
import { black76 } from '../../src/pricing/black76.js';
import { inverseOptionPriceCoin, premiumAdjustedDelta } from '../../src/pricing/coin.js';
import { InputError, UnsupportedError } from '../../src/model/errors.js';

const NOW = Date.UTC(2020, 4, 21, 8);
const EXPIRIES = ['29MAY20', '26JUN20', '25SEP20'];
const EXPIRY_MS: Record<string, number> = {
  '29MAY20': Date.UTC(2020, 4, 29, 8),
  '26JUN20': Date.UTC(2020, 5, 26, 8),
  '25SEP20': Date.UTC(2020, 8, 25, 8),
};

/** A smooth test market: forward with a 5%/year carry from 9000, a skewed smile. */
function testMarket(timeMs = NOW, index = 9000): MarketState {
  const btc: UnderlyingMarket = {
    indexUsd: index,
    forward: (expiryMs) => index * Math.exp((0.05 * (expiryMs - timeMs)) / (365 * MS_PER_DAY)),
    vol: (strike) => 0.7 + 0.1 * Math.log(9000 / strike) + 0.3 * Math.log(strike / 9000) ** 2,
    perpetualUsd: index * 1.0005,
  };
  const eth: UnderlyingMarket = {
    indexUsd: 200,
    forward: () => 201,
    vol: () => 0.9,
  };
  return { timeMs, underlyings: { BTC: btc, ETH: eth } };
}

const FIELDS = GREEK_FIELDS;

describe('hand-computed books', () => {
  it('an inverse future of N USD has delta N / F coin and gamma -2 N / F; the perpetual at its own price', () => {
    const market = testMarket();
    const f = market.underlyings.BTC!.forward(EXPIRY_MS['26JUN20']!);
    const greeks = aggregateGreeks(
      [
        { instrument: 'BTC-26JUN20', amount: 10_000 },
        { instrument: 'BTC-PERPETUAL', amount: -9_004.5 },
      ],
      market,
    );
    const btc = greeks.byUnderlying[0]!;
    const future = btc.byExpiry.find((b) => b.key === '2020-06-26')!;
    expect(future.coin.delta).toBeCloseTo(10_000 / f, 12);
    expect(future.coin.gamma).toBeCloseTo(-20_000 / f, 12);
    expect(future.usd.delta).toBeCloseTo((10_000 / f) * 9000, 8);
    const perpetual = btc.byExpiry.find((b) => b.key === PERPETUAL_BUCKET)!;
    // -9004.5 USD at 9004.5 USD per BTC: short exactly 1 BTC.
    expect(perpetual.coin.delta).toBeCloseTo(-1, 14);
    expect(perpetual.coin.gamma).toBeCloseTo(2, 14);
    for (const b of [future, perpetual]) {
      expect(b.coin.value).toBe(0);
      expect(b.coin.vega).toBe(0);
      expect(b.coin.theta).toBe(0);
    }
    expect(btc.byStrike.find((b) => b.key === NO_STRIKE_BUCKET)!.positions).toBe(2);
    expect(btc.byDelta.find((b) => b.key === DELTA_ONE_BUCKET)!.positions).toBe(2);
  });

  it("the perpetual's delta is the venue's: get_positions' documented example, 50 USD at mark 7476.65 has delta 0.006687487", () => {
    const fixture = JSON.parse(
      readFileSync(new URL('../fixtures/deribit-account/get_positions.json', import.meta.url), 'utf8'),
    ) as {
      result: {
        instrument_name: string;
        size: number;
        mark_price: number;
        index_price: number;
        delta: number;
      }[];
    };
    const venue = fixture.result[0]!;
    const market: MarketState = {
      timeMs: NOW,
      underlyings: {
        BTC: {
          indexUsd: venue.index_price,
          forward: () => NaN,
          vol: () => NaN,
          perpetualUsd: venue.mark_price,
        },
      },
    };
    const g = aggregateGreeks([{ instrument: venue.instrument_name, amount: venue.size }], market)
      .byUnderlying[0]!;
    // The venue prints 9 decimals.
    expect(g.total.coin.delta).toBeCloseTo(venue.delta, 9);
  });

  it('an inverse option: value C/F, premium-adjusted delta, and the Black greeks divided by F', () => {
    // 2 contracts of the 26JUN20 10000 call; Black-76 in USD at the forward, then per coin.
    const market = testMarket();
    const expiry = EXPIRY_MS['26JUN20']!;
    const f = market.underlyings.BTC!.forward(expiry);
    const sigma = market.underlyings.BTC!.vol(10_000, expiry);
    const t = (expiry - NOW) / (365 * MS_PER_DAY);
    const b = black76('call', f, 10_000, t, sigma, 0);
    const g = aggregateGreeks([{ instrument: 'BTC-26JUN20-10000-C', amount: 2 }], market).byUnderlying[0]!
      .total.coin;
    expect(g.value).toBeCloseTo((2 * b.price) / f, 14);
    expect(g.delta).toBeCloseTo(2 * premiumAdjustedDelta(b.delta, b.price / f), 14);
    expect(g.blackDelta).toBeCloseTo(2 * b.delta, 14);
    expect(g.vega).toBeCloseTo((2 * b.vega) / f / 100, 14);
    expect(g.theta).toBeCloseTo((2 * b.theta) / f / 365, 14);
    expect(g.volga).toBeCloseTo((2 * b.volga) / f / 1e4, 14);
  });

  it('refuses a linear instrument, a missing underlying and an expired option', () => {
    expect(() => new BookValuation([{ instrument: 'SOL_USDC-27DEC24-250-C', amount: 1 }])).toThrow(
      UnsupportedError,
    );
    const market = testMarket();
    expect(() => aggregateGreeks([{ instrument: 'XRP-26JUN20', amount: 1 }], market)).toThrow(InputError);
    expect(() =>
      aggregateGreeks([{ instrument: 'BTC-29MAY20-9000-C', amount: 1 }], testMarket(EXPIRY_MS['29MAY20']!)),
    ).toThrow(/expiring after the market time/);
  });
});

describe('greeks are the derivatives of the coin value', () => {
  /** The level (value up to a constant) of one position in a moved market. */
  function level(position: BookPosition, market: MarketState): number {
    return new BookValuation([position]).evaluate(market).level[0]!;
  }

  it('match central differences in spot, vol and time for options, futures and the perpetual', () => {
    const market = testMarket();
    const instruments = [
      'BTC-29MAY20-8000-P',
      'BTC-26JUN20-9000-C',
      'BTC-26JUN20-12000-C',
      'BTC-25SEP20-6000-P',
      'BTC-25SEP20',
      'BTC-PERPETUAL',
    ];
    for (const instrument of instruments) {
      const position = {
        instrument,
        amount: instrument.endsWith('C') || instrument.endsWith('P') ? 3 : 25_000,
      };
      const c = new BookValuation([position]).evaluate(market);
      const at = (move: { spotRelative?: number; volPoints?: number; ms?: number }): number =>
        level(position, moveMarket(market, move));
      const h = 1e-3;
      const v = 0.01;
      const d = (at({ spotRelative: h / 10 }) - at({ spotRelative: -h / 10 })) / (h / 5);
      const g = (at({ spotRelative: h }) - 2 * c.level[0]! + at({ spotRelative: -h })) / (h * h);
      const vega = (at({ volPoints: v }) - at({ volPoints: -v })) / (2 * v);
      const volga = (at({ volPoints: v }) - 2 * c.level[0]! + at({ volPoints: -v })) / (v * v);
      const vanna =
        (at({ spotRelative: h, volPoints: v }) -
          at({ spotRelative: h, volPoints: -v }) -
          at({ spotRelative: -h, volPoints: v }) +
          at({ spotRelative: -h, volPoints: -v })) /
        (4 * h * v);
      const theta = (at({ ms: 60_000 }) - c.level[0]!) / (60_000 / MS_PER_DAY);
      // Central differences carry a truncation of order h² times the next derivative: measured
      // at most 4e-7 relative for delta (0.01% step), 2e-5 for gamma and 3e-5 for vanna (0.1%
      // step and 0.01 vol point); theta's one-minute forward difference ~1e-4 relative.
      const close = (model: number, fd: number, rel: number, what: string): void => {
        expect(Math.abs(model - fd), `${instrument} ${what}: ${model} vs ${fd}`).toBeLessThanOrEqual(
          rel * Math.max(Math.abs(fd), 1e-6),
        );
      };
      close(c.delta[0]!, d, 2e-6, 'delta');
      close(c.gamma[0]!, g, 5e-5, 'gamma');
      close(c.vega[0]!, vega, 1e-6, 'vega');
      close(c.volga[0]!, volga, 1e-4, 'volga');
      close(c.vanna[0]!, vanna, 1e-4, 'vanna');
      close(c.theta[0]!, theta, 1e-3, 'theta');
    }
  });
});

describe('invariants', () => {
  it('a long call and its put-call-parity replica (long put, long K USD of the same-expiry future) have the same greeks', () => {
    // Inverse parity: C/F - P/F = 1 - K/F; a long future of K USD is worth -K/F + const coin.
    const market = testMarket();
    fc.assert(
      fc.property(
        fc.constantFrom(...EXPIRIES),
        fc.integer({ min: 10, max: 300 }),
        fc.double({ min: 0.1, max: 50, noNaN: true }),
        (expiry, strikeHundreds, amount) => {
          const k = strikeHundreds * 100;
          const call = aggregateGreeks([{ instrument: `BTC-${expiry}-${k}-C`, amount }], market)
            .byUnderlying[0]!.total.coin;
          const replica = aggregateGreeks(
            [
              { instrument: `BTC-${expiry}-${k}-P`, amount },
              { instrument: `BTC-${expiry}`, amount: amount * k },
            ],
            market,
          ).byUnderlying[0]!.total.coin;
          const scale = amount * Math.max(1, k / 9000);
          for (const f of FIELDS.filter((f) => f !== 'value' && f !== 'blackDelta')) {
            expect(Math.abs(call[f] - replica[f]), f).toBeLessThan(1e-10 * scale);
          }
          const forward = market.underlyings.BTC!.forward(EXPIRY_MS[expiry]!);
          expect(Math.abs(call.value - replica.value - amount * (1 - k / forward))).toBeLessThan(
            1e-10 * scale,
          );
        },
      ),
      { numRuns: 200, seed: 4 },
    );
  });

  it('time-weighted vega equals vega at 30 days and vega x sqrt(30 / days) elsewhere', () => {
    const expiry = EXPIRY_MS['26JUN20']!;
    const at30 = testMarket(expiry - 30 * MS_PER_DAY);
    const g30 = aggregateGreeks([{ instrument: 'BTC-26JUN20-9000-C', amount: 4 }], at30).byUnderlying[0]!
      .total;
    expect(g30.coin.vega).toBeGreaterThan(0);
    expect(g30.coin.timeWeightedVega).toBeCloseTo(g30.coin.vega, 15);
    expect(g30.usd.timeWeightedVega).toBeCloseTo(g30.usd.vega, 10);
    const g = aggregateGreeks([{ instrument: 'BTC-26JUN20-9000-C', amount: 4 }], testMarket())
      .byUnderlying[0]!.total.coin;
    const days = (expiry - NOW) / MS_PER_DAY;
    expect(g.timeWeightedVega).toBeCloseTo(g.vega * Math.sqrt(30 / days), 15);
  });

  it('each kind of bucket sums to the underlying total, in coin and USD; USD is coin x index; the book total is the sum of underlyings in USD', () => {
    const strikes = [4000, 6000, 8000, 8500, 9000, 9500, 10000, 12000, 15000];
    const optionArb = fc.record({
      instrument: fc
        .tuple(fc.constantFrom(...EXPIRIES), fc.constantFrom(...strikes), fc.constantFrom('C', 'P'))
        .map(([e, k, cp]) => `BTC-${e}-${k}-${cp}`),
      amount: fc.double({ min: -100, max: 100, noNaN: true }),
    });
    const linearArb = fc.record({
      instrument: fc.constantFrom(
        'BTC-PERPETUAL',
        'BTC-26JUN20',
        'BTC-25SEP20',
        'ETH-PERPETUAL',
        'ETH-26JUN20-200-C',
      ),
      amount: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    });
    const aggregator = new BookAggregator([]);
    expect(aggregator.aggregate(testMarket()).byUnderlying).toEqual([]);
    fc.assert(
      fc.property(fc.array(fc.oneof(optionArb, linearArb), { minLength: 1, maxLength: 30 }), (book) => {
        const greeks = new BookAggregator(book).aggregate(testMarket());
        expect(greeks.positions).toBe(book.length);
        const totalUsd: Record<string, number> = {};
        for (const u of greeks.byUnderlying) {
          for (const kind of [u.byExpiry, u.byStrike, u.byDelta]) {
            expect(kind.reduce((n, b) => n + b.positions, 0)).toBe(u.total.positions);
            for (const f of FIELDS) {
              for (const ccy of ['coin', 'usd'] as const) {
                const sum = kind.reduce((s, b) => s + b[ccy][f], 0);
                const size = kind.reduce((s, b) => s + Math.abs(b[ccy][f]), 0);
                expect(Math.abs(sum - u.total[ccy][f])).toBeLessThanOrEqual(1e-12 * size + 1e-300);
              }
            }
          }
          for (const f of FIELDS) {
            expect(u.total.usd[f]).toBeCloseTo(u.total.coin[f] * u.indexUsd, 6);
            totalUsd[f] = (totalUsd[f] ?? 0) + u.total.usd[f];
          }
        }
        for (const f of FIELDS) expect(greeks.totalUsd[f]).toBeCloseTo(totalUsd[f]!, 9);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('buckets options by K/F and by call delta as documented', () => {
    const greeks = aggregateGreeks(
      [
        { instrument: 'BTC-26JUN20-4000-P', amount: 1 }, // far below the forward: K/F < 0.8, call delta > 0.9
        { instrument: 'BTC-26JUN20-9000-C', amount: 1 }, // at the money
        { instrument: 'BTC-26JUN20-15000-C', amount: 1 }, // far above: K/F >= 1.2, call delta < 0.1
      ],
      testMarket(),
    ).byUnderlying[0]!;
    const count = (buckets: { key: string; positions: number }[]): Record<string, number> =>
      Object.fromEntries(buckets.filter((b) => b.positions > 0).map((b) => [b.key, b.positions]));
    expect(count(greeks.byStrike)).toEqual({ '<0.8': 1, '0.95-1.05': 1, '>=1.2': 1 });
    expect(count(greeks.byDelta)).toEqual({ '>=0.9': 1, '0.4-0.6': 1, '<0.1': 1 });
    expect(greeks.byExpiry.map((b) => b.key)).toEqual(['2020-06-26']);
  });
});

describe('the premium-adjusted delta of one option equals the venue portfolio delta it displays', () => {
  it('Black delta minus the coin price, with the Black delta from inverseOptionPriceCoin differences', () => {
    const market = testMarket();
    const expiry = EXPIRY_MS['25SEP20']!;
    const u = market.underlyings.BTC!;
    const f = u.forward(expiry);
    const sigma = u.vol(7000, expiry);
    const t = (expiry - NOW) / (365 * MS_PER_DAY);
    const h = 1e-3;
    const coin = (x: number): number => inverseOptionPriceCoin('put', x, 7000, t, sigma, 0);
    // F d(C/F)/dF by a central difference of the venue-style coin price.
    const fd = (f * (coin(f + h) - coin(f - h))) / (2 * h);
    const g = aggregateGreeks([{ instrument: 'BTC-25SEP20-7000-P', amount: 1 }], market).byUnderlying[0]!
      .total.coin;
    expect(g.delta).toBeCloseTo(fd, 8);
    expect(g.delta).toBeLessThan(g.blackDelta); // a long put: premium-adjusted is more negative
  });
});
