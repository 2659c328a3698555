/**
 * The simulation study of Avellaneda and Stoikov, "High-frequency trading in a limit order book",
 * Quantitative Finance 8(3), 2008, section 3.3: the inventory strategy against the symmetric one.
 *
 * The model, as the paper runs it (defaults in `AS2008_SETTINGS`): mid `s0 = 100`, horizon
 * `T = 1`, `sigma = 2`, step `dt = 0.005` (200 steps), `A = 140`, `k = 1.5`, unit orders, no
 * inventory limit. In each step, from the state at its start:
 *
 * 1. each strategy quotes: the inventory strategy the spread
 *    `gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k)` around `r = s - q gamma sigma^2 (T - t)`;
 *    the symmetric strategy the time average of that spread (over the run's steps) around `s`;
 * 2. the bid fills with probability `lambda(delta_b) dt` and the ask with probability
 *    `lambda(delta_a) dt`, `lambda(delta) = A exp(-k delta)`, read literally as the paper writes it
 *    (a value above 1 is a certain fill), one unit each, at the quoted price;
 * 3. the mid moves `+sigma sqrt(dt)` or `-sigma sqrt(dt)` with probability 1/2 each.
 *
 * Profit is `cash + q s_T` at the horizon. Both strategies see the same random draws (common
 * random numbers: one uniform for the bid, one for the ask and one for the mid move in each step
 * of each path), so they face the same mid path and the same order flow.
 *
 * Randomness comes from `Xoshiro128`, seeded from the run's seed with SplitMix32, so a seed gives
 * the same result to the last digit on any platform (32-bit integer arithmetic only; the summation
 * order is fixed). `spread` is averaged over the run's steps and paths (the inventory strategy's
 * spread does not depend on the path, so this is its average over the steps); standard deviations
 * are over paths, with the `n - 1` divisor.
 */
import { InputError } from '../model/errors.js';

/** The paper's parameters (section 3.3). */
export interface As2008Settings {
  s0: number;
  T: number;
  sigma: number;
  dt: number;
  A: number;
  k: number;
}

export const AS2008_SETTINGS: Readonly<As2008Settings> = Object.freeze({
  s0: 100,
  T: 1,
  sigma: 2,
  dt: 0.005,
  A: 140,
  k: 1.5,
});

export interface As2008Options {
  /** Risk aversion, > 0. */
  gamma: number;
  /** Number of simulated paths, an integer >= 2. */
  paths: number;
  /** Seed, an integer in [0, 2^53). */
  seed: number;
}

/** One strategy's row of the paper's tables. */
export interface As2008Stats {
  spread: number;
  profit_mean: number;
  profit_std: number;
  final_q_mean: number;
  final_q_std: number;
}

export interface As2008Result {
  gamma: number;
  paths: number;
  inventory: As2008Stats;
  symmetric: As2008Stats;
}

export const MAX_PATHS = 10_000_000;

/**
 * xoshiro128** (Blackman and Vigna), 32-bit state words, seeded with SplitMix32 so that any seed
 * (including 0) gives a valid, well-mixed state. `next()` is a uniform in [0, 1) on a 2^-32 grid.
 */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    checkSeed(seed);
    // Both halves of the seed enter the SplitMix32 stream.
    let x = (seed % 0x1_0000_0000) >>> 0;
    const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    x ^= hi;
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.d = 1;
  }

  /** The next 32-bit output, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** A uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function checkSeed(seed: number): void {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new InputError('seed', seed, 'an integer in [0, 2^53)');
  }
}

function checkSettings(s: As2008Settings): number {
  for (const field of ['s0', 'T', 'dt', 'A', 'k'] as const) {
    const v = s[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new InputError(field, v, 'a finite number > 0');
  }
  if (typeof s.sigma !== 'number' || !Number.isFinite(s.sigma) || s.sigma < 0) {
    throw new InputError('sigma', s.sigma, 'a finite number >= 0');
  }
  const steps = Math.round(s.T / s.dt);
  if (steps < 1 || Math.abs(steps * s.dt - s.T) > 1e-9 * s.T) {
    throw new InputError('dt', s.dt, `a divisor of T = ${s.T}`);
  }
  return steps;
}

/** The time average over the run's steps of the inventory strategy's spread (what `symmetric` quotes). */
export function averageSpread(gamma: number, settings: As2008Settings = AS2008_SETTINGS): number {
  const steps = checkSettings(settings);
  return mean(spreadSchedule(gamma, settings, steps));
}

function spreadSchedule(gamma: number, s: As2008Settings, steps: number): Float64Array {
  const schedule = new Float64Array(steps);
  const base = (2 / gamma) * Math.log1p(gamma / s.k);
  for (let i = 0; i < steps; i++) schedule[i] = gamma * s.sigma * s.sigma * (s.T - i * s.dt) + base;
  return schedule;
}

function mean(xs: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) sum += xs[i]!;
  return sum / xs.length;
}

function sampleStd(xs: Float64Array, m: number): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i]! - m;
    sum += d * d;
  }
  return Math.sqrt(sum / (xs.length - 1));
}

function stats(spread: number, profit: Float64Array, q: Float64Array): As2008Stats {
  const profitMean = mean(profit);
  const qMean = mean(q);
  return {
    spread,
    profit_mean: profitMean,
    profit_std: sampleStd(profit, profitMean),
    final_q_mean: qMean,
    final_q_std: sampleStd(q, qMean),
  };
}

/** Runs the study for one gamma: `paths` paths of both strategies on common random numbers. */
export function runAs2008(options: As2008Options, settings: As2008Settings = AS2008_SETTINGS): As2008Result {
  const { gamma, paths, seed } = options;
  if (typeof gamma !== 'number' || !Number.isFinite(gamma) || gamma <= 0) {
    throw new InputError('gamma', gamma, 'a finite number > 0');
  }
  if (typeof paths !== 'number' || !Number.isInteger(paths) || paths < 2 || paths > MAX_PATHS) {
    throw new InputError('paths', paths, `an integer from 2 to ${MAX_PATHS}`);
  }
  checkSeed(seed);
  const steps = checkSettings(settings);
  const { s0, T, sigma, dt, A, k } = settings;

  const schedule = spreadSchedule(gamma, settings, steps);
  const symSpread = mean(schedule);
  // Inventory skew per unit of inventory at each step: gamma sigma^2 (T - t).
  const skew = new Float64Array(steps);
  for (let i = 0; i < steps; i++) skew[i] = gamma * sigma * sigma * (T - i * dt);
  const symHalf = symSpread / 2;
  const symFillProbability = A * Math.exp(-k * symHalf) * dt;
  const move = sigma * Math.sqrt(dt);
  const Adt = A * dt;

  const rng = new Xoshiro128(seed);
  const invProfit = new Float64Array(paths);
  const invQ = new Float64Array(paths);
  const symProfit = new Float64Array(paths);
  const symQ = new Float64Array(paths);

  for (let p = 0; p < paths; p++) {
    let s = s0;
    let qi = 0;
    let cashI = 0;
    let qs = 0;
    let cashS = 0;
    for (let i = 0; i < steps; i++) {
      const uBid = rng.next();
      const uAsk = rng.next();
      const uMove = rng.next();

      // Inventory strategy: spread around the reservation price r = s - q gamma sigma^2 (T - t).
      const half = schedule[i]! / 2;
      const r = s - qi * skew[i]!;
      const bid = r - half;
      const ask = r + half;
      if (uBid < Adt * Math.exp(-k * (s - bid))) {
        qi += 1;
        cashI -= bid;
      }
      if (uAsk < Adt * Math.exp(-k * (ask - s))) {
        qi -= 1;
        cashI += ask;
      }

      // Symmetric strategy: the average spread around the mid.
      if (uBid < symFillProbability) {
        qs += 1;
        cashS -= s - symHalf;
      }
      if (uAsk < symFillProbability) {
        qs -= 1;
        cashS += s + symHalf;
      }

      s += uMove < 0.5 ? move : -move;
    }
    invProfit[p] = cashI + qi * s;
    invQ[p] = qi;
    symProfit[p] = cashS + qs * s;
    symQ[p] = qs;
  }

  return {
    gamma,
    paths,
    inventory: stats(symSpread, invProfit, invQ),
    symmetric: stats(symSpread, symProfit, symQ),
  };
}
