/**
 * The forward curve: interpolation against values computed by hand (mpmath, 30 digits: the
 * figures are quoted in the tests), the funding and futures constructors, put-call parity on
 * constructed quotes and on the 2020-05-21 Deribit snapshot, and the refusal of bad input.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/model/errors.js';
import { MS_PER_YEAR } from '../../src/model/time.js';
import { quotesByExpiry, readChain } from '../../src/vol/chain.js';
import {
  annualisedFunding,
  ForwardCurve,
  syntheticForward,
  type ParityQuote,
} from '../../src/vol/forward-curve.js';

const AS_OF = Date.UTC(2020, 0, 1, 8);
const at = (years: number): number => AS_OF + Math.round(years * MS_PER_YEAR);
/** Two points: 10100 at 0.25 y, 10500 at 1 y. */
const POINTS = [
  { expiryMs: at(1), forward: 10500 },
  { expiryMs: at(0.25), forward: 10100 },
];

/** Throws an `InputError` whose field is `field`. */
function expectInputError(run: () => unknown, field: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect((caught as InputError).field).toBe(field);
}

describe('ForwardCurve interpolation (hand-computed, mpmath 30 digits)', () => {
  const curve = new ForwardCurve(AS_OF, POINTS);
  const withSpot = new ForwardCurve(AS_OF, POINTS, { spotUsd: 10000 });

  it('passes through its points, sorted by expiry', () => {
    expect(curve.points.map((p) => p.forward)).toEqual([10100, 10500]);
    expect(curve.forward(at(0.25))).toBeCloseTo(10100, 9);
    expect(curve.forward(at(1))).toBeCloseTo(10500, 9);
  });

  it('between points: log-forward linear in time (halfway in time = geometric mean)', () => {
    // sqrt(10100 x 10500) = 10298.0580693643401...
    expect(curve.forward(at(0.625))).toBeCloseTo(10298.05806936434, 8);
    // constant carry on the segment: ln(10500/10100) / 0.75 = 0.0517864444216852...
    expect(curve.carryPerYear(at(0.5))).toBeCloseTo(0.0517864444216852, 14);
  });

  it("beyond the last point: the last segment's carry, held flat", () => {
    // 10500 (10500/10100)^(1/0.75) = 11058.08352879190...
    expect(curve.forward(at(2))).toBeCloseTo(11058.0835287919, 7);
    expect(curve.carryPerYear(at(5))).toBeCloseTo(0.0517864444216852, 14);
  });

  it("before the first point without spot: the first segment's carry backwards", () => {
    // 10100 (10500/10100)^(-0.125/0.75) = 10034.83077165061...
    expect(curve.forward(at(0.125))).toBeCloseTo(10034.8307716506, 8);
    expect(curve.forward(AS_OF)).toBeCloseTo(10100 * (10500 / 10100) ** (-0.25 / 0.75), 8);
  });

  it("with a spot: spot at the as-of time, the first point's carry against spot before it", () => {
    expect(withSpot.spotUsd).toBe(10000);
    expect(withSpot.forward(AS_OF)).toBeCloseTo(10000, 9);
    // sqrt(10000 x 10100) = 10049.8756211208903...
    expect(withSpot.forward(at(0.125))).toBeCloseTo(10049.87562112089, 8);
    // ln(10100/10000) / 0.25 = 0.0398013234126723...
    expect(withSpot.carryPerYear(at(0.1))).toBeCloseTo(0.0398013234126723, 14);
    // Between and beyond the points the spot changes nothing.
    expect(withSpot.forward(at(0.625))).toBeCloseTo(10298.05806936434, 8);
    expect(withSpot.forward(at(2))).toBeCloseTo(11058.0835287919, 7);
  });

  it('one point and no spot: that forward everywhere (no carry is known)', () => {
    const single = new ForwardCurve(AS_OF, [{ expiryMs: at(0.5), forward: 9000 }]);
    expect(single.forward(at(0.1))).toBe(9000);
    expect(single.forward(at(3))).toBe(9000);
    expect(single.carryPerYear(at(3))).toBe(0);
  });

  it('is monotone between points of rising forwards and continuous at the points', () => {
    let previous = 0;
    for (let t = 0; t <= 3; t += 1 / 64) {
      const f = withSpot.forward(at(t));
      expect(f).toBeGreaterThan(previous);
      previous = f;
    }
    const eps = 1000; // one second either side of a point
    expect(Math.abs(curve.forward(at(1) - eps) - curve.forward(at(1) + eps))).toBeLessThan(1e-3);
  });
});

describe('ForwardCurve.fromFunding: perpetual funding as carry', () => {
  it('annualises the 8-hour rate as rate x 3 x 365', () => {
    expect(annualisedFunding(0.0001)).toBeCloseTo(0.1095, 15);
    expect(annualisedFunding(-0.0002)).toBeCloseTo(-0.219, 15);
  });

  it('F(T) = S e^{cT}', () => {
    const curve = ForwardCurve.fromFunding(AS_OF, 10000, 0.0001);
    // 10000 e^{0.1095 x 0.5} = 10562.7651253596838...
    expect(curve.forward(at(0.5))).toBeCloseTo(10562.7651253597, 8);
    expect(curve.carryPerYear(at(0.5))).toBeCloseTo(0.1095, 14);
    expect(curve.carryPerYear(at(3))).toBeCloseTo(0.1095, 14);
    // Negative funding: the forward lies below spot. 9000 e^{-0.1095} = 8066.5394792589807...
    expect(ForwardCurve.fromFunding(AS_OF, 9000, -0.00005).forward(at(2))).toBeCloseTo(8066.539479258981, 7);
    expect(ForwardCurve.fromFunding(AS_OF, 9000, 0).forward(at(2))).toBeCloseTo(9000, 9);
  });
});

describe('ForwardCurve.fromFutures', () => {
  it('takes the expiry from the future name (08:00 UTC) and its price as the forward', () => {
    const asOf = Date.UTC(2020, 4, 21, 23, 20);
    const curve = ForwardCurve.fromFutures(
      asOf,
      [
        { instrumentName: 'BTC-25SEP20', priceUsd: 9180 },
        { instrumentName: 'BTC-26JUN20', priceUsd: 9094.5 },
      ],
      { spotUsd: 9095.8 },
    );
    expect(curve.points).toEqual([
      { expiryMs: Date.UTC(2020, 5, 26, 8), forward: 9094.5 },
      { expiryMs: Date.UTC(2020, 8, 25, 8), forward: 9180 },
    ]);
    expect(curve.forward(Date.UTC(2020, 5, 26, 8))).toBeCloseTo(9094.5, 9);
  });

  it('refuses a name that is not a dated future, naming the entry', () => {
    const future = (instrumentName: string) => [{ instrumentName, priceUsd: 9000 }];
    expectInputError(
      () => ForwardCurve.fromFutures(AS_OF, future('BTC-26JUN20-9000-C')),
      'futures[0].instrumentName',
    );
    expectInputError(
      () => ForwardCurve.fromFutures(AS_OF, future('BTC-PERPETUAL')),
      'futures[0].instrumentName',
    );
    expectInputError(
      () => ForwardCurve.fromFutures(AS_OF, future('BTC-31JUN20')),
      'futures[0].instrumentName',
    );
    expectInputError(
      () => ForwardCurve.fromFutures(AS_OF, [{ instrumentName: 'BTC-26JUN20', priceUsd: -1 }]),
      'futures[0].priceUsd',
    );
  });
});

describe('ForwardCurve refuses bad input with an InputError naming the field', () => {
  const point = (forward: number, expiryMs = at(1)) => [{ expiryMs, forward }];
  it.each([
    ['points[0].forward', () => new ForwardCurve(AS_OF, point(0))],
    ['points[0].forward', () => new ForwardCurve(AS_OF, point(-5))],
    ['points[0].forward', () => new ForwardCurve(AS_OF, point(NaN))],
    ['points[0].forward', () => new ForwardCurve(AS_OF, point(Infinity))],
    ['points[0].expiryMs', () => new ForwardCurve(AS_OF, point(100, NaN))],
    ['points[0].expiryMs', () => new ForwardCurve(AS_OF, point(100, AS_OF))],
    ['points[1].expiryMs', () => new ForwardCurve(AS_OF, [...point(100), ...point(101)])],
    ['points', () => new ForwardCurve(AS_OF, [])],
    ['asOfMs', () => new ForwardCurve(NaN, point(100))],
    ['spotUsd', () => new ForwardCurve(AS_OF, point(100), { spotUsd: 0 })],
    ['spotUsd', () => new ForwardCurve(AS_OF, point(100), { spotUsd: Infinity })],
    ['spotUsd', () => ForwardCurve.fromFunding(AS_OF, -1, 0.0001)],
    ['fundingRate8h', () => ForwardCurve.fromFunding(AS_OF, 9000, NaN)],
    ['expiryMs', () => new ForwardCurve(AS_OF, point(100)).forward(AS_OF - 1)],
    ['expiryMs', () => new ForwardCurve(AS_OF, point(100)).forward(NaN)],
  ])('%s', (field, run) => expectInputError(run, field));
});

/**
 * Quotes that satisfy parity exactly at `forward`: any put price p, the call at
 * p + e^{-rT} (1 - K/F) in coin; bid and ask `halfSpread` either side.
 */
function parityQuotes(forward: number, rate: number, years: number, halfSpread: number): ParityQuote[] {
  const expiryMs = at(years);
  const quotes: ParityQuote[] = [];
  for (const [strike, putCoin] of [
    [8000, 0.01],
    [9000, 0.03],
    [10000, 0.08],
    [11000, 0.15],
    [12000, 0.24],
  ] as const) {
    const callCoin = putCoin + Math.exp(-rate * years) * (1 - strike / forward);
    for (const [kind, mark] of [
      ['call', callCoin],
      ['put', putCoin],
    ] as const) {
      quotes.push({
        kind,
        strike,
        expiryMs,
        yearsToExpiry: years,
        rate,
        markCoin: mark,
        bidCoin: mark - halfSpread,
        askCoin: mark + halfSpread,
      });
    }
  }
  return quotes;
}

describe('syntheticForward: put-call parity in coin, F = K / (1 - (C - P) e^{rT})', () => {
  it('recovers the forward of quotes that satisfy parity, from mids and from marks', () => {
    for (const rate of [0, 0.05]) {
      const quotes = parityQuotes(10000, rate, 0.5, 0.0025);
      const fromMids = syntheticForward(quotes);
      expect(fromMids.forward).toBeCloseTo(10000, 8);
      expect(fromMids.expiryMs).toBe(at(0.5));
      expect(fromMids.strikes).toHaveLength(5);
      expect(syntheticForward(quotes, { prices: 'mark' }).forward).toBeCloseTo(10000, 8);
      // Every strike's [low, high] holds the forward; so does their intersection.
      const band = fromMids.band!;
      expect(band.lowUsd).toBeLessThan(10000);
      expect(band.highUsd).toBeGreaterThan(10000);
    }
  });

  it('the band is the forwards of the (bid call - ask put) and (ask call - bid put) pairs', () => {
    const quotes = parityQuotes(10000, 0, 0.5, 0.0025);
    const atTheMoney = syntheticForward(quotes).strikes.find((s) => s.strike === 10000)!;
    // C - P = 0 at K = F; the pairs give C - P = -+0.005: F = 10000 / (1 +- 0.005).
    expect(atTheMoney.lowUsd).toBeCloseTo(10000 / 1.005, 8);
    expect(atTheMoney.highUsd).toBeCloseTo(10000 / 0.995, 8);
  });

  it('is robust: one strike far off with a wide spread, or off with a narrow one, does not move it', () => {
    const quotes = parityQuotes(10000, 0, 0.5, 0.0025);
    const wide = quotes.map((q) =>
      q.strike === 12000 && q.kind === 'call' ? { ...q, bidCoin: 0.1, askCoin: 0.5 } : q,
    );
    expect(syntheticForward(wide).forward).toBeCloseTo(10000, 8);
    const off = quotes.map((q) =>
      q.strike === 8000 && q.kind === 'call'
        ? { ...q, bidCoin: q.bidCoin! + 0.05, askCoin: q.askCoin! + 0.05 }
        : q,
    );
    expect(syntheticForward(off).forward).toBeCloseTo(10000, 8);
  });

  it('uses only strikes where both the call and the put quote both sides (mids)', () => {
    const quotes = parityQuotes(10000, 0, 0.5, 0.0025).map((q) =>
      q.strike !== 10000 && q.kind === 'put' ? { ...q, bidCoin: null } : q,
    );
    expect(syntheticForward(quotes).strikes.map((s) => s.strike)).toEqual([10000]);
    expect(syntheticForward(quotes, { prices: 'mark' }).strikes).toHaveLength(5);
  });

  it('refuses quotes of two expiries, and quotes without a usable strike', () => {
    const quotes = parityQuotes(10000, 0, 0.5, 0.0025);
    expectInputError(() => syntheticForward([...quotes, { ...quotes[0]!, expiryMs: at(1) }]), 'quotes');
    expectInputError(() => syntheticForward(quotes.filter((q) => q.kind === 'call')), 'quotes');
    expectInputError(() => syntheticForward([]), 'quotes');
  });
});

describe('syntheticForward on the 2020-05-21 Deribit snapshot', () => {
  const text = readFileSync(
    new URL('../../data/deribit/btc-options-2020-05-21.jsonl', import.meta.url),
    'utf8',
  );

  it("recovers the SYN forwards: from marks within 2 USD, from mids within the best strike's half-width", async () => {
    const { quotes } = await readChain(text);
    const rows: string[] = [];
    let synExpiries = 0;
    for (const [, list] of quotesByExpiry(quotes)) {
      const lines = list.map((q) => q.forwardUsd).sort((a, b) => a - b);
      const linesMedian = (lines[(lines.length - 1) >> 1]! + lines[lines.length >> 1]!) / 2;
      const fromMarks = syntheticForward(list, { prices: 'mark' });
      const fromMids = syntheticForward(list);
      const bestHalfWidth = Math.min(...fromMids.strikes.map((s) => (s.highUsd - s.lowUsd) / 2));
      const index = list[0]!.underlyingIndex ?? '?';
      rows.push(
        `${index.padEnd(16)} lines ${linesMedian.toFixed(2)} (${lines[0]}..${lines[lines.length - 1]})` +
          `  marks ${fromMarks.forward.toFixed(2)} (${(fromMarks.forward - linesMedian).toFixed(2)})` +
          `  mids ${fromMids.forward.toFixed(2)} (${(fromMids.forward - linesMedian).toFixed(2)},` +
          ` best half-width ${bestHalfWidth.toFixed(1)}, ${fromMids.strikes.length} strikes)` +
          `  band ${fromMids.band!.lowUsd.toFixed(1)}..${fromMids.band!.highUsd.toFixed(1)}`,
      );
      // Every expiry's quotes admit one forward (no parity inconsistency in the snapshot).
      expect(fromMids.band!.lowUsd).toBeLessThanOrEqual(fromMids.band!.highUsd);
      if (!index.startsWith('SYN.')) continue;
      synExpiries += 1;
      // Marks: the venue's Black-76 prices at each line's own forward, so parity gives back a
      // forward between the call's and the put's lines' forwards; the median over strikes sits
      // among the lines' forwards, which spread over up to 15 USD as the market moved in the
      // snapshot's 2.5 minutes. Measured within 0.5 USD of the lines' median; 2 USD allowed.
      expect(Math.abs(fromMarks.forward - linesMedian)).toBeLessThanOrEqual(2);
      // Mids: a strike's quotes pin F only to half its [low, high], 16 to 30 USD near the money
      // (spreads of 1-2 ticks of 0.0005 BTC times F^2/K); the estimate cannot be asked closer.
      expect(Math.abs(fromMids.forward - linesMedian)).toBeLessThanOrEqual(bestHalfWidth);
    }
    expect(synExpiries).toBe(4);
    console.log(`parity forwards against the lines' underlying_price (USD):\n  ${rows.join('\n  ')}`);
  });
});
