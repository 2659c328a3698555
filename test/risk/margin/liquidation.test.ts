/** Liquidation distance: closed forms for futures, and the defining equation for options. */
import { describe, expect, it } from 'vitest';
import { bookPnlCoin, liquidationDistance, prepareBook } from '../../../src/risk/margin/index.js';
import { book, market } from './market.js';

const NOW = Date.UTC(2020, 4, 22, 8);
const F = 10000;
const PERP = { name: 'BTC-PERPETUAL', mark: F, index: F };

describe('liquidation distance', () => {
  it('a long perpetual: equity E on N coin runs out at m = -E / (N + E); never upwards', () => {
    const m = market(NOW, { BTC: F }, [], [PERP]);
    const d = liquidationDistance(book(['BTC-PERPETUAL', 10 * F]), m, 2);
    expect(d.down?.move).toBeCloseTo(-2 / 12, 9);
    expect(d.down?.priceUsd).toBeCloseTo(F * (1 - 2 / 12), 5);
    expect(d.up).toBeNull();
  });

  it('a short perpetual: runs out at m = E / (N - E) upwards; never downwards', () => {
    const m = market(NOW, { BTC: F }, [], [PERP]);
    const d = liquidationDistance(book(['BTC-PERPETUAL', -10 * F]), m, 2);
    expect(d.up?.move).toBeCloseTo(2 / 8, 9);
    expect(d.down).toBeNull();
  });

  it('a short strangle: equity + P&L is 0 at both moves, by full revaluation', () => {
    const put = 'BTC-19JUN20-8000-P';
    const call = 'BTC-19JUN20-12000-C';
    const m = market(NOW, { BTC: F }, [
      { name: put, forward: F, vol: 0.8 },
      { name: call, forward: F, vol: 0.8 },
    ]);
    const b = book([put, -20], [call, -20]);
    const d = liquidationDistance(b, m, 3);
    const prepared = prepareBook(b, m, 'BTC');
    expect(d.down!.move).toBeLessThan(-0.2);
    expect(d.up!.move).toBeGreaterThan(0.2);
    expect(3 + bookPnlCoin(prepared, d.down!.move, 'same')).toBeCloseTo(0, 7);
    expect(3 + bookPnlCoin(prepared, d.up!.move, 'same')).toBeCloseTo(0, 7);
    // Equity already gone: distance 0; bad equity refused.
    expect(liquidationDistance(b, m, 0).down?.move).toBe(0);
    expect(() => liquidationDistance(b, m, Number.NaN)).toThrow(/equityCoin/);
  });
});
