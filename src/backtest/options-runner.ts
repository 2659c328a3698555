/**
 * Options-chain backtest of the quoter under one-sided taker flow (issue 8, must-show: "under
 * one-sided flow, the book-level options quoter keeps |vega| inside its limit where per-option
 * quoting breaches it").
 *
 * The market: a GBM spot path (`sim/generators/spot.ts`) and a generated chain
 * (`sim/generators/chain.ts`): each expiry's smile a fixed raw SVI shape in implied variance
 * per year, so the surface at a step is w(k, tau) = tau x shape(k) with forwards from the
 * path. The flow: at every step, each option of the flow's kind is hit on the flow's side with
 * probability `hitProbability`, for `takerSize` contracts (capped at the quoted size; nothing
 * when that side is not quoted). Takers are price-insensitive: the test is of inventory
 * control, not of pricing.
 *
 * Two quoters on the same path and the same taker draws:
 * - `book`: one `OptionsQuoter` over the chain, skewed and sized by the whole book's vega per
 *   expiry, total vega and delta against the configured limits;
 * - `perOption`: one `OptionsQuoter` per option, each seeing only its own position (its vega
 *   in its expiry, its delta) against `perOptionLimits` (default: the same limits): each
 *   option stays inside them on its own, the sum need not.
 * Reported per quoter and expiry: the |vega| path (USD per vol point, at each step's marks),
 * its maximum, and whether the expiry or total limit was breached; plus contracts traded and
 * the final P&L in coin (premium received plus positions at the last marks).
 */
import { InputError } from '../model/errors.js';
import { formatInstrumentName } from '../model/instrument-name.js';
import { MS_PER_DAY, MS_PER_YEAR } from '../model/time.js';
import type { OptionKind } from '../pricing/types.js';
import { rng } from '../sim/random.js';
import { generateChain, sliceAt, type ChainExpiry } from '../sim/generators/chain.js';
import { gbmPath } from '../sim/generators/spot.js';
import { OptionsQuoter, type OptionsQuoterConfig, type QuoterLimits } from '../strategy/options-quoter.js';
import { sviTotalVariance, type RawSvi } from '../vol/svi.js';
import { VolSurface, type SurfaceSlice } from '../vol/surface.js';

/** Parameters of an options backtest. */
export interface OptionsBacktestConfig {
  /** Start time, ms (default 2 Jan 2024 08:00 UTC). */
  startMs?: number;
  spot0: number;
  /** Spot volatility per sqrt(year). */
  spotVol: number;
  /** Step length, ms, and number of steps. */
  stepMs: number;
  steps: number;
  /** Expiries, days after the start, with their smile shapes (implied variance per year vs k). */
  expiries: { days: number; shape: RawSvi }[];
  strikes: number[];
  flow: { kind: OptionKind; side: 'buy' | 'sell'; hitProbability: number; takerSize: number };
  quoter: OptionsQuoterConfig;
  limits: QuoterLimits;
  /** Limits each option sees alone in per-option quoting (default: `limits`). */
  perOptionLimits?: QuoterLimits;
}

/** One quoter's run. */
export interface QuoterRun {
  /** |vega| per expiry per step (row e: expiry e), USD per vol point. */
  vegaPath: Float64Array[];
  maxAbsVega: number[];
  maxAbsVegaTotal: number;
  /** Some expiry's |vega| went over its limit, or the total over the total limit. */
  breached: boolean;
  contractsTraded: number;
  pnlCoin: number;
}

export interface OptionsBacktestResult {
  seed: number;
  expiriesMs: number[];
  instruments: string[];
  vegaLimitPerExpiry: number[];
  vegaLimitTotal: number;
  book: QuoterRun;
  perOption: QuoterRun;
}

/** Runs both quoters on one seeded path and flow. */
export function runOptionsBacktest(config: OptionsBacktestConfig, seed: number): OptionsBacktestResult {
  check(config);
  const startMs = config.startMs ?? Date.UTC(2024, 0, 2, 8);
  const random = rng(seed);
  const path = gbmPath({
    rng: random.stream('spot'),
    s0: config.spot0,
    sigma: config.spotVol,
    dt: config.stepMs / MS_PER_YEAR,
    steps: config.steps,
    startMs,
  });
  const expiries: ChainExpiry[] = config.expiries.map((e) => ({
    expiryMs: startMs + Math.round(e.days) * MS_PER_DAY,
    shape: e.shape,
  }));
  const lastMs = startMs + config.steps * config.stepMs;
  for (const e of expiries)
    if (!(e.expiryMs > lastMs))
      throw new InputError('expiries.days', (e.expiryMs - startMs) / MS_PER_DAY, 'after the last step');
  const chain = generateChain({ path, expiries, strikes: config.strikes, kinds: [config.flow.kind] });
  const names = chain.instruments.map((c) =>
    formatInstrumentName({
      kind: 'option',
      base: 'BTC',
      quote: null,
      expiryMs: c.expiryMs,
      strike: c.strike,
      optionType: c.kind,
    }),
  );
  const sorted = chain.expiries;
  const surfaceAt = (i: number): VolSurface => {
    const step = chain.steps[i]!;
    const slices: SurfaceSlice[] = sorted.map((e, j) => {
      const tau = (e.expiryMs - step.timestampMs) / MS_PER_YEAR;
      return {
        expiryMs: e.expiryMs,
        yearsToExpiry: tau,
        forward: step.forwards[j]!,
        svi: sliceAt(e.shape, sviTotalVariance(e.shape, 0), tau),
      };
    });
    return new VolSurface(step.timestampMs, slices);
  };
  const first = surfaceAt(0);
  const spot0 = chain.steps[0]!.spot;
  const bookQuoter = new OptionsQuoter({
    surface: first,
    refSpot: spot0,
    instruments: names,
    config: config.quoter,
    limits: config.limits,
    atMs: startMs,
  });
  const perLimits = config.perOptionLimits ?? config.limits;
  const singles = names.map((name) => {
    const e = bookQuoter.expiryIndex[names.indexOf(name)]!;
    const v = perLimits.vegaPerExpiry;
    return new OptionsQuoter({
      surface: first,
      refSpot: spot0,
      instruments: [name],
      config: config.quoter,
      limits: { ...perLimits, vegaPerExpiry: typeof v === 'number' ? v : (v[e] as number) },
      atMs: startMs,
    });
  });
  const ne = bookQuoter.expiries.length;
  const limitE = Array.from({ length: ne }, (_, e) => {
    const v = config.limits.vegaPerExpiry;
    return typeof v === 'number' ? v : (v[e] as number);
  });
  const n = names.length;
  const flowRng = random.stream('flow');
  const newRun = (): QuoterRun & { position: Float64Array; cash: number } => ({
    vegaPath: Array.from({ length: ne }, () => new Float64Array(config.steps + 1)),
    maxAbsVega: new Array<number>(ne).fill(0),
    maxAbsVegaTotal: 0,
    breached: false,
    contractsTraded: 0,
    pnlCoin: 0,
    position: new Float64Array(n),
    cash: 0,
  });
  const book = newRun();
  const per = newRun();
  const index = Int32Array.from({ length: n }, (_, i) => i);
  const vegaBuf = new Float64Array(ne);
  const record = (run: ReturnType<typeof newRun>, step: number, vegaPerContract: Float64Array): void => {
    vegaBuf.fill(0);
    for (let i = 0; i < n; i++) {
      const e = bookQuoter.expiryIndex[i]!;
      vegaBuf[e] = vegaBuf[e]! + run.position[i]! * vegaPerContract[i]!;
    }
    let total = 0;
    for (let e = 0; e < ne; e++) {
      const a = Math.abs(vegaBuf[e]!);
      run.vegaPath[e]![step] = a;
      run.maxAbsVega[e] = Math.max(run.maxAbsVega[e]!, a);
      if (a > limitE[e]! * (1 + 1e-9)) run.breached = true;
      total += vegaBuf[e]!;
    }
    run.maxAbsVegaTotal = Math.max(run.maxAbsVegaTotal, Math.abs(total));
    if (Math.abs(total) > config.limits.vegaTotal * (1 + 1e-9)) run.breached = true;
  };
  const unitVega = new Float64Array(n);
  const bookVega = new Float64Array(ne);
  const sign = config.flow.side === 'buy' ? -1 : 1; // our position change per contract a taker trades
  for (let s = 0; s <= config.steps; s++) {
    const step = chain.steps[s]!;
    const surface = surfaceAt(s);
    bookQuoter.setSurface(surface, step.spot);
    // Book-level: greeks of the book at this step's marks, then quotes.
    const pre = bookQuoter.quote(step.spot, { vegaByExpiry: new Float64Array(ne), deltaCoin: 0 });
    unitVega.set(pre.vega);
    const deltaCoin = bookQuoter.bookGreeks(index, book.position, n, bookVega);
    const quotes = bookQuoter.quote(step.spot, { vegaByExpiry: bookVega, deltaCoin });
    record(book, s, unitVega);
    record(per, s, unitVega);
    if (s === config.steps) break;
    for (let i = 0; i < n; i++) {
      const hit = flowRng.bernoulli(config.flow.hitProbability);
      // Book-level fill.
      if (hit) fill(book, i, quotes, sign, config.flow.takerSize);
      // Per-option: this option alone.
      const single = singles[i]!;
      single.setSurface(surface, step.spot);
      const own = single.quote(step.spot, { vegaByExpiry: [0], deltaCoin: 0 });
      const ownVega = new Float64Array([per.position[i]! * own.vega[0]!]);
      const q = single.quote(step.spot, {
        vegaByExpiry: ownVega,
        deltaCoin: per.position[i]! * own.delta[0]!,
      });
      if (hit) fillSingle(per, i, q, sign, config.flow.takerSize);
    }
  }
  const last = chain.steps[config.steps]!;
  for (const run of [book, per]) {
    let value = run.cash;
    for (let i = 0; i < n; i++) value += run.position[i]! * last.markCoin[i]!;
    run.pnlCoin = value;
  }
  const strip = (run: ReturnType<typeof newRun>): QuoterRun => ({
    vegaPath: run.vegaPath,
    maxAbsVega: run.maxAbsVega,
    maxAbsVegaTotal: run.maxAbsVegaTotal,
    breached: run.breached,
    contractsTraded: run.contractsTraded,
    pnlCoin: run.pnlCoin,
  });
  return {
    seed,
    expiriesMs: [...bookQuoter.expiries],
    instruments: names,
    vegaLimitPerExpiry: limitE,
    vegaLimitTotal: config.limits.vegaTotal,
    book: strip(book),
    perOption: strip(per),
  };
}

interface Fillable {
  position: Float64Array;
  cash: number;
  contractsTraded: number;
}

function fill(
  run: Fillable,
  i: number,
  q: { askPrice: Float64Array; askSize: Float64Array; bidPrice: Float64Array; bidSize: Float64Array },
  sign: number,
  takerSize: number,
): void {
  const size = Math.min(takerSize, sign < 0 ? q.askSize[i]! : q.bidSize[i]!);
  if (!(size > 0)) return;
  const price = sign < 0 ? q.askPrice[i]! : q.bidPrice[i]!;
  run.position[i] = run.position[i]! + sign * size;
  run.cash -= sign * size * price;
  run.contractsTraded += size;
}

function fillSingle(
  run: Fillable,
  i: number,
  q: { askPrice: Float64Array; askSize: Float64Array; bidPrice: Float64Array; bidSize: Float64Array },
  sign: number,
  takerSize: number,
): void {
  const size = Math.min(takerSize, sign < 0 ? q.askSize[0]! : q.bidSize[0]!);
  if (!(size > 0)) return;
  const price = sign < 0 ? q.askPrice[0]! : q.bidPrice[0]!;
  run.position[i] = run.position[i]! + sign * size;
  run.cash -= sign * size * price;
  run.contractsTraded += size;
}

function check(c: OptionsBacktestConfig): void {
  if (c === null || typeof c !== 'object') throw new InputError('config', c, 'an object');
  for (const f of ['spot0', 'spotVol', 'stepMs'] as const)
    if (!(c[f] > 0) || c[f] === Infinity) throw new InputError(f, c[f], 'a positive number');
  if (!(Number.isInteger(c.steps) && c.steps >= 1))
    throw new InputError('steps', c.steps, 'a positive integer');
  if (!Array.isArray(c.expiries) || c.expiries.length === 0)
    throw new InputError('expiries', c.expiries, 'at least one expiry');
  if (!Array.isArray(c.strikes) || c.strikes.length === 0)
    throw new InputError('strikes', c.strikes, 'at least one strike');
  const f = c.flow;
  if (f === null || typeof f !== 'object') throw new InputError('flow', f, 'an object');
  if (f.kind !== 'call' && f.kind !== 'put') throw new InputError('flow.kind', f.kind, '"call" or "put"');
  if (f.side !== 'buy' && f.side !== 'sell') throw new InputError('flow.side', f.side, '"buy" or "sell"');
  if (!(f.hitProbability >= 0 && f.hitProbability <= 1))
    throw new InputError('flow.hitProbability', f.hitProbability, 'a probability');
  if (!(f.takerSize > 0)) throw new InputError('flow.takerSize', f.takerSize, 'a positive size');
}
