/**
 * Raw SVI fitted to one expiry by the quasi-explicit method of Zeliade Systems, "Quasi-explicit
 * calibration of Gatheral's SVI model", white paper ZWP-0005 (2009): for fixed (m, sigma), with
 * y = (k - m) / sigma, the slice is linear in three parameters,
 *
 *   w = a + d y + c sqrt(y^2 + 1),   d = b rho sigma,   c = b sigma,
 *
 * so the weighted least squares in (a, d, c) is a small convex quadratic problem, solved exactly
 * on Zeliade's domain 0 <= c <= 4 sigma, |d| <= c, |d| <= 4 sigma - c, 0 <= a <= max w; the
 * outer problem over (m, sigma) is two-dimensional and goes to Nelder-Mead (`nelder-mead.ts`).
 *
 * The domain: c - |d| = b sigma (1 - |rho|) >= 0 is |rho| <= 1, and c + |d| <= 4 sigma is
 * b (1 + |rho|) <= 4, the wing-slope bound Zeliade impose. Lee's moment formula allows at most 2
 * (see `svi.ts`), so a fit with a slope between 2 and 4 is arbitrageable; `maxWingSlope: 2`
 * imposes Lee's bound instead. a >= 0 keeps w >= 0 (and so excludes slices like Vogt's,
 * a = -0.041), a <= max w keeps the problem well posed.
 *
 * Our change of variables, not Zeliade's: u = c + d = b sigma (1 + rho) and v = c - d =
 * b sigma (1 - rho), sigma times the right and left wing slopes. Then
 *   w = a + u (z + y)/2 + v (z - y)/2,   z = sqrt(y^2 + 1),
 * and the domain is the box 0 <= a <= max w, 0 <= u, v <= maxWingSlope sigma. A convex
 * quadratic's minimum over a box lies in the relative interior of one of its 27 faces (the box
 * itself, 6 faces, 12 edges, 8 vertices), where it is the minimum of the quadratic over that
 * face's affine hull with the other coordinates at their bounds. So: solve the unconstrained 3x3
 * normal equations; if that point is in the box it is the answer; otherwise solve every face,
 * edge and vertex problem, keep the feasible ones and take the least sum of squares. A face
 * whose reduced system is singular is skipped: its minimisers then form a line that reaches the
 * face's boundary, where a lower face finds the same minimum.
 *
 * Deterministic: fixed summation order, fixed enumeration order, ties to the first; the same
 * inputs and start give the same bits.
 */
import { InputError } from '../model/errors.js';
import { nelderMead } from './nelder-mead.js';
import type { RawSvi } from './svi.js';

/** One expiry's market: log-moneyness, total variance (e.g. of the mid vol) and weight, a point. */
export interface SviSliceData {
  k: Float64Array;
  w: Float64Array;
  weight: Float64Array;
}

/** Bounds of the outer search. */
export interface SviCalibrationBounds {
  mMin: number;
  mMax: number;
  sigmaMin: number;
  sigmaMax: number;
}

/** Options of `calibrateRawSvi`. */
export interface SviCalibrationOptions {
  /**
   * Where the outer search starts. Default: the best of a 9 x 6 grid, m even across the data,
   * sigma geometric from span / 100 to 3 span (within the bounds).
   */
  initial?: { m: number; sigma: number };
  /**
   * A previous fit to start from (its m and sigma; overrides `initial`). The result stays at
   * it unless the weighted sum of squares improves by more than 1e-9 of itself plus 1e-18 of
   * sum(weight w^2), so that a refit of unchanged data changes nothing.
   */
  previous?: RawSvi;
  /**
   * With span = max k - min k over the weighted points: m in [min k - span, max k + span],
   * sigma in [span / 1000, 10 span].
   */
  bounds?: Partial<SviCalibrationBounds>;
  /** Nelder-Mead iterations, over its two runs. Default 400. */
  maxIterations?: number;
  /** Nelder-Mead tolerance on m and sigma (units of k). Default 1e-12. */
  xTolerance?: number;
  /** Bound on b (1 + |rho|): 4 as in Zeliade (default), 2 for Lee's. */
  maxWingSlope?: number;
}

/** A calibrated slice. */
export interface SviCalibration {
  params: RawSvi;
  /** sqrt(sum weight (w_model - w)^2 / sum weight), in total variance. */
  rmse: number;
  /** Nelder-Mead iterations used. */
  iterations: number;
  /** Whether Nelder-Mead met its tolerance within `maxIterations`. */
  converged: boolean;
}

/** The inner problem alone: the best (a, b, rho) for a fixed (m, sigma). */
export interface SviLinearFit {
  params: RawSvi;
  /** sum weight (w_model - w)^2. */
  sumOfSquares: number;
}

/** Fits raw SVI to one expiry. Throws `InputError` for malformed data or options. */
export function calibrateRawSvi(data: SviSliceData, options: SviCalibrationOptions = {}): SviCalibration {
  const fitter = new LinearFitter(data, options.maxWingSlope ?? 4);
  const bounds = resolveBounds(fitter, options.bounds);
  const maxIterations = options.maxIterations ?? 400;
  const xTolerance = options.xTolerance ?? 1e-12;
  const lower = [bounds.mMin, bounds.sigmaMin];
  const upper = [bounds.mMax, bounds.sigmaMax];
  const objective = (x: Float64Array): number => fitter.solve(x[0]!, x[1]!);

  const start = new Float64Array(2);
  if (options.previous !== undefined) {
    start[0] = options.previous.m;
    start[1] = options.previous.sigma;
    checkStart(start, 'previous');
  } else if (options.initial !== undefined) {
    start[0] = options.initial.m;
    start[1] = options.initial.sigma;
    checkStart(start, 'initial');
  } else {
    gridStart(fitter, bounds, start);
  }
  start[0] = Math.min(Math.max(start[0]!, bounds.mMin), bounds.mMax);
  start[1] = Math.min(Math.max(start[1]!, bounds.sigmaMin), bounds.sigmaMax);

  // Two runs: Nelder-Mead can stall on a collapsed simplex short of the minimum (K. I. M.
  // McKinnon, SIAM J. Optim. 9(1), 1998); a restart from its answer with a fresh simplex is the
  // usual remedy (C. T. Kelley, SIAM J. Optim. 10(1), 1999).
  const span = fitter.kMax - fitter.kMin || 1;
  let x: Float64Array = start;
  let iterations = 0;
  let converged = false;
  for (let run = 0; run < 2 && iterations < maxIterations; run++) {
    const result = nelderMead(objective, x, {
      initialStep: [0.1 * span, 0.5 * x[1]!],
      lower,
      upper,
      maxIterations: maxIterations - iterations,
      xTolerance,
    });
    iterations += result.iterations;
    converged = result.converged;
    x = result.x;
  }

  let fit = fitter.solve(x[0]!, x[1]!);
  if (options.previous !== undefined) {
    const atStart = fitter.solve(start[0]!, start[1]!);
    if (!(fit < atStart - 1e-9 * atStart - 1e-18 * fitter.scale)) {
      x = start;
      fit = atStart;
    }
  }
  fitter.solve(x[0]!, x[1]!); // leaves the chosen point's (a, u, v) in the fitter
  return {
    params: fitter.params(x[0]!, x[1]!),
    rmse: Math.sqrt(fit / fitter.weightSum),
    iterations,
    converged,
  };
}

/**
 * The inner problem of the calibration on its own: the least-squares (a, b, rho) on Zeliade's
 * domain for a fixed (m, sigma).
 */
export function fitSviLinear(data: SviSliceData, m: number, sigma: number, maxWingSlope = 4): SviLinearFit {
  if (!Number.isFinite(m)) throw new InputError('m', m, 'a finite number');
  if (!(sigma > 0 && sigma < Infinity)) throw new InputError('sigma', sigma, 'a finite number > 0');
  const fitter = new LinearFitter(data, maxWingSlope);
  const sumOfSquares = fitter.solve(m, sigma);
  return { params: fitter.params(m, sigma), sumOfSquares };
}

function checkStart(start: Float64Array, field: string): void {
  if (!Number.isFinite(start[0]!)) throw new InputError(`${field}.m`, start[0], 'a finite number');
  if (!(start[1]! > 0 && start[1]! < Infinity))
    throw new InputError(`${field}.sigma`, start[1], 'a finite number > 0');
}

function resolveBounds(
  fitter: LinearFitter,
  given: Partial<SviCalibrationBounds> = {},
): SviCalibrationBounds {
  const span = fitter.kMax - fitter.kMin || 1;
  const bounds = {
    mMin: given.mMin ?? fitter.kMin - span,
    mMax: given.mMax ?? fitter.kMax + span,
    sigmaMin: given.sigmaMin ?? span / 1000,
    sigmaMax: given.sigmaMax ?? 10 * span,
  };
  if (!(Number.isFinite(bounds.mMin) && Number.isFinite(bounds.mMax) && bounds.mMin <= bounds.mMax)) {
    throw new InputError('bounds.mMin', bounds.mMin, `finite and <= bounds.mMax = ${bounds.mMax}`);
  }
  if (!(bounds.sigmaMin > 0 && bounds.sigmaMin <= bounds.sigmaMax && bounds.sigmaMax < Infinity)) {
    throw new InputError(
      'bounds.sigmaMin',
      bounds.sigmaMin,
      `> 0 and <= bounds.sigmaMax = ${bounds.sigmaMax}`,
    );
  }
  return bounds;
}

/** The best of 9 values of m (even, across the data) and 6 of sigma (geometric, within bounds). */
function gridStart(fitter: LinearFitter, bounds: SviCalibrationBounds, out: Float64Array): void {
  const span = fitter.kMax - fitter.kMin || 1;
  const sigmaLo = Math.max(bounds.sigmaMin, span / 100);
  const sigmaHi = Math.max(sigmaLo, Math.min(bounds.sigmaMax, 3 * span));
  let best = Infinity;
  out[0] = (fitter.kMin + fitter.kMax) / 2;
  out[1] = sigmaLo;
  for (let i = 0; i <= 8; i++) {
    const m = Math.min(Math.max(fitter.kMin + (span * i) / 8, bounds.mMin), bounds.mMax);
    for (let j = 0; j <= 5; j++) {
      const sigma = sigmaLo * Math.pow(sigmaHi / sigmaLo, j / 5);
      const f = fitter.solve(m, sigma);
      if (f < best) {
        best = f;
        out[0] = m;
        out[1] = sigma;
      }
    }
  }
}

/** Base-3 digit of a face pattern: coordinate free, at its lower bound, or at its upper bound. */
const FREE = 0;
const AT_LOWER = 1;

/**
 * The data of one slice and the scratch of the inner problem, allocated once per calibration:
 * every evaluation of the outer objective reuses them.
 */
class LinearFitter {
  readonly n: number;
  readonly kMin: number;
  readonly kMax: number;
  readonly weightSum: number;
  /** sum weight w^2: the size of the objective, for tolerances. */
  readonly scale: number;
  private readonly maxA: number;
  private readonly p: Float64Array;
  private readonly q: Float64Array;
  /** Normal equations in (a, u, v): gram[3 i + j], rhs[i]. */
  private readonly gram = new Float64Array(9);
  private readonly rhs = new Float64Array(3);
  private readonly lo = new Float64Array(3);
  private readonly hi = new Float64Array(3);
  private readonly candidate = new Float64Array(3);
  private readonly best = new Float64Array(3);
  private readonly system = new Float64Array(9);
  private readonly vector = new Float64Array(3);
  private readonly free = new Int32Array(3);

  constructor(
    private readonly data: SviSliceData,
    private readonly maxWingSlope: number,
  ) {
    const { k, w, weight } = data;
    const n = k.length;
    if (w.length !== n || weight.length !== n) {
      throw new InputError(
        'data',
        { k: n, w: w.length, weight: weight.length },
        'k, w and weight of one length',
      );
    }
    if (!(maxWingSlope > 0 && maxWingSlope < Infinity)) {
      throw new InputError('maxWingSlope', maxWingSlope, 'a finite number > 0');
    }
    let kMin = Infinity;
    let kMax = -Infinity;
    let weighted = 0;
    let weightSum = 0;
    let scale = 0;
    let maxA = 0;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(k[i]!)) throw new InputError(`k[${i}]`, k[i], 'a finite log-moneyness');
      if (!(w[i]! >= 0 && w[i]! < Infinity))
        throw new InputError(`w[${i}]`, w[i], 'a finite total variance >= 0');
      if (!(weight[i]! >= 0 && weight[i]! < Infinity))
        throw new InputError(`weight[${i}]`, weight[i], 'finite and >= 0');
      if (weight[i]! === 0) continue;
      weighted++;
      weightSum += weight[i]!;
      scale += weight[i]! * w[i]! * w[i]!;
      kMin = Math.min(kMin, k[i]!);
      kMax = Math.max(kMax, k[i]!);
      maxA = Math.max(maxA, w[i]!);
    }
    if (weighted < 3) throw new InputError('weight', weighted, 'at least 3 points of positive weight');
    this.n = n;
    this.kMin = kMin;
    this.kMax = kMax;
    this.weightSum = weightSum;
    this.scale = scale;
    this.maxA = maxA;
    this.p = new Float64Array(n);
    this.q = new Float64Array(n);
  }

  /**
   * Solves the inner problem at (m, sigma), leaving (a, u, v) in `best`; returns the weighted
   * sum of squares, summed from the residuals (the quadratic form would cancel near a perfect
   * fit, and the outer search needs the small values right).
   */
  solve(m: number, sigma: number): number {
    const { k, w, weight } = this.data;
    const { p, q, gram, rhs } = this;
    let s1 = 0,
      sp = 0,
      sq = 0,
      spp = 0,
      spq = 0,
      sqq = 0,
      sw = 0,
      spw = 0,
      sqw = 0;
    for (let i = 0; i < this.n; i++) {
      // p = (z + y)/2 and q = (z - y)/2 with p q = 1/4: the larger one directly, the other by
      // the product, so neither loses digits to cancellation far in a wing.
      const y = (k[i]! - m) / sigma;
      const z = Math.sqrt(y * y + 1);
      let pi: number;
      let qi: number;
      if (y >= 0) {
        pi = (z + y) / 2;
        qi = 0.25 / pi;
      } else {
        qi = (z - y) / 2;
        pi = 0.25 / qi;
      }
      p[i] = pi;
      q[i] = qi;
      const o = weight[i]!;
      const ow = o * w[i]!;
      s1 += o;
      sp += o * pi;
      sq += o * qi;
      spp += o * pi * pi;
      spq += o * pi * qi;
      sqq += o * qi * qi;
      sw += ow;
      spw += ow * pi;
      sqw += ow * qi;
    }
    gram[0] = s1;
    gram[1] = gram[3] = sp;
    gram[2] = gram[6] = sq;
    gram[4] = spp;
    gram[5] = gram[7] = spq;
    gram[8] = sqq;
    rhs[0] = sw;
    rhs[1] = spw;
    rhs[2] = sqw;
    this.lo.fill(0);
    this.hi[0] = this.maxA;
    this.hi[1] = this.hi[2] = this.maxWingSlope * sigma;
    this.solveBox();

    const [a, u, v] = this.best;
    let sum = 0;
    for (let i = 0; i < this.n; i++) {
      const r = a! + u! * p[i]! + v! * q[i]! - w[i]!;
      sum += weight[i]! * r * r;
    }
    return sum;
  }

  /** The raw SVI parameters of the last `solve`, which must have been at this (m, sigma). */
  params(m: number, sigma: number): RawSvi {
    const [a, u, v] = this.best;
    const c = (u! + v!) / 2;
    return { a: a!, b: c / sigma, rho: c > 0 ? (u! - v!) / (u! + v!) : 0, m, sigma };
  }

  /** Minimises x'Gx - 2 r'x over the box [lo, hi], into `best` (see the file comment). */
  private solveBox(): void {
    let bestValue = Infinity;
    for (let pattern = 0; pattern < 27; pattern++) {
      if (!this.faceMinimum(pattern)) continue;
      const value = this.quadratic(this.candidate);
      if (value < bestValue) {
        bestValue = value;
        this.best.set(this.candidate);
      }
      // The unconstrained minimum, when feasible, is the constrained one.
      if (pattern === 0) return;
    }
  }

  /**
   * The minimum of the quadratic on the affine hull of one face, into `candidate`: false when
   * the reduced system is singular or the point falls outside the box.
   */
  private faceMinimum(pattern: number): boolean {
    const { gram, rhs, lo, hi, candidate, system, vector, free } = this;
    let size = 0;
    for (let j = 0, digits = pattern; j < 3; j++, digits = Math.floor(digits / 3)) {
      const digit = digits % 3;
      if (digit === FREE) free[size++] = j;
      else candidate[j] = digit === AT_LOWER ? lo[j]! : hi[j]!;
    }
    // Reduced normal equations over the free coordinates: G_FF x_F = r_F - G_FX x_X.
    for (let r = 0; r < size; r++) {
      const i = free[r]!;
      let b = rhs[i]!;
      for (let j = 0; j < 3; j++) if (!isFree(free, size, j)) b -= gram[3 * i + j]! * candidate[j]!;
      vector[r] = b;
      for (let c = 0; c < size; c++) system[r * size + c] = gram[3 * i + free[c]!]!;
    }
    if (!choleskySolve(system, vector, size)) return false;
    for (let r = 0; r < size; r++) {
      const j = free[r]!;
      const slack = 1e-12 * (hi[j]! - lo[j]!);
      const x = vector[r]!;
      if (!(x >= lo[j]! - slack && x <= hi[j]! + slack)) return false;
      candidate[j] = Math.min(Math.max(x, lo[j]!), hi[j]!);
    }
    return true;
  }

  /** x'Gx - 2 r'x: the sum of squares less its constant sum weight w^2. */
  private quadratic(x: Float64Array): number {
    const { gram, rhs } = this;
    let value = 0;
    for (let i = 0; i < 3; i++) {
      let row = 0;
      for (let j = 0; j < 3; j++) row += gram[3 * i + j]! * x[j]!;
      value += x[i]! * (row - 2 * rhs[i]!);
    }
    return value;
  }
}

function isFree(free: Int32Array, size: number, j: number): boolean {
  for (let r = 0; r < size; r++) if (free[r] === j) return true;
  return false;
}

/**
 * Solves the symmetric positive definite system A x = b (A row-major, size x size, size <= 3)
 * in place by Cholesky, x into b; false when a pivot is not above 1e-13 of its diagonal entry
 * (singular to working precision).
 */
function choleskySolve(A: Float64Array, b: Float64Array, size: number): boolean {
  for (let j = 0; j < size; j++) {
    const diagonal = A[j * size + j]!;
    let pivot = diagonal;
    for (let k = 0; k < j; k++) pivot -= A[j * size + k]! * A[j * size + k]!;
    if (!(pivot > 1e-13 * diagonal)) return false;
    const root = Math.sqrt(pivot);
    A[j * size + j] = root;
    for (let i = j + 1; i < size; i++) {
      let sum = A[i * size + j]!;
      for (let k = 0; k < j; k++) sum -= A[i * size + k]! * A[j * size + k]!;
      A[i * size + j] = sum / root;
    }
  }
  for (let i = 0; i < size; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= A[i * size + k]! * b[k]!;
    b[i] = sum / A[i * size + i]!;
  }
  for (let i = size - 1; i >= 0; i--) {
    let sum = b[i]!;
    for (let k = i + 1; k < size; k++) sum -= A[k * size + i]! * b[k]!;
    b[i] = sum / A[i * size + i]!;
  }
  return true;
}
