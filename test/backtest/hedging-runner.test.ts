import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { runHedgingStudy, type HedgingStudy } from '../../src/backtest/hedging-runner.js';
import {
  parseHedgeScenario,
  runHedgeScenario,
  validateHedgeScenario,
} from '../../src/backtest/hedge-scenario.js';

const study: HedgingStudy = {
  seed: 7,
  paths: 300,
  stepMinutes: 5,
  market: { s0: 100_000, sigma: 0.6, mu: 0 },
  option: { type: 'call', strike: 100_000, expiryDays: 1, amount: -1 },
  proportionalCost: 0.0005,
  riskAversion: 0.01,
};

describe('hedging runner', () => {
  it('is repeatable: same seed, same result; another seed differs', () => {
    const policies = [
      { kind: 'whalley-wilmott' as const },
      { kind: 'fixed-interval' as const, intervalMinutes: 30 },
    ];
    const a = runHedgingStudy(study, policies);
    const b = runHedgingStudy(study, policies);
    expect(Array.from(b[0]!.hedgedPnl)).toEqual(Array.from(a[0]!.hedgedPnl));
    expect(b[1]!.objective).toBe(a[1]!.objective);
    const c = runHedgingStudy({ ...study, seed: 8 }, policies);
    expect(c[1]!.objective).not.toBe(a[1]!.objective);
    // The objective is the stated one.
    expect(a[1]!.objective).toBeCloseTo(a[1]!.meanCost + (study.riskAversion / 2) * a[1]!.pnlStd ** 2, 6);
  });

  it('without costs: hedged P&L std shrinks like sqrt(dt)', () => {
    // Hedging error variance ~ (1/2) E[integral (Gamma S^2 sigma^2)^2 dt] dt: quadrupling the
    // interval should double the std. Tolerance: each ratio within [1.6, 2.4] (20%), allowing
    // for the sampling error of a std on 300 paths (~4% each) and the discreteness near expiry.
    const intervals = [5, 20, 80];
    const r = runHedgingStudy(
      { ...study, proportionalCost: 0 },
      intervals.map((m) => ({ kind: 'fixed-interval' as const, intervalMinutes: m })),
    );
    const std = r.map((x) => x.pnlStd);
    expect(std[0]).toBeLessThan(std[1]!);
    expect(std[1]).toBeLessThan(std[2]!);
    for (const ratio of [std[1]! / std[0]!, std[2]! / std[1]!]) {
      expect(ratio).toBeGreaterThan(1.6);
      expect(ratio).toBeLessThan(2.4);
    }
    for (const x of r) expect(x.meanCost).toBe(0);
  });

  it('Whalley-Wilmott with zero cost has a zero band: hedges every step like the finest interval', () => {
    const r = runHedgingStudy({ ...study, proportionalCost: 0 }, [
      { kind: 'whalley-wilmott' },
      { kind: 'fixed-interval', intervalMinutes: 5 },
    ]);
    expect(Array.from(r[0]!.hedgedPnl)).toEqual(Array.from(r[1]!.hedgedPnl));
  });

  it('names bad input', () => {
    expect(() => runHedgingStudy({ ...study, paths: 1 }, [{ kind: 'whalley-wilmott' }])).toThrow(/paths/);
    expect(() => runHedgingStudy(study, [{ kind: 'fixed-interval', intervalMinutes: 7 }])).toThrow(
      InputError,
    );
    expect(() => runHedgingStudy({ ...study, stepMinutes: 7 }, [])).toThrow(/step_minutes/);
  });
});

const doc = {
  kind: 'hedging',
  name: 'small',
  seed: 3,
  paths: 50,
  step_minutes: 10,
  market: { s0: 100000, sigma: 0.6 },
  option: { type: 'call', strike: 100000, expiry_days: 1, amount: -1 },
  costs: { proportional: 0.0005 },
  risk_aversion: 0.01,
  policy: { kind: 'whalley-wilmott' },
  sweep: { interval_minutes: [10, 60] },
};

describe('hedging scenario', () => {
  it('validates and names every problem by its dotted path', () => {
    const s = validateHedgeScenario(doc);
    expect(s.study.market.mu).toBe(0);
    expect(s.sweepIntervals).toEqual([10, 60]);
    const bad = (path: string, value: unknown, field = path) => {
      const d = structuredClone(doc) as Record<string, unknown>;
      const keys = path.split('.');
      let node = d;
      for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
      node[keys[keys.length - 1]!] = value;
      try {
        validateHedgeScenario(d);
        expect.unreachable(`${field} accepted`);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as InputError).field).toBe(field);
      }
    };
    bad('kind', 'quoting');
    bad('option.expiry_days', 0);
    bad('option.type', 'straddle');
    bad('market.sigma', -1);
    bad('market.vol', 1);
    bad('costs.proportional', -1);
    bad('policy', { kind: 'fixed-interval', interval_minutes: 15 }, 'policy.interval_minutes');
    bad('policy', { kind: 'band' }, 'policy.band');
    bad('sweep.interval_minutes', [10, 'x'], 'sweep.interval_minutes.1');
    bad('sweep.interval_minutes', []);
    bad('extra', 1);
    bad('paths', 1.5);
  });

  it('runs seeds seed, seed + 1, ... and reports the best interval per seed', () => {
    const s = parseHedgeScenario(JSON.stringify(doc));
    const rep = runHedgeScenario(s, 2);
    expect(rep.seeds.map((x) => x.seed)).toEqual([3, 4]);
    for (const x of rep.seeds) {
      const best = Math.min(...x.intervals.map((i) => i.objective));
      expect(x.bestIntervalObjective).toBe(best);
      expect(x.policyWins).toBe(x.policy.objective < best);
    }
    expect(rep.wins).toBe(rep.seeds.filter((x) => x.policyWins).length);
    expect(JSON.parse(JSON.stringify(rep))).toEqual(rep);
  });
});
