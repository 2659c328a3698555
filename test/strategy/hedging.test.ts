import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { MS_PER_YEAR } from '../../src/model/time.js';
import { black76 } from '../../src/pricing/black76.js';
import { inverseOptionPriceCoin } from '../../src/pricing/coin.js';
import { SETTLEMENT_WINDOW_MS } from '../../src/risk/expiry.js';
import {
  HedgeExecutor,
  HedgeTracker,
  bandTrade,
  bookDelta,
  chooseHedgeInstrument,
  createHedgePolicy,
  optionDeltaPerContract,
  remainingExposureShare,
  whalleyWilmottHalfWidth,
  type ExecutorAction,
} from '../../src/strategy/hedging/index.js';

describe('Whalley-Wilmott band', () => {
  it('matches a hand computation', () => {
    // (3/2 * lambda * S * Gamma^2 / gamma)^(1/3) with lambda 5e-4, S 1e5, Gamma 6e-4, gamma 1e-3:
    // 1.5 * 5e-4 * 1e5 = 75; 75 * 3.6e-7 = 2.7e-5; / 1e-3 = 0.027; cube root 0.3 exactly.
    const h = whalleyWilmottHalfWidth({ spot: 1e5, gamma: 6e-4, proportionalCost: 5e-4, riskAversion: 1e-3 });
    expect(h).toBeCloseTo(0.3, 12);
    // A short position's negative gamma gives the same band; discounting scales it by e^{-r tau / 3}.
    expect(
      whalleyWilmottHalfWidth({ spot: 1e5, gamma: -6e-4, proportionalCost: 5e-4, riskAversion: 1e-3 }),
    ).toBeCloseTo(0.3, 12);
    const disc = whalleyWilmottHalfWidth({
      spot: 1e5,
      gamma: 6e-4,
      proportionalCost: 5e-4,
      riskAversion: 1e-3,
      rate: 0.05,
      timeToExpiry: 1,
    });
    expect(Math.abs(disc / (0.3 * Math.exp(-0.05 / 3)) - 1)).toBeLessThan(1e-12);
    // Eight times the cost doubles the band; zero cost closes it.
    expect(
      whalleyWilmottHalfWidth({ spot: 1e5, gamma: 6e-4, proportionalCost: 4e-3, riskAversion: 1e-3 }),
    ).toBeCloseTo(0.6, 12);
    expect(whalleyWilmottHalfWidth({ spot: 1e5, gamma: 6e-4, proportionalCost: 0, riskAversion: 1e-3 })).toBe(
      0,
    );
  });

  it('names bad inputs', () => {
    expect(() =>
      whalleyWilmottHalfWidth({ spot: 1e5, gamma: 1e-4, proportionalCost: 1e-4, riskAversion: 0 }),
    ).toThrow(/riskAversion/);
    expect(() =>
      whalleyWilmottHalfWidth({ spot: -1, gamma: 1e-4, proportionalCost: 1e-4, riskAversion: 1 }),
    ).toThrow(InputError);
  });

  it('the policy trades to the band edge', () => {
    const p = createHedgePolicy({ kind: 'whalley-wilmott', proportionalCost: 5e-4, riskAversion: 1e-3 });
    expect(p.decide({ nowMs: 0, deviation: 0.29, spot: 1e5, gamma: 6e-4 })).toBe(0);
    expect(p.decide({ nowMs: 0, deviation: 1, spot: 1e5, gamma: 6e-4 })).toBeCloseTo(-0.7, 12);
    expect(p.decide({ nowMs: 0, deviation: -1, spot: 1e5, gamma: 6e-4 })).toBeCloseTo(0.7, 12);
  });
});

describe('band and time policies', () => {
  it('band triggers strictly beyond its threshold, to the edge or the target', () => {
    expect(bandTrade(0.5, 0.5)).toBe(0);
    expect(bandTrade(-0.5, 0.5)).toBe(0);
    expect(bandTrade(0.5 + 1e-9, 0.5)).toBeCloseTo(-1e-9, 15);
    expect(bandTrade(0.8, 0.5)).toBeCloseTo(-0.3, 12);
    expect(bandTrade(-0.8, 0.5)).toBeCloseTo(0.3, 12);
    expect(bandTrade(0.8, 0.5, 'target')).toBe(-0.8);
    const p = createHedgePolicy({ kind: 'band', band: 0.5, rehedgeTo: 'target' });
    expect(p.decide({ nowMs: 0, deviation: 0.5 })).toBe(0);
    expect(p.decide({ nowMs: 0, deviation: 0.51 })).toBe(-0.51);
  });

  it('time policy trades once the interval has passed, counted from the last hedge', () => {
    const p = createHedgePolicy({ kind: 'time', intervalMs: 60_000 });
    expect(p.decide({ nowMs: 1_000, deviation: 0.2 })).toBe(-0.2); // first decision
    p.onHedged(1_000);
    expect(p.decide({ nowMs: 60_999, deviation: 0.2 })).toBe(0);
    expect(p.decide({ nowMs: 61_000, deviation: 0.2 })).toBe(-0.2);
    p.onHedged(61_000);
    expect(p.decide({ nowMs: 61_001, deviation: 5 })).toBe(0);
    expect(() => createHedgePolicy({ kind: 'time', intervalMs: 0 })).toThrow(/intervalMs/);
  });
});

describe('hedge target', () => {
  const expiryMs = Date.UTC(2026, 11, 25, 8);
  const option = { kind: 'call' as const, strike: 100_000, expiryMs, vol: 0.6, forward: 102_000 };

  it('premium-adjusted delta is S dc/dS of the coin price (finite difference)', () => {
    const nowMs = expiryMs - 10 * 86_400_000;
    const years = (expiryMs - nowMs) / MS_PER_YEAR;
    for (const kind of ['call', 'put'] as const) {
      for (const strike of [80_000, 100_000, 130_000]) {
        const o = { ...option, kind, strike };
        const f = o.forward;
        const h = f * 1e-5;
        const c = (x: number) => inverseOptionPriceCoin(kind, x, strike, years, 0.6, 0);
        const fd = (f * (c(f + h) - c(f - h))) / (2 * h);
        expect(optionDeltaPerContract(o, nowMs)).toBeCloseTo(fd, 7);
        expect(optionDeltaPerContract(o, nowMs, 'black')).toBeCloseTo(
          black76(kind, f, strike, years, 0.6, 0).delta,
          14,
        );
      }
    }
  });

  it('an expiring option decays linearly through the settlement window', () => {
    expect(remainingExposureShare(expiryMs, expiryMs - SETTLEMENT_WINDOW_MS - 1)).toBe(1);
    expect(remainingExposureShare(expiryMs, expiryMs - SETTLEMENT_WINDOW_MS)).toBe(1);
    expect(remainingExposureShare(expiryMs, expiryMs - SETTLEMENT_WINDOW_MS / 2)).toBe(0.5);
    expect(remainingExposureShare(expiryMs, expiryMs - SETTLEMENT_WINDOW_MS / 10)).toBeCloseTo(0.1, 15);
    expect(remainingExposureShare(expiryMs, expiryMs)).toBe(0);
    expect(remainingExposureShare(expiryMs, expiryMs + 1)).toBe(0);
    const itm = { ...option, strike: 90_000 };
    const nowMs = expiryMs - 6 * 60_000; // 6 of 30 minutes left: a fifth still open
    const full = black76('call', itm.forward, 90_000, (6 * 60_000) / MS_PER_YEAR, 0.6, 0).delta;
    expect(optionDeltaPerContract(itm, nowMs, 'black')).toBeCloseTo(full * 0.2, 12);
    // Hedged across the window: the delta falls in equal steps minute by minute for a deep ITM call.
    const path = [30, 24, 18, 12, 6, 0].map((m) =>
      optionDeltaPerContract(itm, expiryMs - m * 60_000, 'black'),
    );
    expect(path.map((d) => Number(d.toFixed(6)))).toEqual([1, 0.8, 0.6, 0.4, 0.2, 0]);
  });

  it('coin-neutral counts options and futures; usd-neutral adds the collateral (Black deltas in USD terms)', () => {
    const nowMs = expiryMs - 5 * 86_400_000;
    const options = [
      { ...option, amount: -10 },
      { ...option, kind: 'put' as const, strike: 95_000, amount: 4 },
    ];
    const futures = [{ amountUsd: 510_000, price: 102_000 }];
    const coin = bookDelta({ target: 'coin-neutral' }, nowMs, options, futures, 3);
    expect(coin.futures).toBeCloseTo(5, 12);
    expect(coin.collateral).toBe(0);
    const pa = options.reduce((s, o) => s + o.amount * optionDeltaPerContract(o, nowMs), 0);
    expect(coin.total).toBeCloseTo(pa + 5, 12);
    const usdPa = bookDelta({ target: 'usd-neutral' }, nowMs, options, futures, 3);
    const usdBlack = bookDelta({ target: 'usd-neutral', delta: 'black' }, nowMs, options, futures, 3);
    const black = options.reduce((s, o) => s + o.amount * optionDeltaPerContract(o, nowMs, 'black'), 0);
    expect(usdBlack.total).toBeCloseTo(3 + black + 5, 12);
    expect(usdPa.total).toBeCloseTo(usdBlack.total, 12);
    expect(() => bookDelta({ target: 'x' as never }, nowMs, [], [])).toThrow(/target/);
    expect(() => bookDelta({ target: 'coin-neutral' }, nowMs, [], [{ amountUsd: 1, price: 0 }])).toThrow(
      /futures\[0\]\.price/,
    );
  });
});

describe('hedge instrument choice', () => {
  const day = 86_400_000;
  it('picks the cheaper expected carry plus fees', () => {
    // Long hedge for 1 day. Perpetual: funding 0.01%/8h -> 0.03% + 2 x 0.05% = 0.13%.
    // Future at a 0.1% premium, 7 days to expiry: 0.1% x 1/7 + 2 x 0.05% = 0.1143%.
    const c = chooseHedgeInstrument({
      side: 1,
      horizonMs: day,
      perpetual: { fundingRate8h: 0.0001, takerFee: 0.0005 },
      future: { price: 100_100, index: 100_000, timeToExpiryMs: 7 * day, takerFee: 0.0005 },
    });
    expect(c.perpetualCost).toBeCloseTo(0.0013, 12);
    expect(c.futureCost).toBeCloseTo(0.001 / 7 + 0.001, 12);
    expect(c.instrument).toBe('future');
    // A 1% premium makes the future dear for a buyer (0.243%) ...
    const dear = chooseHedgeInstrument({
      side: 1,
      horizonMs: day,
      perpetual: { fundingRate8h: 0.0001, takerFee: 0.0005 },
      future: { price: 101_000, index: 100_000, timeToExpiryMs: 7 * day, takerFee: 0.0005 },
    });
    expect(dear.instrument).toBe('perpetual');
    // ... and cheap for a seller, who earns it; held to expiry there is no exit fee.
    const seller = chooseHedgeInstrument({
      side: -1,
      horizonMs: 7 * day,
      perpetual: { fundingRate8h: 0.0001, takerFee: 0.0005 },
      future: { price: 101_000, index: 100_000, timeToExpiryMs: 7 * day, takerFee: 0.0005 },
    });
    expect(seller.futureCost).toBeCloseTo(-0.01 + 0.0005, 12);
    expect(seller.instrument).toBe('future');
    expect(
      chooseHedgeInstrument({ side: 1, horizonMs: day, perpetual: { fundingRate8h: 0, takerFee: 0 } })
        .instrument,
    ).toBe('perpetual');
  });
});

describe('hedge executor', () => {
  const cfg = { passiveMs: 1_000, maxRequotes: 2, limitBps: 10 };
  const book = (nowMs: number, bestBid: number, bestAsk: number, index = 100_000) => ({
    nowMs,
    bestBid,
    bestAsk,
    index,
  });
  const places = (a: ExecutorAction[]) => a.filter((x) => x.kind === 'place');

  it('posts passively, requotes, then crosses within the limit and never beyond', () => {
    const ex = new HedgeExecutor(1, 2, cfg, 0);
    expect(ex.onBook(book(0, 99_990, 100_010))).toEqual([
      { kind: 'place', price: 99_990, amount: 2, postOnly: true },
    ]);
    expect(ex.onBook(book(10, 99_990, 100_012))).toEqual([]); // our side unchanged
    expect(places(ex.onBook(book(20, 99_995, 100_012)))[0]).toMatchObject({ price: 99_995, postOnly: true });
    expect(places(ex.onBook(book(30, 99_998, 100_012)))[0]).toMatchObject({ price: 99_998, postOnly: true });
    expect(ex.state).toBe('passive');
    // Third move after two requotes: cross at the ask.
    expect(places(ex.onBook(book(40, 99_999, 100_012)))[0]).toMatchObject({
      price: 100_012,
      postOnly: false,
    });
    expect(ex.state).toBe('crossing');
    // Ask beyond index + 10 bps (100,100): rest at the limit.
    const atLimit = places(ex.onBook(book(50, 100_150, 100_300)))[0];
    expect(atLimit).toMatchObject({ postOnly: false });
    expect(atLimit?.kind === 'place' && atLimit.price).toBeCloseTo(100_100, 6);
    expect(atLimit?.kind === 'place' && atLimit.price <= 100_000 * (1 + 10 / 10_000)).toBe(true);
    expect(ex.onFill(1.5, 100_100)).toEqual([]);
    expect(ex.remaining).toBeCloseTo(0.5, 12);
    expect(ex.onFill(0.5, 100_100)).toEqual([{ kind: 'done', filled: 2 }]);
    expect(ex.state).toBe('done');
  });

  it('crosses after passiveMs, from event time; a sell never below index - limit', () => {
    const ex = new HedgeExecutor(-1, 1, cfg, 5_000);
    expect(places(ex.onBook(book(5_000, 99_990, 100_010)))[0]).toMatchObject({
      price: 100_010,
      postOnly: true,
    });
    expect(ex.onTimer(5_999)).toEqual([]);
    expect(ex.onTimer(6_000)).toEqual([{ kind: 'cancel' }]);
    expect(ex.state).toBe('crossing');
    const prices: number[] = [];
    for (const [bid, idx] of [
      [99_990, 100_000],
      [99_850, 100_000],
      [99_700, 99_900],
    ] as const) {
      for (const a of places(ex.onBook(book(6_100, bid, bid + 20, idx)))) {
        if (a.kind === 'place') {
          prices.push(a.price);
          expect(a.price).toBeGreaterThanOrEqual(idx * (1 - 10 / 10_000) - 1e-9);
        }
      }
    }
    expect(prices.map((p) => Number(p.toFixed(6)))).toEqual([99_990, 99_900, 99_800.1]);
  });

  it('names bad configuration', () => {
    expect(() => new HedgeExecutor(1, 0, cfg, 0)).toThrow(/amount/);
    expect(() => new HedgeExecutor(1, 1, { ...cfg, maxRequotes: -1 }, 0)).toThrow(/maxRequotes/);
  });
});

describe('hedge tracker', () => {
  it('sums fees and spread paid, and marks the hedge P&L', () => {
    const t = new HedgeTracker();
    t.record({ timeMs: 0, instrument: 'BTC-PERPETUAL', amount: 1, price: 100_010, mid: 100_000, fee: 50 });
    t.record({ timeMs: 1, instrument: 'BTC-PERPETUAL', amount: -0.5, price: 100_195, mid: 100_200, fee: 0 });
    const s = t.summary(100_300);
    expect(s.trades).toBe(2);
    expect(s.position).toBeCloseTo(0.5, 12);
    expect(s.volume).toBeCloseTo(1.5, 12);
    expect(s.fees).toBe(50);
    expect(s.spreadPaid).toBeCloseTo(10 + 2.5, 9);
    expect(s.cost).toBeCloseTo(62.5, 9);
    // 0.5 x 100,300 - 100,010 + 0.5 x 100,195 = 237.5
    expect(s.pnl).toBeCloseTo(237.5, 9);
    expect(() => t.record({ timeMs: 0, instrument: 'x', amount: 0, price: 1, mid: 1, fee: 0 })).toThrow(
      /trade\.amount/,
    );
  });
});
