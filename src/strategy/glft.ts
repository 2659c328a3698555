/**
 * Gueant-Lehalle-Fernandez-Tapia quotes: O. Gueant, C.-A. Lehalle and J. Fernandez-Tapia,
 * "Dealing with the inventory risk: a solution to the market making problem", Mathematics and
 * Financial Economics 7, 2013, 477-507 (GLFT).
 *
 * The model is Avellaneda-Stoikov's: the mid follows `dS = sigma dW`, market orders reach a
 * quote at distance `delta` from the mid with intensity `A exp(-k delta)`, and the market maker
 * maximises the CARA utility (risk aversion `gamma`) of its wealth at `T`; GLFT add the bound
 * `|q| <= Q` on the inventory (no bid at `q = Q`, no ask at `q = -Q`). Units: `sigma` in price
 * units per square root of the time unit, `A` per time unit, `k` and `gamma` per price unit,
 * `timeLeft = T - t` in the time unit; distances come out in price units.
 *
 * Exact solution (GLFT's theorem on the linear ODE system). With
 *   alpha = k gamma sigma^2 / 2,  eta = A (1 + gamma/k)^(-(1 + k/gamma)),
 * and the symmetric tridiagonal matrix `M` on the inventories `q = -Q..Q` (diagonal `alpha q^2`,
 * the two off-diagonals `-eta`), the vector `v(t) = exp(-M (T - t)) 1` gives the optimal quotes
 *   delta_b(t, q) = (1/k) ln(v_q / v_{q+1}) + (1/gamma) ln(1 + gamma/k)   (q < Q),
 *   delta_a(t, q) = (1/k) ln(v_q / v_{q-1}) + (1/gamma) ln(1 + gamma/k)   (q > -Q).
 * `v` is even in `q` (the matrix is symmetric under q -> -q), so `delta_a(q) = delta_b(-q)`.
 *
 * Asymptotics (`T - t -> infinity`): `v` turns into the eigenvector `f` of `M` for its smallest
 * eigenvalue (positive entries: `-M` has non-negative off-diagonals), and the quotes above with
 * `f` in place of `v` are the stationary quotes.
 *
 * Closed-form approximation (GLFT's continuous approximation of that eigenproblem, a Gaussian
 * `f_q ~ exp(-q^2 sqrt(alpha/eta) / 2)`):
 *   delta_b(q) ~ (1/gamma) ln(1 + gamma/k) + (2q + 1)/2 sqrt(sigma^2 gamma / (2 k A) (1 + gamma/k)^(1 + k/gamma)),
 *   delta_a(q) ~ (1/gamma) ln(1 + gamma/k) - (2q - 1)/2 sqrt(sigma^2 gamma / (2 k A) (1 + gamma/k)^(1 + k/gamma)).
 * With `xi` (O. Gueant, "Optimal market making", Applied Mathematical Finance 24(2), 2017:
 * the same form with the `gamma` of the arrival terms replaced by a separate `xi >= 0`, `xi = gamma`
 * being GLFT and `xi = 0` the risk-neutral objective with a running inventory penalty, where
 * `(1/xi) ln(1 + xi/k) -> 1/k` and `(1 + xi/k)^(1 + k/xi) -> e`).
 *
 * Numerics (our own). `exp(-M tau) 1` is computed as `exp(-c tau) exp(B tau) 1` with
 * `B = c I - M`, `c = alpha Q^2`: `B` has only non-negative entries, so its Taylor series and the
 * squarings that follow add non-negative numbers only (no cancellation), and every entry keeps
 * its relative accuracy, which the logarithms of ratios need; a running rescaling keeps it from
 * overflowing. The smallest eigenvalue comes from Sturm-sequence bisection and the eigenvector's
 * ratios `f_q / f_{q+1}` from the three-term recurrence run inward from the edge `q = -Q`, which
 * is stable for the ground state.
 */
import { InputError } from '../model/errors.js';

/** The model's parameters. */
export interface GlftParams {
  /** Risk aversion `gamma`, per price unit, > 0. */
  gamma: number;
  /** Volatility of the mid, price units per square root of time unit, > 0. */
  sigma: number;
  /** Intensity at the mid `A`, per time unit, > 0. */
  A: number;
  /** Decay of the intensity with distance `k`, per price unit, > 0. */
  k: number;
}

/** Quote distances from the mid for one inventory (positive = away from the mid). */
export interface GlftQuote {
  /** `delta_b = s - bid`; null at `q = Q` (no bid). */
  bidDistance: number | null;
  /** `delta_a = ask - s`; null at `q = -Q` (no ask). */
  askDistance: number | null;
}

/** Quotes for every inventory `-Q..Q`: entry `i` is inventory `i - Q`. */
export interface GlftQuoteTable {
  maxInventory: number;
  bidDistance: (number | null)[];
  askDistance: (number | null)[];
}

function positive(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InputError(field, value, 'a finite number > 0');
  }
}

function nonNegative(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InputError(field, value, 'a finite number >= 0');
  }
}

function checkParams(params: GlftParams): void {
  if (params === null || typeof params !== 'object') {
    throw new InputError('params', params, '{ gamma, sigma, A, k }');
  }
  positive('gamma', params.gamma);
  positive('sigma', params.sigma);
  positive('A', params.A);
  positive('k', params.k);
}

function checkBound(maxInventory: number): void {
  if (typeof maxInventory !== 'number' || !Number.isInteger(maxInventory) || maxInventory < 1) {
    throw new InputError('maxInventory', maxInventory, 'an integer >= 1');
  }
  if (maxInventory > 2000)
    throw new InputError('maxInventory', maxInventory, 'at most 2000 (a matrix of 4001 rows)');
}

/** `(1/x) ln(1 + x/k)`, tending to `1/k` as `x -> 0`. */
function arrivalTerm(x: number, k: number): number {
  return x === 0 ? 1 / k : Math.log1p(x / k) / x;
}

/** `(1 + x/k)^(1 + k/x)`, tending to `e` as `x -> 0`. */
function arrivalFactor(x: number, k: number): number {
  return x === 0 ? Math.E : Math.exp((1 + k / x) * Math.log1p(x / k));
}

/** GLFT's `alpha = k gamma sigma^2 / 2` and `eta = A (1 + gamma/k)^(-(1 + k/gamma))`. */
export function glftCoefficients(params: GlftParams): { alpha: number; eta: number } {
  checkParams(params);
  const { gamma, sigma, A, k } = params;
  return { alpha: 0.5 * k * gamma * sigma * sigma, eta: A / arrivalFactor(gamma, k) };
}

/**
 * GLFT's closed-form approximation of the asymptotic quotes for inventory `q` (any real `q`; no
 * bound applies). `xi` (default `gamma`, >= 0) replaces `gamma` in the arrival terms as in
 * Gueant (2017). Also returns the half spread and the skew per unit of inventory:
 * `delta_b = halfSpread + skew q`, `delta_a = halfSpread - skew q`.
 */
export function glftApproxQuotes(input: GlftParams & { inventory: number; xi?: number }): {
  bidDistance: number;
  askDistance: number;
  halfSpread: number;
  skewPerUnit: number;
} {
  checkParams(input);
  if (typeof input.inventory !== 'number' || !Number.isFinite(input.inventory)) {
    throw new InputError('inventory', input.inventory, 'a finite number');
  }
  const xi = input.xi ?? input.gamma;
  nonNegative('xi', xi);
  const { gamma, sigma, A, k, inventory: q } = input;
  const skew = Math.sqrt(((sigma * sigma * gamma) / (2 * k * A)) * arrivalFactor(xi, k));
  const halfSpread = arrivalTerm(xi, k) + skew / 2;
  return {
    bidDistance: halfSpread + skew * q,
    askDistance: halfSpread - skew * q,
    halfSpread,
    skewPerUnit: skew,
  };
}

/** Quotes from a positive vector `w` on `-Q..Q` (entries relative: only ratios matter). */
function quotesFromVector(logW: Float64Array, params: GlftParams, maxInventory: number): GlftQuoteTable {
  const n = 2 * maxInventory + 1;
  const base = arrivalTerm(params.gamma, params.k);
  const bidDistance: (number | null)[] = new Array<number | null>(n);
  const askDistance: (number | null)[] = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    bidDistance[i] = i + 1 < n ? (logW[i]! - logW[i + 1]!) / params.k + base : null;
    askDistance[i] = i > 0 ? (logW[i]! - logW[i - 1]!) / params.k + base : null;
  }
  return { maxInventory, bidDistance, askDistance };
}

/**
 * `ln` of `exp(B tau) 1` up to an additive constant, for `B = c I - M` with non-negative entries
 * (diagonal `c - alpha q^2`, off-diagonals `eta`): Taylor series at a step `tau / 2^s` small
 * enough, then `s` squarings, each rescaled by its largest entry.
 */
function logExpTimesOne(alpha: number, eta: number, maxInventory: number, tau: number): Float64Array {
  const n = 2 * maxInventory + 1;
  const c = alpha * maxInventory * maxInventory;
  const diag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const q = i - maxInventory;
    diag[i] = c - alpha * q * q;
  }
  const norm = c + 2 * eta;
  let squarings = 0;
  let h = tau;
  while (norm * h > 0.5) {
    h /= 2;
    squarings++;
  }
  // Taylor: E = sum_m (B h)^m / m!, term_{m+1} = term_m (B h) / (m + 1); B tridiagonal, so each
  // product is O(n^2). Terms are non-negative; stop when a term adds less than 2^-60 relative to
  // every entry it touches, or after enough terms to reach every entry (m >= n - 1) plus margin.
  let E = new Float64Array(n * n);
  let term = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    E[i * n + i] = 1;
    term[i * n + i] = 1;
  }
  let next = new Float64Array(n * n);
  for (let m = 1; m < n + 60; m++) {
    const scale = h / m;
    let small = true;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let j = 0; j < n; j++) {
        // (term B)_{ij} = term_{i,j-1} eta + term_{ij} diag_j + term_{i,j+1} eta
        let x = term[row + j]! * diag[j]!;
        if (j > 0) x += term[row + j - 1]! * eta;
        if (j + 1 < n) x += term[row + j + 1]! * eta;
        x *= scale;
        next[row + j] = x;
        const sum = E[row + j]! + x;
        if (x > sum * 8.7e-19) small = false;
        E[row + j] = sum;
      }
    }
    [term, next] = [next, term];
    if (small && m >= 3) break;
  }
  // Squarings with rescaling by the largest entry (only ratios of the final vector are used).
  let P = new Float64Array(n * n);
  for (let s = 0; s < squarings; s++) {
    P.fill(0);
    let largest = 0;
    for (let i = 0; i < n; i++) {
      const row = i * n;
      for (let l = 0; l < n; l++) {
        const a = E[row + l]!;
        if (a === 0) continue;
        const lrow = l * n;
        for (let j = 0; j < n; j++) P[row + j] = P[row + j]! + a * E[lrow + j]!;
      }
      for (let j = 0; j < n; j++) if (P[row + j]! > largest) largest = P[row + j]!;
    }
    const inv = 1 / largest;
    for (let i = 0; i < n * n; i++) P[i] = P[i]! * inv;
    [E, P] = [P, E];
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += E[i * n + j]!;
    out[i] = Math.log(sum);
  }
  return out;
}

/**
 * The exact optimal quotes of GLFT's model with inventory bound `maxInventory` (`Q`, an integer
 * >= 1) at `timeLeft = T - t` (>= 0), from `v = exp(-M (T - t)) 1`. At `timeLeft = 0` both
 * distances are `(1/gamma) ln(1 + gamma/k)` for every inventory.
 */
export function glftExactQuotes(
  input: GlftParams & { maxInventory: number; timeLeft: number },
): GlftQuoteTable {
  const { alpha, eta } = glftCoefficients(input);
  checkBound(input.maxInventory);
  nonNegative('timeLeft', input.timeLeft);
  const logV = logExpTimesOne(alpha, eta, input.maxInventory, input.timeLeft);
  return quotesFromVector(logV, input, input.maxInventory);
}

/**
 * The smallest eigenvalue of GLFT's `M` (diagonal `alpha q^2`, off-diagonals `-eta`, q = -Q..Q)
 * by Sturm-sequence bisection: the number of eigenvalues below `x` is the number of negative
 * pivots of the LDL^T factorisation of `M - x I`.
 */
export function glftSmallestEigenvalue(input: GlftParams & { maxInventory: number }): number {
  const { alpha, eta } = glftCoefficients(input);
  checkBound(input.maxInventory);
  return smallestEigenvalue(alpha, eta, input.maxInventory);
}

function smallestEigenvalue(alpha: number, eta: number, maxInventory: number): number {
  const n = 2 * maxInventory + 1;
  const e2 = eta * eta;
  const below = (x: number): number => {
    let count = 0;
    let pivot = 1;
    for (let i = 0; i < n; i++) {
      const q = i - maxInventory;
      pivot = alpha * q * q - x - (i > 0 ? e2 / pivot : 0);
      if (pivot === 0) pivot = -1e-300;
      if (pivot < 0) count++;
    }
    return count;
  };
  // Gershgorin: every eigenvalue is at least min diag - 2 eta = -2 eta; the Rayleigh quotient of
  // the unit vector at q = 0 is 0, so the smallest one is at most 0 (below 0: eta > 0).
  let lo = -2 * eta;
  let hi = 0;
  for (let iteration = 0; iteration < 200; iteration++) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (below(mid) >= 1) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

/**
 * The asymptotic (`T - t -> infinity`) quotes of GLFT's model with inventory bound `Q`, from the
 * eigenvector of `M` for its smallest eigenvalue (see the module comment).
 */
export function glftAsymptoticQuotes(input: GlftParams & { maxInventory: number }): GlftQuoteTable {
  const { alpha, eta } = glftCoefficients(input);
  checkBound(input.maxInventory);
  const Q = input.maxInventory;
  const n = 2 * Q + 1;
  const lambda = smallestEigenvalue(alpha, eta, Q);
  // ratio[i] = f_{q} / f_{q+1} for q = i - Q, from (alpha q^2 - lambda) f_q = eta (f_{q-1} + f_{q+1}):
  // ratio_q = eta / (alpha q^2 - lambda - eta ratio_{q-1}), starting at the edge with ratio_{-Q-1} = 0.
  // Run to q = -1 and use the evenness of f (f_q / f_{q+1} = f_{-q} / f_{-q-1}) for q >= 0.
  const logF = new Float64Array(n);
  const logRatio = new Float64Array(Q);
  let previous = 0;
  for (let i = 0; i < Q; i++) {
    const q = i - Q;
    const denominator = alpha * q * q - lambda - eta * previous;
    previous = eta / denominator;
    logRatio[i] = Math.log(previous);
  }
  // ln f_q relative to ln f_0 = 0: going down from the centre, ln f_q = ln f_{q+1} + ln ratio_q.
  logF[Q] = 0;
  for (let i = Q - 1; i >= 0; i--) logF[i] = logF[i + 1]! + logRatio[i]!;
  for (let i = Q + 1; i < n; i++) logF[i] = logF[2 * Q - i]!;
  return quotesFromVector(logF, input, Q);
}

/** The quotes of a table for inventory `q` (an integer in `[-Q, Q]`). */
export function quoteAt(table: GlftQuoteTable, inventory: number): GlftQuote {
  const Q = table.maxInventory;
  if (typeof inventory !== 'number' || !Number.isInteger(inventory) || Math.abs(inventory) > Q) {
    throw new InputError('inventory', inventory, `an integer within [-${Q}, ${Q}]`);
  }
  const i = inventory + Q;
  return { bidDistance: table.bidDistance[i] ?? null, askDistance: table.askDistance[i] ?? null };
}
