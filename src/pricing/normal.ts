/**
 * The standard normal distribution to double precision, far into the tails.
 *
 * erfc and its scaled cousin erfcx(x) = exp(x^2) erfc(x) follow W. J. Cody, "Rational
 * Chebyshev approximations for the error function", Mathematics of Computation 23 (1969),
 * 631-637, with the coefficients of his later portable implementation (CALERF, "specfun",
 * ACM TOMS 19 (1993)): three rational branches with relative error near 1e-16.
 * The inverse is M. J. Wichura's algorithm AS241 (PPND16), Applied Statistics 37 (1988),
 * 477-484, polished by one Halley step on our own CDF.
 *
 * Two details keep the tails exact:
 * - exp(-x^2/2) is evaluated as exp(-xs^2/2) exp(-(x - xs)(x + xs)/2) with xs = x rounded
 *   down to a multiple of 1/16, so that the large part of the exponent is exact (Cody's trick).
 * - far in the left tail (N(x) below ~1e-300, subnormal from x ~ -37.5 on), the factors are
 *   multiplied in an order that rounds into the subnormal range only once, so N(-38) is the
 *   correctly rounded double rather than one with eight digits lost.
 */

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_PI = 0.56418958354775628695; // 1/sqrt(pi)
const INV_SQRT_2PI = 0.3989422804014326779399; // 1/sqrt(2 pi)

// Cody's erf on |x| <= 0.5: erf(x) = x P(x^2)/Q(x^2).
const A0 = 3.1611237438705656;
const A1 = 113.86415415105016;
const A2 = 377.48523768530202;
const A3 = 3209.3775891384695;
const A4 = 0.18577770618460315;
const B0 = 23.601290952344121;
const B1 = 244.02463793444417;
const B2 = 1282.6165260773723;
const B3 = 2844.2368334391706;

// Cody's erfcx on 0.5 < x <= 4: erfcx(x) = P(x)/Q(x).
const C0 = 0.56418849698867009;
const C1 = 8.8831497943883759;
const C2 = 66.11919063714163;
const C3 = 298.63513819740013;
const C4 = 881.95222124176909;
const C5 = 1712.0476126340706;
const C6 = 2051.0783778260715;
const C7 = 1230.3393547979972;
const C8 = 2.1531153547440383e-8;
const D0 = 15.744926110709835;
const D1 = 117.6939508913125;
const D2 = 537.18110186200986;
const D3 = 1621.3895745666902;
const D4 = 3290.7992357334596;
const D5 = 4362.6190901432472;
const D6 = 3439.3676741437216;
const D7 = 1230.3393548037494;

// Cody's erfcx on x > 4: erfcx(x) = (1/sqrt(pi) - z P(z)/Q(z)) / x with z = 1/x^2.
const P0 = 0.30532663496123236;
const P1 = 0.36034489994980445;
const P2 = 0.12578172611122925;
const P3 = 0.016083785148742275;
const P4 = 6.5874916152983678e-4;
const P5 = 0.016315387137302097;
const Q0 = 2.5685201922898242;
const Q1 = 1.8729528499234673;
const Q2 = 0.52790510295142841;
const Q3 = 0.060518341312441319;
const Q4 = 0.0023352049762686918;

/** erf(x) for |x| <= 0.5. */
export function erfSmall(x: number): number {
  const y = x * x;
  const num = (((A4 * y + A0) * y + A1) * y + A2) * y + A3;
  const den = (((y + B0) * y + B1) * y + B2) * y + B3;
  return (x * num) / den;
}

/**
 * erfcx(x) = exp(x^2) erfc(x) for x >= 0.5, relative error near 1e-16. The polynomials are
 * evaluated by Estrin's scheme rather than Horner's: every coefficient and x are positive, so
 * nothing cancels either way, and the shorter dependency chain roughly halves the latency.
 */
export function erfcxLarge(x: number): number {
  if (x <= 4) {
    const x2 = x * x;
    const x4 = x2 * x2;
    const num = C7 + C6 * x + x2 * (C5 + C4 * x) + x4 * (C3 + C2 * x + x2 * (C1 + C0 * x)) + x4 * x4 * C8;
    const den = D7 + D6 * x + x2 * (D5 + D4 * x) + x4 * (D3 + D2 * x + x2 * (D1 + D0 * x)) + x4 * x4;
    return num / den;
  }
  if (x > 1e15) return INV_SQRT_PI / x; // the correction is below an ulp, and w^5 below would overflow
  // Cody's (1/sqrt(pi) - z P(z)/Q(z)) / x with z = 1/x^2, both polynomials multiplied by
  // w^5 (w = x^2) so that one division remains instead of three.
  const w = x * x;
  const w2 = w * w;
  const w4 = w2 * w2;
  const num = P5 + P0 * w + w2 * (P1 + P2 * w) + w4 * (P3 + P4 * w); // w^5 P(1/w)
  const den = 1 + Q0 * w + w2 * (Q1 + Q2 * w) + w4 * (Q3 + Q4 * w); // w^5 Q(1/w)
  return (INV_SQRT_PI * w * den - num) / (w * x * den);
}

/**
 * exp(-x^2) * factor, rounded once at the end even where the result is subnormal.
 * The exponent's large part uses xs = floor(16 x)/16, whose square is exact.
 */
function expMinusSquareTimes(x: number, factor: number): number {
  const xs = Math.trunc(x * 16) / 16;
  const small = Math.exp(-(x - xs) * (x + xs)) * factor;
  const big = xs * xs;
  if (big < 700) return Math.exp(-big) * small;
  // exp(-big) itself would be subnormal: split it in two normal halves, and multiply so the
  // only rounding into the subnormal range is the last one.
  const half = Math.exp(-0.5 * big);
  return half * small * half;
}

/** The complementary error function erfc(x) = 1 - erf(x). */
export function erfc(x: number): number {
  const ax = Math.abs(x);
  if (ax <= 0.5) return 1 - erfSmall(x);
  if (Number.isNaN(x)) return NaN;
  if (ax > 27.3) return x > 0 ? 0 : 2; // erfc(27.3) is below the smallest subnormal
  const tail = expMinusSquareTimes(ax, erfcxLarge(ax));
  return x > 0 ? tail : 2 - tail;
}

/** The scaled complementary error function erfcx(x) = exp(x^2) erfc(x). */
export function erfcx(x: number): number {
  if (x >= 0.5) return erfcxLarge(x);
  if (Number.isNaN(x)) return NaN;
  if (x > -0.5) return Math.exp(x * x) * (1 - erfSmall(x));
  if (x < -26.7) return Infinity; // 2 exp(x^2) overflows
  // erfc(x) = 2 - erfc(-x): erfcx(x) = 2 exp(x^2) - erfcx(-x).
  const xs = Math.trunc(x * 16) / 16;
  const e2 = Math.exp(xs * xs) * Math.exp((x - xs) * (x + xs));
  return 2 * e2 - erfcxLarge(-x);
}

/** The standard normal density phi(x). */
export function normPdf(x: number): number {
  return expMinusHalfSquareTimes(Math.abs(x), INV_SQRT_2PI);
}

/**
 * The standard normal cumulative distribution N(x), relative error near 1e-16 over the whole
 * range where N(x) is representable (N(-38) ~ 2.9e-316 is correctly rounded).
 */
export function normCdf(x: number): number {
  const z = x * SQRT_HALF;
  const az = Math.abs(z);
  if (az <= 0.5) return 0.5 + 0.5 * erfSmall(z);
  if (Number.isNaN(x)) return NaN;
  if (x < -38.6) return 0; // below half the smallest subnormal
  if (x > 8.3) return 1; // 1 - N(x) below half an ulp of 1
  const tail = lowerTail(-Math.abs(x), az);
  return x < 0 ? tail : 1 - tail;
}

/**
 * N(x) for x <= -0.5 sqrt(2), given z = |x|/sqrt(2): 0.5 exp(-x^2/2) erfcx(z). The exponent is
 * split on x itself, not on z = x/sqrt(2) (which is rounded), so the relative error stays near
 * 1e-16 instead of growing with x^2.
 */
function lowerTail(x: number, z: number): number {
  return expMinusHalfSquareTimes(-x, 0.5 * erfcxLarge(z));
}

/** exp(-x^2/2) * factor for x >= 0, with the same care as `expMinusSquareTimes`. */
function expMinusHalfSquareTimes(x: number, factor: number): number {
  const xs = Math.trunc(x * 16) / 16;
  const small = Math.exp(-0.5 * (x - xs) * (x + xs)) * factor;
  const big = 0.5 * xs * xs;
  if (big < 700) return Math.exp(-big) * small;
  const half = Math.exp(-0.5 * big);
  return half * small * half;
}

// Wichura AS241 (PPND16) coefficients.
const W_A = [
  3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
  45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727,
];
const W_B = [
  1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867,
  39307.89580009271061, 28729.085735721942674, 5226.495278852854561,
];
const W_C = [
  1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
  1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4,
];
const W_D = [
  1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459,
  0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9,
];
const W_E = [
  6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
  0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7,
];
const W_F = [
  1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4,
  1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15,
];

function poly7(c: readonly number[], x: number): number {
  return (
    ((((((c[7]! * x + c[6]!) * x + c[5]!) * x + c[4]!) * x + c[3]!) * x + c[2]!) * x + c[1]!) * x + c[0]!
  );
}

/**
 * The inverse normal CDF by Wichura's AS241 alone (relative error ~1e-16 except where the
 * result is near zero), for callers that need a good value fast, such as an initial guess.
 */
export function normInvAs241(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * poly7(W_A, r)) / poly7(W_B, r);
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = poly7(W_C, r) / poly7(W_D, r);
  } else {
    r -= 5;
    x = poly7(W_E, r) / poly7(W_F, r);
  }
  return q < 0 ? -x : x;
}

/**
 * The inverse normal CDF: x with N(x) = p, for 0 < p < 1 (-Infinity at 0, Infinity at 1,
 * NaN outside). Wichura's AS241, then one Halley step on normCdf to remove what is left.
 */
export function normInv(p: number): number {
  let x = normInvAs241(p);
  if (!Number.isFinite(x)) return x;
  // Halley's step on f(x) = N(x) - p, evaluated in the tail where it is best conditioned.
  const lower = x < 0;
  const target = lower ? p : 1 - p;
  const cdf = lower ? normCdf(x) : normCdf(-x);
  const pdf = normPdf(x);
  if (pdf > 0) {
    const e = (lower ? cdf - target : target - cdf) / pdf;
    x -= e / (1 + 0.5 * x * e);
  }
  return x;
}
