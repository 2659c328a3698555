/**
 * Order flow against theory, within four standard errors (`stats.ts`):
 * - the hit probability of a quote at distance delta within dt, 1 - exp(-A e^(-k delta) dt)
 *   (AS2008's A = 140, k = 1.5, dt = 0.005), as Bernoulli frequencies;
 * - taker flow: the number of orders reaching delta in a window is Poisson with mean = variance
 *   = A e^(-k delta) T, over many seeds;
 * - informed flow: the share of trades whose side matches the next move of the mid,
 *   share + (1 - share) / 2;
 * - bursts: count mean rate T m and variance rate T E[N^2] (overdispersed);
 * and determinism of each.
 */
import { describe, expect, it } from 'vitest';

import {
  burstFlow,
  drawHit,
  drawHitTime,
  fillIntensity,
  hitProbability,
  informedFlow,
  lognormalSize,
  mergeFlows,
  midAt,
  takerFlow,
} from '../../../src/sim/generators/flow.js';
import { gbmPath } from '../../../src/sim/generators/spot.js';
import { Rng } from '../../../src/sim/random.js';
import { expectWithin, moments, seProportion } from './stats.js';

describe('hits of a quote at distance delta: A exp(-k delta)', () => {
  const A = 140;
  const k = 1.5;
  const dt = 0.005;

  it('intensity and probability', () => {
    expect(fillIntensity(A, k, 0)).toBe(140);
    expect(fillIntensity(A, k, 1)).toBeCloseTo(140 * Math.exp(-1.5), 12);
    const p = hitProbability(A, k, 0.5, dt);
    expect(p).toBeCloseTo(1 - Math.exp(-140 * Math.exp(-0.75) * dt), 15);
    // Small rate x dt: the first-order A exp(-k delta) dt of AS2008.
    expect(hitProbability(A, k, 3, 1e-4) / (fillIntensity(A, k, 3) * 1e-4)).toBeCloseTo(1, 3);
  });

  for (const delta of [0.1, 0.5, 1, 2]) {
    it(`drawHit at delta ${delta}: frequency = 1 - exp(-A e^(-k delta) dt)`, () => {
      const r = new Rng(31).stream(`delta/${delta}`);
      const n = 200_000;
      let hits = 0;
      for (let i = 0; i < n; i++) if (drawHit(r, A, k, delta, dt)) hits++;
      const p = hitProbability(A, k, delta, dt);
      expectWithin(`hit frequency at ${delta}`, hits / n, p, seProportion(p, n));
    });
  }

  it('drawHitTime: P(hit) as drawHit, times uniform-ish in [0, dt) with the truncated exponential mean', () => {
    const r = new Rng(32);
    const n = 200_000;
    const rate = fillIntensity(A, k, 0.2);
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = drawHitTime(r, A, k, 0.2, dt);
      if (t !== null) times.push(t);
    }
    const p = hitProbability(A, k, 0.2, dt);
    expectWithin('hit-time frequency', times.length / n, p, seProportion(p, n));
    expect(Math.max(...times)).toBeLessThan(dt);
    // E[T | T < dt] for T ~ Exp(rate): 1/rate - dt e^(-rate dt) / (1 - e^(-rate dt)).
    const expected = 1 / rate - (dt * Math.exp(-rate * dt)) / -Math.expm1(-rate * dt);
    const m = moments(times);
    expectWithin('mean hit time', m.mean, expected, m.seMean);
  });
});

describe('takerFlow', () => {
  const A = 5; // per second, per side
  const k = 1.5;
  const T = 10; // seconds
  const seeds = 2000;
  const flows = Array.from({ length: seeds }, (_, seed) =>
    takerFlow({ rng: new Rng(seed), startMs: 0, endMs: T * 1000, ratePerSecond: A, k }),
  );

  for (const delta of [0, 0.4, 1.2]) {
    it(`orders of one side reaching ${delta}: Poisson counts, mean = variance = A e^(-k delta) T`, () => {
      const counts = flows.map((f) => f.filter((o) => o.side === 'buy' && o.reach >= delta).length);
      const lambda = A * Math.exp(-k * delta) * T;
      const m = moments(counts);
      expectWithin('count mean', m.mean, lambda, Math.sqrt(lambda / seeds));
      expectWithin('count variance', m.variance, lambda, Math.sqrt((lambda + 2 * lambda * lambda) / seeds));
    });
  }

  it('is sorted, within the window, deterministic; sizes do not move the times', () => {
    const f = flows[7]!;
    for (let i = 1; i < f.length; i++)
      expect(f[i]!.timestampMs).toBeGreaterThanOrEqual(f[i - 1]!.timestampMs);
    expect(f.every((o) => o.timestampMs >= 0 && o.timestampMs < T * 1000 && o.size === 1)).toBe(true);
    const again = takerFlow({ rng: new Rng(7), startMs: 0, endMs: T * 1000, ratePerSecond: A, k });
    expect(again).toEqual(f);
    const sized = takerFlow({
      rng: new Rng(7),
      startMs: 0,
      endMs: T * 1000,
      ratePerSecond: A,
      k,
      size: lognormalSize(2, 0.5),
    });
    expect(sized.map((o) => [o.timestampMs, o.side, o.reach])).toEqual(
      f.map((o) => [o.timestampMs, o.side, o.reach]),
    );
    expect(sized.some((o) => o.size !== 1)).toBe(true);
    expect(takerFlow({ rng: new Rng(8), startMs: 0, endMs: T * 1000, ratePerSecond: A, k })).not.toEqual(f);
  });

  it('rejects bad input', () => {
    expect(() => takerFlow({ rng: new Rng(1), startMs: 10, endMs: 0, ratePerSecond: 1, k: 1 })).toThrow(
      /endMs/,
    );
    expect(() => takerFlow({ rng: new Rng(1), startMs: 0, endMs: 10, ratePerSecond: -1, k: 1 })).toThrow(
      /rate/,
    );
    expect(() => takerFlow({ rng: new Rng(1), startMs: 0, endMs: 10, ratePerSecond: 1, k: 0 })).toThrow(/k/);
  });
});

describe('informedFlow', () => {
  const mid = gbmPath({
    rng: new Rng(41),
    s0: 100,
    sigma: 0.8,
    dt: 1 / (365 * 86400),
    steps: 20_000,
    startMs: 0,
  });
  // One point a second; trades see the mid 5 s ahead.

  for (const share of [0, 0.3, 1]) {
    it(`share ${share}: the side predicts the next move with probability share + (1 - share) / 2`, () => {
      const trades = informedFlow({
        rng: new Rng(42),
        mid,
        ratePerSecond: 2,
        informedShare: share,
        horizonMs: 5000,
        endMs: 19_990_000,
      });
      let agree = 0;
      let moved = 0;
      for (const t of trades) {
        const move = midAt(mid, t.timestampMs + 5000) - midAt(mid, t.timestampMs);
        if (move === 0) continue;
        moved++;
        if (move > 0 === (t.side === 'buy')) agree++;
      }
      const p = share + (1 - share) / 2;
      expect(moved).toBeGreaterThan(30_000);
      expectWithin('informed agreement', agree / moved, p, Math.max(seProportion(p, moved), 1e-9));
      const informed = trades.filter((t) => t.informed).length / trades.length;
      expectWithin('informed share', informed, share, Math.max(seProportion(share, trades.length), 1e-9));
    });
  }

  it('midAt: the last point at or before the time', () => {
    const path = { timestampMs: [0, 10, 20], prices: [1, 2, 3] };
    expect([midAt(path, -5), midAt(path, 0), midAt(path, 9.9), midAt(path, 10), midAt(path, 25)]).toEqual([
      1, 1, 1, 2, 3,
    ]);
  });

  it('is deterministic', () => {
    const o = { mid, ratePerSecond: 1, informedShare: 0.3, horizonMs: 5000 };
    expect(informedFlow({ ...o, rng: new Rng(1) })).toEqual(informedFlow({ ...o, rng: new Rng(1) }));
    expect(informedFlow({ ...o, rng: new Rng(1) })).not.toEqual(informedFlow({ ...o, rng: new Rng(2) }));
  });
});

describe('burstFlow', () => {
  const rate = 0.5; // bursts per second
  const m = 6; // orders per burst
  const T = 120; // seconds
  const seeds = 2000;

  it('counts: mean rate T m, variance rate T E[N^2], clustered in time', () => {
    const flows = Array.from({ length: seeds }, (_, seed) =>
      burstFlow({
        rng: new Rng(seed),
        startMs: 0,
        endMs: T * 1000,
        burstsPerSecond: rate,
        meanOrders: m,
        meanGapMs: 20,
      }),
    );
    const counts = flows.map((f) => f.length);
    const s = moments(counts);
    // Orders cut at the window's end: about rate x m^2 x gap / 2 = 0.2 orders; within the slack.
    expectWithin('burst count mean', s.mean, rate * T * m, s.seMean, 0.3);
    const eN2 = m - 1 + m * m;
    expectWithin('burst count variance', s.variance, rate * T * eN2, s.seVariance, 2);
    expect(s.variance / s.mean).toBeGreaterThan(5); // Poisson would be 1
    // Within a burst: one side, gaps of mean 20 ms.
    const f = flows[0]!;
    expect(f.every((o) => o.burst && o.reach === Infinity)).toBe(true);
  });

  it('is deterministic and merges with other flows in time order', () => {
    const o = {
      startMs: 0,
      endMs: 60_000,
      burstsPerSecond: 0.2,
      meanOrders: 4,
      meanGapMs: 50,
      k: 0.5,
      size: lognormalSize(50, 0.3),
    };
    const a = burstFlow({ ...o, rng: new Rng(1) });
    expect(a).toEqual(burstFlow({ ...o, rng: new Rng(1) }));
    expect(a).not.toEqual(burstFlow({ ...o, rng: new Rng(2) }));
    const taker = takerFlow({ rng: new Rng(1), startMs: 0, endMs: 60_000, ratePerSecond: 1, k: 1.5 });
    const merged = mergeFlows(taker, a);
    expect(merged.length).toBe(taker.length + a.length);
    for (let i = 1; i < merged.length; i++)
      expect(merged[i]!.timestampMs).toBeGreaterThanOrEqual(merged[i - 1]!.timestampMs);
  });
});
