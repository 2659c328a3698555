/**
 * The order manager's state machine: every transition the venue can drive, answers seen twice,
 * late answers, timeouts that ask the venue, the credit budget, reconciliation.
 */
import { describe, expect, it } from 'vitest';
import { OrderManager } from '../../src/engine/order-manager.js';
import type { VenueOrder } from '../../src/engine/types.js';
import { RateBudget } from '../../src/strategy/rate-budget.js';

function venueOrder(over: Partial<VenueOrder>): VenueOrder {
  return {
    venue: 'sim',
    orderId: 'V1',
    clientOrderId: 'bl-1',
    instrument: 'BTC-PERPETUAL',
    side: 'buy',
    type: 'limit',
    price: 100,
    amount: 30,
    filledAmount: 0,
    averagePrice: null,
    state: 'open',
    postOnly: true,
    reduceOnly: false,
    mmp: false,
    reason: null,
    timestampMs: 1_000,
    ...over,
  };
}

describe('OrderManager', () => {
  it('runs an order from pending through partial fills to filled, ignoring answers seen twice and late ones', () => {
    const m = new OrderManager('bl', 5_000);
    const cmd = m.place(
      { instrument: 'BTC-PERPETUAL', side: 'buy', amount: 30, price: 100, postOnly: true },
      'quote',
      1_000,
    );
    expect(cmd).toEqual({
      kind: 'place',
      clientOrderId: 'bl-1',
      instrument: 'BTC-PERPETUAL',
      side: 'buy',
      amount: 30,
      type: 'limit',
      price: 100,
      postOnly: true,
    });
    expect(m.get('bl-1')?.state).toBe('pending');
    m.onOrder(venueOrder({}));
    expect(m.get('bl-1')?.state).toBe('open');
    m.onFill('V1', 10, 1_100);
    expect(m.get('bl-1')?.state).toBe('partially_filled');
    m.onOrder(venueOrder({ filledAmount: 10, timestampMs: 1_100 }));
    expect(m.get('bl-1')).toMatchObject({ state: 'partially_filled', filled: 10 });
    m.onFill('V1', 20, 1_200);
    expect(m.get('bl-1')).toMatchObject({ state: 'filled', filled: 30 });
    // A late open after the fill changes nothing.
    m.onOrder(venueOrder({ filledAmount: 10, timestampMs: 1_150 }));
    expect(m.get('bl-1')).toMatchObject({ state: 'filled', filled: 30 });
    expect(m.live()).toEqual([]);
  });

  it('cancels: pending cancel until the venue says cancelled; a second cancel is not sent', () => {
    const m = new OrderManager('bl', 5_000);
    m.place({ instrument: 'BTC-PERPETUAL', side: 'buy', amount: 30, price: 100 }, 'quote', 1_000);
    m.onOrder(venueOrder({}));
    expect(m.cancel('bl-1', 1_500)).toEqual({ kind: 'cancel', clientOrderId: 'bl-1', orderId: 'V1' });
    expect(m.cancel('bl-1', 1_600)).toBeNull();
    // An open older than the cancel keeps it pending.
    m.onOrder(venueOrder({ timestampMs: 1_400 }));
    expect(m.get('bl-1')?.state).toBe('pending_cancel');
    m.onOrder(venueOrder({ state: 'cancelled', reason: 'user_request', timestampMs: 1_700 }));
    expect(m.get('bl-1')).toMatchObject({ state: 'cancelled', reason: 'user_request' });
  });

  it('a rejected request ends the order with the venue reason; unanswered requests are asked about once per timeout', () => {
    const m = new OrderManager('bl', 5_000);
    m.place({ instrument: 'BTC-PERPETUAL', side: 'buy', amount: 30, price: 100 }, 'quote', 1_000);
    m.place({ instrument: 'BTC-PERPETUAL', side: 'sell', amount: 30, price: 101 }, 'quote', 1_000);
    m.onReject('bl-1', 10028, 'too_many_requests', 1_050);
    expect(m.get('bl-1')).toMatchObject({ state: 'rejected', reason: '10028 too_many_requests' });
    expect(m.onTime(5_999)).toEqual([]);
    expect(m.onTime(6_000)).toEqual([{ kind: 'query_order', clientOrderId: 'bl-2', orderId: null }]);
    expect(m.onTime(6_500)).toEqual([]);
    expect(m.onTime(11_000)).toHaveLength(1);
  });

  it('spends credits: quotes stop at the reserve, cancels go on', () => {
    const budget = new RateBudget({
      maxCredits: 1_000,
      refillPerSecond: 1e-9,
      costs: { quote: 400, requote: 400, cancel: 100, hedge: 100 },
      reserve: 300,
      startMs: 0,
    });
    const m = new OrderManager('bl', 5_000, budget);
    expect(m.place({ instrument: 'X', side: 'buy', amount: 1, price: 1 }, 'quote', 0)).not.toBeNull();
    expect(m.place({ instrument: 'X', side: 'buy', amount: 1, price: 1 }, 'quote', 0)).toBeNull(); // 600 - 400 < reserve 300
    expect(m.count).toBe(1);
    expect(m.cancel('bl-1', 0)).not.toBeNull();
  });

  it('reconciles with the venue: ours it no longer lists are closed, orders we never sent are reported', () => {
    const m = new OrderManager('bl', 5_000);
    m.place({ instrument: 'X', side: 'buy', amount: 1, price: 1 }, 'quote', 0);
    m.place({ instrument: 'X', side: 'sell', amount: 1, price: 2 }, 'quote', 0);
    m.onOrder(venueOrder({ orderId: 'A', clientOrderId: 'bl-1' }));
    m.onOrder(venueOrder({ orderId: 'B', clientOrderId: 'bl-2' }));
    const { closed, foreign } = m.reconcile(
      [
        venueOrder({ orderId: 'B', clientOrderId: 'bl-2' }),
        venueOrder({ orderId: 'Z', clientOrderId: null }),
      ],
      10,
    );
    expect(closed).toEqual(['bl-1']);
    expect(foreign.map((o) => o.orderId)).toEqual(['Z']);
    expect(m.live().map((o) => o.clientOrderId)).toEqual(['bl-2']);
  });
});
