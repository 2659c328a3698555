/**
 * Arbitrage in quoted prices: hand-made chains with one known violation each (amounts worked
 * out by hand in the comments), a clean chain priced from a smooth smile with none, why the
 * checks are in coin, and what the 2020-05-21 Deribit snapshot holds.
 */
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { MS_PER_YEAR } from '../../src/model/time.js';
import { black76Price } from '../../src/pricing/black76.js';
import type { OptionKind } from '../../src/pricing/types.js';
import { readChain } from '../../src/vol/chain.js';
import {
  findQuoteArbitrage,
  verticalBoundCoin,
  type ArbitrageQuote,
  type QuoteArbitrage,
} from '../../src/vol/quote-arbitrage.js';

const EXPIRY = Date.UTC(2020, 5, 26, 8);
const LATER = Date.UTC(2020, 8, 25, 8);

/** A quote at forward 10000, 0.25 year, rate 0 unless told otherwise. */
function quote(
  kind: OptionKind,
  strike: number,
  bidCoin: number | null,
  askCoin: number | null,
  extra: Partial<ArbitrageQuote> = {},
): ArbitrageQuote {
  const expiryMs = extra.expiryMs ?? EXPIRY;
  const code = expiryMs === EXPIRY ? '26JUN20' : '25SEP20';
  return {
    instrumentName: `BTC-${code}-${strike}-${kind === 'call' ? 'C' : 'P'}`,
    kind,
    strike,
    expiryMs,
    yearsToExpiry: 0.25,
    rate: 0,
    forwardUsd: 10000,
    bidCoin,
    askCoin,
    ...extra,
  };
}

const summary = (found: QuoteArbitrage[]) => found.map((f) => [f.kind, f.instruments]);

describe('findQuoteArbitrage on hand-made chains', () => {
  it('a crossed quote: bid 0.05 > ask 0.04 earns 0.01 BTC = 100 USD at 10000', () => {
    const found = findQuoteArbitrage([quote('call', 10000, 0.05, 0.04)]);
    expect(summary(found)).toEqual([['crossed', ['BTC-26JUN20-10000-C']]]);
    expect(found[0]!.amountCoin).toBeCloseTo(0.01, 15);
    expect(found[0]!.amountUsd).toBeCloseTo(100, 10);
    expect(found[0]!.expiryMs).toBe(EXPIRY);
    expect(found[0]!.detail).toBe('bid 0.05 > ask 0.04');
  });

  it('a call spread: the 9000 call offered at 0.08 below the 10000 call bid at 0.085', () => {
    const found = findQuoteArbitrage([quote('call', 9000, 0.075, 0.08), quote('call', 10000, 0.085, 0.09)]);
    expect(summary(found)).toEqual([['call_spread', ['BTC-26JUN20-9000-C', 'BTC-26JUN20-10000-C']]]);
    expect(found[0]!.amountCoin).toBeCloseTo(0.005, 15);
    expect(found[0]!.amountUsd).toBeCloseTo(50, 10);
  });

  it('a put spread: the 10000 put offered at 0.045 below the 9000 put bid at 0.05', () => {
    const found = findQuoteArbitrage([quote('put', 9000, 0.05, 0.055), quote('put', 10000, 0.04, 0.045)]);
    expect(summary(found)).toEqual([['put_spread', ['BTC-26JUN20-10000-P', 'BTC-26JUN20-9000-P']]]);
    expect(found[0]!.amountCoin).toBeCloseTo(0.005, 15);
  });

  it('a butterfly with unequal spacing 9000/10000/12000: weights 2/3 and 1/3', () => {
    // 2/3 x 0.12 + 1/3 x 0.01 - 0.085 = 0.08 + 0.0033333 - 0.085 = -0.0016667 BTC. The other
    // checks pass: asks above the higher strikes' bids; the spreads sell for less than
    // 1000/10000, 3000/12000 and 2000/12000.
    const wings = (middleBid: number) => [
      quote('call', 9000, 0.115, 0.12),
      quote('call', 10000, middleBid, middleBid + 0.005),
      quote('call', 12000, 0.005, 0.01),
    ];
    const found = findQuoteArbitrage(wings(0.085));
    expect(summary(found)).toEqual([
      ['butterfly', ['BTC-26JUN20-9000-C', 'BTC-26JUN20-12000-C', 'BTC-26JUN20-10000-C']],
    ]);
    expect(found[0]!.amountCoin).toBeCloseTo(0.005 / 3, 15);
    expect(found[0]!.amountUsd).toBeCloseTo(50 / 3, 10);
    expect(found[0]!.detail).toMatch(
      /call butterfly 9000\/10000\/12000: 0.666667 x ask 0.12 \+ 0.333333 x ask 0.01/,
    );
    // The convex weights matter: bid(10000) = 0.07 with the same wings costs
    // 2/3 x 0.12 + 1/3 x 0.01 - 0.07 = +0.0133 (no arbitrage), though equal weights would say
    // 0.5 x 0.12 + 0.5 x 0.01 - 0.07 = -0.005.
    expect(findQuoteArbitrage(wings(0.07))).toEqual([]);
    // Puts mirrored, 8000/10000/11000, weights 1/3 and 2/3:
    // 1/3 x 0.01 + 2/3 x 0.105 - 0.08 = 0.0033333 + 0.07 - 0.08 = -0.0066667 BTC.
    const puts = findQuoteArbitrage([
      quote('put', 8000, 0.005, 0.01),
      quote('put', 10000, 0.08, 0.085),
      quote('put', 11000, 0.1, 0.105),
    ]);
    expect(summary(puts)).toEqual([
      ['butterfly', ['BTC-26JUN20-8000-P', 'BTC-26JUN20-11000-P', 'BTC-26JUN20-10000-P']],
    ]);
    expect(puts[0]!.amountCoin).toBeCloseTo(0.02 / 3, 15);
  });

  it('a call spread above its bound: 10000/12000 sells for 0.17, pays at most 2000/12000 BTC', () => {
    // The USD bound 2000/10000 = 0.2 BTC would let it pass; the coin payoff
    // min((S - 10000)+, 2000) / S never exceeds 2000/12000 = 0.1666667 BTC.
    const found = findQuoteArbitrage([quote('call', 10000, 0.2, 0.21), quote('call', 12000, 0.02, 0.03)]);
    expect(summary(found)).toEqual([['vertical_bound', ['BTC-26JUN20-12000-C', 'BTC-26JUN20-10000-C']]]);
    expect(found[0]!.amountCoin).toBeCloseTo(0.17 - 2000 / 12000, 15);
  });

  it('a put spread above its discounted bound (K2 - K1) e^{-rT} / F', () => {
    // 0.25 - 0.012 = 0.238 against e^{-0.05 x 0.5} x 2000 / 10000 = 0.1950617...
    const extra = { rate: 0.05, yearsToExpiry: 0.5 };
    const low = quote('put', 8000, 0.01, 0.012, extra);
    const high = quote('put', 10000, 0.25, 0.26, extra);
    expect(verticalBoundCoin(low, high)).toBeCloseTo(0.2 * Math.exp(-0.025), 15);
    const found = findQuoteArbitrage([low, high]);
    expect(summary(found)).toEqual([['vertical_bound', ['BTC-26JUN20-8000-P', 'BTC-26JUN20-10000-P']]]);
    expect(found[0]!.amountCoin).toBeCloseTo(0.238 - 0.2 * Math.exp(-0.025), 15);
  });

  it('compares within an expiry only, and skips sides without a quote', () => {
    const found = findQuoteArbitrage([
      quote('call', 9000, 0.075, 0.08),
      quote('call', 10000, 0.085, 0.09, { expiryMs: LATER }),
      quote('call', 11000, 0.1, null),
      quote('call', 8000, null, 0.09),
    ]);
    // The 11000 bid (0.1) above the 8000 and 9000 asks; the later expiry's 10000 bid (0.085)
    // above the 9000 ask (0.08) is no trade; no butterfly has both wings offered.
    expect(summary(found)).toEqual([
      ['call_spread', ['BTC-26JUN20-8000-C', 'BTC-26JUN20-11000-C']],
      ['call_spread', ['BTC-26JUN20-9000-C', 'BTC-26JUN20-11000-C']],
    ]);
  });

  it('in coin: legs whose lines carry different forwards are compared as quoted', () => {
    // ask(9000) = bid(10000) = 0.1 BTC: no credit. At each line's own forward the bid would be
    // 1001 USD against an ask of 999 USD, a false 2 USD "arbitrage" from the forward's drift.
    const found = findQuoteArbitrage([
      quote('call', 9000, 0.095, 0.1, { forwardUsd: 9990 }),
      quote('call', 10000, 0.1, 0.105, { forwardUsd: 10010 }),
    ]);
    expect(found).toEqual([]);
  });
});

describe('findQuoteArbitrage on a clean chain', () => {
  it('finds nothing in quotes one tick either side of Black-76 prices from a smooth smile', () => {
    const forward = 10000;
    const years = 0.25;
    const quotes: ArbitrageQuote[] = [];
    for (const strike of [7000, 8000, 8500, 9000, 9500, 9750, 10000, 10250, 10500, 11000, 12000, 14000]) {
      const k = Math.log(strike / forward);
      const vol = 0.6 - 0.1 * k + 0.4 * k * k;
      for (const kind of ['call', 'put'] as const) {
        const fair = black76Price(kind, forward, strike, years, vol, 0) / forward;
        const bid = fair - 0.0005;
        quotes.push(quote(kind, strike, bid > 0 ? bid : null, fair + 0.0005, { yearsToExpiry: years }));
      }
    }
    expect(findQuoteArbitrage(quotes)).toEqual([]);
    // Break one quote: bid the 10000 call up by 0.005 (ask with it): a butterfly around 10000.
    const broken = quotes.map((q) =>
      q.kind === 'call' && q.strike === 10000
        ? { ...q, bidCoin: q.bidCoin! + 0.005, askCoin: q.askCoin! + 0.005 }
        : q,
    );
    const found = findQuoteArbitrage(broken);
    expect(found.map((f) => f.kind)).toEqual(['butterfly']);
    expect(found[0]!.instruments[2]).toBe('BTC-26JUN20-10000-C');
    expect(found[0]!.detail).toMatch(/other \(K1, K3\) around K 10000 violate too/);
  });
});

describe('findQuoteArbitrage on the 2020-05-21 Deribit snapshot', () => {
  it('reports what the quotes hold: no violation; how close each kind of check comes', async () => {
    const text = readFileSync(
      new URL('../../data/deribit/btc-options-2020-05-21.jsonl', import.meta.url),
      'utf8',
    );
    const { quotes } = await readChain(text);
    const found = findQuoteArbitrage(quotes);
    // A tolerance of -1 BTC lists every pair and triple with its margin (negative amounts):
    // the largest per kind is how close the quotes come to a violation.
    const closest = new Map<string, QuoteArbitrage>();
    for (const f of findQuoteArbitrage(quotes, -1)) {
      const best = closest.get(f.kind);
      if (best === undefined || f.amountCoin > best.amountCoin) closest.set(f.kind, f);
    }
    const days = (f: QuoteArbitrage) => ((f.expiryMs - quotes[0]!.timestampMs) / MS_PER_YEAR) * 365;
    console.log(
      `quote arbitrage in the snapshot: ${found.length} violations over ${quotes.length} quotes; closest per check ` +
        `(amount < 0: how far from one):\n` +
        [...closest.values()]
          .map(
            (f) =>
              `  ${f.kind.padEnd(14)} ${f.amountCoin.toFixed(5)} BTC (${f.amountUsd.toFixed(2)} USD) ` +
              `${days(f).toFixed(1)} d ${f.instruments.join(' ')}`,
          )
          .join('\n'),
    );
    expect(found).toEqual([]);
    expect([...closest.keys()].sort()).toEqual([
      'butterfly',
      'call_spread',
      'crossed',
      'put_spread',
      'vertical_bound',
    ]);
  });
});
