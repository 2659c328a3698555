import { describe, expect, it } from 'vitest';
import { EXCHANGE_ACCOUNT } from '../../../src/sim/exchange/exchange.js';
import { CALL, EXPIRY, FUTURE, PUT, T0, exchange, limit } from './helpers.js';

describe('expiry settlement at the time-averaged delivery price', () => {
  it('inverse call: max(S-K,0)/S BTC per contract, delivery fee 0.015% capped at 12.5% of value', () => {
    const ex = exchange();
    ex.submit(limit('s', 'sell', 1, 0.05), T0);
    ex.submit(limit('b', 'buy', 1, 0.05), T0);
    const open = ex.submit(limit('b', 'buy', 1, 0.01), T0).order;
    const before = { b: ex.balance('b', 'BTC'), s: ex.balance('s', 'BTC') };
    const events = ex.settle(CALL, 62500, EXPIRY);
    // (62500 - 50000) / 62500 = 0.2 BTC; fee min(0.00015, 0.125 x 0.2) = 0.00015
    const b = events.find((e) => e.participant === 'b');
    expect(b?.cash).toBeCloseTo(0.2, 15);
    expect(b?.fee).toBeCloseTo(0.00015, 15);
    expect(ex.balance('b', 'BTC') - before.b).toBeCloseTo(0.2 - 0.00015, 15);
    expect(ex.balance('s', 'BTC') - before.s).toBeCloseTo(-0.2 - 0.00015, 15);
    expect(ex.position('b', CALL)).toBe(0);
    expect(ex.getOrder(open.orderId)).toBeUndefined();
    expect(ex.submit(limit('b', 'buy', 1, 0.01), EXPIRY).order.rejectReason).toBe('book_closed');
    expect(() => ex.settle(CALL, 62500, EXPIRY)).toThrow();
  });

  it('out-of-the-money put pays nothing and no fee; the venue example (0.2 BTC) for an ITM put', () => {
    const ex = exchange();
    ex.submit(limit('s', 'sell', 2, 0.02, { instrument: PUT }), T0);
    ex.submit(limit('b', 'buy', 2, 0.02, { instrument: PUT }), T0);
    const otm = ex.settle(PUT, 60000, EXPIRY);
    expect(otm.every((e) => e.cash === 0 && e.fee === 0)).toBe(true);
    const ex2 = exchange();
    ex2.submit(limit('s', 'sell', 1, 0.02, { instrument: PUT }), T0);
    ex2.submit(limit('b', 'buy', 1, 0.02, { instrument: PUT }), T0);
    // K = 50000, S = 40000: 10000 / 40000 = 0.25 BTC
    expect(ex2.settle(PUT, 40000, EXPIRY).find((e) => e.participant === 'b')?.cash).toBeCloseTo(0.25, 15);
  });

  it('inverse future: N (1/entry - 1/S) BTC', () => {
    const ex = exchange();
    ex.submit({ participant: 's', instrument: FUTURE, side: 'sell', amount: 1000, price: 50000 }, T0);
    ex.submit({ participant: 'b', instrument: FUTURE, side: 'buy', amount: 1000, price: 50000 }, T0);
    const events = ex.settle(FUTURE, 62500, EXPIRY);
    // 1000 (1/50000 - 1/62500) = 0.02 - 0.016 = 0.004
    expect(events.find((e) => e.participant === 'b')?.cash).toBeCloseTo(0.004, 15);
    expect(events.find((e) => e.participant === 's')?.cash).toBeCloseTo(-0.004, 15);
    // Cash sums to zero over every account including the exchange.
    const total = ex.participants().reduce((sum, p) => sum + ex.balance(p, 'BTC'), 0);
    expect(total).toBeCloseTo(0, 15);
    expect(ex.balance(EXCHANGE_ACCOUNT, 'BTC')).toBeCloseTo((0.0005 * 1000) / 50000, 15);
  });

  it('a closed futures position is paid its realized P&L at settlement', () => {
    const ex = exchange();
    ex.submit({ participant: 's', instrument: FUTURE, side: 'sell', amount: 1000, price: 50000 }, T0);
    ex.submit({ participant: 'b', instrument: FUTURE, side: 'buy', amount: 1000, price: 50000 }, T0);
    ex.submit({ participant: 'x', instrument: FUTURE, side: 'buy', amount: 1000, price: 62500 }, T0);
    ex.submit({ participant: 'b', instrument: FUTURE, side: 'sell', amount: 1000, price: 62500 }, T0);
    expect(ex.position('b', FUTURE)).toBe(0);
    const events = ex.settle(FUTURE, 70000, EXPIRY);
    // b: 1000 (1/50000 - 1/62500) = 0.004 BTC, whatever the delivery price
    expect(events.find((e) => e.participant === 'b')).toMatchObject({ position: 0 });
    expect(events.find((e) => e.participant === 'b')?.cash).toBeCloseTo(0.004, 15);
  });

  it('refuses settlement before expiry', () => {
    const ex = exchange();
    expect(() => ex.settle(CALL, 60000, EXPIRY - 1)).toThrow(/expiry/);
  });
});
