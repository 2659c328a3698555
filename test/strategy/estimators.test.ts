/**
 * Online parameter estimates, checked on simulated data with known parameters over many seeds
 * (seeded `Rng`): fill intensity A, k by Poisson maximum likelihood (coverage and calibration of
 * the standard errors, forgetting, the prior, pooling) and the tape volatility (against the batch
 * realized variance of src/market/volatility and against the true sigma of a simulated GBM).
 */
import { describe, expect, it } from 'vitest';

import { realizedVariance } from '../../src/market/volatility/realized.js';
import { InputError } from '../../src/model/errors.js';
import { Rng } from '../../src/sim/random.js';
import {
  IntensityEstimator,
  PooledIntensityEstimator,
  TapeVolatility,
  type Exposure,
} from '../../src/strategy/estimators/index.js';

const PRIOR = { A: 1, k: 1 };

/** Exposures of 1 s each, every second from `startMs`, at distances 0, 0.1, ..., 3 drawn at random. */
function simulate(
  rng: Rng,
  A: number,
  k: number,
  count: number,
  startMs = 0,
  continuous = false,
): Exposure[] {
  const out: Exposure[] = [];
  for (let i = 0; i < count; i++) {
    const distance = continuous ? rng.uniformIn(0, 3) : rng.int(31) / 10;
    out.push({
      distance,
      durationMs: 1000,
      fills: rng.poisson(A * Math.exp(-k * distance)),
      timestampMs: startMs + i * 1000,
    });
  }
  return out;
}

function stats(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, sd };
}

function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('fill intensity by Poisson maximum likelihood', () => {
  // 120 seeds of 3000 one-second exposures with A = 2 /s, k = 1.5 per unit. The estimates are
  // asymptotically normal: |z| < 3 holds with probability 0.997, so at least 114 of 120 seeds
  // (95%) must have it; the z-scores' standard deviation (sample SE about 0.065) must be within
  // 0.8..1.2 and their mean within +-0.35 (small-sample bias of the MLE included).
  const cases = [
    { name: 'distances on the bin grid, no forgetting', halfLifeMs: Infinity, continuous: false },
    {
      name: 'continuous distances (second-order bins), no forgetting',
      halfLifeMs: Infinity,
      continuous: true,
    },
    { name: 'grid distances, half-life 600 s (sandwich errors)', halfLifeMs: 600_000, continuous: false },
  ];
  for (const c of cases) {
    it(`recovers A, k within 3 SE and the SEs are calibrated: ${c.name}`, () => {
      const zA: number[] = [];
      const zK: number[] = [];
      for (let seed = 1; seed <= 120; seed++) {
        const rng = new Rng(seed).stream('intensity');
        const estimator = new IntensityEstimator({
          halfLifeMs: c.halfLifeMs,
          distanceStep: 0.1,
          prior: PRIOR,
        });
        for (const e of simulate(rng, 2, 1.5, 3000, 0, c.continuous)) estimator.record(e);
        const fit = estimator.estimate();
        expect(fit.source).toBe('fit');
        zA.push((Math.log(fit.A) - Math.log(2)) / fit.lnASe);
        zK.push((fit.k - 1.5) / fit.kSe);
      }
      for (const z of [zA, zK]) {
        expect(z.filter((x) => Math.abs(x) < 3).length).toBeGreaterThanOrEqual(114);
        const s = stats(z);
        expect(s.sd).toBeGreaterThan(0.8);
        expect(s.sd).toBeLessThan(1.2);
        expect(Math.abs(s.mean)).toBeLessThan(0.35);
      }
    });
  }

  it('matches a brute-force maximum of the exact log-likelihood (continuous distances, 1e-4)', () => {
    const rng = new Rng(7).stream('brute');
    const data = simulate(rng, 2, 1.5, 2000, 0, true);
    const estimator = new IntensityEstimator({ halfLifeMs: Infinity, distanceStep: 0.05, prior: PRIOR });
    for (const e of data) estimator.record(e);
    const fit = estimator.estimate();
    // exact profile likelihood in k (A profiled out), maximised by golden-section search
    const N = data.reduce((s, e) => s + e.fills, 0);
    const ND = data.reduce((s, e) => s + e.fills * e.distance, 0);
    const profile = (k: number): number => {
      const S = data.reduce((s, e) => s + Math.exp(-k * e.distance), 0);
      return N * Math.log(N / S) - k * ND;
    };
    let lo = 0.5;
    let hi = 3;
    const g = (Math.sqrt(5) - 1) / 2;
    for (let i = 0; i < 200; i++) {
      const a = hi - g * (hi - lo);
      const b = lo + g * (hi - lo);
      if (profile(a) > profile(b)) hi = b;
      else lo = a;
    }
    const k = (lo + hi) / 2;
    const A = N / data.reduce((s, e) => s + Math.exp(-k * e.distance), 0);
    expect(Math.abs(fit.k - k)).toBeLessThan(1e-4);
    expect(Math.abs(fit.A / A - 1)).toBeLessThan(1e-4);
  });

  it('forgetting tracks a change of A from 2 to 4 (half-life 600 s, 3000 s after the change)', () => {
    let tracked = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const rng = new Rng(seed).stream('change');
      const forgetting = new IntensityEstimator({ halfLifeMs: 600_000, distanceStep: 0.1, prior: PRIOR });
      const memory = new IntensityEstimator({ halfLifeMs: Infinity, distanceStep: 0.1, prior: PRIOR });
      for (const e of [...simulate(rng, 2, 1.5, 3600, 0), ...simulate(rng, 4, 1.5, 3000, 3_600_000)]) {
        forgetting.record(e);
        memory.record(e);
      }
      const f = forgetting.estimate();
      const m = memory.estimate();
      // the no-forgetting fit sits between (about 2.9): far from 4 in its own SEs
      expect(Math.abs(m.A - 4) / m.ASe).toBeGreaterThan(5);
      if (Math.abs(Math.log(f.A / 4)) / f.lnASe < 3) tracked++;
      expect(Math.abs(Math.log(f.A / 2)) / f.lnASe).toBeGreaterThan(5);
    }
    // weight left on the old regime: 2^-5 = 3%, a bias of about 0.06 in ln A against an SE of
    // about 0.05: most seeds within 3 SE
    expect(tracked).toBeGreaterThanOrEqual(17);
  });

  it('falls back to the prior when the data are too thin or k is not identified', () => {
    const rng = new Rng(3).stream('thin');
    const thin = new IntensityEstimator({
      halfLifeMs: Infinity,
      distanceStep: 0.1,
      prior: PRIOR,
      minFills: 50,
    });
    for (const e of simulate(rng, 2, 1.5, 20)) thin.record(e);
    const fit = thin.estimate();
    expect(fit.source).toBe('prior');
    expect(fit.A).toBe(1);
    expect(fit.reason).toMatch(/minFills/);
    const one = new IntensityEstimator({ halfLifeMs: Infinity, distanceStep: 0.1, prior: PRIOR });
    for (let i = 0; i < 200; i++) one.record({ distance: 0.5, durationMs: 1000, fills: 1, timestampMs: i });
    expect(one.estimate().source).toBe('prior');
    expect(one.estimate().reason).toMatch(/one distance/);
  });

  it('bad inputs are InputErrors naming the field', () => {
    expect(
      inputError(() => new IntensityEstimator({ halfLifeMs: 0, distanceStep: 0.1, prior: PRIOR })).field,
    ).toBe('halfLifeMs');
    expect(
      inputError(() => new IntensityEstimator({ halfLifeMs: 1, distanceStep: 0.1, prior: { A: 1, k: -1 } }))
        .field,
    ).toBe('prior.k');
    const e = new IntensityEstimator({ halfLifeMs: 1000, distanceStep: 0.1, prior: PRIOR });
    expect(inputError(() => e.record({ distance: 0, durationMs: 0, fills: 0, timestampMs: 0 })).field).toBe(
      'exposure.durationMs',
    );
    expect(inputError(() => e.record({ distance: 0, durationMs: 1, fills: 1.5, timestampMs: 0 })).field).toBe(
      'exposure.fills',
    );
    e.record({ distance: 0, durationMs: 1, fills: 0, timestampMs: 10 });
    expect(inputError(() => e.record({ distance: 0, durationMs: 1, fills: 0, timestampMs: 5 })).field).toBe(
      'exposure.timestampMs',
    );
  });
});

describe('pooling across strikes', () => {
  it("borrows the bucket's fit, then the book's, exactly as estimators fed those exposures", () => {
    const options = { halfLifeMs: 3_600_000, distanceStep: 0.1, prior: PRIOR, minFills: 30 };
    const pooled = new PooledIntensityEstimator({
      ...options,
      moneynessEdges: [-0.1, 0.1],
      tenorEdges: [7, 30],
    });
    const bucketRef = new IntensityEstimator(options); // moneyness bucket 1, tenor bucket 1
    const bookRef = new IntensityEstimator(options);
    const busyRef = new IntensityEstimator(options);
    const rng = new Rng(11).stream('pool');
    // ATM 14-day options: five strikes of 3 fills each on average... and one busy option (B) with many
    let t = 0;
    for (let i = 0; i < 6000; i++) {
      t += 1000;
      const which = i % 6;
      const name = which === 5 ? 'B' : `ATM-${which}`;
      const A = which === 5 ? 3 : 0.02; // the thin ones are hit rarely
      const distance = rng.int(31) / 10;
      const e: Exposure = {
        distance,
        durationMs: 1000,
        fills: rng.poisson(A * Math.exp(-1.5 * distance)),
        timestampMs: t,
      };
      pooled.record(name, 0, 14, e);
      bucketRef.record(e);
      bookRef.record(e);
      if (which === 5) busyRef.record(e);
    }
    // a far OTM long-dated option with a handful of exposures (its bucket is thin)
    for (let i = 0; i < 5; i++) {
      t += 1000;
      const e: Exposure = { distance: 0.5, durationMs: 1000, fills: 1, timestampMs: t };
      pooled.record('OTM', 0.3, 60, e);
      bookRef.record(e);
    }
    const busy = pooled.estimate('B', 0, 14);
    expect(busy.level).toBe('instrument');
    expect(busy.A).toBe(busyRef.estimate().A);
    const thin = pooled.estimate('ATM-0', 0, 14);
    expect(thin.level).toBe('bucket');
    expect(thin.bucket).toEqual({ moneyness: 1, tenor: 1 });
    expect(Math.abs(thin.A / bucketRef.estimate().A - 1)).toBeLessThan(1e-9);
    expect(Math.abs(thin.k / bucketRef.estimate().k - 1)).toBeLessThan(1e-9);
    const otm = pooled.estimate('OTM', 0.3, 60);
    expect(otm.level).toBe('book');
    expect(otm.bucket).toEqual({ moneyness: 2, tenor: 2 });
    expect(Math.abs(otm.A / bookRef.estimate().A - 1)).toBeLessThan(1e-9);
    expect(Math.abs(otm.k / bookRef.estimate().k - 1)).toBeLessThan(1e-9);
    // an instrument never seen in an empty bucket, with an empty book: the prior
    const empty = new PooledIntensityEstimator({ ...options, moneynessEdges: [0], tenorEdges: [1] });
    expect(empty.estimate('X', 0, 0).level).toBe('prior');
    expect(
      inputError(() => new PooledIntensityEstimator({ ...options, moneynessEdges: [1, 0], tenorEdges: [] }))
        .field,
    ).toBe('moneynessEdges[1]');
    expect(inputError(() => pooled.estimate('B', NaN, 1)).field).toBe('moneyness');
  });
});

describe('tape volatility', () => {
  /** GBM ticks at exponential gaps (mean 250 ms) for `hours`, sigma per sqrt(second). */
  function gbm(rng: Rng, sigma: number, hours: number): { times: number[]; prices: number[] } {
    const times = [0];
    const prices = [50_000];
    let t = 0;
    let logP = Math.log(50_000);
    while (t < hours * 3_600_000) {
      const dt = Math.max(1, Math.round(rng.exponential(1 / 250)));
      t += dt;
      logP += sigma * Math.sqrt(dt / 1000) * rng.normal() - 0.5 * sigma * sigma * (dt / 1000);
      times.push(t);
      prices.push(Math.exp(logP));
    }
    return { times, prices };
  }

  it('without forgetting equals realized variance over the span (batch reference, 1e-10)', () => {
    const { times, prices } = gbm(new Rng(5).stream('tape'), 5e-4, 1);
    const tape = new TapeVolatility({ halfLifeMs: Infinity });
    for (let i = 0; i < times.length; i++) tape.update(times[i]!, prices[i]!);
    const rv = realizedVariance({ timesMs: times, prices });
    const perSecond = (rv / (times[times.length - 1]! - times[0]!)) * 1000;
    expect(Math.abs(tape.estimate()!.variance / perSecond - 1)).toBeLessThan(1e-10);
  });

  it('recovers the sigma of a GBM within 3 SE in at least 57 of 60 seeds; SEs calibrated', () => {
    // 1 hour of ticks (about 14400 returns), half-life 20 min. |z| < 3 has probability 0.997:
    // 57 of 60 allows for 3 misses; the z-scores' sd must be within 0.75..1.25 (sample SE ~0.09).
    const sigma = 5e-4;
    const z: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const { times, prices } = gbm(new Rng(seed).stream('gbm'), sigma, 1);
      const tape = new TapeVolatility({ halfLifeMs: 1_200_000 });
      for (let i = 0; i < times.length; i++) tape.update(times[i]!, prices[i]!);
      const e = tape.estimate()!;
      z.push((e.sigma - sigma) / e.sigmaSe);
    }
    expect(z.filter((x) => Math.abs(x) < 3).length).toBeGreaterThanOrEqual(57);
    const s = stats(z);
    expect(s.sd).toBeGreaterThan(0.75);
    expect(s.sd).toBeLessThan(1.25);
  });

  it('price returns give the arithmetic sigma; sparse sampling; prices in price units', () => {
    const rng = new Rng(9).stream('abm');
    const tape = new TapeVolatility({ halfLifeMs: Infinity, kind: 'price', minIntervalMs: 1000 });
    const sigma = 2; // price units per sqrt(s)
    let p = 100;
    let used = 0;
    let last = 0;
    for (let t = 0; t <= 3_600_000; t += 100) {
      p += sigma * Math.sqrt(0.1) * rng.normal();
      tape.update(t, p);
      if (t - last >= 1000) {
        used++;
        last = t;
      }
    }
    const e = tape.estimate()!;
    expect(e.returns).toBe(used);
    expect(Math.abs(e.sigma - sigma) / e.sigmaSe).toBeLessThan(3);
    const log = new TapeVolatility({ halfLifeMs: Infinity });
    log.update(0, 100);
    log.update(1000, 101);
    expect(log.priceSigma(100)!.sigma).toBeCloseTo(100 * Math.abs(Math.log(1.01)), 12);
    expect(log.estimate()!.returns).toBe(1);
  });

  it('bad inputs are InputErrors naming the field', () => {
    expect(inputError(() => new TapeVolatility({ halfLifeMs: -1 })).field).toBe('halfLifeMs');
    const tape = new TapeVolatility({ halfLifeMs: 1000 });
    expect(inputError(() => tape.update(0, -5)).field).toBe('price');
    tape.update(10, 5);
    expect(inputError(() => tape.update(5, 5)).field).toBe('timestampMs');
    expect(tape.estimate()).toBeNull();
  });
});
