/**
 * Queue position of an own resting order replayed against recorded L2 data.
 *
 * The recorded book does not hold our order: the level's amount is everyone else's. An order
 * joins at the back, with the level's whole amount ahead of it. What follows at its price moves
 * it forward:
 *
 * - A trade at its price (a taker on the other side) consumes the queue ahead first; what the
 *   trade takes beyond the amount ahead would have reached us, and fills us (up to what is
 *   left of our order). A trade *through* its price (a sell below our bid, a buy above our
 *   ask) means the whole level was taken: we are filled in full.
 * - A change of the level's amount (not explained by trades) is an addition, which joins
 *   behind us, or a cancellation, which the models treat differently:
 *   - `riskAverseQueue`: cancellations never advance us, except that the amount ahead can never
 *     exceed the level's amount (ahead = min(ahead, level)): the conservative bound.
 *   - `probabilisticQueue(f)`: a decrease of d not explained by trades is taken from ahead of us
 *     with the share f(ahead) / (f(ahead) + f(behind)), behind = level before the change -
 *     ahead; so with f(x) = x (the default, power 1) cancellations are spread in proportion to
 *     the amounts ahead and behind. Formula: ahead' = min(level', ahead - (1 - p) d +
 *     min(0, behind - p d)), p = f(behind) / (f(ahead) + f(behind)) the share from behind (what
 *     cannot come from behind comes from ahead). This is the "probabilistic queue" of
 *     hftbacktest (nkaz001/hftbacktest, `ProbQueueModel` with `PowerProbQueueFunc` x^n or
 *     `LogProbQueueFunc` ln(1 + x)), after M. Rigtorp, "Estimating order queue position" (2013,
 *     https://rigtorp.se/2013/06/08/estimating-order-queue-position.html).
 *
 * Trades and depth: a recorded trade at our price is followed (or preceded, by the recorder's
 * ordering) by the book change it caused. The trade advances us at once; the amount traded since
 * the last level change is remembered and taken off the next decrease, so that it does not
 * advance us a second time. (The risk-averse bound needs no such care: min(ahead, level) cannot
 * double count.) This assumes the trade is seen before its book change: when the change comes
 * first, the probabilistic model takes the decrease for cancellations, and the trade then
 * advances the order again (an optimistic error); order such events trade first.
 */
import { InputError } from '../model/errors.js';
import type { BookChangeEvent, BookSnapshotEvent, MarketEvent, TradeEvent } from '../market/events.js';

/** Our resting order: its side, price and size (venue units). */
export interface RestingOrder {
  side: 'buy' | 'sell';
  price: number;
  size: number;
}

/** Where a resting order stands in its level's queue. */
export interface QueuePosition {
  readonly order: RestingOrder;
  /** Amount ahead of us at our price. */
  readonly ahead: number;
  /** Amount of our order filled so far. */
  readonly filled: number;
  /** size - filled. */
  readonly remaining: number;
  /**
   * A trade on the tape: its price, amount and taker side (null when unknown: then a trade at
   * our price counts as against us). Returns the amount of our order it filled.
   */
  onTrade(price: number, amount: number, side: 'buy' | 'sell' | null): number;
  /** The level at our price now holds `amount` (others' orders; 0 when the level is gone). */
  onLevel(amount: number): void;
}

/** Makes queue positions: one model of how cancellations move an order. */
export interface QueueModel {
  readonly name: string;
  /** Our order joins the back of its level, which holds `levelAmount` now. */
  join(order: RestingOrder, levelAmount: number): QueuePosition;
}

/** f of the probabilistic queue. */
export type QueueWeight = (amount: number) => number;

/** f(x) = x^n (n = 1: proportional). */
export function powerWeight(n: number): QueueWeight {
  return (x) => Math.pow(x, n);
}

/** f(x) = ln(1 + x). */
export const logWeight: QueueWeight = (x) => Math.log1p(x);

function checkOrder(order: RestingOrder, levelAmount: number): void {
  if (!(order.size > 0) || order.size === Infinity)
    throw new InputError('size', order.size, 'a positive size');
  if (!Number.isFinite(order.price)) throw new InputError('price', order.price, 'a finite price');
  if (!(levelAmount >= 0) || levelAmount === Infinity)
    throw new InputError('levelAmount', levelAmount, 'a finite amount >= 0');
}

/** The shared part: trades, fills, the level. */
abstract class BasePosition implements QueuePosition {
  ahead: number;
  filled = 0;
  /** The level's amount as last seen. */
  protected level: number;
  /** Traded at our price since the last level update (for the probabilistic model). */
  protected tradedSinceLevel = 0;

  constructor(
    readonly order: RestingOrder,
    levelAmount: number,
  ) {
    checkOrder(order, levelAmount);
    this.ahead = levelAmount;
    this.level = levelAmount;
  }

  get remaining(): number {
    return this.order.size - this.filled;
  }

  onTrade(price: number, amount: number, side: 'buy' | 'sell' | null): number {
    if (!(amount > 0) || this.remaining <= 0) return 0;
    const buyer = this.order.side === 'buy';
    // A taker on our side does not trade against our side of the book.
    if (side !== null && (side === 'buy') === buyer) return 0;
    const through = buyer ? price < this.order.price : price > this.order.price;
    if (through) {
      const fill = this.remaining;
      this.ahead = 0;
      this.filled += fill;
      return fill;
    }
    if (price !== this.order.price) return 0;
    this.tradedSinceLevel += amount;
    const beyond = amount - this.ahead;
    this.ahead = Math.max(0, this.ahead - amount);
    if (beyond <= 0) return 0;
    const fill = Math.min(beyond, this.remaining);
    this.filled += fill;
    return fill;
  }

  abstract onLevel(amount: number): void;
}

class RiskAversePosition extends BasePosition {
  onLevel(amount: number): void {
    this.ahead = Math.min(this.ahead, amount);
    this.level = amount;
    this.tradedSinceLevel = 0;
  }
}

class ProbabilisticPosition extends BasePosition {
  constructor(
    order: RestingOrder,
    levelAmount: number,
    private readonly weight: QueueWeight,
  ) {
    super(order, levelAmount);
  }

  onLevel(amount: number): void {
    // The decrease not explained by the trades since the last update.
    const traded = this.tradedSinceLevel;
    const cancelled = this.level - amount - traded;
    const previous = this.level;
    this.level = amount;
    this.tradedSinceLevel = 0;
    if (cancelled <= 0) {
      this.ahead = Math.min(this.ahead, amount);
      return;
    }
    const front = this.ahead;
    // Behind us: the level before the change less what the trades took, less what is ahead.
    const back = Math.max(0, previous - traded - front);
    const fFront = this.weight(front);
    const fBack = this.weight(back);
    const total = fFront + fBack;
    const p = total > 0 && Number.isFinite(total) ? fBack / total : 1; // share from behind
    const estimate = front - (1 - p) * cancelled + Math.min(0, back - p * cancelled);
    this.ahead = Math.max(0, Math.min(estimate, amount));
  }
}

/** Advances only on trades at our price; cancellations ahead do not move us (ahead <= level). */
export const riskAverseQueue: QueueModel = {
  name: 'risk-averse',
  join: (order, levelAmount) => new RiskAversePosition(order, levelAmount),
};

/**
 * Cancellations advance us by their share from ahead, f(ahead) / (f(ahead) + f(behind)) (see the
 * module's comment); default f(x) = x.
 */
export function probabilisticQueue(weight: QueueWeight = powerWeight(1), name = 'probabilistic'): QueueModel {
  return { name, join: (order, levelAmount) => new ProbabilisticPosition(order, levelAmount, weight) };
}

/** A fill of our order during a replay. */
export interface QueueFill {
  timestampMs: number;
  amount: number;
  /** The trade that filled us. */
  tradeId: string;
}

/** What `replayQueue` found. */
export interface QueueReplay {
  fills: QueueFill[];
  filled: number;
  /** Amount ahead after the last event. */
  ahead: number;
  /** Ahead after each level change or trade at our price: [timestampMs, ahead]. */
  aheadPath: [number, number][];
}

/**
 * Replays one instrument's recorded events against our order, placed at `placedAtMs`: it joins
 * behind the level as last seen before then (or, when none was, at the first level seen after),
 * and events from `placedAtMs` on move it. Events must be in time order; within one timestamp a
 * trade should come before the book change it caused (see the module's comment).
 * Book snapshots and changes on our side give the level's amount (a snapshot without our price:
 * 0 if it is a full snapshot or its range covers our price, else ignored); trades fill.
 * Stops when the order is filled.
 */
export function replayQueue(
  model: QueueModel,
  order: RestingOrder,
  events: Iterable<MarketEvent>,
  placedAtMs = -Infinity,
): QueueReplay {
  let level: number | undefined;
  let position: QueuePosition | undefined;
  const fills: QueueFill[] = [];
  const aheadPath: [number, number][] = [];
  for (const event of events) {
    let seen: number | undefined;
    if (event.type === 'book_snapshot') seen = levelInSnapshot(event, order);
    else if (event.type === 'book_change') seen = levelInChange(event, order);
    if (event.timestampMs < placedAtMs) {
      if (seen !== undefined) level = seen;
      continue;
    }
    if (position === undefined) {
      if (level === undefined) {
        // No level known at placement: join at the first one seen.
        if (seen === undefined) continue;
        level = seen;
        position = model.join(order, level);
        aheadPath.push([event.timestampMs, position.ahead]);
        continue;
      }
      // Placed behind the level as last seen before `placedAtMs`; this event comes after.
      position = model.join(order, level);
      aheadPath.push([placedAtMs, position.ahead]);
    }
    if (seen !== undefined) {
      position.onLevel(seen);
      aheadPath.push([event.timestampMs, position.ahead]);
    } else if (event.type === 'trade') {
      const t: TradeEvent = event;
      const amount = position.onTrade(t.price, t.amount, t.side);
      if (amount > 0) fills.push({ timestampMs: t.timestampMs, amount, tradeId: t.tradeId });
      if (t.price === order.price) aheadPath.push([t.timestampMs, position.ahead]);
      if (position.remaining <= 0) break;
    }
  }
  return {
    fills,
    filled: position?.filled ?? 0,
    ahead: position?.ahead ?? level ?? 0,
    aheadPath,
  };
}

function levelInSnapshot(event: BookSnapshotEvent, order: RestingOrder): number | undefined {
  const levels = order.side === 'buy' ? event.bids : event.asks;
  for (const l of levels) if (l.price === order.price) return l.amount;
  if (event.full) return 0;
  const last = levels[levels.length - 1];
  if (last === undefined) return undefined;
  const covered = order.side === 'buy' ? order.price > last.price : order.price < last.price;
  return covered ? 0 : undefined;
}

function levelInChange(event: BookChangeEvent, order: RestingOrder): number | undefined {
  const changes = order.side === 'buy' ? event.bids : event.asks;
  let amount: number | undefined;
  for (const c of changes) if (c.price === order.price) amount = c.action === 'delete' ? 0 : c.amount;
  return amount;
}
