/**
 * Inventory events: what changes the book. Each event names its venue, its id (unique per
 * venue: the trade id for a fill), the venue's timestamp and a sequence (the venue's trade
 * sequence, or 0); the canonical order of events is timestamp, then sequence, then id, and the
 * ledger's state depends on that order only, never on the order of arrival.
 *
 * Units (Deribit API docs, `private/get_user_trades_by_currency`, `amount`): a fill's amount is
 * in the venue's unit: USD for inverse futures and perpetuals, contracts for options (one
 * contract = `multiplier` coins), base coin for linear futures and perpetuals. A price is in
 * the instrument's price currency: coin per contract for inverse options, USD per coin for
 * inverse futures, USDC for linear instruments. Money is exact (`money.ts`); the JSON form
 * writes it as decimal strings.
 */
import { InputError, ParseError, UnsupportedError } from '../model/errors.js';
import { parseInstrumentName, type ParsedInstrumentName } from '../model/instrument-name.js';
import { formatMoney, type Money } from './money.js';

/** Buy or sell, from the account's side. */
export type Side = 'buy' | 'sell';
/** Whether the account's order added liquidity (`maker`) or took it (`taker`). */
export type Liquidity = 'maker' | 'taker';
/**
 * How an option expiry settles: `cash` (the holder receives the intrinsic value, in coin for
 * inverse options: history) or `physical` (an in-the-money option becomes a position in the
 * same-expiry future at the strike, which then delivers: since April 2026 for USDC options and
 * 1 August 2026 for inverse options; Deribit Insights, "Change to option delivery process").
 */
export type DeliveryMethod = 'cash' | 'physical';

/** Fields every event has. */
export interface EventBase {
  /** Venue name, e.g. `deribit`. */
  venue: string;
  /** Unique per venue: the trade id for a fill, the transaction log id otherwise. */
  id: string;
  /** Venue timestamp, milliseconds since the epoch. */
  timestampMs: number;
  /** Venue trade sequence (a non-negative integer), 0 when the venue gives none. */
  sequence: number;
}

/** A trade of the account. */
export interface FillEvent extends EventBase {
  type: 'fill';
  instrument: string;
  side: Side;
  /** Positive, in the venue's unit (USD for inverse futures, contracts for options). */
  amount: Money;
  /** In the instrument's price currency (coin for inverse options, USD for inverse futures). */
  price: Money;
  /** Fee charged (negative = rebate), in `feeCurrency`. */
  fee: Money;
  feeCurrency: string;
  liquidity: Liquidity;
  orderId: string;
  /** The venue liquidated the position (the fee includes the liquidation fee). */
  liquidation?: boolean;
}

/** Perpetual funding accrued into the session's realized P&L. */
export interface FundingEvent extends EventBase {
  type: 'funding';
  /** A perpetual. */
  instrument: string;
  /** In the settlement currency, signed: received > 0, paid < 0. */
  amount: Money;
}

/**
 * The daily session settlement (08:00 UTC) of one instrument: a future's or perpetual's session
 * P&L (realized since the last settlement, funding included, and unrealized at the settlement
 * price) moves into the cash balance and the next session is measured from this price.
 */
export interface SettlementEvent extends EventBase {
  type: 'settlement';
  instrument: string;
  /** In the instrument's price currency (USD for inverse futures). */
  settlementPrice: Money;
}

/** Expiry of an option or a future at the delivery price (30-minute average of the index). */
export interface DeliveryEvent extends EventBase {
  type: 'delivery';
  instrument: string;
  /** USD per coin (USDC for linear instruments). */
  deliveryPrice: Money;
  /** `cash` for futures and for options before the change; `physical` for options after it. */
  method: DeliveryMethod;
  /** Delivery fee (negative = rebate), in `feeCurrency`. */
  fee: Money;
  feeCurrency: string;
}

/** Coin or USDC arriving from outside. */
export interface DepositEvent extends EventBase {
  type: 'deposit';
  currency: string;
  /** Positive. */
  amount: Money;
}

/** Coin or USDC leaving the account (the amount debited, any withdrawal fee included). */
export interface WithdrawalEvent extends EventBase {
  type: 'withdrawal';
  currency: string;
  /** Positive. */
  amount: Money;
}

/** A transfer with another account (a subaccount, another user). */
export interface TransferEvent extends EventBase {
  type: 'transfer';
  currency: string;
  /** Signed: received > 0, sent < 0. */
  amount: Money;
  /** The other account. */
  counterparty: string;
}

/** A market state (for P&L attribution): mark prices and index prices at one instant. */
export interface MarkEvent extends EventBase {
  type: 'mark';
  /** Mark price by instrument name, in each instrument's price currency. */
  prices: Record<string, Money>;
  /** Index price by index name (`btc_usd`), USD per coin. */
  indexPrices: Record<string, Money>;
}

/** Any inventory event. */
export type InventoryEvent =
  | FillEvent
  | FundingEvent
  | SettlementEvent
  | DeliveryEvent
  | DepositEvent
  | WithdrawalEvent
  | TransferEvent
  | MarkEvent;

/** The event types. */
export type EventType = InventoryEvent['type'];

/** Events that belong to one instrument (the ledger folds them per instrument). */
export type InstrumentEvent = FillEvent | FundingEvent | SettlementEvent | DeliveryEvent;

export const EVENT_TYPES: readonly EventType[] = [
  'fill',
  'funding',
  'settlement',
  'delivery',
  'deposit',
  'withdrawal',
  'transfer',
  'mark',
];

/** Whether the event belongs to one instrument. */
export function isInstrumentEvent(event: InventoryEvent): event is InstrumentEvent {
  return (
    event.type === 'fill' ||
    event.type === 'funding' ||
    event.type === 'settlement' ||
    event.type === 'delivery'
  );
}

/**
 * The canonical order: timestamp, then sequence, then id, then venue (ids are unique per venue
 * only). Ids compare by UTF-16 code units, not by locale, so the order is the same everywhere.
 */
export function compareEvents(a: EventBase, b: EventBase): number {
  if (a.timestampMs !== b.timestampMs) return a.timestampMs < b.timestampMs ? -1 : 1;
  if (a.sequence !== b.sequence) return a.sequence < b.sequence ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  if (a.venue !== b.venue) return a.venue < b.venue ? -1 : 1;
  return 0;
}

/** The identity of an event: venue and id. The same key twice is a duplicate. */
export function eventKey(event: EventBase): string {
  return `${event.venue}\u0000${event.id}`;
}

const CURRENCY = /^[A-Z][A-Z0-9]{1,11}$/;

/**
 * Checks an event and returns it. Throws `InputError` naming the field, the value and what was
 * expected: a missing or malformed common field, an unknown or unsupported instrument, an
 * amount that is not positive, a negative price, a fill at or after its instrument's expiry, a
 * delivery before it, funding on anything but a perpetual, physical delivery of a future.
 */
export function validateEvent<E extends InventoryEvent>(event: E): E {
  if (event === null || typeof event !== 'object') throw new InputError('event', event, 'an object');
  const type: unknown = (event as { type?: unknown }).type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new InputError('type', type, `one of ${EVENT_TYPES.join(', ')}`);
  }
  requireText('venue', event.venue);
  requireText('id', event.id);
  if (!Number.isSafeInteger(event.timestampMs) || event.timestampMs < 0) {
    throw new InputError(
      'timestampMs',
      event.timestampMs,
      'a non-negative integer of milliseconds since the epoch',
    );
  }
  if (!Number.isSafeInteger(event.sequence) || event.sequence < 0) {
    throw new InputError('sequence', event.sequence, 'a non-negative integer (0 when the venue gives none)');
  }
  switch (event.type) {
    case 'fill':
      validateFill(event);
      break;
    case 'funding': {
      const parsed = requireInstrument(event.instrument);
      if (parsed.kind !== 'perpetual') {
        throw new InputError(
          'instrument',
          event.instrument,
          'a perpetual (funding applies to perpetuals only)',
        );
      }
      requireMoney('amount', event.amount);
      break;
    }
    case 'settlement':
      requireInstrument(event.instrument);
      requirePositive('settlementPrice', event.settlementPrice);
      break;
    case 'delivery':
      validateDelivery(event);
      break;
    case 'deposit':
    case 'withdrawal':
      requireCurrency('currency', event.currency);
      requirePositive('amount', event.amount);
      break;
    case 'transfer':
      requireCurrency('currency', event.currency);
      requireMoney('amount', event.amount);
      if (event.amount === 0n)
        throw new InputError('amount', '0', 'a non-zero amount (received > 0, sent < 0)');
      requireText('counterparty', event.counterparty);
      break;
    case 'mark':
      validateMark(event);
      break;
  }
  return event;
}

function validateFill(event: FillEvent): void {
  const parsed = requireInstrument(event.instrument);
  if (event.side !== 'buy' && event.side !== 'sell')
    throw new InputError('side', event.side, '"buy" or "sell"');
  requirePositive('amount', event.amount);
  requireMoney('price', event.price);
  if (parsed.kind === 'option' ? event.price < 0n : event.price <= 0n) {
    throw new InputError(
      'price',
      formatMoney(event.price),
      parsed.kind === 'option' ? 'a non-negative option price' : 'a positive price',
    );
  }
  requireMoney('fee', event.fee);
  requireCurrency('feeCurrency', event.feeCurrency);
  if (event.liquidity !== 'maker' && event.liquidity !== 'taker') {
    throw new InputError('liquidity', event.liquidity, '"maker" or "taker"');
  }
  if (typeof event.orderId !== 'string') throw new InputError('orderId', event.orderId, 'a string');
  if (event.liquidation !== undefined && typeof event.liquidation !== 'boolean') {
    throw new InputError('liquidation', event.liquidation, 'true, false or absent');
  }
  if ('expiryMs' in parsed && event.timestampMs >= parsed.expiryMs) {
    throw new InputError(
      'timestampMs',
      event.timestampMs,
      `a time before the expiry of ${event.instrument} (${new Date(parsed.expiryMs).toISOString()})`,
    );
  }
}

function validateDelivery(event: DeliveryEvent): void {
  const parsed = requireInstrument(event.instrument);
  if (parsed.kind !== 'option' && parsed.kind !== 'future') {
    throw new InputError('instrument', event.instrument, 'an option or a dated future (what expires)');
  }
  if (event.timestampMs < parsed.expiryMs) {
    throw new InputError(
      'timestampMs',
      event.timestampMs,
      `a time at or after the expiry of ${event.instrument} (${new Date(parsed.expiryMs).toISOString()})`,
    );
  }
  requirePositive('deliveryPrice', event.deliveryPrice);
  if (event.method !== 'cash' && event.method !== 'physical') {
    throw new InputError('method', event.method, '"cash" or "physical"');
  }
  if (event.method === 'physical' && parsed.kind !== 'option') {
    throw new InputError('method', event.method, '"cash" for a future (only options settle physically)');
  }
  requireMoney('fee', event.fee);
  requireCurrency('feeCurrency', event.feeCurrency);
}

function validateMark(event: MarkEvent): void {
  if (event.prices === null || typeof event.prices !== 'object') {
    throw new InputError('prices', event.prices, 'an object of mark prices by instrument');
  }
  for (const [name, price] of Object.entries(event.prices)) {
    requireInstrument(name, `prices.${name}`);
    requireMoney(`prices.${name}`, price);
    if (price < 0n) throw new InputError(`prices.${name}`, formatMoney(price), 'a non-negative price');
  }
  if (event.indexPrices === null || typeof event.indexPrices !== 'object') {
    throw new InputError('indexPrices', event.indexPrices, 'an object of index prices by index name');
  }
  for (const [name, price] of Object.entries(event.indexPrices)) {
    requirePositive(`indexPrices.${name}`, price);
  }
}

/**
 * Parses an instrument name for the inventory: `InputError` on `field` for a malformed name, a
 * combo or a spot pair (spot trades are not booked by this ledger).
 */
export function requireInstrument(
  name: unknown,
  field = 'instrument',
): Exclude<ParsedInstrumentName, { kind: 'spot' }> {
  if (typeof name !== 'string') throw new InputError(field, name, 'an instrument name');
  const known = INSTRUMENTS.get(name);
  if (known !== undefined) return known;
  const parsed = parseInventoryInstrument(name, field);
  // A journal names few instruments and a rebuild asks for each name once per event: parsing
  // the name every time was a third of the cost of a replay. Valid names only, frozen (callers
  // share the object), and bounded so that a stream of distinct names cannot grow it for ever.
  if (INSTRUMENTS.size >= MAX_CACHED_INSTRUMENTS) INSTRUMENTS.clear();
  INSTRUMENTS.set(name, Object.freeze(parsed));
  return parsed;
}

type InventoryInstrument = Exclude<ParsedInstrumentName, { kind: 'spot' }>;

/** Parsed inventory instruments by name (see `requireInstrument`). */
const INSTRUMENTS = new Map<string, InventoryInstrument>();
/** Names cached at most (instruments here, interned names in `event-json.ts`). */
export const MAX_CACHED_INSTRUMENTS = 100_000;

function parseInventoryInstrument(name: string, field: string): InventoryInstrument {
  let parsed: ParsedInstrumentName;
  try {
    parsed = parseInstrumentName(name);
  } catch (error) {
    if (error instanceof ParseError)
      throw new InputError(field, name, `a Deribit instrument name (${error.reason})`);
    if (error instanceof UnsupportedError)
      throw new InputError(field, name, `an outright instrument (${error.message})`);
    throw error;
  }
  if (parsed.kind === 'spot')
    throw new InputError(field, name, 'an option, future or perpetual (not a spot pair)');
  return parsed;
}

function requireText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw new InputError(field, value, 'a non-empty string');
}

function requireCurrency(field: string, value: unknown): void {
  if (typeof value !== 'string' || !CURRENCY.test(value)) {
    throw new InputError(field, value, 'a currency code such as BTC, ETH or USDC');
  }
}

function requireMoney(field: string, value: unknown): asserts value is Money {
  if (typeof value !== 'bigint') throw new InputError(field, value, 'an exact amount (bigint money)');
}

function requirePositive(field: string, value: unknown): void {
  requireMoney(field, value);
  if (value <= 0n) throw new InputError(field, formatMoney(value), 'a positive amount');
}
