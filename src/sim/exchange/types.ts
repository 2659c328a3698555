/**
 * Types of the simulated exchange (issue 7, item 1): orders, their states, fills, rejections
 * named as the venue names them, market maker protection, and the events the exchange emits.
 *
 * Names follow Deribit's API v2 (`private/buy`, `private/sell`, `private/edit`,
 * `private/set_mmp_config`, `private/enable_cancel_on_disconnect`): `post_only` and
 * `reject_post_only`, `time_in_force` `good_til_cancelled` / `immediate_or_cancel`,
 * `reduce_only`, `label`, `mmp`, and the venue's error messages as rejection reasons.
 */

/** Order side. */
export type Side = 'buy' | 'sell';

/** Order type. Post-only is a flag of a limit order, IOC a time in force. */
export type OrderType = 'limit' | 'market';

/** Time in force (venue `time_in_force`). */
export type TimeInForce = 'good_til_cancelled' | 'immediate_or_cancel';

/** Where an order stands (venue `order_state`, with `partially_filled` for an open order with fills). */
export type OrderState = 'open' | 'partially_filled' | 'filled' | 'cancelled' | 'rejected';

/**
 * Why an order was refused: the venue's error message (Deribit API v2 error table; codes in
 * `VENUE_ERROR_CODES`). `mmp_frozen`, `mmp_group_not_configured` and `reduce_only` are this simulator's names for cases the
 * venue reports with a code we could not confirm; everything else is the venue's own name.
 */
export type RejectReason =
  | 'invalid_or_unsupported_instrument'
  | 'book_closed'
  | 'invalid_amount'
  | 'qty_too_low'
  | 'invalid_price'
  | 'price_wrong_tick'
  | 'price_too_high'
  | 'price_too_low'
  | 'post_only_reject'
  | 'post_only_price_modification_not_possible'
  | 'reduce_only'
  | 'unsupported_arg_combination'
  | 'order_not_found'
  | 'not_owner_of_order'
  | 'mmp_frozen'
  | 'mmp_group_not_configured';

/**
 * Deribit error codes of the reasons, where known (API v2 error table and client libraries that
 * copy it; `post_only_reject` 11054 per NautilusTrader's Deribit adapter). `null`: no code
 * confirmed.
 */
export const VENUE_ERROR_CODES: Readonly<Record<RejectReason, number | null>> = {
  invalid_or_unsupported_instrument: 10020,
  book_closed: 10012,
  invalid_amount: 10021,
  qty_too_low: 10002,
  invalid_price: 10023,
  price_wrong_tick: 10043,
  price_too_high: 10007,
  price_too_low: 10005,
  post_only_reject: 11054,
  post_only_price_modification_not_possible: null,
  reduce_only: null,
  unsupported_arg_combination: null,
  order_not_found: 10004,
  not_owner_of_order: null,
  mmp_frozen: null,
  mmp_group_not_configured: null,
};

/** Why an open order was cancelled. */
export type CancelReason =
  | 'user'
  | 'immediate_or_cancel'
  | 'market_remainder'
  | 'self_trade'
  | 'mmp_trigger'
  | 'cancel_on_disconnect'
  | 'reduce_only'
  | 'settlement';

/** What a participant sends to place an order. */
export interface OrderRequest {
  /** The participant's own id for the order (echoed, not required to be unique). */
  clientOrderId?: string;
  /** Account the order trades for. */
  participant: string;
  /** Connection the order was sent on (for cancel-on-disconnect); optional. */
  connection?: string;
  instrument: string;
  side: Side;
  /** In the instrument's amount unit (USD for inverse futures, contracts for options). */
  amount: number;
  /** Limit price; required for `limit`, ignored for `market`. */
  price?: number;
  /** Default `limit`. */
  type?: OrderType;
  /** Default `good_til_cancelled`. */
  timeInForce?: TimeInForce;
  /** Venue `post_only`: never take liquidity. */
  postOnly?: boolean;
  /**
   * Venue `reject_post_only`: when a post-only order would cross, reject it (`post_only_reject`)
   * instead of moving its price to one tick inside the spread. Default: the exchange's
   * `rejectPostOnlyByDefault` (false, as on the venue).
   */
  rejectPostOnly?: boolean;
  /** Venue `reduce_only`: may only reduce the position; capped to it. */
  reduceOnly?: boolean;
  label?: string;
  /** Venue `mmp`: the order is a quote under market maker protection. */
  mmp?: boolean;
  /** MMP group (mass-quote groups); default group `''`. */
  mmpGroup?: string;
}

/** An order as the exchange holds it (snapshots are copies). */
export interface Order {
  orderId: string;
  clientOrderId: string | null;
  participant: string;
  connection: string | null;
  instrument: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  reduceOnly: boolean;
  label: string | null;
  mmp: boolean;
  mmpGroup: string;
  /** Current limit price (after a post-only reprice); null for market orders. */
  price: number | null;
  /** Order amount, in the instrument's amount unit. */
  amount: number;
  filledAmount: number;
  /** Volume-weighted fill price; null before the first fill. */
  averagePrice: number | null;
  state: OrderState;
  rejectReason: RejectReason | null;
  cancelReason: CancelReason | null;
  /** Human detail of a rejection. */
  detail: string | null;
  createdMs: number;
  lastUpdateMs: number;
}

/** One trade between a maker and a taker. Fees are positive when paid, negative for a rebate. */
export interface Fill {
  tradeId: number;
  instrument: string;
  timestampMs: number;
  price: number;
  amount: number;
  /** Side of the taker (the aggressor). */
  takerSide: Side;
  makerOrderId: string;
  takerOrderId: string;
  makerParticipant: string;
  takerParticipant: string;
  makerFee: number;
  takerFee: number;
  feeCurrency: string;
  /** Premium paid by the buyer to the seller (options), in `premiumCurrency`; 0 for futures. */
  premium: number;
  premiumCurrency: string;
}

/** Market maker protection settings of one participant, index and group (`private/set_mmp_config`). */
export interface MmpConfig {
  participant: string;
  /** Underlying index (the instrument's base currency, `BTC`). */
  index: string;
  /** MMP group; default `''`. */
  group?: string;
  /** Window length in ms; 0 turns MMP off. */
  intervalMs: number;
  /** Freeze after a trigger, ms; 0 freezes until `resetMmp`. */
  frozenTimeMs: number;
  /** Limit on traded quantity (sum of fill amounts) within a window. */
  quantityLimit?: number;
  /** Limit on |net delta traded| within a window (needs the exchange's `greeks`). */
  deltaLimit?: number;
  /** Limit on |net vega traded| within a window (needs the exchange's `greeks`). */
  vegaLimit?: number;
}

/** Per-unit-of-amount greeks used by MMP delta and vega limits. */
export interface UnitGreeks {
  delta: number;
  vega: number;
}

/** Fee rates (Deribit support "Fees"; configurable because the venue changes them). */
export interface FeeSchedule {
  /** BTC/ETH inverse options: coin per contract (x multiplier), capped at `capShare` of the premium. */
  inverseOption: { maker: number; taker: number; capShare: number };
  /** USDC linear options: share of the index per unit of underlying, capped at `capShare` of the premium. */
  linearOption: { maker: number; taker: number; capShare: number };
  /** Futures (not weekly): share of notional. */
  future: { maker: number; taker: number };
  /** Weekly futures (`settlementPeriod` `week`): share of notional, maker rebate. */
  weeklyFuture: { maker: number; taker: number };
  perpetual: { maker: number; taker: number };
  /** Option delivery: share of the underlying per contract, capped at `capShare` of the option's value. */
  optionDelivery: { rate: number; capShare: number };
}

/** The DOMAIN.md fee table. */
export const DERIBIT_FEES: FeeSchedule = {
  inverseOption: { maker: 0.0003, taker: 0.0003, capShare: 0.125 },
  linearOption: { maker: 0.0001, taker: 0.0005, capShare: 0.125 },
  future: { maker: 0, taker: 0.0005 },
  weeklyFuture: { maker: -0.0001, taker: 0.0005 },
  perpetual: { maker: 0, taker: 0.0005 },
  optionDelivery: { rate: 0.00015, capShare: 0.125 },
};

/**
 * Self-trade rule when an incoming order would match a resting order of the same participant:
 * `cancel_maker` cancels the resting order and matching goes on (the default; Deribit's
 * self-trading prevention "cancel maker"); `reject_taker` stops matching and cancels the rest
 * of the incoming order, leaving the resting order in place.
 */
export type SelfTradeRule = 'cancel_maker' | 'reject_taker';

/** The MMP trigger notification. */
export interface MmpTriggerEvent {
  type: 'mmp_trigger';
  participant: string;
  index: string;
  group: string;
  timestampMs: number;
  /** Which limit was passed. */
  limit: 'quantity' | 'delta' | 'vega';
  value: number;
  limitValue: number;
  /** End of the freeze; `null` until `resetMmp`. */
  frozenUntilMs: number | null;
  cancelledOrderIds: string[];
}

/** One participant's expiry settlement of one instrument. */
export interface SettlementEvent {
  type: 'settlement';
  instrument: string;
  participant: string;
  timestampMs: number;
  deliveryPrice: number;
  /** Position settled, in the amount unit. */
  position: number;
  /** Cash credited (negative: debited), before the delivery fee, in `currency`. */
  cash: number;
  /** Delivery fee paid. */
  fee: number;
  currency: string;
}

/** What the exchange reports. */
export type ExchangeEvent =
  { type: 'trade'; fill: Fill } | { type: 'order'; order: Order } | MmpTriggerEvent | SettlementEvent;

/** Result of an order action: the order after it (a copy), and everything that happened. */
export interface ActionResult {
  order: Order;
  fills: Fill[];
  events: ExchangeEvent[];
}

/**
 * Mass quotes (`private/mass_quote`; Deribit API docs,
 * https://docs.deribit.com/api-reference/trading/private-mass_quote and "Mass Quotes
 * Specifications", https://docs.deribit.com/articles/mass-quotes-specifications). Field names
 * are the venue's: a request carries one `mmp_group` and a `quote_id`; each entry names an
 * instrument and a `bid` and/or an `ask` with `price` and `amount` (amount 0 cancels that
 * side); `quote_set_id` tags entries for targeted cancellation.
 */
export interface MassQuoteSide {
  price: number;
  amount: number;
}

/** One instrument's quote in a mass quote. */
export interface MassQuoteEntry {
  instrument_name: string;
  quote_set_id?: string;
  bid?: MassQuoteSide;
  ask?: MassQuoteSide;
}

/** The parameters of `private/mass_quote` the simulator uses. */
export interface MassQuoteRequest {
  quote_id: string;
  mmp_group: string;
  quotes: MassQuoteEntry[];
}

/** A per-side error of a mass quote (venue `errors[]`: instrument, `bid`/`ask`, error). */
export interface MassQuoteError {
  instrument_name: string;
  side: 'bid' | 'ask';
  error: { message: RejectReason; code: number | null; detail: string };
}

/** Result of a mass quote: orders placed or edited (copies), trades, per-side errors, events. */
export interface MassQuoteResult {
  quote_id: string;
  orders: Order[];
  trades: Fill[];
  errors: MassQuoteError[];
  events: ExchangeEvent[];
}
