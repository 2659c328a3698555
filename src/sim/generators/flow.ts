/**
 * Seeded order flow: market orders that reach a quote at distance delta from the mid at the
 * rate A exp(-k delta) (M. Avellaneda and S. Stoikov, "High-frequency trading in a limit order
 * book", Quantitative Finance 8(3), 2008, section 2.3), informed flow, and bursts of large
 * orders.
 *
 * Units: the intensity functions are unit-free (A per unit of time, dt in the same unit); the
 * generators of orders take rates per second and produce venue timestamps in ms.
 *
 * Arrivals that reach delta. Market orders of one side arrive as a Poisson process of rate A;
 * each reaches a depth drawn from the exponential law of rate k (how far from the mid it
 * would trade through the book). The orders that reach a quote at distance delta are then a
 * thinned Poisson process of rate A P(reach >= delta) = A exp(-k delta), the AS2008 intensity,
 * and one generated stream serves every quote distance at once.
 *
 * Informed flow. A share `informedShare` of the trades is informed: its side is the sign of the
 * mid's move over the next `horizonMs` (buy before a rise); the rest pick a side at random
 * (a trade on an unchanged mid too). So a trade's side predicts the next move with probability
 * share + (1 - share) / 2 whenever the mid moves.
 *
 * Bursts. Clustered arrivals of large orders as a Poisson cluster (Neyman-Scott) process: burst
 * starts arrive at `burstsPerSecond`; a burst holds 1 + Poisson(meanOrders - 1) orders of one
 * side, the first at the start and the next after exponential gaps of mean `meanGapMs`, each of
 * size `size()`. The count in a window much longer than a burst then has mean
 * rate T meanOrders and variance rate T E[N^2] (> the mean: overdispersed, clustered).
 */
import { InputError } from '../../model/errors.js';
import type { Rng } from '../random.js';

/** AS2008's intensity of market orders that reach a quote at distance `delta`: A exp(-k delta). */
export function fillIntensity(a: number, k: number, delta: number): number {
  return a * Math.exp(-k * delta);
}

/**
 * Probability that a quote at distance `delta` is hit at least once within `dt`: 1 - exp(-A
 * exp(-k delta) dt) (Poisson arrivals; AS2008's discrete simulation uses its first-order
 * approximation A exp(-k delta) dt).
 */
export function hitProbability(a: number, k: number, delta: number, dt: number): number {
  return -Math.expm1(-fillIntensity(a, k, delta) * dt);
}

/** Whether a quote at distance `delta` is hit within `dt` (one uniform draw). */
export function drawHit(rng: Rng, a: number, k: number, delta: number, dt: number): boolean {
  return rng.uniform() < hitProbability(a, k, delta, dt);
}

/**
 * When, within `dt`, a quote at distance `delta` is first hit: the exponential arrival time of
 * rate A exp(-k delta), or null if it falls beyond `dt` (one uniform draw; P(not null) =
 * `hitProbability`).
 */
export function drawHitTime(rng: Rng, a: number, k: number, delta: number, dt: number): number | null {
  const rate = fillIntensity(a, k, delta);
  if (!(rate > 0)) return null;
  const t = rng.exponential(rate);
  return t < dt ? t : null;
}

/** A taker's market order. */
export interface TakerOrder {
  timestampMs: number;
  /** The taker's side: `buy` lifts the asks. */
  side: 'buy' | 'sell';
  /** Amount in the venue's unit. */
  size: number;
  /** How far from the mid it trades through (price units): it hits every quote within this distance. */
  reach: number;
  /** Informed (side from the next move), or part of a burst. */
  informed?: boolean;
  burst?: boolean;
}

/** A size distribution: draws a size from the given stream. */
export type SizeSampler = (rng: Rng) => number;

/** Sizes from a lognormal law with the given median and log standard deviation. */
export function lognormalSize(median: number, logStd: number): SizeSampler {
  return (rng) => median * Math.exp(logStd * rng.normal());
}

export interface TakerFlowOptions {
  rng: Rng;
  startMs: number;
  endMs: number;
  /** A: market orders per second on each side (buys and sells each). */
  ratePerSecond: number;
  /** k: the decay of the reach, per price unit. */
  k: number;
  /** Order sizes; default 1. */
  size?: SizeSampler;
}

function checkWindow(startMs: number, endMs: number): void {
  if (!Number.isFinite(startMs) || !(endMs >= startMs) || endMs === Infinity)
    throw new InputError('endMs', endMs, `a finite time >= startMs (${startMs})`);
}

function positiveRate(field: string, value: number): void {
  if (!(value >= 0) || value === Infinity) throw new InputError(field, value, 'a finite rate >= 0');
}

/**
 * Taker market orders in [startMs, endMs): each side a Poisson process of rate A per second,
 * each order reaching an Exponential(k) distance. Sorted by time; streams `buy`, `sell` (times,
 * reaches) and `size` of `rng`, so adding sizes does not move the times.
 */
export function takerFlow(o: TakerFlowOptions): TakerOrder[] {
  checkWindow(o.startMs, o.endMs);
  positiveRate('ratePerSecond', o.ratePerSecond);
  if (!(o.k > 0) || o.k === Infinity) throw new InputError('k', o.k, 'a positive finite decay');
  const sizes = o.rng.stream('size');
  const size = o.size ?? (() => 1);
  const orders: TakerOrder[] = [];
  for (const side of ['buy', 'sell'] as const) {
    const r = o.rng.stream(side);
    const ratePerMs = o.ratePerSecond / 1000;
    if (!(ratePerMs > 0)) continue;
    for (let t = o.startMs + r.exponential(ratePerMs); t < o.endMs; t += r.exponential(ratePerMs)) {
      orders.push({ timestampMs: t, side, size: 0, reach: r.exponential(o.k) });
    }
  }
  orders.sort((x, y) => x.timestampMs - y.timestampMs || (x.side === 'buy' ? -1 : 1));
  for (const order of orders) order.size = size(sizes);
  return orders;
}

/** A mid-price path to inform trades: times (ms, increasing) and mids. */
export interface MidPath {
  timestampMs: ArrayLike<number>;
  prices: ArrayLike<number>;
}

/** The mid at `timeMs`: the last point at or before it (the first point before the path). */
export function midAt(path: MidPath, timeMs: number): number {
  const times = path.timestampMs;
  let lo = 0;
  let hi = times.length - 1;
  if (hi < 0) throw new InputError('path', 'an empty path', 'at least one point');
  if (timeMs >= times[hi]!) return path.prices[hi]!;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (times[mid]! <= timeMs) lo = mid;
    else hi = mid - 1;
  }
  return path.prices[lo]!;
}

export interface InformedFlowOptions {
  rng: Rng;
  mid: MidPath;
  /** Trades per second (one Poisson process, both sides). */
  ratePerSecond: number;
  /** Share of trades whose side follows the next move, in [0, 1]. */
  informedShare: number;
  /** How far ahead the informed see, ms. */
  horizonMs: number;
  /** Window; default the path's span. */
  startMs?: number;
  endMs?: number;
  /** Reach of each order (price units): Exponential(k) when k is given, else 0. */
  k?: number;
  size?: SizeSampler;
}

/**
 * Trades on a mid path where a share is informed about the move over the next `horizonMs`
 * (streams `times`, `informed`, `side`, `reach`, `size`).
 */
export function informedFlow(o: InformedFlowOptions): TakerOrder[] {
  const startMs = o.startMs ?? o.mid.timestampMs[0]!;
  const endMs = o.endMs ?? o.mid.timestampMs[o.mid.timestampMs.length - 1]!;
  checkWindow(startMs, endMs);
  positiveRate('ratePerSecond', o.ratePerSecond);
  if (!(o.informedShare >= 0 && o.informedShare <= 1))
    throw new InputError('informedShare', o.informedShare, 'a share in [0, 1]');
  if (!(o.horizonMs > 0)) throw new InputError('horizonMs', o.horizonMs, 'a positive horizon');
  const times = o.rng.stream('times');
  const informed = o.rng.stream('informed');
  const sides = o.rng.stream('side');
  const reaches = o.rng.stream('reach');
  const sizes = o.rng.stream('size');
  const size = o.size ?? (() => 1);
  const ratePerMs = o.ratePerSecond / 1000;
  const orders: TakerOrder[] = [];
  if (!(ratePerMs > 0)) return orders;
  for (let t = startMs + times.exponential(ratePerMs); t < endMs; t += times.exponential(ratePerMs)) {
    const isInformed = informed.uniform() < o.informedShare;
    const move = midAt(o.mid, t + o.horizonMs) - midAt(o.mid, t);
    const coin = sides.uniform() < 0.5;
    const side: 'buy' | 'sell' =
      isInformed && move !== 0 ? (move > 0 ? 'buy' : 'sell') : coin ? 'buy' : 'sell';
    const reach = o.k === undefined ? 0 : reaches.exponential(o.k);
    orders.push({ timestampMs: t, side, size: size(sizes), reach, informed: isInformed });
  }
  return orders;
}

export interface BurstFlowOptions {
  rng: Rng;
  startMs: number;
  endMs: number;
  /** Burst starts per second. */
  burstsPerSecond: number;
  /** Mean orders per burst (>= 1): 1 + Poisson(meanOrders - 1). */
  meanOrders: number;
  /** Mean gap between the orders of a burst, ms. */
  meanGapMs: number;
  /** Order sizes (large ones); default 1. */
  size?: SizeSampler;
  /** Reach of each order (price units): Exponential(k) when k is given, else Infinity (sweeps). */
  k?: number;
  /** Probability that a burst buys; default 0.5. */
  buyShare?: number;
}

/**
 * Bursts of large orders in [startMs, endMs) (orders of a burst past `endMs` are dropped), sorted
 * by time. Streams `starts` and `burst/<n>` per burst, so bursts do not share draws.
 */
export function burstFlow(o: BurstFlowOptions): TakerOrder[] {
  checkWindow(o.startMs, o.endMs);
  positiveRate('burstsPerSecond', o.burstsPerSecond);
  if (!(o.meanOrders >= 1) || o.meanOrders === Infinity)
    throw new InputError('meanOrders', o.meanOrders, 'a finite mean >= 1');
  if (!(o.meanGapMs > 0) || o.meanGapMs === Infinity)
    throw new InputError('meanGapMs', o.meanGapMs, 'a positive finite gap');
  const starts = o.rng.stream('starts');
  const size = o.size ?? (() => 1);
  const buyShare = o.buyShare ?? 0.5;
  const ratePerMs = o.burstsPerSecond / 1000;
  const orders: TakerOrder[] = [];
  if (!(ratePerMs > 0)) return orders;
  let index = 0;
  for (let t = o.startMs + starts.exponential(ratePerMs); t < o.endMs; t += starts.exponential(ratePerMs)) {
    const r = o.rng.stream(`burst/${index++}`);
    const count = 1 + r.poisson(o.meanOrders - 1);
    const side: 'buy' | 'sell' = r.uniform() < buyShare ? 'buy' : 'sell';
    let at = t;
    for (let j = 0; j < count && at < o.endMs; j++) {
      const reach = o.k === undefined ? Infinity : r.exponential(o.k);
      orders.push({ timestampMs: at, side, size: size(r), reach, burst: true });
      at += r.exponential(1 / o.meanGapMs);
    }
  }
  orders.sort((x, y) => x.timestampMs - y.timestampMs);
  return orders;
}

/** Several flows merged in time order (stable: ties keep the order of `flows`). */
export function mergeFlows(...flows: readonly TakerOrder[][]): TakerOrder[] {
  return flows.flat().sort((x, y) => x.timestampMs - y.timestampMs);
}
