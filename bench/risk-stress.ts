/**
 * Stress benchmark: a synthetic book of 2,000 distinct BTC options (40 weekly expiries x 25
 * strikes x call and put, mixed signs) plus a future, over a 41 x 21 spot x vol grid by full
 * revaluation (`--marks venue`, sticky-strike), on the worker pool (started before timing) and
 * on one thread, beside the time of the same number (2,000 x 41 x 21 = 1,722,000) of single
 * Black-76 prices (`black76Price`, one call each) and of one `black76PriceColumns` pass over as
 * many rows. Times are the fastest of several runs.
 */
import { performance } from 'node:perf_hooks';
import { parseInstrumentName } from '../src/model/instrument-name.js';
import { black76Price, black76PriceColumns } from '../src/pricing/black76.js';
import type { RiskMarket, RiskPosition } from '../src/risk/inputs.js';
import { createStressPool, stressGrid } from '../src/risk/stress/grid.js';
import { createRevaluer } from '../src/risk/stress/revalue.js';
import type { ChainQuote } from '../src/vol/chain.js';

export interface RiskStressFigures {
  /** Distinct options in the book (plus one future). */
  instruments: number;
  spotShocks: number;
  volShifts: number;
  /** Black-76 valuations per grid: instruments x spot shocks x vol shifts. */
  valuations: number;
  workers: number;
  /** One grid on the worker pool, ms (fastest run). */
  workerGridMs: number;
  /** One grid on this thread, ms (fastest run). */
  singleGridMs: number;
  /** `valuations` single `black76Price` calls, ms (fastest run). */
  singlePricesMs: number;
  /** One `black76PriceColumns` pass over `valuations` rows, ms (fastest run). */
  columnPricesMs: number;
  /** The worker grid equals the single-thread grid exactly. */
  identical: boolean;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_MS = 86_400_000;

function syntheticBook(): { book: RiskPosition[]; market: RiskMarket } {
  const asOfMs = Date.UTC(2020, 4, 21, 23, 20);
  const spot = 9100;
  const options = new Map<string, ChainQuote>();
  const book: RiskPosition[] = [];
  for (let e = 0; e < 40; e++) {
    const expiry = new Date(Date.UTC(2020, 4, 22 + 7 * e, 8));
    const date = `${expiry.getUTCDate()}${MONTHS[expiry.getUTCMonth()]}${String(expiry.getUTCFullYear()).slice(2)}`;
    const years = (expiry.getTime() - asOfMs) / (365 * DAY_MS);
    const forward = spot * (1 + 0.03 * years);
    for (let k = 0; k < 25; k++) {
      const strike = Math.round((forward * (0.5 + k * 0.05)) / 50) * 50 + e; // distinct per expiry
      for (const kind of ['call', 'put'] as const) {
        const name = `BTC-${date}-${strike}-${kind === 'call' ? 'C' : 'P'}`;
        const m = Math.log(strike / forward);
        const quote = {
          instrumentName: name,
          kind,
          strike,
          expiryMs: expiry.getTime(),
          timestampMs: asOfMs,
          yearsToExpiry: years,
          forwardUsd: forward,
          rate: 0,
          markCoin: 0,
          ivMark: 0.6 + 0.25 * m * m - 0.1 * m + 0.2 / (1 + 10 * years),
        } as ChainQuote;
        options.set(name, quote);
        book.push({
          instrument: name,
          parsed: parseInstrumentName(name),
          amount: ((book.length * 7919) % 41) - 20,
          line: book.length + 1,
        });
      }
    }
  }
  const future = 'BTC-PERPETUAL';
  book.push({
    instrument: future,
    parsed: parseInstrumentName(future),
    amount: -250_000,
    line: book.length + 1,
  });
  const futures: RiskMarket['futures'] = new Map([
    [
      future,
      {
        instrument: future,
        parsed: parseInstrumentName(future),
        markPrice: spot,
        indexPrice: spot,
        timestampMs: asOfMs,
        line: 1,
      },
    ],
  ]);
  return {
    book,
    market: { options, futures, index: new Map([['BTC', spot]]), timestampMs: asOfMs, warnings: [] },
  };
}

function fastest(runs: number, f: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

export async function stressBenchmark(): Promise<RiskStressFigures> {
  const { book, market } = syntheticBook();
  const revaluer = createRevaluer(book, market);
  const instruments = revaluer.columns.forward.length;
  const spots = Array.from({ length: 41 }, (_, i) => -0.5 + i * 0.025);
  const shifts = Array.from({ length: 21 }, (_, j) => -0.5 + j * 0.05);
  const valuations = instruments * spots.length * shifts.length;

  const pool = await createStressPool({ workers: 2 });
  let workerGridMs = Number.POSITIVE_INFINITY;
  let identical = true;
  try {
    const single = stressGrid(revaluer, spots, shifts);
    for (let r = 0; r < 12; r++) {
      const t0 = performance.now();
      const g = await pool.grid(revaluer, spots, shifts);
      workerGridMs = Math.min(workerGridMs, performance.now() - t0);
      if (r === 0) identical = JSON.stringify(g) === JSON.stringify(single);
    }
  } finally {
    await pool.close();
  }
  const singleGridMs = fastest(5, () => stressGrid(revaluer, spots, shifts));

  const c = revaluer.columns;
  let sink = 0;
  const singlePricesMs = fastest(3, () => {
    for (let i = 0; i < spots.length; i++) {
      for (let j = 0; j < shifts.length; j++) {
        for (let o = 0; o < instruments; o++) {
          sink += black76Price(
            c.isCall[o] === 1 ? 'call' : 'put',
            c.forward[o]! * (1 + spots[i]!),
            c.strike[o]!,
            c.years[o]!,
            Math.max(c.baseVol[o]! + shifts[j]!, 0.01),
            c.rate[o]!,
          );
        }
      }
    }
  });
  const input = {
    isCall: new Uint8Array(valuations),
    forward: new Float64Array(valuations),
    strike: new Float64Array(valuations),
    expiryYears: new Float64Array(valuations),
    vol: new Float64Array(valuations),
    rate: new Float64Array(valuations),
  };
  let row = 0;
  for (let i = 0; i < spots.length; i++) {
    for (let j = 0; j < shifts.length; j++) {
      for (let o = 0; o < instruments; o++, row++) {
        input.isCall[row] = c.isCall[o]!;
        input.forward[row] = c.forward[o]! * (1 + spots[i]!);
        input.strike[row] = c.strike[o]!;
        input.expiryYears[row] = c.years[o]!;
        input.vol[row] = Math.max(c.baseVol[o]! + shifts[j]!, 0.01);
        input.rate[row] = c.rate[o]!;
      }
    }
  }
  const out = new Float64Array(valuations);
  const columnPricesMs = fastest(3, () => black76PriceColumns(input, out));
  if (!Number.isFinite(sink + out[0]!)) throw new Error('benchmark sink');

  return {
    instruments,
    spotShocks: spots.length,
    volShifts: shifts.length,
    valuations,
    workers: pool.size,
    workerGridMs,
    singleGridMs,
    singlePricesMs,
    columnPricesMs,
    identical,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await stressBenchmark());
}
