/**
 * Sample statistics and their standard errors for the generators' tests. A check passes when
 * |estimate - theory| <= Z standard errors, Z = 4 (a two-sided 6e-5 chance of failing for a
 * correct generator were the seeds random; they are fixed, so a pass is repeatable).
 */
import { expect } from 'vitest';

export const Z = 4;

export interface Moments {
  n: number;
  mean: number;
  /** Unbiased sample variance. */
  variance: number;
  /** Standard error of the mean: sqrt(variance / n). */
  seMean: number;
  /** Standard error of the sample variance, sqrt((m4 - s^4) / n), m4 the fourth central moment. */
  seVariance: number;
}

export function moments(xs: ArrayLike<number>): Moments {
  const n = xs.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += xs[i]!;
  const mean = sum / n;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = xs[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  const variance = m2 / (n - 1);
  const fourth = m4 / n;
  const popVar = m2 / n;
  return {
    n,
    mean,
    variance,
    seMean: Math.sqrt(variance / n),
    seVariance: Math.sqrt(Math.max(0, fourth - popVar * popVar) / n),
  };
}

/** Expects |estimate - theory| <= Z se (+ slack), with a message naming what is checked. */
export function expectWithin(what: string, estimate: number, theory: number, se: number, slack = 0): void {
  const bound = Z * se + slack;
  expect(
    Math.abs(estimate - theory),
    `${what}: ${estimate} against ${theory} (tolerance ${bound})`,
  ).toBeLessThanOrEqual(bound);
}

/** Standard error of a proportion p over n trials. */
export function seProportion(p: number, n: number): number {
  return Math.sqrt((p * (1 - p)) / n);
}
