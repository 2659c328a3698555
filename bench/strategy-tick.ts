/**
 * Tick-to-quote benchmark (issue 8): from a spot change to a full new set of quotes for a chain
 * of 800 BTC inverse options (8 expiries x 50 strikes x call/put) with 200 positions held.
 * Timed per tick: `OptionsQuoter.quote` at the new spot (forwards, surface lookup at the new
 * forward, vega and delta skew, one Black-76 evaluation per option with the bounded Taylor step
 * to the bid and ask vols and the exact evaluation wherever the bound straddles a tick, limit
 * checks and sizes, tick rounding and min/max price), then the book's greeks (a sum over the 200
 * positions of the per-contract greeks just computed at the new spot). Spots are a seeded random
 * walk (about 0.1% per tick, with a 1% jump one tick in 50). Warm-up ticks are run first and not
 * counted.
 *
 * The same walk is then timed with `quoteExact` (three full Black-76 evaluations per option, the
 * reference the fast path reproduces on the tick) for comparison, and the parts alone: the book
 * greeks, and `quote` with the tick rounding decided for every side (the mean number of sides
 * that needed the exact price is reported).
 */
import { mulberry32 } from '../scripts/generate-fills.js';
import { formatInstrumentName } from '../src/model/instrument-name.js';
import { MS_PER_YEAR } from '../src/model/time.js';
import { OptionsQuoter } from '../src/strategy/options-quoter.js';
import { VolSurface, type SurfaceSlice } from '../src/vol/surface.js';

/** What `tickToQuoteBenchmark` reports. */
export interface TickToQuoteFigures {
  options: number;
  positions: number;
  /** Median tick to quote, microseconds. */
  p50Us: number;
  /** 99th percentile, microseconds. */
  p99Us: number;
  meanUs: number;
  /** Ticks timed (after warm-up). */
  samples: number;
  /** The same ticks with `quoteExact` (three exact evaluations per option): p50, p99, mean. */
  referenceP50Us: number;
  referenceP99Us: number;
  referenceMeanUs: number;
  /**
   * CPU time of the process per fast tick (`process.cpuUsage`, user + system): unlike the wall
   * time it leaves out the time the thread waited for a core, so on a loaded machine it shows
   * what the tick itself costs. p50 and p99, microseconds.
   */
  cpuP50Us: number;
  cpuP99Us: number;
  /** Mean time of the book greeks alone (200 positions), microseconds. */
  bookGreeksMeanUs: number;
  /** Mean sides per tick priced exactly because the Taylor bound straddled a tick. */
  exactSidesPerTick: number;
  /** Every fast tick's prices and sizes equal the reference's (checked on the timed walk). */
  matchesReference: boolean;
}

const T0 = Date.UTC(2024, 0, 2, 8);
const SPOT = 42_000;
const EXPIRY_DATES: readonly [number, number, number][] = [
  [2024, 0, 5],
  [2024, 0, 12],
  [2024, 0, 19],
  [2024, 0, 26],
  [2024, 1, 23],
  [2024, 2, 29],
  [2024, 5, 28],
  [2024, 8, 27],
];

/** The benchmark chain: surface, instrument names, reference spot. */
export function benchChain(): { surface: VolSurface; names: string[]; spot: number; atMs: number } {
  const slices: SurfaceSlice[] = EXPIRY_DATES.map(([y, m, d]) => {
    const expiryMs = Date.UTC(y, m, d, 8);
    const t = (expiryMs - T0) / MS_PER_YEAR;
    const atmVariance = 0.55 * 0.55; // per year
    // Raw SVI with w(0) = atmVariance x t: a + b sigma sqrt(1 + (m/sigma)^2)... kept simple, m = 0.
    const b = 0.1 * Math.sqrt(t);
    const sigma = 0.2;
    const a = atmVariance * t - b * sigma;
    return {
      expiryMs,
      yearsToExpiry: t,
      forward: SPOT * Math.exp(0.05 * t),
      svi: { a, b, rho: -0.2, m: 0, sigma },
    };
  });
  const surface = new VolSurface(T0, slices);
  const names: string[] = [];
  for (const s of slices) {
    for (let k = 0; k < 50; k++) {
      const strike = 20_000 + 1000 * k;
      for (const optionType of ['call', 'put'] as const)
        names.push(
          formatInstrumentName({
            kind: 'option',
            base: 'BTC',
            quote: null,
            expiryMs: s.expiryMs,
            strike,
            optionType,
          }),
        );
    }
  }
  return { surface, names, spot: SPOT, atMs: T0 };
}

export async function tickToQuoteBenchmark(
  options: { ticks?: number; warmup?: number; seed?: number } = {},
): Promise<TickToQuoteFigures> {
  const ticks = options.ticks ?? 20_000;
  const warmup = options.warmup ?? 2_000;
  const random = mulberry32(options.seed ?? 8);
  const { surface, names, spot, atMs } = benchChain();
  const quoterOptions = {
    surface,
    refSpot: spot,
    instruments: names,
    config: {
      halfSpreadVol: 0.01,
      vegaSkewVol: 0.02,
      totalVegaSkewVol: 0.005,
      deltaSkew: 0.002,
      baseSize: 5,
      minSize: 0.1,
    },
    limits: { vegaPerExpiry: 2_000, vegaTotal: 8_000, deltaCoin: 50 },
    atMs,
  };
  const quoter = new OptionsQuoter(quoterOptions);
  const positions = 200;
  const index = new Int32Array(positions);
  const amount = new Float64Array(positions);
  for (let j = 0; j < positions; j++) {
    index[j] = Math.floor(random() * names.length);
    amount[j] = Math.round((random() * 20 - 10) * 10) / 10 || 0.1;
  }
  const vegaByExpiry = new Float64Array(quoter.expiries.length);
  const seed = options.seed ?? 8;
  const walk = (mode: 'fast' | 'reference') =>
    runWalk(quoter, mode, spot, index, amount, positions, vegaByExpiry, ticks, warmup, mulberry32(seed + 1));
  const fast = walk('fast');
  const reference = walk('reference');
  // Same walk again, both ways, tick by tick: prices and sizes must agree exactly.
  const check = new OptionsQuoter(quoterOptions);
  const random2 = mulberry32(seed + 1);
  let s2 = spot;
  let matches = true;
  const book2 = { vegaByExpiry: new Float64Array(quoter.expiries.length), deltaCoin: 0 };
  const fastOut = quoter.out;
  for (let n = 0; n < Math.min(ticks, 2_000); n++) {
    s2 = nextSpot(s2, spot, random2);
    quoter.quote(s2, book2);
    check.quoteExact(s2, book2);
    for (const key of ['bidPrice', 'askPrice', 'bidSize', 'askSize'] as const) {
      const x = fastOut[key];
      const y = check.out[key];
      for (let i = 0; i < x.length; i++)
        if (!(x[i] === y[i] || (Number.isNaN(x[i]) && Number.isNaN(y[i])))) matches = false;
    }
    book2.deltaCoin = quoter.bookGreeks(index, amount, positions, book2.vegaByExpiry);
  }
  let greekTime = 0;
  const reps = 20_000;
  const start = process.hrtime.bigint();
  for (let n = 0; n < reps; n++) greekTime += quoter.bookGreeks(index, amount, positions, vegaByExpiry);
  const bookGreeksMeanUs = Number(process.hrtime.bigint() - start) / 1000 / reps;
  if (!Number.isFinite(greekTime)) throw new Error('book greeks not finite');
  return {
    options: names.length,
    positions,
    p50Us: fast.p50,
    p99Us: fast.p99,
    meanUs: fast.mean,
    samples: ticks,
    cpuP50Us: fast.cpuP50,
    cpuP99Us: fast.cpuP99,
    referenceP50Us: reference.p50,
    referenceP99Us: reference.p99,
    referenceMeanUs: reference.mean,
    bookGreeksMeanUs,
    exactSidesPerTick: fast.exactSides / ticks,
    matchesReference: matches,
  };
}

function nextSpot(s: number, spot: number, random: () => number): number {
  const step = random() < 0.02 ? 0.01 : 0.001;
  let next = s * (1 + (random() < 0.5 ? -step : step));
  if (next < 0.5 * spot || next > 1.5 * spot) next = spot;
  return next;
}

/** One timed walk: per tick, quote (fast or reference) at the new spot, then the book greeks. */
function runWalk(
  quoter: OptionsQuoter,
  mode: 'fast' | 'reference',
  spot: number,
  index: Int32Array,
  amount: Float64Array,
  positions: number,
  vegaByExpiry: Float64Array,
  ticks: number,
  warmup: number,
  random: () => number,
): { p50: number; p99: number; mean: number; exactSides: number; cpuP50: number; cpuP99: number } {
  let s = spot;
  vegaByExpiry.fill(0);
  quoter.quote(s, { vegaByExpiry, deltaCoin: 0 });
  let deltaCoin = quoter.bookGreeks(index, amount, positions, vegaByExpiry);
  const book = { vegaByExpiry, deltaCoin };
  const samples = new Float64Array(ticks);
  const cpu = new Float64Array(ticks);
  let checksum = 0;
  let exactSides = 0;
  for (let n = -warmup; n < ticks; n++) {
    s = nextSpot(s, spot, random);
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    book.deltaCoin = deltaCoin;
    const out = mode === 'fast' ? quoter.quote(s, book) : quoter.quoteExact(s, book);
    deltaCoin = quoter.bookGreeks(index, amount, positions, vegaByExpiry);
    const end = process.hrtime.bigint();
    const cpuUsed = process.cpuUsage(cpuStart);
    checksum += out.bidSize[n & 511]! + out.askSize[(n + 7) & 511]!;
    if (n >= 0) {
      samples[n] = Number(end - start) / 1000;
      cpu[n] = cpuUsed.user + cpuUsed.system;
      if (mode === 'fast') exactSides += quoter.lastExactSides;
    }
  }
  if (!(checksum > 0)) throw new Error('no quotes with size: the benchmark setup is wrong');
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of samples) sum += x;
  const pct = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  const cpuSorted = cpu.sort();
  const cpuPct = (p: number): number =>
    cpuSorted[Math.min(cpuSorted.length - 1, Math.floor(p * cpuSorted.length))] as number;
  return {
    p50: pct(0.5),
    p99: pct(0.99),
    mean: sum / ticks,
    exactSides,
    cpuP50: cpuPct(0.5),
    cpuP99: cpuPct(0.99),
  };
}
