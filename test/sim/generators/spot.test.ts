/**
 * Spot paths against theory over many seeds (one `Rng` per seed), each check within four
 * standard errors of the estimate (`stats.ts`):
 * - GBM: per-step log return mean (mu - sigma^2/2) dt and variance sigma^2 dt; the terminal
 *   price's mean S0 e^(mu T).
 * - Merton: per-step log-return variance (sigma^2 + lambda (muJ^2 + sigmaJ^2)) dt, mean
 *   (mu - sigma^2/2 - lambda kappa + lambda muJ) dt, and the compensated drift E[S_T] = S0 e^(mu T);
 *   with lambda = 0, GBM's path to the bit.
 * - Heston (full truncation Euler): the mean of the variance reverting to theta as the scheme
 *   says, theta + (v0 - theta)(1 - kappa dt)^n (Feller condition met, so truncation is rare),
 *   and within the scheme's bias of the continuous e^(-kappa t).
 * And determinism: the same seed gives identical arrays, another seed different ones.
 */
import { describe, expect, it } from 'vitest';

import { MS_PER_YEAR } from '../../../src/model/time.js';
import { gbmPath, hestonPath, mertonPath, type SpotPath } from '../../../src/sim/generators/spot.js';
import { Rng } from '../../../src/sim/random.js';
import { expectWithin, moments } from './stats.js';

const SEEDS = 4000;
const STEPS = 50;
const DT = 1 / 365;

function logReturns(paths: SpotPath[]): Float64Array {
  const out = new Float64Array(paths.length * STEPS);
  let j = 0;
  for (const p of paths)
    for (let i = 1; i <= STEPS; i++) out[j++] = Math.log(p.prices[i]! / p.prices[i - 1]!);
  return out;
}

describe('GBM', () => {
  const mu = 0.1;
  const sigma = 0.8;
  const paths = Array.from({ length: SEEDS }, (_, seed) =>
    gbmPath({ rng: new Rng(seed), s0: 100, mu, sigma, dt: DT, steps: STEPS }),
  );

  it('log returns: mean (mu - sigma^2/2) dt and variance sigma^2 dt', () => {
    const m = moments(logReturns(paths));
    expectWithin('GBM log-return mean', m.mean, (mu - sigma ** 2 / 2) * DT, m.seMean);
    // Normal returns: SE of the variance = sigma^2 dt sqrt(2 / n); the estimate's own SE is used.
    expectWithin('GBM log-return variance', m.variance, sigma ** 2 * DT, m.seVariance);
  });

  it('terminal price: mean S0 e^(mu T)', () => {
    const m = moments(paths.map((p) => p.prices[STEPS]!));
    expectWithin('GBM E[S_T]', m.mean, 100 * Math.exp(mu * STEPS * DT), m.seMean);
  });

  it('has steps + 1 points with times and timestamps', () => {
    const p = gbmPath({ rng: new Rng(1), s0: 100, sigma: 0.5, dt: DT, steps: 3, startMs: 1000 });
    expect(p.prices.length).toBe(4);
    expect(p.prices[0]).toBe(100);
    expect(Array.from(p.times)).toEqual([0, DT, 2 * DT, 3 * DT]);
    expect(p.timestampMs[3]).toBeCloseTo(1000 + 3 * DT * MS_PER_YEAR, 6);
  });

  it('is deterministic: same seed identical, another seed different', () => {
    const o = { s0: 100, sigma: 0.5, dt: DT, steps: 100 };
    expect(gbmPath({ ...o, rng: new Rng(5) })).toEqual(gbmPath({ ...o, rng: new Rng(5) }));
    expect(gbmPath({ ...o, rng: new Rng(5) }).prices).not.toEqual(gbmPath({ ...o, rng: new Rng(6) }).prices);
  });

  it('rejects bad input', () => {
    expect(() => gbmPath({ rng: new Rng(1), s0: -1, sigma: 0.5, dt: DT, steps: 3 })).toThrow(/s0/);
    expect(() => gbmPath({ rng: new Rng(1), s0: 1, sigma: 0.5, dt: 0, steps: 3 })).toThrow(/dt/);
    expect(() => gbmPath({ rng: new Rng(1), s0: 1, sigma: 0.5, dt: DT, steps: 1.5 })).toThrow(/steps/);
  });
});

describe('Merton jump-diffusion', () => {
  const mu = 0.05;
  const sigma = 0.5;
  const lambda = 25;
  const jumpMean = -0.04;
  const jumpStd = 0.08;
  const paths = Array.from({ length: SEEDS }, (_, seed) =>
    mertonPath({ rng: new Rng(seed), s0: 100, mu, sigma, lambda, jumpMean, jumpStd, dt: DT, steps: STEPS }),
  );

  it('log returns: variance (sigma^2 + lambda (muJ^2 + sigmaJ^2)) dt, mean with the compensator', () => {
    const m = moments(logReturns(paths));
    const kappa = Math.exp(jumpMean + jumpStd ** 2 / 2) - 1;
    expectWithin(
      'Merton log-return variance',
      m.variance,
      (sigma ** 2 + lambda * (jumpMean ** 2 + jumpStd ** 2)) * DT,
      m.seVariance,
    );
    expectWithin(
      'Merton log-return mean',
      m.mean,
      (mu - sigma ** 2 / 2 - lambda * kappa + lambda * jumpMean) * DT,
      m.seMean,
    );
    // The jumps matter here: the variance without them lies far outside the tolerance.
    expect(Math.abs(m.variance - sigma ** 2 * DT)).toBeGreaterThan(20 * m.seVariance);
  });

  it('compensated drift: E[S_T] = S0 e^(mu T)', () => {
    const m = moments(paths.map((p) => p.prices[STEPS]!));
    expectWithin('Merton E[S_T]', m.mean, 100 * Math.exp(mu * STEPS * DT), m.seMean);
  });

  it('with lambda = 0 gives the GBM path to the bit; the jumps do not move the diffusion draws', () => {
    const o = { s0: 100, mu, sigma, dt: DT, steps: 200 };
    const gbm = gbmPath({ ...o, rng: new Rng(9) });
    expect(mertonPath({ ...o, rng: new Rng(9), lambda: 0, jumpMean, jumpStd })).toEqual(gbm);
    // With jumps, log S - GBM's log S is a pure jump process: piecewise constant.
    const jumpy = mertonPath({ ...o, rng: new Rng(9), lambda: 200, jumpMean, jumpStd });
    let changes = 0;
    const kappa = Math.exp(jumpMean + jumpStd ** 2 / 2) - 1;
    for (let i = 1; i <= 200; i++) {
      const d0 = Math.log(jumpy.prices[i - 1]! / gbm.prices[i - 1]!) + 200 * kappa * (i - 1) * DT;
      const d1 = Math.log(jumpy.prices[i]! / gbm.prices[i]!) + 200 * kappa * i * DT;
      if (Math.abs(d1 - d0) > 1e-9) changes++;
    }
    expect(changes).toBeGreaterThan(30); // about 200 x 200 / 365 = 110 steps with a jump
    expect(changes).toBeLessThan(200);
  });

  it('is deterministic', () => {
    const o = { s0: 100, sigma, lambda, jumpMean, jumpStd, dt: DT, steps: 100 };
    expect(mertonPath({ ...o, rng: new Rng(3) })).toEqual(mertonPath({ ...o, rng: new Rng(3) }));
    expect(mertonPath({ ...o, rng: new Rng(3) }).prices).not.toEqual(
      mertonPath({ ...o, rng: new Rng(4) }).prices,
    );
  });
});

describe('Heston (full truncation Euler)', () => {
  const v0 = 0.25;
  const theta = 0.04;
  const kappa = 4;
  const xi = 0.3; // 2 kappa theta = 0.32 > xi^2 = 0.09: Feller
  const rho = -0.7;
  const dt = 1 / 365;
  const steps = 365;
  const count = 2000;
  const paths = Array.from({ length: count }, (_, seed) =>
    hestonPath({ rng: new Rng(seed), s0: 100, v0, kappa, theta, xi, rho, dt, steps }),
  );

  it('the mean variance reverts to theta: theta + (v0 - theta)(1 - kappa dt)^n', () => {
    for (const n of [0, 10, 30, 91, 182, 365]) {
      const m = moments(paths.map((p) => p.variance[n]!));
      const scheme = theta + (v0 - theta) * (1 - kappa * dt) ** n;
      const continuous = theta + (v0 - theta) * Math.exp(-kappa * n * dt);
      expectWithin(`Heston E[v] at step ${n}`, m.mean, scheme, m.seMean || 1e-12);
      // The scheme's bias against the continuous model is below 0.4% of v0 - theta here.
      expectWithin(`Heston E[v] at step ${n}, continuous`, m.mean, continuous, m.seMean || 1e-12, 0.001);
    }
  });

  it('spot: E[S_T] = S0 (mu = 0: a martingale) and a negative spot-variance correlation', () => {
    const m = moments(paths.map((p) => p.prices[steps]!));
    expectWithin('Heston E[S_T]', m.mean, 100, m.seMean);
    // Correlation of the Brownian increments of the first 20 steps, pooled: each step's log
    // return and variance change less their drifts, over sqrt(v dt).
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (const p of paths) {
      for (let i = 1; i <= 20; i++) {
        const v = p.variance[i - 1]!;
        const x = (Math.log(p.prices[i]! / p.prices[i - 1]!) + (v / 2) * dt) / Math.sqrt(v * dt);
        const y = (p.variance[i]! - v - kappa * (theta - v) * dt) / Math.sqrt(v * dt);
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
      }
    }
    const corr = sxy / Math.sqrt(sxx * syy);
    // 40,000 pairs: SE of a correlation ~ (1 - rho^2) / sqrt(n) = 0.0026.
    expectWithin(
      'Heston spot-variance correlation',
      corr,
      rho,
      (1 - rho * rho) / Math.sqrt(count * 20),
      0.01,
    );
  });

  it('is deterministic, and the variance never reported below 0', () => {
    const o = { s0: 100, v0: 0.04, kappa: 1, theta: 0.04, xi: 1.5, rho: -0.9, dt, steps: 365 };
    const a = hestonPath({ ...o, rng: new Rng(21) });
    expect(a).toEqual(hestonPath({ ...o, rng: new Rng(21) }));
    expect(a.variance).not.toEqual(hestonPath({ ...o, rng: new Rng(22) }).variance);
    expect(Math.min(...a.variance)).toBeGreaterThanOrEqual(0);
    expect(a.prices.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
  });
});
