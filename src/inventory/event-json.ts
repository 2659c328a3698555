/**
 * Inventory events in their JSON form, what the journal stores: money as decimal strings, exact
 * both ways (`eventToJson`, `eventJsonText`, `eventFromJson`), and the fast reader of the fill
 * bodies a replay reads by the million.
 */
import { InputError } from '../model/errors.js';
import type { JournalRecord } from '../store/journal.js';
import { formatMoney, parseMoney, type Money } from './money.js';
import {
  EVENT_TYPES,
  isInstrumentEvent,
  MAX_CACHED_INSTRUMENTS,
  validateEvent,
  type EventType,
  type FillEvent,
  type InventoryEvent,
  type Liquidity,
  type Side,
} from './events.js';

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

/** The journal's record of an event: the fields the store indexes and `eventJsonText` as the body. */
export function eventRecord(event: InventoryEvent): JournalRecord {
  return {
    venue: event.venue,
    id: event.id,
    timestampMs: event.timestampMs,
    sequence: event.sequence,
    type: event.type,
    instrument: isInstrumentEvent(event) ? event.instrument : null,
    body: eventJsonText(event),
  };
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
