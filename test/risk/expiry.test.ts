import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { black76 } from '../../src/pricing/black76.js';
import { expiryReport, settlementDelta, settlementDeltaPath } from '../../src/risk/expiry.js';
import { readRiskBook, readRiskMarket } from '../../src/risk/inputs.js';
import { repoRoot } from '../cli/run-cli.js';

const SNAPSHOT = readFileSync(join(repoRoot, 'data/deribit/btc-options-2020-05-21.jsonl'), 'utf8');
const E = 1590134400000; // 2020-05-22 08:00 UTC
const MIN = 60_000;

describe('delta through the settlement averaging window', () => {
  it('at the money, 18 minutes before expiry, by hand', () => {
    // phi = 12 / 30 = 0.4; mu = 10000; tau = 18 min = 3.4246575e-5 years;
    // s = 0.6 x 10000 x 0.8 x sqrt(tau / 3) = 16.2176970816; z = 0;
    // delta = 0.6 x 0.5 + n(0) x s / S = 0.3 + 0.398942280 x 0.00162177 = 0.3006469925.
    const d = settlementDelta({
      kind: 'call',
      strike: 10000,
      spotUsd: 10000,
      vol: 0.8,
      expiryMs: E,
      nowMs: E - 18 * MIN,
      fixedAverageUsd: 10000,
    });
    expect(d.settledFraction).toBeCloseTo(0.4, 12);
    expect(d.deliveryStdUsd).toBeCloseTo(16.2176970816, 8);
    expect(d.delta).toBeCloseTo(0.3006469925, 9);
  });

  it('deep in the money the delta decays linearly to 0 over the 30 minutes', () => {
    const path = settlementDeltaPath({ kind: 'call', strike: 5000, spotUsd: 10000, vol: 0.8 });
    expect(path.map((p) => p.minutesBeforeExpiry)).toEqual([30, 25, 20, 15, 10, 5, 0]);
    const expected = [1, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6, 0];
    path.forEach((p, i) => expect(p.delta).toBeCloseTo(expected[i]!, 12));
    // A deep out-of-the-money put has no delta at all.
    for (const p of settlementDeltaPath({ kind: 'put', strike: 5000, spotUsd: 10000, vol: 0.8 }))
      expect(Math.abs(p.delta)).toBeLessThan(1e-12);
  });

  it('after expiry the delta is 0; the fixed average sets the expected delivery price', () => {
    expect(
      settlementDelta({ kind: 'call', strike: 1, spotUsd: 1, vol: 1, expiryMs: E, nowMs: E + 1 }).delta,
    ).toBe(0);
    // Half the window gone at an average of 9900, spot 10100: mu = 10000.
    const d = settlementDelta({
      kind: 'put',
      strike: 10000,
      spotUsd: 10100,
      vol: 0.5,
      expiryMs: E,
      nowMs: E - 15 * MIN,
      fixedAverageUsd: 9900,
    });
    expect(d.deliveryMeanUsd).toBeCloseTo(10000, 9);
    expect(d.delta).toBeCloseTo(-0.25 + (0.3989422804014327 * d.deliveryStdUsd) / 10100, 12);
  });

  it('properties: call minus put is the unsettled fraction; the call delta lies in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1000, max: 100000, noNaN: true }),
        fc.double({ min: 0.5, max: 2, noNaN: true }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        fc.integer({ min: -48 * 60, max: 0 }),
        (spot, k, vol, minutes) => {
          const input = {
            strike: spot * k,
            spotUsd: spot,
            vol,
            expiryMs: E,
            nowMs: E + minutes * MIN,
            fixedAverageUsd: spot,
          };
          const c = settlementDelta({ ...input, kind: 'call' });
          const p = settlementDelta({ ...input, kind: 'put' });
          expect(c.delta - p.delta).toBeCloseTo(1 - c.settledFraction, 9);
          expect(c.delta).toBeGreaterThanOrEqual(-1e-12);
          expect(c.delta).toBeLessThanOrEqual(1 + 1e-2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names the field of bad input', () => {
    const base = { kind: 'call' as const, strike: 1, spotUsd: 1, vol: 1, expiryMs: E, nowMs: E - 10 * MIN };
    expect(() => settlementDelta(base)).toThrow(/fixedAverageUsd/);
    expect(() => settlementDelta({ ...base, vol: -1 })).toThrow(/vol/);
    expect(() => settlementDelta({ ...base, nowMs: Number.NaN })).toThrow(/nowMs/);
    expect(() => settlementDeltaPath({ kind: 'call', strike: 1, spotUsd: 1, vol: 1 }, 0)).toThrow(
      /stepMinutes/,
    );
  });
});

describe('expiry report on the shared snapshot', () => {
  it('lists the 22MAY20 positions, the pin at 9000 and the settlement deltas', async () => {
    const market = await readRiskMarket(SNAPSHOT);
    const book = await readRiskBook(
      [
        '{"instrument":"BTC-22MAY20-9000-C","amount":-10}',
        '{"instrument":"BTC-22MAY20-9250-P","amount":5}',
        '{"instrument":"BTC-26JUN20-10000-C","amount":3}',
      ].join('\n'),
    );
    const r = expiryReport(book, market);
    // Market time 1590103355277 (the latest line); 22MAY20 expires 1590134400000:
    // 31,044,723 ms = 8.62353 hours.
    expect(r.expiring.map((e) => e.instrument)).toEqual(['BTC-22MAY20-9000-C', 'BTC-22MAY20-9250-P']);
    expect(r.expiring[0]!.hoursToExpiry).toBeCloseTo(31044723 / 3.6e6, 9);
    // Pin: 9000 / 9085.44 - 1 = -0.94% (within 1%); 9250 is 1.8% away.
    expect(r.pins.map((p) => p.instrument)).toEqual(['BTC-22MAY20-9000-C']);
    const pin = r.pins[0]!;
    expect(pin.distance).toBeCloseTo(9000 / pin.forwardUsd - 1, 12);
    expect(pin.positionGamma).toBeCloseTo(-10 * pin.gamma, 15);
    expect(pin.gammaUsdPer1Pct).toBeLessThan(0);
    expect(expiryReport(book, market, { pinBand: 0.02 }).pins).toHaveLength(2);
    // Hours before the window the averaging model's delta is close to the Black-76 delta.
    const q = market.options.get('BTC-22MAY20-9000-C')!;
    const black = black76('call', q.forwardUsd, 9000, q.yearsToExpiry, q.ivMark!, 0).delta;
    const s = r.settlement.find((x) => x.instrument === 'BTC-22MAY20-9000-C')!;
    expect(s.settledFraction).toBe(0);
    expect(Math.abs(s.deltaNow - black)).toBeLessThan(0.02);
    // Through the window the position's delta goes to 0.
    expect(s.path[0]!.delta).toBeLessThan(0);
    expect(s.path[s.path.length - 1]!.delta).toBe(-0);
  });

  it('names the field of bad options', async () => {
    const market = await readRiskMarket(SNAPSHOT);
    expect(() => expiryReport([], market, { horizonHours: 0 })).toThrow(/horizonHours/);
    expect(() => expiryReport([], market, { pinBand: -1 })).toThrow(/pinBand/);
  });
});
