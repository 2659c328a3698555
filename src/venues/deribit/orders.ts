/**
 * Deribit's order object (the `order` of `private/buy`'s answer, the `data` of
 * `user.orders.{kind}.{currency}.raw`, the entries of `private/get_open_orders_by_currency`) read
 * into the engine's `VenueOrder`.
 *
 * Fields (<https://docs.deribit.com/subscriptions/user/userorderskindcurrencyraw>, example
 * notification; <https://docs.deribit.com/api-reference/trading/private-buy>): `order_id`,
 * `label` (our client order id; `""` when none), `instrument_name`, `direction`, `order_type`,
 * `price` (a number, or the text `"market_price"` for market orders), `amount`, `filled_amount`,
 * `average_price` (0 before any fill), `order_state` (`open`, `filled`, `rejected`, `cancelled`,
 * `untriggered`), `post_only`, `reduce_only`, `mmp` (absent on old examples: false),
 * `cancel_reason` (on cancelled orders: `user_request`, `mmp_trigger`, `cancel_on_disconnect`,
 * ...), `last_update_timestamp` (ms).
 */
import { InputError } from '../../model/errors.js';
import type { VenueOrder, VenueOrderState } from '../../engine/types.js';
import { quoteSlotId } from '../../engine/order-manager.js';

type Json = Readonly<Record<string, unknown>>;

const STATES: readonly VenueOrderState[] = ['open', 'filled', 'cancelled', 'rejected', 'untriggered'];

function text(entry: Json, field: string): string {
  const value = entry[field];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new InputError(field, value, 'a non-empty string');
}

function finite(entry: Json, field: string): number {
  const value = entry[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InputError(field, value, 'a number');
  return value;
}

/** One order object to a `VenueOrder`; throws `InputError` naming the venue's field. */
export function orderFromVenue(entry: Json, venue: string): VenueOrder {
  const direction = entry.direction;
  if (direction !== 'buy' && direction !== 'sell')
    throw new InputError('direction', direction, '"buy" or "sell"');
  const state = entry.order_state;
  if (typeof state !== 'string' || !(STATES as readonly string[]).includes(state)) {
    throw new InputError('order_state', state, STATES.join(', '));
  }
  const orderType = entry.order_type === 'market' ? 'market' : 'limit';
  const price = typeof entry.price === 'number' && Number.isFinite(entry.price) ? entry.price : null;
  const average =
    typeof entry.average_price === 'number' && entry.average_price > 0 ? entry.average_price : null;
  // A mass quote's order has no label of ours; its key at the venue (MMP group, instrument, side)
  // is its client id (`quoteSlotId`): the order object's `mmp_group` with `quote: true` or a
  // `quote_id` (<https://docs.deribit.com/api-reference/trading/private-mass_quote>).
  const quoted =
    typeof entry.mmp_group === 'string' &&
    entry.mmp_group !== '' &&
    (entry.quote === true || typeof entry.quote_id === 'string');
  const label =
    typeof entry.label === 'string' && entry.label !== ''
      ? entry.label
      : quoted
        ? quoteSlotId(
            entry.mmp_group as string,
            text(entry, 'instrument_name'),
            direction === 'buy' ? 'bid' : 'ask',
          )
        : null;
  const reasonField = entry.cancel_reason ?? entry.reject_reason ?? null;
  return {
    venue,
    orderId: text(entry, 'order_id'),
    clientOrderId: label,
    instrument: text(entry, 'instrument_name'),
    side: direction,
    type: orderType,
    price: orderType === 'market' ? null : price,
    amount: finite(entry, 'amount'),
    filledAmount: typeof entry.filled_amount === 'number' ? entry.filled_amount : 0,
    averagePrice: average,
    state: state as VenueOrderState,
    postOnly: entry.post_only === true,
    reduceOnly: entry.reduce_only === true,
    mmp: entry.mmp === true,
    reason: typeof reasonField === 'string' ? reasonField : null,
    timestampMs: finite(entry, 'last_update_timestamp'),
  };
}

/** The currency of an instrument for the `..._by_currency` methods: `BTC-PERPETUAL` -> `BTC`. */
export function currencyOf(instrument: string): string {
  const head = instrument.split('-')[0] ?? instrument;
  return head.split('_')[0] ?? head;
}

/** Exponential backoff with equal jitter, capped: attempt 0 waits about `initialMs`. */
export function backoffDelay(
  attempt: number,
  config: { initialMs: number; maxMs: number; factor?: number },
  random: () => number,
): number {
  const ceiling = Math.min(config.maxMs, config.initialMs * (config.factor ?? 2) ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
