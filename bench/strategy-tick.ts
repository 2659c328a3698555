/**
 * Tick-to-quote benchmark (issue 8): from a spot change to a full new set of quotes for a chain
 * of 800 BTC inverse options (8 expiries x 50 strikes x call/put) with 200 positions held.
 * Timed per tick: the book's greeks (a sum over the 200 positions of the per-contract greeks
 * of the latest evaluation), then `OptionsQuoter.quote` at the new spot: forwards, surface
 * lookup, vega and delta skew, three Black-76 evaluations per option, limit checks and sizes,
 * tick rounding and min/max price. Spots are a seeded random walk (about 0.1% per tick, with a
 * 1% jump one tick in 50). Warm-up ticks are run first and not counted.
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
  const quoter = new OptionsQuoter({
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
  });
  const positions = 200;
  const index = new Int32Array(positions);
  const amount = new Float64Array(positions);
  for (let j = 0; j < positions; j++) {
    index[j] = Math.floor(random() * names.length);
    amount[j] = Math.round((random() * 20 - 10) * 10) / 10 || 0.1;
  }
  const vegaByExpiry = new Float64Array(quoter.expiries.length);
  let s = spot;
  quoter.quote(s, { vegaByExpiry, deltaCoin: 0 });
  let deltaCoin = quoter.bookGreeks(index, amount, positions, vegaByExpiry);
  const book = { vegaByExpiry, deltaCoin };
  const samples = new Float64Array(ticks);
  let checksum = 0;
  for (let n = -warmup; n < ticks; n++) {
    const step = random() < 0.02 ? 0.01 : 0.001;
    s *= 1 + (random() < 0.5 ? -step : step);
    if (s < 0.5 * spot || s > 1.5 * spot) s = spot;
    const start = process.hrtime.bigint();
    book.deltaCoin = deltaCoin;
    const out = quoter.quote(s, book);
    deltaCoin = quoter.bookGreeks(index, amount, positions, vegaByExpiry);
    const end = process.hrtime.bigint();
    checksum += out.bidSize[n & 511]! + out.askSize[(n + 7) & 511]!;
    if (n >= 0) samples[n] = Number(end - start) / 1000;
  }
  if (!(checksum > 0)) throw new Error('no quotes with size: the benchmark setup is wrong');
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of samples) sum += x;
  const pct = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
  return {
    options: names.length,
    positions,
    p50Us: pct(0.5),
    p99Us: pct(0.99),
    meanUs: sum / ticks,
    samples: ticks,
  };
}
