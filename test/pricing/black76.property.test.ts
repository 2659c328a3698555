/**
 * Invariants of Black-76 and its implied vol, over random inputs (fast-check, fixed seed so a
 * failure reproduces; fast-check prints the counterexample and the seed).
 *
 * Domain, as in the reference fixture: expiry 1 minute to 5 years, vol 1% to 500% (both
 * log-uniform), strike F exp(z sigma sqrt T) with z uniform in [-8, 8], rate -1% to 15%,
 * forward log-uniform in [0.01, 1e5].
 *
 * Tolerances:
 * - put-call parity, C - P = D (F - K): C and P are each allowed 1e-12 relative error by the
 *   accuracy test, and D (F - K) is a few roundings, so 1e-12 (C + P) + 4 eps D (F + K). A
 *   scale of F alone is not enough: with K up to 8 standard deviations above F the put is
 *   about D K, and its rounding is eps D K.
 * - monotonicity: the function is strictly monotone, the computed one may wobble by its
 *   accuracy, so a step the wrong way is allowed up to 1e-12 (|p1| + |p2|), nothing more.
 * - IV round trip: |IV(price(vol)) - vol| <= 1e-12 vol + 8 * 2.2e-16 * price / vega, for prices
 *   strictly inside the attainable range with a margin of 2^-40 of the price (the bounds are
 *   themselves computed in double here; the exact edge is the accuracy test's business).
 * - greeks against central finite differences of our own price (first-order greeks) or of our
 *   own first-order greeks (gamma from delta, vanna and volga from vega: second differences of
 *   the price lose too many digits near the money at short expiry), steps 1e-4 of the natural
 *   scale (F sigma sqrt T, sigma, T, 1 for the rate), 1e-5 relative to max(|greek|, scale):
 *   truncation (~1e-8 (1 + z^2)^2) and rounding (~eps 1e4 price / (step greek)) both stay well
 *   below it on the restricted domain used there (expiry >= 1 day, vol 5%..200%, |z| <= 3).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { black76, black76Price } from '../../src/pricing/black76.js';
import { impliedVol } from '../../src/pricing/implied-vol.js';
import type { OptionKind } from '../../src/pricing/types.js';
import { EPS } from './reference-fixtures.js';

const SEED = 20240602;
const RUNS = 2000;

/**
 * Uniform on [lo, hi] through a 31-bit integer grid: fc.double picks uniformly among the
 * doubles of the interval, which puts nine draws in ten of [-8, 8] within 1e-3 of zero.
 * fc.integer's bias towards its ends still brings the corners up often.
 */
const GRID = 0x7fffffff;
const uniform = (lo: number, hi: number): fc.Arbitrary<number> =>
  fc.integer({ min: 0, max: GRID }).map((i) => (i === GRID ? hi : lo + (hi - lo) * (i / GRID)));
const logUniform = (lo: number, hi: number): fc.Arbitrary<number> =>
  uniform(Math.log(lo), Math.log(hi)).map((v) => Math.min(Math.max(Math.exp(v), lo), hi));

interface Market {
  forward: number;
  expiryYears: number;
  vol: number;
  rate: number;
}

interface Option extends Market {
  kind: OptionKind;
  strike: number;
  z: number;
}

function market(
  expiry: [number, number] = [1 / 525600, 5],
  vol: [number, number] = [0.01, 5],
): fc.Arbitrary<Market> {
  return fc.record({
    forward: logUniform(0.01, 1e5),
    expiryYears: logUniform(...expiry),
    vol: logUniform(...vol),
    rate: uniform(-0.01, 0.15),
  });
}

function strikeAt(m: Market, z: number): number {
  return m.forward * Math.exp(z * m.vol * Math.sqrt(m.expiryYears));
}

function option(expiry?: [number, number], vol?: [number, number], zMax = 8): fc.Arbitrary<Option> {
  return fc
    .tuple(market(expiry, vol), fc.constantFrom<OptionKind>('call', 'put'), uniform(-zMax, zMax))
    .map(([m, kind, z]) => ({ ...m, kind, z, strike: strikeAt(m, z) }));
}

function show(o: Option): string {
  return `${o.kind} F=${o.forward} K=${o.strike} T=${o.expiryYears} vol=${o.vol} r=${o.rate}`;
}

describe('Black-76 properties', () => {
  it('put-call parity: C - P = D (F - K)', () => {
    fc.assert(
      fc.property(option(), (o) => {
        const c = black76Price('call', o.forward, o.strike, o.expiryYears, o.vol, o.rate);
        const p = black76Price('put', o.forward, o.strike, o.expiryYears, o.vol, o.rate);
        const D = Math.exp(-o.rate * o.expiryYears);
        const tol = 1e-12 * (c + p) + 4 * EPS * D * (o.forward + o.strike);
        const gap = Math.abs(c - p - D * (o.forward - o.strike));
        expect(gap, show(o)).toBeLessThanOrEqual(tol);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('price increases with vol', () => {
    fc.assert(
      fc.property(option(), logUniform(0.01, 5), (o, otherVol) => {
        const [lo, hi] = o.vol < otherVol ? [o.vol, otherVol] : [otherVol, o.vol];
        const pLo = black76Price(o.kind, o.forward, o.strike, o.expiryYears, lo, o.rate);
        const pHi = black76Price(o.kind, o.forward, o.strike, o.expiryYears, hi, o.rate);
        expect(pHi - pLo, `${show(o)} vols ${lo} < ${hi}: ${pLo} > ${pHi}`).toBeGreaterThanOrEqual(
          -1e-12 * (Math.abs(pLo) + Math.abs(pHi)),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('calls decrease and puts increase with strike', () => {
    fc.assert(
      fc.property(option(), uniform(-8, 8), (o, otherZ) => {
        const k2 = strikeAt(o, otherZ);
        const [kLo, kHi] = o.strike < k2 ? [o.strike, k2] : [k2, o.strike];
        const pLo = black76Price(o.kind, o.forward, kLo, o.expiryYears, o.vol, o.rate);
        const pHi = black76Price(o.kind, o.forward, kHi, o.expiryYears, o.vol, o.rate);
        const slack = 1e-12 * (Math.abs(pLo) + Math.abs(pHi));
        const rise = o.kind === 'call' ? pLo - pHi : pHi - pLo;
        expect(rise, `${show(o)} strikes ${kLo} < ${kHi}: ${pLo}, ${pHi}`).toBeGreaterThanOrEqual(-slack);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('implied vol of the price is the vol', () => {
    let drawn = 0;
    let tested = 0;
    let worst = 0;
    fc.assert(
      fc.property(option(), (o) => {
        drawn++;
        const g = black76(o.kind, o.forward, o.strike, o.expiryYears, o.vol, o.rate);
        const D = Math.exp(-o.rate * o.expiryYears);
        const call = o.kind === 'call';
        const lower = D * Math.max(call ? o.forward - o.strike : o.strike - o.forward, 0);
        const upper = D * (call ? o.forward : o.strike);
        const margin = 2 ** -40 * g.price;
        fc.pre(g.price > 0 && g.price - lower > margin && upper - g.price > margin);
        tested++;
        const iv = impliedVol(o.kind, g.price, o.forward, o.strike, o.expiryYears, o.rate);
        const tol = 1e-12 * o.vol + (8 * EPS * g.price) / g.vega;
        worst = Math.max(worst, Math.abs(iv - o.vol) / tol);
        expect(Math.abs(iv - o.vol), `${show(o)} price=${g.price}: iv ${iv}`).toBeLessThanOrEqual(tol);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    console.log(
      `IV round trip: ${tested} of ${drawn} drawn prices inside the range, worst error ${worst.toFixed(4)} of the tolerance`,
    );
    expect(tested).toBe(RUNS); // fast-check counts only runs that pass fc.pre
  });

  it('greeks agree with central finite differences', () => {
    const STEP = 1e-4;
    const TOL = 1e-5;
    const worst = new Map<string, number>();
    fc.assert(
      fc.property(option([1 / 365, 5], [0.05, 2], 3), (o) => {
        const { kind, forward: F, strike: K, expiryYears: T, vol: v, rate: r } = o;
        const g = black76(kind, F, K, T, v, r);
        const P = (f: number, t: number, s: number, rr: number): number => black76Price(kind, f, K, t, s, rr);
        const G = (f: number, s: number) => black76(kind, f, K, T, s, r);
        const sqrtT = Math.sqrt(T);
        const hF = STEP * F * v * sqrtT;
        const hV = STEP * v;
        const hT = STEP * T;
        const hR = STEP;
        // Natural sizes of the zero-crossing greeks (the generator's docstring derives them).
        const h = Math.log(F / K) / (v * sqrtT);
        const t = (v * sqrtT) / 2;
        const thetaScale = Math.abs(r * g.price) + (g.vega * v) / (2 * T);
        const vannaScale = (g.vega * (Math.abs(h) + t)) / (v * F * sqrtT);
        const volgaScale = (g.vega * (Math.abs(h) + t) ** 2) / v;
        const checks: [string, number, number, number][] = [
          ['delta', g.delta, (P(F + hF, T, v, r) - P(F - hF, T, v, r)) / (2 * hF), Math.abs(g.delta)],
          ['vega', g.vega, (P(F, T, v + hV, r) - P(F, T, v - hV, r)) / (2 * hV), Math.abs(g.vega)],
          ['theta', g.theta, -(P(F, T + hT, v, r) - P(F, T - hT, v, r)) / (2 * hT), thetaScale],
          ['rho', g.rho, (P(F, T, v, r + hR) - P(F, T, v, r - hR)) / (2 * hR), Math.abs(g.rho)],
          ['gamma', g.gamma, (G(F + hF, v).delta - G(F - hF, v).delta) / (2 * hF), Math.abs(g.gamma)],
          ['vanna', g.vanna, (G(F + hF, v).vega - G(F - hF, v).vega) / (2 * hF), vannaScale],
          ['volga', g.volga, (G(F, v + hV).vega - G(F, v - hV).vega) / (2 * hV), volgaScale],
        ];
        for (const [name, analytic, fd, scale] of checks) {
          const err = Math.abs(analytic - fd) / Math.max(Math.abs(analytic), scale);
          worst.set(name, Math.max(worst.get(name) ?? 0, err));
          expect(err, `${name} ${analytic} vs finite difference ${fd} at ${show(o)}`).toBeLessThanOrEqual(
            TOL,
          );
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    const rows = [...worst.entries()].map(([name, err]) => `${name} ${err.toExponential(2)}`);
    console.log(`finite differences, worst relative disagreement (tolerance 1e-5): ${rows.join(', ')}`);
  });
});
