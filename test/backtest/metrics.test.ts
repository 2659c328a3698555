/** Backtest report figures on small paths worked out by hand in the comments. */
import { describe, expect, it } from 'vitest';
import {
  fillRatio,
  markouts,
  maxDrawdown,
  midAt,
  sharpeRatio,
  spreadCaptured,
  type ReportFill,
} from '../../src/backtest/metrics.js';
import { InputError } from '../../src/model/errors.js';

describe('backtest metrics', () => {
  it('Sharpe: mean over sample sd of the changes, annualised', () => {
    // Changes 1, 3, 2: mean 2, sample sd 1; 365 periods a year -> 2 sqrt(365).
    expect(sharpeRatio([0, 1, 4, 6], 365)).toBeCloseTo(2 * Math.sqrt(365), 12);
    expect(sharpeRatio([0, 1, 2, 3], 365)).toBe(0); // no spread: 0, not infinity
    expect(() => sharpeRatio([0, 1], 365)).toThrow(InputError);
  });

  it('maximum drawdown from the running peak', () => {
    // Peak 5 at index 2, trough 1 at index 4: 4; later peak 6, fall to 3: 3.
    expect(maxDrawdown([0, 3, 5, 2, 1, 6, 3])).toEqual({ drawdown: 4, peak: 2, trough: 4 });
    expect(maxDrawdown([1, 2, 3])).toEqual({ drawdown: 0, peak: 0, trough: 0 });
  });

  const path = { timesMs: [0, 1000, 2000, 11_000], mids: [100, 101, 99, 104] };
  const fills: ReportFill[] = [
    { timestampMs: 500, side: 'buy', price: 99.5, amount: 2 }, // mid 100: +0.5 x 2
    { timestampMs: 1500, side: 'sell', price: 101.5, amount: 1 }, // mid 101: +0.5
  ];

  it('the mid in force at a time', () => {
    expect(midAt(path, -1)).toBeUndefined();
    expect(midAt(path, 0)).toBe(100);
    expect(midAt(path, 1999)).toBe(101);
    expect(midAt(path, 50_000)).toBe(104);
  });

  it('spread captured and markouts per unit of volume', () => {
    expect(spreadCaptured(fills, path)).toEqual({ total: 1.5, perUnit: 0.5, volume: 3 });
    // 1 s: buy at 500 -> mid(1500) 101: +1.5 x 2 = 3; sell at 1500 -> mid(2500) 99: +2.5. (3 + 2.5) / 3.
    // 10 s: buy -> mid(10500) 99: -0.5 x 2 = -1; sell -> mid(11500) after the path's end: left out.
    expect(markouts(fills, path, [1000, 10_000])).toEqual([
      { horizonMs: 1000, perUnit: 5.5 / 3, volume: 3 },
      { horizonMs: 10_000, perUnit: -0.5, volume: 2 },
    ]);
    expect(() => markouts([{ ...fills[0]!, amount: 0 }], path, [1000])).toThrow(/fills\[0\]\.amount/);
    expect(() => spreadCaptured(fills, { timesMs: [1, 0], mids: [1, 1] })).toThrow(/timesMs\[1\]/);
  });

  it('fill ratio', () => {
    expect(fillRatio(3, 12)).toBe(0.25);
    expect(fillRatio(0, 0)).toBe(0);
    expect(() => fillRatio(5, 4)).toThrow(InputError);
  });
});
