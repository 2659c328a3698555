/**
 * `private/get_transaction_log` to inventory events, on the venue's documented response example
 * and on a constructed file for the types the documentation shows no example of
 * (test/fixtures/deribit-account/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventToJson } from '../../../src/inventory/event-json.js';
import { Ledger } from '../../../src/inventory/ledger.js';
import { formatMoney } from '../../../src/inventory/money.js';
import {
  eventsOfEntry,
  eventsOfTrade,
  readTransactionLog,
} from '../../../src/inventory/venue/transaction-log.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/deribit-account/${name}`, import.meta.url), 'utf8');

describe('transaction log (private/get_transaction_log)', () => {
  it('maps the documented example: transfer, settlement with funding, deposit, one trade in two entries', () => {
    const read = readTransactionLog(fixture('get_transaction_log.json'));
    expect(read.problems).toEqual([]);
    expect(read.entries).toBe(5);
    expect(read.events.map(({ event }) => eventToJson(event))).toEqual([
      {
        type: 'transfer',
        venue: 'deribit',
        id: 'log-61312',
        timestampMs: 1613659830333,
        sequence: 6009,
        currency: 'BTC',
        counterparty: 'Subaccount',
        amount: '-2.5',
      },
      {
        type: 'funding',
        venue: 'deribit',
        id: 'log-61311-funding',
        timestampMs: 1613659544153,
        sequence: 6008,
        instrument: 'BTC-PERPETUAL',
        amount: '0.00000993',
      },
      {
        type: 'settlement',
        venue: 'deribit',
        id: 'log-61311-settlement',
        timestampMs: 1613659544153,
        sequence: 6008,
        instrument: 'BTC-PERPETUAL',
        settlementPrice: '51807',
      },
      {
        type: 'deposit',
        venue: 'deribit',
        id: 'log-61291',
        timestampMs: 1613657828414,
        sequence: 6007,
        currency: 'BTC',
        amount: '0.65',
      },
      {
        // `close buy` 0.3 + `open buy` 0.7 of trade 28349: one fill of 1 contract.
        type: 'fill',
        venue: 'deribit',
        id: '28349',
        timestampMs: 1613657734620,
        sequence: 6005,
        instrument: 'BTC-19FEB21-49200-C',
        side: 'buy',
        feeCurrency: 'BTC',
        liquidity: 'maker',
        orderId: '67546',
        amount: '1',
        price: '0.1537',
        fee: '0',
      },
    ]);
  });

  it('books the documented trade as the venue does: premium 0.04611 + 0.10759 = 0.1537 BTC paid', () => {
    const ledger = new Ledger();
    const read = readTransactionLog(fixture('get_transaction_log.json'));
    for (const { event } of read.events) if (event.type === 'fill') ledger.apply(event);
    expect(formatMoney(ledger.cash().BTC ?? 0n)).toBe('-0.1537');
    expect(formatMoney(ledger.position('BTC-19FEB21-49200-C').amount)).toBe('1');
  });

  it('the funding of a settlement is folded before it, so the settlement moves it into cash', () => {
    const ledger = new Ledger();
    const events = readTransactionLog(fixture('get_transaction_log.json')).events.map((e) => e.event);
    // Arrival order reversed: the canonical order (same timestamp and user_seq, ids) still puts funding first.
    ledger.applyAll(events.reverse());
    expect(formatMoney(ledger.position('BTC-PERPETUAL').sessionRealizedPnl)).toBe('0');
    expect(formatMoney(ledger.fundingReceived().BTC ?? 0n)).toBe('0.00000993');
    // 0.65 deposit - 2.5 transfer - 0.1537 premium + 0.00000993 funding settled.
    expect(formatMoney(ledger.cash().BTC ?? 0n)).toBe('-2.00369007');
  });

  it('maps the constructed delivery and withdrawal, and names the line of a type it does not book', () => {
    const text = fixture('transaction_log_constructed.json');
    const read = readTransactionLog(text);
    expect(read.events.map(({ event }) => eventToJson(event))).toEqual([
      {
        type: 'delivery',
        venue: 'deribit',
        id: 'log-61400',
        timestampMs: Date.UTC(2021, 1, 19, 8),
        sequence: 6010,
        instrument: 'BTC-19FEB21-49200-C',
        method: 'cash',
        feeCurrency: 'BTC',
        deliveryPrice: '51660',
        fee: '0.000105',
      },
      {
        type: 'withdrawal',
        venue: 'deribit',
        id: 'log-61401',
        timestampMs: 1613725200000,
        sequence: 6011,
        currency: 'BTC',
        amount: '0.5001',
      },
    ]);
    const lines = text.split('\n');
    const opening = lines.findIndex((line) => line.includes('"user_seq": 6012')) - 1; // `{` two lines up, 1-based
    expect(read.problems).toEqual([
      expect.objectContaining({ lineNumber: opening, path: 'result.logs[2]', field: 'type' }),
    ]);
  });

  it('an option delivered after the change of delivery process delivers physically', () => {
    const [event] = eventsOfEntry({
      type: 'delivery',
      id: 1,
      user_seq: 1,
      timestamp: Date.UTC(2026, 7, 28, 8),
      instrument_name: 'BTC-28AUG26-100000-C',
      currency: 'BTC',
      price: 110000,
      commission: 0,
    });
    expect(event).toMatchObject({ type: 'delivery', method: 'physical' });
  });

  it('refuses entries that would book wrongly, naming the field', () => {
    const base = { id: 9, user_seq: 9, timestamp: 1613659544153, currency: 'BTC' };
    expect(() =>
      eventsOfEntry({
        ...base,
        type: 'settlement',
        instrument_name: 'BTC-PERPETUAL',
        currency: 'ETH',
        price: 1,
      }),
    ).toThrow(/currency/);
    expect(() => eventsOfEntry({ ...base, type: 'transfer', change: 1, info: {} })).toThrow(
      /info\.other_user/,
    );
    expect(() => eventsOfEntry({ ...base, type: 'deposit', change: -1 })).toThrow(/amount/);
    expect(() => eventsOfEntry({ ...base, type: 'correction', change: 1 })).toThrow(/^type/);
  });

  it('a perpetual trade that realizes funding (interest_pl) also books it as funding', () => {
    // Constructed from the documented fields; the venue documents no perpetual trade entry.
    const entry = {
      type: 'trade',
      id: 70001,
      user_seq: 7001,
      trade_id: '90001',
      timestamp: 1613659000000,
      side: 'close sell',
      user_role: 'taker',
      order_id: '88',
      instrument_name: 'BTC-PERPETUAL',
      currency: 'BTC',
      amount: 500,
      price: 51800,
      commission: 0.00000483,
      interest_pl: -0.00000012,
    };
    expect(eventsOfTrade([entry]).map(eventToJson)).toEqual([
      expect.objectContaining({ type: 'fill', id: '90001', side: 'sell', amount: '500', fee: '0.00000483' }),
      {
        type: 'funding',
        venue: 'deribit',
        id: 'log-70001-funding',
        timestampMs: 1613659000000,
        sequence: 7001,
        instrument: 'BTC-PERPETUAL',
        amount: '-0.00000012',
      },
    ]);
    expect(() => eventsOfTrade([{ ...entry, instrument_name: 'BTC-19FEB21' }])).toThrow(/interest_pl/);
  });
});
