/**
 * Limits before every order: the book's exposure per limit, kept incrementally, and a check of
 * a proposed order that says accept, or every limit it would breach (which, current, after,
 * allowed).
 *
 * Each instrument's contribution per unit of amount to each measure (`UnitExposure`) is
 * computed once from the market (`unitExposure`); the limits an instrument falls under are
 * found once and cached. A check then costs one multiply-add per limit the instrument touches:
 * no recomputation of the book. Fills and resting orders move the kept exposures the same way.
 *
 * Units, named in each measure: `position` in the venue's unit; `notional_usd` the underlying's
 * USD value (options: contracts x index; inverse futures: the USD amount); `delta_coin` the
 * delta in coin (options: premium-adjusted per contract unless the file says `delta: black`;
 * inverse futures: USD amount / mark price); `delta_usd` = delta_coin x index; `gamma_coin` the
 * change of the coin delta per 1% move; `vega_usd` USD per vol point; `vega_weighted_usd` vega x
 * sqrt(30 / days to expiry); `vega_parallel_usd`, `vega_skew_usd`, `vega_butterfly_usd` the vega
 * exposures to a parallel, a skew and a butterfly move of the smile (see `unitExposure`), per
 * expiry with an `expiry` scope; `theta_usd` USD per day.
 * `daily_loss_usd` and `drawdown_usd` are the book's state, set with `setPnl`: no single order
 * moves them, and while one is breached only orders that reduce every other breach pass.
 */
import { InputError } from '../../model/errors.js';
import { parseInstrumentName, type ParsedInstrumentName } from '../../model/instrument-name.js';
import { venueGreeks } from '../../pricing/coin.js';
import type { RiskMarket } from '../inputs.js';
import {
  isOrderMeasure,
  type LimitsConfig,
  type LimitSpec,
  type Measure,
  type OrderMeasure,
} from './config.js';
import { MS_PER_DAY } from '../../model/time.js';

/** An instrument's contribution per unit of amount to each order measure. */
export type UnitExposure = Readonly<Record<OrderMeasure, number>>;

/**
 * Per-unit exposures of `instrument` from the market: options from Black-76 at the line's
 * forward and our implied vol of the mark (the venue's mark iv where we have none); inverse
 * futures and perpetuals from their mark. Throws `InputError` for an instrument without a line.
 */
export function unitExposure(
  instrument: string,
  market: RiskMarket,
  delta: LimitsConfig['delta'],
): UnitExposure {
  const parsed = parseInstrumentName(instrument);
  const index = market.index.get(parsed.base);
  if (parsed.kind === 'option') {
    const q = market.options.get(instrument);
    if (q === undefined || index === undefined)
      throw new InputError('instrument', instrument, 'an option with a market line');
    const vol = q.ivMark ?? q.venueMarkIv;
    const g = venueGreeks(q.kind, q.forwardUsd, q.strike, q.yearsToExpiry, vol, q.rate);
    const deltaCoin = delta === 'black' ? g.deltaPerCoin : g.premiumAdjustedDeltaPerCoin;
    const days = Math.max((q.expiryMs - q.timestampMs) / MS_PER_DAY, 1 / 24);
    return {
      position: 1,
      notional_usd: index,
      delta_coin: deltaCoin,
      delta_usd: deltaCoin * index,
      // Coin delta gained per 1% move of the underlying: gamma (per USD) x 1% of the forward.
      gamma_coin: g.gammaPerUsd * q.forwardUsd * 0.01,
      vega_usd: g.vegaUsdPerVolPoint,
      vega_weighted_usd: g.vegaUsdPerVolPoint * Math.sqrt(30 / days),
      // Vega split by the shape of a smile move dsigma(x) = a + b x + c x^2 in standardized
      // moneyness x = ln(K / F) / (sigma sqrt(T)): the exposures to a (parallel), b (skew) and
      // c (butterfly), per vol point of each.
      vega_parallel_usd: g.vegaUsdPerVolPoint,
      vega_skew_usd: g.vegaUsdPerVolPoint * moneyness(q.strike, q.forwardUsd, vol, q.yearsToExpiry),
      vega_butterfly_usd: g.vegaUsdPerVolPoint * moneyness(q.strike, q.forwardUsd, vol, q.yearsToExpiry) ** 2,
      theta_usd: g.thetaUsdPerDay,
    };
  }
  const f = market.futures.get(instrument);
  if (f === undefined || index === undefined)
    throw new InputError('instrument', instrument, 'a future with a market line');
  if (parsed.settlement !== 'inverse') {
    // Linear (USDC) futures and perpetuals: amount in coin.
    return { ...ZERO_EXPOSURE, position: 1, notional_usd: f.markPrice, delta_coin: 1, delta_usd: index };
  }
  return {
    ...ZERO_EXPOSURE,
    position: 1,
    notional_usd: 1,
    delta_coin: 1 / f.markPrice,
    delta_usd: index / f.markPrice,
  };
}

const ZERO_EXPOSURE: UnitExposure = {
  position: 0,
  notional_usd: 0,
  delta_coin: 0,
  delta_usd: 0,
  gamma_coin: 0,
  vega_usd: 0,
  vega_weighted_usd: 0,
  vega_parallel_usd: 0,
  vega_skew_usd: 0,
  vega_butterfly_usd: 0,
  theta_usd: 0,
};

/** Standardized moneyness ln(K / F) / (sigma sqrt(T)). */
function moneyness(strike: number, forward: number, vol: number, years: number): number {
  return Math.log(strike / forward) / (vol * Math.sqrt(years));
}

/** A breach: which limit, the value now, after the order (worst case with resting orders where the limit says), and what is allowed. */
export interface Breach {
  limit: string;
  measure: Measure;
  current: number;
  after: number;
  allowed: { min: number; max: number };
}

/** The answer to a proposed order. */
export interface CheckResult {
  accepted: boolean;
  breaches: Breach[];
}

/** A resting or proposed order: signed amount (buy > 0) of an instrument. */
export interface OrderIntent {
  instrument: string;
  /** Signed, in the venue's unit: buy > 0, sell < 0. */
  amount: number;
}

interface InstrumentEntry {
  exposure: UnitExposure;
  /** Indexes of the limits the instrument falls under, with the per-unit contribution to each. */
  limits: Int32Array;
  perUnit: Float64Array;
}

export class PreTradeChecker {
  private readonly specs: LimitSpec[];
  /** Exposure of the book's positions per limit. */
  private readonly held: Float64Array;
  /** Sums of the resting orders' positive and negative contributions per limit. */
  private readonly restingUp: Float64Array;
  private readonly restingDown: Float64Array;
  private readonly entries = new Map<string, InstrumentEntry>();
  private dailyLossUsd = 0;
  private drawdownUsd = 0;
  /** Position by instrument, for "reduces the position" under a loss or drawdown breach. */
  private readonly positions = new Map<string, number>();

  constructor(
    readonly config: LimitsConfig,
    private readonly exposureOf: (instrument: string) => UnitExposure,
  ) {
    this.specs = config.limits;
    this.held = new Float64Array(this.specs.length);
    this.restingUp = new Float64Array(this.specs.length);
    this.restingDown = new Float64Array(this.specs.length);
  }

  /** A checker on `market` (exposures from `unitExposure`). */
  static forMarket(config: LimitsConfig, market: RiskMarket): PreTradeChecker {
    return new PreTradeChecker(config, (instrument) => unitExposure(instrument, market, config.delta));
  }

  /** Adds a filled amount (signed) to the book. */
  addPosition(instrument: string, amount: number): void {
    const e = this.entry(instrument);
    for (let k = 0; k < e.limits.length; k++) {
      const i = e.limits[k] as number;
      this.held[i] = (this.held[i] as number) + amount * (e.perUnit[k] as number);
    }
    this.positions.set(instrument, (this.positions.get(instrument) ?? 0) + amount);
  }

  /** Adds (or with `remove`, takes back) a resting order. */
  addResting(order: OrderIntent, remove = false): void {
    const e = this.entry(order.instrument);
    const sign = remove ? -1 : 1;
    for (let k = 0; k < e.limits.length; k++) {
      const c = order.amount * (e.perUnit[k] as number);
      const i = e.limits[k] as number;
      if (c > 0) this.restingUp[i] = (this.restingUp[i] as number) + sign * c;
      else this.restingDown[i] = (this.restingDown[i] as number) + sign * c;
    }
  }

  /** The book's state measures: today's loss (a positive number is a loss) and the drawdown from the peak, USD. */
  setPnl(dailyLossUsd: number, drawdownUsd: number): void {
    this.dailyLossUsd = dailyLossUsd;
    this.drawdownUsd = drawdownUsd;
  }

  /** Every limit's value now (positions only) and whether it is within bounds. */
  exposures(): {
    limit: string;
    measure: Measure;
    value: number;
    min: number;
    max: number;
    breached: boolean;
  }[] {
    return this.specs.map((s, i) => {
      const value = this.valueNow(i);
      return {
        limit: s.name,
        measure: s.measure,
        value,
        min: s.min,
        max: s.max,
        breached: value < s.min || value > s.max,
      };
    });
  }

  /**
   * Checks a proposed order against every limit. An order may leave a limit outside its bounds
   * only if it moves it back toward them (a limit the market pushed out can be reduced). While
   * a loss or drawdown limit is breached, only orders that reduce their instrument's position
   * pass. With `reducingOnly` (the REDUCING state), the order must also reduce something
   * breached: a breached limit it touches, or its position under a breached loss limit;
   * otherwise it is refused with the breached limits.
   */
  check(order: OrderIntent, reducingOnly = false): CheckResult {
    if (!Number.isFinite(order.amount) || order.amount === 0)
      throw new InputError('amount', order.amount, 'a non-zero signed amount');
    const e = this.entry(order.instrument);
    const breaches: Breach[] = [];
    let reduces = false;
    for (let k = 0; k < e.limits.length; k++) {
      const i = e.limits[k] as number;
      const spec = this.specs[i] as LimitSpec;
      const current = this.held[i] as number;
      const move = order.amount * (e.perUnit[k] as number);
      let after = current + move;
      if (spec.includeResting) {
        const up = after + (this.restingUp[i] as number);
        const down = after + (this.restingDown[i] as number);
        after = up - spec.max > spec.min - down ? up : down;
      }
      const wasOutside = current > spec.max || current < spec.min;
      const towardBounds =
        wasOutside &&
        Math.abs(current + move - clamp(current, spec)) < Math.abs(current - clamp(current, spec));
      if (towardBounds) reduces = true;
      if ((after > spec.max || after < spec.min) && !towardBounds) {
        breaches.push({
          limit: spec.name,
          measure: spec.measure,
          current,
          after,
          allowed: { min: spec.min, max: spec.max },
        });
      }
    }
    const position = this.positions.get(order.instrument) ?? 0;
    const reducesPosition =
      position !== 0 &&
      Math.abs(position + order.amount) < Math.abs(position) &&
      Math.sign(position + order.amount) !== -Math.sign(position);
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i] as LimitSpec;
      if (isOrderMeasure(spec.measure)) continue;
      const value = this.valueNow(i);
      if (value <= spec.max && value >= spec.min) continue;
      if (reducesPosition) reduces = true;
      else
        breaches.push({
          limit: spec.name,
          measure: spec.measure,
          current: value,
          after: value,
          allowed: { min: spec.min, max: spec.max },
        });
    }
    if (reducingOnly && !reduces && breaches.length === 0) {
      return { accepted: false, breaches: this.breachedTouched(e) };
    }
    return { accepted: breaches.length === 0, breaches };
  }

  /** In REDUCING with nothing reduced: the breached limits (all of them when the order touches none). */
  private breachedTouched(e: InstrumentEntry): Breach[] {
    const touched = new Set(e.limits);
    const out: Breach[] = [];
    this.specs.forEach((spec, i) => {
      const value = this.valueNow(i);
      if (value <= spec.max && value >= spec.min) return;
      if (touched.size > 0 && !touched.has(i) && isOrderMeasure(spec.measure)) return;
      out.push({
        limit: spec.name,
        measure: spec.measure,
        current: value,
        after: value,
        allowed: { min: spec.min, max: spec.max },
      });
    });
    return out;
  }

  private valueNow(i: number): number {
    const spec = this.specs[i] as LimitSpec;
    if (spec.measure === 'daily_loss_usd') return this.dailyLossUsd;
    if (spec.measure === 'drawdown_usd') return this.drawdownUsd;
    return this.held[i] as number;
  }

  private entry(instrument: string): InstrumentEntry {
    let e = this.entries.get(instrument);
    if (e !== undefined) return e;
    const exposure = this.exposureOf(instrument);
    const parsed = parseInstrumentName(instrument);
    const limits: number[] = [];
    const perUnit: number[] = [];
    this.specs.forEach((spec, i) => {
      if (!isOrderMeasure(spec.measure)) return;
      if (!inScope(spec, instrument, parsed)) return;
      limits.push(i);
      perUnit.push(exposure[spec.measure]);
    });
    e = { exposure, limits: Int32Array.from(limits), perUnit: Float64Array.from(perUnit) };
    this.entries.set(instrument, e);
    return e;
  }
}

function inScope(spec: LimitSpec, instrument: string, parsed: ParsedInstrumentName): boolean {
  const s = spec.scope;
  if (s.instrument !== undefined && s.instrument !== instrument) return false;
  if (s.underlying !== undefined && s.underlying !== parsed.base) return false;
  if (s.expiry !== undefined) {
    if (parsed.kind !== 'option' && parsed.kind !== 'future') return false;
    if (instrument.split('-')[1] !== s.expiry) return false;
  }
  if (s.strikeBucket !== undefined) {
    if (parsed.kind !== 'option') return false;
    const strike = Number(parsed.strike);
    if (strike < s.strikeBucket[0] || strike > s.strikeBucket[1]) return false;
  }
  return true;
}

/** The nearest value within the limit's bounds. */
function clamp(value: number, spec: LimitSpec): number {
  return Math.min(spec.max, Math.max(spec.min, value));
}
