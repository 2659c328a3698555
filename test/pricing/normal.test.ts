/**
 * normCdf, normPdf and normInv against mpmath (100 digits, `normal-cdf-reference.jsonl`, written
 * by `scripts/reference/black76_reference.py`).
 *
 * Tolerances:
 * - normCdf and normPdf: 1e-14 relative to the correctly rounded reference, everywhere on the
 *   grid -38.5 .. 8.5. Both carry exp(-x^2/2), whose relative condition number is x^2/2 (about
 *   740 at x = -38.5), so an evaluation that rounds x^2 first loses up to ~1e-13; the bound asks
 *   for x^2 to be split (as Cody's erfc does), which is what keeps N(-37) usable in the tails
 *   of Black-76. Where the result is subnormal (x below about -37.6) one ulp of the result is
 *   worth far more than 1e-14 of it, so the test there demands the correctly rounded double:
 *   N(-38) ~ 2.9e-316 included, and N(-38.5) ~ 1.4e-324 must round to 0.
 * - normInv: 1e-14 relative to the reference. The inverse is well conditioned for p given as a
 *   double: in the tails |d ln x / d ln p| = N(x)/(|x|^2 phi(x)) < 1/x^2 + ..., and near p = 1/2
 *   the input p - 1/2 is exact in double arithmetic (Sterbenz), so an implementation that
 *   works on p - 1/2 and on 1 - p (exact for p in [1/2, 1)) can reach a few ulps everywhere.
 * - Round trip N(normInv(p)) against p: normInv's error is amplified by the condition number of
 *   N, |x| phi(x)/N(x) <= x^2 + 1 (Mills' ratio bound for x < 0, below 0.5 for x >= 0), so the
 *   bound is 1e-14 (2 + x^2) relative.
 */
import { describe, expect, it } from 'vitest';
import { normCdf, normInv, normPdf } from '../../src/pricing/normal.js';
import { type NormalLine, readJsonl, relErr } from './reference-fixtures.js';

const lines = readJsonl<NormalLine>('normal-cdf-reference.jsonl');
const cdfLines = lines.filter((l): l is Extract<NormalLine, { fn: 'cdf' }> => l.fn === 'cdf');
const invLines = lines.filter((l): l is Extract<NormalLine, { fn: 'inv' }> => l.fn === 'inv');
const REL_TOL = 1e-14;

function within(actual: number, expected: number, tol: number): boolean {
  if (actual === expected) return true;
  return Math.abs(actual - expected) <= tol * Math.abs(expected);
}

interface Worst {
  err: number;
  at: number;
}

function checkAll<T>(
  items: T[],
  input: (item: T) => number,
  compute: (x: number) => number,
  reference: (item: T) => number,
  tol: (item: T) => number,
): { failures: string[]; worst: Worst } {
  const failures: string[] = [];
  const worst: Worst = { err: 0, at: NaN };
  for (const item of items) {
    const x = input(item);
    const expected = reference(item);
    const actual = compute(x);
    const err = relErr(actual, expected);
    if (!(err <= worst.err)) {
      worst.err = err;
      worst.at = x;
    }
    if (!within(actual, expected, tol(item)))
      failures.push(`at ${x}: got ${actual}, reference ${expected}, rel ${err}`);
  }
  return { failures, worst };
}

describe('normCdf against mpmath', () => {
  it('has the reference points the tests rely on', () => {
    expect(cdfLines.length).toBeGreaterThan(380);
    expect(invLines.length).toBeGreaterThan(450);
  });

  for (const x of [-8, -38, -37.5, -20, -1e-8, 0, 1e-8]) {
    it(`N(${x}) is within 1e-14 relative of the correctly rounded reference`, () => {
      const line = cdfLines.find((l) => l.x === x);
      expect(line, `fixture has x = ${x}`).toBeDefined();
      const expected = Number(line!.cdf);
      const actual = normCdf(x);
      expect(
        within(actual, expected, REL_TOL),
        `N(${x}) = ${actual}, reference ${line!.cdf}, relative error ${relErr(actual, expected)}`,
      ).toBe(true);
    });
  }

  it('N(-38) is the correctly rounded subnormal', () => {
    const line = cdfLines.find((l) => l.x === -38)!;
    expect(normCdf(-38)).toBe(Number(line.cdf));
  });

  it('matches the whole grid, -38.5 to 8.5, within 1e-14 relative', () => {
    const { failures, worst } = checkAll(
      cdfLines,
      (l) => l.x,
      normCdf,
      (l) => Number(l.cdf),
      () => REL_TOL,
    );
    console.log(
      `normCdf: ${cdfLines.length} points, worst relative error ${worst.err.toExponential(3)} at x = ${worst.at}`,
    );
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([]);
  });

  it('is 0 and 1 at the infinities', () => {
    expect(normCdf(-Infinity)).toBe(0);
    expect(normCdf(Infinity)).toBe(1);
  });
});

describe('normPdf against mpmath', () => {
  it('matches the whole grid within 1e-14 relative', () => {
    const { failures, worst } = checkAll(
      cdfLines,
      (l) => l.x,
      normPdf,
      (l) => Number(l.pdf),
      () => REL_TOL,
    );
    console.log(
      `normPdf: ${cdfLines.length} points, worst relative error ${worst.err.toExponential(3)} at x = ${worst.at}`,
    );
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([]);
  });

  it('is even', () => {
    for (const l of cdfLines) expect(normPdf(-l.x)).toBe(normPdf(l.x));
  });
});

describe('normInv against mpmath', () => {
  it('matches the reference from p = 1e-300 to 1 - 1e-16 within 1e-14 relative', () => {
    const { failures, worst } = checkAll(
      invLines,
      (l) => l.p,
      normInv,
      (l) => Number(l.x),
      () => REL_TOL,
    );
    console.log(
      `normInv: ${invLines.length} points, worst relative error ${worst.err.toExponential(3)} at p = ${worst.at}`,
    );
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([]);
  });

  it('is 0 at one half, and antisymmetric where 1 - p is exact', () => {
    expect(normInv(0.5)).toBe(0);
    for (const l of invLines) {
      if (l.p >= 0.25 && l.p < 0.5) expect(normInv(1 - l.p)).toBe(-normInv(l.p));
    }
  });

  it('round-trips: N(normInv(p)) = p within 1e-14 (2 + x^2) relative', () => {
    const failures: string[] = [];
    let worst = 0;
    for (const l of invLines) {
      const x = normInv(l.p);
      const back = normCdf(x);
      const tol = REL_TOL * (2 + x * x);
      const err = relErr(back, l.p);
      worst = Math.max(worst, err / tol);
      if (!(err <= tol)) failures.push(`p=${l.p}: normInv ${x}, N back ${back}, rel ${err}, tol ${tol}`);
    }
    console.log(`normInv round trip: worst error ${worst.toFixed(3)} of its tolerance`);
    expect(failures, failures.slice(0, 10).join('\n')).toEqual([]);
  });
});
