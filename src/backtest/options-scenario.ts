/**
 * The options quoting study's scenario file (`kind: options`): the book-level `OptionsQuoter`
 * against per-option quoting (`options-runner.ts`) on the same spot path and the same one-sided
 * taker draws, over several seeds. JSON or YAML, snake_case; every problem named by its dotted
 * path (`chain.expiries.1.smile.rho`).
 *
 * ```yaml
 * kind: options
 * name: options-vega-one-sided
 * seed: 1
 * duration_hours: 8
 * step_seconds: 60
 * market: { model: gbm, s0: 40000, sigma: 0.5 }
 * chain:
 *   expiries:                       # days after the start, each with its smile: raw SVI in
 *     - { days: 7, smile: { a: 0.2, b: 0.1, rho: -0.2, m: 0, sigma: 0.2 } }   # variance per year
 *   moneyness: [0.9, 0.95, 1, 1.05, 1.1]   # strikes = s0 x m rounded to strike_step;
 *   strike_step: 1000                      # or strikes: [36000, 38000, ...]
 * flow: { side: buy, option_type: call, rate_per_hour: 3, taker_size: 1 }
 *                                   # or hit_probability: 0.05 (per option per step)
 * quoter: { half_spread_vol_points: 1, vega_skew_vol_points: 5, delta_skew: 0.002,
 *           base_size: 2, min_size: 0.1 }   # + total_vega_skew_vol_points, shrink_start,
 *                                            #   min_vol_points, rate
 * limits: { vega_per_expiry: 600, vega_total: 1000, delta_coin: 100 }
 *                                   # vega_per_expiry: one number or one per expiry
 * per_option_limits: { ... }        # optional: what each option sees alone (default: limits)
 * ```
 *
 * Units: vegas in USD per vol point, delta in coin, vol fields in vol points (1 = 0.01).
 *
 * `runOptionsSeed(scenario, seed)` runs both quoters for one seed; `optionsScenarioReport`
 * gathers the seeds: the claim holds on a seed when the book-level quoter stayed inside every
 * limit and per-option quoting breached one, and holds for the scenario on at least 80% of its
 * seeds (8 of 10).
 */
import { InputError } from '../model/errors.js';
import type { QuoterLimits } from '../strategy/options-quoter.js';
import { Fields, parseDocument } from './fields.js';
import {
  runOptionsBacktest,
  type HedgeFigures,
  type OptionsBacktestConfig,
  type OptionsFlowConfig,
  type OptionsHedgingConfig,
  type OptionsMmpConfig,
  type QuoterRun,
} from './options-runner.js';

export interface OptionsScenario {
  kind: 'options';
  name: string;
  description: string | undefined;
  seed: number;
  /** Expiries as days after the start, in file order. */
  expiryDays: number[];
  /** The runner's config (its `flow.hitProbability` per step, already converted from a rate). */
  config: OptionsBacktestConfig;
}

const SMILE = ['a', 'b', 'rho', 'm', 'sigma'];
const LIMITS = ['vega_per_expiry', 'vega_total', 'delta_coin'];

/** A non-empty list at `f.at(key)` as `Fields` keyed "0", "1", ... (so items are named by path). */
function list(f: Fields, key: string): Fields {
  const v = f.data[key];
  if (!Array.isArray(v) || v.length === 0) throw new InputError(f.at(key), v, 'a non-empty list');
  const keys = v.map((_, i) => String(i));
  return new Fields(f.at(key), Object.fromEntries(v.map((x, i) => [String(i), x as unknown])), keys);
}

function numbers(f: Fields, key: string, rule: { above?: number; min?: number }): number[] {
  const items = list(f, key);
  return items.allowed.map((k) => items.number(k, rule));
}

function limitsAt(f: Fields, key: string, expiries: number): QuoterLimits {
  const l = f.child(key, LIMITS);
  const raw = l.data.vega_per_expiry;
  let vegaPerExpiry: number | number[];
  if (Array.isArray(raw)) {
    vegaPerExpiry = numbers(l, 'vega_per_expiry', { above: 0 });
    if (vegaPerExpiry.length !== expiries)
      throw new InputError(l.at('vega_per_expiry'), raw, `one limit per expiry (${expiries})`);
  } else {
    vegaPerExpiry = l.number('vega_per_expiry', { above: 0 });
  }
  return {
    vegaPerExpiry,
    vegaTotal: l.number('vega_total', { above: 0 }),
    deltaCoin: l.number('delta_coin', { above: 0 }),
  };
}

function mmpAt(top: Fields): OptionsMmpConfig {
  const m = top.child('mmp', [
    'interval_seconds',
    'frozen_seconds',
    'cool_down_seconds',
    'quantity_limit',
    'delta_limit',
    'vega_limit',
  ]);
  const limit = (k: string): number | undefined =>
    m.data[k] === undefined ? undefined : m.number(k, { above: 0 });
  const quantityLimit = limit('quantity_limit');
  const deltaLimit = limit('delta_limit');
  const vegaLimit = limit('vega_limit');
  if (quantityLimit === undefined && deltaLimit === undefined && vegaLimit === undefined)
    throw new InputError(
      'mmp',
      Object.keys(m.data),
      'at least one of quantity_limit, delta_limit, vega_limit',
    );
  return {
    intervalMs: m.number('interval_seconds', { above: 0, integer: true }) * 1000,
    frozenMs: m.number('frozen_seconds', { min: 0, integer: true, default: 0 }) * 1000,
    coolDownMs: m.number('cool_down_seconds', { min: 0, default: 0 }) * 1000,
    ...(quantityLimit === undefined ? {} : { quantityLimit }),
    ...(deltaLimit === undefined ? {} : { deltaLimit }),
    ...(vegaLimit === undefined ? {} : { vegaLimit }),
  };
}

function hedgingAt(top: Fields): OptionsHedgingConfig {
  const h = top.child('hedging', ['target', 'delta', 'policy', 'executor', 'perpetual_book']);
  const target = h.text('target', ['coin-neutral', 'usd-neutral'], 'coin-neutral') as
    'coin-neutral' | 'usd-neutral';
  const delta = h.text('delta', ['premium-adjusted', 'black'], 'premium-adjusted') as
    'premium-adjusted' | 'black';
  const p = h.child('policy', [
    'kind',
    'band',
    'rehedge_to',
    'interval_seconds',
    'min_trade',
    'proportional_cost',
    'risk_aversion',
  ]);
  const kind = p.text('kind', ['band', 'time', 'whalley-wilmott']);
  const only = (fields: string[]): void => {
    for (const k of Object.keys(p.data))
      if (k !== 'kind' && !fields.includes(k))
        throw new InputError(p.at(k), p.data[k], `not a field of a ${kind} policy (${fields.join(', ')})`);
  };
  let policy: OptionsHedgingConfig['policy'];
  if (kind === 'band') {
    only(['band', 'rehedge_to']);
    policy = {
      kind,
      band: p.number('band', { min: 0 }),
      rehedgeTo: p.text('rehedge_to', ['edge', 'target'], 'edge') as 'edge' | 'target',
    };
  } else if (kind === 'time') {
    only(['interval_seconds', 'min_trade']);
    policy = {
      kind,
      intervalMs: p.number('interval_seconds', { above: 0 }) * 1000,
      minTrade: p.number('min_trade', { min: 0, default: 0 }),
    };
  } else {
    only(['proportional_cost', 'risk_aversion']);
    policy = {
      kind: 'whalley-wilmott',
      proportionalCost: p.number('proportional_cost', { min: 0 }),
      riskAversion: p.number('risk_aversion', { above: 0 }),
    };
  }
  const e = h.child('executor', ['passive_seconds', 'max_requotes', 'limit_bps']);
  const executor = {
    passiveMs: e.number('passive_seconds', { min: 0 }) * 1000,
    maxRequotes: e.number('max_requotes', { min: 0, integer: true, default: 1 }),
    limitBps: e.number('limit_bps', { min: 0 }),
  };
  const b = h.child('perpetual_book', ['half_spread_bps', 'depth_usd', 'levels', 'level_spacing_bps']);
  const depthUsd = b.number('depth_usd', { min: 10 });
  if (!Number.isInteger(depthUsd / 10))
    throw new InputError(b.at('depth_usd'), depthUsd, 'a multiple of 10 USD (the perpetual lot)');
  const perpetual = {
    halfSpreadBps: b.number('half_spread_bps', { min: 0 }),
    depthUsd,
    levels: b.number('levels', { min: 1, integer: true, default: 5 }),
    levelSpacingBps: b.number('level_spacing_bps', { above: 0, default: 1 }),
  };
  return { target: { target, delta }, policy, executor, perpetual };
}

/** Validates a parsed `kind: options` document; throws `InputError` naming the dotted path. */
export function validateOptionsScenario(data: unknown): OptionsScenario {
  const top = Fields.of('', data, [
    'kind',
    'name',
    'description',
    'seed',
    'duration_hours',
    'step_seconds',
    'market',
    'chain',
    'flow',
    'quoter',
    'limits',
    'per_option_limits',
    'mmp',
    'hedging',
  ]);
  top.text('kind', ['options']);
  const name = top.text('name');
  const description = top.data.description === undefined ? undefined : top.text('description');
  const seed = top.number('seed', { integer: true });
  const durationHours = top.number('duration_hours', { above: 0 });
  const stepSeconds = top.number('step_seconds', { above: 0, default: 60 });
  const stepMs = stepSeconds * 1000;
  const stepsExact = (durationHours * 3_600_000) / stepMs;
  const steps = Math.round(stepsExact);
  if (Math.abs(stepsExact - steps) > 1e-9 || steps < 1)
    throw new InputError('step_seconds', stepSeconds, 'a step that divides duration_hours');
  if (!Number.isInteger(stepMs)) throw new InputError('step_seconds', stepSeconds, 'a whole number of ms');

  const m = top.child('market', ['model', 's0', 'sigma']);
  m.text('model', ['gbm'], 'gbm');
  const spot0 = m.number('s0', { above: 0 });
  const spotVol = m.number('sigma', { above: 0 });

  const c = top.child('chain', ['expiries', 'strikes', 'moneyness', 'strike_step']);
  const ex = list(c, 'expiries');
  const expiries = ex.allowed.map((k) => {
    const e = ex.child(k, ['days', 'smile']);
    const days = e.number('days', { above: 0, integer: true });
    if (days * 24 <= durationHours)
      throw new InputError(e.at('days'), days, `an expiry after the last step (${durationHours} h)`);
    const s = e.child('smile', SMILE);
    const shape = {
      a: s.number('a'),
      b: s.number('b', { min: 0 }),
      rho: s.number('rho', { above: -1 }),
      m: s.number('m'),
      sigma: s.number('sigma', { above: 0 }),
    };
    if (!(shape.rho < 1)) throw new InputError(s.at('rho'), shape.rho, 'a number < 1');
    const atm = shape.a + shape.b * (-shape.rho * shape.m + Math.hypot(shape.m, shape.sigma));
    if (!(atm > 0)) throw new InputError(s.at('a'), shape.a, 'a smile with positive ATM variance');
    return { days, shape };
  });
  const seen = new Set<number>();
  expiries.forEach((e, i) => {
    if (seen.has(e.days)) throw new InputError(`chain.expiries.${i}.days`, e.days, 'a distinct expiry');
    seen.add(e.days);
  });
  const hasStrikes = c.data.strikes !== undefined;
  if (hasStrikes === (c.data.moneyness !== undefined))
    throw new InputError('chain', Object.keys(c.data), 'one of strikes or moneyness');
  let strikes: number[];
  if (hasStrikes) {
    if (c.data.strike_step !== undefined)
      throw new InputError(c.at('strike_step'), c.data.strike_step, 'only with moneyness');
    strikes = numbers(c, 'strikes', { above: 0 });
  } else {
    const step = c.number('strike_step', { above: 0, default: 1 });
    strikes = numbers(c, 'moneyness', { above: 0 }).map((x, i) => {
      const k = Math.round((spot0 * x) / step) * step;
      if (!(k > 0)) throw new InputError(`chain.moneyness.${i}`, x, 'a strike above 0 after rounding');
      return k;
    });
  }
  const strikeSet = new Set<number>();
  strikes.forEach((k, i) => {
    if (strikeSet.has(k))
      throw new InputError(`chain.${hasStrikes ? 'strikes' : 'moneyness'}.${i}`, k, 'a distinct strike');
    strikeSet.add(k);
  });

  const f = top.child('flow', [
    'side',
    'option_type',
    'rate_per_hour',
    'hit_probability',
    'taker_size',
    'k_vol_points',
  ]);
  const side = f.text('side', ['buy', 'sell']) as 'buy' | 'sell';
  const kind = f.text('option_type', ['call', 'put']) as 'call' | 'put';
  if ((f.data.rate_per_hour === undefined) === (f.data.hit_probability === undefined))
    throw new InputError('flow', Object.keys(f.data), 'one of rate_per_hour or hit_probability');
  const arrivals: Pick<OptionsFlowConfig, 'ratePerStep' | 'hitProbability'> =
    f.data.rate_per_hour === undefined
      ? { hitProbability: f.number('hit_probability', { min: 0, max: 1 }) }
      : { ratePerStep: f.number('rate_per_hour', { min: 0 }) * (stepSeconds / 3600) };
  const takerSize = f.number('taker_size', { above: 0 });
  const lots = takerSize / 0.1;
  if (Math.abs(lots - Math.round(lots)) > 1e-9)
    throw new InputError(f.at('taker_size'), takerSize, 'a multiple of the lot 0.1 contract');
  const kVolPoints = f.data.k_vol_points === undefined ? undefined : f.number('k_vol_points', { above: 0 });

  const q = top.child('quoter', [
    'half_spread_vol_points',
    'vega_skew_vol_points',
    'total_vega_skew_vol_points',
    'delta_skew',
    'base_size',
    'min_size',
    'shrink_start',
    'min_vol_points',
    'rate',
  ]);
  const quoter: OptionsBacktestConfig['quoter'] = {
    halfSpreadVol: q.number('half_spread_vol_points', { above: 0 }) / 100,
    vegaSkewVol: q.number('vega_skew_vol_points', { min: 0 }) / 100,
    totalVegaSkewVol: q.number('total_vega_skew_vol_points', { min: 0, default: 0 }) / 100,
    deltaSkew: q.number('delta_skew', { min: 0 }),
    baseSize: q.number('base_size', { above: 0 }),
    minSize: q.number('min_size', { min: 0, default: 0 }),
    shrinkStart: q.number('shrink_start', { min: 0, default: 0 }),
    minVol: q.number('min_vol_points', { above: 0, default: 1 }) / 100,
    rate: q.number('rate', { default: 0 }),
  };
  if (!(quoter.shrinkStart! < 1))
    throw new InputError(q.at('shrink_start'), quoter.shrinkStart, 'a number in [0, 1)');

  const limits = limitsAt(top, 'limits', expiries.length);
  const perOptionLimits =
    top.data.per_option_limits === undefined
      ? undefined
      : limitsAt(top, 'per_option_limits', expiries.length);

  const mmp = top.data.mmp === undefined ? undefined : mmpAt(top);
  const hedging = top.data.hedging === undefined ? undefined : hedgingAt(top);

  // The runner and the quoter index expiries in time order; the file may list them in any.
  const order = expiries.map((_, i) => i).sort((i, j) => expiries[i]!.days - expiries[j]!.days);
  const sortLimits = (l: QuoterLimits): QuoterLimits =>
    typeof l.vegaPerExpiry === 'number'
      ? l
      : { ...l, vegaPerExpiry: order.map((i) => (l.vegaPerExpiry as number[])[i]!) };
  return {
    kind: 'options',
    name,
    description,
    seed,
    expiryDays: order.map((i) => expiries[i]!.days),
    config: {
      spot0,
      spotVol,
      stepMs,
      steps,
      expiries: order.map((i) => expiries[i]!),
      strikes,
      flow: {
        kind,
        side,
        ...arrivals,
        takerSize,
        ...(kVolPoints === undefined ? {} : { kVolPoints }),
      },
      quoter,
      limits: sortLimits(limits),
      ...(perOptionLimits === undefined ? {} : { perOptionLimits: sortLimits(perOptionLimits) }),
      ...(mmp === undefined ? {} : { mmp }),
      ...(hedging === undefined ? {} : { hedging }),
    },
  };
}

/** Reads an options scenario's text (JSON when it starts with `{`, YAML otherwise). */
export function parseOptionsScenario(text: string, source = 'scenario'): OptionsScenario {
  return validateOptionsScenario(parseDocument(text, source));
}

/** One quoter's figures on one seed. */
export interface OptionsModeFigures {
  /** Max |net vega| per expiry (in `expiryDays` order), USD per vol point. */
  maxAbsVega: number[];
  maxAbsVegaTotal: number;
  /** Largest use of a vega limit: max over expiries of maxAbsVega / limit, and of the total. */
  maxVegaUse: number;
  breached: boolean;
  contractsTraded: number;
  pnlCoin: number;
  /** Max |book delta| (coin, the hedge target's measure) at the steps' marks, and its limit passed. */
  maxAbsDelta: number;
  deltaBreached: boolean;
  /** Book delta at the last step, coin. */
  finalDelta: number;
  /** Mass-quote requests sent, sides quoted in them, per-side errors. */
  massQuotes: number;
  quotesSent: number;
  quoteErrors: number;
  mmpTriggers: number;
  mmpResets: number;
  takerOrders: number;
  fills: number;
  /** With a `hedging` section: hedge orders and fills, cost (fees + spread vs mid), P&L, USD. */
  hedging: HedgeFigures | null;
}

export interface OptionsSeedReport {
  seed: number;
  book: OptionsModeFigures;
  perOption: OptionsModeFigures;
  /** Book-level inside every limit and per-option over one. */
  holds: boolean;
}

export interface OptionsScenarioReport {
  name: string;
  expiryDays: number[];
  strikes: number[];
  vegaLimitPerExpiry: number[];
  vegaLimitTotal: number;
  claim: string;
  seeds: OptionsSeedReport[];
  /** Seeds on which the claim holds. */
  held: number;
  /** Held on at least 80% of the seeds (8 of 10). */
  holds: boolean;
}

function limitPerExpiry(scenario: OptionsScenario): number[] {
  const v = scenario.config.limits.vegaPerExpiry;
  return scenario.expiryDays.map((_, e) => (typeof v === 'number' ? v : (v as number[])[e]!));
}

function modeFigures(run: QuoterRun, limitE: number[], limitTotal: number): OptionsModeFigures {
  let use = run.maxAbsVegaTotal / limitTotal;
  run.maxAbsVega.forEach((v, e) => (use = Math.max(use, v / limitE[e]!)));
  return {
    maxAbsVega: [...run.maxAbsVega],
    maxAbsVegaTotal: run.maxAbsVegaTotal,
    maxVegaUse: use,
    breached: run.breached,
    contractsTraded: run.contractsTraded,
    pnlCoin: run.pnlCoin,
    maxAbsDelta: run.maxAbsDelta,
    deltaBreached: run.deltaBreached,
    finalDelta: run.finalDelta,
    massQuotes: run.massQuotes,
    quotesSent: run.quotesSent,
    quoteErrors: run.quoteErrors,
    mmpTriggers: run.mmpTriggers,
    mmpResets: run.mmpResets,
    takerOrders: run.takerOrders,
    fills: run.fills,
    hedging: run.hedging === null ? null : { ...run.hedging },
  };
}

/** Both quoters on one seed (same path, same taker draws): their figures, without the paths. */
export function runOptionsSeed(scenario: OptionsScenario, seed: number): OptionsSeedReport {
  const r = runOptionsBacktest(scenario.config, seed);
  const limitE = limitPerExpiry(scenario);
  const book = modeFigures(r.book, limitE, scenario.config.limits.vegaTotal);
  const perOption = modeFigures(r.perOption, limitE, scenario.config.limits.vegaTotal);
  return { seed, book, perOption, holds: !book.breached && perOption.breached };
}

/** The report of a scenario from its seeds' reports (in seed order). */
export function optionsScenarioReport(
  scenario: OptionsScenario,
  reports: OptionsSeedReport[],
): OptionsScenarioReport {
  const held = reports.filter((r) => r.holds).length;
  return {
    name: scenario.name,
    expiryDays: scenario.expiryDays,
    strikes: [...scenario.config.strikes],
    vegaLimitPerExpiry: limitPerExpiry(scenario),
    vegaLimitTotal: scenario.config.limits.vegaTotal,
    claim: 'book-level quoting stays inside every vega limit where per-option quoting breaches one',
    seeds: reports,
    held,
    holds: reports.length > 0 && held >= Math.ceil(0.8 * reports.length),
  };
}

/** Runs the scenario over `seeds` seeds (seed, seed + 1, ...) on this thread. */
export function runOptionsScenario(scenario: OptionsScenario, seeds: number): OptionsScenarioReport {
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new InputError('seeds', seeds, 'an integer >= 1');
  const reports: OptionsSeedReport[] = [];
  for (let i = 0; i < seeds; i++) reports.push(runOptionsSeed(scenario, scenario.seed + i));
  return optionsScenarioReport(scenario, reports);
}
