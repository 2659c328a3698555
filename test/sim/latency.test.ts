/**
 * Latency models: constant delays, and delays resampled from a recorded sample with the seeded
 * generator (each recorded value drawn with probability 1/n, within four standard errors; the
 * mean of the draws the sample's mean; pairs kept together; deterministic per seed).
 */
import { describe, expect, it } from 'vitest';

import type { MarketEvent } from '../../src/market/events.js';
import { constantLatency, empiricalLatency, inboundSample } from '../../src/sim/latency.js';
import { Rng } from '../../src/sim/random.js';
import { expectWithin, moments, seProportion } from './generators/stats.js';

describe('constantLatency', () => {
  it('gives its delays', () => {
    const l = constantLatency(12, 30);
    expect([l.outbound(), l.inbound(), l.roundTrip()]).toEqual([12, 30, [12, 30]]);
    expect(constantLatency(5).inbound()).toBe(5);
    expect(() => constantLatency(-1)).toThrow(/outboundMs/);
  });
});

describe('empiricalLatency', () => {
  const outbound = [3, 4, 4, 5, 9, 40];
  const inbound = [1, 2, 2.5, 3, 7, 25];

  it('draws each recorded value with probability 1/n; the mean of the draws is the sample mean', () => {
    const l = empiricalLatency({ outbound, inbound, rng: new Rng(1) });
    const n = 120_000;
    const draws = Array.from({ length: n }, () => l.outbound());
    expect(draws.every((d) => outbound.includes(d))).toBe(true);
    for (const value of new Set(outbound)) {
      const p = outbound.filter((x) => x === value).length / outbound.length;
      const f = draws.filter((d) => d === value).length / n;
      expectWithin(`P(outbound = ${value})`, f, p, seProportion(p, n));
    }
    const sample = moments(outbound);
    const m = moments(draws);
    // SE of the mean of n draws from the empirical law: its standard deviation / sqrt(n).
    const popSd = Math.sqrt((sample.variance * (outbound.length - 1)) / outbound.length);
    expectWithin('mean outbound', m.mean, sample.mean, popSd / Math.sqrt(n));
    const inDraws = moments(Array.from({ length: n }, () => l.inbound()));
    expectWithin(
      'mean inbound',
      inDraws.mean,
      moments(inbound).mean,
      Math.sqrt(moments(inbound).variance) / Math.sqrt(n),
    );
  });

  it('paired round trips keep outbound and inbound of one recorded order together', () => {
    const l = empiricalLatency({ outbound, inbound, rng: new Rng(2), paired: true });
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const [o, inb] = l.roundTrip();
      const at = inbound.indexOf(inb);
      expect(outbound[at]).toBe(o);
      seen.add(at);
    }
    expect(seen.size).toBe(6);
    expect(() => empiricalLatency({ outbound, inbound: [1], rng: new Rng(1), paired: true })).toThrow(
      /paired/,
    );
  });

  it('is deterministic per seed; drawing one kind does not move the other', () => {
    const draw = (seed: number, extraInbound: number) => {
      const l = empiricalLatency({ outbound, inbound, rng: new Rng(seed) });
      for (let i = 0; i < extraInbound; i++) l.inbound();
      return Array.from({ length: 50 }, () => l.outbound());
    };
    expect(draw(3, 0)).toEqual(draw(3, 0));
    expect(draw(3, 17)).toEqual(draw(3, 0));
    expect(draw(4, 0)).not.toEqual(draw(3, 0));
  });

  it('rejects empty or negative samples', () => {
    expect(() => empiricalLatency({ outbound: [], inbound, rng: new Rng(1) })).toThrow(/outbound/);
    expect(() => empiricalLatency({ outbound, inbound: [-1], rng: new Rng(1) })).toThrow(/inbound/);
  });

  it('inboundSample: receipt less venue time, for events with both', () => {
    const base = {
      venue: 'deribit',
      instrument: 'BTC-PERPETUAL',
      tradeId: 't',
      price: 1,
      amount: 1,
      side: null,
    };
    const events: MarketEvent[] = [
      { ...base, type: 'trade', timestampMs: 100, localTimestampMs: 103.5 },
      { ...base, type: 'trade', timestampMs: 100 },
      { ...base, type: 'trade', timestampMs: 100, localTimestampMs: 99 },
      { ...base, type: 'trade', timestampMs: 200, localTimestampMs: 212 },
    ];
    const sample = inboundSample(events);
    expect(sample).toEqual([3.5, 12]);
    const l = empiricalLatency({ outbound: [5], inbound: sample, rng: new Rng(1) });
    expect([3.5, 12]).toContain(l.inbound());
  });
});
