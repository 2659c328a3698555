/**
 * Nelder-Mead downhill simplex minimisation in a few dimensions, deterministic and without
 * derivatives: J. A. Nelder and R. Mead, "A simplex method for function minimization", The
 * Computer Journal 7(4) (1965), in the form analysed by J. C. Lagarias, J. A. Reeds,
 * M. H. Wright and P. E. Wright, "Convergence properties of the Nelder-Mead simplex method in
 * low dimensions", SIAM J. Optim. 9(1) (1998): reflection 1, expansion 2, outside and inside
 * contraction 1/2, shrink 1/2 towards the best vertex.
 *
 * Deliberate choices:
 * - Ties between vertices are broken by their position in the simplex, so the same inputs take
 *   the same path and give the same bits.
 * - Box bounds, when given, are kept by clamping every trial point into the box (the simplex may
 *   flatten onto a face, which is where a bounded minimum then lies). NaN counts as +Infinity.
 * - Starting simplex: x0 and, for each coordinate j, x0 + initialStep[j] e_j; a step that would
 *   leave the box is taken the other way.
 * - Converged when, at the start of an iteration, every vertex is within `xTolerance` of the
 *   best one in every coordinate and the values differ by at most `fTolerance`.
 */
import { InputError } from '../model/errors.js';

/** Options of `nelderMead`. */
export interface NelderMeadOptions {
  /** Offsets from x0 of the other vertices of the starting simplex, one a coordinate (non-zero). */
  initialStep: ArrayLike<number>;
  /** Lower bounds, one a coordinate (default -Infinity). */
  lower?: ArrayLike<number>;
  /** Upper bounds, one a coordinate (default +Infinity). */
  upper?: ArrayLike<number>;
  /** Largest number of iterations (one reflection each, with its follow-up). Default 200 n. */
  maxIterations?: number;
  /** Converged when the simplex spans at most this in every coordinate... Default 1e-10. */
  xTolerance?: number;
  /** ...and the values at its vertices differ by at most this. Default Infinity (x alone decides). */
  fTolerance?: number;
}

/** Result of `nelderMead`. */
export interface NelderMeadResult {
  /** The best vertex found. */
  x: Float64Array;
  /** The objective there. */
  f: number;
  iterations: number;
  evaluations: number;
  /** Whether the tolerances were met before `maxIterations`. */
  converged: boolean;
}

/**
 * Minimises `objective` from `x0`. The objective receives a point in a buffer that the routine
 * owns and reuses: it must read it, not keep it.
 */
export function nelderMead(
  objective: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  options: NelderMeadOptions,
): NelderMeadResult {
  const n = x0.length;
  const vertices = n + 1;
  const maxIterations = options.maxIterations ?? 200 * n;
  const xTolerance = options.xTolerance ?? 1e-10;
  const fTolerance = options.fTolerance ?? Infinity;
  const lower = new Float64Array(n).fill(-Infinity);
  const upper = new Float64Array(n).fill(Infinity);
  if (n === 0) throw new InputError('x0', x0, 'at least one coordinate');
  if (options.initialStep.length !== n) {
    throw new InputError('initialStep', options.initialStep, `${n} offsets, one a coordinate`);
  }
  for (let j = 0; j < n; j++) {
    if (options.lower !== undefined) lower[j] = options.lower[j]!;
    if (options.upper !== undefined) upper[j] = options.upper[j]!;
    if (!(lower[j]! <= upper[j]!))
      throw new InputError(`lower[${j}]`, lower[j], `<= upper[${j}] = ${upper[j]}`);
    if (!Number.isFinite(x0[j]!)) throw new InputError(`x0[${j}]`, x0[j], 'a finite number');
    const stepJ = options.initialStep[j]!;
    if (!Number.isFinite(stepJ) || stepJ === 0) {
      throw new InputError(`initialStep[${j}]`, stepJ, 'a finite non-zero offset');
    }
  }

  // Vertex v occupies simplex[v n .. v n + n); values[v] is the objective there.
  const simplex = new Float64Array(vertices * n);
  const values = new Float64Array(vertices);
  const order = new Int32Array(vertices);
  const centroid = new Float64Array(n);
  const trial = new Float64Array(n);
  const second = new Float64Array(n);
  let evaluations = 0;
  const evaluate = (point: Float64Array): number => {
    evaluations++;
    const value = objective(point);
    return Number.isNaN(value) ? Infinity : value;
  };

  for (let j = 0; j < n; j++) trial[j] = clamp(x0[j]!, lower[j]!, upper[j]!);
  simplex.set(trial, 0);
  values[0] = evaluate(trial);
  for (let v = 1; v < vertices; v++) {
    const j = v - 1;
    const stepJ = options.initialStep[j]!;
    trial.set(simplex.subarray(0, n));
    const forward = trial[j]! + stepJ;
    trial[j] =
      forward <= upper[j]! && forward >= lower[j]! ? forward : clamp(trial[j]! - stepJ, lower[j]!, upper[j]!);
    simplex.set(trial, v * n);
    values[v] = evaluate(trial);
  }

  let iterations = 0;
  let converged = false;
  for (;;) {
    sortVertices(values, order);
    const best = order[0]!;
    const worst = order[n]!;
    if (isConverged(simplex, values, order, n, xTolerance, fTolerance)) {
      converged = true;
      break;
    }
    if (iterations >= maxIterations) break;
    iterations++;

    const fBest = values[best]!;
    const fWorst = values[worst]!;
    const fSecondWorst = values[order[n - 1]!]!;
    centroid.fill(0);
    for (let r = 0; r < n; r++) {
      const offset = order[r]! * n;
      for (let j = 0; j < n; j++) centroid[j] = centroid[j]! + simplex[offset + j]!;
    }
    for (let j = 0; j < n; j++) centroid[j] = centroid[j]! / n;

    const worstOffset = worst * n;
    along(centroid, simplex, worstOffset, 1, lower, upper, trial);
    const fReflected = evaluate(trial);
    if (fReflected < fBest) {
      along(centroid, simplex, worstOffset, 2, lower, upper, second);
      const fExpanded = evaluate(second);
      if (fExpanded < fReflected) replace(simplex, values, worst, second, fExpanded);
      else replace(simplex, values, worst, trial, fReflected);
    } else if (fReflected < fSecondWorst) {
      replace(simplex, values, worst, trial, fReflected);
    } else {
      // Contract: outside (towards the reflected point) when it beat the worst, else inside.
      const outside = fReflected < fWorst;
      along(centroid, simplex, worstOffset, outside ? 0.5 : -0.5, lower, upper, second);
      const fContracted = evaluate(second);
      if (outside ? fContracted <= fReflected : fContracted < fWorst) {
        replace(simplex, values, worst, second, fContracted);
      } else {
        const bestOffset = best * n;
        for (let v = 0; v < vertices; v++) {
          if (v === best) continue;
          for (let j = 0; j < n; j++) {
            const b = simplex[bestOffset + j]!;
            trial[j] = b + 0.5 * (simplex[v * n + j]! - b);
          }
          replace(simplex, values, v, trial, evaluate(trial));
        }
      }
    }
  }

  const bestOffset = order[0]! * n;
  return {
    x: simplex.slice(bestOffset, bestOffset + n),
    f: values[order[0]!]!,
    iterations,
    evaluations,
    converged,
  };
}

function clamp(value: number, lo: number, hi: number): number {
  return value < lo ? lo : value > hi ? hi : value;
}

/** out = centroid + coefficient (centroid - worst vertex), clamped into the box. */
function along(
  centroid: Float64Array,
  simplex: Float64Array,
  worstOffset: number,
  coefficient: number,
  lower: Float64Array,
  upper: Float64Array,
  out: Float64Array,
): void {
  for (let j = 0; j < out.length; j++) {
    const c = centroid[j]!;
    out[j] = clamp(c + coefficient * (c - simplex[worstOffset + j]!), lower[j]!, upper[j]!);
  }
}

function replace(
  simplex: Float64Array,
  values: Float64Array,
  v: number,
  point: Float64Array,
  f: number,
): void {
  simplex.set(point, v * point.length);
  values[v] = f;
}

/** order = vertex indices by ascending value, ties by index (insertion sort: n is small). */
function sortVertices(values: Float64Array, order: Int32Array): void {
  for (let v = 0; v < order.length; v++) order[v] = v;
  for (let i = 1; i < order.length; i++) {
    const v = order[i]!;
    const f = values[v]!;
    let j = i - 1;
    while (j >= 0 && (values[order[j]!]! > f || (values[order[j]!]! === f && order[j]! > v))) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = v;
  }
}

function isConverged(
  simplex: Float64Array,
  values: Float64Array,
  order: Int32Array,
  n: number,
  xTolerance: number,
  fTolerance: number,
): boolean {
  const best = order[0]!;
  if (!(values[order[n]!]! - values[best]! <= fTolerance)) return false;
  for (let v = 0; v <= n; v++) {
    for (let j = 0; j < n; j++) {
      if (!(Math.abs(simplex[v * n + j]! - simplex[best * n + j]!) <= xTolerance)) return false;
    }
  }
  return true;
}
