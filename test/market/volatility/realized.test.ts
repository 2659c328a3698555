/**
 * Realized measures from ticks: small examples worked by hand, bad input, and the estimators on
 * simulated paths with known integrated variance (see `simulate.ts`).
 *
 * The simulated day: GBM at sigma = 60% a year, n = 28,800 returns (a tick every 3 s over 24 h),
 * so IV = 0.36 / 365 = 9.86e-4 and each return has variance v = IV / n. Three cases, 50 seeds
 * each:
 * - clean: the GBM alone;
 * - noisy: plus i.i.d. Gaussian noise of standard deviation 1e-3 (10 bp, noise variance
 *   a = 1e-6, a / IV = 1e-3, a usual ratio in the literature) on each observed log price;
 * - jumps: plus compound Poisson jumps, 4 a day on average, of random sign and size uniform in
 *   [0.5%, 1.5%].
 *
 * Each estimate is compared with its expectation through z = (estimate - expectation) / SE,
 * with SE the estimator's standard error from its (asymptotic or exact) variance, written out
 * at each test. Over the 50 seeds we require: every |z| <= 4.5 (for Gaussian errors the chance
 * that any of 50 exceeds it is 3e-4), the mean z within 4 / sqrt(50) of 0 (the estimator is
 * unbiased to within 4 standard errors of the 50-seed mean), and the standard deviation of the z
 * within [0.6, 1.4] (about 4 sampling standard deviations of a 50-sample standard deviation
 * around 1): the stated SE is the estimator's real error, neither hidden bias nor slack.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/model/errors.js';
import { MS_PER_YEAR } from '../../../src/model/time.js';
import {
  bipowerVariation,
  ewmaVariance,
  ewmaVarianceSeries,
  jumpShare,
  logReturns,
  noiseVariance,
  realizedVariance,
  sampleLogPrices,
  tickSeries,
  twoScalesOptimalSubgrids,
  twoScalesRealizedVariance,
  volatilitySignature,
  type TickSeries,
} from '../../../src/market/volatility/index.js';
import { meanAndSd, normalGenerator, simulateTicks, type TickPath } from './simulate.js';

const ln = Math.log;

/** Asserts the z-scores behave as standard errors say (see the module comment). */
function expectStandardized(z: number[]): void {
  const { mean, sd } = meanAndSd(z);
  expect(Math.max(...z.map(Math.abs))).toBeLessThanOrEqual(4.5);
  expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(z.length));
  expect(sd).toBeGreaterThan(0.6);
  expect(sd).toBeLessThan(1.4);
}

describe('worked examples', () => {
  const series: TickSeries = { timesMs: [0, 1000, 1500, 2500, 4000], prices: [100, 101, 100.5, 102, 101] };

  it('realized variance: every tick, every 2nd tick, previous tick on a 1 s grid', () => {
    const r = [ln(101 / 100), ln(100.5 / 101), ln(102 / 100.5), ln(101 / 102)];
    expect(realizedVariance(series)).toBeCloseTo(
      r.reduce((s, x) => s + x * x, 0),
      16,
    );
    expect(realizedVariance(series, { kind: 'ticks', every: 2 })).toBeCloseTo(
      ln(100.5 / 100) ** 2 + ln(101 / 100.5) ** 2,
      16,
    );
    expect(realizedVariance(series, { kind: 'ticks', every: 2, offset: 1 })).toBeCloseTo(
      ln(102 / 101) ** 2,
      16,
    );
    // Grid 0, 1000, 2000, 3000, 4000 sees 100, 101, 100.5 (tick at 1500), 102 (2500), 101.
    expect(
      Array.from(sampleLogPrices(series, { kind: 'time', intervalMs: 1000 }).logPrices, Math.exp),
    ).toEqual([100, 101, 100.5, 102, 101].map((p) => expect.closeTo(p, 10) as unknown as number));
    expect(realizedVariance(series, { kind: 'time', intervalMs: 1000 })).toBeCloseTo(
      realizedVariance(series),
      16,
    );
    // Grid from 500 every 2000: 500, 2500 see 100, 102.
    expect(realizedVariance(series, { kind: 'time', intervalMs: 2000, originMs: 500 })).toBeCloseTo(
      ln(1.02) ** 2,
      16,
    );
    expect(
      realizedVariance({ timesMs: series.timesMs, logPrices: Array.from(series.prices!, Math.log) }),
    ).toBeCloseTo(realizedVariance(series), 16);
  });

  it('two-scales on 6 ticks with K = 2, from the two subgrids by hand', () => {
    const y = [0, 0.01, 0, 0.02, 0.01, 0.03];
    const times = [0, 1, 2, 3, 4, 5];
    // n = 5 returns, RV_all = 1e-4 + 1e-4 + 4e-4 + 1e-4 + 4e-4 = 1.1e-3.
    // Subgrid 1 (y0, y2, y4): 0 + 1e-4; subgrid 2 (y1, y3, y5): 1e-4 + 1e-4; RV_avg = 1.5e-4.
    // nbar = (5 - 2 + 1) / 2 = 2; TSRV = 1.5e-4 - (2/5) 1.1e-3 = -2.9e-4; adjusted / (1 - 2/5).
    expect(twoScalesRealizedVariance({ timesMs: times, logPrices: y }, 2, { adjust: false })).toBeCloseTo(
      -2.9e-4,
      17,
    );
    expect(twoScalesRealizedVariance({ timesMs: times, logPrices: y }, 2)).toBeCloseTo(-2.9e-4 / 0.6, 17);
    expect(noiseVariance({ timesMs: times, logPrices: y })).toBeCloseTo(1.1e-3 / 10, 17);
  });

  it('bipower variation and jump share', () => {
    // Returns 0.01, -0.02, 0.03: BV = (pi/2)(0.01 x 0.02 + 0.02 x 0.03) = (pi/2) 8e-4.
    const s = { timesMs: [0, 1, 2, 3], logPrices: [0, 0.01, -0.01, 0.02] };
    expect(bipowerVariation(s)).toBeCloseTo((Math.PI / 2) * 8e-4, 17);
    expect(jumpShare(realizedVariance(s), bipowerVariation(s))).toBeCloseTo(
      1 - ((Math.PI / 2) * 8e-4) / 1.4e-3,
      15,
    );
    expect(jumpShare(2, 1.5)).toBe(0.25);
    expect(jumpShare(1, 1.2)).toBe(0);
  });

  it('EWMA by hand', () => {
    // lambda 0.9 from 1e-4: 0.9e-4 + 0.1 x 1e-4 = 1e-4; 0.9e-4 + 0.1 x 4e-4 = 1.3e-4;
    // 0.9 x 1.3e-4 + 0.1 x 2.5e-5 = 1.195e-4.
    const r = [0.01, -0.02, 0.005];
    expect(Array.from(ewmaVarianceSeries(r, { lambda: 0.9, initialVariance: 1e-4 }))).toEqual([
      expect.closeTo(1e-4, 18),
      expect.closeTo(1.3e-4, 18),
      expect.closeTo(1.195e-4, 18),
    ]);
    // Default start: mean square of the first min(3, ceil(1 / 0.1)) = 3 returns = 1.75e-4.
    expect(ewmaVariance(r, { lambda: 0.9 })).toBeCloseTo(
      0.9 * (0.9 * (0.9 * 1.75e-4 + 1e-5) + 4e-5) + 2.5e-6,
      18,
    );
    expect(ewmaVariance(r)).toBeCloseTo(ewmaVarianceSeries(r)[2]!, 18);
    expect(Array.from(logReturns([100, 110, 99]))).toEqual([ln(1.1), ln(0.9)]);
  });

  it('signature: annualised vol from the grid span', () => {
    const points = volatilitySignature(series, [1000, 2000]);
    expect(points[0]).toEqual({
      intervalMs: 1000,
      returns: 4,
      realizedVariance: realizedVariance(series),
      annualizedVolatility: Math.sqrt((realizedVariance(series) * MS_PER_YEAR) / 4000),
    });
    expect(points[1]!.returns).toBe(2);
    expect(points[1]!.annualizedVolatility).toBeCloseTo(
      Math.sqrt(((ln(1.005) ** 2 + ln(101 / 100.5) ** 2) * MS_PER_YEAR) / 4000),
      12,
    );
  });

  it('tick series from trade-like objects', () => {
    const s = tickSeries([
      { timestampMs: 1, price: 10 },
      { timestampMs: 2, price: 11 },
    ]);
    expect(realizedVariance(s)).toBeCloseTo(ln(1.1) ** 2, 16);
  });
});

describe('bad input', () => {
  const ok = { timesMs: [0, 1, 2, 3, 4, 5], prices: [1, 2, 3, 4, 5, 6] };
  const cases: [string, () => unknown, string][] = [
    ['zero price', () => realizedVariance({ timesMs: [0, 1], prices: [1, 0] }), 'series.prices[1]'],
    ['negative price', () => noiseVariance({ timesMs: [0, 1], prices: [-1, 1] }), 'series.prices[0]'],
    [
      'unsorted times',
      () => realizedVariance({ timesMs: [0, 2, 1], prices: [1, 1, 1] }),
      'series.timesMs[2]',
    ],
    ['NaN time', () => realizedVariance({ timesMs: [0, NaN], prices: [1, 1] }), 'series.timesMs[1]'],
    ['one tick', () => realizedVariance({ timesMs: [0], prices: [1] }), 'series.timesMs.length'],
    [
      'both prices and logs',
      () => realizedVariance({ timesMs: [0, 1], prices: [1, 1], logPrices: [0, 0] }),
      'series.logPrices',
    ],
    ['no prices', () => realizedVariance({ timesMs: [0, 1] }), 'series.prices'],
    [
      'length mismatch',
      () => realizedVariance({ timesMs: [0, 1, 2], prices: [1, 1] }),
      'series.prices.length',
    ],
    [
      'NaN log price',
      () => realizedVariance({ timesMs: [0, 1], logPrices: [NaN, 0] }),
      'series.logPrices[0]',
    ],
    ['every 0', () => realizedVariance(ok, { kind: 'ticks', every: 0 }), 'sampling.every'],
    ['offset past the end', () => realizedVariance(ok, { kind: 'ticks', offset: 6 }), 'sampling.offset'],
    ['1 point left', () => realizedVariance(ok, { kind: 'ticks', every: 6 }), 'sampling'],
    ['zero interval', () => realizedVariance(ok, { kind: 'time', intervalMs: 0 }), 'sampling.intervalMs'],
    [
      'origin before first tick',
      () => realizedVariance(ok, { kind: 'time', intervalMs: 1, originMs: -1 }),
      'sampling.originMs',
    ],
    ['unknown kind', () => realizedVariance(ok, { kind: 'volume' } as never), 'sampling.kind'],
    ['K = 1', () => twoScalesRealizedVariance(ok, 1), 'subgrids'],
    ['K too large', () => twoScalesRealizedVariance(ok, 4), 'subgrids'],
    ['K not integer', () => twoScalesRealizedVariance(ok, 2.5), 'subgrids'],
    [
      'adjust not boolean',
      () => twoScalesRealizedVariance(ok, 2, { adjust: 1 as unknown as boolean }),
      'adjust',
    ],
    ['negative noise', () => twoScalesOptimalSubgrids(100, -1, 1), 'noiseVariance'],
    ['zero quarticity', () => twoScalesOptimalSubgrids(100, 1, 0), 'quarticity'],
    [
      'bipower on 2 ticks',
      () => bipowerVariation({ timesMs: [0, 1], prices: [1, 2] }),
      'series.timesMs.length',
    ],
    ['jump share of zero RV', () => jumpShare(0, 0), 'realized'],
    ['negative BV', () => jumpShare(1, -1), 'bipower'],
    ['lambda 1', () => ewmaVariance([0.1], { lambda: 1 }), 'lambda'],
    ['lambda 0', () => ewmaVarianceSeries([0.1], { lambda: 0 }), 'lambda'],
    ['no returns', () => ewmaVariance([]), 'returns.length'],
    ['NaN return', () => ewmaVariance([0.1, NaN]), 'returns[1]'],
    ['negative start', () => ewmaVariance([0.1], { initialVariance: -1 }), 'initialVariance'],
    ['interval beyond the span', () => volatilitySignature(ok, [6]), 'intervalsMs[0]'],
    ['no intervals', () => volatilitySignature(ok, []), 'intervalsMs.length'],
    ['one price', () => logReturns([1]), 'prices.length'],
    ['negative price in returns', () => logReturns([1, -1]), 'prices[1]'],
    ['ticks not an array', () => tickSeries({} as never), 'ticks'],
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

describe('simulated days with known integrated variance', () => {
  const n = 28_800;
  const spanMs = 86_400_000;
  const iv = (0.36 * spanMs) / MS_PER_YEAR;
  const v = iv / n;
  const seeds = Array.from({ length: 50 }, (_, i) => 500 + i);
  const noiseStd = 1e-3;
  const a = noiseStd * noiseStd;

  const cache = new Map<string, TickPath[]>();
  function paths(kind: 'clean' | 'noisy' | 'jumps'): TickPath[] {
    let found = cache.get(kind);
    if (found === undefined) {
      found = seeds.map((seed) =>
        simulateTicks({
          seed: seed + (kind === 'clean' ? 0 : kind === 'noisy' ? 10_000 : 20_000),
          n,
          spanMs,
          iv,
          noiseStd: kind === 'noisy' ? noiseStd : 0,
          jumpIntensity: kind === 'jumps' ? 4 : 0,
          jumpMin: 0.005,
          jumpMax: 0.015,
        }),
      );
      cache.set(kind, found);
    }
    return found;
  }

  // Var(RV) with noise a (Gaussian) and n returns: 2 IV^2 / n from the price (exact for
  // constant vol: RV is v times a chi-square with n degrees of freedom), 12 n a^2 = 4 n E[eps^4]
  // from the noise (ZMA section 2; the MA(1) noise returns give 8 a^2 per return plus 2 x 2 a^2
  // from the neighbours' covariance), 8 a IV from the cross term 2 sum dX d eps.
  const rvVariance = (returns: number, noise: number): number =>
    (2 * iv * iv) / returns + 12 * returns * noise * noise + 8 * noise * iv;

  // Var(TSRV) with K subgrids over n returns, before the adjustment factor. Price part, exact for
  // constant vol: n v^2 [2 + (2/3)(K - 1)(2K - 1)/K - 4/K + 2/K^2] (overlapping K-returns in
  // RV_avg, less their covariance with RV_all / K), which is ZMA's (4/3)(K/n) IV^2 for large K;
  // noise part 8 n a^2 / K^2 (ZMA's asymptotic variance); the cross term 8 a IV / K (of lower order in n,
  // but not negligible at K = 20).
  const tsrvVariance = (k: number, noise: number): number =>
    n * v * v * (2 + ((2 / 3) * (k - 1) * (2 * k - 1)) / k - 4 / k + 2 / (k * k)) +
    (8 * n * noise * noise) / (k * k) +
    (8 * noise * iv) / k;

  // Var(BV) = (pi^2/4 + pi - 3) IV^2 / n (Barndorff-Nielsen and Shephard 2006, "Econometrics of
  // testing for jumps", constant vol); Var(RV - BV) = (pi^2/4 + pi - 5) IV^2 / n.
  const bvFactor = (Math.PI * Math.PI) / 4 + Math.PI - 3;
  const rvMinusBvFactor = (Math.PI * Math.PI) / 4 + Math.PI - 5;

  it('clean GBM: realized variance, bipower and two-scales all estimate IV', () => {
    const k = 10;
    const adjust = 1 / (1 - (n - k + 1) / k / n);
    const rv: number[] = [];
    const bv: number[] = [];
    const ts: number[] = [];
    const share: number[] = [];
    for (const p of paths('clean')) {
      const s = { timesMs: p.timesMs, logPrices: p.logPrices };
      const r = realizedVariance(s);
      const b = bipowerVariation(s);
      rv.push((r - iv) / Math.sqrt(rvVariance(n, 0)));
      bv.push((b - iv) / Math.sqrt((bvFactor * iv * iv) / n));
      ts.push((twoScalesRealizedVariance(s, k) - iv) / (adjust * Math.sqrt(tsrvVariance(k, 0))));
      share.push(jumpShare(r, b));
    }
    expectStandardized(rv);
    expectStandardized(bv);
    expectStandardized(ts);
    // No jumps: 1 - BV/RV is about (RV - BV)/IV, standard error sqrt(0.609 / n) = 0.0046; the
    // one-sided BNS test at 4.5 standard errors finds no jump on any seed.
    expect(Math.max(...share)).toBeLessThan(4.5 * Math.sqrt(rvMinusBvFactor / n));
  });

  it('noise: all-tick RV measures the noise (IV + 2 n a), two-scales lands on IV', () => {
    const k = twoScalesOptimalSubgrids(n, a, iv * iv);
    // K* = (12 n^2 a^2 / IV^2)^(1/3) = 22 here.
    expect(k).toBe(22);
    const adjust = 1 / (1 - (n - k + 1) / k / n);
    const rvZ: number[] = [];
    const rvBias: number[] = [];
    const noiseZ: number[] = [];
    const tsZ: number[] = [];
    const tsRelative: number[] = [];
    const rvSe = Math.sqrt(rvVariance(n, a));
    for (const p of paths('noisy')) {
      const s = { timesMs: p.timesMs, logPrices: p.logPrices };
      const rv = realizedVariance(s);
      rvZ.push((rv - iv - 2 * n * a) / rvSe);
      rvBias.push((rv - iv) / rvSe);
      // a-hat = RV_all / (2n) is biased up by IV / (2n) (ZMA); SE = SE(RV) / (2n).
      noiseZ.push((noiseVariance(s) - a - iv / (2 * n)) / (rvSe / (2 * n)));
      const ts = twoScalesRealizedVariance(s, k);
      tsZ.push((ts - iv) / (adjust * Math.sqrt(tsrvVariance(k, a))));
      tsRelative.push(ts / iv - 1);
    }
    expectStandardized(rvZ);
    expectStandardized(noiseZ);
    expectStandardized(tsZ);
    // The bias of plain RV: 2 n a = 0.0576, 58 times IV and sqrt(n / 3) = 98 of its standard
    // errors (2 n a / sqrt(12 n a^2)).
    expect(Math.min(...rvBias)).toBeGreaterThan(50);
    // Two-scales' own error at this K: SE / IV = 4.5%.
    expect(Math.sqrt(tsrvVariance(k, a)) * adjust).toBeLessThan(0.05 * iv);
    expect(Math.max(...tsRelative.map(Math.abs))).toBeLessThan(4.5 * 0.05);
  });

  it('jumps: RV takes in the squared jumps, bipower does not', () => {
    // BV's finite-n jump bias: a jump J on return i replaces |r_i| ~ |dX| by |J| in the two
    // products with its neighbours, adding (pi/2)(|J| - mu1 sqrt v)(2 mu1 sqrt v) = sqrt(2 pi)
    // sqrt(v) |J| - 2 v in expectation (mu1 = sqrt(2/pi)), about 1.5 standard errors of BV per
    // day here; and variance (pi^2/2)(1 - 2/pi) J^2 v. RV adds sum J^2 exactly in expectation,
    // with variance 4 J^2 v from the cross term 2 J dX.
    const rvZ: number[] = [];
    const bvZ: number[] = [];
    const bvNaiveBias: number[] = [];
    const diffZ: number[] = [];
    let detected = 0;
    let withJumps = 0;
    for (const p of paths('jumps')) {
      const s = { timesMs: p.timesMs, logPrices: p.logPrices };
      const rv = realizedVariance(s);
      const bv = bipowerVariation(s);
      const squares = p.jumps.reduce((sum, j) => sum + j * j, 0);
      const bias = p.jumps.reduce((sum, j) => sum + Math.sqrt(2 * Math.PI * v) * Math.abs(j) - 2 * v, 0);
      const bvJumpVariance = (Math.PI * Math.PI * (1 - 2 / Math.PI) * squares * v) / 2;
      rvZ.push((rv - iv - squares) / Math.sqrt(rvVariance(n, 0) + 4 * squares * v));
      bvZ.push((bv - iv - bias) / Math.sqrt((bvFactor * iv * iv) / n + bvJumpVariance));
      bvNaiveBias.push(bias / Math.sqrt((bvFactor * iv * iv) / n));
      diffZ.push(
        (rv - bv - (squares - bias)) /
          Math.sqrt((rvMinusBvFactor * iv * iv) / n + 4 * squares * v + bvJumpVariance),
      );
      if (squares > 0.1 * iv) {
        withJumps++;
        if (jumpShare(rv, bv) > 4.5 * Math.sqrt(rvMinusBvFactor / n)) detected++;
      }
    }
    expectStandardized(rvZ);
    expectStandardized(bvZ);
    expectStandardized(diffZ);
    // The jumps' share is large: RV is off IV by the squared jumps (0.4 IV a day on average),
    // while BV's residual bias is a couple of its standard errors at most.
    expect(meanAndSd(bvNaiveBias).mean).toBeLessThan(2);
    expect(withJumps).toBeGreaterThan(40);
    expect(detected).toBe(withJumps);
  });

  it('signature: E[RV] = IV + 2 (returns) a at each interval; flat without noise', () => {
    const intervals = [3_000, 15_000, 60_000, 300_000, 1_800_000];
    const z: number[][] = intervals.map(() => []);
    const cleanZ: number[][] = intervals.map(() => []);
    const meanVol = intervals.map(() => 0);
    for (const [kind, target] of [
      ['noisy', z],
      ['clean', cleanZ],
    ] as const) {
      for (const p of paths(kind)) {
        const points = volatilitySignature({ timesMs: p.timesMs, logPrices: p.logPrices }, intervals);
        points.forEach((point, i) => {
          const noise = kind === 'noisy' ? a : 0;
          expect(point.returns).toBe(spanMs / intervals[i]!);
          target[i]!.push(
            (point.realizedVariance - iv - 2 * point.returns * noise) /
              Math.sqrt(rvVariance(point.returns, noise)),
          );
          if (kind === 'noisy') meanVol[i]! += point.annualizedVolatility / seeds.length;
        });
      }
    }
    // The 1,800 s point has 48 returns: RV is a scaled chi-square(48), whose skew stretches the
    // z-scores' tail; 4.5 still holds for 50 seeds (P(chi2_48 > 48 + 4.5 sqrt 96) = 1e-4).
    for (const zs of [...z, ...cleanZ]) expectStandardized(zs);
    // Noisy: the vol falls with the interval, from sqrt((IV + 2 n a) 365) = 4.6 at 3 s towards
    // 0.6.
    for (let i = 1; i < intervals.length; i++) expect(meanVol[i]!).toBeLessThan(meanVol[i - 1]!);
    expect(meanVol[0]!).toBeCloseTo(Math.sqrt((iv + 2 * n * a) * 365), 1);
  });

  it('EWMA of constant-variance returns is unbiased, with variance 2 v^2 sum w^2', () => {
    // 200 seeds of 500 Gaussian returns of variance 1e-4, lambda 0.94, started at the true
    // variance: weights w_j = (1 - lambda) lambda^(N - j), so E = v and Var = 2 v^2 (1 - lambda)^2
    // (1 - lambda^(2N)) / (1 - lambda^2). The EWMA is a weighted chi-square with about 32
    // degrees of freedom, skewed: the z-scores' tails are not Gaussian, so only their mean and
    // spread are tested (the spread within [0.6, 1.4] as elsewhere).
    const variance = 1e-4;
    const lambda = 0.94;
    const count = 500;
    const se =
      variance * Math.sqrt((2 * (1 - lambda) ** 2 * (1 - lambda ** (2 * count))) / (1 - lambda * lambda));
    const z: number[] = [];
    for (let seed = 0; seed < 200; seed++) {
      const { normal } = normalGenerator(90_000 + seed);
      const returns = Array.from({ length: count }, () => Math.sqrt(variance) * normal());
      z.push((ewmaVariance(returns, { lambda, initialVariance: variance }) - variance) / se);
    }
    const { mean, sd } = meanAndSd(z);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(z.length));
    expect(sd).toBeGreaterThan(0.6);
    expect(sd).toBeLessThan(1.4);
  });
});
