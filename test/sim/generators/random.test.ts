/**
 * The seeded generator: a pinned sequence (the same on every machine), streams split by label
 * that do not disturb each other, and the moments of each distribution against theory within
 * four standard errors (`stats.ts`).
 */
import { describe, expect, it } from 'vitest';

import { Rng, logFactorial } from '../../../src/sim/random.js';
import { expectWithin, moments, seProportion } from './stats.js';

function draw(r: Rng, n: number, f: (r: Rng) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(r);
  return out;
}

describe('Rng: determinism', () => {
  it('gives a pinned sequence for seed 42 (integer arithmetic: the same bits everywhere)', () => {
    const r = new Rng(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([
      3120327127, 2664331456, 2687854520, 1396482670,
    ]);
    expect(r.uniform()).toBe(0.1426144276374034);
    // Normals use Math.log and Math.sqrt: V8's own fdlibm log, the same on every machine for a
    // Node version (see random.ts).
    expect(r.normal()).toBe(-1.092559389183382);
    expect(new Rng(42).stream('a').uniform()).toBe(0.6575053533612792);
  });

  it('repeats for a seed and differs between seeds', () => {
    const a = draw(new Rng(7), 1000, (r) => r.normal());
    const b = draw(new Rng(7), 1000, (r) => r.normal());
    const c = draw(new Rng(8), 1000, (r) => r.normal());
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(draw(new Rng('run-1'), 10, (r) => r.uniform())).toEqual(
      draw(new Rng('run-1'), 10, (r) => r.uniform()),
    );
    expect(draw(new Rng('run-1'), 10, (r) => r.uniform())).not.toEqual(
      draw(new Rng('run-2'), 10, (r) => r.uniform()),
    );
    expect(draw(new Rng(-3), 10, (r) => r.uniform())).not.toEqual(draw(new Rng(3), 10, (r) => r.uniform()));
    expect(draw(new Rng(2 ** 40), 10, (r) => r.uniform())).not.toEqual(
      draw(new Rng(0), 10, (r) => r.uniform()),
    );
  });

  it('splits into streams by label that do not depend on other draws', () => {
    const fresh = new Rng(1).stream('spot');
    const parent = new Rng(1);
    for (let i = 0; i < 100; i++) parent.uniform();
    const other = parent.stream('flow');
    for (let i = 0; i < 100; i++) other.normal();
    const later = parent.stream('spot');
    expect(draw(later, 50, (r) => r.uniform())).toEqual(draw(fresh, 50, (r) => r.uniform()));
    // Different labels, nested labels, different parents: different streams.
    const base = draw(new Rng(1).stream('spot'), 20, (r) => r.uniform());
    expect(draw(new Rng(1).stream('flow'), 20, (r) => r.uniform())).not.toEqual(base);
    expect(draw(new Rng(2).stream('spot'), 20, (r) => r.uniform())).not.toEqual(base);
    expect(draw(new Rng(1).stream('a').stream('b'), 20, (r) => r.uniform())).not.toEqual(
      draw(new Rng(1).stream('a/b'), 20, (r) => r.uniform()),
    );
  });

  it('rejects seeds that are not safe integers or strings', () => {
    expect(() => new Rng(1.5)).toThrow(/seed/);
    expect(() => new Rng(Number.NaN)).toThrow(/seed/);
  });
});

describe('Rng: distributions against theory (4 standard errors)', () => {
  const n = 400_000;

  it('uniform: mean 1/2, variance 1/12, within [0, 1)', () => {
    const xs = draw(new Rng(11), n, (r) => r.uniform());
    const m = moments(xs);
    expectWithin('uniform mean', m.mean, 0.5, m.seMean);
    expectWithin('uniform variance', m.variance, 1 / 12, m.seVariance);
    expect(Math.min(...xs.subarray(0, 10000))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs.subarray(0, 10000))).toBeLessThan(1);
  });

  it('int: each of 7 values with probability 1/7', () => {
    const r = new Rng(12);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < n; i++) counts[r.int(7)]!++;
    for (const c of counts) expectWithin('int(7) frequency', c / n, 1 / 7, seProportion(1 / 7, n));
  });

  it('normal: mean 0, variance 1, P(Z < -1.96) = 0.025', () => {
    const xs = draw(new Rng(13), n, (r) => r.normal());
    const m = moments(xs);
    expectWithin('normal mean', m.mean, 0, m.seMean);
    expectWithin('normal variance', m.variance, 1, m.seVariance);
    const tail = xs.filter((x) => x < -1.959963984540054).length / n;
    expectWithin('normal lower 2.5% tail', tail, 0.025, seProportion(0.025, n));
    const shifted = moments(draw(new Rng(14), 100_000, (r) => r.normal(3, 2)));
    expectWithin('normal(3, 2) mean', shifted.mean, 3, shifted.seMean);
    expectWithin('normal(3, 2) variance', shifted.variance, 4, shifted.seVariance);
  });

  it('exponential: mean 1/rate, variance 1/rate^2', () => {
    const m = moments(draw(new Rng(15), n, (r) => r.exponential(2.5)));
    expectWithin('exponential mean', m.mean, 0.4, m.seMean);
    expectWithin('exponential variance', m.variance, 0.16, m.seVariance);
  });

  for (const lambda of [0.3, 4, 37.5, 1000]) {
    it(`poisson(${lambda}): mean = variance = lambda`, () => {
      const m = moments(draw(new Rng(16), 200_000, (r) => r.poisson(lambda)));
      // Poisson: Var(sample mean) = lambda / n, Var(sample variance) ~ (lambda + 2 lambda^2) / n.
      expectWithin('poisson mean', m.mean, lambda, Math.sqrt(lambda / m.n));
      expectWithin('poisson variance', m.variance, lambda, Math.sqrt((lambda + 2 * lambda * lambda) / m.n));
    });
  }

  it('poisson(37.5) (the PTRS branch): the probability of each k near the mean', () => {
    const lambda = 37.5;
    const r = new Rng(17);
    const trials = 200_000;
    const counts = new Map<number, number>();
    for (let i = 0; i < trials; i++) {
      const k = r.poisson(lambda);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (let k = 28; k <= 48; k += 4) {
      const p = Math.exp(-lambda + k * Math.log(lambda) - logFactorial(k));
      expectWithin(`P(N = ${k})`, (counts.get(k) ?? 0) / trials, p, seProportion(p, trials));
    }
  });

  it('logFactorial: table and Stirling series agree with sums of logs', () => {
    let sum = 0;
    for (let k = 1; k <= 400; k++) {
      sum += Math.log(k);
      expect(Math.abs(logFactorial(k) - sum)).toBeLessThanOrEqual(1e-12 * sum);
    }
    expect(logFactorial(0)).toBe(0);
  });
});
