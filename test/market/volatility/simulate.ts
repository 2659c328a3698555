/**
 * Seeded simulation of price paths with known volatility for the estimator tests: mulberry32
 * uniforms (from scripts/generate-fills.ts), Box-Muller normals, geometric Brownian motion on a
 * fine grid, i.i.d. Gaussian microstructure noise on the log price, compound Poisson jumps, and
 * OHLC bars whose highs and lows are those of the continuous path.
 */
import { mulberry32 } from '../../../scripts/generate-fills.js';
import type { OhlcBar } from '../../../src/market/volatility/index.js';

/** Standard normal draws by Box-Muller from a seeded uniform generator (both values used). */
export function normalGenerator(seed: number): { normal: () => number; uniform: () => number } {
  const uniform = mulberry32(seed);
  let spare = NaN;
  const normal = (): number => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = NaN;
      return z;
    }
    let u = uniform();
    while (u === 0) u = uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return { normal, uniform };
}

export interface TickPathOptions {
  seed: number;
  /** Returns over the span (n + 1 ticks, equally spaced). */
  n: number;
  spanMs: number;
  /** Integrated variance of the efficient log price over the span (sigma^2 T). */
  iv: number;
  /** Standard deviation of the i.i.d. Gaussian noise added to each observed log price (0: none). */
  noiseStd?: number;
  /** Expected number of jumps over the span (Poisson); 0: none. */
  jumpIntensity?: number;
  /** Jump sizes: random sign times a magnitude uniform in [jumpMin, jumpMax] (log price). */
  jumpMin?: number;
  jumpMax?: number;
}

export interface TickPath {
  timesMs: Float64Array;
  /** Observed log prices: efficient price plus noise. */
  logPrices: Float64Array;
  /** The jumps that happened (log-price sizes). */
  jumps: number[];
}

/**
 * GBM with constant volatility (log price drift -sigma^2/2 per unit time, zero price drift) from
 * ln 50,000, observed at n + 1 equally spaced times, plus noise and jumps as asked. The jumps
 * land on uniformly drawn returns (compound Poisson with the number of jumps drawn by Knuth's
 * method).
 */
export function simulateTicks(options: TickPathOptions): TickPath {
  const { seed, n, spanMs, iv } = options;
  const noiseStd = options.noiseStd ?? 0;
  const { normal, uniform } = normalGenerator(seed);
  const jumpAt = new Float64Array(n + 1);
  const jumps: number[] = [];
  const intensity = options.jumpIntensity ?? 0;
  if (intensity > 0) {
    const limit = Math.exp(-intensity);
    let count = 0;
    for (let p = uniform(); p > limit; p *= uniform()) count++;
    const jumpMin = options.jumpMin ?? 0.005;
    const jumpMax = options.jumpMax ?? 0.015;
    for (let j = 0; j < count; j++) {
      const index = 1 + Math.floor(uniform() * n);
      const size = (uniform() < 0.5 ? -1 : 1) * (jumpMin + (jumpMax - jumpMin) * uniform());
      jumpAt[index] = (jumpAt[index] as number) + size;
      jumps.push(size);
    }
  }
  const step = Math.sqrt(iv / n);
  const drift = -iv / (2 * n);
  const timesMs = new Float64Array(n + 1);
  const logPrices = new Float64Array(n + 1);
  let x = Math.log(50_000);
  for (let i = 0; i <= n; i++) {
    if (i > 0) x += drift + step * normal() + (jumpAt[i] as number);
    timesMs[i] = Math.round((i * spanMs) / n);
    logPrices[i] = noiseStd > 0 ? x + noiseStd * normal() : x;
  }
  return { timesMs, logPrices, jumps };
}

export interface BarPathOptions {
  seed: number;
  bars: number;
  /** Steps of the fine path inside each bar. */
  steps: number;
  /** Variance of the log price over a whole bar period (overnight part included). */
  variancePerBar: number;
  /** Share of the variance that falls between the previous close and the open (default 0). */
  overnightShare?: number;
  /** Drift of the log price over the bar's trading part (default 0). */
  driftPerBar?: number;
  /**
   * Take the highs and lows of the continuous path (default: each step's Brownian-bridge maximum
   * and minimum drawn exactly given its ends), or only of the `steps + 1` sampled points.
   */
  discrete?: boolean;
}

/**
 * OHLC bars of a Brownian log price. The trading part of each bar is `steps` Gaussian steps;
 * given a step's ends a and b and its variance s^2, the maximum of the Brownian bridge between
 * them has the exact law (a + b + sqrt((b - a)^2 - 2 s^2 ln U)) / 2, U uniform (the reflection
 * principle; the drift does not change the bridge), and the minimum likewise with minus signs.
 * Each step's maximum and minimum are drawn independently given its ends, so the bar's high and
 * low are each exact in law; their joint law is exact unless the path reaches both in the same
 * step, which for a continuous path needs a move of the whole bar's range within one step
 * (probability exponentially small in the number of steps).
 */
export function simulateBars(options: BarPathOptions): OhlcBar[] {
  const { seed, bars, steps, variancePerBar } = options;
  const overnightShare = options.overnightShare ?? 0;
  const driftPerBar = options.driftPerBar ?? 0;
  const { normal, uniform } = normalGenerator(seed);
  const stepVariance = ((1 - overnightShare) * variancePerBar) / steps;
  const stepSd = Math.sqrt(stepVariance);
  const overnightSd = Math.sqrt(overnightShare * variancePerBar);
  const out: OhlcBar[] = [];
  let close = Math.log(100);
  for (let b = 0; b < bars; b++) {
    const open = close + (overnightShare > 0 ? overnightSd * normal() : 0);
    let high = open;
    let low = open;
    let x = open;
    for (let s = 0; s < steps; s++) {
      const next = x + driftPerBar / steps + stepSd * normal();
      if (options.discrete === true) {
        if (next > high) high = next;
        if (next < low) low = next;
      } else {
        const d2 = (next - x) * (next - x);
        const up = (x + next + Math.sqrt(d2 - 2 * stepVariance * Math.log(1 - uniform()))) / 2;
        const down = (x + next - Math.sqrt(d2 - 2 * stepVariance * Math.log(1 - uniform()))) / 2;
        if (up > high) high = up;
        if (down < low) low = down;
      }
      x = next;
    }
    close = x;
    out.push({ open: Math.exp(open), high: Math.exp(high), low: Math.exp(low), close: Math.exp(close) });
  }
  return out;
}

/** Mean and sample standard deviation. */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number } {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, sd: Math.sqrt(variance) };
}
