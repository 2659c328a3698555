/**
 * Normalized market-data events: what every reader of recorded data (Tardis CSV files, Deribit
 * WebSocket notifications saved as JSON Lines) and, later, the live venue adapter produce, and
 * what the order book (`book.ts`), the metrics and the volatility estimators consume.
 *
 * Prices and amounts are numbers (market data is for valuation, not for the ledger's exact
 * money): prices in the instrument's price currency (USD for inverse futures and perpetuals,
 * coin for inverse options), amounts in the venue's unit (USD for inverse futures and
 * perpetuals, contracts for options). Times are the venue's (exchange) timestamps: `timestampMs`
 * in ms since the Unix epoch, possibly fractional when the source has microseconds (Tardis);
 * `localTimestampMs` is when the recorder received the message, when known.
 */

/** One price level: a price and the amount resting there (> 0). */
export interface Level {
  price: number;
  amount: number;
}

/**
 * One level's change. `amount` 0 removes the level. `action` is the venue's when it sends one
 * (Deribit: `new`, `change`, `delete`), else undefined (Tardis: the amount alone says it).
 */
export interface LevelChange {
  price: number;
  amount: number;
  action?: 'new' | 'change' | 'delete';
}

interface MarketEventBase {
  /** Venue name, lower case: `deribit`. */
  venue: string;
  /** The venue's instrument name: `BTC-PERPETUAL`, `BTC-27DEC24-50000-C`. */
  instrument: string;
  /** The venue's timestamp, ms since the epoch (fractional for microsecond sources). */
  timestampMs: number;
  /** When the recorder received it, ms since the epoch, when the source says. */
  localTimestampMs?: number;
}

/**
 * A whole book side by side, replacing any state: the first message of a Deribit `book`
 * subscription (`type: "snapshot"`), a Tardis `book_snapshot_25` row, the `is_snapshot` rows of
 * a Tardis `incremental_book_L2` file, or a grouped-book message (`book.X.none.10.100ms`).
 */
export interface BookSnapshotEvent extends MarketEventBase {
  type: 'book_snapshot';
  /** The venue's `change_id` of this state; null when the source has none (Tardis). */
  changeId: number | null;
  /** Best first: bids by price descending, asks ascending. */
  bids: Level[];
  asks: Level[];
  /**
   * Whether the snapshot holds the whole book (true) or only its top levels (false: a
   * `book_snapshot_25` row, a grouped book of depth 10), which cannot seed incremental changes.
   */
  full: boolean;
}

/**
 * Incremental changes to a book: a Deribit `book` notification with `type: "change"`, or the
 * non-snapshot rows of a Tardis `incremental_book_L2` file sharing one timestamp.
 */
export interface BookChangeEvent extends MarketEventBase {
  type: 'book_change';
  /** The venue's `change_id`; null when the source has none (Tardis). */
  changeId: number | null;
  /** The `change_id` of the previous message of this book; null when the source has none. */
  prevChangeId: number | null;
  bids: LevelChange[];
  asks: LevelChange[];
}

/** One trade on the venue's tape. */
export interface TradeEvent extends MarketEventBase {
  type: 'trade';
  /** The venue's trade id. */
  tradeId: string;
  /** The venue's per-instrument trade sequence, when it sends one (Deribit `trade_seq`). */
  tradeSeq?: number;
  price: number;
  amount: number;
  /** The taker's side (`buy`: the taker bought, lifting the ask); null when unknown. */
  side: 'buy' | 'sell' | null;
  /** Mark and index price at the trade, when sent (Deribit). */
  markPrice?: number;
  indexPrice?: number;
  /** Implied vol of an option trade, in vol points (Deribit `iv`), when sent. */
  iv?: number;
  /** Whether the trade was a liquidation, when said. */
  liquidation?: boolean;
}

/** The best bid and ask (top of book): Tardis `quotes`, Deribit `quote.X`. */
export interface QuoteEvent extends MarketEventBase {
  type: 'quote';
  /** Null when that side is empty. */
  bidPrice: number | null;
  bidAmount: number | null;
  askPrice: number | null;
  askAmount: number | null;
}

/**
 * An instrument's ticker: Tardis `derivative_ticker` and `options_chain`, Deribit `ticker.X`.
 * Every field but the base ones is optional: each source sends a different subset.
 */
export interface TickerEvent extends MarketEventBase {
  type: 'ticker';
  markPrice?: number;
  indexPrice?: number;
  /** The price the venue quotes an option against (Deribit `underlying_price`). */
  underlyingPrice?: number;
  /** The underlying the option is quoted against (`BTC-27DEC24`, `index_price`), when sent. */
  underlyingIndex?: string;
  lastPrice?: number;
  openInterest?: number;
  /** Perpetuals: the current funding rate (Deribit `current_funding`, Tardis `funding_rate`). */
  fundingRate?: number;
  /** Perpetuals: the 8-hour funding rate (Deribit `funding_8h`). */
  funding8h?: number;
  /** Best bid and ask with their amounts. */
  bidPrice?: number;
  bidAmount?: number;
  askPrice?: number;
  askAmount?: number;
  /** Options: implied vols in vol points (Deribit `mark_iv`, `bid_iv`, `ask_iv`). */
  markIv?: number;
  bidIv?: number;
  askIv?: number;
  /** Options: the venue's greeks (Deribit's conventions, see `src/pricing/coin.ts`). */
  delta?: number;
  gamma?: number;
  vega?: number;
  theta?: number;
  rho?: number;
}

/** Any normalized market-data event. */
export type MarketEvent = BookSnapshotEvent | BookChangeEvent | TradeEvent | QuoteEvent | TickerEvent;

/** The `type` values of `MarketEvent`. */
export type MarketEventType = MarketEvent['type'];

/**
 * A record of a recorded-data file that could not be read: its line number (1-based, physical
 * lines; the header of a CSV file is line 1) and why. Readers report these and go on, or throw
 * a `ParseError` at the first, as their caller chooses (`RecordedReadOptions`).
 */
export interface BadRecord {
  lineNumber: number;
  /** The line as read (cut to 200 characters). */
  text: string;
  /** What is wrong, naming the field: `price: got "abc", expected a finite number`. */
  message: string;
}

/** How a reader of recorded data treats a bad record. */
export interface RecordedReadOptions {
  /**
   * Called for each bad record; the reader then goes on with the next one. Without it, the
   * first bad record throws a `ParseError` that quotes the line and says its number and field.
   */
  onBadRecord?: (bad: BadRecord) => void;
  /**
   * Called once per record read (line or row, header excluded, bad ones included), with the
   * events it gave: what `ballast data inspect` counts.
   */
  onRecord?: (lineNumber: number, events: readonly MarketEvent[]) => void;
}
