import { describe, expect, it } from 'vitest';
import type { MmpTriggerEvent } from '../../../src/sim/exchange/types.js';
import { CALL, PUT, T0, exchange, limit } from './helpers.js';

const quote = (side: 'buy' | 'sell', amount: number, price: number, group = '') =>
  limit('mm', side, amount, price, { mmp: true, mmpGroup: group });

describe('market maker protection', () => {
  it('a quantity breach within the window cancels MMP orders only, freezes, and thaws after frozen_time', () => {
    const ex = exchange();
    ex.setMmpConfig({
      participant: 'mm',
      index: 'BTC',
      intervalMs: 1000,
      frozenTimeMs: 5000,
      quantityLimit: 2,
    });
    const ask = ex.submit(quote('sell', 5, 0.05), T0).order;
    const bid = ex.submit(quote('buy', 5, 0.04), T0).order;
    const putQuote = ex.submit(limit('mm', 'sell', 5, 0.03, { instrument: PUT, mmp: true }), T0).order;
    const hedge = ex.submit(limit('mm', 'sell', 1, 0.06), T0).order; // not MMP
    // 1.5 in the window: below the limit
    ex.submit(limit('t', 'buy', 1.5, 0.05), T0 + 100);
    expect(ex.getOrder(ask.orderId)?.state).toBe('partially_filled');
    // another 1 at T0 + 900 (same window opened at T0 + 100): 2.5 > 2
    const r = ex.submit(limit('t', 'sell', 1, 0.04), T0 + 900);
    const trigger = r.events.find((e): e is MmpTriggerEvent => e.type === 'mmp_trigger');
    expect(trigger).toMatchObject({
      participant: 'mm',
      index: 'BTC',
      limit: 'quantity',
      value: 2.5,
      limitValue: 2,
      frozenUntilMs: T0 + 5900,
    });
    expect(new Set(trigger?.cancelledOrderIds)).toEqual(
      new Set([ask.orderId, bid.orderId, putQuote.orderId]),
    );
    expect(ex.getOrder(hedge.orderId)?.state).toBe('open');
    expect(ex.openOrders('mm').map((o) => o.orderId)).toEqual([hedge.orderId]);
    // frozen: MMP orders refused, other orders accepted
    expect(ex.submit(quote('sell', 1, 0.05), T0 + 1000).order.rejectReason).toBe('mmp_frozen');
    expect(ex.submit(limit('mm', 'sell', 1, 0.07), T0 + 1000).order.state).toBe('open');
    expect(ex.isMmpFrozen('mm', 'BTC', '', T0 + 5899)).toBe(true);
    // thawed
    expect(ex.submit(quote('sell', 1, 0.05), T0 + 5900).order.state).toBe('open');
  });

  it('the window is fixed, not rolling: fills in successive windows do not add up', () => {
    const ex = exchange();
    ex.setMmpConfig({ participant: 'mm', index: 'BTC', intervalMs: 1000, frozenTimeMs: 0, quantityLimit: 2 });
    ex.submit(quote('sell', 10, 0.05), T0);
    // window [T0+0, T0+1000): 2 (not above 2)
    expect(ex.submit(limit('t', 'buy', 2, 0.05), T0).events.some((e) => e.type === 'mmp_trigger')).toBe(
      false,
    );
    // T0+1000 opens a new window: a rolling 1 s window would hold 2 + 2 = 4
    expect(
      ex.submit(limit('t', 'buy', 2, 0.05), T0 + 1000).events.some((e) => e.type === 'mmp_trigger'),
    ).toBe(false);
    const r = ex.submit(limit('t', 'buy', 0.1, 0.05), T0 + 1999);
    expect(r.events.some((e) => e.type === 'mmp_trigger')).toBe(true);
  });

  it('frozen_time 0 holds until reset_mmp', () => {
    const ex = exchange();
    ex.setMmpConfig({ participant: 'mm', index: 'BTC', intervalMs: 1000, frozenTimeMs: 0, quantityLimit: 1 });
    ex.submit(quote('sell', 2, 0.05), T0);
    const r = ex.submit(limit('t', 'buy', 2, 0.05), T0);
    const trigger = r.events.find((e): e is MmpTriggerEvent => e.type === 'mmp_trigger');
    expect(trigger?.frozenUntilMs).toBeNull();
    expect(ex.submit(quote('sell', 1, 0.05), T0 + 86_400_000).order.rejectReason).toBe('mmp_frozen');
    ex.resetMmp('mm', 'BTC');
    expect(ex.submit(quote('sell', 1, 0.05), T0 + 86_400_000).order.state).toBe('open');
  });

  it('groups are separate: a breach in one group leaves the other quoting', () => {
    const ex = exchange();
    ex.setMmpConfig({
      participant: 'mm',
      index: 'BTC',
      group: 'g1',
      intervalMs: 1000,
      frozenTimeMs: 0,
      quantityLimit: 1,
    });
    ex.setMmpConfig({
      participant: 'mm',
      index: 'BTC',
      group: 'g2',
      intervalMs: 1000,
      frozenTimeMs: 0,
      quantityLimit: 1,
    });
    ex.submit(quote('sell', 2, 0.05, 'g1'), T0);
    const other = ex.submit(quote('buy', 2, 0.01, 'g2'), T0).order;
    ex.submit(limit('t', 'buy', 2, 0.05), T0);
    expect(ex.getOrder(other.orderId)?.state).toBe('open');
    expect(ex.isMmpFrozen('mm', 'BTC', 'g1', T0)).toBe(true);
    expect(ex.isMmpFrozen('mm', 'BTC', 'g2', T0)).toBe(false);
  });

  it("delta limit: |net delta traded| with the caller's greeks", () => {
    const ex = exchange({
      greeks: (name) => (name === CALL ? { delta: 0.5, vega: 10 } : { delta: -0.5, vega: 10 }),
    });
    ex.setMmpConfig({ participant: 'mm', index: 'BTC', intervalMs: 1000, frozenTimeMs: 1000, deltaLimit: 1 });
    ex.submit(quote('sell', 5, 0.05), T0);
    ex.submit(limit('mm', 'sell', 5, 0.03, { instrument: PUT, mmp: true }), T0);
    // mm sells 2 calls (delta -1) and 2 puts (delta +1): net 0, no trigger although quantity is 4
    ex.submit(limit('t', 'buy', 2, 0.05), T0);
    expect(
      ex
        .submit(limit('t', 'buy', 2, 0.03, { instrument: PUT }), T0)
        .events.some((e) => e.type === 'mmp_trigger'),
    ).toBe(false);
    // 3 more calls: net delta -1.5
    const r = ex.submit(limit('t', 'buy', 3, 0.05), T0 + 1);
    expect(r.events.find((e) => e.type === 'mmp_trigger')).toMatchObject({ limit: 'delta', value: 1.5 });
  });

  it('a breach mid-sweep stops the taker from hitting the frozen quotes behind it', () => {
    const ex = exchange();
    ex.setMmpConfig({ participant: 'mm', index: 'BTC', intervalMs: 1000, frozenTimeMs: 0, quantityLimit: 1 });
    ex.submit(quote('sell', 2, 0.05), T0);
    ex.submit(quote('sell', 2, 0.051), T0);
    ex.submit(limit('x', 'sell', 1, 0.052), T0);
    const r = ex.submit(limit('t', 'buy', 5, 0.052), T0);
    expect(r.fills.map((f) => [f.makerParticipant, f.price, f.amount])).toEqual([
      ['mm', 0.05, 2],
      ['x', 0.052, 1],
    ]);
  });

  it('delta limits need greeks', () => {
    expect(() =>
      exchange().setMmpConfig({
        participant: 'mm',
        index: 'BTC',
        intervalMs: 1,
        frozenTimeMs: 0,
        deltaLimit: 1,
      }),
    ).toThrow();
  });
});

describe('cancel-on-disconnect', () => {
  it('connection scope cancels only the orders sent on that connection', () => {
    const ex = exchange();
    ex.enableCancelOnDisconnect('mm', 'ws1');
    const a = ex.submit(limit('mm', 'buy', 1, 0.04, { connection: 'ws1' }), T0).order;
    const b = ex.submit(limit('mm', 'sell', 1, 0.06, { connection: 'ws2' }), T0).order;
    const c = ex.submit(limit('other', 'sell', 1, 0.07, { connection: 'ws1x' }), T0).order;
    const cancelled = ex.disconnect('ws1', T0 + 1);
    expect(cancelled.map((o) => [o.orderId, o.cancelReason])).toEqual([[a.orderId, 'cancel_on_disconnect']]);
    expect(ex.getOrder(b.orderId)?.state).toBe('open');
    expect(ex.getOrder(c.orderId)?.state).toBe('open');
  });

  it("account scope cancels all the participant's orders; without it nothing is cancelled", () => {
    const ex = exchange();
    ex.submit(limit('mm', 'buy', 1, 0.04, { connection: 'ws1' }), T0);
    ex.submit(limit('mm', 'sell', 1, 0.06, { connection: 'ws2' }), T0);
    expect(ex.disconnect('ws1', T0)).toEqual([]);
    ex.enableCancelOnDisconnect('mm', 'ws1', 'account');
    expect(ex.disconnect('ws1', T0)).toHaveLength(2);
    expect(ex.openOrders()).toEqual([]);
  });
});
