/**
 * Works a hedge order: passively first, then crossing within a price limit. A state machine
 * driven by events (`onBook`, `onFill`, `onTimer`); time is the events' time, never a clock.
 * Each event returns the actions to send (`place` replaces any working order; `cancel`).
 *
 * States:
 * - `passive`: a post-only order at our side's best price (best bid for a buy, best ask for a
 *   sell), moved when that price changes (each move is a requote). After `passiveMs` since the
 *   start, or once `maxRequotes` requotes have been made and the price moves again, it goes to
 *   `crossing`.
 * - `crossing`: a limit order that may take liquidity, at the opposite best price but never
 *   beyond the limit `index x (1 + limitBps / 10^4)` for a buy (`1 - limitBps / 10^4` for a
 *   sell): if the book is beyond the limit the order rests at the limit and waits. Repriced on
 *   every book event (the index moves the limit).
 * - `done`: the amount is filled (or `cancelAll` was called).
 *
 * Amounts are positive in the order's side; fills may be partial.
 */
import { InputError } from '../../model/errors.js';

export interface ExecutorConfig {
  /** Longest time to stay passive, ms (>= 0). */
  passiveMs: number;
  /** Requotes allowed while passive (>= 0); the next price move crosses. */
  maxRequotes: number;
  /** Price limit around the index when crossing, basis points (>= 0). */
  limitBps: number;
}

export interface BookEvent {
  nowMs: number;
  bestBid: number;
  bestAsk: number;
  index: number;
}

export type ExecutorAction =
  | { kind: 'place'; price: number; amount: number; postOnly: boolean }
  | { kind: 'cancel' }
  | { kind: 'done'; filled: number };

export type ExecutorState = 'passive' | 'crossing' | 'done';

export class HedgeExecutor {
  private stateValue: ExecutorState = 'passive';
  private filledValue = 0;
  private requotes = 0;
  private workingPrice: number | undefined;
  private workingCrosses = false;
  private readonly startMs: number;

  constructor(
    readonly side: 1 | -1,
    readonly amount: number,
    readonly config: ExecutorConfig,
    startMs: number,
  ) {
    if (side !== 1 && side !== -1) throw new InputError('side', side, '1 (buy) or -1 (sell)');
    if (!(amount > 0) || !Number.isFinite(amount))
      throw new InputError('amount', amount, 'a positive amount');
    if (!(config.passiveMs >= 0)) throw new InputError('passiveMs', config.passiveMs, 'a number of ms >= 0');
    if (!Number.isSafeInteger(config.maxRequotes) || config.maxRequotes < 0)
      throw new InputError('maxRequotes', config.maxRequotes, 'an integer >= 0');
    if (!(config.limitBps >= 0) || !Number.isFinite(config.limitBps))
      throw new InputError('limitBps', config.limitBps, 'a finite number of bps >= 0');
    if (!Number.isFinite(startMs)) throw new InputError('startMs', startMs, 'a finite time, ms');
    this.startMs = startMs;
  }

  get state(): ExecutorState {
    return this.stateValue;
  }

  get filled(): number {
    return this.filledValue;
  }

  get remaining(): number {
    return Math.max(this.amount - this.filledValue, 0);
  }

  /** The worst price the order may trade at when crossing, from the index. */
  limitPrice(index: number): number {
    return index * (1 + (this.side * this.config.limitBps) / 10_000);
  }

  /** A book (and index) update. */
  onBook(e: BookEvent): ExecutorAction[] {
    if (!(e.bestBid > 0) || !(e.bestAsk >= e.bestBid))
      throw new InputError('book', [e.bestBid, e.bestAsk], 'a positive bid at or below the ask');
    if (!(e.index > 0)) throw new InputError('index', e.index, 'a positive price');
    if (this.stateValue === 'done') return [];
    if (this.stateValue === 'passive' && e.nowMs - this.startMs >= this.config.passiveMs)
      this.stateValue = 'crossing';
    const limit = this.limitPrice(e.index);
    if (this.stateValue === 'passive') {
      const own = this.side === 1 ? e.bestBid : e.bestAsk;
      // Passive never beyond the limit either.
      const price = this.side === 1 ? Math.min(own, limit) : Math.max(own, limit);
      if (this.workingPrice === price) return [];
      if (this.workingPrice !== undefined) {
        if (this.requotes >= this.config.maxRequotes) {
          this.stateValue = 'crossing';
          return this.cross(e, limit);
        }
        this.requotes++;
      }
      this.workingPrice = price;
      return [{ kind: 'place', price, amount: this.remaining, postOnly: true }];
    }
    return this.cross(e, limit);
  }

  /** Time passing with no book change: may end the passive phase (crossing needs a book event). */
  onTimer(nowMs: number): ExecutorAction[] {
    if (this.stateValue === 'passive' && nowMs - this.startMs >= this.config.passiveMs) {
      this.stateValue = 'crossing';
      this.workingPrice = undefined;
      return [{ kind: 'cancel' }];
    }
    return [];
  }

  /** A fill of the working order (amount positive). */
  onFill(amount: number, price: number): ExecutorAction[] {
    if (!(amount > 0)) throw new InputError('fill.amount', amount, 'a positive amount');
    if (!(price > 0)) throw new InputError('fill.price', price, 'a positive price');
    if (this.stateValue === 'done') return [];
    this.filledValue += Math.min(amount, this.remaining);
    if (this.remaining <= 1e-12) {
      this.stateValue = 'done';
      return [{ kind: 'done', filled: this.filledValue }];
    }
    return [];
  }

  /** Stops working the order. */
  cancelAll(): ExecutorAction[] {
    if (this.stateValue === 'done') return [];
    this.stateValue = 'done';
    return [{ kind: 'cancel' }, { kind: 'done', filled: this.filledValue }];
  }

  private cross(e: BookEvent, limit: number): ExecutorAction[] {
    const opposite = this.side === 1 ? e.bestAsk : e.bestBid;
    const price = this.side === 1 ? Math.min(opposite, limit) : Math.max(opposite, limit);
    if (this.workingCrosses && this.workingPrice === price) return [];
    this.workingPrice = price;
    this.workingCrosses = true;
    return [{ kind: 'place', price, amount: this.remaining, postOnly: false }];
  }
}
