/**
 * The scenario file of `ballast backtest`: a committed, validated description of a run, so
 * that a claim about a strategy is a file anyone can rerun. JSON or YAML; every problem named
 * by its path (`strategy.gamma`). Documented in `docs/backtest.md`.
 *
 * ```yaml
 * name: as-btc-perpetual
 * seed: 1
 * instrument: BTC-PERPETUAL        # an inverse perpetual or future: amounts in USD
 * start: 2026-01-01T00:00:00Z
 * duration_s: 3600
 * step_ms: 1000                    # the quoter's clock and the mid path's grid
 * market: { model: gbm, s0: 100000, sigma: 0.6 }   # or merton (lambda, jump_mean, jump_std), heston (v0, kappa, theta, xi, rho)
 * flow: { rate_per_s: 1, k: 0.02, size_usd: 1000, size_log_std: 0.5, informed_share: 0, informed_horizon_ms: 10000 }
 * strategy: { kind: avellaneda-stoikov, gamma: 0.1, k: 0.02, quote_size_usd: 1000, max_inventory: 20 }
 * latency: { model: constant, ms: 20 }                # or { model: empirical, samples_ms: [...] }
 * fees: { maker: 0, taker: 0.0005 }                   # optional, shares of notional; default the venue's
 * sweep: { strategy.gamma: [0.00001, 0.0001], flow.informed_share: [0, 0.2] }   # optional
 * ```
 *
 * `sweep` (optional) names fields by their dotted path and the values each takes: the scenario
 * runs for every combination (the cartesian product, in the order written), each combination
 * validated as a whole scenario (`parseScenarioSweep`).
 */
import { InputError } from '../model/errors.js';
import type { RequestKind } from '../strategy/rate-budget.js';
import type { CancelRulesConfig } from '../strategy/cancel-rules.js';
import { Fields, parseDocument } from './fields.js';

export type MarketModel =
  | { model: 'gbm'; s0: number; sigma: number; mu: number }
  | {
      model: 'merton';
      s0: number;
      sigma: number;
      mu: number;
      lambda: number;
      jumpMean: number;
      jumpStd: number;
    }
  | {
      model: 'heston';
      s0: number;
      mu: number;
      v0: number;
      kappa: number;
      theta: number;
      xi: number;
      rho: number;
    }
  | RecordedMarket;

/**
 * Recorded data as the market: the instrument's book and trades from a Deribit notification file
 * (`.jsonl[.gz]`) or a Tardis CSV file, `file` relative to the scenario file. The quoter's sigma
 * (per sqrt(year)) is given; own quotes fill against the recorded trades through a queue model
 * (`src/sim/queue.ts`: `risk-averse` or `probabilistic`).
 */
export interface RecordedMarket {
  model: 'recorded';
  file: string;
  format: 'deribit-jsonl' | 'tardis-csv' | undefined;
  queue: 'risk-averse' | 'probabilistic';
  sigma: number;
}

export interface FlowSpec {
  /** Uninformed taker orders per second on each side (A). */
  ratePerSecond: number;
  /** Decay of the orders' reach, per USD (k): an order reaches a quote at distance d with probability e^{-k d}. */
  k: number;
  /** Median order size, USD, and the log standard deviation of the lognormal sizes. */
  sizeUsd: number;
  sizeLogStd: number;
  /** Share of an extra informed flow's trades whose side follows the mid's move over `informedHorizonMs`. */
  informedShare: number;
  informedRatePerSecond: number;
  informedHorizonMs: number;
  /** Clustered large orders (`burstFlow`); undefined: none. */
  bursts: BurstSpec | undefined;
}

/**
 * Bursts of large taker orders (`src/sim/generators/flow.ts` `burstFlow`): burst starts per
 * second, mean orders per burst, mean gap between them, lognormal sizes, the share of buying
 * bursts, and the reach decay `k` (per USD; undefined: market orders that sweep every quote).
 */
export interface BurstSpec {
  ratePerSecond: number;
  meanOrders: number;
  meanGapMs: number;
  sizeUsd: number;
  sizeLogStd: number;
  buyShare: number;
  k: number | undefined;
}

/**
 * Market maker protection on the quotes (`private/set_mmp_config`): within a window of
 * `intervalMs` from its first fill, traded quantity beyond `quantityLimitUsd` cancels the quotes
 * and refuses new ones for `frozenMs`.
 */
export interface MmpSpec {
  intervalMs: number;
  frozenMs: number;
  quantityLimitUsd: number;
}

/**
 * The maker's connection: whether cancel-on-disconnect is on, and when the connection drops
 * (`atS` seconds into the run, for `forS` seconds: no requote reaches the exchange meanwhile).
 */
export interface ConnectionSpec {
  cancelOnDisconnect: boolean;
  drops: { atS: number; forS: number }[];
}

export interface StrategySpec {
  /**
   * `avellaneda-stoikov` (finite horizon: the run's end), `as-stationary` (the paper's
   * infinite-horizon form, inventory bound `max_inventory`), `glft` (Gueant-Lehalle-Fernandez-Tapia's
   * closed-form approximation; `form: exact` takes their model's asymptotic quotes with the bound),
   * or `symmetric` (a fixed spread around the mid: that of `spread_of`).
   */
  kind: 'avellaneda-stoikov' | 'as-stationary' | 'glft' | 'symmetric';
  /** Risk aversion, per USD of inventory risk: inventory counted in quote sizes. */
  gamma: number;
  /** The fill-intensity decay the quoter assumes, per USD. */
  k: number;
  quoteSizeUsd: number;
  /** No quote on the side that would take |inventory| (in quote sizes) beyond this. */
  maxInventory: number;
  /** The fill intensity at the mid the quoter assumes, per second (GLFT's A); needed by `glft`. */
  a: number | undefined;
  /** `as-stationary`'s discount omega, per second; default the paper's `gamma^2 sigma^2 (qMax + 1)^2 / 2`. */
  omega: number | undefined;
  /** GLFT: the closed-form approximation (default) or the exact asymptotic quotes. */
  form: 'approx' | 'exact';
  /** The symmetric quoter's spread: the AS spread averaged over the run (default) or GLFT's at q = 0. */
  spreadOf: 'avellaneda-stoikov' | 'glft';
  /** Quotes sent as MMP orders under this protection; undefined: plain post-only orders. */
  mmp: MmpSpec | undefined;
  /** Cancellation rules (`strategy.cancel`); undefined: none. */
  cancel?: CancelSpec | undefined;
  /** Parameters estimated online (`strategy.estimate`); undefined: the configured ones throughout. */
  estimate?: EstimateSpec | undefined;
}

/**
 * Online estimation: the quoter's sigma from the mid's ticks (`TapeVolatility`, price returns,
 * half-life `sigmaHalfLifeS`), its k (and GLFT's A) from its own quotes' exposure
 * (`IntensityEstimator`: distance from the mid at placement, time resting, fills; half-life
 * `intensityHalfLifeS`, distances binned at `distanceStepUsd`); the configured values are the
 * prior until `minFills` weighted fills.
 */
export interface EstimateSpec {
  sigmaHalfLifeS: number;
  intensityHalfLifeS: number;
  distanceStepUsd: number;
  minFills: number;
}

/**
 * The cancellation rules of `src/strategy/cancel-rules.ts` in a run (`strategy.cancel`):
 * `enabled: false` keeps the section (and the report's counters) but never consults the rules,
 * so a sweep over `strategy.cancel.enabled` compares the same quoter with and without them on
 * the same draws. `rules` is plain data (no `underlyingOf`: one instrument, its own underlying);
 * windows are absolute times, ms.
 */
export interface CancelSpec {
  enabled: boolean;
  rules: CancelRulesConfig;
}

/**
 * The venue's rate-limit credits (`rate_limit`, `src/strategy/rate-budget.ts`): a pool of
 * `maxCredits` refilled at `refillPerSecond`, each request costing `costs[kind]`, `reserve`
 * credits kept for cancels; a cancel that cannot be paid for ends the session.
 */
export interface RateLimitSpec {
  maxCredits: number;
  refillPerSecond: number;
  costs: Record<RequestKind, number>;
  reserve: number;
}

/** Fees as shares of the notional (negative maker = a rebate); default the venue's table. */
export interface FeeSpec {
  maker: number;
  taker: number;
}

export type LatencySpec = { model: 'constant'; ms: number } | { model: 'empirical'; samplesMs: number[] };

export interface Scenario {
  name: string;
  seed: number;
  instrument: string;
  startMs: number;
  durationS: number;
  /**
   * Session length, s (default the run): the finite-horizon quoter's T, and the inventory left
   * at each session's end is closed at the mid (no fee, not counted as a fill) so the next one
   * starts flat; the report gives each session's final inventory and P&L.
   */
  sessionS: number;
  stepMs: number;
  market: MarketModel;
  flow: FlowSpec;
  strategy: StrategySpec;
  latency: LatencySpec;
  /** Undefined: the venue's fees for the instrument (`DERIBIT_FEES`). */
  fees: FeeSpec | undefined;
  /** Default: no drop, cancel-on-disconnect off. */
  connection: ConnectionSpec;
  /** Rate-limit credits as a hard budget; undefined: unlimited (nothing counted). */
  rateLimit?: RateLimitSpec | undefined;
}

/** The kind a scenario document names: `quoting` (this module's, the default) or `hedging` (`hedge-scenario.ts`). */
export function scenarioKind(data: unknown): string {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return 'quoting';
  const kind = (data as Record<string, unknown>).kind;
  return typeof kind === 'string' ? kind : 'quoting';
}

export { parseDocument };

/** Reads a scenario's text (JSON when it starts with `{`, YAML otherwise); a `sweep` is refused here. */
export function parseScenario(text: string, source = 'scenario'): Scenario {
  return validateScenario(parseDocument(text, source));
}

/** One combination of a sweep: the values set (by dotted path) and the scenario they give. */
export interface ScenarioVariant {
  params: Record<string, unknown>;
  scenario: Scenario;
}

/** Reads a scenario with an optional `sweep`: every combination, validated (see the module comment). */
export function parseScenarioSweep(text: string, source = 'scenario'): ScenarioVariant[] {
  const data = parseDocument(text, source);
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new InputError('scenario', data, 'an object');
  const { sweep, ...base } = data as Record<string, unknown>;
  if (sweep === undefined) return [{ params: {}, scenario: validateScenario(base) }];
  if (sweep === null || typeof sweep !== 'object' || Array.isArray(sweep))
    throw new InputError('sweep', sweep, 'an object of field paths to lists of values');
  const axes = Object.entries(sweep as Record<string, unknown>);
  if (axes.length === 0) throw new InputError('sweep', sweep, 'at least one field to sweep');
  for (const [path, values] of axes) {
    if (!/^[a-z_]+(\.[a-z_0-9]+)*$/.test(path))
      throw new InputError(`sweep.${path}`, path, 'a dotted field path such as strategy.gamma');
    if (!Array.isArray(values) || values.length === 0)
      throw new InputError(`sweep.${path}`, values, 'a non-empty list of values');
  }
  let combos: Record<string, unknown>[] = [{}];
  for (const [path, values] of axes) {
    combos = combos.flatMap((c) => (values as unknown[]).map((v) => ({ ...c, [path]: v })));
  }
  return combos.map((params) => {
    const doc = structuredClone(base);
    for (const [path, value] of Object.entries(params)) setPath(doc, path, value);
    try {
      return { params, scenario: validateScenario(doc) };
    } catch (error) {
      if (error instanceof InputError) {
        throw new InputError(`${error.field} (sweep ${JSON.stringify(params)})`, error.value, error.expected);
      }
      throw error;
    }
  });
}

function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: Record<string, unknown> = doc;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      throw new InputError(`sweep.${path}`, path, `a path into the scenario (${key} is not an object)`);
    }
    node = next as Record<string, unknown>;
  }
  node[keys[keys.length - 1] as string] = value;
}

/** Validates a parsed scenario (see the module comment); throws `InputError` naming the path. */
export function validateScenario(data: unknown): Scenario {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new InputError('scenario', data, 'an object');
  const r = new Fields('', data as Record<string, unknown>, [
    'kind',
    'name',
    'description',
    'seed',
    'instrument',
    'start',
    'duration_s',
    'session_s',
    'step_ms',
    'market',
    'flow',
    'strategy',
    'latency',
    'fees',
    'connection',
    'rate_limit',
  ]);
  r.text('kind', ['quoting'], 'quoting');
  const instrument = r.text('instrument');
  if (!/^[A-Z]+-(PERPETUAL|\d{1,2}[A-Z]{3}\d{2})$/.test(instrument)) {
    throw new InputError(
      'instrument',
      instrument,
      'an inverse perpetual or future (BTC-PERPETUAL, BTC-27DEC24)',
    );
  }
  const startText = r.text('start');
  const startMs = Date.parse(startText);
  if (!Number.isFinite(startMs)) throw new InputError('start', startText, 'an ISO 8601 time');
  const m = r.data.market;
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new InputError('market', m, 'an object');
  const model = (m as Record<string, unknown>).model;
  const marketFields: Record<string, readonly string[]> = {
    gbm: ['model', 's0', 'sigma', 'mu'],
    merton: ['model', 's0', 'sigma', 'mu', 'lambda', 'jump_mean', 'jump_std'],
    heston: ['model', 's0', 'mu', 'v0', 'kappa', 'theta', 'xi', 'rho'],
    recorded: ['model', 'file', 'format', 'queue', 'sigma'],
  };
  if (typeof model !== 'string' || marketFields[model] === undefined) {
    throw new InputError('market.model', model, 'one of gbm, merton, heston, recorded');
  }
  const mr = r.child('market', marketFields[model] as readonly string[]);
  let market: MarketModel;
  if (model === 'recorded') {
    const format =
      mr.data.format === undefined ? undefined : mr.text('format', ['deribit-jsonl', 'tardis-csv']);
    const queue =
      mr.data.queue === undefined ? 'risk-averse' : mr.text('queue', ['risk-averse', 'probabilistic']);
    market = {
      model: 'recorded',
      file: mr.text('file'),
      format: format as RecordedMarket['format'],
      queue: queue as RecordedMarket['queue'],
      sigma: mr.number('sigma', { above: 0 }),
    };
  } else {
    const s0 = mr.number('s0', { above: 0 });
    const mu = mr.number('mu', { default: 0 });
    market =
      model === 'gbm'
        ? { model, s0, mu, sigma: mr.number('sigma', { min: 0 }) }
        : model === 'merton'
          ? {
              model,
              s0,
              mu,
              sigma: mr.number('sigma', { min: 0 }),
              lambda: mr.number('lambda', { min: 0 }),
              jumpMean: mr.number('jump_mean'),
              jumpStd: mr.number('jump_std', { min: 0 }),
            }
          : {
              model: 'heston',
              s0,
              mu,
              v0: mr.number('v0', { min: 0 }),
              kappa: mr.number('kappa', { min: 0 }),
              theta: mr.number('theta', { min: 0 }),
              xi: mr.number('xi', { min: 0 }),
              rho: mr.number('rho', { min: -1, max: 1 }),
            };
  }
  const fr = r.child('flow', [
    'rate_per_s',
    'k',
    'size_usd',
    'size_log_std',
    'informed_share',
    'informed_rate_per_s',
    'informed_horizon_ms',
    'bursts',
  ]);
  const flow: FlowSpec = {
    ratePerSecond: fr.number('rate_per_s', { min: 0 }),
    k: fr.number('k', { above: 0 }),
    sizeUsd: fr.number('size_usd', { above: 0 }),
    sizeLogStd: fr.number('size_log_std', { min: 0, default: 0 }),
    informedShare: fr.number('informed_share', { min: 0, max: 1, default: 0 }),
    informedRatePerSecond: fr.number('informed_rate_per_s', { min: 0, default: 0 }),
    informedHorizonMs: fr.number('informed_horizon_ms', { above: 0, default: 10_000 }),
    bursts: undefined,
  };
  if (fr.data.bursts !== undefined) {
    const br = fr.child('bursts', [
      'rate_per_s',
      'mean_orders',
      'mean_gap_ms',
      'size_usd',
      'size_log_std',
      'buy_share',
      'k',
    ]);
    flow.bursts = {
      ratePerSecond: br.number('rate_per_s', { min: 0 }),
      meanOrders: br.number('mean_orders', { min: 1 }),
      meanGapMs: br.number('mean_gap_ms', { above: 0 }),
      sizeUsd: br.number('size_usd', { above: 0 }),
      sizeLogStd: br.number('size_log_std', { min: 0, default: 0 }),
      buyShare: br.number('buy_share', { min: 0, max: 1, default: 0.5 }),
      k: br.data.k === undefined ? undefined : br.number('k', { above: 0 }),
    };
  }
  const sr = r.child('strategy', [
    'kind',
    'gamma',
    'k',
    'a',
    'omega',
    'form',
    'spread_of',
    'quote_size_usd',
    'max_inventory',
    'mmp',
    'cancel',
    'estimate',
  ]);
  let mmp: MmpSpec | undefined;
  if (sr.data.mmp !== undefined) {
    const mr2 = sr.child('mmp', ['interval_ms', 'frozen_ms', 'quantity_limit_usd']);
    mmp = {
      intervalMs: mr2.number('interval_ms', { above: 0 }),
      frozenMs: mr2.number('frozen_ms', { above: 0 }),
      quantityLimitUsd: mr2.number('quantity_limit_usd', { above: 0 }),
    };
  }
  const strategy: StrategySpec = {
    kind: sr.text('kind', [
      'avellaneda-stoikov',
      'as-stationary',
      'glft',
      'symmetric',
    ]) as StrategySpec['kind'],
    gamma: sr.number('gamma', { above: 0 }),
    k: sr.number('k', { above: 0 }),
    a: sr.data.a === undefined ? undefined : sr.number('a', { above: 0 }),
    omega: sr.data.omega === undefined ? undefined : sr.number('omega', { above: 0 }),
    form: (sr.data.form === undefined
      ? 'approx'
      : sr.text('form', ['approx', 'exact'])) as StrategySpec['form'],
    spreadOf: (sr.data.spread_of === undefined
      ? 'avellaneda-stoikov'
      : sr.text('spread_of', ['avellaneda-stoikov', 'glft'])) as StrategySpec['spreadOf'],
    quoteSizeUsd: sr.number('quote_size_usd', { above: 0 }),
    maxInventory: sr.number('max_inventory', { min: 0, integer: true, default: 20 }),
    mmp,
  };
  if (sr.data.cancel !== undefined) strategy.cancel = cancelSpec(sr.child('cancel', CANCEL_FIELDS), startMs);
  if (sr.data.estimate !== undefined) {
    const er = sr.child('estimate', [
      'sigma_half_life_s',
      'intensity_half_life_s',
      'distance_step_usd',
      'min_fills',
    ]);
    strategy.estimate = {
      sigmaHalfLifeS: er.number('sigma_half_life_s', { above: 0, default: 600 }),
      intensityHalfLifeS: er.number('intensity_half_life_s', { above: 0, default: 1800 }),
      distanceStepUsd: er.number('distance_step_usd', { above: 0, default: 0.5 }),
      minFills: er.number('min_fills', { min: 1, default: 20 }),
    };
    if (strategy.kind === 'symmetric')
      throw new InputError(
        'strategy.estimate',
        sr.data.estimate,
        'no estimate for the symmetric quoter (its spread is fixed)',
      );
    if (strategy.kind === 'glft' && strategy.form === 'exact')
      throw new InputError(
        'strategy.estimate',
        sr.data.estimate,
        "GLFT's closed form (form: approx) when estimating online",
      );
  }
  const needsA = strategy.kind === 'glft' || (strategy.kind === 'symmetric' && strategy.spreadOf === 'glft');
  if (needsA && strategy.a === undefined)
    throw new InputError(
      'strategy.a',
      undefined,
      'the fill intensity at the mid, per second (GLFT needs it)',
    );
  if (strategy.kind === 'as-stationary' && strategy.maxInventory < 1)
    throw new InputError(
      'strategy.max_inventory',
      strategy.maxInventory,
      'an inventory bound >= 1 (as-stationary)',
    );
  const lr = r.child('latency', ['model', 'ms', 'samples_ms']);
  const latencyModel = lr.text('model', ['constant', 'empirical']);
  let latency: LatencySpec;
  if (latencyModel === 'constant') latency = { model: 'constant', ms: lr.number('ms', { min: 0 }) };
  else {
    const samples = lr.data.samples_ms;
    if (
      !Array.isArray(samples) ||
      samples.length === 0 ||
      !samples.every((x) => typeof x === 'number' && x >= 0 && Number.isFinite(x))
    ) {
      throw new InputError('latency.samples_ms', samples, 'a non-empty list of delays in ms >= 0');
    }
    latency = { model: 'empirical', samplesMs: samples as number[] };
  }
  let fees: FeeSpec | undefined;
  if (r.data.fees !== undefined) {
    const fe = r.child('fees', ['maker', 'taker']);
    fees = {
      maker: fe.number('maker', { min: -0.01, max: 0.01 }),
      taker: fe.number('taker', { min: -0.01, max: 0.01 }),
    };
  }
  const connection: ConnectionSpec = { cancelOnDisconnect: false, drops: [] };
  if (r.data.connection !== undefined) {
    const cr = r.child('connection', ['cancel_on_disconnect', 'drops']);
    const cod = cr.data.cancel_on_disconnect ?? false;
    if (typeof cod !== 'boolean')
      throw new InputError('connection.cancel_on_disconnect', cod, 'true or false');
    connection.cancelOnDisconnect = cod;
    const drops = cr.data.drops ?? [];
    if (!Array.isArray(drops)) throw new InputError('connection.drops', drops, 'a list of {at_s, for_s}');
    let lastEnd = -Infinity;
    drops.forEach((d: unknown, i) => {
      if (d === null || typeof d !== 'object' || Array.isArray(d))
        throw new InputError(`connection.drops.${i}`, d, 'an object {at_s, for_s}');
      const dr = new Fields(`connection.drops.${i}`, d as Record<string, unknown>, ['at_s', 'for_s']);
      const atS = dr.number('at_s', { min: 0 });
      const forS = dr.number('for_s', { above: 0 });
      if (atS < lastEnd)
        throw new InputError(
          `connection.drops.${i}.at_s`,
          atS,
          `a time after the previous drop ends (${lastEnd} s)`,
        );
      lastEnd = atS + forS;
      connection.drops.push({ atS, forS });
    });
  }
  const rateLimit = r.data.rate_limit === undefined ? undefined : rateLimitSpec(r);
  const durationS = r.number('duration_s', { above: 0 });
  const stepMs = r.number('step_ms', { above: 0, integer: true });
  if (durationS * 1000 < stepMs)
    throw new InputError('duration_s', durationS, `at least one step (${stepMs} ms)`);
  const sessionS = r.number('session_s', { above: 0, default: durationS });
  const sessionSteps = (sessionS * 1000) / stepMs;
  if (!Number.isSafeInteger(sessionSteps))
    throw new InputError('session_s', sessionS, `a whole number of steps (${stepMs} ms)`);
  if (!Number.isSafeInteger(durationS / sessionS))
    throw new InputError('session_s', sessionS, `a divisor of duration_s (${durationS} s)`);
  return {
    name: r.text('name'),
    seed: r.number('seed', { min: 0, integer: true }),
    instrument,
    startMs,
    durationS,
    sessionS,
    stepMs,
    market,
    flow,
    strategy,
    latency,
    fees,
    connection,
    ...(rateLimit === undefined ? {} : { rateLimit }),
  };
}

const CANCEL_FIELDS = ['enabled', 'underlying', 'markouts', 'vpin', 'fill_burst', 'stale', 'windows'];

/** A boolean field (`fallback` when absent). */
function flag(f: Fields, key: string, fallback: boolean): boolean {
  const v = f.data[key] ?? fallback;
  if (typeof v !== 'boolean') throw new InputError(f.at(key), v, 'true or false');
  return v;
}

/** An optional number field. */
function optional(f: Fields, key: string, rule: Parameters<Fields['number']>[1]): number | undefined {
  return f.data[key] === undefined ? undefined : f.number(key, rule);
}

/** Drops the undefined values (the rules' config reads absent and undefined alike; this keeps the object small). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A list field: each element an object of `allowed` fields at `path.i`. */
function list(f: Fields, key: string, allowed: readonly string[]): Fields[] {
  const v = f.data[key];
  if (!Array.isArray(v)) throw new InputError(f.at(key), v, 'a list of objects');
  return v.map((item: unknown, i) => Fields.of(`${f.at(key)}.${i}`, item, allowed));
}

/** `strategy.cancel` (see `CancelSpec`; fields in snake_case, docs/backtest.md). */
function cancelSpec(c: Fields, startMs: number): CancelSpec {
  const rules: CancelRulesConfig = {};
  const cooldown = (f: Fields): number | undefined => optional(f, 'cooldown_ms', { min: 0 });
  if (c.data.underlying !== undefined) {
    const u = c.child('underlying', ['max_move_bps', 'max_move_ticks', 'action', 'cooldown_ms']);
    const maxMoveBps = optional(u, 'max_move_bps', { above: 0 });
    const maxMoveTicks = optional(u, 'max_move_ticks', { above: 0 });
    if (maxMoveBps === undefined && maxMoveTicks === undefined)
      throw new InputError(u.at('max_move_bps'), undefined, 'max_move_bps or max_move_ticks');
    rules.underlying = defined({
      maxMoveBps,
      maxMoveTicks,
      tickSize: maxMoveTicks === undefined ? undefined : 0.5,
      action:
        u.data.action === undefined
          ? undefined
          : (u.text('action', ['requote', 'cancel']) as 'requote' | 'cancel'),
      cooldownMs: cooldown(u),
    });
  }
  if (c.data.markouts !== undefined) {
    rules.markouts = list(c, 'markouts', ['horizon_ms', 'fills', 'threshold', 'cooldown_ms']).map((m) =>
      defined({
        horizonMs: m.number('horizon_ms', { above: 0 }),
        fills: m.number('fills', { min: 1, integer: true }),
        threshold: m.number('threshold'),
        cooldownMs: cooldown(m),
      }),
    );
  }
  if (c.data.vpin !== undefined) {
    const v = c.child('vpin', [
      'bucket_volume_usd',
      'buckets',
      'threshold',
      'classification',
      'sigma',
      'one_sided',
      'cooldown_ms',
    ]);
    rules.vpin = defined({
      bucketVolume: v.number('bucket_volume_usd', { above: 0 }),
      buckets: v.number('buckets', { min: 1, integer: true }),
      threshold: v.number('threshold', { above: 0, max: 1 }),
      classification: v.text('classification', ['bulk', 'aggressor'], 'aggressor') as 'bulk' | 'aggressor',
      sigma: optional(v, 'sigma', { above: 0 }),
      oneSided: flag(v, 'one_sided', false),
      cooldownMs: cooldown(v),
    });
  }
  if (c.data.fill_burst !== undefined) {
    const b = c.child('fill_burst', ['window_ms', 'max_fills', 'max_volume_usd', 'one_sided', 'cooldown_ms']);
    const maxFills = optional(b, 'max_fills', { min: 1, integer: true });
    const maxVolume = optional(b, 'max_volume_usd', { above: 0 });
    if (maxFills === undefined && maxVolume === undefined)
      throw new InputError(b.at('max_fills'), undefined, 'max_fills or max_volume_usd');
    rules.fillBurst = defined({
      windowMs: b.number('window_ms', { above: 0 }),
      maxFills,
      maxVolume,
      oneSided: flag(b, 'one_sided', false),
      cooldownMs: cooldown(b),
    });
  }
  if (c.data.stale !== undefined) {
    const st = c.child('stale', ['max_age_ms', 'cooldown_ms']);
    rules.stale = defined({ maxAgeMs: st.number('max_age_ms', { above: 0 }), cooldownMs: cooldown(st) });
  }
  if (c.data.windows !== undefined) {
    rules.windows = list(c, 'windows', ['start_s', 'end_s', 'label']).map((w, i) => {
      const startS = w.number('start_s', { min: 0 });
      const endS = w.number('end_s', { above: startS });
      return {
        startMs: startMs + startS * 1000,
        endMs: startMs + endS * 1000,
        label: w.data.label === undefined ? `window ${i}` : w.text('label'),
      };
    });
  }
  return { enabled: flag(c, 'enabled', true), rules };
}

/** `rate_limit` (see `RateLimitSpec`). */
function rateLimitSpec(r: Fields): RateLimitSpec {
  const l = r.child('rate_limit', ['max_credits', 'refill_per_s', 'costs', 'reserve']);
  const maxCredits = l.number('max_credits', { above: 0 });
  const k = l.child('costs', ['quote', 'requote', 'cancel', 'hedge']);
  const costs = {
    quote: k.number('quote', { min: 0 }),
    requote: k.number('requote', { min: 0 }),
    cancel: k.number('cancel', { min: 0, max: maxCredits }),
    hedge: k.number('hedge', { min: 0, default: 0 }),
  };
  return {
    maxCredits,
    refillPerSecond: l.number('refill_per_s', { above: 0 }),
    costs,
    reserve: l.number('reserve', { min: 0, max: maxCredits, default: 0 }),
  };
}
