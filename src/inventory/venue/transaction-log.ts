/**
 * The account's transaction log as Deribit's `private/get_transaction_log` returns it, read
 * into inventory events.
 *
 * Fields (Deribit API docs, `private/get_transaction_log`): `id` (the log entry), `user_seq`
 * (sequential number of the user's transactions), `type`, `timestamp`, `currency`,
 * `instrument_name`, `side`, `amount`, `price`, `commission` (fee), `change` (change of the cash
 * balance), `cashflow`, `interest_pl` (perpetual funding of the entry), `user_role`
 * (maker/taker), `trade_id`, `order_id`, `info`.
 *
 * | `type` | event | from |
 * | --- | --- | --- |
 * | `trade` | `fill`, id = `trade_id`; and `funding` if `interest_pl` is not 0 (perpetuals) | `side` (`open buy`, `close sell`, ...), `amount`, `price`, `commission` in `currency`, `user_role`, `interest_pl` |
 * | `settlement` | `funding` (if `interest_pl` is not 0, perpetuals) then `settlement` | `info.settlement_price` (else `price`), `interest_pl` |
 * | `delivery` | `delivery` | `price` (the delivery price), `commission`; cash before the change of delivery process, physical (options) after |
 * | `deposit` | `deposit` | `change` |
 * | `withdrawal` | `withdrawal` | `-change` (the amount debited, fee included) |
 * | `transfer` | `transfer` | `change` (signed), counterparty `info.other_user` (else `info.other_user_id`) |
 *
 * A trade that closes a position and opens the opposite one appears as two entries with the
 * same `trade_id` (`close buy` 0.3 and `open buy` 0.7 in the documented example): they are one
 * fill of the summed amount and fees. Other types (`swap`, `correction`, ...) are refused: a
 * ledger that skipped them would not reconcile. Events other than fills take the log entry's id
 * (`log-<id>`) and `user_seq` as their sequence, so entries at the same millisecond keep the
 * venue's order; a settlement becomes `log-<id>-funding` and `log-<id>-settlement`, in that canonical
 * order (same timestamp and sequence, ids compared), so the funding is in the session P&L that
 * the settlement moves into cash.
 */
import { InputError } from '../../model/errors.js';
import {
  requireInstrument,
  validateEvent,
  type DeliveryMethod,
  type FillEvent,
  type InventoryEvent,
} from '../events.js';
import { ZERO, type Money } from '../money.js';
import { DERIBIT } from './user-trades.js';
import {
  idField,
  integerField,
  moneyField,
  optionalMoneyField,
  requireCurrency,
  textField,
  type Entry,
} from './venue-fields.js';
import { readEntries, type VenueRead } from './venue-read.js';

/**
 * When options started to deliver physically (Deribit Insights, "Change to option delivery
 * process"): inverse options from the 1 August 2026 expiry; USDC options "in April 2026" (the
 * day is not given: taken as 1 April 2026 08:00 UTC, an assumption). Deliveries before these
 * instants settle in cash.
 */
export const PHYSICAL_DELIVERY_FROM_MS = {
  inverse: Date.UTC(2026, 7, 1, 8),
  linear: Date.UTC(2026, 3, 1, 8),
} as const;

/** Reads a file's text of transaction log entries into events. */
export function readTransactionLog(text: string): VenueRead {
  let groups: Map<string, Entry[]> | undefined;
  return readEntries(text, 'logs', (entry, all) => {
    if (entry.type !== 'trade') return eventsOfEntry(entry);
    groups ??= tradeGroups(all.map((e) => e.value));
    const tradeId = idField(entry, 'trade_id');
    const group = groups.get(tradeId) ?? [entry];
    return group[0] === entry ? eventsOfTrade(group) : [];
  });
}

function tradeGroups(values: readonly (Record<string, unknown> | null)[]): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const value of values) {
    if (value === null || value.type !== 'trade') continue;
    const id = value.trade_id;
    if (typeof id !== 'string' && typeof id !== 'number') continue;
    const key = String(id);
    groups.set(key, [...(groups.get(key) ?? []), value]);
  }
  return groups;
}

/**
 * One trade of the log (its entries, one or two) to its fill and, on a perpetual whose entries
 * carry `interest_pl` ("actual funding ... of trades and settlements on perpetual instruments":
 * the funding realized by the trade), a funding event `log-<id of the first entry>-funding`.
 */
export function eventsOfTrade(entries: readonly Entry[]): InventoryEvent[] {
  const fill = fillFromLogTrades(entries);
  let funding: Money = ZERO;
  for (const entry of entries) funding += optionalMoneyField(entry, 'interest_pl', ZERO);
  if (funding === ZERO) return [fill];
  if (requireInstrument(fill.instrument).kind !== 'perpetual') {
    throw new InputError(
      'interest_pl',
      entries[0]?.interest_pl,
      '0 for an instrument that is not a perpetual',
    );
  }
  const id = `log-${idField(entries[0] as Entry, 'id')}-funding`;
  const { venue, timestampMs, sequence, instrument } = fill;
  return [
    fill,
    validateEvent({ type: 'funding', venue, id, timestampMs, sequence, instrument, amount: funding }),
  ];
}

/** One trade of the log (its entries, one or two) to a fill. */
export function fillFromLogTrades(entries: readonly Entry[]): FillEvent {
  const first = entries[0];
  if (first === undefined) throw new InputError('trade_id', undefined, 'at least one entry');
  const instrument = textField(first, 'instrument_name');
  const parsed = requireInstrument(instrument, 'instrument_name');
  const currency = textField(first, 'currency');
  requireCurrency('currency', currency, parsed.settlementCurrency, instrument);
  let amount: Money = ZERO;
  let fee: Money = ZERO;
  let side: 'buy' | 'sell' | undefined;
  for (const entry of entries) {
    const entrySide = sideOf(entry);
    if (side !== undefined && entrySide !== side)
      throw new InputError('side', entry.side, `"${side}" like the other entries of the trade`);
    side = entrySide;
    for (const field of ['instrument_name', 'price', 'timestamp', 'order_id'] as const) {
      if (entry[field] !== first[field])
        throw new InputError(
          field,
          entry[field],
          `${JSON.stringify(first[field])} like the other entries of trade ${String(first.trade_id)}`,
        );
    }
    amount += moneyField(entry, 'amount');
    fee += optionalMoneyField(entry, 'commission', ZERO);
  }
  const role = first.user_role;
  if (role !== 'maker' && role !== 'taker') throw new InputError('user_role', role, '"maker" or "taker"');
  const fill: FillEvent = {
    type: 'fill',
    venue: DERIBIT,
    id: idField(first, 'trade_id'),
    timestampMs: integerField(first, 'timestamp'),
    // The entries of one trade are consecutive in the log: the lowest `user_seq` is the trade's.
    sequence: Math.min(...entries.map((entry) => integerField(entry, 'user_seq'))),
    instrument,
    side: side ?? 'buy',
    amount,
    price: moneyField(first, 'price'),
    fee,
    feeCurrency: currency,
    liquidity: role,
    orderId: idField(first, 'order_id'),
  };
  return validateEvent(fill);
}

function sideOf(entry: Entry): 'buy' | 'sell' {
  const side = entry.side;
  if (typeof side === 'string') {
    const last = side.trim().split(/\s+/).pop();
    if (last === 'buy' || last === 'sell') return last;
  }
  throw new InputError('side', side, 'a trade side such as "open buy" or "close sell"');
}

/** A log entry other than a trade to its events. */
export function eventsOfEntry(entry: Entry): InventoryEvent[] {
  const type = entry.type;
  const base = {
    venue: DERIBIT,
    id: `log-${idField(entry, 'id')}`,
    timestampMs: integerField(entry, 'timestamp'),
    sequence: integerField(entry, 'user_seq'),
  };
  const currency = (): string => textField(entry, 'currency');
  const change = (): Money => moneyField(entry, 'change');
  switch (type) {
    case 'deposit':
      return [validateEvent({ ...base, type: 'deposit', currency: currency(), amount: change() })];
    case 'withdrawal':
      return [validateEvent({ ...base, type: 'withdrawal', currency: currency(), amount: -change() })];
    case 'transfer': {
      const info = entry.info;
      const other =
        info !== null && typeof info === 'object' && !Array.isArray(info)
          ? ((info as Entry).other_user ?? (info as Entry).other_user_id)
          : undefined;
      if (typeof other !== 'string' && typeof other !== 'number') {
        throw new InputError('info.other_user', other, 'the other account of the transfer');
      }
      return [
        validateEvent({
          ...base,
          type: 'transfer',
          currency: currency(),
          amount: change(),
          counterparty: String(other),
        }),
      ];
    }
    case 'settlement':
      return settlementEvents(entry, base);
    case 'delivery':
      return [deliveryEvent(entry, base)];
    default:
      throw new InputError(
        'type',
        type,
        'trade, settlement, delivery, deposit, withdrawal or transfer (other types are not booked)',
      );
  }
}

type Base = { venue: string; id: string; timestampMs: number; sequence: number };

function settlementEvents(entry: Entry, base: Base): InventoryEvent[] {
  const instrument = textField(entry, 'instrument_name');
  const parsed = requireInstrument(instrument, 'instrument_name');
  requireCurrency('currency', textField(entry, 'currency'), parsed.settlementCurrency, instrument);
  const info = entry.info;
  const settlementPrice =
    info !== null &&
    typeof info === 'object' &&
    !Array.isArray(info) &&
    (info as Entry).settlement_price !== undefined
      ? moneyField(info as Entry, 'settlement_price', 'info.settlement_price')
      : moneyField(entry, 'price');
  const events: InventoryEvent[] = [];
  const funding = optionalMoneyField(entry, 'interest_pl', ZERO);
  if (funding !== ZERO) {
    if (parsed.kind !== 'perpetual')
      throw new InputError('interest_pl', entry.interest_pl, '0 for an instrument that is not a perpetual');
    events.push(
      validateEvent({ ...base, id: `${base.id}-funding`, type: 'funding', instrument, amount: funding }),
    );
  }
  events.push(
    validateEvent({ ...base, id: `${base.id}-settlement`, type: 'settlement', instrument, settlementPrice }),
  );
  return events;
}

function deliveryEvent(entry: Entry, base: Base): InventoryEvent {
  const instrument = textField(entry, 'instrument_name');
  const parsed = requireInstrument(instrument, 'instrument_name');
  const currency = textField(entry, 'currency');
  requireCurrency('currency', currency, parsed.settlementCurrency, instrument);
  let method: DeliveryMethod = 'cash';
  if (parsed.kind === 'option' && base.timestampMs >= PHYSICAL_DELIVERY_FROM_MS[parsed.settlement])
    method = 'physical';
  return validateEvent({
    ...base,
    type: 'delivery',
    instrument,
    deliveryPrice: moneyField(entry, 'price'),
    method,
    fee: optionalMoneyField(entry, 'commission', ZERO),
    feeCurrency: currency,
  });
}
