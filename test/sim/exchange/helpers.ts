import { Exchange, type ExchangeOptions } from '../../../src/sim/exchange/exchange.js';
import type { OrderRequest } from '../../../src/sim/exchange/types.js';

/** 2 January 2024: after the 2023 tick change (0.0001 up to 0.005, 0.0005 above). */
export const T0 = Date.UTC(2024, 0, 2);
export const CALL = 'BTC-27DEC24-50000-C';
export const PUT = 'BTC-27DEC24-50000-P';
export const FUTURE = 'BTC-27DEC24';
export const PERP = 'BTC-PERPETUAL';
export const EXPIRY = Date.UTC(2024, 11, 27, 8);

export function exchange(options: ExchangeOptions = {}): Exchange {
  return new Exchange(options);
}

/** A limit order request with defaults. */
export function limit(
  participant: string,
  side: 'buy' | 'sell',
  amount: number,
  price: number,
  extra: Partial<OrderRequest> = {},
): OrderRequest {
  return { participant, instrument: CALL, side, amount, price, ...extra };
}
