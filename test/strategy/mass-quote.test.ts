import { describe, expect, it } from 'vitest';
import { Exchange } from '../../src/sim/exchange/exchange.js';
import type { MmpTriggerEvent } from '../../src/sim/exchange/types.js';
import {
  MassQuoteBuilder,
  MmpGuard,
  mmpConfigParams,
  triggerNotificationOf,
  type QuoteLevel,
} from '../../src/strategy/mass-quote.js';

const C = 'BTC-27DEC24-50000-C';
const P = 'BTC-27DEC24-50000-P';
const T0 = Date.UTC(2024, 0, 2);
const lv = (
  instrument: string,
  bid: number | null,
  bidSize: number,
  ask: number | null,
  askSize: number,
): QuoteLevel => ({
  instrument,
  bidPrice: bid,
  bidSize,
  askPrice: ask,
  askSize,
});

describe('MassQuoteBuilder', () => {
  it('one request per group (level), one bid/ask per instrument in each', () => {
    const b = new MassQuoteBuilder({ groups: ['L0', 'L1'], quoteSetId: 'opts' });
    const reqs = b.build([[lv(C, 0.04, 1, 0.05, 1), lv(P, null, 0, 0.03, 2)], [lv(C, 0.039, 2, 0.051, 2)]]);
    expect(reqs).toEqual([
      {
        quote_id: '1',
        mmp_group: 'L0',
        quotes: [
          {
            instrument_name: C,
            quote_set_id: 'opts',
            bid: { price: 0.04, amount: 1 },
            ask: { price: 0.05, amount: 1 },
          },
          { instrument_name: P, quote_set_id: 'opts', ask: { price: 0.03, amount: 2 } },
        ],
      },
      {
        quote_id: '2',
        mmp_group: 'L1',
        quotes: [
          {
            instrument_name: C,
            quote_set_id: 'opts',
            bid: { price: 0.039, amount: 2 },
            ask: { price: 0.051, amount: 2 },
          },
        ],
      },
    ]);
    expect(b.liveCount('L0')).toBe(3);
  });

  it('skips unchanged sides, cancels sides and instruments no longer quoted (amount 0), splits long requests', () => {
    const b = new MassQuoteBuilder({ groups: ['g'], maxEntriesPerRequest: 1 });
    b.build([[lv(C, 0.04, 1, 0.05, 1), lv(P, 0.02, 1, 0.03, 1)]]);
    const next = b.build([[lv(C, 0.04, 1, 0.052, 1)]]);
    expect(next.map((r) => r.quotes)).toEqual([
      [{ instrument_name: C, ask: { price: 0.052, amount: 1 } }],
      [{ instrument_name: P, bid: { price: 0.02, amount: 0 }, ask: { price: 0.03, amount: 0 } }],
    ]);
    const third = b.build([[lv(C, null, 0, 0.052, 1)]]);
    expect(third[0]!.quotes).toEqual([{ instrument_name: C, bid: { price: 0.04, amount: 0 } }]);
    expect(b.liveCount('g')).toBe(1);
  });

  it('rejects bad input naming the field', () => {
    expect(() => new MassQuoteBuilder({ groups: [] })).toThrow(/groups/);
    const b = new MassQuoteBuilder({ groups: ['g'] });
    expect(() => b.build([[lv(C, -1, 1, 0.05, 1)]])).toThrow(/bidPrice/);
    expect(() => b.build([[lv(C, 0.04, 1, 0.05, 1), lv(C, 0.04, 1, 0.05, 1)]])).toThrow(/instrument/);
    expect(() => b.build([[], []])).toThrow(/levels/);
  });
});

describe('mmpConfigParams', () => {
  it('per group, venue names, max_quote_quantity and one limit required', () => {
    expect(
      mmpConfigParams('btc_usd', ['a', 'b'], {
        interval: 1,
        frozen_time: 0,
        quantity_limit: 3,
        max_quote_quantity: 2.5,
      }),
    ).toEqual([
      {
        index_name: 'btc_usd',
        mmp_group: 'a',
        interval: 1,
        frozen_time: 0,
        quantity_limit: 3,
        max_quote_quantity: 2.5,
      },
      {
        index_name: 'btc_usd',
        mmp_group: 'b',
        interval: 1,
        frozen_time: 0,
        quantity_limit: 3,
        max_quote_quantity: 2.5,
      },
    ]);
    expect(() =>
      mmpConfigParams('btc_usd', ['a'], { interval: 1, frozen_time: 0, max_quote_quantity: 1 }),
    ).toThrow(/quantity_limit/);
    expect(() =>
      mmpConfigParams('btc_usd', ['a'], {
        interval: 0.5,
        frozen_time: 0,
        quantity_limit: 1,
        max_quote_quantity: 1,
      }),
    ).toThrow(/interval/);
  });
});

describe('MmpGuard', () => {
  it('frozen until reset: reset_mmp due after the cool-down, once; quoting resumes on reset', () => {
    const g = new MmpGuard(500, ['a', 'b']);
    g.onTrigger({ index_name: 'btc_usd', frozen_until: 0, mmp_group: 'a' }, 1000);
    expect(g.canQuote('btc_usd', 'a', 1200)).toBe(false);
    expect(g.canQuote('btc_usd', 'b', 1200)).toBe(true);
    expect(g.due(1499)).toEqual([]);
    expect(g.due(1500)).toEqual([
      { method: 'private/reset_mmp', params: { index_name: 'btc_usd', mmp_group: 'a' } },
    ]);
    expect(g.due(1600)).toEqual([]);
    expect(g.canQuote('btc_usd', 'a', 1600)).toBe(false);
    g.onReset('btc_usd', 'a');
    expect(g.canQuote('btc_usd', 'a', 1600)).toBe(true);
  });

  it('venue-timed freeze thaws at max(frozen_until, trigger + cool-down), no reset sent; no group freezes all', () => {
    const g = new MmpGuard(500, ['a', 'b']);
    g.onTrigger({ index_name: 'btc_usd', frozen_until: 1200, mmp_group: 'a' }, 1000);
    expect(g.due(5000)).toEqual([]);
    expect(g.canQuote('btc_usd', 'a', 1499)).toBe(false);
    expect(g.canQuote('btc_usd', 'a', 1500)).toBe(true);
    g.onTrigger({ index_name: 'btc_usd', frozen_until: 0 }, 2000);
    expect(g.canQuote('btc_usd', 'a', 2000)).toBe(false);
    expect(g.canQuote('btc_usd', 'b', 2000)).toBe(false);
    expect(() => g.onTrigger({ index_name: '', frozen_until: 0 }, 1)).toThrow(/index_name/);
  });

  it('end to end with the simulated exchange: trigger stops the group, reset resumes it', () => {
    const ex = new Exchange();
    for (const group of ['L0', 'L1'])
      ex.setMmpConfig({
        participant: 'mm',
        index: 'BTC',
        group,
        intervalMs: 1000,
        frozenTimeMs: 0,
        quantityLimit: 2,
      });
    const b = new MassQuoteBuilder({ groups: ['L0', 'L1'] });
    const guard = new MmpGuard(100, ['L0', 'L1']);
    const levels = [[lv(C, 0.04, 3, 0.05, 3)], [lv(C, 0.039, 1, 0.051, 1)]];
    for (const r of b.build(levels, (g) => guard.canQuote('btc_usd', g, T0))) {
      expect(ex.massQuote('mm', r, T0).errors).toEqual([]);
    }
    const hit = ex.submit({ participant: 't', instrument: C, side: 'buy', amount: 3, price: 0.05 }, T0 + 10);
    const trigger = hit.events.find((e): e is MmpTriggerEvent => e.type === 'mmp_trigger')!;
    const note = triggerNotificationOf(trigger);
    expect(note).toEqual({ index_name: 'btc_usd', frozen_until: 0, mmp_group: 'L0' });
    guard.onTrigger(note, T0 + 10);
    b.forget('L0');
    const during = b.build(levels, (g) => guard.canQuote('btc_usd', g, T0 + 20));
    expect(during.map((r) => r.mmp_group)).toEqual([]); // L1 unchanged, L0 frozen
    const [reset] = guard.due(T0 + 110);
    expect(reset!.params).toEqual({ index_name: 'btc_usd', mmp_group: 'L0' });
    ex.resetMmp('mm', 'BTC', reset!.params.mmp_group);
    guard.onReset('btc_usd', 'L0');
    const after = b.build(levels, (g) => guard.canQuote('btc_usd', g, T0 + 120));
    expect(after.map((r) => r.mmp_group)).toEqual(['L0']);
    expect(ex.massQuote('mm', after[0]!, T0 + 120).errors).toEqual([]);
    expect(ex.openQuote('mm', C, 'bid', 'L0')).toMatchObject({ price: 0.04, amount: 3 });
  });
});
