import { describe, expect, it } from 'vitest';
import type { MassQuoteRequest, MmpTriggerEvent } from '../../src/sim/exchange/types.js';
import { CALL, PUT, T0, exchange, limit } from './exchange/helpers.js';

const mq = (group: string, quotes: MassQuoteRequest['quotes'], id = '1'): MassQuoteRequest => ({
  quote_id: id,
  mmp_group: group,
  quotes,
});

function setup() {
  const ex = exchange();
  for (const group of ['g1', 'g2'])
    ex.setMmpConfig({
      participant: 'mm',
      index: 'BTC',
      group,
      intervalMs: 1000,
      frozenTimeMs: 0,
      quantityLimit: 3,
    });
  return ex;
}

describe('Exchange.massQuote', () => {
  it('places post-only MMP orders in the group, one per side per instrument', () => {
    const ex = setup();
    const r = ex.massQuote(
      'mm',
      mq('g1', [
        {
          instrument_name: CALL,
          quote_set_id: 'calls',
          bid: { price: 0.04, amount: 1 },
          ask: { price: 0.05, amount: 2 },
        },
        { instrument_name: PUT, ask: { price: 0.03, amount: 1 } },
      ]),
      T0,
    );
    expect(r.errors).toEqual([]);
    expect(r.orders).toHaveLength(3);
    for (const o of r.orders)
      expect(o).toMatchObject({ mmp: true, mmpGroup: 'g1', postOnly: true, state: 'open' });
    expect(ex.openQuote('mm', CALL, 'bid', 'g1')).toMatchObject({
      side: 'buy',
      price: 0.04,
      amount: 1,
      label: 'calls',
    });
    expect(ex.openQuote('mm', CALL, 'ask', 'g1')).toMatchObject({ side: 'sell', price: 0.05, amount: 2 });
    expect(ex.depth(CALL, 'bids')).toEqual([{ price: 0.04, amount: 1, orders: 1 }]);
  });

  it('a second quote of the same key edits the order (same id); another group adds a level; amount 0 cancels', () => {
    const ex = setup();
    const first = ex.massQuote(
      'mm',
      mq('g1', [{ instrument_name: CALL, bid: { price: 0.04, amount: 1 } }]),
      T0,
    );
    const id = first.orders[0]!.orderId;
    const second = ex.massQuote(
      'mm',
      mq('g1', [{ instrument_name: CALL, bid: { price: 0.041, amount: 2 } }], '2'),
      T0 + 1,
    );
    expect(second.orders[0]!.orderId).toBe(id);
    expect(ex.getOrder(id)).toMatchObject({ price: 0.041, amount: 2 });
    ex.massQuote('mm', mq('g2', [{ instrument_name: CALL, bid: { price: 0.039, amount: 1 } }], '3'), T0 + 2);
    expect(ex.depth(CALL, 'bids')).toEqual([
      { price: 0.041, amount: 2, orders: 1 },
      { price: 0.039, amount: 1, orders: 1 },
    ]);
    const cancel = ex.massQuote(
      'mm',
      mq('g1', [{ instrument_name: CALL, bid: { price: 0.041, amount: 0 } }], '4'),
      T0 + 3,
    );
    expect(cancel.orders[0]).toMatchObject({ orderId: id, state: 'cancelled' });
    expect(ex.openQuote('mm', CALL, 'bid', 'g1')).toBeUndefined();
    expect(ex.depth(CALL, 'bids')).toEqual([{ price: 0.039, amount: 1, orders: 1 }]);
  });

  it('the new open amount of a partly filled quote is the quote amount', () => {
    const ex = setup();
    const id = ex.massQuote('mm', mq('g1', [{ instrument_name: CALL, ask: { price: 0.05, amount: 2 } }]), T0)
      .orders[0]!.orderId;
    ex.submit(limit('t', 'buy', 0.5, 0.05), T0 + 1);
    ex.massQuote('mm', mq('g1', [{ instrument_name: CALL, ask: { price: 0.05, amount: 2 } }]), T0 + 2);
    expect(ex.getOrder(id)).toMatchObject({ amount: 2.5, filledAmount: 0.5 });
    expect(ex.depth(CALL, 'asks')).toEqual([{ price: 0.05, amount: 2, orders: 1 }]);
  });

  it('reports per-side errors and lets the rest through', () => {
    const ex = setup();
    const r = ex.massQuote(
      'mm',
      mq('g1', [
        { instrument_name: CALL, bid: { price: 0.04003, amount: 1 }, ask: { price: 0.05, amount: 1 } },
        { instrument_name: PUT, bid: { price: 0.02, amount: 0.05 } },
        { instrument_name: CALL, ask: { price: 0.06, amount: 1 } },
      ]),
      T0,
    );
    expect(r.errors.map((e) => [e.instrument_name, e.side, e.error.message])).toEqual([
      [CALL, 'bid', 'price_wrong_tick'],
      [PUT, 'bid', 'qty_too_low'],
      [CALL, 'ask', 'unsupported_arg_combination'],
    ]);
    expect(r.errors[0]!.error.code).toBe(10043);
    expect(r.orders.map((o) => [o.side, o.price])).toEqual([['sell', 0.05]]);
    const unconfigured = ex.massQuote(
      'mm',
      mq('g9', [{ instrument_name: CALL, bid: { price: 0.04, amount: 1 } }]),
      T0,
    );
    expect(unconfigured.errors[0]!.error.message).toBe('mmp_group_not_configured');
  });

  it('post-only: a crossing quote is moved one tick inside the spread, never trades', () => {
    const ex = setup();
    ex.submit(limit('t', 'sell', 1, 0.05), T0);
    const r = ex.massQuote(
      'mm',
      mq('g1', [{ instrument_name: CALL, bid: { price: 0.06, amount: 1 } }]),
      T0 + 1,
    );
    expect(r.trades).toEqual([]);
    expect(r.orders[0]!.price).toBe(0.0495);
  });

  it('an MMP trigger cancels only that group, which then refuses quotes until reset', () => {
    const ex = setup();
    ex.massQuote('mm', mq('g1', [{ instrument_name: CALL, ask: { price: 0.05, amount: 5 } }]), T0);
    ex.massQuote('mm', mq('g2', [{ instrument_name: CALL, ask: { price: 0.06, amount: 5 } }]), T0);
    const hit = ex.submit(limit('t', 'buy', 4, 0.05), T0 + 10);
    const trigger = hit.events.find((e): e is MmpTriggerEvent => e.type === 'mmp_trigger');
    expect(trigger).toMatchObject({ group: 'g1', limit: 'quantity', value: 4, frozenUntilMs: null });
    expect(ex.openQuote('mm', CALL, 'ask', 'g1')).toBeUndefined();
    expect(ex.openQuote('mm', CALL, 'ask', 'g2')).toMatchObject({ price: 0.06, amount: 5 });
    const refused = ex.massQuote(
      'mm',
      mq('g1', [{ instrument_name: CALL, ask: { price: 0.05, amount: 1 } }]),
      T0 + 20,
    );
    expect(refused.errors.map((e) => e.error.message)).toEqual(['mmp_frozen']);
    ex.resetMmp('mm', 'BTC', 'g1');
    const again = ex.massQuote(
      'mm',
      mq('g1', [{ instrument_name: CALL, ask: { price: 0.05, amount: 1 } }]),
      T0 + 30,
    );
    expect(again.errors).toEqual([]);
    expect(again.orders[0]).toMatchObject({ state: 'open', mmpGroup: 'g1' });
  });

  it('validates the request shape', () => {
    const ex = setup();
    expect(() => ex.massQuote('mm', { quote_id: '1', mmp_group: '', quotes: [] }, T0)).toThrow(/mmp_group/);
    expect(() => ex.massQuote('mm', { quote_id: '1', mmp_group: 'g1', quotes: null as never }, T0)).toThrow(
      /quotes/,
    );
  });
});
