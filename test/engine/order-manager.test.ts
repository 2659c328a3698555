/**
 * The order manager's state machine: every transition the venue can drive, answers seen twice,
 * late answers, timeouts that ask the venue, the credit budget, reconciliation.
 */
import { describe, expect, it } from 'vitest';
import { OrderManager, quoteSlotId } from '../../src/engine/order-manager.js';
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

  describe('mass quotes: one slot per group, instrument and side', () => {
    const BID = quoteSlotId('g', 'X', 'bid');
    const ASK = quoteSlotId('g', 'X', 'ask');
    const quoteOrder = (over: Partial<VenueOrder>) =>
      venueOrder({ instrument: 'X', clientOrderId: BID, mmp: true, amount: 2, price: 10, ...over });

    it('sends chunks of at most maxPerRequest instruments; a new quote on a resting slot is an edit in place', () => {
      const m = new OrderManager('bl', 5_000);
      const entries = ['X', 'Y', 'Z'].map((instrument) => ({
        instrument,
        bid: { price: 10, amount: 2 },
        ask: { price: 11, amount: 2 },
      }));
      const sent = m.massQuote('g', entries, 0, 2);
      expect(sent.map((c) => (c.kind === 'mass_quote' ? [c.quoteId, c.quotes.length] : c.kind))).toEqual([
        ['bl-q1', 2],
        ['bl-q2', 1],
      ]);
      expect(BID).toBe('mq:g:X:bid');
      expect(m.get(BID)).toMatchObject({
        state: 'pending',
        side: 'buy',
        amount: 2,
        price: 10,
        purpose: 'quote',
      });
      m.onOrder(quoteOrder({ orderId: 'V1' }));
      m.onOrder(quoteOrder({ orderId: 'V1', filledAmount: 1, timestampMs: 1_100 }));
      expect(m.get(BID)).toMatchObject({ state: 'partially_filled', orderId: 'V1', filled: 1 });
      // Requoted at 9.5 for 3 more: the same order, amount = filled + the new open amount.
      m.massQuote('g', [{ instrument: 'X', bid: { price: 9.5, amount: 3 } }], 2_000, 10);
      expect(m.get(BID)).toMatchObject({ state: 'partially_filled', orderId: 'V1', price: 9.5, amount: 4 });
      // Amount 0 cancels the side.
      m.massQuote('g', [{ instrument: 'X', bid: { price: 9.5, amount: 0 } }], 3_000, 10);
      expect(m.get(BID)?.state).toBe('pending_cancel');
      m.onOrder(quoteOrder({ orderId: 'V1', state: 'cancelled', filledAmount: 1, timestampMs: 3_100 }));
      expect(m.get(BID)?.state).toBe('cancelled');
    });

    it('a slot quoted again after its order ended is a new order; a late word on the old one changes nothing', () => {
      const m = new OrderManager('bl', 5_000);
      m.massQuote('g', [{ instrument: 'X', bid: { price: 10, amount: 2 } }], 0, 10);
      m.onOrder(quoteOrder({ orderId: 'V1' }));
      m.onFill('V1', 2, 500);
      expect(m.get(BID)?.state).toBe('filled');
      m.massQuote('g', [{ instrument: 'X', bid: { price: 9, amount: 2 } }], 1_000, 10);
      expect(m.get(BID)).toMatchObject({ state: 'pending', orderId: null, filled: 0, price: 9 });
      // The old order's late notifications: ignored, and its fills are not the new order's.
      expect(m.onOrder(quoteOrder({ orderId: 'V1', state: 'filled', filledAmount: 2 }))).toBeUndefined();
      expect(m.onFill('V1', 2, 1_050)).toBeUndefined();
      expect(m.get(BID)).toMatchObject({ state: 'pending', orderId: null, filled: 0 });
      m.onOrder(quoteOrder({ orderId: 'V2', price: 9, timestampMs: 1_100 }));
      expect(m.get(BID)).toMatchObject({ state: 'open', orderId: 'V2' });
      // A side the venue refused (the sim's reject names the slot) ends the pending order.
      m.massQuote('g', [{ instrument: 'X', ask: { price: 11, amount: 2 } }], 2_000, 10);
      m.onReject(ASK, 10009, 'not_enough_funds', 2_010);
      expect(m.get(ASK)).toMatchObject({ state: 'rejected', reason: '10009 not_enough_funds' });
    });

    it('pulled while its answer was lost: the venue has no such order (10004), so the slot ends, and asks no more', () => {
      const m = new OrderManager('bl', 5_000);
      m.massQuote('g', [{ instrument: 'X', bid: { price: 10, amount: 2 } }], 0, 10);
      m.massQuote('g', [{ instrument: 'X', bid: { price: 10, amount: 0 } }], 100, 10);
      expect(m.get(BID)?.state).toBe('pending_cancel');
      m.onReject(BID, 10004, 'order_not_found', 6_000);
      expect(m.get(BID)).toMatchObject({ state: 'cancelled', inferred: true });
      expect(m.onTime(20_000)).toEqual([]);
      // The venue's own word, should one come, replaces the inference.
      m.onOrder(quoteOrder({ orderId: 'V9', state: 'filled', filledAmount: 2 }));
      expect(m.get(BID)).toMatchObject({ state: 'filled', filled: 2 });
    });

    it('a journaled mass quote restores its slots as pending and the ids go on after it', () => {
      const m = new OrderManager('bl', 5_000);
      const [sent] = m.massQuote('g', [{ instrument: 'X', bid: { price: 10, amount: 2 } }], 0, 10);
      const again = new OrderManager('bl', 5_000);
      again.restoreMassQuote(sent as Extract<typeof sent, { kind: 'mass_quote' }>, 0);
      expect(again.get(BID)).toMatchObject({ state: 'pending', amount: 2, price: 10 });
      const [next] = again.massQuote('g', [{ instrument: 'Y', bid: { price: 1, amount: 1 } }], 10, 10);
      expect(next).toMatchObject({ kind: 'mass_quote', quoteId: 'bl-q2' });
    });

    it('each request spends credits; a refused request leaves its slots as they were', () => {
      const budget = new RateBudget({
        maxCredits: 1_000,
        refillPerSecond: 1e-9,
        costs: { quote: 400, requote: 400, cancel: 100, hedge: 100 },
        reserve: 300,
        startMs: 0,
      });
      const m = new OrderManager('bl', 5_000, budget);
      const entries = ['X', 'Y'].map((instrument) => ({ instrument, bid: { price: 1, amount: 1 } }));
      expect(m.massQuote('g', entries, 0, 1)).toHaveLength(1);
      expect(m.get(quoteSlotId('g', 'Y', 'bid'))).toBeUndefined();
      // Pulling quotes draws on the reserve.
      expect(
        m.massQuote('g', [{ instrument: 'X', bid: { price: 1, amount: 0 } }], 0, 1, 'cancel'),
      ).toHaveLength(1);
    });
  });
});
