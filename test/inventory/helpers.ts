/** Builders of inventory events for tests. */
import type {
  DeliveryEvent,
  DepositEvent,
  FillEvent,
  FundingEvent,
  SettlementEvent,
} from '../../src/inventory/events.js';
import { parseMoney, type Money } from '../../src/inventory/money.js';

export const m = (text: string | number): Money => parseMoney(text);

let counter = 0;
const nextId = (): string => `t${(counter += 1)}`;

export function fill(
  instrument: string,
  side: 'buy' | 'sell',
  amount: string | number,
  price: string | number,
  timestampMs: number,
  extra: Partial<FillEvent> = {},
): FillEvent {
  return {
    type: 'fill',
    venue: 'deribit',
    id: nextId(),
    timestampMs,
    sequence: 0,
    instrument,
    side,
    amount: m(amount),
    price: m(price),
    fee: 0n,
    feeCurrency: instrument.startsWith('ETH') ? 'ETH' : 'BTC',
    liquidity: 'taker',
    orderId: 'o',
    ...extra,
  };
}

export function settlement(instrument: string, price: string | number, timestampMs: number): SettlementEvent {
  return {
    type: 'settlement',
    venue: 'deribit',
    id: nextId(),
    timestampMs,
    sequence: 0,
    instrument,
    settlementPrice: m(price),
  };
}

export function funding(instrument: string, amount: string | number, timestampMs: number): FundingEvent {
  return {
    type: 'funding',
    venue: 'deribit',
    id: nextId(),
    timestampMs,
    sequence: 0,
    instrument,
    amount: m(amount),
  };
}

export function delivery(
  instrument: string,
  price: string | number,
  timestampMs: number,
  method: 'cash' | 'physical' = 'cash',
  fee: string | number = 0,
): DeliveryEvent {
  return {
    type: 'delivery',
    venue: 'deribit',
    id: nextId(),
    timestampMs,
    sequence: 0,
    instrument,
    deliveryPrice: m(price),
    method,
    fee: m(fee),
    feeCurrency: 'BTC',
  };
}

export function deposit(currency: string, amount: string | number, timestampMs: number): DepositEvent {
  return {
    type: 'deposit',
    venue: 'deribit',
    id: nextId(),
    timestampMs,
    sequence: 0,
    currency,
    amount: m(amount),
  };
}
