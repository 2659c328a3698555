import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import {
  HISTORICAL_EVENTS,
  historicalEvent,
  historicalEventScenario,
  historicalEventScenarios,
} from '../../src/risk/historical.js';
import type { Revaluer, Scenario } from '../../src/risk/scenario.js';
import { valueAtRisk } from '../../src/risk/var.js';

describe('named historical scenarios', () => {
  it('every figure has a source with a URL and the words it rests on', () => {
    expect(HISTORICAL_EVENTS.map((e) => e.id)).toEqual([
      '2020-03-12',
      '2021-05-19',
      '2022-11-09',
      '2024-08-05',
    ]);
    for (const e of HISTORICAL_EVENTS) {
      expect(e.moves.map((m) => m.coin)).toEqual(['BTC', 'ETH']);
      for (const m of e.moves) {
        expect(m.source.url).toMatch(/^https:\/\//);
        expect(m.source.quote.length).toBeGreaterThan(10);
        expect(m.spotMove).toBeLessThan(0);
        expect(m.spotMove).toBeGreaterThan(-1);
        expect(m.volMove).toBeNull();
      }
    }
  });

  it('the figures as the sources state them', () => {
    // 2020-03-12: BTC closed down 40%, ETH 43% (Coin Metrics via NewsBTC).
    expect(historicalEventScenario('2020-03-12').spot).toEqual({ BTC: -0.4, ETH: -0.43 });
    // 2022-11-09: BTC -14% on the day, ETH off roughly 12% (CoinDesk).
    expect(historicalEventScenario('2022-11-09').spot).toEqual({ BTC: -0.14, ETH: -0.12 });
    // 2024-08-05: 49513 / 58350 - 1 = -15.145%, 2118 / 2695 - 1 = -21.410%.
    const aug = historicalEventScenario('2024-08-05').spot;
    expect(aug.BTC).toBeCloseTo(-0.151448, 6);
    expect(aug.ETH).toBeCloseTo(-0.2141, 6);
  });

  it('scenarios say how the vol moves', () => {
    const s = historicalEventScenario('2021-05-19');
    expect(s).toEqual({
      name: '2021-05-19 May 2021 crash (China warning, leverage flush): vol unchanged (no sourced vol move)',
      spot: { BTC: -0.27, ETH: -0.4 },
      volShift: 0,
    });
    const given = historicalEventScenario('2021-05-19', { volShift: 0.25, days: 1 });
    expect(given.volShift).toBe(0.25);
    expect(given.days).toBe(1);
    expect(given.name).toMatch(/vol \+25\.0 pts \(given\)$/);
    expect(historicalEventScenarios()).toHaveLength(4);
  });

  it('revalue through a Revaluer: the worst named event of a linear book', () => {
    // USD deltas 1e6 BTC, 5e5 ETH: 2020-03-12 gives -400000 - 215000 = -615000, the worst.
    const linear: Revaluer = {
      baseValueUsd: 0,
      warnings: [],
      pnlUsd: (s: Scenario) => 1e6 * (s.spot.BTC ?? 0) + 5e5 * (s.spot.ETH ?? 0),
    };
    const v = valueAtRisk(linear, historicalEventScenarios(), 0.75);
    expect(v.worst.pnlUsd).toBeCloseTo(-615000, 6);
    expect(v.worst.name).toMatch(/^2020-03-12/);
  });

  it('names the field of bad input', () => {
    expect(() => historicalEvent('2008-09-15')).toThrow(InputError);
    expect(() => historicalEvent('2008-09-15')).toThrow(/event: .*one of 2020-03-12/);
    expect(() => historicalEventScenario('2020-03-12', { volShift: Number.NaN })).toThrow(/volShift/);
    expect(() => historicalEventScenario('2020-03-12', { days: -1 })).toThrow(/days/);
  });
});
