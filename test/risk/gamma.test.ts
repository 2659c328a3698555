import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrderBook } from '../../src/market/book.js';
import { InputError } from '../../src/model/errors.js';
import {
  DEALER_POSITIONING,
  dealerGamma,
  gammaOptionsFromChain,
  gammaSqueeze,
  readOpenInterest,
  totalGexAtSpot,
  zeroGammaLevel,
  type GammaOption,
} from '../../src/risk/gamma.js';
import { readChain } from '../../src/vol/chain.js';
import { repoRoot } from '../cli/run-cli.js';

const SNAPSHOT = readFileSync(join(repoRoot, 'data/deribit/btc-options-2020-05-21.jsonl'), 'utf8');

const option = (o: Partial<GammaOption>): GammaOption => ({
  instrument: 'X',
  kind: 'call',
  strike: 10000,
  forwardUsd: 10000,
  yearsToExpiry: 1,
  vol: 0.5,
  rate: 0,
  openInterest: 100,
  ...o,
});

function book(bids: [number, number][], asks: [number, number][]): OrderBook {
  const b = new OrderBook('BTC-PERPETUAL');
  b.applySnapshot({
    type: 'book_snapshot',
    venue: 'deribit',
    instrument: 'BTC-PERPETUAL',
    timestampMs: 0,
    changeId: 1,
    bids: bids.map(([price, amount]) => ({ price, amount })),
    asks: asks.map(([price, amount]) => ({ price, amount })),
    full: true,
  });
  return b;
}

describe('dealer gamma exposure', () => {
  it('GEX of an at-the-money call by hand, and the assumption stated', () => {
    // F = K = 10000, T = 1, sigma = 0.5: d1 = 0.25, phi(0.25) = 0.386668116802849,
    // gamma = phi / (F sigma sqrt T) = 7.73336233605698e-5;
    // GEX = -1 x 100 x gamma x 1e8 x 0.01 = -7733.36233605698 USD per 1% (dealers short calls).
    const r = dealerGamma([option({})], DEALER_POSITIONING.customersLongCallsShortPuts, 10000);
    expect(r.positioning).toBe('customers long calls, short puts (dealers short calls, long puts)');
    expect(r.totalGexUsd).toBeCloseTo(-7733.36233605698, 6);
    expect(r.byStrike).toEqual([
      expect.objectContaining({ strike: 10000, callOpenInterest: 100, putOpenInterest: 0, putGexUsd: 0 }),
    ]);
    // A put at the same strike has the same gamma; dealers long puts: +7733.36, the total nets to 0.
    const both = dealerGamma(
      [option({}), option({ kind: 'put' })],
      DEALER_POSITIONING.customersLongCallsShortPuts,
      10000,
    );
    expect(both.byStrike[0]!.putGexUsd).toBeCloseTo(7733.36233605698, 6);
    expect(both.totalGexUsd).toBeCloseTo(0, 9);
    expect(dealerGamma([option({})], DEALER_POSITIONING.dealersShortAll, 10000).positioning).toBe(
      'dealers short all options',
    );
  });

  it('zero-gamma level: long 8000 puts and short 12500 calls cross at sqrt(K1 K2) exp(-sigma^2 T / 2)', () => {
    // Equal OI, T and sigma: F^2 gamma = F phi(d1) / (sigma sqrt T), equal when d1(K1) = -d1(K2),
    // ln(F/K1) + ln(F/K2) + sigma^2 T = 0: F = sqrt(8000 x 12500) e^{-0.125} = 8824.969025845954.
    const options = [option({ kind: 'put', strike: 8000 }), option({ kind: 'call', strike: 12500 })];
    const z = zeroGammaLevel(options, DEALER_POSITIONING.customersLongCallsShortPuts, 10000, {
      toleranceUsd: 1e-6,
    });
    expect(z.levelUsd).toBeCloseTo(8824.969025845954, 4);
    expect(z.crossingsUsd).toHaveLength(1);
    // Below the level the long puts dominate (dealers long gamma), above it the short calls.
    expect(
      totalGexAtSpot(options, DEALER_POSITIONING.customersLongCallsShortPuts, 10000, 8000),
    ).toBeGreaterThan(0);
    expect(
      totalGexAtSpot(options, DEALER_POSITIONING.customersLongCallsShortPuts, 10000, 10000),
    ).toBeLessThan(0);
    // One sign everywhere: no level.
    expect(zeroGammaLevel([option({})], DEALER_POSITIONING.dealersShortAll, 10000).levelUsd).toBeNull();
  });

  it('squeeze indicator against depth given as numbers and as books', () => {
    // GEX -7733.36 (dealers short gamma): +1% makes them buy 7733.36 USD against 5000 of asks.
    const report = { positioning: 'p', totalGexUsd: -7733.36233605698 };
    const s = gammaSqueeze(report, [{ instrument: 'BTC-PERPETUAL', bidUsd: 2000, askUsd: 5000 }]);
    expect(s.amplifying).toBe(true);
    expect(s.up).toMatchObject({ hedge: 'buy', depthUsd: 5000 });
    expect(s.up.ratio).toBeCloseTo(7733.36233605698 / 5000, 12);
    expect(s.down).toMatchObject({ hedge: 'sell', depthUsd: 2000 });
    // A book with mid 10000: within 100 USD are bids 30000 + 20000 and asks 40000 (USD amounts);
    // the 9800 bid and 10200 ask are beyond 1%.
    const b = book(
      [
        [9995, 30000],
        [9900, 20000],
        [9800, 1e6],
      ],
      [
        [10005, 40000],
        [10200, 1e6],
      ],
    );
    const t = gammaSqueeze(report, [{ instrument: 'BTC-PERPETUAL', book: b, amountUnit: 'usd' }]);
    expect(t.up.depthUsd).toBe(40000);
    expect(t.down.depthUsd).toBe(50000);
    // Coin amounts are valued at the mid.
    const c = gammaSqueeze(report, [
      { instrument: 'BTC_USDC-PERPETUAL', book: book([[9995, 1]], [[10005, 2]]), amountUnit: 'coin' },
    ]);
    expect(c.up.depthUsd).toBe(20000);
    const empty = gammaSqueeze(report, [{ instrument: 'E', book: new OrderBook('E'), amountUnit: 'usd' }]);
    expect(empty.unusableBooks).toEqual(['E']);
    expect(empty.up.ratio).toBe(Infinity);
  });

  it('reads open interest from the shared snapshot and sums GEX over it', async () => {
    const chain = await readChain(SNAPSHOT);
    const oi = await readOpenInterest(SNAPSHOT);
    expect(oi.get('BTC-22MAY20-9250-P')).toBe(418.9);
    const { options, skipped } = gammaOptionsFromChain(chain.quotes, oi);
    expect(options.length + skipped.length).toBe(chain.quotes.length);
    const r = dealerGamma(options, DEALER_POSITIONING.customersLongCallsShortPuts, 9095.83);
    const sum = r.byStrike.reduce((a, s) => a + s.gexUsd, 0);
    expect(r.totalGexUsd).toBeCloseTo(sum, 6);
    // Against the venue's own greeks.gamma (per USD, rounded to 5 digits) for one line:
    // 0.00136 x 418.9 x 9096.11^2 x 0.01 = 471,380 USD; ours within the rounding (0.4%).
    const line = dealerGamma(
      options.filter((o) => o.instrument === 'BTC-22MAY20-9250-P'),
      DEALER_POSITIONING.dealersLongAll,
      9095.83,
    );
    expect(line.totalGexUsd / (0.00136 * 418.9 * 9096.11 ** 2 * 0.01)).toBeCloseTo(1, 2);
  });

  it('names the field of bad input', () => {
    expect(() => dealerGamma([option({ vol: 0 })], DEALER_POSITIONING.dealersShortAll, 1)).toThrow(
      /options\[0\]\.vol/,
    );
    expect(() => dealerGamma([option({ openInterest: -1 })], DEALER_POSITIONING.dealersShortAll, 1)).toThrow(
      InputError,
    );
    expect(() => dealerGamma([], { name: 'x', callSign: 2 as 1, putSign: 1 }, 1)).toThrow(
      /positioning\.callSign/,
    );
    expect(() => dealerGamma([], DEALER_POSITIONING.dealersShortAll, -5)).toThrow(/spotUsd/);
    expect(() => zeroGammaLevel([], DEALER_POSITIONING.dealersShortAll, 1, { high: 0.1 })).toThrow(
      /search\.high/,
    );
    expect(() =>
      gammaSqueeze({ positioning: 'p', totalGexUsd: 1 }, [{ instrument: 'x', bidUsd: -1, askUsd: 0 }]),
    ).toThrow(/depth\[0\]\.bidUsd/);
    expect(() => gammaSqueeze({ positioning: 'p', totalGexUsd: 1 }, [], 0)).toThrow(/move/);
  });
});
