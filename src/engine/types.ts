/**
 * The engine's contracts (issue 9): what goes into the core (`EngineInput`, each journaled before
 * it applies), what comes out of it for a venue (`VenueCommand`), the venue adapters that turn
 * one into the other (`VenueAdapter`: the simulated exchange, Deribit), and what the API and the
 * dashboard read and ask (`EngineHandle`).
 *
 * Time. Every input carries its time (`timestampMs`): the venue's for venue events, the reading
 * of the clock outside the core for timers and operator commands. The core never reads a clock,
 * so a replay of the journal is the run again.
 *
 * Identity. A fill is the inventory's `FillEvent`, identified by its venue and trade id (a
 * delivery likewise by its venue and id): a duplicate notification is journaled once and
 * applied once. Every other input is identified by
 * its source and a number the loop assigns (`inputRecord` in `inputs.ts`).
 */
import type { DeliveryEvent, FillEvent, Side } from '../inventory/events.js';
import type { MarketEvent } from '../market/events.js';

/** An order's state at the venue (Deribit `order_state`, plus `pending` before the venue answers). */
export type VenueOrderState = 'open' | 'filled' | 'cancelled' | 'rejected' | 'untriggered';

/** An order as the venue reports it (Deribit's order object, the fields the engine uses). */
export interface VenueOrder {
  venue: string;
  orderId: string;
  /** Our id for it (Deribit `label`), or null for an order we did not send. */
  clientOrderId: string | null;
  instrument: string;
  side: Side;
  type: 'limit' | 'market';
  /** Null for market orders. */
  price: number | null;
  /** Total amount, the instrument's unit. */
  amount: number;
  filledAmount: number;
  averagePrice: number | null;
  state: VenueOrderState;
  postOnly: boolean;
  reduceOnly: boolean;
  mmp: boolean;
  /** Why it was cancelled or rejected (the venue's reason), when it was. */
  reason: string | null;
  /** The venue's last update time. */
  timestampMs: number;
}

/** An instruction from the operator (API or dashboard), journaled like every input. */
export type OperatorCommand =
  | { type: 'kill'; reason?: string }
  | { type: 'pause'; reason?: string }
  | { type: 'resume' }
  /** A limits document (JSON or YAML text, `src/risk/limits/config.ts`). */
  | { type: 'limits'; text: string };

/** Everything the core takes. */
export type EngineInput =
  | { kind: 'market'; event: MarketEvent }
  | { kind: 'fill'; event: FillEvent }
  /** An option or future expired and was delivered (settled) at the venue. */
  | { kind: 'delivery'; event: DeliveryEvent }
  | { kind: 'order'; order: VenueOrder }
  /** The venue refused a request (Deribit error `code` and `message`). */
  | {
      kind: 'reject';
      venue: string;
      timestampMs: number;
      clientOrderId: string;
      code: number;
      message: string;
    }
  | {
      kind: 'mmp_trigger';
      venue: string;
      timestampMs: number;
      index: string;
      group: string | null;
      /** End of the freeze; null until reset. */
      frozenUntilMs: number | null;
    }
  /** The venue's view of the account, for reconciliation on every (re)connect. */
  | {
      kind: 'account';
      venue: string;
      timestampMs: number;
      positions: { instrument: string; amount: number }[];
      openOrders: VenueOrder[];
      /** The trade id of the venue's latest fill the adapter fetched up to (fills come as `fill` inputs before). */
      lastTradeId: string | null;
    }
  | {
      kind: 'connection';
      venue: string;
      timestampMs: number;
      /** `in_doubt`: no answer or heartbeat within the limit, not known to be down. */
      state: 'up' | 'down' | 'in_doubt';
      reason: string;
    }
  | { kind: 'timer'; timestampMs: number }
  /**
   * The firm-level trading state the aggregator published for this engine (`src/bus/nats/`):
   * an extra limit layer. `REDUCING` or `HALTED` raise the controller's `firm_limit` condition,
   * `ACTIVE` lifts it. `revision`: the key-value entry's revision, `detail`: the breached limits.
   */
  | {
      kind: 'firm_state';
      timestampMs: number;
      state: 'ACTIVE' | 'REDUCING' | 'HALTED';
      detail: string;
      revision: number;
    }
  | { kind: 'operator'; timestampMs: number; requestId: string; command: OperatorCommand };

/** What the core asks of a venue. Results come back as inputs (`order`, `fill`, `reject`). */
export type VenueCommand =
  | {
      kind: 'place';
      clientOrderId: string;
      instrument: string;
      side: Side;
      amount: number;
      type: 'limit' | 'market';
      price?: number;
      postOnly?: boolean;
      reduceOnly?: boolean;
      timeInForce?: 'good_til_cancelled' | 'immediate_or_cancel' | 'fill_or_kill';
      mmp?: boolean;
    }
  | { kind: 'edit'; clientOrderId: string; orderId: string; amount: number; price: number }
  | { kind: 'cancel'; clientOrderId: string; orderId: string | null }
  /** Cancel every order; `killPath`: through the second, independent connection. */
  | { kind: 'cancel_all'; reason: string; killPath?: boolean }
  | {
      kind: 'mass_quote';
      quoteId: string;
      mmpGroup: string;
      quotes: {
        instrument: string;
        bid?: { price: number; amount: number };
        ask?: { price: number; amount: number };
      }[];
    }
  | {
      kind: 'set_mmp';
      index: string;
      group: string | null;
      intervalS: number;
      frozenTimeS: number;
      quantityLimit?: number;
      deltaLimit?: number;
      vegaLimit?: number;
      /** Mass-quote groups: the largest amount of one quote (`max_quote_quantity`). */
      maxQuoteQuantity?: number;
    }
  | { kind: 'reset_mmp'; index: string; group: string | null }
  /** Ask the venue for the truth about an order whose answer timed out. */
  | { kind: 'query_order'; clientOrderId: string; orderId: string | null }
  /** Ask for the account's view (positions, open orders, fills after `afterTradeId`). */
  | { kind: 'reconcile'; afterTradeId: string | null };

/** A venue as the engine's loop sees it. */
export interface VenueAdapter {
  readonly venue: string;
  /** Connects; from then on every event goes to `sink` (the loop journals, then applies it). */
  start(sink: (input: EngineInput) => void): Promise<void>;
  /** Sends a command; its outcome comes back through the sink. Never throws for a venue error. */
  send(command: VenueCommand): void;
  /** Disconnects cleanly. */
  stop(): Promise<void>;
}

/** The engine's state as the API serves it (`GET /api/state`); fields are only ever added. */
export interface EngineState {
  trading_state: 'ACTIVE' | 'REDUCING' | 'HALTED';
  /** Why the state is what it is (the conditions in force). */
  trading_reasons: string[];
  time_ms: number;
  venue: string;
  connection: 'up' | 'down' | 'in_doubt';
  positions: { instrument: string; amount: number }[];
  /** Book greeks: delta in coin, gamma, vega (USD per vol point), theta (USD per day), by underlying. */
  greeks: Record<string, { delta: number; gamma: number; vega: number; theta: number }>;
  pnl: { coin: Record<string, number>; usd: number };
  orders: {
    client_order_id: string;
    order_id: string | null;
    instrument: string;
    side: Side;
    price: number | null;
    amount: number;
    filled: number;
    state: string;
  }[];
  limits: { name: string; measure: string; current: number; limit: number; use: number }[];
  hedges: { count: number; cost_usd: number };
  alerts: { time_ms: number; kind: string; message: string }[];
  /**
   * Venue-style portfolio margin of the book at the marks (`src/risk/margin/`), with its worst
   * scenario; null when flat or unmarked. With Deribit, `venue` compares it with the venue's own
   * simulation (`private/simulate_portfolio`) when one was made.
   */
  margin: {
    initial_coin: number;
    initial_usd: number;
    maintenance_coin: number;
    maintenance_usd: number;
    worst_case_coin: number;
    worst_scenario: string | null;
    venue?: { initial_coin: number; maintenance_coin: number; difference_coin: number; time_ms: number };
  } | null;
}

/** The risk breakdown the dashboard shows (`GET /api/details`); fields are only ever added. */
export interface EngineDetails {
  time_ms: number;
  /** The index the book is marked with; null before the first ticker. */
  index: number | null;
  /** Option positions' greeks summed per expiry (delta in coin and USD, gamma, vega USD/vol pt, theta USD/day). */
  greeks_by_expiry: {
    expiry: string;
    expiry_ms: number;
    delta: number;
    delta_usd: number;
    gamma: number;
    vega: number;
    theta: number;
  }[];
  /** Each position with its greeks (options: per strike; futures and perpetuals: delta only). */
  greeks_by_position: {
    instrument: string;
    expiry: string | null;
    strike: number | null;
    amount: number;
    delta: number;
    gamma: number;
    vega: number;
    theta: number;
    value_usd: number;
  }[];
  /** Full revaluation of the book on a spot x vol grid: P&L in USD, rows by vol shift, columns by spot move. */
  stress: { spot_moves: number[]; vol_shifts: number[]; pnl_usd: number[][] } | null;
  /** Per expiry: the market's bid, ask and mark implied vols by strike, and the fitted curve. */
  smiles: {
    expiry: string;
    expiry_ms: number;
    forward: number;
    points: { strike: number; bid_iv: number | null; ask_iv: number | null; mark_iv: number }[];
    fit: { strike: number; iv: number }[];
  }[];
  /** ATM implied vol per expiry from the fitted surface. */
  term: { expiry: string; expiry_ms: number; years: number; atm_iv: number }[];
  /**
   * P&L explained by greeks over the last `window_ms` (delta, gamma, vega, theta against the change
   * in equity; the rest unexplained), from the engine's once-a-second samples.
   */
  attribution: {
    window_ms: number;
    delta_usd: number;
    gamma_usd: number;
    vega_usd: number;
    theta_usd: number;
    unexplained_usd: number;
    total_usd: number;
  } | null;
}

/** One instrument's page (`GET /api/instrument/:name`): its book, our orders in it, our fills. */
export interface InstrumentView {
  instrument: string;
  time_ms: number;
  /** Best first: [price, amount]. */
  bids: [number, number][];
  asks: [number, number][];
  book_status: string | null;
  ticker: {
    mark_price: number | null;
    mark_iv: number | null;
    bid_iv: number | null;
    ask_iv: number | null;
  } | null;
  orders: EngineState['orders'];
  fills: { time_ms: number; side: Side; price: number; amount: number; trade_id: string }[];
  position: number;
}

/** The result of an operator command. */
export interface CommandResult {
  accepted: boolean;
  trading_state: EngineState['trading_state'];
  detail: string;
}

/** What the API reads and asks of a running engine. */
export interface EngineHandle {
  state(): EngineState;
  /** Called after each applied batch of inputs; returns the unsubscribe function. */
  subscribe(listener: (state: EngineState) => void): () => void;
  /** Journals and applies an operator command. */
  command(command: OperatorCommand): Promise<CommandResult>;
  /** The risk breakdown for the dashboard. */
  details(): EngineDetails;
  /** One instrument's book, our orders and fills; null for an instrument the engine has not seen. */
  instrument(name: string): InstrumentView | null;
}
