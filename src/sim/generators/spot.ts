/**
 * Seeded spot paths: geometric Brownian motion, Merton's jump-diffusion and Heston's stochastic
 * volatility. Time is in years (dt in years; 365-day years as the rest of Ballast, `MS_PER_YEAR`),
 * with venue timestamps `startMs + i dt MS_PER_YEAR`. Index 0 is the start (s0, and v0 for
 * Heston); a path of `steps` steps has `steps + 1` points.
 *
 * Randomness: each generator draws from named streams of the `Rng` it is given
 * (`rng.stream('diffusion')`, `'jumps'`, `'variance'`), so that, for one `Rng`, Merton with no
 * jumps gives the GBM path to the last bit, and the jumps do not shift the diffusion's draws.
 *
 * - GBM: dS = mu S dt + sigma S dW, simulated exactly in log space:
 *   ln S(t+dt) = ln S(t) + (mu - sigma^2/2) dt + sigma sqrt(dt) Z.
 * - Merton (R. C. Merton, "Option pricing when underlying stock returns are discontinuous",
 *   J. Financial Economics 3, 1976): the GBM step plus N ~ Poisson(lambda dt) jumps of the log
 *   price, each ~ Normal(muJ, sigmaJ^2), with the drift compensated by -lambda kappa,
 *   kappa = exp(muJ + sigmaJ^2/2) - 1, so that E[S(t)] = S(0) e^(mu t). Exact in distribution at
 *   the grid. Variance of the log return per unit time: sigma^2 + lambda (muJ^2 + sigmaJ^2).
 * - Heston (S. Heston, "A closed-form solution for options with stochastic volatility", RFS 6(2),
 *   1993): dS = mu S dt + sqrt(v) S dW1, dv = kappa (theta - v) dt + xi sqrt(v) dW2,
 *   d<W1, W2> = rho dt, by the full truncation Euler scheme of R. Lord, R. Koekkoek and D. van
 *   Dijk, "A comparison of biased simulation schemes for stochastic volatility models",
 *   Quantitative Finance 10(2), 2010: with v+ = max(v, 0),
 *     v(t+dt) = v + kappa (theta - v+) dt + xi sqrt(v+ dt) Zv,
 *     ln S(t+dt) = ln S + (mu - v+/2) dt + sqrt(v+ dt) (rho Zv + sqrt(1 - rho^2) Zp).
 *   The variance process may go below 0 (it is then treated as 0); `variance` reports v+.
 *   The scheme is biased at order dt: with v > 0 throughout, E[v_n] = theta + (v0 - theta)
 *   (1 - kappa dt)^n, against theta + (v0 - theta) e^(-kappa n dt) in continuous time.
 */
import { InputError } from '../../model/errors.js';
import { MS_PER_YEAR } from '../../model/time.js';
import type { Rng } from '../random.js';

/** A simulated path: `steps + 1` points. */
export interface SpotPath {
  /** Years from the start: i dt. */
  times: Float64Array;
  /** Venue timestamps, ms: startMs + i dt MS_PER_YEAR. */
  timestampMs: Float64Array;
  prices: Float64Array;
}

/** A Heston path: also the instantaneous variance (v+, per year) at each point. */
export interface HestonPath extends SpotPath {
  variance: Float64Array;
}

/** What every path needs. */
export interface PathOptions {
  rng: Rng;
  s0: number;
  /** Drift per year (the log price drifts by mu - variance / 2). Default 0. */
  mu?: number;
  /** Step, years (> 0). */
  dt: number;
  /** Number of steps (integer >= 0). */
  steps: number;
  /** Timestamp of point 0, ms since the epoch. Default 0. */
  startMs?: number;
}

export interface GbmOptions extends PathOptions {
  /** Volatility per sqrt(year). */
  sigma: number;
}

export interface MertonOptions extends GbmOptions {
  /** Jumps per year (>= 0). */
  lambda: number;
  /** Mean of a jump of the log price. */
  jumpMean: number;
  /** Standard deviation of a jump of the log price (>= 0). */
  jumpStd: number;
}

export interface HestonOptions extends PathOptions {
  /** Initial variance (per year, >= 0). */
  v0: number;
  /** Speed of mean reversion (>= 0). */
  kappa: number;
  /** Long-run variance (>= 0). */
  theta: number;
  /** Volatility of variance (>= 0). */
  xi: number;
  /** Correlation of the spot's and the variance's Brownian motions, in [-1, 1]. */
  rho: number;
}

function check(o: PathOptions): void {
  if (!(o.s0 > 0) || o.s0 === Infinity) throw new InputError('s0', o.s0, 'a positive finite price');
  if (!(o.dt > 0) || o.dt === Infinity) throw new InputError('dt', o.dt, 'a positive finite number of years');
  if (!Number.isSafeInteger(o.steps) || o.steps < 0)
    throw new InputError('steps', o.steps, 'an integer >= 0');
  if (o.mu !== undefined && !Number.isFinite(o.mu)) throw new InputError('mu', o.mu, 'a finite number');
}

function nonNegative(field: string, value: number): void {
  if (!(value >= 0) || value === Infinity) throw new InputError(field, value, 'a finite number >= 0');
}

function timeAxis(o: PathOptions): { times: Float64Array; timestampMs: Float64Array } {
  const n = o.steps + 1;
  const times = new Float64Array(n);
  const timestampMs = new Float64Array(n);
  const start = o.startMs ?? 0;
  for (let i = 0; i < n; i++) {
    times[i] = i * o.dt;
    timestampMs[i] = start + i * o.dt * MS_PER_YEAR;
  }
  return { times, timestampMs };
}

/** A GBM path (exact log-space steps). */
export function gbmPath(o: GbmOptions): SpotPath {
  return mertonPath({ ...o, lambda: 0, jumpMean: 0, jumpStd: 0 });
}

/** A Merton jump-diffusion path (exact at the grid); lambda = 0 gives `gbmPath`'s path. */
export function mertonPath(o: MertonOptions): SpotPath {
  check(o);
  nonNegative('sigma', o.sigma);
  nonNegative('lambda', o.lambda);
  nonNegative('jumpStd', o.jumpStd);
  if (!Number.isFinite(o.jumpMean)) throw new InputError('jumpMean', o.jumpMean, 'a finite number');
  const { times, timestampMs } = timeAxis(o);
  const prices = new Float64Array(o.steps + 1);
  const diffusion = o.rng.stream('diffusion');
  const jumps = o.rng.stream('jumps');
  const kappa = Math.exp(o.jumpMean + (o.jumpStd * o.jumpStd) / 2) - 1;
  const drift = ((o.mu ?? 0) - (o.sigma * o.sigma) / 2 - o.lambda * kappa) * o.dt;
  const vol = o.sigma * Math.sqrt(o.dt);
  const jumpRate = o.lambda * o.dt;
  let logS = Math.log(o.s0);
  prices[0] = o.s0;
  for (let i = 1; i <= o.steps; i++) {
    logS += drift + vol * diffusion.normal();
    if (jumpRate > 0) {
      const n = jumps.poisson(jumpRate);
      for (let j = 0; j < n; j++) logS += jumps.normal(o.jumpMean, o.jumpStd);
    }
    prices[i] = Math.exp(logS);
  }
  return { times, timestampMs, prices };
}

/** A Heston path by full truncation Euler (see the module's comment for the scheme and its bias). */
export function hestonPath(o: HestonOptions): HestonPath {
  check(o);
  nonNegative('v0', o.v0);
  nonNegative('kappa', o.kappa);
  nonNegative('theta', o.theta);
  nonNegative('xi', o.xi);
  if (!(o.rho >= -1 && o.rho <= 1)) throw new InputError('rho', o.rho, 'a correlation in [-1, 1]');
  const { times, timestampMs } = timeAxis(o);
  const n = o.steps + 1;
  const prices = new Float64Array(n);
  const variance = new Float64Array(n);
  const spotNormals = o.rng.stream('diffusion');
  const varianceNormals = o.rng.stream('variance');
  const mu = o.mu ?? 0;
  const dt = o.dt;
  const sqrtDt = Math.sqrt(dt);
  const rhoBar = Math.sqrt(1 - o.rho * o.rho);
  let logS = Math.log(o.s0);
  let v = o.v0;
  prices[0] = o.s0;
  variance[0] = v;
  for (let i = 1; i < n; i++) {
    const vPlus = v > 0 ? v : 0;
    const sqrtV = Math.sqrt(vPlus);
    const zv = varianceNormals.normal();
    const zs = o.rho * zv + rhoBar * spotNormals.normal();
    logS += (mu - vPlus / 2) * dt + sqrtV * sqrtDt * zs;
    v += o.kappa * (o.theta - vPlus) * dt + o.xi * sqrtV * sqrtDt * zv;
    prices[i] = Math.exp(logS);
    variance[i] = v > 0 ? v : 0;
  }
  return { times, timestampMs, prices, variance };
}
