/**
 * `private/get_user_trades_by_currency` to fills, on the venue's documented response example
 * (test/fixtures/deribit-account/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventToJson } from '../../../src/inventory/event-json.js';
import { fillFromUserTrade, readUserTrades } from '../../../src/inventory/venue/user-trades.js';
import { InputError } from '../../../src/model/errors.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../fixtures/deribit-account/${name}`, import.meta.url), 'utf8');

const OPTION_TRADE = {
  trade_seq: 1,
  trade_id: '48078936',
  timestamp: 1590480620145,
  price: 0.028,
  order_id: '4008699030',
  liquidity: 'M',
  instrument_name: 'BTC-27MAY20-8750-C',
  fee_currency: 'BTC',
  fee: 0.0004,
  direction: 'sell',
  amount: 1,
};

describe('user trades (private/get_user_trades_by_currency)', () => {
  it('maps the documented example: an option sale and a future purchase with a maker rebate', () => {
    const read = readUserTrades(fixture('get_user_trades_by_currency.json'));
    expect(read.problems).toEqual([]);
    expect(read.events.map(({ event }) => eventToJson(event))).toEqual([
      {
        type: 'fill',
        venue: 'deribit',
        id: '48078936',
        timestampMs: 1590480620145,
        sequence: 1,
        instrument: 'BTC-27MAY20-8750-C',
        side: 'sell',
        feeCurrency: 'BTC',
        liquidity: 'maker',
        orderId: '4008699030',
        amount: '1',
        price: '0.028',
        fee: '0.0004',
      },
      {
        type: 'fill',
        venue: 'deribit',
        id: '47958936',
        timestampMs: 1589923311862,
        sequence: 299513,
        instrument: 'BTC-26JUN20',
        side: 'buy',
        feeCurrency: 'BTC',
        liquidity: 'maker',
        orderId: '3993343822',
        amount: '10',
        price: '9681.5',
        fee: '-0.00000021',
      },
    ]);
    // Each fill is located at the line its object opens on.
    const lines = fixture('get_user_trades_by_currency.json').split('\n');
    expect(read.events.map((e) => lines[e.lineNumber - 1]?.trim())).toEqual(['{', '{']);
  });

  it('reads JSON Lines of trade entries, one a line, with their line numbers', () => {
    const text = `${JSON.stringify(OPTION_TRADE)}\n\n${JSON.stringify({ ...OPTION_TRADE, trade_id: '2', amount: -1 })}\n`;
    const read = readUserTrades(text);
    expect(read.events).toHaveLength(1);
    expect(read.problems).toEqual([
      expect.objectContaining({ lineNumber: 3, path: 'line 3', field: 'amount' }),
    ]);
  });

  it('the account side of a liquidation is ours when it contains our liquidity letter', () => {
    expect(fillFromUserTrade({ ...OPTION_TRADE, liquidation: 'MT' }).liquidation).toBe(true);
    expect(fillFromUserTrade({ ...OPTION_TRADE, liquidation: 'T' }).liquidation).toBeUndefined();
  });

  it.each([
    ['instrument_name', { instrument_name: 'BTC-FS-27DEC24_PERP' }],
    ['instrument_name', { instrument_name: 'NOPE' }],
    ['direction', { direction: 'long' }],
    ['liquidity', { liquidity: 'maker' }],
    ['fee_currency', { fee_currency: 'USDC' }],
    ['amount', { amount: 0 }],
    ['timestampMs', { timestamp: Date.UTC(2020, 4, 27, 8) }],
    ['trade_seq', { trade_seq: -1 }],
  ])('refuses a bad %s', (field, change) => {
    expect(() => fillFromUserTrade({ ...OPTION_TRADE, ...change })).toThrow(InputError);
    try {
      fillFromUserTrade({ ...OPTION_TRADE, ...change });
    } catch (error) {
      expect((error as InputError).field).toBe(field);
    }
  });
});
