/**
 * Price tick rules with the dates they apply from.
 *
 * A rule is Deribit's instrument tick description: a minimum `tick_size` and `tick_size_steps`,
 * a list of `{above_price, tick_size}` meaning "a price above `above_price` must be a multiple of
 * `tick_size`" (Deribit API docs, `public/get_instruments`; support page "6 July 2023 (TS)":
 * "if price <= 0.005 then the tick size is 0.0001; if price > 0.005 then the tick size is
 * 0.0005"). Each step's tick must be a multiple of the minimum tick (same docs).
 *
 * Rules change over time (BTC and ETH options moved from a flat 0.0005 to 0.0001/0.0005 on
 * 6 July 2023), so a schedule holds rules with the instant each one takes effect, and every
 * question is asked at a timestamp.
 *
 * Arithmetic is done in whole ticks: a price is on a tick when price / tick is within
 * `tickTolerance` of an integer (1e-9 of a tick, widened by 64 units in the last place for large
 * tick counts, far above the rounding error of a price computed in a few floating-point steps
 * and far below any real price difference), and snapped prices are built from the integer tick
 * count and rounded to the tick's decimals, so `snap(0.1 + 0.2, ...)` on a 0.0005 tick gives
 * exactly 0.3.
 */
import { decimalPlaces } from './decimal.js';
import { InputError } from './errors.js';

/** A price step: prices strictly above `abovePrice` use `tickSize`. */
export interface TickStep {
  abovePrice: number;
  tickSize: number;
}

/** One tick rule and the instant from which it applies (inclusive). */
export interface TickRule {
  /** First instant the rule applies; `-Infinity` for "since the instrument was listed". */
  effectiveFromMs: number;
  /** Tick for prices at or below the first step (the venue's `tick_size`). */
  tickSize: number;
  /** Larger ticks above given prices (the venue's `tick_size_steps`), in increasing price. */
  steps: readonly TickStep[];
  /** Where the rule comes from, for reports. */
  source?: string;
}

/** Direction to snap an off-tick price: down, up, or to the nearest tick (ties go up). */
export type SnapMode = 'down' | 'up' | 'nearest';

/** Absolute part of the tolerance, in ticks, for treating a price as on a tick. */
export const TICK_TOLERANCE = 1e-9;

/** Tolerance, in ticks, at a price of `units` ticks: 1e-9 plus 64 ulps of `units`. */
export function tickTolerance(units: number): number {
  return TICK_TOLERANCE + 64 * Number.EPSILON * Math.abs(units);
}

/** The tick rules of one instrument over time. */
export class TickSchedule {
  readonly rules: readonly TickRule[];

  /** Validates and stores rules; they must be in strictly increasing `effectiveFromMs`. */
  constructor(rules: readonly TickRule[]) {
    if (!Array.isArray(rules) || rules.length === 0) {
      throw new InputError('rules', rules, 'at least one tick rule');
    }
    rules.forEach((rule, index) => validateRule(rule, `rules[${index}]`));
    for (let i = 1; i < rules.length; i++) {
      const previous = rules[i - 1] as TickRule;
      const current = rules[i] as TickRule;
      if (!(current.effectiveFromMs > previous.effectiveFromMs)) {
        throw new InputError(
          `rules[${i}].effectiveFromMs`,
          current.effectiveFromMs,
          `later than rules[${i - 1}].effectiveFromMs (${previous.effectiveFromMs})`,
        );
      }
    }
    // Frozen copies: schedules are shared (the built-in ones are module constants).
    this.rules = Object.freeze(
      rules.map((rule: TickRule) =>
        Object.freeze({
          ...rule,
          steps: Object.freeze(rule.steps.map((step: TickStep) => Object.freeze({ ...step }))),
        }),
      ),
    );
  }

  /** A schedule with a single rule that has always applied. */
  static constant(tickSize: number, steps: readonly TickStep[] = [], source?: string): TickSchedule {
    return new TickSchedule([{ effectiveFromMs: Number.NEGATIVE_INFINITY, tickSize, steps, source }]);
  }

  /**
   * This schedule with `rule` in force from `rule.effectiveFromMs` on: earlier rules are kept
   * for earlier times, and rules from that instant on are replaced.
   */
  withRule(rule: TickRule): TickSchedule {
    const kept = this.rules.filter((existing) => existing.effectiveFromMs < rule.effectiveFromMs);
    return new TickSchedule([...kept, rule]);
  }

  /** The rule in force at `atMs`. Throws `InputError` before the first rule. */
  ruleAt(atMs: number): TickRule {
    if (typeof atMs !== 'number' || Number.isNaN(atMs)) {
      throw new InputError('atMs', atMs, 'a timestamp in milliseconds');
    }
    let found: TickRule | undefined;
    for (const rule of this.rules) {
      if (rule.effectiveFromMs <= atMs) found = rule;
      else break;
    }
    if (found === undefined) {
      const first = this.rules[0] as TickRule;
      throw new InputError(
        'atMs',
        atMs,
        `a time at or after ${new Date(first.effectiveFromMs).toISOString()}, when the first known tick rule starts`,
      );
    }
    return found;
  }

  /** The tick that applies to `price` at `atMs`. */
  tickAt(price: number, atMs: number): number {
    requirePrice(price);
    const rule = this.ruleAt(atMs);
    return tickOfBand(rule, bandOf(rule, price));
  }

  /** True when `price` is a multiple of the tick that applies to it at `atMs`. */
  isOnTick(price: number, atMs: number): boolean {
    return ticksOf(price, this.tickAt(price, atMs)).exact;
  }

  /** `price` moved to the next valid price in the direction `mode` (itself if on a tick). */
  snap(price: number, atMs: number, mode: SnapMode): number {
    requirePrice(price);
    const rule = this.ruleAt(atMs);
    if (mode === 'down') return snapDown(rule, price);
    if (mode === 'up') return snapUp(rule, price);
    if (mode !== 'nearest') throw new InputError('mode', mode, '"down", "up" or "nearest"');
    const down = snapDown(rule, price);
    const up = snapUp(rule, price);
    if (down === up) return down;
    // Compare distances in ticks of the band `price` is in, with the same tolerance as isOnTick.
    const tick = tickOfBand(rule, bandOf(rule, price));
    const belowTicks = (price - down) / tick;
    const aboveTicks = (up - price) / tick;
    if (Math.abs(belowTicks - aboveTicks) <= tickTolerance(price / tick)) return up;
    return belowTicks < aboveTicks ? down : up;
  }
}

function validateRule(rule: TickRule, path: string): void {
  if (typeof rule !== 'object' || rule === null) throw new InputError(path, rule, 'a tick rule object');
  if (
    typeof rule.effectiveFromMs !== 'number' ||
    Number.isNaN(rule.effectiveFromMs) ||
    rule.effectiveFromMs === Infinity
  ) {
    throw new InputError(
      `${path}.effectiveFromMs`,
      rule.effectiveFromMs,
      'a timestamp in milliseconds or -Infinity',
    );
  }
  requirePositive(`${path}.tickSize`, rule.tickSize);
  if (!Array.isArray(rule.steps))
    throw new InputError(`${path}.steps`, rule.steps, 'an array of {abovePrice, tickSize}');
  let previousAbove = Number.NEGATIVE_INFINITY;
  rule.steps.forEach((step, index) => {
    const stepPath = `${path}.steps[${index}]`;
    if (typeof step !== 'object' || step === null)
      throw new InputError(stepPath, step, 'a {abovePrice, tickSize} object');
    if (
      typeof step.abovePrice !== 'number' ||
      !Number.isFinite(step.abovePrice) ||
      !(step.abovePrice > previousAbove)
    ) {
      throw new InputError(
        `${stepPath}.abovePrice`,
        step.abovePrice,
        `a finite price above ${previousAbove}`,
      );
    }
    requirePositive(`${stepPath}.tickSize`, step.tickSize);
    if (!ticksOf(step.tickSize, rule.tickSize).exact) {
      throw new InputError(
        `${stepPath}.tickSize`,
        step.tickSize,
        `a multiple of the minimum tick ${rule.tickSize}`,
      );
    }
    previousAbove = step.abovePrice;
  });
}

function requirePositive(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InputError(field, value, 'a positive finite number');
  }
}

function requirePrice(price: number): void {
  if (typeof price !== 'number' || !Number.isFinite(price))
    throw new InputError('price', price, 'a finite price');
}

/** Price bands: band 0 is at or below the first step, band i is above step i-1's price. */
function bandOf(rule: TickRule, price: number): number {
  let band = 0;
  while (
    band < rule.steps.length &&
    isAbove(price, (rule.steps[band] as TickStep).abovePrice, tickOfBand(rule, band))
  ) {
    band++;
  }
  return band;
}

function tickOfBand(rule: TickRule, band: number): number {
  return band === 0 ? rule.tickSize : (rule.steps[band - 1] as TickStep).tickSize;
}

/** `price > boundary`, where being within tolerance of the boundary counts as at it. */
function isAbove(price: number, boundary: number, tickBelow: number): boolean {
  return (price - boundary) / tickBelow > tickTolerance(boundary / tickBelow);
}

/** `price / tick`, snapped to the integer it is within tolerance of, if any. */
function ticksOf(price: number, tick: number): { units: number; exact: boolean } {
  const units = price / tick;
  const nearest = Math.round(units);
  if (Math.abs(units - nearest) <= tickTolerance(units)) {
    return { units: nearest, exact: true };
  }
  return { units, exact: false };
}

/** The price of a whole number of ticks, rounded to the tick's decimals (0.0003, not 0.00030000000000000003). */
function priceOfTicks(units: number, tick: number): number {
  const value = Number((units * tick).toFixed(Math.min(100, decimalPlaces(tick))));
  return value === 0 ? 0 : value; // no -0
}

function snapDown(rule: TickRule, price: number): number {
  let band = bandOf(rule, price);
  let target = price;
  for (;;) {
    const tick = tickOfBand(rule, band);
    const candidate = priceOfTicks(Math.floor(ticksOf(target, tick).units), tick);
    if (band === 0) return candidate;
    const floor = (rule.steps[band - 1] as TickStep).abovePrice;
    if (isAbove(candidate, floor, tickOfBand(rule, band - 1))) return candidate;
    // No valid price of this band lies at or below `target`: the answer is the top of the band below.
    target = floor;
    band -= 1;
  }
}

function snapUp(rule: TickRule, price: number): number {
  let band = bandOf(rule, price);
  let target = price;
  for (;;) {
    const tick = tickOfBand(rule, band);
    const candidate = priceOfTicks(Math.ceil(ticksOf(target, tick).units), tick);
    if (band === rule.steps.length) return candidate;
    const ceiling = (rule.steps[band] as TickStep).abovePrice;
    if (!isAbove(candidate, ceiling, tick)) return candidate;
    // Past this band's top: the answer is the first price of the next band, a tick above its boundary.
    const nextTick = tickOfBand(rule, band + 1);
    target = priceOfTicks(Math.floor(ticksOf(ceiling, nextTick).units) + 1, nextTick);
    band += 1;
  }
}
