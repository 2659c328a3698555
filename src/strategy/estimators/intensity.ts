/**
 * Fill intensity `lambda(delta) = A exp(-k delta)` (Avellaneda and Stoikov 2008, equation (12);
 * Gueant, Lehalle and Fernandez-Tapia 2013) fitted online from the exposure of our own quotes.
 *
 * Data. A quote resting at distance `delta` from the mid for `tau` (time units) and filled `n`
 * times is one exposure. Fills of a quote at a fixed distance are a Poisson process of rate
 * `lambda(delta)`, so the log-likelihood of exposures `i` (with `a = ln A`) is
 *   l(a, k) = sum_i n_i (a - k delta_i) - sum_i tau_i exp(a - k delta_i),
 * concave in `(a, k)` (a linear part minus a sum of exponentials of linear functions): Newton's
 * method with step halving finds the maximum.
 *
 * Forgetting. Exposure `i`, recorded at `t_i`, has weight `w_i = 2^(-(now - t_i) / halfLife)` in
 * the likelihood, so the fit follows a drifting `A` or `k` with a memory of about a half-life.
 * Standard errors: the weighted estimator's sandwich covariance `I^-1 J I^-1`, with
 * `I = sum w_i tau_i lambda_i x_i x_i'` (Fisher information, `x_i = (1, -delta_i)`) and
 * `J = sum w_i^2 tau_i lambda_i x_i x_i'`; without forgetting `J = I` and it is `I^-1`.
 *
 * Storage. Distances are binned at `distanceStep` (the caller's unit: price units, ticks or vol
 * points); each bin keeps the weighted exposure time and its first two moments in `delta`, and
 * the weighted fills and fill-weighted distances. The fills' part of `l` is exact; the exposure
 * part uses `sum tau exp(-k delta) ~ W exp(-k mu + k^2 v / 2)` per bin (mean `mu`, variance `v` of
 * `delta` within the bin, exact to second order in `k` times the bin width), so memory is one bin
 * per distinct level however long it runs.
 *
 * Thin data. Below `minFills` weighted fills, with too little spread in the distances to tell
 * `k` from `A`, or with a fitted `k <= 0`, the estimate is the prior (`source: 'prior'`, with the
 * reason).
 */
import { InputError } from '../../model/errors.js';

/** Options of `IntensityEstimator`. */
export interface IntensityOptions {
  /** Half-life of the weights, ms (> 0; `Infinity` for no forgetting). */
  halfLifeMs: number;
  /** Bin width of distances, in the caller's distance unit (> 0). */
  distanceStep: number;
  /** The prior, used when the data are too thin: `A` per time unit, `k` per distance unit. */
  prior: { A: number; k: number };
  /** The time unit of `A`, ms (default 1000: per second). */
  timeUnitMs?: number;
  /** Weighted fills needed for a fit (default 20). */
  minFills?: number;
}

/** One quote's exposure: where it rested, how long, how often it was filled, and when (its end). */
export interface Exposure {
  /** Distance from the mid, the caller's unit (>= 0 normally; negative = through the mid). */
  distance: number;
  /** Time resting, ms (> 0). */
  durationMs: number;
  /** Fills during that time (an integer >= 0). */
  fills: number;
  /** When the exposure ended, ms (not before the previous record's time). */
  timestampMs: number;
}

/** A fitted (or prior) intensity. */
export interface IntensityFit {
  A: number;
  k: number;
  /** Standard errors of `ln A` and `k`, and their covariance (NaN for the prior). */
  lnASe: number;
  kSe: number;
  covLnAK: number;
  /** Standard error of `A` (delta method: `A se(ln A)`). */
  ASe: number;
  /** Weighted fills and weighted exposure time (time units) behind the fit. */
  fills: number;
  exposure: number;
  source: 'fit' | 'prior';
  /** Why the prior was used. */
  reason?: string;
}

interface Bin {
  // weights w: exposure time, its moments in delta; fills and fills x delta
  w: number;
  m1: number;
  m2: number;
  n: number;
  nd: number;
  // weights w^2 (for J)
  w2: number;
  m12: number;
  m22: number;
}

function checkOptions(options: IntensityOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new InputError('options', options, '{ halfLifeMs, distanceStep, prior, timeUnitMs?, minFills? }');
  }
  if (typeof options.halfLifeMs !== 'number' || !(options.halfLifeMs > 0)) {
    throw new InputError('halfLifeMs', options.halfLifeMs, 'a number > 0 (Infinity: no forgetting)');
  }
  positive('distanceStep', options.distanceStep);
  if (options.prior === null || typeof options.prior !== 'object') {
    throw new InputError('prior', options.prior, '{ A, k }');
  }
  positive('prior.A', options.prior.A);
  positive('prior.k', options.prior.k);
  if (options.timeUnitMs !== undefined) positive('timeUnitMs', options.timeUnitMs);
  if (options.minFills !== undefined) positive('minFills', options.minFills);
}

function positive(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InputError(field, value, 'a finite number > 0');
  }
}

/** Checks one exposure; `field` prefixes the names. */
export function checkExposure(exposure: Exposure, field = 'exposure'): void {
  if (exposure === null || typeof exposure !== 'object') {
    throw new InputError(field, exposure, '{ distance, durationMs, fills, timestampMs }');
  }
  if (typeof exposure.distance !== 'number' || !Number.isFinite(exposure.distance)) {
    throw new InputError(`${field}.distance`, exposure.distance, 'a finite number');
  }
  positive(`${field}.durationMs`, exposure.durationMs);
  if (typeof exposure.fills !== 'number' || !Number.isInteger(exposure.fills) || exposure.fills < 0) {
    throw new InputError(`${field}.fills`, exposure.fills, 'an integer >= 0');
  }
  if (typeof exposure.timestampMs !== 'number' || !Number.isFinite(exposure.timestampMs)) {
    throw new InputError(`${field}.timestampMs`, exposure.timestampMs, 'a finite time in ms');
  }
}

/** The online Poisson maximum-likelihood fit of `A` and `k` with exponential forgetting. */
export class IntensityEstimator {
  private readonly halfLifeMs: number;
  private readonly step: number;
  private readonly timeUnitMs: number;
  private readonly minFills: number;
  private readonly prior: { A: number; k: number };
  private readonly bins = new Map<number, Bin>();
  private lastTime = -Infinity;
  private cached: IntensityFit | null = null;

  constructor(options: IntensityOptions) {
    checkOptions(options);
    this.halfLifeMs = options.halfLifeMs;
    this.step = options.distanceStep;
    this.timeUnitMs = options.timeUnitMs ?? 1000;
    this.minFills = options.minFills ?? 20;
    this.prior = { A: options.prior.A, k: options.prior.k };
  }

  /** Weighted fills so far (decayed to the last record's time). */
  get fills(): number {
    let n = 0;
    for (const bin of this.bins.values()) n += bin.n;
    return n;
  }

  /** Adds one exposure (records in time order). */
  record(exposure: Exposure): void {
    checkExposure(exposure);
    const t = exposure.timestampMs;
    if (t < this.lastTime) {
      throw new InputError('exposure.timestampMs', t, `at or after the previous record (${this.lastTime})`);
    }
    if (this.lastTime !== -Infinity && t > this.lastTime && this.halfLifeMs !== Infinity) {
      const f = Math.pow(2, -(t - this.lastTime) / this.halfLifeMs);
      const f2 = f * f;
      for (const [key, bin] of this.bins) {
        bin.w *= f;
        bin.m1 *= f;
        bin.m2 *= f;
        bin.n *= f;
        bin.nd *= f;
        bin.w2 *= f2;
        bin.m12 *= f2;
        bin.m22 *= f2;
        if (bin.w < 1e-12 && bin.n < 1e-12) this.bins.delete(key);
      }
    }
    this.lastTime = t;
    const key = Math.round(exposure.distance / this.step);
    let bin = this.bins.get(key);
    if (bin === undefined) {
      bin = { w: 0, m1: 0, m2: 0, n: 0, nd: 0, w2: 0, m12: 0, m22: 0 };
      this.bins.set(key, bin);
    }
    const tau = exposure.durationMs / this.timeUnitMs;
    const d = exposure.distance;
    bin.w += tau;
    bin.m1 += tau * d;
    bin.m2 += tau * d * d;
    bin.n += exposure.fills;
    bin.nd += exposure.fills * d;
    bin.w2 += tau;
    bin.m12 += tau * d;
    bin.m22 += tau * d * d;
    this.cached = null;
  }

  /** The current fit, or the prior when the data are too thin (see the module comment). */
  estimate(): IntensityFit {
    if (this.cached === null) this.cached = this.fit();
    return this.cached;
  }

  private priorFit(reason: string, fills: number, exposure: number): IntensityFit {
    return {
      A: this.prior.A,
      k: this.prior.k,
      lnASe: NaN,
      kSe: NaN,
      covLnAK: NaN,
      ASe: NaN,
      fills,
      exposure,
      source: 'prior',
      reason,
    };
  }

  private fit(): IntensityFit {
    // Per bin: exposure W, mean mu, variance v of delta; fills N and sum of fills x delta.
    const bins: { W: number; mu: number; v: number; W2: number; mu2: number; v2: number }[] = [];
    let N = 0;
    let ND = 0;
    let W = 0;
    let M1 = 0;
    let M2 = 0;
    for (const bin of this.bins.values()) {
      N += bin.n;
      ND += bin.nd;
      if (!(bin.w > 0)) continue;
      W += bin.w;
      M1 += bin.m1;
      M2 += bin.m2;
      const mu = bin.m1 / bin.w;
      const mu2 = bin.w2 > 0 ? bin.m12 / bin.w2 : mu;
      bins.push({
        W: bin.w,
        mu,
        v: Math.max(0, bin.m2 / bin.w - mu * mu),
        W2: bin.w2,
        mu2,
        v2: bin.w2 > 0 ? Math.max(0, bin.m22 / bin.w2 - mu2 * mu2) : 0,
      });
    }
    if (!(N >= this.minFills))
      return this.priorFit(`fills ${N.toPrecision(3)} < minFills ${this.minFills}`, N, W);
    const meanD = M1 / W;
    const spread = Math.sqrt(Math.max(0, M2 / W - meanD * meanD));
    if (!(spread > 1e-9 * Math.max(1, Math.abs(meanD)))) {
      return this.priorFit('all exposure at one distance: k is not identified', N, W);
    }
    // l(a, k) = N a - k ND - sum_b W_b exp(a - k mu_b + k^2 v_b / 2); Newton with step halving.
    const loglik = (a: number, k: number): number => {
      let s = 0;
      for (const b of bins) s += b.W * Math.exp(a - k * b.mu + 0.5 * k * k * b.v);
      return N * a - k * ND - s;
    };
    let k = this.prior.k;
    let a = profileA(bins, N, k);
    let value = loglik(a, k);
    let converged = false;
    for (let iteration = 0; iteration < 100; iteration++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      for (const b of bins) {
        const e = b.W * Math.exp(a - k * b.mu + 0.5 * k * k * b.v);
        const u = b.mu - k * b.v;
        s0 += e;
        s1 += e * u;
        s2 += e * (u * u + b.v);
      }
      const ga = N - s0;
      const gk = -ND + s1;
      // Hessian [[-s0, s1], [s1, -s2]]; Newton step d = -H^-1 g.
      const det = s0 * s2 - s1 * s1;
      if (!(det > 0)) break;
      const da = (s2 * ga + s1 * gk) / det;
      const dk = (s1 * ga + s0 * gk) / det;
      let t = 1;
      let accepted = false;
      for (let halving = 0; halving < 60; halving++) {
        const na = a + t * da;
        const nk = k + t * dk;
        const nv = loglik(na, nk);
        if (Number.isFinite(nv) && nv >= value - 1e-12 * Math.abs(value)) {
          a = na;
          k = nk;
          value = nv;
          accepted = true;
          break;
        }
        t /= 2;
      }
      if (!accepted) break;
      if (Math.abs(t * da) < 1e-12 && Math.abs(t * dk) < 1e-12 * Math.max(1, Math.abs(k))) {
        converged = true;
        break;
      }
    }
    if (!converged) return this.priorFit('Newton did not converge', N, W);
    if (!(k > 0)) return this.priorFit(`fitted k = ${k.toPrecision(4)} <= 0`, N, W);
    // Sandwich covariance I^-1 J I^-1 at the maximum.
    let i00 = 0;
    let i01 = 0;
    let i11 = 0;
    let j00 = 0;
    let j01 = 0;
    let j11 = 0;
    for (const b of bins) {
      const e = b.W * Math.exp(a - k * b.mu + 0.5 * k * k * b.v);
      const u = b.mu - k * b.v;
      i00 += e;
      i01 -= e * u;
      i11 += e * (u * u + b.v);
      const e2 = b.W2 * Math.exp(a - k * b.mu2 + 0.5 * k * k * b.v2);
      const u2 = b.mu2 - k * b.v2;
      j00 += e2;
      j01 -= e2 * u2;
      j11 += e2 * (u2 * u2 + b.v2);
    }
    const det = i00 * i11 - i01 * i01;
    if (!(det > 1e-12 * i00 * i11)) return this.priorFit('information matrix singular', N, W);
    // I^-1 = [[i11, -i01], [-i01, i00]] / det
    const p00 = i11 / det;
    const p01 = -i01 / det;
    const p11 = i00 / det;
    // C = P J P (symmetric 2x2)
    const pj00 = p00 * j00 + p01 * j01;
    const pj01 = p00 * j01 + p01 * j11;
    const pj10 = p01 * j00 + p11 * j01;
    const pj11 = p01 * j01 + p11 * j11;
    const c00 = pj00 * p00 + pj01 * p01;
    const c01 = pj00 * p01 + pj01 * p11;
    const c11 = pj10 * p01 + pj11 * p11;
    const A = Math.exp(a);
    const lnASe = Math.sqrt(c00);
    return {
      A,
      k,
      lnASe,
      kSe: Math.sqrt(c11),
      covLnAK: c01,
      ASe: A * lnASe,
      fills: N,
      exposure: W,
      source: 'fit',
    };
  }
}

/** The `a` maximising `l` for a given `k`: `exp(a) = N / sum_b W_b exp(-k mu_b + k^2 v_b / 2)`. */
function profileA(bins: readonly { W: number; mu: number; v: number }[], N: number, k: number): number {
  let s = 0;
  for (const b of bins) s += b.W * Math.exp(-k * b.mu + 0.5 * k * k * b.v);
  return Math.log(N / s);
}

/** Options of `PooledIntensityEstimator`: an `IntensityEstimator`'s and the bucket edges. */
export interface PooledIntensityOptions extends IntensityOptions {
  /** Ascending edges of the moneyness buckets (the caller's measure: log-moneyness, delta, ...). */
  moneynessEdges: readonly number[];
  /** Ascending edges of the tenor buckets (the caller's unit: years, days, ...). */
  tenorEdges: readonly number[];
}

/** A pooled estimate: the fit used and where it came from. */
export interface PooledIntensityFit extends IntensityFit {
  level: 'instrument' | 'bucket' | 'book' | 'prior';
  /** The bucket's indices: the number of edges at or below the value. */
  bucket: { moneyness: number; tenor: number };
}

function checkEdges(field: string, edges: readonly number[]): void {
  if (!Array.isArray(edges)) throw new InputError(field, edges, 'an array of ascending numbers');
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    if (typeof e !== 'number' || !Number.isFinite(e))
      throw new InputError(`${field}[${i}]`, e, 'a finite number');
    if (i > 0 && !(e > (edges[i - 1] as number))) {
      throw new InputError(`${field}[${i}]`, e, `greater than the previous edge (${edges[i - 1]})`);
    }
  }
}

function bucketOf(edges: readonly number[], value: number): number {
  let i = 0;
  while (i < edges.length && (edges[i] as number) <= value) i++;
  return i;
}

/**
 * Fill intensity pooled across options: each exposure feeds its instrument's estimator, its
 * (moneyness bucket, tenor bucket)'s and the whole book's. An instrument with fewer than
 * `minFills` weighted fills borrows its bucket's fit, and the whole book's when the bucket is thin
 * too; the prior is the last resort. Distances must be in one unit across the book (for options
 * vol points suit: a price distance means different things at different strikes).
 */
export class PooledIntensityEstimator {
  private readonly options: PooledIntensityOptions;
  private readonly instruments = new Map<string, IntensityEstimator>();
  private readonly buckets = new Map<string, IntensityEstimator>();
  private readonly book: IntensityEstimator;

  constructor(options: PooledIntensityOptions) {
    checkOptions(options);
    checkEdges('moneynessEdges', options.moneynessEdges);
    checkEdges('tenorEdges', options.tenorEdges);
    this.options = {
      ...options,
      moneynessEdges: [...options.moneynessEdges],
      tenorEdges: [...options.tenorEdges],
    };
    this.book = new IntensityEstimator(options);
  }

  private bucket(moneyness: number, tenor: number): { moneyness: number; tenor: number } {
    if (typeof moneyness !== 'number' || !Number.isFinite(moneyness)) {
      throw new InputError('moneyness', moneyness, 'a finite number');
    }
    if (typeof tenor !== 'number' || !Number.isFinite(tenor))
      throw new InputError('tenor', tenor, 'a finite number');
    return {
      moneyness: bucketOf(this.options.moneynessEdges, moneyness),
      tenor: bucketOf(this.options.tenorEdges, tenor),
    };
  }

  /** Adds one exposure of `instrument`, at its current moneyness and tenor. */
  record(instrument: string, moneyness: number, tenor: number, exposure: Exposure): void {
    if (typeof instrument !== 'string' || instrument.length === 0) {
      throw new InputError('instrument', instrument, 'a non-empty instrument name');
    }
    const b = this.bucket(moneyness, tenor);
    checkExposure(exposure);
    const key = `${b.moneyness}:${b.tenor}`;
    let own = this.instruments.get(instrument);
    if (own === undefined) {
      own = new IntensityEstimator(this.options);
      this.instruments.set(instrument, own);
    }
    let pooled = this.buckets.get(key);
    if (pooled === undefined) {
      pooled = new IntensityEstimator(this.options);
      this.buckets.set(key, pooled);
    }
    this.book.record(exposure); // first: it sees every record, so it rejects one out of order
    own.record(exposure);
    pooled.record(exposure);
  }

  /** The fit for `instrument` at its current moneyness and tenor (see the class comment). */
  estimate(instrument: string, moneyness: number, tenor: number): PooledIntensityFit {
    const bucket = this.bucket(moneyness, tenor);
    const own = this.instruments.get(instrument)?.estimate();
    if (own?.source === 'fit') return { ...own, level: 'instrument', bucket };
    const pooled = this.buckets.get(`${bucket.moneyness}:${bucket.tenor}`)?.estimate();
    if (pooled?.source === 'fit') return { ...pooled, level: 'bucket', bucket };
    const book = this.book.estimate();
    return { ...book, level: book.source === 'fit' ? 'book' : 'prior', bucket };
  }
}
