/**
 * Value-at-risk and expected shortfall by full revaluation, cross-asset scenarios from a
 * correlation matrix, and beta-weighted delta.
 *
 * Every measure prices the book through a `Revaluer` (`src/risk/scenario.ts`): a scenario moves
 * each coin's spot (relative: 0.1 = +10%), the vol surface (absolute shift) and time, and the
 * revaluer gives the book's USD P&L. No greeks are used for VaR.
 *
 * Scenarios:
 * - historical: past return vectors, one scenario per date: `{ BTC: r_BTC[t], ETH: r_ETH[t] }`,
 *   the returns simple (relative) moves over the horizon, optionally with a vol change per date;
 * - Monte Carlo: log-returns x = diag(sigma) L z, L the Cholesky factor of the correlation matrix
 *   (given, or estimated from return series), z independent standard normals from a seeded
 *   generator (mulberry32, Box-Muller), each coin's move exp(x) - 1 (zero-median log-returns;
 *   sigma is the standard deviation over the horizon, e.g. daily vol for a one-day VaR);
 * - cross-asset: a move s of one coin j propagated to every other coin i by its conditional
 *   expectation under the correlation, E[r_i | r_j = s] = beta_ij s, beta_ij = rho_ij sigma_i /
 *   sigma_j (zero-mean returns).
 *
 * VaR and ES from n scenario P&Ls at confidence c: k = ceil(n (1 - c)) (at least 1), VaR = the
 * k-th worst loss (the historical-simulation convention of J. Hull, "Risk Management and
 * Financial Institutions", chapter "Historical Simulation": with 500 scenarios the 99% VaR is
 * the fifth-worst loss), ES = the mean of the k worst losses (our choice of the discrete tail:
 * the VaR loss and the worse ones). Losses are positive numbers (loss = -P&L), so ES >= VaR, and
 * neither falls as c rises.
 *
 * Beta-weighted delta: each coin's USD delta (from the revaluer by a central difference of +-1%
 * spot moves, or given) times its beta to the reference coin, beta_i = cov(r_i, r_ref) /
 * var(r_ref) (estimated from return series, or given), summed: the book's delta expressed in
 * USD of the reference asset (and in its coin at its spot).
 */
import { InputError } from '../model/errors.js';
import type { Revaluer, Scenario } from './scenario.js';

/** A correlation matrix over named coins (`matrix[i][j]` between `coins[i]` and `coins[j]`). */
export interface Correlation {
  coins: readonly string[];
  matrix: readonly (readonly number[])[];
}

/** Return series by coin, all of one length, oldest first: simple returns over the horizon. */
export type ReturnSeries = Readonly<Record<string, readonly number[]>>;

const SYMMETRY_TOLERANCE = 1e-9;

/** Checks a correlation matrix: square, named, symmetric, unit diagonal, entries in [-1, 1], PSD. */
export function checkCorrelation(c: Correlation, field = 'correlation'): void {
  if (!Array.isArray(c?.coins) || c.coins.length === 0)
    throw new InputError(`${field}.coins`, c?.coins, 'a non-empty list of coins');
  if (new Set(c.coins).size !== c.coins.length)
    throw new InputError(`${field}.coins`, c.coins, 'distinct coins');
  const n = c.coins.length;
  if (!Array.isArray(c.matrix) || c.matrix.length !== n)
    throw new InputError(`${field}.matrix`, c.matrix?.length, `${n} rows (one per coin)`);
  for (let i = 0; i < n; i++) {
    const row = c.matrix[i];
    if (!Array.isArray(row) || row.length !== n)
      throw new InputError(`${field}.matrix[${i}]`, row?.length, `${n} entries`);
    for (let j = 0; j < n; j++) {
      const v = row[j];
      const at = `${field}.matrix[${i}][${j}]`;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < -1 || v > 1)
        throw new InputError(at, v, 'a correlation in [-1, 1]');
      if (i === j && Math.abs(v - 1) > SYMMETRY_TOLERANCE) throw new InputError(at, v, '1 on the diagonal');
      if (Math.abs(v - (c.matrix[j]![i] as number)) > SYMMETRY_TOLERANCE)
        throw new InputError(at, v, `equal to ${field}.matrix[${j}][${i}] (symmetric)`);
    }
  }
  cholesky(c.matrix, field);
}

/**
 * The lower-triangular Cholesky factor L (L L^T = matrix) of a symmetric positive semi-definite
 * matrix; a pivot within 1e-10 of 0 (perfectly correlated coins) gives a zero column. Throws
 * `InputError` naming the matrix when it is not positive semi-definite.
 */
export function cholesky(matrix: readonly (readonly number[])[], field = 'matrix'): number[][] {
  const n = matrix.length;
  const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let j = 0; j < n; j++) {
    let pivot = matrix[j]![j]!;
    for (let k = 0; k < j; k++) pivot -= l[j]![k]! ** 2;
    if (pivot < -1e-10)
      throw new InputError(field, `pivot ${pivot} at row ${j}`, 'a positive semi-definite matrix');
    const d = pivot <= 1e-10 ? 0 : Math.sqrt(pivot);
    l[j]![j] = d;
    for (let i = j + 1; i < n; i++) {
      let s = matrix[i]![j]!;
      for (let k = 0; k < j; k++) s -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = d === 0 ? 0 : s / d;
    }
  }
  return l;
}

function checkSeries(returns: ReturnSeries, field = 'returns'): { coins: string[]; length: number } {
  if (returns === null || typeof returns !== 'object') throw new InputError(field, returns, 'series by coin');
  const coins = Object.keys(returns);
  if (coins.length === 0) throw new InputError(field, returns, 'at least one coin');
  let length = -1;
  for (const coin of coins) {
    const s = returns[coin];
    if (!Array.isArray(s)) throw new InputError(`${field}.${coin}`, s, 'an array of returns');
    if (length === -1) length = s.length;
    else if (s.length !== length)
      throw new InputError(
        `${field}.${coin}`,
        `${s.length} returns`,
        `${length} (as long as the other series)`,
      );
    s.forEach((v, t) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= -1)
        throw new InputError(`${field}.${coin}[${t}]`, v, 'a finite simple return > -1');
    });
  }
  return { coins, length };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function covariance(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let s = 0;
  for (let t = 0; t < a.length; t++) s += (a[t]! - ma) * (b[t]! - mb);
  return s / (a.length - 1);
}

/** Sample standard deviation of each series (per period of the series). */
export function estimateVolatilities(returns: ReturnSeries): Record<string, number> {
  const { coins, length } = checkSeries(returns);
  if (length < 2) throw new InputError('returns', `${length} returns`, 'at least 2 per coin');
  const out: Record<string, number> = {};
  for (const c of coins) out[c] = Math.sqrt(covariance(returns[c]!, returns[c]!));
  return out;
}

/** The sample (Pearson) correlation matrix of the series. */
export function estimateCorrelation(returns: ReturnSeries): Correlation {
  const { coins, length } = checkSeries(returns);
  if (length < 2) throw new InputError('returns', `${length} returns`, 'at least 2 per coin');
  const sd = coins.map((c) => Math.sqrt(covariance(returns[c]!, returns[c]!)));
  sd.forEach((s, i) => {
    if (!(s > 0)) throw new InputError(`returns.${coins[i]}`, 'constant series', 'returns that vary');
  });
  const matrix = coins.map((a, i) =>
    coins.map((b, j) =>
      i === j ? 1 : Math.max(-1, Math.min(1, covariance(returns[a]!, returns[b]!) / (sd[i]! * sd[j]!))),
    ),
  );
  return { coins, matrix };
}

/** Betas of every coin to `reference`: cov(r_i, r_ref) / var(r_ref). */
export function estimateBetas(returns: ReturnSeries, reference: string): Record<string, number> {
  const { coins, length } = checkSeries(returns);
  if (length < 2) throw new InputError('returns', `${length} returns`, 'at least 2 per coin');
  const ref = returns[reference];
  if (ref === undefined)
    throw new InputError('reference', reference, `one of the series' coins (${coins.join(', ')})`);
  const v = covariance(ref, ref);
  if (!(v > 0)) throw new InputError(`returns.${reference}`, 'constant series', 'returns that vary');
  const out: Record<string, number> = {};
  for (const c of coins) out[c] = covariance(returns[c]!, ref) / v;
  return out;
}

/** Options of the historical scenarios. */
export interface HistoricalOptions {
  /** An absolute vol change per date (0.05 = +5 vol points); 0 when absent. */
  volChanges?: readonly number[];
  /** Names per date (`2020-03-12`); `historical #t` when absent. */
  names?: readonly string[];
  /** Days that pass in each scenario; 0 by default. */
  days?: number;
}

/** One scenario per date of the return series (see the module comment). */
export function historicalScenarios(returns: ReturnSeries, options: HistoricalOptions = {}): Scenario[] {
  const { coins, length } = checkSeries(returns);
  if (length === 0) throw new InputError('returns', '0 returns', 'at least 1 per coin');
  const { volChanges, names, days } = options;
  if (volChanges !== undefined) {
    if (volChanges.length !== length)
      throw new InputError('volChanges', `${volChanges.length} entries`, `${length} (one per date)`);
    volChanges.forEach((v, t) => {
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new InputError(`volChanges[${t}]`, v, 'a finite vol change');
    });
  }
  if (names !== undefined && names.length !== length)
    throw new InputError('names', `${names.length} names`, `${length} (one per date)`);
  checkDays(days);
  const out: Scenario[] = [];
  for (let t = 0; t < length; t++) {
    const spot: Record<string, number> = {};
    for (const c of coins) spot[c] = returns[c]![t]!;
    out.push({
      name: names?.[t] ?? `historical #${t}`,
      spot,
      volShift: volChanges?.[t] ?? 0,
      ...(days === undefined ? {} : { days }),
    });
  }
  return out;
}

function checkDays(days: number | undefined): void {
  if (days !== undefined && (typeof days !== 'number' || !(days >= 0) || !Number.isFinite(days)))
    throw new InputError('days', days, 'a number of days >= 0');
}

/** A seeded uniform generator on [0, 1) (mulberry32, two draws per 53-bit double). */
export function seededUniform(seed: number): () => number {
  if (!Number.isSafeInteger(seed)) throw new InputError('seed', seed, 'an integer');
  let a = seed >>> 0;
  const next32 = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}

/** A seeded standard normal generator (Box-Muller on `seededUniform`). */
export function seededNormal(seed: number): () => number {
  const u = seededUniform(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u1 = u();
    while (u1 === 0) u1 = u();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** Options of the Monte Carlo scenarios. */
export interface MonteCarloOptions {
  correlation: Correlation;
  /** Standard deviation of each coin's log-return over the horizon (every coin of the matrix). */
  vols: Readonly<Record<string, number>>;
  count: number;
  seed: number;
  /** A vol shift applied in every scenario; 0 by default. */
  volShift?: number;
  days?: number;
}

/** `count` correlated scenarios (see the module comment); the same seed gives the same scenarios. */
export function monteCarloScenarios(options: MonteCarloOptions): Scenario[] {
  const { correlation, vols, count, seed } = options;
  checkCorrelation(correlation);
  if (!Number.isInteger(count) || count < 1) throw new InputError('count', count, 'an integer >= 1');
  const volShift = options.volShift ?? 0;
  if (!Number.isFinite(volShift)) throw new InputError('volShift', volShift, 'a finite vol shift');
  checkDays(options.days);
  const coins = correlation.coins;
  const sigma = coins.map((c) => {
    const v = vols?.[c];
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
      throw new InputError(`vols.${c}`, v, 'a standard deviation >= 0 over the horizon');
    return v;
  });
  const l = cholesky(correlation.matrix, 'correlation');
  const normal = seededNormal(seed);
  const n = coins.length;
  const z = new Float64Array(n);
  const out: Scenario[] = [];
  for (let s = 0; s < count; s++) {
    for (let i = 0; i < n; i++) z[i] = normal();
    const spot: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      let x = 0;
      const row = l[i]!;
      for (let k = 0; k <= i; k++) x += row[k]! * z[k]!;
      spot[coins[i]!] = Math.expm1(sigma[i]! * x);
    }
    out.push({
      name: `monte carlo #${s}`,
      spot,
      volShift,
      ...(options.days === undefined ? {} : { days: options.days }),
    });
  }
  return out;
}

/** Conditional-expectation betas of every coin to `coin`: rho_ij sigma_i / sigma_j. */
export function conditionalBetas(
  coin: string,
  correlation: Correlation,
  vols: Readonly<Record<string, number>>,
): Record<string, number> {
  checkCorrelation(correlation);
  const j = correlation.coins.indexOf(coin);
  if (j < 0)
    throw new InputError('coin', coin, `one of the correlation's coins (${correlation.coins.join(', ')})`);
  const sj = vols?.[coin];
  if (typeof sj !== 'number' || !(sj > 0) || !Number.isFinite(sj))
    throw new InputError(`vols.${coin}`, sj, 'a volatility > 0');
  const out: Record<string, number> = {};
  correlation.coins.forEach((c, i) => {
    const si = vols[c];
    if (typeof si !== 'number' || !(si >= 0) || !Number.isFinite(si))
      throw new InputError(`vols.${c}`, si, 'a volatility >= 0');
    out[c] = i === j ? 1 : (correlation.matrix[i]![j]! * si) / sj;
  });
  return out;
}

/**
 * A move `shock` of `coin` and the conditional expectation of every other coin's move under the
 * correlation (beta = rho sigma_i / sigma_j); `vols` on one horizon for all coins (their ratio is
 * what matters).
 */
export function crossAssetScenario(
  coin: string,
  shock: number,
  correlation: Correlation,
  vols: Readonly<Record<string, number>>,
  options: { volShift?: number; days?: number; name?: string } = {},
): Scenario {
  if (typeof shock !== 'number' || !Number.isFinite(shock) || shock <= -1)
    throw new InputError('shock', shock, 'a relative move > -1');
  const betas = conditionalBetas(coin, correlation, vols);
  checkDays(options.days);
  const spot: Record<string, number> = {};
  for (const [c, b] of Object.entries(betas)) spot[c] = Math.max(-0.999999, b * shock);
  return {
    name: options.name ?? `${coin} ${shock >= 0 ? '+' : ''}${(shock * 100).toFixed(1)}% (cross-asset)`,
    spot,
    volShift: options.volShift ?? 0,
    ...(options.days === undefined ? {} : { days: options.days }),
  };
}

/** VaR and ES of a list of P&Ls. */
export interface VarOfPnl {
  confidence: number;
  scenarioCount: number;
  /** k = ceil(n (1 - c)), at least 1. */
  tailCount: number;
  /** The k-th worst loss (USD, positive for a loss). */
  varUsd: number;
  /** The mean of the k worst losses. */
  esUsd: number;
}

function checkConfidence(confidence: number): void {
  if (typeof confidence !== 'number' || !(confidence > 0) || !(confidence < 1))
    throw new InputError('confidence', confidence, 'a level in (0, 1), e.g. 0.99');
}

/** VaR and ES from scenario P&Ls (USD) at `confidence` (see the module comment). */
export function varOfPnl(pnlUsd: readonly number[], confidence: number): VarOfPnl {
  checkConfidence(confidence);
  if (pnlUsd.length === 0) throw new InputError('pnlUsd', 'no scenarios', 'at least one P&L');
  pnlUsd.forEach((v, i) => {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new InputError(`pnlUsd[${i}]`, v, 'a number');
  });
  const losses = pnlUsd.map((p) => -p).sort((a, b) => b - a);
  const n = losses.length;
  const k = Math.max(1, Math.min(n, Math.ceil(n * (1 - confidence) - 1e-9)));
  let sum = 0;
  for (let i = 0; i < k; i++) sum += losses[i]!;
  return { confidence, scenarioCount: n, tailCount: k, varUsd: losses[k - 1]!, esUsd: sum / k };
}

/** VaR and ES by full revaluation. */
export interface ValueAtRisk extends VarOfPnl {
  /** The worst scenario and its P&L. */
  worst: { name: string; pnlUsd: number };
  /** Each scenario's P&L, in the scenarios' order. */
  pnlUsd: number[];
}

/** Revalues the book under every scenario and gives VaR and ES at `confidence`. */
export function valueAtRisk(
  revaluer: Revaluer,
  scenarios: readonly Scenario[],
  confidence: number,
): ValueAtRisk {
  checkConfidence(confidence);
  if (scenarios.length === 0) throw new InputError('scenarios', 'none', 'at least one scenario');
  const pnl = scenarios.map((s) => revaluer.pnlUsd(s));
  const v = varOfPnl(pnl, confidence);
  let w = 0;
  for (let i = 1; i < pnl.length; i++) if (pnl[i]! < pnl[w]!) w = i;
  return { ...v, worst: { name: scenarios[w]!.name ?? `scenario #${w}`, pnlUsd: pnl[w]! }, pnlUsd: pnl };
}

/**
 * Each coin's USD delta by full revaluation: (P&L(+bump) - P&L(-bump)) / (2 bump), the P&L per
 * unit relative move of that coin alone (delta in coin x spot). Default bump 1%.
 */
export function deltaUsdByCoin(
  revaluer: Revaluer,
  coins: readonly string[],
  bump = 0.01,
): Record<string, number> {
  if (!(bump > 0) || !(bump < 1)) throw new InputError('bump', bump, 'a relative move in (0, 1)');
  const out: Record<string, number> = {};
  for (const c of coins) {
    const up = revaluer.pnlUsd({ name: `${c} +bump`, spot: { [c]: bump }, volShift: 0 });
    const down = revaluer.pnlUsd({ name: `${c} -bump`, spot: { [c]: -bump }, volShift: 0 });
    out[c] = (up - down) / (2 * bump);
  }
  return out;
}

/** The book's delta in one reference asset. */
export interface BetaWeightedDelta {
  reference: string;
  /** Sum of beta x USD delta: USD of the reference asset per unit relative move of it. */
  deltaUsd: number;
  /** deltaUsd / the reference's spot; null without a spot. */
  deltaCoin: number | null;
  byCoin: { coin: string; deltaUsd: number; beta: number; weightedUsd: number }[];
}

/** Beta-weighted delta (see the module comment); every coin with a delta needs a beta. */
export function betaWeightedDelta(
  deltaUsd: Readonly<Record<string, number>>,
  betas: Readonly<Record<string, number>>,
  reference: string,
  referenceSpotUsd?: number,
): BetaWeightedDelta {
  if (typeof reference !== 'string' || reference === '')
    throw new InputError('reference', reference, 'a coin');
  if (referenceSpotUsd !== undefined && (!(referenceSpotUsd > 0) || !Number.isFinite(referenceSpotUsd)))
    throw new InputError('referenceSpotUsd', referenceSpotUsd, 'a positive price (USD)');
  const byCoin: BetaWeightedDelta['byCoin'] = [];
  let total = 0;
  for (const [coin, d] of Object.entries(deltaUsd)) {
    if (typeof d !== 'number' || !Number.isFinite(d))
      throw new InputError(`deltaUsd.${coin}`, d, 'a finite USD delta');
    const beta = coin === reference ? (betas[coin] ?? 1) : betas[coin];
    if (typeof beta !== 'number' || !Number.isFinite(beta))
      throw new InputError(`betas.${coin}`, beta, `a beta of ${coin} to ${reference}`);
    byCoin.push({ coin, deltaUsd: d, beta, weightedUsd: beta * d });
    total += beta * d;
  }
  return {
    reference,
    deltaUsd: total,
    deltaCoin: referenceSpotUsd === undefined ? null : total / referenceSpotUsd,
    byCoin,
  };
}
