/**
 * Queue position on hand-made sequences: trades ahead, cancellations ahead (the risk-averse
 * model holds, the probabilistic one advances by the share ahead), additions behind, partial
 * and full fills, trades through the price; a replay of recorded events; and a property: on
 * any sequence the probabilistic model is never behind the risk-averse one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { MarketEvent } from '../../src/market/events.js';
import {
  logWeight,
  powerWeight,
  probabilisticQueue,
  replayQueue,
  riskAverseQueue,
  type RestingOrder,
} from '../../src/sim/queue.js';

const BID: RestingOrder = { side: 'buy', price: 100, size: 3 };

describe('riskAverseQueue', () => {
  it('advances on trades at its price only; cancellations ahead do not move it', () => {
    const q = riskAverseQueue.join(BID, 10);
    expect([q.ahead, q.filled, q.remaining]).toEqual([10, 0, 3]);
    q.onLevel(15); // 5 join behind
    expect(q.ahead).toBe(10);
    q.onLevel(11); // 4 cancelled: ahead or behind, the model assumes behind
    expect(q.ahead).toBe(10);
    expect(q.onTrade(100, 7, 'sell')).toBe(0);
    expect(q.ahead).toBe(3);
    q.onLevel(4); // the trade's own decrease: no second advance
    expect(q.ahead).toBe(3);
    q.onLevel(2); // the level below what is ahead: ahead can be no more than the level
    expect(q.ahead).toBe(2);
  });

  it('fills partially, then fully, and no more', () => {
    const q = riskAverseQueue.join(BID, 4);
    expect(q.onTrade(100, 5, 'sell')).toBe(1); // 4 ahead, then 1 of ours
    expect([q.ahead, q.filled, q.remaining]).toEqual([0, 1, 2]);
    expect(q.onTrade(100, 1, null)).toBe(1); // unknown side at our price counts
    expect(q.onTrade(100, 10, 'sell')).toBe(1);
    expect(q.remaining).toBe(0);
    expect(q.onTrade(100, 10, 'sell')).toBe(0);
  });

  it('ignores buys for a bid and trades at other prices; a trade through fills in full', () => {
    const q = riskAverseQueue.join(BID, 4);
    expect(q.onTrade(100, 10, 'buy')).toBe(0);
    expect(q.onTrade(100.5, 10, 'sell')).toBe(0);
    expect(q.ahead).toBe(4);
    expect(q.onTrade(99.5, 0.1, 'sell')).toBe(3);
    expect([q.ahead, q.filled]).toEqual([0, 3]);
    const ask = riskAverseQueue.join({ side: 'sell', price: 101, size: 2 }, 5);
    expect(ask.onTrade(101, 6, 'sell')).toBe(0);
    expect(ask.onTrade(101, 6, 'buy')).toBe(1);
    expect(ask.onTrade(101.5, 1, 'buy')).toBe(1);
  });

  it('rejects bad orders', () => {
    expect(() => riskAverseQueue.join({ side: 'buy', price: 100, size: 0 }, 1)).toThrow(/size/);
    expect(() => riskAverseQueue.join(BID, -1)).toThrow(/levelAmount/);
  });
});

describe('probabilisticQueue', () => {
  it('cancellations advance it by the share ahead: f(x) = x', () => {
    const q = probabilisticQueue().join(BID, 10);
    q.onLevel(20); // 10 ahead, 10 behind
    expect(q.ahead).toBe(10);
    q.onLevel(16); // 4 cancelled: p(behind) = 10 / 20, so 2 from ahead
    expect(q.ahead).toBeCloseTo(8, 12);
    expect(q.onTrade(100, 3, 'sell')).toBe(0);
    expect(q.ahead).toBeCloseTo(5, 12);
    q.onLevel(13); // the trade's decrease: nothing cancelled
    expect(q.ahead).toBeCloseTo(5, 12);
    q.onLevel(5); // 8 cancelled, 5 ahead, 8 behind: 8 x 5 / 13 from ahead
    expect(q.ahead).toBeCloseTo(5 - 40 / 13, 12);
  });

  it('a cancellation bigger than what is behind comes from ahead', () => {
    const q = probabilisticQueue().join(BID, 10);
    q.onLevel(12); // 10 ahead, 2 behind
    q.onLevel(6); // 6 cancelled: 6 x 2/12 = 1 from behind by share, and at most 2 from behind in all
    // ahead' = 10 - (10/12) 6 + min(0, 2 - (2/12) 6) = 5
    expect(q.ahead).toBeCloseTo(5, 12);
    q.onLevel(1); // 5 cancelled, 5 ahead, 1 behind: 5 - (5/6) 5 + min(0, 1 - (1/6) 5)
    expect(q.ahead).toBeCloseTo(5 - 25 / 6, 12);
    q.onLevel(0.5); // 0.5 cancelled from 5/6 ahead and 1/6 behind: 5/6 - (5/6) 0.5 = 5/12
    expect(q.ahead).toBeCloseTo(5 / 12, 12);
  });

  it('a trade larger than the amount ahead, then the book: the level left is behind us', () => {
    const q = probabilisticQueue().join(BID, 4);
    q.onLevel(10); // 4 ahead, 6 behind
    expect(q.onTrade(100, 6, 'sell')).toBe(2); // 4 ahead, then 2 of ours
    expect(q.ahead).toBe(0);
    q.onLevel(4); // the trade took 6 of the recorded 10
    expect(q.ahead).toBe(0);
    expect(q.onTrade(100, 1, 'sell')).toBe(1);
    expect(q.remaining).toBe(0);
  });

  it('the weight function sets the share: x^2 favours the larger side, ln(1 + x) flattens it', () => {
    const run = (weight = powerWeight(1)) => {
      const q = probabilisticQueue(weight).join(BID, 10);
      q.onLevel(40); // 10 ahead, 30 behind
      q.onLevel(30); // 10 cancelled
      return q.ahead;
    };
    expect(run()).toBeCloseTo(10 - 10 * (10 / 40), 12);
    expect(run(powerWeight(2))).toBeCloseTo(10 - 10 * (100 / 1000), 12);
    expect(run(logWeight)).toBeCloseTo(10 - (10 * Math.log(11)) / (Math.log(11) + Math.log(31)), 12);
    // Risk-averse: no advance.
    const r = riskAverseQueue.join(BID, 10);
    r.onLevel(40);
    r.onLevel(30);
    expect(r.ahead).toBe(10);
  });

  it('property: never behind the risk-averse model, ahead within [0, level], fills within the size', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('level' as const), amount: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('trade' as const), amount: fc.integer({ min: 1, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.array(step, { maxLength: 40 }), (start, steps) => {
        const p = probabilisticQueue().join(BID, start);
        const r = riskAverseQueue.join(BID, start);
        let level = start;
        for (const s of steps) {
          if (s.kind === 'level') {
            level = s.amount;
            p.onLevel(level);
            r.onLevel(level);
          } else {
            p.onTrade(100, s.amount, 'sell');
            r.onTrade(100, s.amount, 'sell');
            level = Math.max(0, level - s.amount);
            p.onLevel(level);
            r.onLevel(level);
          }
          expect(p.ahead).toBeLessThanOrEqual(r.ahead + 1e-12);
          expect(p.filled).toBeGreaterThanOrEqual(r.filled - 1e-12);
          for (const q of [p, r]) {
            expect(q.ahead).toBeGreaterThanOrEqual(0);
            expect(q.ahead).toBeLessThanOrEqual(level + 1e-12);
            expect(q.filled).toBeLessThanOrEqual(BID.size);
          }
        }
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('replayQueue', () => {
  const base = { venue: 'deribit', instrument: 'BTC-PERPETUAL' };
  const events: MarketEvent[] = [
    {
      ...base,
      type: 'book_snapshot',
      timestampMs: 1,
      changeId: 1,
      full: true,
      bids: [{ price: 100, amount: 8 }],
      asks: [{ price: 101, amount: 5 }],
    },
    {
      ...base,
      type: 'book_change',
      timestampMs: 2,
      changeId: 2,
      prevChangeId: 1,
      bids: [{ price: 100, amount: 10 }],
      asks: [],
    },
    // Placed at 3: 10 ahead.
    {
      ...base,
      type: 'book_change',
      timestampMs: 4,
      changeId: 3,
      prevChangeId: 2,
      bids: [{ price: 100, amount: 14 }],
      asks: [],
    },
    {
      ...base,
      type: 'book_change',
      timestampMs: 5,
      changeId: 4,
      prevChangeId: 3,
      bids: [{ price: 100, amount: 7 }],
      asks: [],
    },
    { ...base, type: 'trade', timestampMs: 6, tradeId: 't1', price: 100, amount: 6, side: 'sell' },
    {
      ...base,
      type: 'book_change',
      timestampMs: 6,
      changeId: 5,
      prevChangeId: 4,
      bids: [{ price: 100, amount: 1 }],
      asks: [],
    },
    { ...base, type: 'trade', timestampMs: 7, tradeId: 't2', price: 101, amount: 2, side: 'buy' },
    { ...base, type: 'trade', timestampMs: 8, tradeId: 't3', price: 100, amount: 3, side: 'sell' },
    { ...base, type: 'trade', timestampMs: 9, tradeId: 't4', price: 99.5, amount: 1, side: 'sell' },
    { ...base, type: 'trade', timestampMs: 10, tradeId: 't5', price: 99, amount: 1, side: 'sell' },
  ];

  it('risk-averse: joins behind 10; the cancellation of 7 is capped only by the level; fills at t3 and t4', () => {
    const r = replayQueue(riskAverseQueue, BID, events, 3);
    // Join at 10; level 14 (behind); level 7: ahead min(10, 7) = 7; trade 6: 1; level 1: 1;
    // t2 a buy: ignored; t3: 3 against 1 ahead fills 2; t4 through the price fills the last 1.
    expect(r.fills).toEqual([
      { timestampMs: 8, amount: 2, tradeId: 't3' },
      { timestampMs: 9, amount: 1, tradeId: 't4' },
    ]);
    expect(r.filled).toBe(3);
    expect(r.aheadPath).toEqual([
      [3, 10],
      [4, 10],
      [5, 7],
      [6, 1],
      [6, 1],
      [8, 0],
    ]);
  });

  it('probabilistic: the cancellation advances it, filling earlier', () => {
    const r = replayQueue(probabilisticQueue(), BID, events, 3);
    // Join at 10; 14: 4 behind; 14 -> 7: 7 cancelled, 10 - (10/14) 7 + min(0, 4 - (4/14) 7) = 5;
    // t1: 6 against 5 ahead fills 1; t3 fills the other 2.
    expect(r.aheadPath.slice(0, 3)).toEqual([
      [3, 10],
      [4, 10],
      [5, 5],
    ]);
    expect(r.fills).toEqual([
      { timestampMs: 6, amount: 1, tradeId: 't1' },
      { timestampMs: 8, amount: 2, tradeId: 't3' },
    ]);
    expect(r.filled).toBe(3);
  });

  it('an order placed before any book: joins at the first level seen', () => {
    const r = replayQueue(riskAverseQueue, BID, events.slice(1));
    expect(r.aheadPath[0]).toEqual([2, 10]);
    expect(r.filled).toBe(3);
  });

  it('before placement the level is tracked; with no later book event the order joins at the last one', () => {
    const r = replayQueue(riskAverseQueue, BID, events.slice(0, 2).concat(events.slice(4)), 3);
    // Joined at 3 behind the level of 10; t1 takes 6 of it.
    expect(r.aheadPath.slice(0, 2)).toEqual([
      [3, 10],
      [6, 4],
    ]);
    expect(r.fills.map((f) => f.tradeId)).toEqual(['t3', 't4']);
  });
});
