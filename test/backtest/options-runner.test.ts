import { describe, expect, it } from 'vitest';
import {
  MAKER,
  PERP_LP,
  PERPETUAL,
  QUOTE_GROUP,
  runOptionsBacktest,
  type OptionsBacktestConfig,
} from '../../src/backtest/options-runner.js';

const shape = { a: 0.2, b: 0.1, rho: -0.2, m: 0, sigma: 0.2 };
const CONFIG: OptionsBacktestConfig = {
  spot0: 40_000,
  spotVol: 0.5,
  stepMs: 60_000,
  steps: 300,
  expiries: [
    { days: 7, shape },
    { days: 28, shape },
  ],
  strikes: [34_000, 38_000, 40_000, 42_000, 46_000, 50_000],
  flow: { kind: 'call', side: 'buy', hitProbability: 0.08, takerSize: 1 },
  quoter: { halfSpreadVol: 0.01, vegaSkewVol: 0.05, deltaSkew: 0.002, baseSize: 2, minSize: 0.1 },
  limits: { vegaPerExpiry: 600, vegaTotal: 1000, deltaCoin: 50 },
};

describe('runOptionsBacktest', () => {
  it('one-sided call buying: the book-level quoter stays inside the vega limits, per-option quoting breaches them', () => {
    for (const seed of [1, 2, 3]) {
      const r = runOptionsBacktest(CONFIG, seed);
      expect(r.book.breached).toBe(false);
      for (const m of r.book.maxAbsVega) expect(m).toBeLessThanOrEqual(600);
      expect(r.book.maxAbsVegaTotal).toBeLessThanOrEqual(1000);
      expect(r.perOption.breached).toBe(true);
      expect(Math.max(...r.perOption.maxAbsVega)).toBeGreaterThan(600);
      expect(r.book.contractsTraded).toBeGreaterThan(0);
      // the path's recorded maximum is its maximum
      r.book.vegaPath.forEach((p, e) => expect(Math.max(...p)).toBe(r.book.maxAbsVega[e]));
    }
  });

  it('is deterministic per seed and validates its config', () => {
    const a = runOptionsBacktest(CONFIG, 5);
    const b = runOptionsBacktest(CONFIG, 5);
    expect(a.book.pnlCoin).toBe(b.book.pnlCoin);
    expect(a.perOption.contractsTraded).toBe(b.perOption.contractsTraded);
    expect(() => runOptionsBacktest({ ...CONFIG, steps: 0 }, 1)).toThrow(/steps/);
    expect(() => runOptionsBacktest({ ...CONFIG, flow: { ...CONFIG.flow, hitProbability: 2 } }, 1)).toThrow(
      /flow.hitProbability/,
    );
  });
});

// ------------------------------------------------------------------ the exchange's side

const SHORT: OptionsBacktestConfig = {
  ...CONFIG,
  steps: 60,
  flow: { kind: 'call', side: 'buy', ratePerStep: 0.1, takerSize: 1 },
};

describe('runOptionsBacktest on the simulated exchange', () => {
  it('mass quotes reach the exchange: post-only MMP orders in the group, one per side per instrument, on the venue tick and lot', () => {
    const r = runOptionsBacktest(SHORT, 2);
    for (const run of [r.book, r.perOption]) {
      // one group, so one request a step (60 steps, the last step only marks)
      expect(run.massQuotes).toBe(60);
      expect(run.quoteErrors).toBe(0);
      const open = run.exchange.openOrders(MAKER);
      expect(open.length).toBeGreaterThan(0);
      const keys = new Set<string>();
      for (const o of open) {
        expect(o.mmp).toBe(true);
        expect(o.mmpGroup).toBe(QUOTE_GROUP);
        expect(o.postOnly).toBe(true);
        expect(r.instruments).toContain(o.instrument);
        const key = `${o.instrument} ${o.side}`;
        expect(keys.has(key)).toBe(false);
        keys.add(key);
        // the exchange's own record of the group's quote is this order
        expect(
          run.exchange.openQuote(MAKER, o.instrument, o.side === 'buy' ? 'bid' : 'ask', QUOTE_GROUP)?.orderId,
        ).toBe(o.orderId);
        // BTC option lot 0.1 contract; tick 0.0001 below 0.005 BTC, 0.0005 above (2024 rule)
        expect(Math.abs(o.amount * 10 - Math.round(o.amount * 10))).toBeLessThan(1e-9);
        const tick = (o.price as number) > 0.005 ? 0.0005 : 0.0001;
        expect(Math.abs((o.price as number) / tick - Math.round((o.price as number) / tick))).toBeLessThan(
          1e-6,
        );
      }
      // only the taker trades with us, only on our asks (takers buy), and every trade is logged
      expect(run.fills).toBe(run.takerLog.reduce((k, t) => k + t.fillPrices.length, 0));
      expect(run.contractsTraded).toBeCloseTo(
        run.takerLog.reduce((k, t) => k + t.filled, 0),
        9,
      );
      for (const name of r.instruments) expect(run.exchange.position(MAKER, name)).toBeLessThanOrEqual(0);
    }
  });

  it('an MMP trigger stops the group until the guard resets it after the cool-down', () => {
    const coolDownMs = 180_000;
    const config: OptionsBacktestConfig = {
      ...SHORT,
      steps: 120,
      flow: { ...SHORT.flow, ratePerStep: 0.3 },
      mmp: { intervalMs: 60_000, frozenMs: 0, coolDownMs, quantityLimit: 1.5 },
    };
    const r = runOptionsBacktest(config, 4);
    const run = r.book;
    expect(run.mmpTriggers).toBeGreaterThan(1);
    const start = Date.UTC(2024, 0, 2, 8);
    const stepOf = (ms: number): number => (ms - start) / config.stepMs;
    for (const t of run.mmpTriggerMs) {
      const s0 = Math.floor(stepOf(t)) + 1; // first step after the trigger
      const resume = Math.ceil(stepOf(t + coolDownMs)); // first step at or after the cool-down
      for (let s = s0; s < Math.min(resume, config.steps); s++) expect(run.quoting[s]).toBe(0);
      if (resume < config.steps) expect(run.quoting[resume]).toBe(1);
      // nothing of ours traded between the trigger and the resumption
      const resumeMs = start + resume * config.stepMs;
      const traded = run.takerLog.filter((x) => x.atMs > t && x.atMs < resumeMs && x.filled > 0);
      expect(traded).toEqual([]);
    }
    // frozen until reset: one reset per trigger (the last may fall after the end)
    expect(run.mmpResets).toBeGreaterThanOrEqual(run.mmpTriggers - 1);
    expect(run.mmpResets).toBeLessThanOrEqual(run.mmpTriggers);
    // a venue-timed freeze needs no reset; quoting still waits for max(thaw, cool-down)
    const timed = runOptionsBacktest({ ...config, mmp: { ...config.mmp!, frozenMs: 60_000 } }, 4).book;
    expect(timed.mmpTriggers).toBeGreaterThan(0);
    expect(timed.mmpResets).toBe(0);
    for (const t of timed.mmpTriggerMs) {
      const resume = Math.ceil(stepOf(t + coolDownMs));
      for (let s = Math.floor(stepOf(t)) + 1; s < Math.min(resume, config.steps); s++)
        expect(timed.quoting[s]).toBe(0);
    }
    // without MMP the same flow never stops the quotes
    const off = runOptionsBacktest({ ...config, mmp: undefined }, 4).book;
    expect(off.mmpTriggers).toBe(0);
    expect([...off.quoting.subarray(0, config.steps)].every((q) => q === 1)).toBe(true);
  });

  it("takers' prices bound their fills: a reach of ~0 vol points never lifts asks quoted above fair", () => {
    const at = (k: number | undefined, seed: number) => {
      const flow = { ...SHORT.flow, ratePerStep: 0.2 };
      return runOptionsBacktest(
        { ...SHORT, flow: k === undefined ? flow : { ...flow, kVolPoints: k } },
        seed,
      );
    };
    let market = 0;
    let priced = 0;
    for (const seed of [1, 2, 3]) {
      const r = at(0.5, seed);
      for (const run of [r.book, r.perOption]) {
        for (const t of run.takerLog) {
          expect(t.limitPrice).not.toBeNull();
          const limit = t.limitPrice as number;
          // a buyer's limit is the fair price plus a reach, on the tick below
          const tick = limit > 0.005 ? 0.0005 : 0.0001;
          expect(limit).toBeGreaterThanOrEqual(t.fairPrice - tick - 1e-12);
          for (const p of t.fillPrices) expect(p).toBeLessThanOrEqual(limit);
        }
      }
      priced += r.book.contractsTraded + r.perOption.contractsTraded;
      const m = at(undefined, seed);
      market += m.book.contractsTraded + m.perOption.contractsTraded;
      expect(m.book.takerLog.every((t) => t.limitPrice === null)).toBe(true);
      // k = 1e6: mean reach 1e-6 vol points, a limit at the fair price; our asks are a vol point above
      const none = at(1e6, seed);
      expect(none.book.contractsTraded + none.perOption.contractsTraded).toBe(0);
      expect(none.book.takerOrders).toBeGreaterThan(0);
    }
    expect(priced).toBeGreaterThan(0);
    expect(priced).toBeLessThan(market);
  });
});

// ------------------------------------------------------------------ hedging

const HEDGED: OptionsBacktestConfig = {
  ...SHORT,
  steps: 120,
  flow: { ...SHORT.flow, ratePerStep: 0.15 },
  hedging: {
    target: { target: 'coin-neutral' },
    policy: { kind: 'band', band: 0.5 },
    executor: { passiveMs: 0, maxRequotes: 0, limitBps: 50 },
    perpetual: { halfSpreadBps: 0.5, depthUsd: 1_000_000, levels: 3, levelSpacingBps: 1 },
  },
};

describe('runOptionsBacktest with delta hedging on BTC-PERPETUAL', () => {
  it('a band policy crossing at once keeps |delta| within the band plus half a perpetual lot after each hedge', () => {
    for (const seed of [1, 2]) {
      const r = runOptionsBacktest(HEDGED, seed);
      const unhedged = runOptionsBacktest({ ...HEDGED, hedging: undefined }, seed);
      for (const [run, bare] of [
        [r.book, unhedged.book],
        [r.perOption, unhedged.perOption],
      ] as const) {
        // Not vacuous: unhedged the book goes far outside the band.
        expect(bare.maxAbsDelta).toBeGreaterThan(4 * 0.5);
        expect(run.hedging!.trades).toBeGreaterThan(0);
        // Tolerance: the band, plus the rounding of a trade to the 10 USD lot (5 USD / spot coin).
        for (let s = 0; s < HEDGED.steps; s++)
          expect(Math.abs(run.hedgedDeltaPath[s]!)).toBeLessThanOrEqual(0.5 + 5 / r.spot[s]! + 1e-9);
        expect(run.exchange.position(MAKER, PERPETUAL)).toBe(run.hedging!.positionUsd);
      }
    }
  });

  it('hedge cost = fees + spread paid against the mid, recomputed from the exchange fills; passive fills are maker fills', () => {
    const config: OptionsBacktestConfig = {
      ...HEDGED,
      hedging: {
        ...HEDGED.hedging!,
        policy: { kind: 'whalley-wilmott', proportionalCost: 0.00055, riskAversion: 0.0005 },
        executor: { passiveMs: 60_000, maxRequotes: 1, limitBps: 5 },
      },
    };
    const start = Date.UTC(2024, 0, 2, 8);
    let passive = 0;
    for (const seed of [1, 2, 3]) {
      const r = runOptionsBacktest(config, seed);
      for (const run of [r.book, r.perOption]) {
        let fees = 0;
        let spread = 0;
        let position = 0;
        for (const h of run.hedgeFills) {
          const f = h.fill;
          expect(f.instrument).toBe(PERPETUAL);
          expect(h.maker ? f.makerParticipant : f.takerParticipant).toBe(MAKER);
          expect(h.maker ? f.takerParticipant : f.makerParticipant).toBe(PERP_LP);
          // hedges trade at step times; the mid is the spot the provider quotes around
          const s = (f.timestampMs - start) / config.stepMs;
          expect(Number.isInteger(s)).toBe(true);
          const mid = r.spot[s]!;
          const sign = h.side === 'buy' ? 1 : -1;
          fees += (h.maker ? f.makerFee : f.takerFee) * f.price; // coin fee at the trade price
          spread += ((sign * f.amount) / f.price) * (f.price - mid);
          position += sign * f.amount;
          if (h.maker) {
            passive++;
            expect(f.makerFee).toBe(0); // perpetual maker fee 0
          } else expect(f.takerFee).toBeCloseTo((0.0005 * f.amount) / f.price, 15);
        }
        const hf = run.hedging!;
        expect(hf.trades).toBe(run.hedgeFills.length);
        expect(hf.feesUsd).toBeCloseTo(fees, 9);
        expect(hf.spreadPaidUsd).toBeCloseTo(spread, 9);
        expect(hf.costUsd).toBeCloseTo(fees + spread, 9);
        expect(hf.positionUsd).toBe(position);
        expect(hf.costUsd).toBeGreaterThan(0);
      }
    }
    expect(passive).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed gives the same figures, another seed others', () => {
    const strip = (r: ReturnType<typeof runOptionsBacktest>) =>
      JSON.stringify(
        [r.book, r.perOption].map(({ exchange: _e, ...rest }) => rest),
        (_k, v: unknown) => (v instanceof Float64Array || v instanceof Uint8Array ? [...v] : v),
      );
    const a = strip(runOptionsBacktest(HEDGED, 7));
    expect(strip(runOptionsBacktest(HEDGED, 7))).toBe(a);
    expect(strip(runOptionsBacktest(HEDGED, 8))).not.toBe(a);
  });
});
