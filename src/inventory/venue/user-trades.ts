/**
 * The account's trades as Deribit's `private/get_user_trades_by_currency` (and
 * `..._by_instrument`, `..._by_order`) return them, read into fills.
 *
 * Fields (Deribit API docs, `private/get_user_trades_by_currency`): `trade_id` (unique per
 * currency), `trade_seq` (sequence within the instrument), `order_id`, `instrument_name`,
 * `direction` (`buy`/`sell`), `amount` (USD for inverse futures and perpetuals, base coin for
 * options and linear futures), `price`, `fee` and `fee_currency`, `liquidity` (`M` maker, `T`
 * taker), `timestamp` (ms), and `liquidation` (`M`, `T` or `MT`: which side was under
 * liquidation; the account's side is ours when it contains our liquidity letter). Combo trades
 * are booked through their legs, which the venue lists as separate trades: an entry naming a
 * combo instrument is refused like any other unsupported instrument.
 */
import { InputError } from '../../model/errors.js';
import { requireInstrument, validateEvent, type FillEvent } from '../events.js';
import type { VenueProblem, VenueRead } from './venue-read.js';
import { readEntries } from './venue-read.js';
import { idField, integerField, moneyField, requireCurrency, textField, type Entry } from './venue-fields.js';

/** The venue name written on the events. */
export const DERIBIT = 'deribit';

/** One trade entry to a fill; throws `InputError` naming the venue's field. */
export function fillFromUserTrade(entry: Entry): FillEvent {
  const instrument = textField(entry, 'instrument_name');
  const parsed = requireInstrument(instrument, 'instrument_name');
  const direction = entry.direction;
  if (direction !== 'buy' && direction !== 'sell')
    throw new InputError('direction', direction, '"buy" or "sell"');
  const liquidityCode = entry.liquidity;
  if (liquidityCode !== 'M' && liquidityCode !== 'T') {
    throw new InputError('liquidity', liquidityCode, '"M" (maker) or "T" (taker)');
  }
  const liquidation = entry.liquidation;
  if (
    liquidation !== undefined &&
    liquidation !== null &&
    (typeof liquidation !== 'string' || !/^(M|T|MT)$/.test(liquidation))
  ) {
    throw new InputError('liquidation', liquidation, '"M", "T", "MT" or absent');
  }
  const feeCurrency = textField(entry, 'fee_currency');
  requireCurrency('fee_currency', feeCurrency, parsed.settlementCurrency, instrument);
  const fill: FillEvent = {
    type: 'fill',
    venue: DERIBIT,
    id: idField(entry, 'trade_id'),
    timestampMs: integerField(entry, 'timestamp'),
    sequence: integerField(entry, 'trade_seq'),
    instrument,
    side: direction,
    amount: moneyField(entry, 'amount'),
    price: moneyField(entry, 'price'),
    fee: moneyField(entry, 'fee'),
    feeCurrency,
    liquidity: liquidityCode === 'M' ? 'maker' : 'taker',
    orderId: idField(entry, 'order_id'),
    ...(typeof liquidation === 'string' && liquidation.includes(liquidityCode) ? { liquidation: true } : {}),
  };
  return validateEvent(fill);
}

/** Reads a file's text of user trades (see `venue-document.ts` for the accepted layouts). */
export function readUserTrades(text: string): VenueRead {
  return readEntries(text, 'trades', (entry) => [fillFromUserTrade(entry)]);
}

export type { VenueProblem };
