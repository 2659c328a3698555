/** The documented account messages (`test/fixtures/deribit-ws/account.jsonl`) through the adapter's readers. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fillFromUserTrade } from '../../../src/inventory/venue/user-trades.js';
import { orderFromVenue } from '../../../src/venues/deribit/orders.js';

const lines = readFileSync(new URL('../../fixtures/deribit-ws/account.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { params?: { data?: unknown }; error?: { code: number } });

describe('documented Deribit account messages', () => {
  it('reads the user.orders example into a VenueOrder', () => {
    const order = orderFromVenue(lines[0]?.params?.data as Record<string, unknown>, 'deribit');
    expect(order).toMatchObject({
      orderId: '6',
      clientOrderId: null,
      instrument: 'BTC-PERPETUAL',
      side: 'buy',
      price: 10542.68,
      amount: 200,
      state: 'open',
      averagePrice: null,
      timestampMs: 1581507583024,
    });
  });

  it('reads the user.trades example into a fill', () => {
    const [entry] = lines[1]?.params?.data as Record<string, unknown>[];
    const fill = fillFromUserTrade(entry as Record<string, unknown>);
    expect(fill).toMatchObject({
      id: '48079262',
      instrument: 'BTC-25SEP20',
      side: 'sell',
      liquidity: 'taker',
    });
  });

  it('carries the rate-limit code in the documented error envelope', () => {
    expect(lines[3]?.error?.code).toBe(10028);
  });
});
