/**
 * OHLC estimators: small examples worked by hand, bars from ticks, bad input, and the
 * estimators' means on simulated bars of known variance.
 *
 * Simulated bars (see `simulate.ts`): a Brownian log price with variance v = 1e-4 per bar, 16
 * Gaussian steps per bar, the high and low of each step drawn exactly from the Brownian bridge
 * between its ends, so the bars' ranges are those of the continuous path (Parkinson and
 * Garman-Klass are biased low on the range of the sampled points alone; a test below shows it).
 * Each estimator is computed on B = 100 independent batches of 40 bars; every estimator is
 * unbiased on a batch (Yang-Zhang's V_O and V_C with divisor N - 1 included), so the mean over
 * the batches must lie within 4 standard errors of its target, the standard error being the
 * batches' sample standard deviation over sqrt(B) (an estimate from the batches themselves, not
 * a number tuned to pass).
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/model/errors.js';
import { MS_PER_YEAR } from '../../../src/model/time.js';
import {
  annualizedVolatility,
  annualizeVariance,
  barsFromTicks,
  closeToCloseVariance,
  garmanKlassVariance,
  parkinsonVariance,
  rogersSatchellVariance,
  yangZhangK,
  yangZhangVariance,
  type OhlcBar,
} from '../../../src/market/volatility/index.js';
import { meanAndSd, simulateBars, simulateTicks } from './simulate.js';

const ln = Math.log;

describe('worked examples', () => {
  const three: OhlcBar[] = [
    { open: 98, high: 101, low: 97, close: 100 },
    { open: 101, high: 112, low: 100, close: 110 },
    { open: 108, high: 109, low: 95, close: 99 },
  ];

  it('close-to-close of a 3-bar series', () => {
    // r1 = ln(110/100) = 0.0953102, r2 = ln(99/110) = -0.1053605, mean -0.0050252;
    // sample variance (divisor 1) = (r1 - mean)^2 + (r2 - mean)^2 = 2 x 0.1003353^2 = 0.0201344
    const r1 = ln(110 / 100);
    const r2 = ln(99 / 110);
    const mean = (r1 + r2) / 2;
    expect(closeToCloseVariance(three)).toBeCloseTo((r1 - mean) ** 2 + (r2 - mean) ** 2, 15);
    expect(closeToCloseVariance(three)).toBeCloseTo(0.0201344, 7);
    expect(closeToCloseVariance(three, { demean: false })).toBeCloseTo((r1 * r1 + r2 * r2) / 2, 15);
  });

  it('Parkinson, Garman-Klass and Rogers-Satchell of one bar', () => {
    const bar = { open: 100, high: 110, low: 95, close: 105 };
    const u = ln(110 / 100);
    const d = ln(95 / 100);
    const x = ln(105 / 100);
    expect(parkinsonVariance([bar])).toBeCloseTo((u - d) ** 2 / (4 * ln(2)), 15);
    expect(parkinsonVariance([bar])).toBeCloseTo(0.00775181, 8); // ln(110/95)^2 / (4 ln 2) = 0.0214926 / 2.7725887
    expect(garmanKlassVariance([bar])).toBeCloseTo(0.5 * (u - d) ** 2 - (2 * ln(2) - 1) * x * x, 15);
    expect(rogersSatchellVariance([bar])).toBeCloseTo(u * (u - x) + d * (d - x), 15);
    // ln(110/105) ln(110/100) + ln(95/105) ln(95/100) = 0.0044338 + 0.0051336
    expect(rogersSatchellVariance([bar])).toBeCloseTo(0.00956744, 8);
  });

  it('Yang-Zhang of a 3-bar series: N = 2 periods, k = 0.34 / (1.34 + 3)', () => {
    const g = [ln(101 / 100), ln(108 / 110)];
    const x = [ln(110 / 101), ln(99 / 108)];
    const rs = [
      ln(112 / 110) * ln(112 / 101) + ln(100 / 110) * ln(100 / 101),
      ln(109 / 99) * ln(109 / 108) + ln(95 / 99) * ln(95 / 108),
    ];
    const sampleVar = (v: number[]): number => {
      const m = ((v[0] as number) + (v[1] as number)) / 2;
      return ((v[0] as number) - m) ** 2 + ((v[1] as number) - m) ** 2;
    };
    const k = 0.34 / (1.34 + 3);
    expect(yangZhangK(2)).toBeCloseTo(k, 15);
    const expected =
      sampleVar(g) + k * sampleVar(x) + (1 - k) * (((rs[0] as number) + (rs[1] as number)) / 2);
    expect(yangZhangVariance(three)).toBeCloseTo(expected, 15);
    expect(yangZhangK(100, 1.5)).toBeCloseTo(0.5 / (1.5 + 101 / 99), 15);
  });

  it('flat bars have zero variance', () => {
    const flat = [1, 2, 3].map(() => ({ open: 5, high: 5, low: 5, close: 5 }));
    for (const f of [
      closeToCloseVariance,
      parkinsonVariance,
      garmanKlassVariance,
      rogersSatchellVariance,
      yangZhangVariance,
    ]) {
      expect(f(flat)).toBe(0);
    }
  });

  it('annualisation: per-bar variance x bars per 365-day year', () => {
    expect(annualizeVariance(1e-4, 3_600_000)).toBeCloseTo(1e-4 * 24 * 365, 12);
    expect(annualizedVolatility(1e-4, 3_600_000)).toBeCloseTo(Math.sqrt(0.876), 12);
    expect(annualizeVariance(2, MS_PER_YEAR)).toBe(2);
  });

  it('bars from ticks on a 1 s grid: empty intervals give no bar', () => {
    const ticks = [
      { timestampMs: 1000, price: 10 },
      { timestampMs: 1200, price: 12 },
      { timestampMs: 1500, price: 9 },
      { timestampMs: 1999, price: 11 },
      { timestampMs: 2000, price: 11.5 },
      { timestampMs: 4100, price: 10.5 },
      { timestampMs: 4100, price: 10.7 },
    ];
    expect(barsFromTicks(ticks, 1000)).toEqual([
      { open: 10, high: 12, low: 9, close: 11, timestampMs: 1000 },
      { open: 11.5, high: 11.5, low: 11.5, close: 11.5, timestampMs: 2000 },
      { open: 10.5, high: 10.7, low: 10.5, close: 10.7, timestampMs: 4000 },
    ]);
    expect(barsFromTicks(ticks, 1000, { originMs: 500 }).map((b) => b.timestampMs)).toEqual([
      500, 1500, 3500,
    ]);
  });
});

describe('bad input', () => {
  const good = [
    { open: 100, high: 101, low: 99, close: 100 },
    { open: 100, high: 102, low: 99, close: 101 },
    { open: 101, high: 103, low: 100, close: 102 },
  ];
  const cases: [string, () => unknown, string][] = [
    ['not an array', () => parkinsonVariance('bars' as unknown as OhlcBar[]), 'bars'],
    ['no bars', () => parkinsonVariance([]), 'bars.length'],
    ['too few for close-to-close', () => closeToCloseVariance(good.slice(0, 2)), 'bars.length'],
    ['too few for Yang-Zhang', () => yangZhangVariance(good.slice(0, 2)), 'bars.length'],
    ['zero price', () => garmanKlassVariance([{ open: 0, high: 1, low: 0, close: 1 }]), 'bars[0].open'],
    ['negative low', () => rogersSatchellVariance([{ open: 1, high: 1, low: -1, close: 1 }]), 'bars[0].low'],
    ['NaN close', () => parkinsonVariance([{ open: 1, high: 1, low: 1, close: NaN }]), 'bars[0].close'],
    [
      'high below close',
      () => parkinsonVariance([good[0]!, { open: 100, high: 100, low: 99, close: 101 }]),
      'bars[1].high',
    ],
    [
      'low above open',
      () => parkinsonVariance([{ open: 100, high: 102, low: 100.5, close: 101 }]),
      'bars[0].low',
    ],
    [
      'unsorted bar times',
      () =>
        parkinsonVariance([
          { ...good[0]!, timestampMs: 2 },
          { ...good[1]!, timestampMs: 1 },
        ]),
      'bars[1].timestampMs',
    ],
    ['alpha <= 1', () => yangZhangVariance(good, { alpha: 1 }), 'alpha'],
    ['k with 1 period', () => yangZhangK(1), 'periods'],
    [
      'demean not boolean',
      () => closeToCloseVariance(good, { demean: 'yes' as unknown as boolean }),
      'demean',
    ],
    ['zero period', () => annualizeVariance(1, 0), 'periodMs'],
    ['negative variance to vol', () => annualizedVolatility(-1, 1000), 'variancePerPeriod'],
    ['no ticks', () => barsFromTicks([], 1000), 'ticks.length'],
    ['zero interval', () => barsFromTicks([{ timestampMs: 0, price: 1 }], 0), 'intervalMs'],
    ['zero tick price', () => barsFromTicks([{ timestampMs: 0, price: 0 }], 1000), 'ticks[0].price'],
    [
      'unsorted ticks',
      () =>
        barsFromTicks(
          [
            { timestampMs: 5, price: 1 },
            { timestampMs: 4, price: 1 },
          ],
          1000,
        ),
      'ticks[1].timestampMs',
    ],
    [
      'tick before origin',
      () => barsFromTicks([{ timestampMs: 5, price: 1 }], 1000, { originMs: 10 }),
      'ticks[0].timestampMs',
    ],
  ];
  it.each(cases)('%s', (_name, call, field) => {
    expect(call).toThrow(InputError);
    try {
      call();
    } catch (error) {
      expect((error as InputError).field).toBe(field);
    }
  });
});

describe('simulated bars with known variance', () => {
  const v = 1e-4;
  const batches = 100;
  const barsPerBatch = 40;
  const steps = 16;

  /** Mean over the batches and its standard error; asserts the mean within 4 SE of `target`. */
  function expectUnbiased(estimates: number[], target: number): { mean: number; se: number } {
    const { mean, sd } = meanAndSd(estimates);
    const se = sd / Math.sqrt(estimates.length);
    expect(Math.abs(mean - target)).toBeLessThan(4 * se);
    return { mean, se };
  }

  function batchesOf(options: {
    overnightShare?: number;
    driftPerBar?: number;
    discrete?: boolean;
  }): OhlcBar[][] {
    return Array.from({ length: batches }, (_, b) =>
      simulateBars({ seed: 1000 + b, bars: barsPerBatch, steps, variancePerBar: v, ...options }),
    );
  }

  it('no drift, no opening jumps: all five estimate v; the range estimators with less error', () => {
    const sets = batchesOf({});
    const estimators = {
      closeToClose: closeToCloseVariance,
      parkinson: parkinsonVariance,
      garmanKlass: garmanKlassVariance,
      rogersSatchell: rogersSatchellVariance,
      yangZhang: yangZhangVariance,
    };
    const se: Record<string, number> = {};
    for (const [name, f] of Object.entries(estimators)) {
      se[name] = expectUnbiased(
        sets.map((bars) => f(bars)),
        v,
      ).se;
    }
    // Efficiency (per-bar variance 2 v^2 for close-to-close; about 5x, 7x, 6x less for
    // Parkinson, Garman-Klass, Rogers-Satchell): each range estimator's error at least halves.
    for (const name of ['parkinson', 'garmanKlass', 'rogersSatchell', 'yangZhang']) {
      expect(se[name]).toBeLessThan(se.closeToClose! / 2);
    }
  });

  it('on the sampled points only (17 per bar), Parkinson and Garman-Klass are biased low', () => {
    const sets = batchesOf({ discrete: true });
    for (const f of [parkinsonVariance, garmanKlassVariance]) {
      const { mean, sd } = meanAndSd(sets.map((bars) => f(bars)));
      expect(mean).toBeLessThan(v - 4 * (sd / Math.sqrt(batches)));
    }
  });

  it('strong drift and opening jumps: Rogers-Satchell sees the trading part, Yang-Zhang and close-to-close the whole', () => {
    // Drift of 2 standard deviations of the trading part per bar; a quarter of the variance
    // between the previous close and the open.
    const share = 0.25;
    const sets = batchesOf({ overnightShare: share, driftPerBar: 2 * Math.sqrt((1 - share) * v) });
    expectUnbiased(
      sets.map((bars) => rogersSatchellVariance(bars)),
      (1 - share) * v,
    );
    expectUnbiased(
      sets.map((bars) => yangZhangVariance(bars)),
      v,
    );
    expectUnbiased(
      sets.map((bars) => closeToCloseVariance(bars)),
      v,
    );
    // Parkinson, which assumes no drift, is far off: it reads the drift's range as variance.
    const parkinson = meanAndSd(sets.map((bars) => parkinsonVariance(bars)));
    expect(parkinson.mean).toBeGreaterThan((1 - share) * v + 4 * (parkinson.sd / Math.sqrt(batches)));
  });

  it('1-minute bars built from 1-second ticks: close-to-close recovers the annual vol', () => {
    // GBM at 60% a year, 1-second ticks for 2,000 minutes; close-to-close of the 1,999 minute
    // returns has standard error sqrt(2 / 1998) of the per-minute variance (Gaussian returns).
    const sigma = 0.6;
    const minutes = 2000;
    const ivPerMinute = (sigma * sigma * 60_000) / MS_PER_YEAR;
    const path = simulateTicks({
      seed: 7,
      n: minutes * 60,
      spanMs: minutes * 60_000,
      iv: ivPerMinute * minutes,
    });
    const ticks = Array.from(path.timesMs, (t, i) => ({
      timestampMs: t,
      price: Math.exp(path.logPrices[i] as number),
    }));
    const bars = barsFromTicks(ticks, 60_000);
    expect(bars).toHaveLength(minutes + 1); // the last tick opens bar 2,000
    const c2c = closeToCloseVariance(bars.slice(0, minutes));
    const se = ivPerMinute * Math.sqrt(2 / (minutes - 2));
    expect(Math.abs(c2c - ivPerMinute)).toBeLessThan(4 * se);
    expect(Math.abs(annualizedVolatility(c2c, 60_000) - sigma)).toBeLessThan(
      4 * (se / ivPerMinute / 2) * sigma,
    );
  });
});
