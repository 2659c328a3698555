/**
 * The hedging study's scenario file (`kind: hedging`): a policy (usually Whalley-Wilmott)
 * against a sweep of fixed hedging intervals, on the same seeded GBM paths, over several seeds.
 * JSON or YAML; every problem named by its dotted path (`option.expiry_days`).
 *
 * ```yaml
 * kind: hedging
 * name: hedging-ww-vs-interval
 * seed: 1
 * paths: 1000                 # per seed
 * step_minutes: 1             # monitoring grid
 * market: { s0: 100000, sigma: 0.6, mu: 0 }
 * option: { type: call, strike: 100000, expiry_days: 7, amount: -10 }   # negative = short
 * costs: { proportional: 0.0005 }
 * risk_aversion: 0.001        # per USD
 * policy: { kind: whalley-wilmott }   # or { kind: fixed-interval, interval_minutes: 60 }
 *                                     # or { kind: band, band: 0.5, rehedge_to: edge | target }
 * sweep: { interval_minutes: [5, 15, 30, 60] }
 * ```
 *
 * `runHedgeScenario(scenario, seeds)` runs seeds `seed, seed + 1, ...`; for each, the policy
 * and every swept interval on the same paths, the best interval (lowest objective, see
 * `hedging-runner.ts`) and whether the policy beats it.
 */
import { InputError } from '../model/errors.js';
import { Fields, parseDocument } from './fields.js';
import { runHedgingStudy, type HedgingPolicySpec, type HedgingStudy } from './hedging-runner.js';

export interface HedgeScenario {
  kind: 'hedging';
  name: string;
  description: string | undefined;
  study: HedgingStudy;
  policy: HedgingPolicySpec;
  /** Fixed intervals swept, minutes. */
  sweepIntervals: number[];
}

/** Validates a parsed `kind: hedging` document; throws `InputError` naming the dotted path. */
export function validateHedgeScenario(data: unknown): HedgeScenario {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    throw new InputError('scenario', data, 'an object');
  const top = new Fields('', data as Record<string, unknown>, [
    'kind',
    'name',
    'description',
    'seed',
    'paths',
    'step_minutes',
    'market',
    'option',
    'costs',
    'risk_aversion',
    'policy',
    'sweep',
  ]);
  top.text('kind', ['hedging']);
  const name = top.text('name');
  const description = top.data.description === undefined ? undefined : top.text('description');
  const seed = top.number('seed', { integer: true });
  const paths = top.number('paths', { integer: true, min: 2 });
  const stepMinutes = top.number('step_minutes', { above: 0, default: 1 });
  const m = top.child('market', ['s0', 'sigma', 'mu']);
  const market = {
    s0: m.number('s0', { above: 0 }),
    sigma: m.number('sigma', { above: 0 }),
    mu: m.number('mu', { default: 0 }),
  };
  const o = top.child('option', ['type', 'strike', 'expiry_days', 'amount']);
  const option = {
    type: o.text('type', ['call', 'put']) as 'call' | 'put',
    strike: o.number('strike', { above: 0 }),
    expiryDays: o.number('expiry_days', { above: 0 }),
    amount: o.number('amount', { nonZero: true }),
  };
  const c = top.child('costs', ['proportional']);
  const proportionalCost = c.number('proportional', { min: 0 });
  const riskAversion = top.number('risk_aversion', { above: 0 });
  const pr = top.child('policy', ['kind', 'interval_minutes', 'band', 'rehedge_to']);
  const kind = pr.text('kind', ['whalley-wilmott', 'fixed-interval', 'band']);
  let policy: HedgingPolicySpec;
  if (kind === 'whalley-wilmott') {
    new Fields('policy', pr.data, ['kind']);
    policy = { kind };
  } else if (kind === 'fixed-interval') {
    new Fields('policy', pr.data, ['kind', 'interval_minutes']);
    policy = { kind, intervalMinutes: multipleOfStep(pr, 'interval_minutes', stepMinutes) };
  } else {
    new Fields('policy', pr.data, ['kind', 'band', 'rehedge_to']);
    policy = {
      kind: 'band',
      band: pr.number('band', { min: 0 }),
      rehedgeTo: pr.text('rehedge_to', ['edge', 'target'], 'edge') as 'edge' | 'target',
    };
  }
  const sw = top.child('sweep', ['interval_minutes']);
  const list = sw.data.interval_minutes;
  if (!Array.isArray(list) || list.length === 0)
    throw new InputError('sweep.interval_minutes', list, 'a non-empty list of minutes');
  const items = new Fields(
    'sweep.interval_minutes',
    Object.fromEntries(list.map((v, i) => [String(i), v])),
    list.map((_, i) => String(i)),
  );
  const sweepIntervals = list.map((_, i) => multipleOfStep(items, String(i), stepMinutes));
  const steps = (option.expiryDays * 24 * 60) / stepMinutes;
  if (Math.abs(steps - Math.round(steps)) > 1e-9)
    throw new InputError('step_minutes', stepMinutes, 'a step that divides option.expiry_days');
  return {
    kind: 'hedging',
    name,
    description,
    study: { seed, paths, stepMinutes, market, option, proportionalCost, riskAversion },
    policy,
    sweepIntervals,
  };
}

function multipleOfStep(f: Fields, key: string, stepMinutes: number): number {
  const v = f.number(key, { above: 0 });
  const k = v / stepMinutes;
  if (Math.abs(k - Math.round(k)) > 1e-9)
    throw new InputError(f.at(key), v, `a multiple of step_minutes (${stepMinutes})`);
  return v;
}

/** Reads a hedging scenario's text (JSON when it starts with `{`, YAML otherwise). */
export function parseHedgeScenario(text: string, source = 'scenario'): HedgeScenario {
  return validateHedgeScenario(parseDocument(text, source));
}

export interface PolicyFigures {
  meanCost: number;
  pnlStd: number;
  meanPnl: number;
  objective: number;
  certaintyEquivalent: number;
  meanTrades: number;
}

export interface HedgeSeedReport {
  seed: number;
  policy: PolicyFigures;
  intervals: ({ intervalMinutes: number } & PolicyFigures)[];
  bestIntervalMinutes: number;
  bestIntervalObjective: number;
  /** policy objective < best interval's objective. */
  policyWins: boolean;
}

export interface HedgeScenarioReport {
  name: string;
  policy: HedgingPolicySpec;
  riskAversion: number;
  objective: string;
  seeds: HedgeSeedReport[];
  wins: number;
  /** Wins in at least 80% of the seeds (8 of 10). */
  holds: boolean;
}

function figures(r: PolicyFigures): PolicyFigures {
  return {
    meanCost: r.meanCost,
    pnlStd: r.pnlStd,
    meanPnl: r.meanPnl,
    objective: r.objective,
    certaintyEquivalent: r.certaintyEquivalent,
    meanTrades: r.meanTrades,
  };
}

/** The policy and every swept interval for one seed, on the same paths. */
export function runHedgeSeed(scenario: HedgeScenario, seed: number): HedgeSeedReport {
  const policies: HedgingPolicySpec[] = [
    scenario.policy,
    ...scenario.sweepIntervals.map((m) => ({ kind: 'fixed-interval' as const, intervalMinutes: m })),
  ];
  const [main, ...swept] = runHedgingStudy({ ...scenario.study, seed }, policies);
  const intervals = swept.map((r, j) => ({ intervalMinutes: scenario.sweepIntervals[j]!, ...figures(r) }));
  let best = intervals[0]!;
  for (const x of intervals) if (x.objective < best.objective) best = x;
  return {
    seed,
    policy: figures(main!),
    intervals,
    bestIntervalMinutes: best.intervalMinutes,
    bestIntervalObjective: best.objective,
    policyWins: main!.objective < best.objective,
  };
}

/** The report of a scenario from its seeds' reports (in seed order). */
export function hedgeScenarioReport(
  scenario: HedgeScenario,
  reports: HedgeSeedReport[],
): HedgeScenarioReport {
  const wins = reports.filter((r) => r.policyWins).length;
  return {
    name: scenario.name,
    policy: scenario.policy,
    riskAversion: scenario.study.riskAversion,
    objective: 'mean(cost) + (risk_aversion / 2) * var(hedged P&L), USD',
    seeds: reports,
    wins,
    holds: wins >= Math.ceil(0.8 * reports.length),
  };
}

/** Runs the scenario over `seeds` seeds (seed, seed + 1, ...) on this thread: a JSON-ready report. */
export function runHedgeScenario(scenario: HedgeScenario, seeds: number): HedgeScenarioReport {
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new InputError('seeds', seeds, 'an integer >= 1');
  const reports: HedgeSeedReport[] = [];
  for (let i = 0; i < seeds; i++) reports.push(runHedgeSeed(scenario, scenario.study.seed + i));
  return hedgeScenarioReport(scenario, reports);
}
