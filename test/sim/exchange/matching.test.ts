import { describe, expect, it } from 'vitest';
import { VENUE_ERROR_CODES } from '../../../src/sim/exchange/types.js';
import { CALL, EXPIRY, FUTURE, T0, exchange, limit } from './helpers.js';

describe('limit orders and price-time priority', () => {
  it('rests a limit order, shows it in the book', () => {
    const ex = exchange();
    const r = ex.submit(limit('a', 'buy', 1, 0.05), T0);
    expect(r.order.state).toBe('open');
    expect(r.fills).toEqual([]);
    expect(ex.depth(CALL, 'bids')).toEqual([{ price: 0.05, amount: 1, orders: 1 }]);
  });

  it('fills best price first, then time priority within a level, at the maker price', () => {
    const ex = exchange();
    const first = ex.submit(limit('a', 'sell', 1, 0.051), T0).order;
    const second = ex.submit(limit('b', 'sell', 1, 0.05), T0 + 1).order;
    const third = ex.submit(limit('c', 'sell', 1, 0.05), T0 + 2).order;
    const r = ex.submit(limit('t', 'buy', 2.5, 0.051), T0 + 3);
    expect(r.fills.map((f) => [f.makerOrderId, f.price, f.amount])).toEqual([
      [second.orderId, 0.05, 1],
      [third.orderId, 0.05, 1],
      [first.orderId, 0.051, 0.5],
    ]);
    expect(r.order.state).toBe('filled');
    expect(r.order.averagePrice).toBeCloseTo((0.05 * 2 + 0.051 * 0.5) / 2.5, 12);
    expect(ex.getOrder(first.orderId)?.state).toBe('partially_filled');
    expect(ex.getOrder(first.orderId)?.filledAmount).toBe(0.5);
    expect(ex.position('t', CALL)).toBe(2.5);
    expect(ex.position('a', CALL)).toBe(-0.5);
  });

  it('partially fills an incoming limit order and rests the rest', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 0.3, 0.05), T0);
    const r = ex.submit(limit('b', 'buy', 1, 0.05), T0 + 1);
    expect(r.order.state).toBe('partially_filled');
    expect(r.order.filledAmount).toBe(0.3);
    expect(ex.depth(CALL, 'bids')).toEqual([{ price: 0.05, amount: 0.7, orders: 1 }]);
    expect(ex.depth(CALL, 'asks')).toEqual([]);
  });

  it('prices computed in floating point land on the canonical tick level', () => {
    const ex = exchange();
    ex.submit(limit('a', 'buy', 1, 0.0003 * 3), T0); // 0.0009000000000000001
    ex.submit(limit('b', 'buy', 1, 0.0009), T0);
    expect(ex.depth(CALL, 'bids')).toEqual([{ price: 0.0009, amount: 2, orders: 2 }]);
  });

  it('does not trade at a price that does not cross', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 1, 0.051), T0);
    const r = ex.submit(limit('b', 'buy', 1, 0.0505), T0 + 1);
    expect(r.fills).toEqual([]);
    expect(r.order.state).toBe('open');
  });
});

describe('market and IOC orders', () => {
  it('a market order sweeps levels and cancels what the book cannot fill', () => {
    const ex = exchange();
    ex.submit(limit('a', 'buy', 1, 0.05), T0);
    ex.submit(limit('b', 'buy', 1, 0.049), T0);
    const r = ex.submit(
      { participant: 't', instrument: CALL, side: 'sell', amount: 3, type: 'market' },
      T0 + 1,
    );
    expect(r.fills.map((f) => [f.price, f.amount])).toEqual([
      [0.05, 1],
      [0.049, 1],
    ]);
    expect(r.order.state).toBe('cancelled');
    expect(r.order.cancelReason).toBe('market_remainder');
    expect(r.order.filledAmount).toBe(2);
    expect(ex.depth(CALL, 'bids')).toEqual([]);
  });

  it('an IOC limit order takes what crosses and cancels the rest', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 1, 0.05), T0);
    ex.submit(limit('a', 'sell', 1, 0.052), T0);
    const r = ex.submit(limit('t', 'buy', 2, 0.051, { timeInForce: 'immediate_or_cancel' }), T0 + 1);
    expect(r.fills).toHaveLength(1);
    expect(r.order.state).toBe('cancelled');
    expect(r.order.cancelReason).toBe('immediate_or_cancel');
    expect(ex.depth(CALL, 'bids')).toEqual([]);
  });
});

describe('post-only', () => {
  it('rests when it does not cross, and pays the maker fee when hit', () => {
    const ex = exchange();
    const r = ex.submit(limit('a', 'buy', 1, 0.05, { postOnly: true }), T0);
    expect(r.order.state).toBe('open');
    const t = ex.submit(limit('b', 'sell', 1, 0.05), T0 + 1);
    expect(t.fills[0]?.makerParticipant).toBe('a');
  });

  it('with reject_post_only, a crossing post-only order is rejected with post_only_reject', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 1, 0.05), T0);
    const r = ex.submit(limit('b', 'buy', 1, 0.05, { postOnly: true, rejectPostOnly: true }), T0 + 1);
    expect(r.order.state).toBe('rejected');
    expect(r.order.rejectReason).toBe('post_only_reject');
    expect(VENUE_ERROR_CODES.post_only_reject).toBe(11054);
    expect(r.fills).toEqual([]);
  });

  it('rejectPostOnlyByDefault makes rejection the default', () => {
    const ex = exchange({ rejectPostOnlyByDefault: true });
    ex.submit(limit('a', 'sell', 1, 0.05), T0);
    expect(ex.submit(limit('b', 'buy', 1, 0.06, { postOnly: true }), T0).order.rejectReason).toBe(
      'post_only_reject',
    );
  });

  it('without reject_post_only (the venue default) it is repriced one tick inside the spread', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 1, 0.05), T0);
    const buy = ex.submit(limit('b', 'buy', 1, 0.06, { postOnly: true }), T0 + 1);
    expect(buy.order.state).toBe('open');
    expect(buy.order.price).toBe(0.0495); // 0.0005 tick above 0.005
    const ex2 = exchange();
    ex2.submit(limit('a', 'buy', 1, 0.004), T0);
    const sell = ex2.submit(limit('c', 'sell', 1, 0.003, { postOnly: true }), T0 + 1);
    expect(sell.order.price).toBe(0.0041); // 0.0001 tick up to 0.005
    expect(buy.fills.length + sell.fills.length).toBe(0);
  });

  it('post-only with IOC is an unsupported combination', () => {
    const ex = exchange();
    const r = ex.submit(
      limit('a', 'buy', 1, 0.05, { postOnly: true, timeInForce: 'immediate_or_cancel' }),
      T0,
    );
    expect(r.order.rejectReason).toBe('unsupported_arg_combination');
  });
});

describe('reduce-only', () => {
  it('is rejected against no position with reason reduce_only', () => {
    const ex = exchange();
    const r = ex.submit(limit('a', 'sell', 1, 0.05, { reduceOnly: true }), T0);
    expect(r.order.state).toBe('rejected');
    expect(r.order.rejectReason).toBe('reduce_only');
  });

  it('is rejected when the position is on the same side', () => {
    const ex = exchange();
    ex.submit(limit('m', 'sell', 1, 0.05), T0);
    ex.submit(limit('a', 'buy', 1, 0.05), T0);
    expect(ex.submit(limit('a', 'buy', 1, 0.04, { reduceOnly: true }), T0).order.rejectReason).toBe(
      'reduce_only',
    );
  });

  it('is capped to the position and never flips it', () => {
    const ex = exchange();
    ex.submit(limit('m', 'sell', 1, 0.05), T0);
    ex.submit(limit('a', 'buy', 1, 0.05), T0);
    ex.submit(limit('m2', 'buy', 5, 0.04), T0);
    const r = ex.submit(limit('a', 'sell', 3, 0.04, { reduceOnly: true }), T0 + 1);
    expect(r.order.amount).toBe(1);
    expect(r.order.state).toBe('filled');
    expect(ex.position('a', CALL)).toBe(0);
  });

  it('a resting reduce-only order is cancelled when the position is gone', () => {
    const ex = exchange();
    ex.submit(limit('m', 'sell', 1, 0.05), T0);
    ex.submit(limit('a', 'buy', 1, 0.05), T0);
    const ro = ex.submit(limit('a', 'sell', 1, 0.06, { reduceOnly: true }), T0).order;
    ex.submit(limit('a', 'sell', 1, 0.05), T0); // closes the position through another order
    ex.submit(limit('m', 'buy', 1, 0.05), T0);
    expect(ex.position('a', CALL)).toBe(0);
    const r = ex.submit(limit('t', 'buy', 1, 0.06), T0 + 1);
    expect(r.fills).toEqual([]);
    expect(
      r.events.some(
        (e) => e.type === 'order' && e.order.orderId === ro.orderId && e.order.cancelReason === 'reduce_only',
      ),
    ).toBe(true);
  });
});

describe('edits and cancels', () => {
  it('an amount decrease keeps queue priority', () => {
    const ex = exchange();
    const a = ex.submit(limit('a', 'sell', 2, 0.05), T0).order;
    const b = ex.submit(limit('b', 'sell', 1, 0.05), T0).order;
    const e = ex.edit(a.orderId, 'a', { amount: 1 }, T0 + 1);
    expect(e.rejectReason).toBeNull();
    expect(ex.queue(CALL, 'asks', 0.05)).toEqual([a.orderId, b.orderId]);
    expect(ex.depth(CALL, 'asks')[0]?.amount).toBe(2);
  });

  it('an amount increase or a price change loses priority', () => {
    const ex = exchange();
    const a = ex.submit(limit('a', 'sell', 1, 0.05), T0).order;
    const b = ex.submit(limit('b', 'sell', 1, 0.05), T0).order;
    ex.edit(a.orderId, 'a', { amount: 2 }, T0 + 1);
    expect(ex.queue(CALL, 'asks', 0.05)).toEqual([b.orderId, a.orderId]);
    ex.edit(b.orderId, 'b', { price: 0.051 }, T0 + 2);
    ex.edit(b.orderId, 'b', { price: 0.05 }, T0 + 3);
    expect(ex.queue(CALL, 'asks', 0.05)).toEqual([a.orderId, b.orderId]);
  });

  it('an edit to a crossing price trades as a taker', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 1, 0.05), T0);
    const b = ex.submit(limit('b', 'buy', 1, 0.04), T0).order;
    const e = ex.edit(b.orderId, 'b', { price: 0.05 }, T0 + 1);
    expect(e.fills).toHaveLength(1);
    expect(e.fills[0]?.takerOrderId).toBe(b.orderId);
    expect(e.order?.state).toBe('filled');
  });

  it('refuses an edit at or below the filled amount, off tick, of an unknown order or of another participant', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 1, 0.05), T0);
    const b = ex.submit(limit('b', 'buy', 2, 0.05), T0).order;
    expect(ex.edit(b.orderId, 'b', { amount: 1 }, T0).rejectReason).toBe('invalid_amount');
    expect(ex.edit(b.orderId, 'b', { price: 0.05001 }, T0).rejectReason).toBe('price_wrong_tick');
    expect(ex.edit('999', 'b', { price: 0.05 }, T0).rejectReason).toBe('order_not_found');
    expect(ex.edit(b.orderId, 'x', { price: 0.05 }, T0).rejectReason).toBe('not_owner_of_order');
  });

  it('a post-only edit that would cross is refused with reject_post_only, else repriced inside the spread', () => {
    const ex = exchange();
    ex.submit(limit('a', 'sell', 1, 0.05), T0);
    const b = ex.submit(limit('b', 'buy', 1, 0.04, { postOnly: true }), T0).order;
    const refused = ex.edit(b.orderId, 'b', { price: 0.06, rejectPostOnly: true }, T0);
    expect(refused.rejectReason).toBe('post_only_reject');
    expect(ex.getOrder(b.orderId)?.price).toBe(0.04);
    const moved = ex.edit(b.orderId, 'b', { price: 0.06 }, T0);
    expect(moved.fills).toEqual([]);
    expect(moved.order?.price).toBe(0.0495);
  });

  it('is deterministic: the same calls give the same fills', () => {
    const runOnce = () => {
      const ex = exchange();
      const out: unknown[] = [];
      for (let i = 0; i < 200; i++) {
        const side = i % 3 === 0 ? 'buy' : 'sell';
        const price = (90 + ((i * 37) % 21)) * 0.0005;
        out.push(
          ex.submit(limit(`p${i % 4}`, side, 0.1 * (1 + (i % 7)), Number(price.toFixed(4))), T0 + i).fills,
        );
      }
      return JSON.stringify(out);
    };
    expect(runOnce()).toBe(runOnce());
  });

  it('cancels one order, all of an instrument, all of a label', () => {
    const ex = exchange();
    const a = ex.submit(limit('a', 'buy', 1, 0.01), T0).order;
    ex.submit(limit('a', 'buy', 1, 0.02, { label: 'q' }), T0);
    ex.submit(limit('a', 'sell', 1, 0.03, { label: 'q' }), T0);
    ex.submit({ participant: 'a', instrument: FUTURE, side: 'buy', amount: 10, price: 40000 }, T0);
    ex.submit(limit('b', 'buy', 1, 0.02, { label: 'q' }), T0);
    expect(ex.cancel(a.orderId, 'a', T0).order?.state).toBe('cancelled');
    expect(ex.cancel(a.orderId, 'a', T0).rejectReason).toBe('order_not_found');
    expect(ex.cancelAll('a', T0, { label: 'q' })).toHaveLength(2);
    expect(ex.cancelAll('a', T0, { instrument: FUTURE })).toHaveLength(1);
    expect(ex.openOrders('a')).toEqual([]);
    expect(ex.openOrders('b')).toHaveLength(1);
  });
});

describe('self-trade', () => {
  it('cancel_maker (default): the resting order of the same participant is cancelled, matching goes on', () => {
    const ex = exchange();
    const own = ex.submit(limit('a', 'sell', 1, 0.05), T0).order;
    ex.submit(limit('b', 'sell', 1, 0.05), T0);
    const r = ex.submit(limit('a', 'buy', 1, 0.05), T0 + 1);
    expect(r.fills.map((f) => f.makerParticipant)).toEqual(['b']);
    expect(r.events.find((e) => e.type === 'order')).toMatchObject({
      order: { orderId: own.orderId, cancelReason: 'self_trade' },
    });
    expect(ex.getOrder(own.orderId)).toBeUndefined();
  });

  it('reject_taker: the incoming order stops and its rest is cancelled, the resting order stays', () => {
    const ex = exchange({ selfTrade: 'reject_taker' });
    ex.submit(limit('b', 'sell', 1, 0.049), T0);
    const own = ex.submit(limit('a', 'sell', 1, 0.05), T0).order;
    const r = ex.submit(limit('a', 'buy', 2, 0.05), T0 + 1);
    expect(r.fills).toHaveLength(1);
    expect(r.order.state).toBe('cancelled');
    expect(r.order.cancelReason).toBe('self_trade');
    expect(ex.getOrder(own.orderId)?.state).toBe('open');
  });
});

describe('rejections with the venue reason', () => {
  const cases: [string, Parameters<typeof limit>[4] & { amount?: number; price?: number }, string][] = [
    ['off tick (0.0005 above 0.005)', { price: 0.0502 }, 'price_wrong_tick'],
    ['off tick (0.0001 up to 0.005)', { price: 0.00125 }, 'price_wrong_tick'],
    ['below the minimum amount', { amount: 0.05 }, 'qty_too_low'],
    ['not a multiple of the lot', { amount: 0.15 }, 'invalid_amount'],
    ['negative amount', { amount: -1 }, 'invalid_amount'],
    ['zero price', { price: 0 }, 'price_too_low'],
    ['no price', { price: Number.NaN }, 'invalid_price'],
    ['unknown instrument', { instrument: 'BTC-27DEC24-50000-X' }, 'invalid_or_unsupported_instrument'],
    [
      'instrument without built-in details',
      { instrument: 'DOGE-27DEC24-1-C' },
      'invalid_or_unsupported_instrument',
    ],
  ];
  for (const [what, extra, reason] of cases) {
    it(`${what}: ${reason}`, () => {
      const ex = exchange();
      const r = ex.submit(limit('a', 'buy', extra.amount ?? 1, extra.price ?? 0.05, extra), T0);
      expect(r.order.state).toBe('rejected');
      expect(r.order.rejectReason).toBe(reason);
      expect(r.order.detail).toBeTruthy();
      expect(ex.openOrders()).toEqual([]);
    });
  }

  it('future: tick 2.5 and lot 10 USD', () => {
    const ex = exchange();
    const f = (amount: number, price: number) =>
      ex.submit({ participant: 'a', instrument: FUTURE, side: 'buy', amount, price }, T0).order.rejectReason;
    expect(f(10, 40001)).toBe('price_wrong_tick');
    expect(f(15, 40000)).toBe('invalid_amount');
    expect(f(5, 40000)).toBe('qty_too_low');
    expect(f(20, 40002.5)).toBeNull();
  });

  it('before the 2023 tick change, 0.0001 steps are off tick', () => {
    const ex = exchange();
    const r = ex.submit(
      limit('a', 'buy', 1, 0.0012, { instrument: 'BTC-27DEC22-50000-C' }),
      Date.UTC(2022, 0, 3),
    );
    expect(r.order.rejectReason).toBe('price_wrong_tick');
  });

  it('an expired instrument is closed', () => {
    const ex = exchange();
    expect(ex.submit(limit('a', 'buy', 1, 0.05), EXPIRY).order.rejectReason).toBe('book_closed');
  });

  it('event time may not go backwards', () => {
    const ex = exchange();
    ex.submit(limit('a', 'buy', 1, 0.05), T0 + 10);
    expect(() => ex.submit(limit('a', 'buy', 1, 0.05), T0)).toThrow(/atMs/);
  });
});
