/**
 * Online estimation in the quoting runner (`strategy.estimate`): started from wrong priors (k
 * 0.02 per USD, A 3 a second), the quoter's own exposure must bring its fill-intensity fit to
 * the flow's true k = 0.05 and A = 1 (within three of the fit's standard errors), and the tape to
 * the path's sigma; the quoter then quotes with the estimates.
 */
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/runner.js';
import { parseScenario } from '../../src/backtest/scenario.js';
import { InputError } from '../../src/model/errors.js';
import { MS_PER_YEAR } from '../../src/model/time.js';

const TEXT = `
name: online-estimates
seed: 1
instrument: BTC-PERPETUAL
start: 2026-01-01T00:00:00Z
duration_s: 7200
session_s: 600
step_ms: 1000
market: { model: gbm, s0: 100000, sigma: 0.6 }
flow: { rate_per_s: 1, k: 0.05, size_usd: 1000, size_log_std: 0.5 }
strategy:
  kind: avellaneda-stoikov
  gamma: 0.0001
  k: 0.02
  a: 3
  quote_size_usd: 1000
  max_inventory: 20
  estimate: { sigma_half_life_s: 3600, intensity_half_life_s: 100000 }
latency: { model: constant, ms: 20 }
`;

describe('online estimation of sigma, k and A in the quoter', () => {
  it('recovers the flow and the path from wrong priors, seed after seed', () => {
    const scenario = parseScenario(TEXT);
    let inside = 0;
    const seeds = 8;
    for (let seed = 1; seed <= seeds; seed++) {
      const r = runBacktest(scenario, seed);
      const e = r.estimates;
      expect(e?.source).toBe('fit');
      if (e === undefined || e.k_se === null || e.a_se === null) throw new Error('no fit');
      const zk = (e.k - 0.05) / e.k_se;
      const za = (e.a - 1) / e.a_se;
      if (Math.abs(zk) < 3 && Math.abs(za) < 3) inside += 1;
      // The path's own sigma in USD per sqrt(second): 60% a year at its mean price.
      const mids = r.paths.mid;
      const meanMid = mids.reduce((a, b) => a + b, 0) / mids.length;
      const truth = (0.6 * meanMid) / Math.sqrt(MS_PER_YEAR / 1000);
      // An hour's half-life: about 3,600 effective one-second returns, a relative error of ~1.2%
      // on sigma; 5% is four of those.
      expect(Math.abs(e.sigma_usd / truth - 1)).toBeLessThan(0.05);
    }
    // Each seed inside with probability ~0.994 (two 3-sigma bands); 7 of 8 leaves room for one.
    expect(inside).toBeGreaterThanOrEqual(7);
  }, 120_000);

  it('quotes with the estimates: a run that estimates differs from one that keeps the priors', () => {
    const short = TEXT.replace('duration_s: 7200', 'duration_s: 1800');
    const priors = parseScenario(short.replace(/\n {2}estimate: .*\n/, '\n'));
    const online = parseScenario(short);
    expect(priors.strategy.estimate).toBeUndefined();
    const a = runBacktest(priors, 1);
    const b = runBacktest(online, 1);
    expect(a.estimates).toBeUndefined();
    // The prior k = 0.02 quotes ~50 USD from the mid, the estimate k ~ 0.05 ~20 USD: more fills.
    expect(b.fills).toBeGreaterThan(a.fills);
    expect(JSON.stringify(runBacktest(online, 1))).toBe(JSON.stringify(b));
  });

  it('names a bad estimate section by its path', () => {
    const field = (text: string): string => {
      try {
        parseScenario(text);
      } catch (error) {
        if (error instanceof InputError) return error.field;
        throw error;
      }
      return 'accepted';
    };
    expect(field(TEXT.replace('sigma_half_life_s: 3600', 'sigma_half_life_s: 0'))).toBe(
      'strategy.estimate.sigma_half_life_s',
    );
    expect(field(TEXT.replace('kind: avellaneda-stoikov', 'kind: symmetric'))).toBe('strategy.estimate');
    expect(field(TEXT.replace('estimate: {', 'estimate: { nope: 1,'))).toBe('strategy.estimate.nope');
  });
});
