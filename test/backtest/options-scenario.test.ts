import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  optionsScenarioReport,
  parseOptionsScenario,
  runOptionsSeed,
  validateOptionsScenario,
  type OptionsSeedReport,
} from '../../src/backtest/options-scenario.js';
import { runOptionsSweep } from '../../src/backtest/sweep.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TEXT = readFileSync(join(root, 'scenarios/options-vega-one-sided.yaml'), 'utf8');
const BASE = parseYaml(TEXT) as Record<string, unknown>;

/** A copy of the committed scenario's document with `path` (dotted) set to `value` (undefined deletes). */
function withField(path: string, value: unknown): Record<string, unknown> {
  const doc = structuredClone(BASE);
  const keys = path.split('.');
  let at = doc as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return doc;
}

function errorOf(doc: unknown): string {
  try {
    validateOptionsScenario(doc);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('kind: options scenario', () => {
  it('maps the file to the runner config: vol points, rate to a per-step Poisson mean, moneyness strikes', () => {
    const s = parseOptionsScenario(TEXT);
    expect(s.kind).toBe('options');
    expect(s.seed).toBe(1);
    expect(s.config.steps).toBe(480); // 8 h of 60 s
    expect(s.config.stepMs).toBe(60_000);
    expect(s.config.strikes).toEqual([36_000, 38_000, 40_000, 42_000, 44_000]);
    expect(s.config.quoter.halfSpreadVol).toBeCloseTo(0.01, 12);
    expect(s.config.quoter.vegaSkewVol).toBeCloseTo(0.05, 12);
    expect(s.config.quoter.minSize).toBe(0.5);
    // 3 an hour on a 1-minute grid: a Poisson mean of 3 / 60 = 0.05 arrivals per option per step
    expect(s.config.flow.ratePerStep).toBeCloseTo(0.05, 12);
    expect(s.config.flow.hitProbability).toBeUndefined();
    // no k_vol_points: market orders; no mmp, no hedging sections: none in the config
    expect(s.config.flow.kVolPoints).toBeUndefined();
    expect(s.config.mmp).toBeUndefined();
    expect(s.config.hedging).toBeUndefined();
    expect(s.config.flow).toMatchObject({ kind: 'call', side: 'buy', takerSize: 1 });
    expect(s.config.limits).toEqual({ vegaPerExpiry: 400, vegaTotal: 1000, deltaCoin: 100 });
    // Strikes rounded to strike_step; expiries and per-expiry limits put in time order.
    const doc = withField('chain.moneyness', [0.987, 1.013]);
    const chain = doc.chain as { expiries: unknown[] };
    chain.expiries.reverse();
    doc.limits = { vega_per_expiry: [900, 300], vega_total: 1000, delta_coin: 100 };
    const odd = validateOptionsScenario(doc);
    expect(odd.config.strikes).toEqual([39_000, 41_000]); // 39,480 and 40,520 to the nearest 1,000
    expect(odd.expiryDays).toEqual([7, 28]);
    expect(odd.config.limits.vegaPerExpiry).toEqual([300, 900]);
    const perStep = withField('flow.rate_per_hour', undefined);
    (perStep.flow as Record<string, unknown>).hit_probability = 0.2;
    expect(validateOptionsScenario(perStep).config.flow.hitProbability).toBe(0.2);
  });

  it('names every problem by its dotted path', () => {
    const cases: [string, unknown, RegExp][] = [
      ['kind', 'quoting', /kind/],
      ['chain.expiries.1.smile.rho', 1.5, /chain\.expiries\.1\.smile\.rho/],
      ['chain.expiries.0.days', 0.2, /chain\.expiries\.0\.days/], // not after the last step (and not whole)
      ['chain.moneyness', [], /chain\.moneyness/],
      ['chain.moneyness', [1, 'x'], /chain\.moneyness\.1/],
      ['chain.moneyness', [1, 1.0001], /chain\.moneyness\.1.*distinct/],
      ['chain.strikes', [40_000], /chain.*one of strikes or moneyness/],
      ['flow.option_type', 'straddle', /flow\.option_type/],
      ['flow.sizes', 2, /flow\.sizes.*no such field/],
      ['flow.hit_probability', 0.1, /flow.*one of rate_per_hour or hit_probability/],
      ['flow.taker_size', 0, /flow\.taker_size/],
      ['quoter.half_spread_vol_points', -1, /quoter\.half_spread_vol_points/],
      ['quoter.shrink_start', 1, /quoter\.shrink_start/],
      ['limits.vega_per_expiry', [400], /limits\.vega_per_expiry.*one limit per expiry/],
      ['limits.vega_per_expiry', [400, -1], /limits\.vega_per_expiry\.1/],
      ['limits.vega_total', undefined, /limits\.vega_total/],
      ['per_option_limits', { vega_per_expiry: 1, vega_total: 1 }, /per_option_limits\.delta_coin/],
      ['market.model', 'heston', /market\.model/],
      ['step_seconds', 7, /step_seconds/], // 8 h is not a whole number of 7 s steps
      ['seed', 1.5, /seed/],
    ];
    for (const [path, value, pattern] of cases)
      expect(errorOf(withField(path, value)), path).toMatch(pattern);
    expect(errorOf([1])).toMatch(/scenario/);
    expect(() => parseOptionsScenario('{ not json', 'x.json')).toThrow(/x\.json/);
  });

  it('one seed is deterministic, another seed differs; book breach matches the max |vega| against the limits', () => {
    const s = parseOptionsScenario(TEXT.replace('duration_hours: 8', 'duration_hours: 2'));
    const a = runOptionsSeed(s, 3);
    expect(runOptionsSeed(s, 3)).toEqual(a);
    expect(runOptionsSeed(s, 4).book.pnlCoin).not.toBe(a.book.pnlCoin);
    for (const m of [a.book, a.perOption]) {
      const over = m.maxAbsVega.some((v) => v > 400) || m.maxAbsVegaTotal > 1000;
      expect(m.breached).toBe(over);
      expect(m.maxVegaUse).toBeCloseTo(
        Math.max(...m.maxAbsVega.map((v) => v / 400), m.maxAbsVegaTotal / 1000),
        12,
      );
    }
    expect(a.holds).toBe(!a.book.breached && a.perOption.breached);
  });

  it('reads the hedged scenario: priced takers, MMP, hedging in the runner units; refuses bad sections by path', () => {
    const text = readFileSync(join(root, 'scenarios/options-hedged.yaml'), 'utf8');
    const s = parseOptionsScenario(text);
    expect(s.config.flow.kVolPoints).toBe(0.5);
    expect(s.config.mmp).toEqual({ intervalMs: 60_000, frozenMs: 0, coolDownMs: 120_000, quantityLimit: 3 });
    expect(s.config.hedging).toEqual({
      target: { target: 'coin-neutral', delta: 'premium-adjusted' },
      policy: { kind: 'whalley-wilmott', proportionalCost: 0.00055, riskAversion: 0.0005 },
      executor: { passiveMs: 60_000, maxRequotes: 1, limitBps: 5 },
      perpetual: { halfSpreadBps: 0.5, depthUsd: 100_000, levels: 5, levelSpacingBps: 1 },
    });
    type Doc = {
      hedging: { policy: Record<string, unknown>; perpetual_book: Record<string, unknown>; target: unknown };
      mmp: Record<string, unknown>;
      flow: Record<string, unknown>;
    };
    const doc = parseYaml(text) as Doc;
    const bad = (edit: (d: Doc) => void): string => {
      const d = structuredClone(doc);
      edit(d);
      return errorOf(d);
    };
    expect(bad((d) => (d.hedging.policy.band = 1))).toMatch(
      /^hedging\.policy\.band: .*whalley-wilmott policy/,
    );
    expect(bad((d) => (d.hedging.policy = { kind: 'band', band: -1 }))).toMatch(/^hedging\.policy\.band: /);
    expect(bad((d) => (d.hedging.perpetual_book.depth_usd = 105))).toMatch(
      /^hedging\.perpetual_book\.depth_usd: /,
    );
    expect(bad((d) => (d.hedging.target = 'flat'))).toMatch(/^hedging\.target: /);
    expect(bad((d) => (d.mmp = { interval_seconds: 60 }))).toMatch(/^mmp: .*quantity_limit/);
    expect(bad((d) => (d.mmp.interval_seconds = 0))).toMatch(/^mmp\.interval_seconds: /);
    expect(bad((d) => (d.flow.k_vol_points = 0))).toMatch(/^flow\.k_vol_points: /);
    expect(bad((d) => (d.flow.taker_size = 0.25))).toMatch(/^flow\.taker_size: .*lot/);
    const band = bad((d) => (d.hedging.policy = { kind: 'time', interval_seconds: 300 }));
    expect(band).toBe('no error');
  });

  it('the report holds on at least 80% of the seeds', () => {
    const s = parseOptionsScenario(TEXT);
    const mode = {
      maxAbsVega: [0],
      maxAbsVegaTotal: 0,
      maxVegaUse: 0,
      breached: false,
      contractsTraded: 0,
      pnlCoin: 0,
      maxAbsDelta: 0,
      deltaBreached: false,
      finalDelta: 0,
      massQuotes: 0,
      quotesSent: 0,
      quoteErrors: 0,
      mmpTriggers: 0,
      mmpResets: 0,
      takerOrders: 0,
      fills: 0,
      hedging: null,
    };
    const seeds = (held: number): OptionsSeedReport[] =>
      Array.from({ length: 10 }, (_, i) => ({ seed: i + 1, book: mode, perOption: mode, holds: i < held }));
    expect(optionsScenarioReport(s, seeds(8)).holds).toBe(true);
    expect(optionsScenarioReport(s, seeds(7)).holds).toBe(false);
    expect(optionsScenarioReport(s, seeds(7)).held).toBe(7);
  });

  it('the committed scenario: book-level inside, per-option over, on >= 8 of seeds 1..10 (worker threads)', async () => {
    const s = parseOptionsScenario(TEXT);
    const seeds = await runOptionsSweep(s, 10, { workers: 2 });
    expect(seeds.map((r) => r.seed)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const report = optionsScenarioReport(s, seeds);
    expect(report.held).toBeGreaterThanOrEqual(8);
    expect(report.holds).toBe(true);
    // Not won by an idle book: the book-level quoter sold until its limits bound (over half a
    // limit used on every seed), and the worker's report is the same as this thread's.
    for (const r of seeds) expect(r.book.maxVegaUse).toBeGreaterThan(0.5);
    expect(seeds[0]).toEqual(runOptionsSeed(s, 1));
  });
});
