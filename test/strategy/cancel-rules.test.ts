/**
 * Cancellation rules: each fires at its threshold and not below, cool-downs expire, one-sided
 * pulls; VPIN against a hand computation and on simulated flow (informed share 0.8 against 0).
 */
import { describe, expect, it } from 'vitest';

import type { BookStatus, BookView, StaleEvent } from '../../src/market/book.js';
import { InputError } from '../../src/model/errors.js';
import { informedFlow, midAt } from '../../src/sim/generators/flow.js';
import { rng } from '../../src/sim/random.js';
import { CancelRules, expiryWindow, Vpin, type CancelRulesConfig } from '../../src/strategy/cancel-rules.js';

/** A one-level-per-side book (or several levels) with a status. */
function book(
  bids: [number, number][],
  asks: [number, number][],
  status: BookStatus = 'live',
  staleReason?: StaleEvent,
): BookView & { staleReason?: StaleEvent } {
  return {
    instrument: 'X',
    status,
    staleReason,
    bidLevels: () => bids.length,
    askLevels: () => asks.length,
    bidPrice: (i) => bids[i]?.[0],
    bidAmount: (i) => bids[i]?.[1],
    askPrice: (i) => asks[i]?.[0],
    askAmount: (i) => asks[i]?.[1],
  };
}

function field(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof InputError) return error.field;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('underlying moved', () => {
  it('requotes at maxMoveBps, not below', () => {
    const r = new CancelRules({ underlying: { maxMoveBps: 5 } });
    r.onMid('X', 0, 10_000);
    r.onQuoteSent('X', 0);
    r.onMid('X', 1, 10_004.99);
    expect(r.decide('X', 1).action).toBe('keep');
    r.onMid('X', 2, 9_995); // 5 / 10000 = 5 bps
    const d = r.decide('X', 2);
    expect(d.action).toBe('requote');
    expect(d.hits[0]?.rule).toBe('underlying_moved');
    // a new quote resets the reference
    r.onQuoteSent('X', 3);
    expect(r.decide('X', 3).action).toBe('keep');
  });

  it('in ticks, against the underlying of an option, as a cancel with a cool-down', () => {
    const r = new CancelRules({
      underlying: { maxMoveTicks: 4, tickSize: 0.5, action: 'cancel', cooldownMs: 100 },
      underlyingOf: () => 'BTC-PERP',
    });
    r.onMid('BTC-PERP', 0, 50_000);
    r.onQuoteSent('OPT', 0);
    r.onMid('BTC-PERP', 10, 50_001.5); // 3 ticks
    expect(r.decide('OPT', 10).action).toBe('keep');
    r.onMid('BTC-PERP', 20, 50_002); // 4 ticks
    expect(r.decide('OPT', 20)).toMatchObject({ action: 'cancel', sides: 'both', untilMs: 120 });
    r.onMid('BTC-PERP', 30, 50_000);
    // condition gone, cool-down running until 120, then over
    expect(r.decide('OPT', 119)).toMatchObject({ action: 'cancel', sides: 'both' });
    expect(r.decide('OPT', 119).hits.map((h) => h.rule)).toEqual(['cooldown', 'cooldown']);
    expect(r.decide('OPT', 120).action).toBe('keep');
  });
});

describe('surface moved', () => {
  it('ATM vol and own vol in vol points', () => {
    const r = new CancelRules({
      surface: { maxAtmVolPoints: 1, maxVolPoints: 2 },
      underlyingOf: () => 'BTC',
    });
    r.onAtmVol('BTC', 0, 0.55);
    r.onVol('OPT', 0, 0.6);
    r.onQuoteSent('OPT', 0);
    r.onAtmVol('BTC', 1, 0.5599);
    r.onVol('OPT', 1, 0.6199);
    expect(r.decide('OPT', 1).action).toBe('keep');
    r.onAtmVol('BTC', 2, 0.56); // 1 vol point (0.56 - 0.55 in doubles is 0.010000000000000009)
    expect(r.decide('OPT', 2).hits.map((h) => h.reason)).toEqual([expect.stringContaining('ATM vol')]);
    r.onAtmVol('BTC', 3, 0.55);
    r.onVol('OPT', 3, 0.58); // 2 vol points down
    const d = r.decide('OPT', 3);
    expect(d.action).toBe('requote');
    expect(d.hits[0]?.reason).toContain('vol 0.6 -> 0.58');
  });
});

describe('book imbalance', () => {
  it('pulls the side the imbalance runs into, at the threshold', () => {
    const r = new CancelRules({ imbalance: { threshold: 0.5 } });
    // (B - A)/(B + A): 2.9 vs 1 -> 0.487; 3 vs 1 -> 0.5
    r.onBook('X', 0, book([[99, 2.9]], [[101, 1]]));
    expect(r.decide('X', 0).action).toBe('keep');
    r.onBook('X', 1, book([[99, 3]], [[101, 1]]));
    expect(r.decide('X', 1)).toMatchObject({ action: 'cancel', sides: 'ask' });
    r.onBook('X', 2, book([[99, 1]], [[101, 3]]));
    expect(r.decide('X', 2)).toMatchObject({ action: 'cancel', sides: 'bid' });
  });

  it('over the top levels', () => {
    const r = new CancelRules({ imbalance: { threshold: 0.5, levels: 2 } });
    // best level balanced; two levels: bids 1 + 5 = 6, asks 1 + 1 = 2 -> 0.5
    r.onBook(
      'X',
      0,
      book(
        [
          [99, 1],
          [98, 5],
        ],
        [
          [101, 1],
          [102, 1],
        ],
      ),
    );
    expect(r.decide('X', 0)).toMatchObject({ action: 'cancel', sides: 'ask' });
  });
});

describe('markouts', () => {
  it('mean per unit volume of the last N fills of a side, due by the horizon', () => {
    const r = new CancelRules({
      markouts: [{ horizonMs: 10_000, fills: 2, threshold: -1, cooldownMs: 5000 }],
    });
    r.onMid('X', 0, 100);
    // we sell 1 at 100 and 3 at 100.5: buyers informed if the mid rises
    r.onOwnFill('X', 0, 'ask', 100, 1);
    r.onOwnFill('X', 1000, 'ask', 100.5, 3);
    r.onMid('X', 5000, 101.5);
    // at 10 000 the first is due against 101.5 (-1.5); the second not yet
    expect(r.decide('X', 10_000).action).toBe('keep');
    expect(r.markout('X', 'ask')).toBeUndefined();
    // second due at 11 000: a mid at exactly 11 000 prevails then: 101.25 -> 100.5 - 101.25 = -0.75
    r.onMid('X', 11_000, 101.25);
    // (1 x -1.5 + 3 x -0.75) / 4 = -3.75 / 4 = -0.9375 > -1
    expect(r.markout('X', 'ask')).toBe(-0.9375);
    expect(r.decide('X', 11_000).action).toBe('keep');
  });

  it('fires at the threshold and pulls only the toxic side, with a cool-down', () => {
    const r = new CancelRules({ markouts: [{ horizonMs: 1000, fills: 2, threshold: -1, cooldownMs: 5000 }] });
    r.onMid('X', 0, 100);
    r.onOwnFill('X', 0, 'ask', 100, 1);
    r.onOwnFill('X', 0, 'ask', 100, 1);
    r.onOwnFill('X', 0, 'bid', 100, 1);
    r.onOwnFill('X', 0, 'bid', 100, 1);
    // mid 101 from 500 ms: prevails at the due time 1000 -> asks -1 each (mean -1), bids +1
    r.onMid('X', 500, 101);
    r.onMid('X', 2000, 100);
    expect(r.markout('X', 'ask')).toBe(-1);
    expect(r.markout('X', 'bid')).toBe(1);
    expect(r.decide('X', 2000)).toMatchObject({ action: 'cancel', sides: 'ask', untilMs: 7000 });
  });
});

describe('VPIN', () => {
  // Phi(1) = 0.8413447460685429, Phi(-2) = 0.022750131948179195 (tables of the normal CDF).
  const PHI1 = 0.8413447460685429;
  const PHIM2 = 0.022750131948179195;

  it('matches a hand computation (bulk classification, sigma fixed at 1, buckets of 10, n = 2)', () => {
    const v = new Vpin(10, 2, 'bulk', 1);
    v.add(100, 5); // no change yet: half buy, 2.5
    v.add(101, 5); // dP = +1: buy 5 Phi(1); bucket 1 buy = 2.5 + 5 Phi(1), sell = 10 - buy
    expect(v.value).toBeUndefined();
    v.add(99, 10); // dP = -2: bucket 2 buy = 10 Phi(-2)
    const b1 = Math.abs(2 * (2.5 + 5 * PHI1) - 10); // 3.413447460685429
    const b2 = Math.abs(2 * 10 * PHIM2 - 10); // 9.544997361036416
    expect(v.value).toBeCloseTo((b1 + b2) / 20, 14);
    // dP = +1 over 15: 10 fill bucket 3 (buy 10 Phi(1)), 5 start bucket 4
    v.add(100, 15);
    const b3 = Math.abs(2 * 10 * PHI1 - 10);
    expect(v.value).toBeCloseTo((b2 + b3) / 20, 14);
    expect(v.fullBuckets).toBe(2);
  });

  it('aggressor classification: exact sides', () => {
    const v = new Vpin(4, 2, 'aggressor');
    for (const side of ['buy', 'buy', 'buy', 'sell', 'sell', 'sell', 'sell', 'sell'] as const)
      v.add(100, 1, side);
    // buckets: 3 buy 1 sell -> |2| ; 0 buy 4 sell -> |4|; VPIN = 6 / 8
    expect(v.value).toBe(0.75);
    expect(v.net).toBe(-2);
  });

  it('rule fires at the threshold; one-sided by net flow', () => {
    const config: CancelRulesConfig = {
      vpin: { bucketVolume: 4, buckets: 2, threshold: 0.75, classification: 'aggressor', oneSided: true },
    };
    const r = new CancelRules(config);
    for (const side of ['buy', 'buy', 'buy', 'sell', 'buy', 'buy', 'buy', 'buy'] as const)
      r.onTrade('X', 0, 100, 1, side);
    // |2| + |4| over 8 = 0.75, net +6: buyers, pull the asks
    expect(r.vpin('X')).toBe(0.75);
    expect(r.decide('X', 0)).toMatchObject({ action: 'cancel', sides: 'ask' });
    const below = new CancelRules(config);
    for (const side of ['buy', 'buy', 'buy', 'sell', 'buy', 'buy', 'buy', 'sell'] as const)
      below.onTrade('X', 0, 100, 1, side);
    expect(below.vpin('X')).toBe(0.5);
    expect(below.decide('X', 0).action).toBe('keep');
  });

  /** Mean VPIN over an hour of informed flow on a random-walk mid. */
  function simulated(seed: number, informedShare: number, mode: 'aggressor' | 'bulk'): number {
    const r = rng(seed);
    const steps = r.stream('path');
    const times: number[] = [];
    const prices: number[] = [];
    let p = 100;
    for (let t = 0; t <= 3_600_000; t += 1000) {
      times.push(t);
      prices.push(p);
      p += 0.05 * steps.normal();
    }
    const path = { timestampMs: times, prices };
    const flow = informedFlow({
      rng: r.stream('flow'),
      mid: path,
      ratePerSecond: 2,
      informedShare,
      horizonMs: 30_000,
    });
    const v = new Vpin(50, 50, mode);
    // Bulk classification sees only prices: trades print at the mid plus a permanent impact of
    // 0.005 per unit of signed volume (a linear, Kyle-type impact); without impact the flow's
    // sides leave no trace in the prices of this generator (the mid path is given in advance).
    let impact = 0;
    let sum = 0;
    let count = 0;
    for (const o of flow) {
      impact += (o.side === 'buy' ? 1 : -1) * 0.005 * o.size;
      v.add(midAt(path, o.timestampMs) + impact, o.size, o.side);
      const value = v.value;
      if (value !== undefined) {
        sum += value;
        count += 1;
      }
    }
    return sum / count;
  }

  it('is higher with informed share 0.8 than 0 on every seed of 20 (both classifications)', () => {
    for (const mode of ['aggressor', 'bulk'] as const) {
      const rows: string[] = [];
      let higher = 0;
      for (let seed = 1; seed <= 20; seed++) {
        const uninformed = simulated(seed, 0, mode);
        const informed = simulated(seed, 0.8, mode);
        rows.push(`${seed}: ${uninformed.toFixed(4)} / ${informed.toFixed(4)}`);
        if (informed > uninformed) higher += 1;
      }
      console.log(`VPIN (${mode}), seed: share 0 / share 0.8\n${rows.join('\n')}`);
      expect(higher).toBe(20);
    }
  }, 60_000);
});

describe('own-fill burst', () => {
  it('more than n fills or more than a volume in the window, per side', () => {
    const r = new CancelRules({ fillBurst: { windowMs: 1000, maxFills: 2, maxVolume: 5 } });
    r.onOwnFill('X', 0, 'bid', 100, 1);
    r.onOwnFill('X', 100, 'bid', 100, 1);
    expect(r.decide('X', 100).action).toBe('keep'); // 2 fills: not more than 2
    r.onOwnFill('X', 200, 'bid', 100, 1);
    expect(r.decide('X', 200)).toMatchObject({ action: 'cancel', sides: 'bid' });
    // the window is (now - 1000, now]: at 1000 the fill at 0 has left
    expect(r.decide('X', 1000).action).toBe('keep');
    // from 1200 on the bid fills have all left (the total over both sides counts too)
    r.onOwnFill('X', 1250, 'ask', 100, 5);
    expect(r.decide('X', 1250).action).toBe('keep'); // volume 5: not more than 5
    r.onOwnFill('X', 1300, 'ask', 100, 0.5);
    expect(r.decide('X', 1300)).toMatchObject({ action: 'cancel', sides: 'ask' });
  });

  it('both sides together', () => {
    const r = new CancelRules({ fillBurst: { windowMs: 1000, maxFills: 2 } });
    r.onOwnFill('X', 0, 'bid', 100, 1);
    r.onOwnFill('X', 0, 'bid', 100, 1);
    r.onOwnFill('X', 0, 'ask', 100, 1);
    expect(r.decide('X', 0)).toMatchObject({ action: 'cancel', sides: 'both' });
  });
});

describe('stale data', () => {
  it('no update within the max age, and books that are not live', () => {
    const r = new CancelRules({ stale: { maxAgeMs: 500 } });
    expect(r.decide('X', 0).hits[0]?.reason).toContain('no update of X yet');
    r.onBook('X', 1000, book([[99, 1]], [[101, 1]]));
    expect(r.decide('X', 1499).action).toBe('keep');
    expect(r.decide('X', 1500).action).toBe('cancel');
    r.onBook(
      'X',
      2000,
      book([], [], 'stale', { instrument: 'X', reason: 'gap', detail: 'prev 3, last 1', timestampMs: 2000 }),
    );
    const d = r.decide('X', 2000);
    expect(d).toMatchObject({ action: 'cancel', sides: 'both' });
    expect(d.hits[0]?.reason).toContain('gap');
    r.onBook('X', 2100, book([], [], 'empty'));
    expect(r.decide('X', 2100).hits[0]?.reason).toContain('empty');
  });

  it('checks the underlying too', () => {
    const r = new CancelRules({ stale: { maxAgeMs: 500 }, underlyingOf: () => 'U' });
    r.onMid('U', 0, 100);
    r.onVol('OPT', 900, 0.5);
    expect(r.decide('OPT', 499).action).toBe('keep');
    expect(r.decide('OPT', 500).hits[0]?.reason).toContain('no update of U');
  });
});

describe('windows', () => {
  it('quoting off in [start, end), for the instruments named', () => {
    const r = new CancelRules({
      windows: [{ startMs: 100, endMs: 200, label: 'CPI release' }, expiryWindow('OPT', 1000, 50, 10)],
    });
    expect(r.decide('X', 99).action).toBe('keep');
    expect(r.decide('X', 100).hits[0]?.reason).toContain('CPI release');
    expect(r.decide('X', 200).action).toBe('keep');
    expect(r.decide('X', 960).action).toBe('keep');
    expect(r.decide('OPT', 950).action).toBe('cancel');
    expect(r.decide('OPT', 1010).action).toBe('keep');
  });
});

describe('config', () => {
  it('names the bad field', () => {
    expect(field(() => new CancelRules({ underlying: { maxMoveTicks: 2 } }))).toBe('underlying.tickSize');
    expect(field(() => new CancelRules({ underlying: {} }))).toBe('underlying.maxMoveBps');
    expect(field(() => new CancelRules({ surface: { maxVolPoints: -1 } }))).toBe('surface.maxVolPoints');
    expect(field(() => new CancelRules({ imbalance: { threshold: 1.5 } }))).toBe('imbalance.threshold');
    expect(field(() => new CancelRules({ markouts: [{ horizonMs: 1000, fills: 0, threshold: -1 }] }))).toBe(
      'markouts[0].fills',
    );
    expect(field(() => new CancelRules({ vpin: { bucketVolume: 0, buckets: 2, threshold: 0.5 } }))).toBe(
      'vpin.bucketVolume',
    );
    expect(field(() => new CancelRules({ fillBurst: { windowMs: 1000 } }))).toBe('fillBurst.maxFills');
    expect(field(() => new CancelRules({ stale: { maxAgeMs: 0 } }))).toBe('stale.maxAgeMs');
    expect(field(() => new CancelRules({ windows: [{ startMs: 5, endMs: 5, label: 'x' }] }))).toBe(
      'windows[0].endMs',
    );
    expect(field(() => new CancelRules({}).decide('X', Number.NaN))).toBe('timeMs');
  });
});
