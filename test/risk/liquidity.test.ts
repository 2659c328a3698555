import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/market/book.js';
import { InputError } from '../../src/model/errors.js';
import { liquidityReport } from '../../src/risk/liquidity.js';

function book(instrument: string, bids: [number, number][], asks: [number, number][]): OrderBook {
  const b = new OrderBook(instrument);
  b.applySnapshot({
    type: 'book_snapshot',
    venue: 'deribit',
    instrument,
    timestampMs: 0,
    changeId: 1,
    bids: bids.map(([price, amount]) => ({ price, amount })),
    asks: asks.map(([price, amount]) => ({ price, amount })),
    full: true,
  });
  return b;
}

const books = new Map([
  [
    'BTC-26JUN20-10000-C',
    book(
      'BTC-26JUN20-10000-C',
      [
        [0.05, 4],
        [0.048, 10],
      ],
      [[0.052, 5]],
    ),
  ],
  [
    'BTC-PERPETUAL',
    book(
      'BTC-PERPETUAL',
      [[8999, 100000]],
      [
        [9001, 50000],
        [9002, 100000],
      ],
    ),
  ],
  ['BTC_USDC-PERPETUAL', book('BTC_USDC-PERPETUAL', [[9000, 1]], [[9010, 1]])],
]);
const positions = [
  { instrument: 'BTC-26JUN20-10000-C', amount: 10 },
  { instrument: 'BTC-PERPETUAL', amount: -100000 },
  { instrument: 'BTC_USDC-PERPETUAL', amount: 2 },
  { instrument: 'BTC-26JUN20-8000-P', amount: -3 },
];
const volumePerHour = new Map([
  ['BTC-26JUN20-10000-C', 20],
  ['BTC-PERPETUAL', 1e6],
  ['BTC-26JUN20-8000-P', 30],
]);
const usdPerCoin = new Map([['BTC', 9000]]);

describe('liquidity: cost and time to unwind', () => {
  it('per instrument and in total, by hand', () => {
    const r = liquidityReport({ positions, books, volumePerHour, participation: 0.1, usdPerCoin });
    const [call, perp, linear, put] = r.lines;
    // Sell 10 calls: 4 at 0.05 and 6 at 0.048, average 0.0488, mid 0.051: slippage 0.0022 BTC,
    // 0.022 BTC in all = 198 USD at 9000; notional 10 x 0.051 x 9000 = 4590 USD (431.37 bps);
    // time 10 / (0.1 x 20 per hour) = 5 hours.
    expect(call).toMatchObject({ side: 'sell', filled: 10, unfilled: 0, levels: 2, hours: 5 });
    expect(call!.mid).toBeCloseTo(0.051, 15);
    expect(call!.averagePrice).toBeCloseTo(0.0488, 12);
    expect(call!.costUsd).toBeCloseTo(198, 9);
    expect(call!.notionalUsd).toBeCloseTo(4590, 9);
    expect(call!.costBps).toBeCloseTo((198 / 4590) * 1e4, 6);
    // Buy back 100,000 USD of the inverse perpetual: 50,000 at 9001 and 50,000 at 9002, average
    // 9001.5, mid 9000: 100000 x 1.5 / 9001.5 = 16.66389 USD; 1 hour at 10% of 1e6 USD/hour.
    expect(perp).toMatchObject({ side: 'buy', filled: 100000, hours: 1 });
    expect(perp!.costUsd).toBeCloseTo((100000 * 1.5) / 9001.5, 9);
    // Sell 2 BTC of the linear perpetual: the book holds 1 at 9000 (mid 9005): 5 USD, 1 unfilled.
    expect(linear).toMatchObject({ filled: 1, unfilled: 1, costUsd: 5, hours: null });
    // No book for the put: listed, no cost; its time is still known (3 / 3 = 1 hour).
    expect(put).toMatchObject({ costUsd: null, filled: null, hours: 1 });
    expect(r.totalCostUsd).toBeCloseTo(198 + (100000 * 1.5) / 9001.5 + 5, 9);
    expect(r.hoursParallel).toBe(5);
    expect(r.hoursSequential).toBe(7);
    expect(r.exhausted).toEqual([{ instrument: 'BTC_USDC-PERPETUAL', unfilled: 1 }]);
    expect(r.missing).toEqual([
      expect.objectContaining({ instrument: 'BTC_USDC-PERPETUAL', missing: 'volume' }),
      expect.objectContaining({ instrument: 'BTC-26JUN20-8000-P', missing: 'book' }),
    ]);
  });

  it('a higher participation rate unwinds faster at the same cost', () => {
    const slow = liquidityReport({ positions, books, volumePerHour, participation: 0.05, usdPerCoin });
    const fast = liquidityReport({ positions, books, volumePerHour, participation: 0.5, usdPerCoin });
    expect(fast.hoursParallel).toBeCloseTo(slow.hoursParallel / 10, 12);
    expect(fast.totalCostUsd).toBe(slow.totalCostUsd);
  });

  it('lists an empty book and a coin without a USD price, and names the field of bad input', () => {
    const r = liquidityReport({
      positions: [
        { instrument: 'ETH-26JUN20-200-C', amount: 1 },
        { instrument: 'BTC-26JUN20-10000-C', amount: 1 },
      ],
      books: new Map([
        ['ETH-26JUN20-200-C', new OrderBook('ETH-26JUN20-200-C')],
        ['BTC-26JUN20-10000-C', books.get('BTC-26JUN20-10000-C')!],
      ]),
      volumePerHour: new Map(),
      participation: 1,
      usdPerCoin: new Map(),
    });
    expect(r.missing.map((m) => `${m.instrument}: ${m.missing}`)).toEqual([
      'ETH-26JUN20-200-C: volume',
      'ETH-26JUN20-200-C: book',
      'BTC-26JUN20-10000-C: volume',
      'BTC-26JUN20-10000-C: usd price of the coin',
    ]);
    expect(r.totalCostUsd).toBe(0);
    const base = { positions, books, volumePerHour, usdPerCoin };
    expect(() => liquidityReport({ ...base, participation: 0 })).toThrow(/participation/);
    expect(() => liquidityReport({ ...base, participation: 1.5 })).toThrow(InputError);
    expect(() =>
      liquidityReport({
        ...base,
        participation: 0.1,
        positions: [{ instrument: 'BTC-PERPETUAL', amount: Number.NaN }],
      }),
    ).toThrow(/positions\[0\]\.amount/);
    expect(() =>
      liquidityReport({ ...base, participation: 0.1, volumePerHour: new Map([['BTC-PERPETUAL', -1]]) }),
    ).toThrow(/volumePerHour\[BTC-PERPETUAL\]/);
  });
});
