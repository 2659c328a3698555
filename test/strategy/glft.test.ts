/**
 * GLFT quotes (Gueant, Lehalle and Fernandez-Tapia, Mathematics and Financial Economics 7, 2013)
 * against an independent reference: the ODE system dv/dtau = -M v, v(0) = 1 (tau = T - t),
 * integrated here with classical RK4 at a small step, with M built here from the paper's alpha and
 * eta; the asymptotic quotes against the exact ones at a long horizon; the closed-form
 * approximation against the asymptotic quotes.
 *
 * PAPER: the parameter set of GLFT's illustrations as we recall it (sigma = 0.3 tick s^-1/2,
 * A = 0.9 s^-1, k = 0.3 tick^-1, gamma = 0.01 tick^-1, T = 600 s, Q = 30); the tests do not
 * depend on it being exactly the paper's.
 */
import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/model/errors.js';
import {
  glftApproxQuotes,
  glftAsymptoticQuotes,
  glftCoefficients,
  glftExactQuotes,
  glftSmallestEigenvalue,
  quoteAt,
  type GlftParams,
  type GlftQuoteTable,
} from '../../src/strategy/glft.js';

const PAPER: GlftParams = { gamma: 0.01, sigma: 0.3, A: 0.9, k: 0.3 };
const STRONG: GlftParams = { gamma: 0.2, sigma: 1.5, A: 2, k: 1.2 };

/** ln v(tau) by RK4 on dv/dtau = -M v from v = 1, rescaled after each step (v is linear in v(0)). */
function rk4LogV(p: GlftParams, Q: number, tau: number, steps: number): number[] {
  const alpha = (p.k * p.gamma * p.sigma * p.sigma) / 2;
  const eta = p.A * Math.pow(1 + p.gamma / p.k, -(1 + p.k / p.gamma));
  const n = 2 * Q + 1;
  const f = (v: number[]): number[] =>
    v.map((x, i) => {
      const q = i - Q;
      return -(alpha * q * q * x - eta * ((v[i - 1] ?? 0) + (v[i + 1] ?? 0)));
    });
  let v = new Array<number>(n).fill(1);
  let logScale = 0;
  const h = tau / steps;
  for (let s = 0; s < steps; s++) {
    const k1 = f(v);
    const k2 = f(v.map((x, i) => x + (h / 2) * k1[i]!));
    const k3 = f(v.map((x, i) => x + (h / 2) * k2[i]!));
    const k4 = f(v.map((x, i) => x + h * k3[i]!));
    v = v.map((x, i) => x + (h / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!));
    const m = Math.max(...v);
    v = v.map((x) => x / m);
    logScale += Math.log(m);
  }
  return v.map((x) => Math.log(x) + logScale);
}

function referenceQuotes(p: GlftParams, logV: number[]): { bid: (number | null)[]; ask: (number | null)[] } {
  const base = Math.log(1 + p.gamma / p.k) / p.gamma;
  const n = logV.length;
  return {
    bid: logV.map((x, i) => (i + 1 < n ? (x - logV[i + 1]!) / p.k + base : null)),
    ask: logV.map((x, i) => (i > 0 ? (x - logV[i - 1]!) / p.k + base : null)),
  };
}

function expectTableClose(
  table: GlftQuoteTable,
  ref: { bid: (number | null)[]; ask: (number | null)[] },
  tol: number,
): void {
  expect(table.bidDistance.length).toBe(ref.bid.length);
  for (let i = 0; i < ref.bid.length; i++) {
    const b = table.bidDistance[i];
    const a = table.askDistance[i];
    const rb = ref.bid[i];
    const ra = ref.ask[i];
    if (rb === null || rb === undefined) expect(b).toBeNull();
    else expect(Math.abs((b as number) - rb)).toBeLessThan(tol);
    if (ra === null || ra === undefined) expect(a).toBeNull();
    else expect(Math.abs((a as number) - ra)).toBeLessThan(tol);
  }
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

describe('GLFT coefficients', () => {
  it('alpha = k gamma sigma^2 / 2, eta = A (1 + gamma/k)^-(1 + k/gamma)', () => {
    const { alpha, eta } = glftCoefficients(PAPER);
    // 0.3 x 0.01 x 0.09 / 2 = 1.35e-4; (31/30)^-31 = exp(-31 ln(31/30))
    expect(alpha).toBeCloseTo(1.35e-4, 15);
    expect(eta).toBeCloseTo(0.9 * Math.exp(-31 * Math.log(31 / 30)), 14);
  });
});

describe('GLFT exact quotes against RK4 on dv/dtau = -M v', () => {
  // RK4's global error at these steps (||M|| h < 0.02) is far below the stated 1e-8 in price units.
  it('paper parameters, Q = 30, at tau = 10, 100 and 600', () => {
    for (const tau of [10, 100, 600]) {
      const ref = referenceQuotes(PAPER, rk4LogV(PAPER, 30, tau, Math.ceil(tau / 0.02)));
      expectTableClose(glftExactQuotes({ ...PAPER, maxInventory: 30, timeLeft: tau }), ref, 1e-8);
    }
  });

  it('a strongly risk-averse set, Q = 6, at tau = 0.5 and 5 (large skews)', () => {
    for (const tau of [0.5, 5]) {
      const ref = referenceQuotes(STRONG, rk4LogV(STRONG, 6, tau, Math.ceil(tau / 0.0005)));
      expectTableClose(glftExactQuotes({ ...STRONG, maxInventory: 6, timeLeft: tau }), ref, 1e-8);
    }
  });

  it('at tau = 0 both distances are (1/gamma) ln(1 + gamma/k); no bid at Q, no ask at -Q', () => {
    const table = glftExactQuotes({ ...PAPER, maxInventory: 3, timeLeft: 0 });
    const base = 100 * Math.log(31 / 30);
    for (let q = -3; q <= 3; q++) {
      const quote = quoteAt(table, q);
      if (q === 3) expect(quote.bidDistance).toBeNull();
      else expect(quote.bidDistance).toBeCloseTo(base, 12);
      if (q === -3) expect(quote.askDistance).toBeNull();
      else expect(quote.askDistance).toBeCloseTo(base, 12);
    }
  });
});

describe('GLFT asymptotic quotes', () => {
  it('equal the exact quotes at a long horizon (tau = 20000, ground state dominant), within 1e-7', () => {
    for (const [p, Q] of [
      [PAPER, 30],
      [STRONG, 6],
    ] as const) {
      const asymptotic = glftAsymptoticQuotes({ ...p, maxInventory: Q });
      const exact = glftExactQuotes({ ...p, maxInventory: Q, timeLeft: 20000 });
      expectTableClose(asymptotic, { bid: exact.bidDistance, ask: exact.askDistance }, 1e-7);
    }
  });

  it('the smallest eigenvalue is a root of det(M - x I) (continuant recurrence) with no eigenvalue below', () => {
    const Q = 4;
    const { alpha, eta } = glftCoefficients(STRONG);
    const lambda = glftSmallestEigenvalue({ ...STRONG, maxInventory: Q });
    const det = (x: number): number => {
      let p0 = 1;
      let p1 = alpha * 16 - x;
      for (let q = -Q + 1; q <= Q; q++) {
        const p2 = (alpha * q * q - x) * p1 - eta * eta * p0;
        p0 = p1;
        p1 = p2;
      }
      return p1;
    };
    const eps = 1e-9 * Math.max(1, Math.abs(lambda));
    expect(Math.sign(det(lambda - eps))).not.toBe(Math.sign(det(lambda + eps)));
    // below the smallest root the determinant of M - x I (positive definite there) is positive
    expect(det(lambda - 0.01)).toBeGreaterThan(0);
  });

  it("closed-form approximation within 2e-3 (price units) of the asymptotic quotes for |q| <= 10 (paper's set)", () => {
    // Observed: 1.3e-4 at q = 0 growing to 1.4e-3 at |q| = 10 (0.04% of a 3.3 distance; the
    // skew per unit is 0.068). The approximation is of the continuous limit, not exact.
    const asymptotic = glftAsymptoticQuotes({ ...PAPER, maxInventory: 30 });
    for (let q = -10; q <= 10; q++) {
      const approx = glftApproxQuotes({ ...PAPER, inventory: q });
      const exact = quoteAt(asymptotic, q);
      expect(Math.abs(approx.bidDistance - (exact.bidDistance as number))).toBeLessThan(2e-3);
      expect(Math.abs(approx.askDistance - (exact.askDistance as number))).toBeLessThan(2e-3);
    }
  });

  it('closed form by hand; xi = 0 is the limit xi -> 0', () => {
    // q = 2: skew = sqrt(0.09 x 0.01 / (2 x 0.3 x 0.9) x (31/30)^31), half spread = 100 ln(31/30) + skew / 2
    const skew = Math.sqrt(((0.09 * 0.01) / 0.54) * Math.exp(31 * Math.log(31 / 30)));
    const q2 = glftApproxQuotes({ ...PAPER, inventory: 2 });
    expect(q2.skewPerUnit).toBeCloseTo(skew, 14);
    expect(q2.bidDistance).toBeCloseTo(100 * Math.log(31 / 30) + 2.5 * skew, 12);
    expect(q2.askDistance).toBeCloseTo(100 * Math.log(31 / 30) - 1.5 * skew, 12);
    const zero = glftApproxQuotes({ ...PAPER, inventory: 2, xi: 0 });
    const tiny = glftApproxQuotes({ ...PAPER, inventory: 2, xi: 1e-9 });
    expect(zero.bidDistance).toBeCloseTo(tiny.bidDistance, 7);
    expect(zero.halfSpread).toBeCloseTo(1 / 0.3 + Math.sqrt((0.09 * 0.01 * Math.E) / 0.54) / 2, 12);
  });
});

describe('GLFT shape', () => {
  const tables = [
    glftExactQuotes({ ...PAPER, maxInventory: 30, timeLeft: 600 }),
    glftExactQuotes({ ...STRONG, maxInventory: 6, timeLeft: 2 }),
    glftAsymptoticQuotes({ ...PAPER, maxInventory: 30 }),
  ];

  it('symmetry: delta_b(q) = delta_a(-q)', () => {
    for (const t of tables) {
      const Q = t.maxInventory;
      for (let q = -Q; q <= Q; q++) {
        const b = quoteAt(t, q).bidDistance;
        const a = quoteAt(t, -q).askDistance;
        if (b === null) expect(a).toBeNull();
        else expect(Math.abs(b - (a as number))).toBeLessThan(1e-10);
      }
    }
  });

  it('monotone: the bid moves away and the ask in as the inventory grows', () => {
    for (const t of tables) {
      const Q = t.maxInventory;
      for (let q = -Q; q < Q - 1; q++) {
        expect(quoteAt(t, q + 1).bidDistance as number).toBeGreaterThan(quoteAt(t, q).bidDistance as number);
        expect(quoteAt(t, q + 2).askDistance as number).toBeLessThan(quoteAt(t, q + 1).askDistance as number);
      }
    }
  });
});

describe('GLFT inputs', () => {
  it('bad inputs are InputErrors naming the field', () => {
    expect(inputError(() => glftApproxQuotes({ ...PAPER, gamma: 0, inventory: 1 })).field).toBe('gamma');
    expect(inputError(() => glftApproxQuotes({ ...PAPER, sigma: NaN, inventory: 1 })).field).toBe('sigma');
    expect(inputError(() => glftApproxQuotes({ ...PAPER, inventory: Infinity })).field).toBe('inventory');
    expect(inputError(() => glftApproxQuotes({ ...PAPER, inventory: 1, xi: -1 })).field).toBe('xi');
    expect(inputError(() => glftExactQuotes({ ...PAPER, A: -1, maxInventory: 3, timeLeft: 1 })).field).toBe(
      'A',
    );
    expect(inputError(() => glftExactQuotes({ ...PAPER, maxInventory: 2.5, timeLeft: 1 })).field).toBe(
      'maxInventory',
    );
    expect(inputError(() => glftExactQuotes({ ...PAPER, maxInventory: 3, timeLeft: -1 })).field).toBe(
      'timeLeft',
    );
    expect(inputError(() => glftAsymptoticQuotes({ ...PAPER, k: 0, maxInventory: 3 })).field).toBe('k');
    const table = glftAsymptoticQuotes({ ...PAPER, maxInventory: 3 });
    expect(inputError(() => quoteAt(table, 4)).field).toBe('inventory');
  });
});
