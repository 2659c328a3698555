/**
 * Raw SVI and its butterfly check against Gatheral and Jacquier, "Arbitrage-free SVI volatility
 * surfaces", Quantitative Finance 14(1) (2014) (GJ):
 * - Example 3.1 (Vogt's slice) has g < 0 on roughly (0.64, 1.26) (GJ figure 1); our bisected ends
 *   are compared to that to 0.01 and recorded to 1e-6 (a change there is a change of method).
 * - Example 5.1 prints Vogt's SVI-JW parameters (7 digits) and two repaired slices that GJ state
 *   are free of butterfly arbitrage; the JW <-> raw maps (GJ eq. 3.5 and Lemma 3.2) are written
 *   here, in the test, as the independent route to them.
 * - Theorem 4.2: an SSVI slice with theta phi (1 + |rho|) < 4 and theta phi^2 (1 + |rho|) <= 4 is
 *   free of butterfly arbitrage; property-tested through the SSVI -> raw map (GJ section 3.2 with
 *   chi_N = (0, 0, rho, theta, phi)), boundary of the second condition included.
 * - g against a finite-difference g: central differences of w with step h = 1e-3 sqrt((k - m)^2 +
 *   sigma^2) (the local scale of w). The tolerance is 4 times the differences' own error bound
 *   (truncation from w''' and w'''', rounding eps W / h and 4 eps W / h^2), carried into g to
 *   first order; g's sensitivity to w' is |k| / w, large far out where w is small, so a fixed
 *   relative tolerance would not do. The bound is a median 7e-8 of the size of g's terms (7e-4 at
 *   most), so a wrong term would show. The worst ratio seen is printed (0.25: the error reaches
 *   its bound, not 4 times it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import {
  assertRawSvi,
  checkButterfly,
  rawSviError,
  sviD2wDk2,
  sviDPlus,
  sviDwDk,
  sviG,
  sviMinimumVariance,
  sviTotalVariance,
  type RawSvi,
} from '../../src/vol/svi.js';

const SEED = 20260303;
const EPS = 2.220446049250313e-16;
const VOGT: RawSvi = { a: -0.041, b: 0.1331, rho: 0.306, m: 0.3586, sigma: 0.4153 };

interface Jw {
  v: number;
  psi: number;
  p: number;
  c: number;
  vTilde: number;
}

/** GJ eq. (3.5): SVI-JW parameters of a raw slice at expiry t. */
function rawToJw(q: RawSvi, t: number): Jw {
  const root = Math.sqrt(q.m * q.m + q.sigma * q.sigma);
  const wt = q.a + q.b * (-q.rho * q.m + root);
  const sqrtWt = Math.sqrt(wt);
  return {
    v: wt / t,
    psi: (q.b / (2 * sqrtWt)) * (-q.m / root + q.rho),
    p: (q.b * (1 - q.rho)) / sqrtWt,
    c: (q.b * (1 + q.rho)) / sqrtWt,
    vTilde: (q.a + q.b * q.sigma * Math.sqrt(1 - q.rho * q.rho)) / t,
  };
}

/** GJ Lemma 3.2 (m != 0): raw parameters of an SVI-JW slice at expiry t. */
function jwToRaw(j: Jw, t: number): RawSvi {
  const sqrtWt = Math.sqrt(j.v * t);
  const b = (sqrtWt / 2) * (j.c + j.p);
  const rho = 1 - (j.p * sqrtWt) / b;
  const beta = rho - (2 * j.psi * sqrtWt) / b;
  const alpha = Math.sign(beta) * Math.sqrt(1 / (beta * beta) - 1);
  const root = Math.sqrt(1 - rho * rho);
  const m =
    ((j.v - j.vTilde) * t) / (b * (-rho + Math.sign(alpha) * Math.sqrt(1 + alpha * alpha) - alpha * root));
  const sigma = alpha * m;
  return { a: j.vTilde * t - b * sigma * root, b, rho, m, sigma };
}

/** GJ section 3.2 with chi_N = (0, 0, rho, theta, phi): the raw form of an SSVI slice. */
function ssviToRaw(theta: number, phi: number, rho: number): RawSvi {
  return {
    a: (theta / 2) * (1 - rho * rho),
    b: (theta * phi) / 2,
    rho,
    m: -rho / phi,
    sigma: Math.sqrt(1 - rho * rho) / phi,
  };
}

const GRID = 0x7fffffff;
const uniform = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.integer({ min: 0, max: GRID }).map((i) => (i === GRID ? hi : lo + (hi - lo) * (i / GRID)));
const logUniform = (lo: number, hi: number): fc.Arbitrary<number> =>
  uniform(Math.log(lo), Math.log(hi)).map((v) => Math.min(Math.max(Math.exp(v), lo), hi));

describe('raw SVI parameters', () => {
  it('accepts the slices of GJ and refuses each broken condition, naming the field', () => {
    expect(rawSviError(VOGT)).toBeUndefined();
    expect(() => assertRawSvi({ ...VOGT, a: 0.01, rho: 1 })).not.toThrow();
    const cases: [Partial<RawSvi>, string][] = [
      [{ b: -0.1 }, 'svi.b'],
      [{ rho: 1.01 }, 'svi.rho'],
      [{ sigma: 0 }, 'svi.sigma'],
      [{ a: -0.06 }, 'svi.a'],
      [{ m: NaN }, 'svi.m'],
    ];
    for (const [change, field] of cases) {
      const error = rawSviError({ ...VOGT, ...change });
      expect(error).toBeInstanceOf(InputError);
      expect(error?.field).toBe(field);
      expect(() => assertRawSvi({ ...VOGT, ...change })).toThrow(InputError);
    }
  });

  it('has its minimum a + b sigma sqrt(1 - rho^2) where GJ put it', () => {
    const kStar = VOGT.m - (VOGT.rho * VOGT.sigma) / Math.sqrt(1 - VOGT.rho ** 2);
    expect(sviTotalVariance(VOGT, kStar)).toBeCloseTo(sviMinimumVariance(VOGT), 14);
    expect(sviDwDk(VOGT, kStar)).toBeCloseTo(0, 14);
    // GJ Example 5.1 prints the minimum implied variance (t = 1) as 0.0116249.
    expect(sviMinimumVariance(VOGT)).toBeCloseTo(0.0116249, 7);
  });

  it('gives d+ = -k / sqrt(w) + sqrt(w) / 2', () => {
    const w = sviTotalVariance(VOGT, 0.3);
    expect(sviDPlus(VOGT, 0.3)).toBeCloseTo(-0.3 / Math.sqrt(w) + Math.sqrt(w) / 2, 15);
  });
});

describe('checkButterfly on the slices of GJ', () => {
  it("rejects Vogt's slice (Example 3.1): g < 0 on roughly (0.64, 1.26)", () => {
    const check = checkButterfly(VOGT);
    expect(check.free).toBe(false);
    expect(check.wingsOk).toBe(true);
    expect(check.leeOk).toBe(true);
    expect(check.negativeRegions).toHaveLength(1);
    const [lo, hi] = check.negativeRegions[0]!;
    expect(lo).toBeCloseTo(0.64, 2);
    expect(hi).toBeCloseTo(1.26, 2);
    // Our own figures, recorded: the bisected ends, the minimum of g and where it is.
    expect(lo).toBeCloseTo(0.642408, 6);
    expect(hi).toBeCloseTo(1.256913, 6);
    expect(check.minG).toBeCloseTo(-0.032864, 6);
    expect(check.minGAt).toBeCloseTo(0.87926, 5);
    expect(sviG(VOGT, lo - 1e-9)).toBeGreaterThan(0);
    expect(sviG(VOGT, lo + 1e-9)).toBeLessThan(0);
    expect(sviG(VOGT, hi + 1e-9)).toBeGreaterThan(0);
    expect(check.reason).toMatch(/g\(k\) < 0/);
  });

  it('reproduces the SVI-JW parameters GJ print for it (Example 5.1), and back', () => {
    const jw = rawToJw(VOGT, 1);
    expect(jw.v).toBeCloseTo(0.01742625, 8);
    expect(jw.psi).toBeCloseTo(-0.1752111, 7);
    expect(jw.p).toBeCloseTo(0.6997381, 7);
    expect(jw.c).toBeCloseTo(1.316798, 6);
    expect(jw.vTilde).toBeCloseTo(0.0116249, 7);
    const back = jwToRaw(jw, 1);
    for (const key of ['a', 'b', 'rho', 'm', 'sigma'] as const) expect(back[key]).toBeCloseTo(VOGT[key], 12);
  });

  it("passes both repairs of Vogt's slice that GJ give as arbitrage-free (Example 5.1)", () => {
    const jw = rawToJw(VOGT, 1);
    // The guaranteed repair: c' = p + 2 psi, vTilde' = v 4 p c' / (p + c')^2, printed as
    // (0.3493158, 0.01548182).
    const c = jw.p + 2 * jw.psi;
    const vTilde = (jw.v * 4 * jw.p * c) / (jw.p + c) ** 2;
    expect(c).toBeCloseTo(0.3493158, 7);
    expect(vTilde).toBeCloseTo(0.01548182, 8);
    for (const repaired of [
      { ...jw, c, vTilde },
      { ...jw, c: 0.8564763, vTilde: 0.0116249 }, // GJ's "optimal" choice
    ]) {
      const check = checkButterfly(jwToRaw(repaired, 1));
      expect(check.reason).toBeUndefined();
      expect(check.free).toBe(true);
      expect(check.minG).toBeGreaterThan(0);
    }
  });

  it('passes SSVI slices of the power-law family (GJ Example 4.2 with eq. 4.5)', () => {
    // phi(theta) = eta / (theta^gamma (1 + theta)^(1 - gamma)), arbitrage-free when
    // eta (1 + |rho|) <= 2 (GJ, after eq. 4.5).
    for (const [eta, gamma, rho] of [
      [1, 0.5, -0.7],
      [1.2, 0.4, -0.3],
      [0.5, 0.3, 0.6],
    ] as const) {
      for (const theta of [0.001, 0.01, 0.05, 0.2, 1, 3]) {
        const phi = eta / (theta ** gamma * (1 + theta) ** (1 - gamma));
        const check = checkButterfly(ssviToRaw(theta, phi, rho));
        expect(check.free, `eta ${eta} gamma ${gamma} rho ${rho} theta ${theta}`).toBe(true);
      }
    }
  });
});

describe('checkButterfly at the wings', () => {
  const base = { a: 0.04, m: 0.1, sigma: 0.3 };

  it('fails Lee when a wing is steeper than 2, with g < 0 out to infinity', () => {
    const right = checkButterfly({ ...base, b: 1.8, rho: 0.25 }); // right slope 2.25
    expect(right.leeOk).toBe(false);
    expect(right.wingsOk).toBe(false);
    expect(right.free).toBe(false);
    expect(right.negativeRegions.at(-1)![1]).toBe(Infinity);
    expect(right.minG).toBeLessThanOrEqual((4 - 2.25 ** 2) / 16);
    const left = checkButterfly({ ...base, b: 1.8, rho: -0.25 });
    expect(left.leeOk).toBe(false);
    expect(left.wingsOk).toBe(true);
    expect(left.negativeRegions[0]![0]).toBe(-Infinity);
  });

  it('fails the d+ condition at right slope exactly 2, where d+ stays bounded', () => {
    const p = { ...base, b: 1.6, rho: 0.25 };
    const check = checkButterfly(p);
    expect(check.leeOk).toBe(true);
    expect(check.wingsOk).toBe(false);
    expect(check.free).toBe(false);
    // w - 2k tends to a - 2m: d+ = (w - 2k) / (2 sqrt w) -> 0, not -infinity.
    expect(Math.abs(sviDPlus(p, 1e8))).toBeLessThan(1e-3);
    expect(sviDPlus({ ...p, b: 1.5 }, 1e8)).toBeLessThan(-100);
  });

  it('finds the far negative tail that the 1/k term makes when a slope is just under 2', () => {
    // Right slope 1.99: g tends to (4 - 1.99^2)/16 = 0.0025 but its 1/k term,
    // (2 gamma - beta^2) / (4 beta k) with gamma = a - beta m, holds it below 0 up to k ~ 200.
    const p = { a: 0.01, b: 1.99 / 1.2, rho: 0.2, m: 0, sigma: 0.1 };
    const check = checkButterfly(p);
    expect(check.leeOk).toBe(true);
    expect(check.wingsOk).toBe(true);
    expect(check.free).toBe(false);
    const [lo, hi] = check.negativeRegions.at(-1)!;
    const beta = 1.99;
    const crossing = -((2 * p.a - beta * beta) / (4 * beta)) / ((4 - beta * beta) / 16);
    expect(hi).toBeGreaterThan(0.9 * crossing);
    expect(hi).toBeLessThan(1.1 * crossing);
    expect(lo).toBeLessThan(1);
  });

  it('passes a flat smile (b = 0) and refuses zero or invalid variance', () => {
    expect(checkButterfly({ a: 0.04, b: 0, rho: 0, m: 0, sigma: 0.1 }).free).toBe(true);
    const zero = checkButterfly({ a: -0.1 * Math.sqrt(1 - 0.09), b: 1, rho: 0.3, m: 0, sigma: 0.1 });
    expect(zero.free).toBe(false);
    expect(zero.reason).toMatch(/minimum total variance/);
    expect(checkButterfly({ ...VOGT, sigma: -1 }).reason).toMatch(/svi.sigma/);
  });
});

describe('properties', () => {
  it('passes every SSVI slice with theta phi (1 + |rho|) < 4 and theta phi^2 (1 + |rho|) <= 4 (GJ Theorem 4.2)', () => {
    fc.assert(
      fc.property(logUniform(1e-4, 4), uniform(-0.99, 0.99), uniform(0.001, 1), (theta, rho, fraction) => {
        const bound1 = (4 / (theta * (1 + Math.abs(rho)))) * (1 - 1e-9);
        const bound2 = Math.sqrt(4 / (theta * (1 + Math.abs(rho))));
        const phi = fraction * Math.min(bound1, bound2);
        const check = checkButterfly(ssviToRaw(theta, phi, rho));
        expect(check.reason).toBeUndefined();
        expect(check.free).toBe(true);
        expect(check.minG).toBeGreaterThanOrEqual(-1e-12);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('agrees with g from finite differences of w, within their error bound', () => {
    let worstRatio = 0;
    const slice = fc
      .record({
        b: logUniform(0.01, 1),
        rho: uniform(-0.95, 0.95),
        m: uniform(-0.5, 0.5),
        sigma: logUniform(0.01, 1),
        lift: logUniform(1e-3, 0.5),
        z: uniform(-6, 6),
      })
      .map(({ b, rho, m, sigma, lift, z }) => {
        // a puts the minimum of w at `lift` times the ATM-ish level b sigma, so w > 0.
        const p: RawSvi = { a: b * sigma * (lift - Math.sqrt(1 - rho * rho)), b, rho, m, sigma };
        return { p, k: m + sigma * Math.sinh(z) };
      });
    fc.assert(
      fc.property(slice, ({ p, k }) => {
        const x = k - p.m;
        const h = 1e-3 * Math.sqrt(x * x + p.sigma * p.sigma);
        const wMinus = sviTotalVariance(p, k - h);
        const w0 = sviTotalVariance(p, k);
        const wPlus = sviTotalVariance(p, k + h);
        const w1 = (wPlus - wMinus) / (2 * h);
        const w2 = (wPlus - 2 * w0 + wMinus) / (h * h);
        const gFd = (1 - (k * w1) / (2 * w0)) ** 2 - ((w1 * w1) / 4) * (1 / w0 + 0.25) + w2 / 2;
        // What the differences can be off by: truncation h^2 w'''/6 and h^2 w''''/12, rounding
        // eps W / h and 4 eps W / h^2 (W the size of the terms of w), carried into g to first
        // order, times 4.
        const a1 = sviDwDk(p, k);
        const s = Math.sqrt(x * x + p.sigma * p.sigma);
        const w3 = (-3 * p.b * p.sigma * p.sigma * x) / s ** 5;
        const w4 = (3 * p.b * p.sigma * p.sigma * (4 * x * x - p.sigma * p.sigma)) / s ** 7;
        const size = Math.abs(p.a) + p.b * (Math.abs(p.rho * x) + s);
        const error1 = (h * h * Math.abs(w3)) / 6 + (EPS * size) / h;
        const error2 = (h * h * Math.abs(w4)) / 12 + (4 * EPS * size) / (h * h);
        const dgDw1 = Math.abs((1 - (k * a1) / (2 * w0)) * (k / w0)) + Math.abs((a1 / 2) * (1 / w0 + 0.25));
        const bound = 4 * (dgDw1 * error1 + error2 / 2);
        expect(Math.abs(w1 - a1)).toBeLessThanOrEqual(4 * error1);
        expect(Math.abs(w2 - sviD2wDk2(p, k))).toBeLessThanOrEqual(4 * error2);
        expect(Math.abs(gFd - sviG(p, k))).toBeLessThanOrEqual(bound);
        worstRatio = Math.max(worstRatio, Math.abs(gFd - sviG(p, k)) / bound);
      }),
      { seed: SEED, numRuns: 2000 },
    );
    console.log(`g against finite differences: worst error / bound = ${worstRatio.toPrecision(3)}`);
  });
});
