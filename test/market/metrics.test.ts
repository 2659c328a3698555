/** Book metrics on a small book whose every figure is worked out by hand in the comments. */
import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/market/book.js';
import {
  depthImbalance,
  depthWithin,
  ImbalanceSignal,
  imbalance,
  microprice,
  mid,
  RollingZScore,
  spread,
  tradeCost,
} from '../../src/market/metrics.js';
import { InputError } from '../../src/model/errors.js';

// Bids 100 x 5, 99.5 x 3, 99 x 7; asks 100.5 x 2, 101 x 4, 102 x 10.
function book(): OrderBook {
  const b = new OrderBook('BTC-PERPETUAL');
  b.applySnapshot({
    type: 'book_snapshot',
    venue: 'deribit',
    instrument: 'BTC-PERPETUAL',
    timestampMs: 0,
    changeId: 1,
    full: true,
    bids: [
      { price: 100, amount: 5 },
      { price: 99.5, amount: 3 },
      { price: 99, amount: 7 },
    ],
    asks: [
      { price: 100.5, amount: 2 },
      { price: 101, amount: 4 },
      { price: 102, amount: 10 },
    ],
  });
  return b;
}

describe('book metrics', () => {
  it('mid, microprice, spread and best-level imbalance', () => {
    const b = book();
    expect(mid(b)).toBe(100.25);
    // (100 x 2 + 100.5 x 5) / 7 = 702.5 / 7
    expect(microprice(b)).toBeCloseTo(702.5 / 7, 12);
    // 0.5 over 100.25, in bps: 49.875311...
    expect(spread(b)?.price).toBe(0.5);
    expect(spread(b)?.bps).toBeCloseTo((0.5 / 100.25) * 1e4, 10);
    // (5 - 2) / 7
    expect(imbalance(b)).toBeCloseTo(3 / 7, 14);
  });

  it('depth imbalance over levels, plain and decayed', () => {
    const b = book();
    // 2 levels: bids 8, asks 6 -> 2/14.
    expect(depthImbalance(b, 2)).toBeCloseTo(2 / 14, 14);
    // 3 levels, decay 0.5: bids 5 + 1.5 + 1.75 = 8.25, asks 2 + 2 + 2.5 = 6.5 -> 1.75 / 14.75.
    expect(depthImbalance(b, 3, 0.5)).toBeCloseTo(1.75 / 14.75, 14);
    // More levels than the book holds: the rest count as empty.
    expect(depthImbalance(b, 10)).toBeCloseTo((15 - 16) / 31, 14);
    expect(() => depthImbalance(b, 0)).toThrow(InputError);
    expect(() => depthImbalance(b, 2, 1.5)).toThrow(InputError);
  });

  it('depth within a distance of the mid (inclusive)', () => {
    const b = book();
    // mid 100.25: within 0.75 -> bids 100, 99.5 (8); asks 100.5, 101 (6).
    expect(depthWithin(b, 0.75)).toEqual({ bid: 8, ask: 6 });
    expect(depthWithin(b, 0.1)).toEqual({ bid: 0, ask: 0 });
    expect(() => depthWithin(b, -1)).toThrow(InputError);
  });

  it('the cost to trade an amount, and to unwind an inventory', () => {
    const b = book();
    // Buy 5: 2 at 100.5 + 3 at 101 = 201 + 303 = 504; average 100.8; slippage vs mid 0.55.
    const buy = tradeCost(b, 'buy', 5);
    expect(buy).toMatchObject({ filled: 5, unfilled: 0, notional: 504, levels: 2, worstPrice: 101 });
    expect(buy.averagePrice).toBeCloseTo(100.8, 12);
    expect(buy.slippage).toBeCloseTo(0.55, 12);
    expect(buy.slippageBps).toBeCloseTo((0.55 / 100.25) * 1e4, 10);
    expect(buy.impact).toBeCloseTo(0.3, 12);
    // Unwind a long of 20: the bids hold 15 (500 + 298.5 + 693 = 1491.5); 5 left unfilled.
    const sell = tradeCost(b, 'sell', 20);
    expect(sell).toMatchObject({ filled: 15, unfilled: 5, notional: 1491.5, levels: 3, worstPrice: 99 });
    expect(sell.slippage).toBeCloseTo(100.25 - 1491.5 / 15, 12);
    expect(() => tradeCost(b, 'buy', 0)).toThrow(InputError);
  });

  it('an empty side gives no mid and no fill, not a made-up number', () => {
    const b = new OrderBook('X');
    b.applySnapshot({
      type: 'book_snapshot',
      venue: 'v',
      instrument: 'X',
      timestampMs: 0,
      changeId: null,
      full: true,
      bids: [{ price: 1, amount: 1 }],
      asks: [],
    });
    expect(mid(b)).toBeUndefined();
    expect(microprice(b)).toBeUndefined();
    expect(tradeCost(b, 'buy', 1)).toMatchObject({ filled: 0, averagePrice: undefined, slippage: undefined });
  });
});

describe('RollingZScore and the imbalance signal', () => {
  it('scores each value against the previous window: mean and sample sd computed directly', () => {
    const z = new RollingZScore(4, 3);
    const xs = [1, 2, 4, 7, 11, -3, 0.5];
    const got = xs.map((x) => z.update(x));
    xs.forEach((x, i) => {
      const history = xs.slice(Math.max(0, i - 4), i);
      if (history.length < 3) return expect(got[i]).toBeUndefined();
      const mean = history.reduce((a, b) => a + b, 0) / history.length;
      const sd = Math.sqrt(history.reduce((a, b) => a + (b - mean) ** 2, 0) / (history.length - 1));
      expect(got[i]).toBeCloseTo((x - mean) / sd, 12);
    });
    expect(() => new RollingZScore(1)).toThrow(InputError);
  });

  it('stays exact over a long run (its running sums are recomputed)', () => {
    const z = new RollingZScore(50);
    let last: number | undefined;
    for (let i = 0; i < 20_000; i++) last = z.update(1e6 + Math.sin(i));
    const history = Array.from({ length: 50 }, (_, k) => 1e6 + Math.sin(19_950 + k));
    const mean = history.reduce((a, b) => a + b, 0) / 50;
    const sd = Math.sqrt(history.reduce((a, b) => a + (b - mean) ** 2, 0) / 49);
    const next = z.update(1e6 + Math.sin(20_000));
    expect(last).toBeDefined();
    expect(next).toBeCloseTo((1e6 + Math.sin(20_000) - mean) / sd, 9);
  });

  it('the signal reads only live books', () => {
    const signal = new ImbalanceSignal(2, 1, 10);
    const b = book();
    expect(signal.update(b).imbalance).toBeCloseTo(2 / 14, 14);
    b.applyChange({
      type: 'book_change',
      venue: 'deribit',
      instrument: 'BTC-PERPETUAL',
      timestampMs: 1,
      changeId: 5,
      prevChangeId: 4,
      bids: [],
      asks: [],
    });
    expect(signal.update(b)).toEqual({ imbalance: undefined, z: undefined });
  });
});
