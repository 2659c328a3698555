/**
 * Volatility from the tape: realized measures from a tick series (times and prices, or times
 * and log prices). All variances here are of the log price, in natural-log units squared, over
 * the whole span of the series (integrated variance), not per unit of time;
 * `annualizeVariance(variance, spanMs)` in `bars.ts` scales one to a 365-day year.
 *
 * Model behind the noise correction: the observed log price is Y_i = X_{t_i} + eps_i, with X
 * the efficient log price (a semimartingale, integrated variance IV = int sigma_t^2 dt over the
 * span) and eps_i i.i.d. microstructure noise, mean 0, variance a = E[eps^2], independent of X.
 * With n returns over all ticks, E[RV_all] = IV + 2 n a: plain realized variance at the highest
 * frequency measures the noise, not the volatility (Zhang, Mykland and Ait-Sahalia 2005).
 *
 * Sources (the formulas are public; the code is our own):
 * - Andersen, T. G., Bollerslev, T., Diebold, F. X. and Labys, P. (2001), "The Distribution of
 *   Realized Exchange Rate Volatility", JASA 96, 42-55: realized variance, previous-tick
 *   sampling on a time grid.
 * - Zhang, L., Mykland, P. A. and Ait-Sahalia, Y. (2005), "A Tale of Two Time Scales:
 *   Determining Integrated Volatility With Noisy High-Frequency Data", JASA 100(472), 1394-1411
 *   (ZMA): two-scales realized variance, its small-sample adjustment, the noise variance
 *   estimate and the optimal number of subgrids.
 * - Barndorff-Nielsen, O. E. and Shephard, N. (2004), "Power and Bipower Variation with
 *   Stochastic Volatility and Jumps", Journal of Financial Econometrics 2(1), 1-37: bipower
 *   variation, which converges to IV even with jumps, while RV converges to IV plus the sum of
 *   squared jumps.
 * - J.P. Morgan/Reuters (1996), "RiskMetrics - Technical Document", 4th ed., chapter 5: the
 *   exponentially weighted moving average of squared returns (lambda 0.94 for daily data).
 */
import { InputError } from '../../model/errors.js';
import { MS_PER_YEAR } from '../../model/time.js';
import type { PriceTick } from './bars.js';
import { checkFinite, checkInteger, checkLength, checkPositiveFinite, checkTimes } from './validate.js';

/**
 * A tick series: times (ms since the epoch, sorted, ties allowed) and, for each, either a price
 * (> 0) or a log price (give exactly one of `prices` and `logPrices`).
 */
export interface TickSeries {
  timesMs: ArrayLike<number>;
  prices?: ArrayLike<number>;
  logPrices?: ArrayLike<number>;
}

/**
 * How to sample a tick series before taking returns:
 * - `{ kind: 'ticks', every: k, offset: j }`: ticks j, j + k, j + 2k, ... (default k = 1, j = 0:
 *   every tick);
 * - `{ kind: 'time', intervalMs: D, originMs: t0 }`: previous-tick sampling on the grid
 *   t0, t0 + D, t0 + 2D, ... up to the last tick's time: at each grid time the last tick at or
 *   before it (default t0 = the first tick's time; t0 must not be before it).
 */
export type Sampling =
  | { kind: 'ticks'; every?: number; offset?: number }
  | { kind: 'time'; intervalMs: number; originMs?: number };

/** Options of `twoScalesRealizedVariance`. */
export interface TwoScalesOptions {
  /** Apply ZMA's small-sample adjustment (1 - nbar/n)^-1 (default true). */
  adjust?: boolean;
}

/** Options of `ewmaVariance` and `ewmaVarianceSeries`. */
export interface EwmaOptions {
  /** Decay lambda in (0, 1): weight of the previous variance (RiskMetrics: 0.94 daily, 0.97 monthly). Default 0.94. */
  lambda?: number;
  /**
   * The variance before the first return (>= 0). Default: the mean of the squared returns over
   * the first min(N, ceil(1 / (1 - lambda))) returns (about one effective window).
   */
  initialVariance?: number;
}

/** One point of a volatility signature. */
export interface SignaturePoint {
  /** The sampling interval, ms. */
  intervalMs: number;
  /** Returns on the grid. */
  returns: number;
  /** Realized variance over the grid's span (returns x intervalMs). */
  realizedVariance: number;
  /** sqrt(realizedVariance x MS_PER_YEAR / (returns x intervalMs)). */
  annualizedVolatility: number;
}

/** A series' times and log prices after validation. */
interface ReadSeries {
  times: ArrayLike<number>;
  logs: Float64Array;
}

/** Validates a tick series with at least `min` ticks and returns its times and log prices. */
function readSeries(series: TickSeries, min: number, field = 'series'): ReadSeries {
  if (series === null || typeof series !== 'object')
    throw new InputError(field, series, 'a { timesMs, prices | logPrices } object');
  const { timesMs, prices, logPrices } = series;
  checkLength(`${field}.timesMs`, timesMs, min, 'ticks');
  checkTimes(`${field}.timesMs`, timesMs);
  const n = timesMs.length;
  const logs = new Float64Array(n);
  if (prices !== undefined && logPrices !== undefined) {
    throw new InputError(`${field}.logPrices`, 'given with prices', 'exactly one of prices and logPrices');
  }
  if (prices !== undefined) {
    checkLength(`${field}.prices`, prices, n, 'prices (one per time)');
    if (prices.length !== n)
      throw new InputError(`${field}.prices.length`, prices.length, `${n} (one per time)`);
    for (let i = 0; i < n; i++) {
      const p = prices[i] as number;
      checkPositiveFinite(`${field}.prices[${i}]`, p);
      logs[i] = Math.log(p);
    }
  } else if (logPrices !== undefined) {
    checkLength(`${field}.logPrices`, logPrices, n, 'log prices (one per time)');
    if (logPrices.length !== n)
      throw new InputError(`${field}.logPrices.length`, logPrices.length, `${n} (one per time)`);
    for (let i = 0; i < n; i++) {
      const y = logPrices[i] as number;
      checkFinite(`${field}.logPrices[${i}]`, y);
      logs[i] = y;
    }
  } else {
    throw new InputError(`${field}.prices`, undefined, 'exactly one of prices and logPrices');
  }
  return { times: timesMs, logs };
}

/** A tick series from ticks (`TradeEvent`s fit): their times and prices, unchecked until used. */
export function tickSeries(ticks: readonly PriceTick[]): TickSeries {
  if (!Array.isArray(ticks)) throw new InputError('ticks', ticks, 'an array of { timestampMs, price }');
  const timesMs = new Float64Array(ticks.length);
  const prices = new Float64Array(ticks.length);
  for (let i = 0; i < ticks.length; i++) {
    const tick = ticks[i];
    if (tick === null || typeof tick !== 'object')
      throw new InputError(`ticks[${i}]`, tick, 'a { timestampMs, price } object');
    timesMs[i] = tick.timestampMs;
    prices[i] = tick.price;
  }
  return { timesMs, prices };
}

/** Log returns ln(p_i / p_{i-1}) of a price series (prices > 0, at least 2). */
export function logReturns(prices: ArrayLike<number>): Float64Array {
  checkLength('prices', prices, 2, 'prices');
  const out = new Float64Array(prices.length - 1);
  let previous = prices[0] as number;
  checkPositiveFinite('prices[0]', previous);
  for (let i = 1; i < prices.length; i++) {
    const p = prices[i] as number;
    checkPositiveFinite(`prices[${i}]`, p);
    out[i - 1] = Math.log(p / previous);
    previous = p;
  }
  return out;
}

/** Samples validated log prices as `sampling` says; see `Sampling`. */
function sample(read: ReadSeries, sampling: Sampling): { timesMs: Float64Array; logPrices: Float64Array } {
  if (sampling === null || typeof sampling !== 'object')
    throw new InputError('sampling', sampling, "{ kind: 'ticks' | 'time', ... }");
  const { times, logs } = read;
  const n = logs.length;
  if (sampling.kind === 'ticks') {
    const every = sampling.every ?? 1;
    const offset = sampling.offset ?? 0;
    checkInteger('sampling.every', every, 1);
    checkInteger('sampling.offset', offset, 0);
    if (offset >= n) throw new InputError('sampling.offset', offset, `less than the number of ticks (${n})`);
    const count = Math.floor((n - 1 - offset) / every) + 1;
    const outTimes = new Float64Array(count);
    const outLogs = new Float64Array(count);
    for (let j = 0; j < count; j++) {
      outTimes[j] = times[offset + j * every] as number;
      outLogs[j] = logs[offset + j * every] as number;
    }
    return { timesMs: outTimes, logPrices: outLogs };
  }
  if (sampling.kind === 'time') {
    const { intervalMs } = sampling;
    checkPositiveFinite('sampling.intervalMs', intervalMs);
    const first = times[0] as number;
    const last = times[n - 1] as number;
    const originMs = sampling.originMs ?? first;
    checkFinite('sampling.originMs', originMs);
    if (originMs < first)
      throw new InputError('sampling.originMs', originMs, `at or after the first tick's time (${first})`);
    if (originMs > last)
      throw new InputError('sampling.originMs', originMs, `at or before the last tick's time (${last})`);
    const count = Math.floor((last - originMs) / intervalMs) + 1;
    const outTimes = new Float64Array(count);
    const outLogs = new Float64Array(count);
    let i = 0;
    for (let j = 0; j < count; j++) {
      const g = originMs + j * intervalMs;
      while (i + 1 < n && (times[i + 1] as number) <= g) i++;
      outTimes[j] = g;
      outLogs[j] = logs[i] as number;
    }
    return { timesMs: outTimes, logPrices: outLogs };
  }
  throw new InputError('sampling.kind', (sampling as { kind: unknown }).kind, '"ticks" or "time"');
}

/**
 * The sampled points of a tick series (see `Sampling`): their times (the grid times for time
 * sampling) and log prices.
 */
export function sampleLogPrices(
  series: TickSeries,
  sampling: Sampling,
): { timesMs: Float64Array; logPrices: Float64Array } {
  return sample(readSeries(series, 1), sampling);
}

function sumSquaredDifferences(logs: Float64Array, lag: number): number {
  let sum = 0;
  for (let i = lag; i < logs.length; i++) {
    const r = (logs[i] as number) - (logs[i - lag] as number);
    sum += r * r;
  }
  return sum;
}

/**
 * Realized variance RV = sum over sampled returns of r_j^2, r_j = Y_{s_j} - Y_{s_{j-1}} the log
 * returns between consecutive sampled points (Andersen, Bollerslev, Diebold and Labys 2001).
 * Default sampling: every tick. Needs at least 2 sampled points.
 */
export function realizedVariance(series: TickSeries, sampling: Sampling = { kind: 'ticks' }): number {
  const sampled = sample(readSeries(series, 2), sampling);
  if (sampled.logPrices.length < 2) {
    throw new InputError('sampling', sampling, 'a sampling that leaves at least 2 points (1 return)');
  }
  return sumSquaredDifferences(sampled.logPrices, 1);
}

/**
 * Two-scales realized variance (ZMA 2005, sections 3-4). With n returns over all n + 1 ticks
 * and K subgrids (subgrid k = ticks k - 1, k - 1 + K, k - 1 + 2K, ...):
 *   RV_avg = (1/K) sum_{k=1..K} RV^(k) = (1/K) sum_{i=K..n} (Y_i - Y_{i-K})^2,
 *   nbar = (n - K + 1) / K (the subgrids' average number of returns),
 *   TSRV = RV_avg - (nbar / n) RV_all,
 * and with `adjust` (default) the small-sample adjusted (1 - nbar/n)^-1 TSRV, which removes the
 * factor (1 - nbar/n) by which TSRV underestimates IV. The noise bias 2 nbar a of RV_avg is
 * cancelled by (nbar/n) E[RV_all] = (nbar/n)(IV + 2 n a). Asymptotically (ZMA, K =
 * c n^(2/3)) its error has variance 8 n a^2 / K^2 + (4/3)(K/n) T int sigma^4 dt; see
 * `twoScalesOptimalSubgrids` for the K that minimises it. Needs 2 <= K <= (n + 1) / 2 (nbar >= 1).
 * May come out negative when the noise dominates and K is too small.
 */
export function twoScalesRealizedVariance(
  series: TickSeries,
  subgrids: number,
  options: TwoScalesOptions = {},
): number {
  const adjust = options.adjust ?? true;
  if (typeof adjust !== 'boolean') throw new InputError('adjust', adjust, 'true or false');
  const { logs } = readSeries(series, 4);
  const n = logs.length - 1;
  checkInteger('subgrids', subgrids, 2);
  if (2 * subgrids > n + 1)
    throw new InputError('subgrids', subgrids, `at most (n + 1) / 2 = ${(n + 1) / 2} for n = ${n} returns`);
  const rvAll = sumSquaredDifferences(logs, 1);
  const rvAvg = sumSquaredDifferences(logs, subgrids) / subgrids;
  const nbar = (n - subgrids + 1) / subgrids;
  const tsrv = rvAvg - (nbar / n) * rvAll;
  return adjust ? tsrv / (1 - nbar / n) : tsrv;
}

/**
 * The number of subgrids K that minimises the asymptotic variance of two-scales realized
 * variance, 8 n a^2 / K^2 + (4/3)(K/n) Q with Q = T int sigma_t^4 dt (the integrated quarticity
 * times the span; sigma^4 T^2 = IV^2 for constant volatility): K* = (12 n^2 a^2 / Q)^(1/3),
 * i.e. ZMA's c* = (12 a^2 / Q)^(1/3) with K = c n^(2/3) (ZMA). Rounded and kept within
 * [2, (n + 1) / 2]. `returns` n >= 3, `noiseVariance` a >= 0, `quarticity` Q > 0.
 */
export function twoScalesOptimalSubgrids(returns: number, noiseVariance: number, quarticity: number): number {
  checkInteger('returns', returns, 3);
  checkFinite('noiseVariance', noiseVariance);
  if (noiseVariance < 0) throw new InputError('noiseVariance', noiseVariance, 'a variance >= 0');
  checkPositiveFinite('quarticity', quarticity);
  const k = Math.round(Math.cbrt((12 * returns * returns * noiseVariance * noiseVariance) / quarticity));
  return Math.min(Math.max(k, 2), Math.floor((returns + 1) / 2));
}

/**
 * The microstructure noise variance estimate a-hat = RV_all / (2 n) over all n tick returns
 * (ZMA). Consistent as n grows; in a finite sample it is biased up by IV / (2 n).
 * Needs 2 ticks.
 */
export function noiseVariance(series: TickSeries): number {
  const { logs } = readSeries(series, 2);
  return sumSquaredDifferences(logs, 1) / (2 * (logs.length - 1));
}

/**
 * Bipower variation BV = (pi/2) sum_{j=2..N} |r_j| |r_{j-1}| over the N sampled returns
 * (Barndorff-Nielsen and Shephard 2004; pi/2 = 1/mu_1^2 with mu_1 = E|Z| = sqrt(2/pi)). It
 * converges to IV with or without (finitely many) jumps; RV converges to IV plus the squared
 * jumps. Default sampling: every tick. Needs at least 3 sampled points (2 returns). Noise biases
 * it up like RV: sample sparsely enough on noisy data.
 */
export function bipowerVariation(series: TickSeries, sampling: Sampling = { kind: 'ticks' }): number {
  const sampled = sample(readSeries(series, 3), sampling);
  const logs = sampled.logPrices;
  if (logs.length < 3)
    throw new InputError('sampling', sampling, 'a sampling that leaves at least 3 points (2 returns)');
  let sum = 0;
  let previous = Math.abs((logs[1] as number) - (logs[0] as number));
  for (let i = 2; i < logs.length; i++) {
    const current = Math.abs((logs[i] as number) - (logs[i - 1] as number));
    sum += current * previous;
    previous = current;
  }
  return (Math.PI / 2) * sum;
}

/**
 * The share of realized variance due to jumps, max(0, 1 - BV / RV) (Barndorff-Nielsen and
 * Shephard 2004 / Huang and Tauchen 2005's relative jump measure, floored at 0), from a
 * realized variance (> 0) and a bipower variation (>= 0) of the same sampling.
 */
export function jumpShare(realized: number, bipower: number): number {
  checkPositiveFinite('realized', realized);
  checkFinite('bipower', bipower);
  if (bipower < 0) throw new InputError('bipower', bipower, 'a bipower variation >= 0');
  return Math.max(0, 1 - bipower / realized);
}

function readEwma(returns: ArrayLike<number>, options: EwmaOptions): { lambda: number; initial: number } {
  checkLength('returns', returns, 1, 'returns');
  for (let i = 0; i < returns.length; i++) checkFinite(`returns[${i}]`, returns[i] as number);
  const lambda = options.lambda ?? 0.94;
  if (typeof lambda !== 'number' || !(lambda > 0 && lambda < 1))
    throw new InputError('lambda', lambda, 'a number in (0, 1)');
  let initial = options.initialVariance;
  if (initial === undefined) {
    const m = Math.min(returns.length, Math.ceil(1 / (1 - lambda)));
    let sum = 0;
    for (let i = 0; i < m; i++) sum += (returns[i] as number) ** 2;
    initial = sum / m;
  } else {
    checkFinite('initialVariance', initial);
    if (initial < 0) throw new InputError('initialVariance', initial, 'a variance >= 0');
  }
  return { lambda, initial };
}

/**
 * The EWMA (RiskMetrics) variance path: s_0 = initial variance, s_t = lambda s_{t-1} +
 * (1 - lambda) r_t^2 for t = 1..N; entry t - 1 of the result is s_t, the variance forecast for
 * the period after return t (RiskMetrics Technical Document, in recursive form, with the
 * mean return taken as zero). Per return period, in the returns' units squared.
 */
export function ewmaVarianceSeries(returns: ArrayLike<number>, options: EwmaOptions = {}): Float64Array {
  const { lambda, initial } = readEwma(returns, options);
  const out = new Float64Array(returns.length);
  let s = initial;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i] as number;
    s = lambda * s + (1 - lambda) * r * r;
    out[i] = s;
  }
  return out;
}

/** The last value of `ewmaVarianceSeries`: the EWMA variance forecast after all the returns. */
export function ewmaVariance(returns: ArrayLike<number>, options: EwmaOptions = {}): number {
  const { lambda, initial } = readEwma(returns, options);
  let s = initial;
  for (let i = 0; i < returns.length; i++) {
    const r = returns[i] as number;
    s = lambda * s + (1 - lambda) * r * r;
  }
  return s;
}

/**
 * A volatility signature (Andersen, Bollerslev, Diebold and Labys 2000, "Great Realizations",
 * Risk): for each sampling interval, realized variance with previous-tick sampling on a time grid
 * from `originMs` (default the first tick) and its annualised volatility
 * sqrt(RV x MS_PER_YEAR / (returns x interval)). With microstructure noise the short intervals
 * show higher vol (E[RV] = IV + 2 (returns) a); where the curve flattens, the noise no longer
 * matters. Each interval must leave at least one return.
 */
export function volatilitySignature(
  series: TickSeries,
  intervalsMs: readonly number[],
  options: { originMs?: number } = {},
): SignaturePoint[] {
  if (!Array.isArray(intervalsMs))
    throw new InputError('intervalsMs', intervalsMs, 'an array of intervals in ms');
  checkLength('intervalsMs', intervalsMs, 1, 'intervals');
  const read = readSeries(series, 2);
  const points: SignaturePoint[] = [];
  for (let i = 0; i < intervalsMs.length; i++) {
    const intervalMs = intervalsMs[i] as number;
    checkPositiveFinite(`intervalsMs[${i}]`, intervalMs);
    const sampling: Sampling =
      options.originMs === undefined
        ? { kind: 'time', intervalMs }
        : { kind: 'time', intervalMs, originMs: options.originMs };
    const logs = sample(read, sampling).logPrices;
    const returns = logs.length - 1;
    if (returns < 1)
      throw new InputError(`intervalsMs[${i}]`, intervalMs, "an interval no longer than the series' span");
    const rv = sumSquaredDifferences(logs, 1);
    points.push({
      intervalMs,
      returns,
      realizedVariance: rv,
      annualizedVolatility: Math.sqrt((rv * MS_PER_YEAR) / (returns * intervalMs)),
    });
  }
  return points;
}
