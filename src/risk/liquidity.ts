/**
 * Liquidity: what it would cost, and how long it would take, to unwind the inventory against the
 * current books at a chosen participation rate (order-book solvency), per instrument and in total.
 *
 * Cost: each position is walked through the opposite side of its book (`tradeCost`: a long is
 * sold into the bids, a short bought from the asks), and the cost is the fill against the mid,
 * slippage x filled, in USD:
 *
 * - inverse options (price in coin per contract, amount in contracts): slippage x filled x the
 *   coin's USD index;
 * - inverse futures and perpetuals (price USD per coin, amount in USD): the coin lost against the
 *   mid, filled x |1/average - 1/mid|, valued at the mid: filled x slippage / average;
 * - linear instruments (price in the quote currency, amount in coin): slippage x filled, the
 *   quote currency (USDC) taken as USD.
 *
 * A book that runs out before the whole amount fills gives the cost of what filled, and the rest
 * is reported as `unfilled`, never extrapolated.
 *
 * Time: amount / (participation x volume per hour), the volume per hour given per instrument in
 * the venue's unit (the same unit as the amount), participation the share of that volume the
 * unwind may take (0.1 = 10%). Unwinding instruments in parallel takes the longest of the times,
 * one after another their sum; both are reported.
 *
 * Instruments without a book (or with an empty side to trade against), or without a volume, are
 * listed in `missing` with what is missing, and left out of the totals: nothing is guessed.
 */
import { InputError } from '../model/errors.js';
import { parseInstrumentName } from '../model/instrument-name.js';
import type { BookView } from '../market/book.js';
import { mid, tradeCost } from '../market/metrics.js';

/** What the liquidity report reads. */
export interface LiquidityInput {
  /** Signed, in the venue's unit (a `RiskPosition` fits). */
  positions: readonly { instrument: string; amount: number }[];
  books: ReadonlyMap<string, BookView>;
  /** Traded volume per hour by instrument, in the venue's unit. */
  volumePerHour: ReadonlyMap<string, number>;
  /** Share of the volume the unwind may take, in (0, 1]. */
  participation: number;
  /** USD per coin by base coin (`BTC`), to value inverse option premiums (`RiskMarket.index`). */
  usdPerCoin: ReadonlyMap<string, number>;
}

/** One instrument's unwind. */
export interface UnwindLine {
  instrument: string;
  amount: number;
  side: 'buy' | 'sell';
  /** From the book; null without a usable book. */
  filled: number | null;
  unfilled: number | null;
  averagePrice: number | null;
  mid: number | null;
  levels: number | null;
  /** Cost against the mid in USD (of the filled part); null without a usable book. */
  costUsd: number | null;
  /** The filled amount's value at the mid in USD. */
  notionalUsd: number | null;
  /** costUsd / notionalUsd in basis points. */
  costBps: number | null;
  /** Hours at the participation rate; null without a volume. */
  hours: number | null;
}

/** Something the report could not compute for an instrument. */
export interface MissingLiquidity {
  instrument: string;
  missing: 'book' | 'volume' | 'usd price of the coin';
  detail: string;
}

/** The liquidity report. */
export interface LiquidityReport {
  participation: number;
  lines: UnwindLine[];
  /** Sum of the lines' costs (lines with a cost). */
  totalCostUsd: number;
  /** Longest time of the lines with a volume (all unwound in parallel). */
  hoursParallel: number;
  /** Sum of the times (one after another). */
  hoursSequential: number;
  /** Instruments whose book ran out, with the amount left. */
  exhausted: { instrument: string; unfilled: number }[];
  missing: MissingLiquidity[];
}

/** Cost and time to unwind the inventory (see the module comment). */
export function liquidityReport(input: LiquidityInput): LiquidityReport {
  const { participation } = input;
  if (typeof participation !== 'number' || !(participation > 0) || !(participation <= 1))
    throw new InputError('participation', participation, 'a share of the volume in (0, 1]');
  const lines: UnwindLine[] = [];
  const missing: MissingLiquidity[] = [];
  const exhausted: { instrument: string; unfilled: number }[] = [];
  let totalCostUsd = 0;
  let hoursParallel = 0;
  let hoursSequential = 0;
  input.positions.forEach((p, i) => {
    if (typeof p.amount !== 'number' || !Number.isFinite(p.amount))
      throw new InputError(`positions[${i}].amount`, p.amount, 'a finite number');
    if (p.amount === 0) return;
    const parsed = parseInstrumentName(p.instrument);
    const side = p.amount > 0 ? 'sell' : 'buy';
    const size = Math.abs(p.amount);
    const line: UnwindLine = {
      instrument: p.instrument,
      amount: p.amount,
      side,
      filled: null,
      unfilled: null,
      averagePrice: null,
      mid: null,
      levels: null,
      costUsd: null,
      notionalUsd: null,
      costBps: null,
      hours: null,
    };
    const volume = input.volumePerHour.get(p.instrument);
    if (volume === undefined) {
      missing.push({ instrument: p.instrument, missing: 'volume', detail: 'no volume per hour given' });
    } else if (!(volume > 0) || !Number.isFinite(volume)) {
      throw new InputError(`volumePerHour[${p.instrument}]`, volume, 'a positive finite volume per hour');
    } else {
      line.hours = size / (participation * volume);
      hoursParallel = Math.max(hoursParallel, line.hours);
      hoursSequential += line.hours;
    }
    const book = input.books.get(p.instrument);
    const m = book === undefined ? undefined : mid(book);
    const sideLevels = book === undefined ? 0 : side === 'sell' ? book.bidLevels() : book.askLevels();
    if (book === undefined || m === undefined || sideLevels === 0) {
      missing.push({
        instrument: p.instrument,
        missing: 'book',
        detail:
          book === undefined
            ? 'no book given'
            : 'the book has an empty side (no mid or nothing to trade against)',
      });
      lines.push(line);
      return;
    }
    const cost = tradeCost(book, side, size);
    line.filled = cost.filled;
    line.unfilled = cost.unfilled;
    line.averagePrice = cost.averagePrice ?? null;
    line.mid = m;
    line.levels = cost.levels;
    if (cost.unfilled > 0) exhausted.push({ instrument: p.instrument, unfilled: cost.unfilled });
    const slippage = cost.slippage ?? 0;
    let costUsd: number | null;
    let notionalUsd: number | null;
    if (parsed.settlement === 'inverse' && parsed.kind === 'option') {
      const usd = input.usdPerCoin.get(parsed.base);
      if (usd === undefined || !(usd > 0)) {
        missing.push({
          instrument: p.instrument,
          missing: 'usd price of the coin',
          detail: `no USD index for ${parsed.base} to value the premium`,
        });
        costUsd = null;
        notionalUsd = null;
      } else {
        costUsd = slippage * cost.filled * usd;
        notionalUsd = cost.filled * m * usd;
      }
    } else if (parsed.settlement === 'inverse') {
      costUsd = cost.averagePrice === undefined ? 0 : (cost.filled * slippage) / cost.averagePrice;
      notionalUsd = cost.filled;
    } else {
      costUsd = slippage * cost.filled;
      notionalUsd = cost.filled * m;
    }
    line.costUsd = costUsd;
    line.notionalUsd = notionalUsd;
    line.costBps =
      costUsd !== null && notionalUsd !== null && notionalUsd > 0 ? (costUsd / notionalUsd) * 1e4 : null;
    if (costUsd !== null) totalCostUsd += costUsd;
    lines.push(line);
  });
  return { participation, lines, totalCostUsd, hoursParallel, hoursSequential, exhausted, missing };
}
