/**
 * Hedge trades and what they cost and earned.
 *
 * Units: amounts in coin of the underlying (signed, positive = bought), prices in USD per coin,
 * money in USD. (An inverse contract's USD amount converts to coin at its trade price; over a
 * hedge's life the difference from the inverse payoff is second order and is left to the
 * ledger, which books the exact coin P&L.)
 *
 * - Hedge cost = fees + spread paid: `fee + amount x (price - mid)` per trade (a buy above the
 *   mid, or a sell below it, pays; a passive fill inside earns a negative cost).
 * - Hedge P&L = mark-to-market of the hedge position at `mark`: `position x mark - sum(amount x
 *   price)`, before fees; the net result is hedge P&L minus fees.
 */
import { InputError } from '../../model/errors.js';

export interface HedgeTrade {
  timeMs: number;
  /** Instrument name (perpetual, future), for reports. */
  instrument: string;
  /** Signed amount, coin (positive = bought). */
  amount: number;
  price: number;
  /** The mid at the time of the trade, USD. */
  mid: number;
  /** Fee paid, USD (negative = rebate). */
  fee: number;
}

export interface HedgeSummary {
  trades: number;
  /** Net hedge position, coin. */
  position: number;
  /** Sum of |amount|, coin. */
  volume: number;
  fees: number;
  /** Sum of amount x (price - mid). */
  spreadPaid: number;
  /** fees + spreadPaid. */
  cost: number;
  /** Mark-to-market P&L of the hedges at the mark, before fees. */
  pnl: number;
}

export class HedgeTracker {
  private readonly tradeList: HedgeTrade[] = [];
  private position = 0;
  private cashFlow = 0;
  private volume = 0;
  private fees = 0;
  private spreadPaid = 0;

  /** Records a hedge trade; throws `InputError` naming a bad field. */
  record(t: HedgeTrade): void {
    if (!Number.isFinite(t.timeMs)) throw new InputError('trade.timeMs', t.timeMs, 'a finite time, ms');
    if (!Number.isFinite(t.amount) || t.amount === 0)
      throw new InputError('trade.amount', t.amount, 'a non-zero finite amount');
    if (!(t.price > 0)) throw new InputError('trade.price', t.price, 'a positive price');
    if (!(t.mid > 0)) throw new InputError('trade.mid', t.mid, 'a positive price');
    if (!Number.isFinite(t.fee)) throw new InputError('trade.fee', t.fee, 'a finite number');
    this.tradeList.push({ ...t });
    this.position += t.amount;
    this.cashFlow -= t.amount * t.price;
    this.volume += Math.abs(t.amount);
    this.fees += t.fee;
    this.spreadPaid += t.amount * (t.price - t.mid);
  }

  get trades(): readonly HedgeTrade[] {
    return this.tradeList;
  }

  /** Totals, with the hedge P&L marked at `mark` (USD per coin). */
  summary(mark: number): HedgeSummary {
    if (!(mark > 0)) throw new InputError('mark', mark, 'a positive price');
    return {
      trades: this.tradeList.length,
      position: this.position,
      volume: this.volume,
      fees: this.fees,
      spreadPaid: this.spreadPaid,
      cost: this.fees + this.spreadPaid,
      pnl: this.position * mark + this.cashFlow,
    };
  }
}
