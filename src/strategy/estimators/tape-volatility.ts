/**
 * Online volatility from the tape: trade prices or mids with irregular timestamps, as an
 * exponentially weighted variance per unit of time.
 *
 * Each sampled return `r_i` over `dt_i` (ms) gets the weight `w_i = 2^(-(now - t_i) / halfLife)`
 * and the estimate is the weighted realized variance over the weighted time,
 *   sigma^2 = sum w_i r_i^2 / sum w_i dt_i   (per ms, scaled to the caller's time unit),
 * which for a Brownian log price (or price) of constant variance rate is a ratio of unbiased
 * sums, whatever the spacing of the ticks. Its standard error under that model (r_i^2 = sigma^2
 * dt_i chi^2_1, independent) is
 *   se(sigma^2) = sigma^2 sqrt(2 sum w_i^2 dt_i^2) / sum w_i dt_i,  se(sigma) ~ se(sigma^2) / (2 sigma).
 * With an infinite half-life it is realized variance over the span (Andersen, Bollerslev, Diebold
 * and Labys 2001; `realizedVariance` in `src/market/volatility/realized.ts` computes the same
 * sum in batch, with previous-tick sampling). The batch EWMA there (`ewmaVariance`, RiskMetrics)
 * weights by return count, not time, so it does not fit irregular ticks; this is its
 * time-weighted counterpart. Microstructure noise (bid-ask bounce) inflates short returns'
 * variance (Zhang, Mykland and Ait-Sahalia 2005): `minIntervalMs` samples sparsely, a return
 * being taken only once that long has passed since the last sampled tick.
 *
 * `kind: 'log'` (default) measures log returns (relative volatility; multiply by the price for
 * price units: `priceSigma`); `kind: 'price'` measures price differences (AS/GLFT's arithmetic
 * `sigma` directly). The time unit is `timeUnitMs` (default 1000: per second).
 */
import { InputError } from '../../model/errors.js';
import { checkFinite, checkPositiveFinite } from '../../market/volatility/validate.js';

/** Options of `TapeVolatility`. */
export interface TapeVolatilityOptions {
  /** Half-life of the weights, ms (> 0; `Infinity` for no forgetting). */
  halfLifeMs: number;
  /** Returns of log prices (default) or of prices. */
  kind?: 'log' | 'price';
  /** The time unit of the output variance, ms (default 1000). */
  timeUnitMs?: number;
  /** Minimum time between sampled ticks, ms (default 0: every tick with a later time). */
  minIntervalMs?: number;
}

/** An estimate of the variance rate. */
export interface TapeVolatilityEstimate {
  /** Variance per time unit (of log returns or of price differences). */
  variance: number;
  /** Its square root. */
  sigma: number;
  /** Standard error of `variance` (Gaussian returns). */
  varianceSe: number;
  /** Standard error of `sigma` (delta method). */
  sigmaSe: number;
  /** Returns taken in, and their effective number `(sum w dt)^2 / sum w^2 dt^2`. */
  returns: number;
  effectiveReturns: number;
}

/** The online estimator: feed ticks in time order with `update`, read with `estimate`. */
export class TapeVolatility {
  private readonly halfLifeMs: number;
  private readonly kind: 'log' | 'price';
  private readonly timeUnitMs: number;
  private readonly minIntervalMs: number;
  private anchorTime = NaN;
  private anchorValue = NaN;
  private lastTime = -Infinity;
  private sumR2 = 0;
  private sumDt = 0;
  private sumDt2 = 0;
  private count = 0;

  constructor(options: TapeVolatilityOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InputError('options', options, '{ halfLifeMs, kind?, timeUnitMs?, minIntervalMs? }');
    }
    const { halfLifeMs } = options;
    if (typeof halfLifeMs !== 'number' || !(halfLifeMs > 0)) {
      throw new InputError('halfLifeMs', halfLifeMs, 'a number > 0 (Infinity: no forgetting)');
    }
    const kind = options.kind ?? 'log';
    if (kind !== 'log' && kind !== 'price') throw new InputError('kind', kind, '"log" or "price"');
    const timeUnitMs = options.timeUnitMs ?? 1000;
    checkPositiveFinite('timeUnitMs', timeUnitMs);
    const minIntervalMs = options.minIntervalMs ?? 0;
    checkFinite('minIntervalMs', minIntervalMs);
    if (minIntervalMs < 0) throw new InputError('minIntervalMs', minIntervalMs, 'a number >= 0');
    this.halfLifeMs = halfLifeMs;
    this.kind = kind;
    this.timeUnitMs = timeUnitMs;
    this.minIntervalMs = minIntervalMs;
  }

  /** Takes a tick: time (ms, not before the previous tick's) and price (> 0 for log returns). */
  update(timestampMs: number, price: number): void {
    checkFinite('timestampMs', timestampMs);
    if (timestampMs < this.lastTime) {
      throw new InputError('timestampMs', timestampMs, `at or after the previous tick (${this.lastTime})`);
    }
    if (this.kind === 'log') checkPositiveFinite('price', price);
    else checkFinite('price', price);
    this.lastTime = timestampMs;
    const value = this.kind === 'log' ? Math.log(price) : price;
    if (Number.isNaN(this.anchorTime)) {
      this.anchorTime = timestampMs;
      this.anchorValue = value;
      return;
    }
    const dt = timestampMs - this.anchorTime;
    if (!(dt > 0) || dt < this.minIntervalMs) return;
    // Decay everything to the new tick's time, then add the return ending there (weight 1).
    const decay = this.halfLifeMs === Infinity ? 1 : Math.pow(2, -dt / this.halfLifeMs);
    const r = value - this.anchorValue;
    this.sumR2 = this.sumR2 * decay + r * r;
    this.sumDt = this.sumDt * decay + dt;
    this.sumDt2 = this.sumDt2 * decay * decay + dt * dt;
    this.count++;
    this.anchorTime = timestampMs;
    this.anchorValue = value;
  }

  /** The current estimate, or null before the first return. */
  estimate(): TapeVolatilityEstimate | null {
    if (this.count === 0 || !(this.sumDt > 0)) return null;
    const perMs = this.sumR2 / this.sumDt;
    const variance = perMs * this.timeUnitMs;
    const sigma = Math.sqrt(variance);
    const relative = Math.sqrt(2 * this.sumDt2) / this.sumDt;
    const varianceSe = variance * relative;
    return {
      variance,
      sigma,
      varianceSe,
      sigmaSe: sigma > 0 ? varianceSe / (2 * sigma) : 0,
      returns: this.count,
      effectiveReturns: (this.sumDt * this.sumDt) / this.sumDt2,
    };
  }

  /**
   * For log returns: the volatility in price units at `price`, `price sigma` (what AS and GLFT
   * take), with its standard error. For price returns: the estimate as it is.
   */
  priceSigma(price: number): { sigma: number; sigmaSe: number } | null {
    const e = this.estimate();
    if (e === null) return null;
    if (this.kind === 'price') return { sigma: e.sigma, sigmaSe: e.sigmaSe };
    checkPositiveFinite('price', price);
    return { sigma: price * e.sigma, sigmaSe: price * e.sigmaSe };
  }
}
