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
import { formatMoney, parseMoney, type Money } from './money.js';

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
const MAX_CACHED_INSTRUMENTS = 100_000;

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

// ---------------------------------------------------------------------------------------------
// JSON form: what the journal stores. Money is written as decimal strings, exact both ways.

const MONEY_FIELDS: Readonly<Record<EventType, readonly string[]>> = {
  fill: ['amount', 'price', 'fee'],
  funding: ['amount'],
  settlement: ['settlementPrice'],
  delivery: ['deliveryPrice', 'fee'],
  deposit: ['amount'],
  withdrawal: ['amount'],
  transfer: ['amount'],
  mark: [],
};

const TEXT_FIELDS: Readonly<Record<EventType, readonly string[]>> = {
  fill: ['instrument', 'side', 'feeCurrency', 'liquidity', 'orderId'],
  funding: ['instrument'],
  settlement: ['instrument'],
  delivery: ['instrument', 'method', 'feeCurrency'],
  deposit: ['currency'],
  withdrawal: ['currency'],
  transfer: ['currency', 'counterparty'],
  mark: [],
};

/** The JSON form of an event (a plain object; `JSON.stringify` it to store). */
export function eventToJson(event: InventoryEvent): Record<string, unknown> {
  const json: Record<string, unknown> = {
    type: event.type,
    venue: event.venue,
    id: event.id,
    timestampMs: event.timestampMs,
    sequence: event.sequence,
  };
  const fields = event as unknown as Record<string, unknown>;
  for (const name of TEXT_FIELDS[event.type]) json[name] = fields[name];
  for (const name of MONEY_FIELDS[event.type]) json[name] = formatMoney(fields[name] as Money);
  if (event.type === 'fill' && event.liquidation !== undefined) json.liquidation = event.liquidation;
  if (event.type === 'mark') {
    json.prices = mapValues(event.prices, (price) => formatMoney(price));
    json.indexPrices = mapValues(event.indexPrices, (price) => formatMoney(price));
  }
  return json;
}

/**
 * `JSON.stringify(eventToJson(event))`, the text the journal stores, written directly for a fill
 * (the import writes one per line; building the object and then its text was a fifth of an
 * import). The same characters as the general form, which a test checks.
 */
export function eventJsonText(event: InventoryEvent): string {
  if (event.type !== 'fill') return JSON.stringify(eventToJson(event));
  const liquidation = event.liquidation === undefined ? '' : `,"liquidation":${event.liquidation}`;
  return (
    `{"type":"fill","venue":${quote(event.venue)},"id":${quote(event.id)},` +
    `"timestampMs":${JSON.stringify(event.timestampMs)},"sequence":${JSON.stringify(event.sequence)},` +
    `"instrument":${quote(event.instrument)},"side":${quote(event.side)},` +
    `"feeCurrency":${quote(event.feeCurrency)},"liquidity":${quote(event.liquidity)},` +
    `"orderId":${quote(event.orderId)},"amount":"${formatMoney(event.amount)}",` +
    `"price":"${formatMoney(event.price)}","fee":"${formatMoney(event.fee)}"${liquidation}}`
  );
}

/** `JSON.stringify(text)`, without the call for text that needs no escape (ids and names). */
function quote(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || c > 126) return JSON.stringify(text);
  }
  return `"${text}"`;
}

/**
 * Reads and validates an event from its JSON form (an object, or its text). Money may be a
 * decimal string or a finite JSON number. Throws `InputError` naming the field.
 */
export function eventFromJson(value: unknown): InventoryEvent {
  let data: unknown = value;
  if (typeof value === 'string') {
    const fill = scanFillJson(value);
    if (fill !== undefined) return validateEvent(fill);
    try {
      data = JSON.parse(value);
    } catch {
      throw new InputError('event', value, 'JSON text of an object');
    }
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError('event', data, 'an object');
  }
  const source = data as Record<string, unknown>;
  const type = source.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new InputError('type', type, `one of ${EVENT_TYPES.join(', ')}`);
  }
  if (type === 'fill') return validateEvent(fillFromJson(source));
  const eventType = type as EventType;
  const event: Record<string, unknown> = {
    type: eventType,
    venue: source.venue,
    id: typeof source.id === 'number' && Number.isSafeInteger(source.id) ? String(source.id) : source.id,
    timestampMs: source.timestampMs,
    sequence: source.sequence ?? 0,
  };
  for (const name of TEXT_FIELDS[eventType]) event[name] = source[name];
  for (const name of MONEY_FIELDS[eventType]) event[name] = readMoney(name, source[name]);
  if (eventType === 'fill' && source.liquidation !== undefined) event.liquidation = source.liquidation;
  if (eventType === 'mark') {
    event.prices = readMoneyMap('prices', source.prices);
    event.indexPrices = readMoneyMap('indexPrices', source.indexPrices ?? {});
  }
  return validateEvent(event as unknown as InventoryEvent);
}

/**
 * A fill's fields read into an object literal: one shape for every fill (the ledger's hot path
 * stays monomorphic), no loop over field names. Types are checked by `validateEvent` after.
 */
function fillFromJson(source: Record<string, unknown>): FillEvent {
  const id = source.id;
  const fill = {
    type: 'fill',
    venue: source.venue,
    id: typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : id,
    timestampMs: source.timestampMs,
    sequence: source.sequence ?? 0,
    instrument: source.instrument,
    side: source.side,
    amount: readMoney('amount', source.amount),
    price: readMoney('price', source.price),
    fee: readMoney('fee', source.fee),
    feeCurrency: source.feeCurrency,
    liquidity: source.liquidity,
    orderId: source.orderId,
  } as FillEvent;
  if (source.liquidation !== undefined) fill.liquidation = source.liquidation as boolean;
  return fill;
}

// The journal's fill bodies have one layout, the one `eventToJson` writes: the keys in a fixed
// order, money as decimal strings. A replay reads a million of them, and `JSON.parse` (an object
// and a string per field, then a second object) was most of its cost; `scanFillJson` reads that
// exact layout with `indexOf` and `startsWith`. Text that departs from it in any way (another
// key order, spacing, escapes, control characters, a number JSON would refuse) returns
// undefined and goes through `JSON.parse`, so both paths accept exactly the same texts.
const FILL_START = '{"type":"fill","venue":"';
/** Escapes and raw control characters: left to `JSON.parse`. */
// eslint-disable-next-line no-control-regex -- matching raw control characters is the point
const NOT_PLAIN = /[\u0000-\u001f\\]/;
let scanAt = 0;

function scanFillJson(text: string): FillEvent | undefined {
  if (!text.startsWith(FILL_START) || NOT_PLAIN.test(text)) return undefined;
  scanAt = FILL_START.length;
  const venue = scanString(text, '","id":"');
  const id = venue === undefined ? undefined : scanString(text, '","timestampMs":');
  const timestampMs = id === undefined ? undefined : scanInteger(text, ',"sequence":');
  const sequence = timestampMs === undefined ? undefined : scanInteger(text, ',"instrument":"');
  const instrument = sequence === undefined ? undefined : scanString(text, '","side":"');
  const side = instrument === undefined ? undefined : scanString(text, '","feeCurrency":"');
  const feeCurrency = side === undefined ? undefined : scanString(text, '","liquidity":"');
  const liquidity = feeCurrency === undefined ? undefined : scanString(text, '","orderId":"');
  const orderId = liquidity === undefined ? undefined : scanString(text, '","amount":"');
  const amount = orderId === undefined ? undefined : scanString(text, '","price":"');
  const price = amount === undefined ? undefined : scanString(text, '","fee":"');
  const fee = price === undefined ? undefined : scanString(text, '"');
  if (fee === undefined) return undefined;
  let liquidation: boolean | undefined;
  const rest = text.slice(scanAt);
  if (rest === ',"liquidation":true}') liquidation = true;
  else if (rest === ',"liquidation":false}') liquidation = false;
  else if (rest !== '}') return undefined;
  const fill: FillEvent = {
    type: 'fill',
    venue: intern(venue as string),
    id: id as string,
    timestampMs: timestampMs as number,
    sequence: sequence as number,
    instrument: intern(instrument as string),
    side: (side === 'buy' ? 'buy' : side === 'sell' ? 'sell' : side) as Side,
    amount: readMoney('amount', amount),
    price: readMoney('price', price),
    fee: readMoney('fee', fee),
    feeCurrency: intern(feeCurrency as string),
    liquidity: (liquidity === 'maker' ? 'maker' : liquidity === 'taker' ? 'taker' : liquidity) as Liquidity,
    orderId: orderId as string,
  };
  if (liquidation !== undefined) fill.liquidation = liquidation;
  return fill;
}

/**
 * One copy of each venue, instrument and currency name. A substring of 13 characters or more is
 * a view into the whole body in V8, so an instrument name kept by the ledger would keep every
 * body alive (300 MB over a million fills); and a million copies of a few names cost the
 * garbage collector as much. Bounded like the instrument cache.
 */
const NAMES = new Map<string, string>();

function intern(text: string): string {
  const known = NAMES.get(text);
  if (known !== undefined) return known;
  if (NAMES.size >= MAX_CACHED_INSTRUMENTS) NAMES.clear();
  NAMES.set(text, text);
  return text;
}

/** The string from `scanAt` to the next quote, which `next` must start; moves past `next`. */
function scanString(text: string, next: string): string | undefined {
  const end = text.indexOf('"', scanAt);
  if (end < 0 || !text.startsWith(next, end)) return undefined;
  const value = text.slice(scanAt, end);
  scanAt = end + next.length;
  return value;
}

/** A JSON integer (`0` or digits without a leading zero) up to `next`; moves past `next`. */
function scanInteger(text: string, next: string): number | undefined {
  const start = scanAt;
  let value = 0;
  let i = start;
  for (; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  const digits = i - start;
  if (digits === 0 || digits > 15 || (digits > 1 && text.charCodeAt(start) === 48)) return undefined;
  if (!text.startsWith(next, i)) return undefined;
  scanAt = i + next.length;
  return value;
}

function readMoney(field: string, value: unknown): Money {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new InputError(field, value, 'a decimal string or a finite number');
  }
  return parseMoney(value, { field });
}

function readMoneyMap(field: string, value: unknown): Record<string, Money> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(field, value, 'an object of prices');
  }
  const out: Record<string, Money> = {};
  for (const [name, price] of Object.entries(value)) out[name] = readMoney(`${field}.${name}`, price);
  return out;
}

function mapValues<A, B>(record: Record<string, A>, f: (value: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [key, value] of Object.entries(record)) out[key] = f(value);
  return out;
}
