/**
 * An L2 order book kept from a snapshot plus incremental changes, as Deribit's `book` channels
 * send them, that is never silently wrong.
 *
 * Sequence. Each Deribit book message carries a `change_id`, and each change after the snapshot
 * the `prev_change_id` of the message before it (Deribit API, "book.{instrument_name}.{interval}":
 * "prev_change_id ... the id of the previous notification"). A change whose `prev_change_id` is
 * not the book's last `change_id` means a message was lost (a gap), repeated (a duplicate: its
 * `change_id` is the last one) or reordered (its `change_id` is older); a book that crosses
 * (best bid at or above best ask), a `new` level that already exists, or a `change`/`delete` of
 * a level that does not, means the state no longer matches the venue's. In every case the book
 * turns `stale`, says why, asks for a fresh snapshot (`onStale`), and ignores changes until a
 * snapshot arrives; it never guesses. Sources without sequence numbers (Tardis) get the checks
 * that need none (crossing, and the actions when given).
 *
 * Layout. Each side is two parallel arrays of prices and amounts ordered from the worst price
 * to the best, so the best level is the last element: almost every change lands near the top
 * of the book, at the end of the arrays, where inserting or removing moves few elements. A
 * price is found by binary search. Levels hold `amount > 0`.
 */
import type { BookChangeEvent, BookSnapshotEvent, Level, LevelChange } from './events.js';

/** Where a book stands: `empty` before its first snapshot, `live`, or `stale` until the next one. */
export type BookStatus = 'empty' | 'live' | 'stale';

/** Why a book went stale. */
export type StaleReason =
  | 'gap'
  | 'duplicate'
  | 'out_of_order'
  | 'crossed'
  | 'no_snapshot'
  | 'missing_level'
  | 'existing_level'
  | 'invalid_level';

/** A book's move to `stale`: why, with the detail a person needs, at which venue time. */
export interface StaleEvent {
  instrument: string;
  reason: StaleReason;
  detail: string;
  timestampMs: number;
}

/** What `applyChange` did with a change. */
export type ChangeOutcome = 'applied' | 'stale' | 'ignored';

/** Options of an `OrderBook`. */
export interface OrderBookOptions {
  /** Called when the book goes stale: the place to ask the venue for a fresh snapshot. */
  onStale?: (event: StaleEvent) => void;
}

/** One side's levels, worst price first, best last. */
class Side {
  prices: number[] = [];
  amounts: number[] = [];

  /** `bid`: better is higher; `ask`: better is lower. */
  constructor(readonly isBid: boolean) {}

  clear(): void {
    this.prices.length = 0;
    this.amounts.length = 0;
  }

  get size(): number {
    return this.prices.length;
  }

  /**
   * The index of `price` if present, else `-(insertion index) - 1`. The arrays are ascending
   * for bids (worst = lowest first) and descending for asks (worst = highest first).
   */
  find(price: number): number {
    const prices = this.prices;
    let lo = 0;
    let hi = prices.length - 1;
    // Changes cluster at the top of the book, the end of the arrays: look there first.
    if (hi >= 0) {
      const top = prices[hi] as number;
      if (top === price) return hi;
      if (this.isBid ? price > top : price < top) return -(hi + 1) - 1;
    }
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = prices[mid] as number;
      if (p === price) return mid;
      if (this.isBid ? p < price : p > price) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** Sets the amount at `price` (0 removes it); returns a problem or undefined. */
  set(price: number, amount: number, action: LevelChange['action']): StaleReason | undefined {
    const at = this.find(price);
    if (at >= 0) {
      if (action === 'new') return 'existing_level';
      if (amount === 0 || action === 'delete') {
        this.prices.splice(at, 1);
        this.amounts.splice(at, 1);
      } else {
        this.amounts[at] = amount;
      }
      return undefined;
    }
    if (action === 'change' || action === 'delete') return 'missing_level';
    if (amount === 0) return undefined; // a removal of an absent level (no action given): nothing to do
    const index = -at - 1;
    if (index === this.prices.length) {
      this.prices.push(price);
      this.amounts.push(amount);
    } else {
      this.prices.splice(index, 0, price);
      this.amounts.splice(index, 0, amount);
    }
    return undefined;
  }

  /** Replaces the levels with `levels` given best first; returns a problem or undefined. */
  load(levels: readonly Level[]): StaleReason | undefined {
    this.clear();
    for (let i = levels.length - 1; i >= 0; i--) {
      const level = levels[i] as Level;
      if (!validLevel(level.price, level.amount) || level.amount === 0) return 'invalid_level';
      const last = this.prices[this.prices.length - 1];
      // Given best first, so read backwards each price must be better than the one before.
      if (last !== undefined && (this.isBid ? level.price <= last : level.price >= last))
        return 'invalid_level';
      this.prices.push(level.price);
      this.amounts.push(level.amount);
    }
    return undefined;
  }
}

function validLevel(price: number, amount: number): boolean {
  return Number.isFinite(price) && price >= 0 && Number.isFinite(amount) && amount >= 0;
}

/** A read-only view of a book's levels, best first (`i` = 0 is the best level). */
export interface BookView {
  readonly instrument: string;
  readonly status: BookStatus;
  bidLevels(): number;
  askLevels(): number;
  bidPrice(i: number): number | undefined;
  bidAmount(i: number): number | undefined;
  askPrice(i: number): number | undefined;
  askAmount(i: number): number | undefined;
}

export class OrderBook implements BookView {
  private readonly bids = new Side(true);
  private readonly asks = new Side(false);
  private state: BookStatus = 'empty';
  private stale: StaleEvent | undefined;
  private changeId: number | null = null;
  private time = Number.NaN;
  private fullDepth = true;
  private readonly onStale: ((event: StaleEvent) => void) | undefined;

  constructor(
    readonly instrument: string,
    options: OrderBookOptions = {},
  ) {
    this.onStale = options.onStale;
  }

  get status(): BookStatus {
    return this.state;
  }

  /** Why the book is stale (undefined unless it is). */
  get staleReason(): StaleEvent | undefined {
    return this.stale;
  }

  /** The `change_id` of the last message applied; null when the source has none. */
  get lastChangeId(): number | null {
    return this.changeId;
  }

  /** Venue time of the last message applied (NaN before any). */
  get timestampMs(): number {
    return this.time;
  }

  /** Whether the book holds the venue's whole book (false after a top-of-book snapshot). */
  get full(): boolean {
    return this.fullDepth;
  }

  /**
   * Replaces the state with a snapshot. A top-of-book snapshot (`full: false`) makes a live
   * view of those levels, which a change then cannot extend: the next change turns it stale.
   * An invalid or crossed snapshot leaves the book stale.
   */
  applySnapshot(event: BookSnapshotEvent): void {
    this.time = event.timestampMs;
    this.changeId = event.changeId;
    this.fullDepth = event.full;
    this.stale = undefined;
    this.state = 'live';
    const problem = this.bids.load(event.bids) ?? this.asks.load(event.asks);
    if (problem !== undefined) {
      this.markStale(problem, 'the snapshot has a level with a bad price or amount, or out of order');
      return;
    }
    this.checkCrossed();
  }

  /** Applies a change; when stale (or empty) it is ignored until the next snapshot. */
  applyChange(event: BookChangeEvent): ChangeOutcome {
    if (this.state !== 'live') {
      if (this.state === 'empty') this.markStale('no_snapshot', 'a change arrived before any snapshot');
      return 'ignored';
    }
    this.time = event.timestampMs;
    if (!this.fullDepth) {
      this.markStale('no_snapshot', 'a change cannot apply to a top-of-book snapshot');
      return 'stale';
    }
    const last = this.changeId;
    if (event.prevChangeId !== null && last !== null && event.prevChangeId !== last) {
      const id = event.changeId;
      if (id !== null && id === last) {
        this.markStale('duplicate', `change_id ${id} was already applied`);
      } else if (id !== null && id < last) {
        this.markStale('out_of_order', `change_id ${id} arrived after ${last}`);
      } else {
        this.markStale('gap', `prev_change_id ${event.prevChangeId}, last change_id ${last}`);
      }
      return 'stale';
    }
    if (event.prevChangeId === null && last !== null && event.changeId !== null && event.changeId <= last) {
      this.markStale(
        event.changeId === last ? 'duplicate' : 'out_of_order',
        `change_id ${event.changeId} after ${last}`,
      );
      return 'stale';
    }
    if (!this.applyLevels(this.bids, event.bids, 'bid') || !this.applyLevels(this.asks, event.asks, 'ask')) {
      return 'stale';
    }
    this.changeId = event.changeId;
    return this.checkCrossed() ? 'stale' : 'applied';
  }

  /** The number of bid levels. */
  bidLevels(): number {
    return this.bids.size;
  }

  askLevels(): number {
    return this.asks.size;
  }

  /** The `i`-th best bid price (0 = best). */
  bidPrice(i: number): number | undefined {
    return this.bids.prices[this.bids.size - 1 - i];
  }

  bidAmount(i: number): number | undefined {
    return this.bids.amounts[this.bids.size - 1 - i];
  }

  askPrice(i: number): number | undefined {
    return this.asks.prices[this.asks.size - 1 - i];
  }

  askAmount(i: number): number | undefined {
    return this.asks.amounts[this.asks.size - 1 - i];
  }

  /** The amount resting at `price` on the bid (`buy`) or ask (`sell`) side; 0 when no level is there. */
  amountAt(side: 'buy' | 'sell', price: number): number {
    const levels = side === 'buy' ? this.bids : this.asks;
    const at = levels.find(price);
    return at >= 0 ? (levels.amounts[at] as number) : 0;
  }

  /** The best bid, if any. */
  bestBid(): Level | undefined {
    const i = this.bids.size - 1;
    return i < 0
      ? undefined
      : { price: this.bids.prices[i] as number, amount: this.bids.amounts[i] as number };
  }

  bestAsk(): Level | undefined {
    const i = this.asks.size - 1;
    return i < 0
      ? undefined
      : { price: this.asks.prices[i] as number, amount: this.asks.amounts[i] as number };
  }

  /** The best `n` levels of each side, best first. */
  top(n: number): { bids: Level[]; asks: Level[] } {
    const take = (side: Side): Level[] => {
      const out: Level[] = [];
      for (let i = side.size - 1; i >= 0 && out.length < n; i--) {
        out.push({ price: side.prices[i] as number, amount: side.amounts[i] as number });
      }
      return out;
    };
    return { bids: take(this.bids), asks: take(this.asks) };
  }

  private applyLevels(side: Side, changes: readonly LevelChange[], name: string): boolean {
    for (const change of changes) {
      if (!validLevel(change.price, change.amount)) {
        this.markStale('invalid_level', `${name} ${change.price} amount ${change.amount}`);
        return false;
      }
      const problem = side.set(change.price, change.amount, change.action);
      if (problem !== undefined) {
        const what =
          problem === 'existing_level'
            ? 'a new level that exists'
            : 'a change of a level that does not exist';
        this.markStale(problem, `${what}: ${name} ${change.price} (${change.action ?? 'no action'})`);
        return false;
      }
    }
    return true;
  }

  /** Marks the book stale if crossed or locked; returns whether it did. */
  private checkCrossed(): boolean {
    const bid = this.bidPrice(0);
    const ask = this.askPrice(0);
    if (bid !== undefined && ask !== undefined && bid >= ask) {
      this.markStale('crossed', `best bid ${bid} >= best ask ${ask}`);
      return true;
    }
    return false;
  }

  private markStale(reason: StaleReason, detail: string): void {
    this.state = 'stale';
    this.stale = { instrument: this.instrument, reason, detail, timestampMs: this.time };
    this.onStale?.(this.stale);
  }
}
