/**
 * Shape-preserving rational cubic interpolation of R. Delbourgo and J. A. Gregory, "Shape
 * preserving piecewise rational interpolation", SIAM J. Sci. Stat. Comput. 6(4) (1985), as used
 * by Jäckel's "Let's Be Rational" for the initial guess of the implied volatility.
 *
 * On [xl, xr] with values yl, yr and slopes dl, dr, and u = (x - xl)/h, h = xr - xl:
 *
 *   f = [yr u^3 + (r yr - h dr) u^2 (1-u) + (r yl + h dl) u (1-u)^2 + yl (1-u)^3] / [1 + (r-3) u (1-u)]
 *
 * r = 3 is the ordinary cubic Hermite interpolant; r -> infinity tends to the straight line.
 * The control r is chosen to match a second derivative at one end, but never below the
 * minimum that keeps the interpolant monotone (their condition 3.8) and convex or concave
 * (condition 3.18) where the data are.
 */

const DBL_EPSILON = 2.220446049250313e-16;
const DBL_MIN = 2.2250738585072014e-308;
const DBL_MAX = Number.MAX_VALUE;
/** Just above -1, where the denominator 1 + (r-3)u(1-u) would vanish. */
const MIN_CONTROL = -(1 - Math.sqrt(DBL_EPSILON));
/** Past this the interpolant is the straight line to machine precision. */
const MAX_CONTROL = 2 / (DBL_EPSILON * DBL_EPSILON);

function isZero(v: number): boolean {
  return Math.abs(v) < DBL_MIN;
}

/** The interpolant at x. */
export function rationalCubic(
  x: number,
  xl: number,
  xr: number,
  yl: number,
  yr: number,
  dl: number,
  dr: number,
  r: number,
): number {
  const h = xr - xl;
  if (Math.abs(h) <= 0) return 0.5 * (yl + yr);
  const u = (x - xl) / h;
  if (r >= MAX_CONTROL) return yr * u + yl * (1 - u);
  const v = 1 - u;
  const u2 = u * u;
  const v2 = v * v;
  return (
    (yr * u2 * u + (r * yr - h * dr) * u2 * v + (r * yl + h * dl) * u * v2 + yl * v2 * v) /
    (1 + (r - 3) * u * v)
  );
}

/** The smallest r that keeps the interpolant's shape (monotone, convex or concave as the data). */
function minimumControl(dl: number, dr: number, slope: number, preferShape: boolean): number {
  const monotone = dl * slope >= 0 && dr * slope >= 0;
  const convex = dl <= slope && slope <= dr;
  const concave = dl >= slope && slope >= dr;
  if (!monotone && !convex && !concave) return MIN_CONTROL;
  let rMonotone = -DBL_MAX;
  let rConvex = -DBL_MAX;
  if (monotone) {
    if (!isZero(slope)) rMonotone = (dr + dl) / slope;
    else if (preferShape) rMonotone = MAX_CONTROL;
  }
  if (convex || concave) {
    const left = slope - dl;
    const right = dr - slope;
    if (!isZero(left) && !isZero(right)) {
      const spread = dr - dl;
      rConvex = Math.max(Math.abs(spread / right), Math.abs(spread / left));
    } else if (preferShape) {
      rConvex = MAX_CONTROL;
    }
  } else if (monotone && preferShape) {
    rConvex = MAX_CONTROL;
  }
  return Math.max(MIN_CONTROL, rMonotone, rConvex);
}

/**
 * r = numerator / denominator (the value matching a second derivative at one end), but never
 * below the shape-preserving minimum.
 */
function shapePreservingControl(
  numerator: number,
  denominator: number,
  dl: number,
  dr: number,
  slope: number,
  preferShape: boolean,
): number {
  let r: number;
  if (isZero(numerator)) r = 0;
  else if (isZero(denominator)) r = numerator > 0 ? MAX_CONTROL : MIN_CONTROL;
  else r = numerator / denominator;
  return Math.max(r, minimumControl(dl, dr, slope, preferShape));
}

/** r such that the interpolant has second derivative `secondLeft` at xl, kept shape-preserving. */
export function controlForLeftCurvature(
  xl: number,
  xr: number,
  yl: number,
  yr: number,
  dl: number,
  dr: number,
  secondLeft: number,
  preferShape: boolean,
): number {
  const h = xr - xl;
  const slope = (yr - yl) / h;
  return shapePreservingControl(0.5 * h * secondLeft + (dr - dl), slope - dl, dl, dr, slope, preferShape);
}

/** r such that the interpolant has second derivative `secondRight` at xr, kept shape-preserving. */
export function controlForRightCurvature(
  xl: number,
  xr: number,
  yl: number,
  yr: number,
  dl: number,
  dr: number,
  secondRight: number,
  preferShape: boolean,
): number {
  const h = xr - xl;
  const slope = (yr - yl) / h;
  return shapePreservingControl(0.5 * h * secondRight + (dr - dl), dr - slope, dl, dr, slope, preferShape);
}
