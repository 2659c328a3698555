/**
 * The hedging study: an option position delta-hedged in a GBM market with proportional
 * transaction costs, under several policies on the same seeded paths (common random numbers,
 * so that policies are compared on identical markets).
 *
 * Model (the textbook setting of Whalley and Wilmott, Mathematical Finance 7(3), 1997): a
 * USD-valued (linear) option on the spot, Black-Scholes with zero rate, sold (or bought) at its
 * model price at t = 0; the hedge is the underlying itself, traded at the grid's prices with a
 * cost `lambda |n| S` per trade of n units. The spot follows GBM (`gbmPath`, drift mu); the
 * hedger monitors it every `stepMinutes`. At expiry the option pays on the final spot and the
 * hedge is held to expiry without an exit trade (it stands for the future of the option's expiry,
 * which delivers at the same price: see `instrument-choice.ts`).
 *
 * Per path: cost = sum of lambda |trade| S; hedged P&L = option P&L + hedge P&L - cost.
 *
 * Objective ("cost plus risk" for risk aversion gamma, per USD):
 *     mean(cost) + (gamma / 2) var(hedged P&L).
 * This is minus the mean-variance certainty equivalent of exponential utility -exp(-gamma W)
 * (exact for normal P&L) with the model's zero expected hedging error in place of the sample
 * mean of the gross P&L: Whalley-Wilmott's band is optimal for that same utility, so the
 * comparison is on the criterion the band was derived for. The exact certainty equivalent,
 * -(1/gamma) ln mean(exp(-gamma W)), is also reported (`certaintyEquivalent`), but it is not
 * the objective: with gamma times the P&L's spread of several units it is dominated by a few
 * tail paths and so is a noisy way to rank policies on 1000 paths.
 */
import { InputError } from '../model/errors.js';
import { normCdf, normPdf } from '../pricing/normal.js';
import { Rng } from '../sim/random.js';
import { gbmPath } from '../sim/generators/spot.js';
import { whalleyWilmottHalfWidth } from '../strategy/hedging/policies.js';

const MINUTES_PER_YEAR = 365 * 24 * 60;

export type HedgingPolicySpec =
  | { kind: 'whalley-wilmott' }
  | { kind: 'fixed-interval'; intervalMinutes: number }
  | { kind: 'band'; band: number; rehedgeTo: 'edge' | 'target' };

export interface HedgingStudy {
  seed: number;
  paths: number;
  /** Monitoring step, minutes (the grid of the spot path). */
  stepMinutes: number;
  market: { s0: number; sigma: number; mu: number };
  /** amount: contracts of one unit of underlying, signed (negative = short). */
  option: { type: 'call' | 'put'; strike: number; expiryDays: number; amount: number };
  /** Proportional cost lambda (0.0005 = 5 bps). */
  proportionalCost: number;
  /** Absolute risk aversion gamma, per USD. */
  riskAversion: number;
}

export interface PolicyResult {
  policy: HedgingPolicySpec;
  /** Per path. */
  cost: Float64Array;
  hedgedPnl: Float64Array;
  meanCost: number;
  meanPnl: number;
  pnlStd: number;
  /** mean(cost) + (gamma/2) var(hedged P&L). */
  objective: number;
  /** -(1/gamma) ln mean(exp(-gamma hedged P&L)). */
  certaintyEquivalent: number;
  meanTrades: number;
}

/** Black-Scholes (zero rate) delta and gamma of one unit, and price. */
function bs(
  type: 'call' | 'put',
  s: number,
  k: number,
  tau: number,
  sigma: number,
): [number, number, number] {
  const sd = sigma * Math.sqrt(tau);
  const d1 = (Math.log(s / k) + 0.5 * sd * sd) / sd;
  const d2 = d1 - sd;
  const nd1 = normCdf(d1);
  const gamma = normPdf(d1) / (s * sd);
  if (type === 'call') return [nd1, gamma, s * nd1 - k * normCdf(d2)];
  return [nd1 - 1, gamma, k * normCdf(-d2) - s * normCdf(-d1)];
}

/** Checks a study's fields; throws `InputError` naming the field. */
export function checkHedgingStudy(s: HedgingStudy): void {
  if (!Number.isSafeInteger(s.seed)) throw new InputError('seed', s.seed, 'an integer');
  if (!Number.isSafeInteger(s.paths) || s.paths < 2)
    throw new InputError('paths', s.paths, 'an integer >= 2');
  if (!(s.stepMinutes > 0))
    throw new InputError('step_minutes', s.stepMinutes, 'a positive number of minutes');
  if (!(s.market.s0 > 0)) throw new InputError('market.s0', s.market.s0, 'a positive price');
  if (!(s.market.sigma > 0)) throw new InputError('market.sigma', s.market.sigma, 'a positive volatility');
  if (!Number.isFinite(s.market.mu)) throw new InputError('market.mu', s.market.mu, 'a finite number');
  if (s.option.type !== 'call' && s.option.type !== 'put')
    throw new InputError('option.type', s.option.type, 'call or put');
  if (!(s.option.strike > 0)) throw new InputError('option.strike', s.option.strike, 'a positive price');
  if (!(s.option.expiryDays > 0))
    throw new InputError('option.expiry_days', s.option.expiryDays, 'a positive number');
  if (!Number.isFinite(s.option.amount) || s.option.amount === 0)
    throw new InputError('option.amount', s.option.amount, 'a non-zero number');
  const steps = (s.option.expiryDays * 24 * 60) / s.stepMinutes;
  if (Math.abs(steps - Math.round(steps)) > 1e-9)
    throw new InputError('step_minutes', s.stepMinutes, 'a step that divides the option life');
  if (!(s.proportionalCost >= 0))
    throw new InputError('costs.proportional', s.proportionalCost, 'a number >= 0');
  if (!(s.riskAversion > 0)) throw new InputError('risk_aversion', s.riskAversion, 'a positive number');
}

/** Steps of the monitoring grid in one interval of `minutes`; throws unless a whole number. */
function intervalSteps(minutes: number, stepMinutes: number, field: string): number {
  const k = minutes / stepMinutes;
  if (!(minutes > 0) || Math.abs(k - Math.round(k)) > 1e-9 || Math.round(k) < 1)
    throw new InputError(field, minutes, `a positive multiple of the step (${stepMinutes} minutes)`);
  return Math.round(k);
}

/**
 * Runs every policy over the same `study.paths` paths of seed `study.seed` (path p draws from
 * the stream `path-<p>`). Results in the order of `policies`.
 */
export function runHedgingStudy(study: HedgingStudy, policies: readonly HedgingPolicySpec[]): PolicyResult[] {
  checkHedgingStudy(study);
  const { market, option } = study;
  const steps = Math.round((option.expiryDays * 24 * 60) / study.stepMinutes);
  const dt = study.stepMinutes / MINUTES_PER_YEAR;
  const T = steps * dt;
  const lambda = study.proportionalCost;
  const n = option.amount;
  const every = policies.map((p, i) =>
    p.kind === 'fixed-interval' ? intervalSteps(p.intervalMinutes, study.stepMinutes, `sweep[${i}]`) : 0,
  );
  policies.forEach((p, i) => {
    if (p.kind === 'band' && !(p.band >= 0))
      throw new InputError(`policies[${i}].band`, p.band, 'a number >= 0');
  });
  const [, , premium] = bs(option.type, market.s0, option.strike, T, market.sigma);
  const results = policies.map((policy) => ({
    policy,
    cost: new Float64Array(study.paths),
    hedgedPnl: new Float64Array(study.paths),
    trades: 0,
  }));
  const hedgeDelta = new Float64Array(steps); // the hedge that offsets the position: -n delta
  const bandWw = new Float64Array(steps);
  const root = new Rng(study.seed);
  for (let p = 0; p < study.paths; p++) {
    const path = gbmPath({
      rng: root.stream(`path-${p}`),
      s0: market.s0,
      mu: market.mu,
      sigma: market.sigma,
      dt,
      steps,
    });
    const s = path.prices;
    for (let i = 0; i < steps; i++) {
      const tau = T - i * dt;
      const [delta, gamma] = bs(option.type, s[i]!, option.strike, tau, market.sigma);
      hedgeDelta[i] = -n * delta;
      bandWw[i] = whalleyWilmottHalfWidth({
        spot: s[i]!,
        gamma: n * gamma,
        proportionalCost: lambda,
        riskAversion: study.riskAversion,
        timeToExpiry: tau,
      });
    }
    const sT = s[steps]!;
    const payoff = option.type === 'call' ? Math.max(sT - option.strike, 0) : Math.max(option.strike - sT, 0);
    const optionPnl = n * (payoff - premium);
    results.forEach((r, j) => {
      const policy = r.policy;
      let h = 0;
      let cost = 0;
      let hedgePnl = 0;
      let trades = 0;
      for (let i = 0; i < steps; i++) {
        const si = s[i]!;
        const target = hedgeDelta[i]!;
        let next = h;
        if (policy.kind === 'fixed-interval') {
          if (i % every[j]! === 0) next = target;
        } else {
          const band = policy.kind === 'band' ? policy.band : bandWw[i]!;
          const dev = h - target;
          if (Math.abs(dev) > band) {
            next =
              policy.kind === 'band' && policy.rehedgeTo === 'target'
                ? target
                : target + Math.sign(dev) * band;
          }
        }
        if (next !== h) {
          cost += lambda * Math.abs(next - h) * si;
          trades++;
          h = next;
        }
        hedgePnl += h * (s[i + 1]! - si);
      }
      r.cost[p] = cost;
      r.hedgedPnl[p] = optionPnl + hedgePnl - cost;
      r.trades += trades;
    });
  }
  return results.map((r) => {
    const meanCost = mean(r.cost);
    const meanPnl = mean(r.hedgedPnl);
    let v = 0;
    for (const x of r.hedgedPnl) v += (x - meanPnl) * (x - meanPnl);
    v /= r.hedgedPnl.length - 1;
    // Certainty equivalent, computed stably by shifting by the minimum of -gamma W.
    const g = study.riskAversion;
    let maxLoss = -Infinity;
    for (const x of r.hedgedPnl) maxLoss = Math.max(maxLoss, -g * x);
    let sum = 0;
    for (const x of r.hedgedPnl) sum += Math.exp(-g * x - maxLoss);
    const ce = -(maxLoss + Math.log(sum / r.hedgedPnl.length)) / g;
    return {
      policy: r.policy,
      cost: r.cost,
      hedgedPnl: r.hedgedPnl,
      meanCost,
      meanPnl,
      pnlStd: Math.sqrt(v),
      objective: meanCost + (g / 2) * v,
      certaintyEquivalent: ce,
      meanTrades: r.trades / study.paths,
    };
  });
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
