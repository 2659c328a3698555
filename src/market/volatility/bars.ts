/**
 * Volatility from OHLC bars: the classical range-based estimators and close-to-close, each
 * returning the variance of the log price per bar (per bar period, in natural-log units squared);
 * `annualizeVariance` / `annualizedVolatility` turn that into a 365-day-year figure.
 *
 * Notation for one bar: o = ln O, h = ln H, l = ln L, c = ln C (natural logs of the bar's open,
 * high, low, close), and for bar i with the previous bar's close C_{i-1}:
 *   u = ln(H/O), d = ln(L/O), x = ln(C/O) (the bar's own moves from its open),
 *   g = ln(O_i / C_{i-1}) (the "overnight" move from the previous close to this open).
 *
 * Sources (the formulas are public; the code is our own):
 * - Parkinson, M. (1980), "The Extreme Value Method for Estimating the Variance of the Rate of
 *   Return", Journal of Business 53(1), 61-65.
 * - Garman, M. B. and Klass, M. J. (1980), "On the Estimation of Security Price Volatilities from
 *   Historical Data", Journal of Business 53(1), 67-78.
 * - Rogers, L. C. G. and Satchell, S. E. (1991), "Estimating Variance from High, Low and Closing
 *   Prices", Annals of Applied Probability 1(4), 504-512.
 * - Yang, D. and Zhang, Q. (2000), "Drift-Independent Volatility Estimation Based on High, Low,
 *   Open, and Close Prices", Journal of Business 73(3), 477-491.
 *
 * Parkinson and Garman-Klass assume a driftless Brownian motion observed continuously within
 * the bar: with a drift they are biased, and with a discretely observed path (the high and low
 * of a finite number of trades) they are biased low, since the sampled range is shorter than the
 * true one. Rogers-Satchell is unbiased whatever the drift; Yang-Zhang adds the overnight
 * (close-to-open) moves and is drift-independent too. None of them sees jumps inside a bar as
 * anything but range.
 */
import { InputError } from '../../model/errors.js';
import { MS_PER_YEAR } from '../../model/time.js';
import { checkFinite, checkInteger, checkLength, checkPositiveFinite } from './validate.js';

/** One OHLC bar: prices > 0 with low <= min(open, close) <= max(open, close) <= high. */
export interface OhlcBar {
  open: number;
  high: number;
  low: number;
  close: number;
  /** Start of the bar, ms since the epoch, when known (`barsFromTicks` sets it). */
  timestampMs?: number;
}

/** One observed price at a time: a trade, a mid, a mark (`TradeEvent` fits). */
export interface PriceTick {
  timestampMs: number;
  price: number;
}

/** Options of `closeToCloseVariance`. */
export interface CloseToCloseOptions {
  /**
   * Subtract the mean return (true, the default: the sample variance with divisor N - 1 of the
   * N = bars - 1 close-to-close returns), or take the mean return as zero (false: divisor N).
   */
  demean?: boolean;
}

/** Options of `yangZhangVariance`. */
export interface YangZhangOptions {
  /**
   * Yang and Zhang's alpha in k = (alpha - 1) / (alpha + (N + 1) / (N - 1)); 1.34 (their value
   * for a driftless Brownian motion, which they find works in practice), must be > 1.
   */
  alpha?: number;
}

/** Options of `barsFromTicks`. */
export interface BarsFromTicksOptions {
  /**
   * Where the bar grid starts, ms since the epoch: bar j covers [originMs + j interval,
   * originMs + (j + 1) interval). Default 0, so bars align to round times (whole minutes for a
   * minute interval). No tick may be before it.
   */
  originMs?: number;
}

const LN2 = Math.log(2);

/** Checks that `bars` holds at least `min` well-formed bars; throws `InputError` otherwise. */
export function checkBars(bars: readonly OhlcBar[], min: number, field = 'bars'): void {
  if (!Array.isArray(bars)) throw new InputError(field, bars, 'an array of OHLC bars');
  checkLength(field, bars, min, 'bars');
  let previousTime = -Infinity;
  for (let i = 0; i < bars.length; i++) {
    const bar = bars[i];
    const at = `${field}[${i}]`;
    if (bar === null || typeof bar !== 'object') throw new InputError(at, bar, 'an OHLC bar object');
    checkPositiveFinite(`${at}.open`, bar.open);
    checkPositiveFinite(`${at}.high`, bar.high);
    checkPositiveFinite(`${at}.low`, bar.low);
    checkPositiveFinite(`${at}.close`, bar.close);
    if (bar.high < Math.max(bar.open, bar.close)) {
      throw new InputError(
        `${at}.high`,
        bar.high,
        `at least max(open, close) = ${Math.max(bar.open, bar.close)}`,
      );
    }
    if (bar.low > Math.min(bar.open, bar.close)) {
      throw new InputError(
        `${at}.low`,
        bar.low,
        `at most min(open, close) = ${Math.min(bar.open, bar.close)}`,
      );
    }
    if (bar.timestampMs !== undefined) {
      checkFinite(`${at}.timestampMs`, bar.timestampMs);
      if (bar.timestampMs < previousTime) {
        throw new InputError(
          `${at}.timestampMs`,
          bar.timestampMs,
          `at or after the previous bar's (${previousTime})`,
        );
      }
      previousTime = bar.timestampMs;
    }
  }
}

/**
 * Close-to-close variance per bar: the N = bars - 1 log returns r_i = ln(C_i / C_{i-1}), with
 * (default) sigma^2 = sum (r_i - rbar)^2 / (N - 1), needing 3 bars, or with `demean: false`
 * sigma^2 = sum r_i^2 / N, needing 2. The classical estimator (Yang and Zhang 2000 use it as
 * their benchmark).
 */
export function closeToCloseVariance(bars: readonly OhlcBar[], options: CloseToCloseOptions = {}): number {
  const demean = options.demean ?? true;
  if (typeof demean !== 'boolean') throw new InputError('demean', demean, 'true or false');
  checkBars(bars, demean ? 3 : 2);
  const n = bars.length - 1;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 1; i <= n; i++) {
    const r = Math.log((bars[i] as OhlcBar).close / (bars[i - 1] as OhlcBar).close);
    sum += r;
    sumSquares += r * r;
  }
  if (!demean) return sumSquares / n;
  const mean = sum / n;
  let centered = 0;
  for (let i = 1; i <= n; i++) {
    const r = Math.log((bars[i] as OhlcBar).close / (bars[i - 1] as OhlcBar).close) - mean;
    centered += r * r;
  }
  return centered / (n - 1);
}

/**
 * Parkinson (1980) variance per bar: sigma^2 = (1 / (4 ln 2)) mean over bars of (ln(H/L))^2.
 * For a driftless Brownian motion with variance sigma^2 per bar, E[(ln H/L)^2] = 4 ln 2 sigma^2
 * (Parkinson 1980, with the range of the continuous path). Needs 1 bar.
 */
export function parkinsonVariance(bars: readonly OhlcBar[]): number {
  checkBars(bars, 1);
  let sum = 0;
  for (const bar of bars) {
    const range = Math.log(bar.high / bar.low);
    sum += range * range;
  }
  return sum / (4 * LN2 * bars.length);
}

/**
 * Garman-Klass (1980) variance per bar, in the widely used form
 *   sigma^2 = mean over bars of [ (1/2) (ln(H/L))^2 - (2 ln 2 - 1) (ln(C/O))^2 ],
 * which approximates their best analytic scale-invariant estimator from the bar's own OHLC,
 * 0.511 (u - d)^2 - 0.019 (x (u + d) - 2 u d) - 0.383 x^2, dropping the small cross term.
 * Ignores the move from the previous close to the open. Needs 1 bar.
 */
export function garmanKlassVariance(bars: readonly OhlcBar[]): number {
  checkBars(bars, 1);
  const c = 2 * LN2 - 1;
  let sum = 0;
  for (const bar of bars) {
    const range = Math.log(bar.high / bar.low);
    const x = Math.log(bar.close / bar.open);
    sum += 0.5 * range * range - c * x * x;
  }
  return sum / bars.length;
}

/** One bar's Rogers-Satchell term ln(H/C) ln(H/O) + ln(L/C) ln(L/O). */
function rogersSatchellTerm(bar: OhlcBar): number {
  return (
    Math.log(bar.high / bar.close) * Math.log(bar.high / bar.open) +
    Math.log(bar.low / bar.close) * Math.log(bar.low / bar.open)
  );
}

/**
 * Rogers-Satchell (1991) variance per bar: sigma^2 = mean over bars of
 * ln(H/C) ln(H/O) + ln(L/C) ln(L/O) = u (u - x) + d (d - x) with u = ln(H/O), d = ln(L/O),
 * x = ln(C/O). Unbiased for a Brownian motion with any drift (Rogers and Satchell 1991).
 * Needs 1 bar.
 */
export function rogersSatchellVariance(bars: readonly OhlcBar[]): number {
  checkBars(bars, 1);
  let sum = 0;
  for (const bar of bars) sum += rogersSatchellTerm(bar);
  return sum / bars.length;
}

/**
 * Yang-Zhang (2000) variance per bar (close-to-close period: overnight move plus the bar):
 *   sigma^2 = V_O + k V_C + (1 - k) V_RS,   k = (alpha - 1) / (alpha + (N + 1) / (N - 1)),
 * over the N = bars - 1 bars that have a previous close (bars 2..n), with
 *   V_O = sample variance (divisor N - 1) of g_i = ln(O_i / C_{i-1}),
 *   V_C = sample variance (divisor N - 1) of x_i = ln(C_i / O_i),
 *   V_RS = the Rogers-Satchell mean over the same N bars.
 * alpha = 1.34 gives k = 0.34 / (1.34 + (N + 1) / (N - 1)), Yang and Zhang's weight with
 * their recommended value; k minimises the estimator's variance. Unbiased and independent of
 * the drift and of the opening jumps' size. Needs 3 bars (N >= 2).
 */
export function yangZhangVariance(bars: readonly OhlcBar[], options: YangZhangOptions = {}): number {
  const alpha = options.alpha ?? 1.34;
  if (typeof alpha !== 'number' || !(alpha > 1) || alpha === Infinity) {
    throw new InputError('alpha', alpha, 'a finite number > 1');
  }
  checkBars(bars, 3);
  const n = bars.length - 1;
  let sumG = 0;
  let sumX = 0;
  let sumRs = 0;
  for (let i = 1; i <= n; i++) {
    const bar = bars[i] as OhlcBar;
    sumG += Math.log(bar.open / (bars[i - 1] as OhlcBar).close);
    sumX += Math.log(bar.close / bar.open);
    sumRs += rogersSatchellTerm(bar);
  }
  const meanG = sumG / n;
  const meanX = sumX / n;
  let vO = 0;
  let vC = 0;
  for (let i = 1; i <= n; i++) {
    const bar = bars[i] as OhlcBar;
    const g = Math.log(bar.open / (bars[i - 1] as OhlcBar).close) - meanG;
    const x = Math.log(bar.close / bar.open) - meanX;
    vO += g * g;
    vC += x * x;
  }
  vO /= n - 1;
  vC /= n - 1;
  const k = yangZhangK(n, alpha);
  return vO + k * vC + (1 - k) * (sumRs / n);
}

/**
 * Yang and Zhang's weight k = (alpha - 1) / (alpha + (N + 1) / (N - 1)) for N periods (N >= 2);
 * alpha defaults to 1.34.
 */
export function yangZhangK(periods: number, alpha = 1.34): number {
  checkInteger('periods', periods, 2);
  if (typeof alpha !== 'number' || !(alpha > 1) || alpha === Infinity) {
    throw new InputError('alpha', alpha, 'a finite number > 1');
  }
  return (alpha - 1) / (alpha + (periods + 1) / (periods - 1));
}

/**
 * A variance per period of `periodMs` milliseconds scaled to a 365-day year (`MS_PER_YEAR`):
 * variance x MS_PER_YEAR / periodMs (variance grows linearly in time for a random walk). The
 * variance may be any finite number (two-scales and Garman-Klass can come out negative).
 */
export function annualizeVariance(variancePerPeriod: number, periodMs: number): number {
  checkFinite('variancePerPeriod', variancePerPeriod);
  checkPositiveFinite('periodMs', periodMs);
  return (variancePerPeriod * MS_PER_YEAR) / periodMs;
}

/** The annualised volatility sqrt(annualizeVariance(variancePerPeriod, periodMs)); needs variance >= 0. */
export function annualizedVolatility(variancePerPeriod: number, periodMs: number): number {
  checkFinite('variancePerPeriod', variancePerPeriod);
  if (variancePerPeriod < 0) throw new InputError('variancePerPeriod', variancePerPeriod, 'a variance >= 0');
  return Math.sqrt(annualizeVariance(variancePerPeriod, periodMs));
}

/**
 * Bars of a fixed interval from ticks sorted by time: bar j covers [originMs + j intervalMs,
 * originMs + (j + 1) intervalMs); its open is the first tick in it, close the last, high and
 * low the extremes, `timestampMs` its start. Intervals without a tick give no bar (the next
 * bar's open then differs from the previous close, as after a market's night). Ticks at equal
 * times keep their given order.
 */
export function barsFromTicks(
  ticks: readonly PriceTick[],
  intervalMs: number,
  options: BarsFromTicksOptions = {},
): OhlcBar[] {
  if (!Array.isArray(ticks)) throw new InputError('ticks', ticks, 'an array of { timestampMs, price }');
  checkLength('ticks', ticks, 1, 'ticks');
  checkPositiveFinite('intervalMs', intervalMs);
  const originMs = options.originMs ?? 0;
  checkFinite('originMs', originMs);
  const bars: OhlcBar[] = [];
  let current: OhlcBar | undefined;
  let currentIndex = NaN;
  let previousTime = -Infinity;
  for (let i = 0; i < ticks.length; i++) {
    const tick = ticks[i];
    if (tick === null || typeof tick !== 'object')
      throw new InputError(`ticks[${i}]`, tick, 'a { timestampMs, price } object');
    const { timestampMs: t, price } = tick;
    checkFinite(`ticks[${i}].timestampMs`, t);
    checkPositiveFinite(`ticks[${i}].price`, price);
    if (t < previousTime)
      throw new InputError(
        `ticks[${i}].timestampMs`,
        t,
        `at or after the previous tick's (${previousTime}): sorted times`,
      );
    if (t < originMs)
      throw new InputError(`ticks[${i}].timestampMs`, t, `at or after originMs (${originMs})`);
    previousTime = t;
    const index = Math.floor((t - originMs) / intervalMs);
    if (current !== undefined && index === currentIndex) {
      if (price > current.high) current.high = price;
      if (price < current.low) current.low = price;
      current.close = price;
    } else {
      current = {
        open: price,
        high: price,
        low: price,
        close: price,
        timestampMs: originMs + index * intervalMs,
      };
      currentIndex = index;
      bars.push(current);
    }
  }
  return bars;
}
