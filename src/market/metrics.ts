/**
 * What a book says about liquidity: mid, microprice, spread, imbalance at the best level and
 * over the top levels, depth near the mid, the cost and slippage of trading an amount against
 * the book (the cost to unwind an inventory), and a liquidity-imbalance signal scored against
 * its recent history.
 *
 * Every function reads a `BookView` (best level first) and returns undefined where the answer
 * does not exist (an empty side), never a made-up number. Amounts are in the venue's unit,
 * prices in the instrument's price currency.
 *
 * Definitions:
 * - microprice: `(bid x askAmount + ask x bidAmount) / (bidAmount + askAmount)`, the mid moved
 *   toward the side with less resting amount (the "weighted mid price"; Stoikov, "The
 *   micro-price", Quantitative Finance 18(12), 2018, discusses it as the first approximation
 *   of his micro-price);
 * - imbalance: `(B - A) / (B + A)` in [-1, 1], B and A the bid and ask amounts, at the best level
 *   or summed over the top `n` levels with weights `decay^i` (level `i` = 0 the best): positive
 *   when bids outweigh asks (Cartea, Jaimungal and Penalva, "Algorithmic and High-Frequency
 *   Trading", 2015, section 4.2, volume imbalance);
 * - depth within a distance: the amount resting within `distance` of the mid (inclusive);
 * - cost to trade: walking the opposite side level by level, the average price paid and the
 *   slippage against the mid (and against the best price) for the part that fills.
 */
import { InputError } from '../model/errors.js';
import type { BookView } from './book.js';

/** Best bid and ask, when both sides hold a level. */
function touch(
  book: BookView,
): { bid: number; ask: number; bidAmount: number; askAmount: number } | undefined {
  const bid = book.bidPrice(0);
  const ask = book.askPrice(0);
  if (bid === undefined || ask === undefined) return undefined;
  return { bid, ask, bidAmount: book.bidAmount(0) as number, askAmount: book.askAmount(0) as number };
}

/** `(bid + ask) / 2`. */
export function mid(book: BookView): number | undefined {
  const t = touch(book);
  return t === undefined ? undefined : (t.bid + t.ask) / 2;
}

/** The amount-weighted mid (see the module comment). */
export function microprice(book: BookView): number | undefined {
  const t = touch(book);
  if (t === undefined) return undefined;
  return (t.bid * t.askAmount + t.ask * t.bidAmount) / (t.bidAmount + t.askAmount);
}

/** The spread: `ask - bid` in price, and in basis points of the mid. */
export function spread(book: BookView): { price: number; bps: number } | undefined {
  const t = touch(book);
  if (t === undefined) return undefined;
  const price = t.ask - t.bid;
  return { price, bps: (price / ((t.bid + t.ask) / 2)) * 1e4 };
}

/** Best-level imbalance `(B - A) / (B + A)`. */
export function imbalance(book: BookView): number | undefined {
  const t = touch(book);
  return t === undefined ? undefined : (t.bidAmount - t.askAmount) / (t.bidAmount + t.askAmount);
}

/**
 * Imbalance over the top `levels` of each side, level `i` weighted `decay^i` (`decay` in (0, 1],
 * 1 = plain sum). Undefined when both sides are empty.
 */
export function depthImbalance(book: BookView, levels: number, decay = 1): number | undefined {
  if (!Number.isInteger(levels) || levels < 1) throw new InputError('levels', levels, 'an integer >= 1');
  if (!(decay > 0 && decay <= 1)) throw new InputError('decay', decay, 'a number in (0, 1]');
  let bids = 0;
  let asks = 0;
  let weight = 1;
  for (let i = 0; i < levels; i++) {
    bids += (book.bidAmount(i) ?? 0) * weight;
    asks += (book.askAmount(i) ?? 0) * weight;
    weight *= decay;
  }
  return bids + asks === 0 ? undefined : (bids - asks) / (bids + asks);
}

/** The amount resting on each side within `distance` (price units) of the mid, inclusive. */
export function depthWithin(book: BookView, distance: number): { bid: number; ask: number } | undefined {
  if (!(distance >= 0) || !Number.isFinite(distance))
    throw new InputError('distance', distance, 'a finite number >= 0');
  const m = mid(book);
  if (m === undefined) return undefined;
  let bid = 0;
  for (let i = 0; i < book.bidLevels(); i++) {
    const price = book.bidPrice(i) as number;
    if (m - price > distance) break;
    bid += book.bidAmount(i) as number;
  }
  let ask = 0;
  for (let i = 0; i < book.askLevels(); i++) {
    const price = book.askPrice(i) as number;
    if (price - m > distance) break;
    ask += book.askAmount(i) as number;
  }
  return { bid, ask };
}

/** The outcome of walking the book for an amount. */
export interface TradeCost {
  side: 'buy' | 'sell';
  /** Asked for. */
  amount: number;
  /** What the book could fill (less than `amount` when it runs out of levels). */
  filled: number;
  /** `amount - filled`. */
  unfilled: number;
  /** Sum of price x amount over the levels taken (price currency x venue unit). */
  notional: number;
  /** `notional / filled`; undefined when nothing filled. */
  averagePrice: number | undefined;
  /** The last (worst) price reached. */
  worstPrice: number | undefined;
  /** Levels touched. */
  levels: number;
  /**
   * What the fill costs against the mid, per unit, signed so that a worse fill is positive:
   * buy `average - mid`, sell `mid - average`; and in basis points of the mid. Undefined
   * without a mid or a fill.
   */
  slippage: number | undefined;
  slippageBps: number | undefined;
  /** The same against the best price of the side taken (the cost beyond the touch). */
  impact: number | undefined;
}

/**
 * Walks the book to buy (taking asks) or sell (taking bids) `amount`. To unwind a long
 * inventory of q: `tradeCost(book, 'sell', q)`; a short one: `'buy'`.
 */
export function tradeCost(book: BookView, side: 'buy' | 'sell', amount: number): TradeCost {
  if (side !== 'buy' && side !== 'sell') throw new InputError('side', side, 'buy or sell');
  if (!(amount > 0) || !Number.isFinite(amount))
    throw new InputError('amount', amount, 'a finite number > 0');
  const buy = side === 'buy';
  const count = buy ? book.askLevels() : book.bidLevels();
  let rest = amount;
  let notional = 0;
  let levels = 0;
  let worst: number | undefined;
  for (let i = 0; i < count && rest > 0; i++) {
    const price = (buy ? book.askPrice(i) : book.bidPrice(i)) as number;
    const available = (buy ? book.askAmount(i) : book.bidAmount(i)) as number;
    const take = Math.min(rest, available);
    notional += take * price;
    rest -= take;
    levels += 1;
    worst = price;
  }
  const filled = amount - rest;
  const averagePrice = filled > 0 ? notional / filled : undefined;
  const m = mid(book);
  const best = buy ? book.askPrice(0) : book.bidPrice(0);
  const against = (reference: number | undefined): number | undefined =>
    averagePrice === undefined || reference === undefined
      ? undefined
      : buy
        ? averagePrice - reference
        : reference - averagePrice;
  const slippage = against(m);
  return {
    side,
    amount,
    filled,
    unfilled: rest,
    notional,
    averagePrice,
    worstPrice: worst,
    levels,
    slippage,
    slippageBps: slippage === undefined || m === undefined ? undefined : (slippage / m) * 1e4,
    impact: against(best),
  };
}

/**
 * A rolling z-score of a signal (the depth imbalance, by default of the top 5 levels): each
 * `update` scores the new value against the mean and standard deviation of the previous
 * `window` values, then adds it to them. `z` is undefined until `minSamples` values are held
 * or while they have no spread.
 */
export class RollingZScore {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;
  private sum = 0;
  private sumSquares = 0;
  private updates = 0;
  /**
   * The sums are of `value - shift`, `shift` near the values' mean (the first value, then the
   * mean at each recomputation): sums of squares of raw values lose the variance to
   * cancellation when the mean is large against the spread.
   */
  private shift = Number.NaN;

  constructor(
    readonly window: number,
    readonly minSamples = Math.min(window, 20),
  ) {
    if (!Number.isInteger(window) || window < 2) throw new InputError('window', window, 'an integer >= 2');
    if (!Number.isInteger(minSamples) || minSamples < 2 || minSamples > window)
      throw new InputError('minSamples', minSamples, `an integer from 2 to the window (${window})`);
    this.values = new Float64Array(window);
  }

  /** Scores `value` against the history, then adds it; returns the z-score (or undefined). */
  update(value: number): number | undefined {
    if (!Number.isFinite(value)) throw new InputError('value', value, 'a finite number');
    if (Number.isNaN(this.shift)) this.shift = value;
    const x = value - this.shift;
    let z: number | undefined;
    if (this.count >= this.minSamples) {
      const mean = this.sum / this.count;
      const variance = Math.max(0, (this.sumSquares - this.count * mean * mean) / (this.count - 1));
      const sd = Math.sqrt(variance);
      if (sd > 1e-12 * Math.max(1, Math.abs(mean + this.shift))) z = (x - mean) / sd;
    }
    if (this.count === this.window) {
      const old = (this.values[this.next] as number) - this.shift;
      this.sum -= old;
      this.sumSquares -= old * old;
    } else {
      this.count += 1;
    }
    this.values[this.next] = value;
    this.sum += x;
    this.sumSquares += x * x;
    this.next = (this.next + 1) % this.window;
    // Running sums drift with cancellation: recompute them from the window now and then.
    this.updates += 1;
    if (this.updates % (this.window * 16) === 0) this.resum();
    return z;
  }

  /** Values held (at most `window`). */
  get size(): number {
    return this.count;
  }

  private resum(): void {
    let total = 0;
    for (let i = 0; i < this.count; i++) total += this.values[i] as number;
    this.shift = total / this.count;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < this.count; i++) {
      const x = (this.values[i] as number) - this.shift;
      sum += x;
      squares += x * x;
    }
    this.sum = sum;
    this.sumSquares = squares;
  }
}

/** The liquidity-imbalance signal of a book: its depth imbalance and the z-score against recent history. */
export class ImbalanceSignal {
  private readonly scores: RollingZScore;

  constructor(
    readonly levels = 5,
    readonly decay = 1,
    window = 500,
  ) {
    this.scores = new RollingZScore(window);
  }

  /** Reads the book (live books only); undefined values when the book gives none. */
  update(book: BookView): { imbalance: number | undefined; z: number | undefined } {
    if (book.status !== 'live') return { imbalance: undefined, z: undefined };
    const value = depthImbalance(book, this.levels, this.decay);
    return { imbalance: value, z: value === undefined ? undefined : this.scores.update(value) };
  }
}
