/**
 * The simulated chain: sticky moneyness (a strike's vol is the smile read at its moneyness
 * against the moving forward), the ATM level following a Heston path's expected average
 * variance, put-call parity, coin marks, expired columns, determinism.
 */
import { describe, expect, it } from 'vitest';

import { MS_PER_DAY, MS_PER_YEAR } from '../../../src/model/time.js';
import { generateChain, hestonAtmVariance, sliceAt } from '../../../src/sim/generators/chain.js';
import { gbmPath, hestonPath } from '../../../src/sim/generators/spot.js';
import { Rng } from '../../../src/sim/random.js';
import { sviTotalVariance, type RawSvi } from '../../../src/vol/svi.js';

const SHAPE_30D: RawSvi = { a: 0.3, b: 0.4, rho: -0.3, m: 0.02, sigma: 0.2 };
const SHAPE_90D: RawSvi = { a: 0.35, b: 0.3, rho: -0.25, m: 0.03, sigma: 0.25 };
const EXPIRIES = [
  { expiryMs: 90 * MS_PER_DAY, shape: SHAPE_90D },
  { expiryMs: 30 * MS_PER_DAY, shape: SHAPE_30D },
];
const STRIKES = [80, 90, 100, 110, 120];

describe('generateChain', () => {
  it('sticky moneyness: each vol is the smile at ln(K/F) of the current forward', () => {
    const path = gbmPath({ rng: new Rng(1), s0: 100, sigma: 0.6, dt: 1 / 365, steps: 25 });
    const chain = generateChain({ path, expiries: EXPIRIES, strikes: STRIKES, rate: 0.05 });
    expect(chain.instruments.length).toBe(2 * 5 * 2);
    expect(chain.expiries.map((e) => e.expiryMs)).toEqual([30 * MS_PER_DAY, 90 * MS_PER_DAY]);
    expect(chain.steps.length).toBe(26);
    for (const step of chain.steps) {
      chain.instruments.forEach((ins, c) => {
        const j = chain.expiries.findIndex((e) => e.expiryMs === ins.expiryMs);
        const tau = (ins.expiryMs - step.timestampMs) / MS_PER_YEAR;
        const forward = step.spot * Math.exp(0.05 * tau);
        expect(step.forwards[j]).toBeCloseTo(forward, 10);
        const k = Math.log(ins.strike / forward);
        expect(step.iv[c]).toBeCloseTo(Math.sqrt(sviTotalVariance(chain.expiries[j]!.shape, k)), 12);
        expect(step.markCoin[c]).toBeCloseTo(step.markUsd[c]! / forward, 14);
      });
    }
    // The surface moved with spot: a fixed strike's vol changed along the path.
    const first = chain.steps[0]!.iv[0]!;
    expect(chain.steps.some((s) => Math.abs(s.iv[0]! - first) > 1e-4)).toBe(true);
  });

  it('put-call parity: C - P = e^(-r tau) (F - K)', () => {
    const path = gbmPath({ rng: new Rng(2), s0: 100, sigma: 0.6, dt: 1 / 365, steps: 5 });
    const chain = generateChain({ path, expiries: EXPIRIES, strikes: STRIKES, rate: 0.03 });
    for (const step of chain.steps) {
      for (let c = 0; c < chain.instruments.length; c += 2) {
        const call = chain.instruments[c]!;
        expect(call.kind).toBe('call');
        expect(chain.instruments[c + 1]!.kind).toBe('put');
        const tau = (call.expiryMs - step.timestampMs) / MS_PER_YEAR;
        const j = chain.expiries.findIndex((e) => e.expiryMs === call.expiryMs);
        const parity = Math.exp(-0.03 * tau) * (step.forwards[j]! - call.strike);
        expect(step.markUsd[c]! - step.markUsd[c + 1]!).toBeCloseTo(parity, 9);
      }
    }
  });

  it('Heston: the ATM variance is the expected average variance to expiry', () => {
    const kappa = 3;
    const theta = 0.36;
    const path = hestonPath({
      rng: new Rng(3),
      s0: 100,
      v0: 0.64,
      kappa,
      theta,
      xi: 0.8,
      rho: -0.5,
      dt: 1 / 365,
      steps: 60,
    });
    const atm = hestonAtmVariance(kappa, theta);
    const chain = generateChain({
      path,
      expiries: EXPIRIES,
      strikes: STRIKES,
      atmVariance: atm,
      kinds: ['call'],
    });
    for (let i = 0; i < chain.steps.length; i += 7) {
      const step = chain.steps[i]!;
      chain.expiries.forEach((e, j) => {
        const tau = (e.expiryMs - step.timestampMs) / MS_PER_YEAR;
        if (!(tau > 0)) return;
        const v = path.variance[i]!;
        const level = theta + ((v - theta) * (1 - Math.exp(-kappa * tau))) / (kappa * tau);
        const slice = sliceAt(e.shape, level, tau);
        // At the forward (k = 0) the implied variance is the level.
        expect(sviTotalVariance(slice, 0) / tau).toBeCloseTo(level, 12);
        chain.instruments.forEach((ins, c) => {
          if (ins.expiryMs !== e.expiryMs) return;
          const k = Math.log(ins.strike / step.forwards[j]!);
          expect(step.iv[c]).toBeCloseTo(Math.sqrt(sviTotalVariance(slice, k) / tau), 12);
        });
      });
    }
    // Limits: tau -> 0 gives v, tau -> infinity gives theta.
    expect(atm({ t: 0, timestampMs: 0, spot: 1, tau: 1e-12, variance: 0.5, shapeAtm: 1 })).toBeCloseTo(
      0.5,
      9,
    );
    expect(atm({ t: 0, timestampMs: 0, spot: 1, tau: 1e6, variance: 0.5, shapeAtm: 1 })).toBeCloseTo(
      theta,
      5,
    );
    expect(() =>
      generateChain({
        path: gbmPath({ rng: new Rng(1), s0: 1, sigma: 1, dt: 0.01, steps: 1 }),
        expiries: EXPIRIES,
        strikes: [1],
        atmVariance: atm,
      }),
    ).toThrow(/Heston/);
  });

  it('holds NaN for an expired expiry', () => {
    const path = gbmPath({ rng: new Rng(4), s0: 100, sigma: 0.6, dt: 10 / 365, steps: 5 });
    const chain = generateChain({ path, expiries: EXPIRIES, strikes: [100] });
    const last = chain.steps[5]!; // day 50: the 30-day expiry is past
    expect(Number.isNaN(last.iv[0]!)).toBe(true);
    expect(Number.isNaN(last.markUsd[1]!)).toBe(true);
    expect(last.iv[2]).toBeGreaterThan(0);
  });

  it('is deterministic through its path', () => {
    const make = (seed: number) =>
      generateChain({
        path: gbmPath({ rng: new Rng(seed), s0: 100, sigma: 0.6, dt: 1 / 365, steps: 10 }),
        expiries: EXPIRIES,
        strikes: STRIKES,
      });
    expect(make(5)).toEqual(make(5));
    expect(make(5).steps[10]!.markUsd).not.toEqual(make(6).steps[10]!.markUsd);
  });
});
