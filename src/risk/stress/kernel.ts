/**
 * The columnar core of full revaluation: a book as typed arrays, valued under one scenario cell.
 * It has no dependency beyond the pricer, so that the stress worker (`worker.ts`) runs exactly
 * this code on exactly these inputs and its grid equals the single-thread grid bit for bit
 * (each cell is summed in the same order by the same function).
 *
 * Pricing is Black-76 exactly as `black76Price` / `black76PriceColumns` compute it (the same
 * operations in the same order, so the same doubles: a test checks it), with what does not
 * depend on the vol hoisted out of the vol loop: for one spot row, each option's shocked
 * forward, ln(F/K), sqrt(FK), e^{|x|/2}, intrinsic value and discount are computed once and
 * serve every vol shift; a cell then costs one normalised Black evaluation per option
 * (`normalisedBlackOtm`, Jäckel's b), which is most of a price's time anyway.
 *
 * Units: forwards and strikes in USD per coin, times in 365-day years, vols as decimals, option
 * amounts in contracts of one coin, future amounts in USD (inverse futures and perpetuals).
 */
import { logMoneyness } from '../../pricing/black76.js';
import { normalisedBlackOtm } from '../../pricing/normalised-black.js';
import { YEARS_PER_DAY } from '../../model/time.js';

/** A shocked vol is floored at one vol point. */
export const VOL_FLOOR = 0.01;

/** The `workerData` marker of a stress worker thread (`worker.ts`). */
export const STRESS_WORKER_MARK = 'ballast-stress-worker';

/** A book in columns: options first, then futures. Plain typed arrays: clonable to a worker. */
export interface StressColumns {
  /** 1 for a call, 0 for a put. */
  isCall: Uint8Array;
  /** The forward of each option's own snapshot line (`underlying_price`), USD. */
  forward: Float64Array;
  strike: Float64Array;
  /** Years to expiry from the line's own timestamp. */
  years: Float64Array;
  /** The line's `interest_rate`. */
  rate: Float64Array;
  /** Contracts (1 coin each), signed. */
  amount: Float64Array;
  /** The unshocked vol: the mark's implied vol (or the surface's, see `revalue.ts`). */
  baseVol: Float64Array;
  /** What multiplies the vol shift: 1, or (30 / days)^power for the term-structure model. */
  volWeight: Float64Array;
  /** Index of the option's coin in `coins` of the revaluer. */
  coin: Int32Array;
  /** Futures and perpetuals: USD amount, signed, and coin index. */
  futureAmount: Float64Array;
  futureCoin: Int32Array;
}

/** Per-option quantities of one spot row (all but the vol), reused across the vol shifts. */
export interface RowScratch {
  /** Shocked forward. */
  forward: Float64Array;
  /** -|ln(F'/K)|. */
  negAbsX: Float64Array;
  /** sqrt(F') sqrt(K). */
  sqrtFK: Float64Array;
  /** e^{|x|/2} as sqrt(F')/sqrt(K) or its inverse. */
  halfExp: Float64Array;
  /** Intrinsic value on the shocked forward (F' - K or K - F'; may be negative). */
  intrinsic: Float64Array;
  /** sqrt of the years left. */
  sqrtT: Float64Array;
  /** e^{-r T} (1 at rate 0). */
  discount: Float64Array;
  /** 1 if the expiry passes within the cell's days (settled at intrinsic). */
  expired: Uint8Array;
  /** Futures' part of the value, N x s summed. */
  futures: number;
}

export function allocateRow(n: number): RowScratch {
  return {
    forward: new Float64Array(n),
    negAbsX: new Float64Array(n),
    sqrtFK: new Float64Array(n),
    halfExp: new Float64Array(n),
    intrinsic: new Float64Array(n),
    sqrtT: new Float64Array(n),
    discount: new Float64Array(n),
    expired: new Uint8Array(n),
    futures: 0,
  };
}

/** Fills `row` for the spot moves `spotByCoin` and `days` passing. */
export function prepareRow(c: StressColumns, spotByCoin: Float64Array, days: number, row: RowScratch): void {
  const n = c.forward.length;
  const elapsed = days * YEARS_PER_DAY;
  for (let o = 0; o < n; o++) {
    const forward = c.forward[o]! * (1 + spotByCoin[c.coin[o]!]!);
    const strike = c.strike[o]!;
    const left = c.years[o]! - elapsed;
    const sqrtF = Math.sqrt(forward);
    const sqrtK = Math.sqrt(strike);
    row.forward[o] = forward;
    row.negAbsX[o] = -Math.abs(logMoneyness(forward, strike));
    row.sqrtFK[o] = sqrtF * sqrtK;
    row.halfExp[o] = sqrtF > sqrtK ? sqrtF / sqrtK : sqrtK / sqrtF;
    row.intrinsic[o] = c.isCall[o] === 1 ? forward - strike : strike - forward;
    row.expired[o] = left > 0 ? 0 : 1;
    row.sqrtT[o] = left > 0 ? Math.sqrt(left) : 0;
    const rate = c.rate[o]!;
    row.discount[o] = rate === 0 ? 1 : Math.exp(-rate * left);
  }
  let futures = 0;
  const fa = c.futureAmount;
  for (let f = 0; f < fa.length; f++) futures += fa[f]! * spotByCoin[c.futureCoin[f]!]!;
  row.futures = futures;
}

/**
 * The book's value in USD in one cell of a prepared row: vols
 * `max(baseVol + volAdd + volShift × volWeight, VOL_FLOOR)` (`volAdd`, per option and may be
 * null, is the sticky-moneyness smile move); options whose expiry passes are worth their
 * intrinsic value on the shocked forward; futures N × s (see `revalue.ts`).
 */
export function rowCellValue(
  c: StressColumns,
  row: RowScratch,
  volShift: number,
  volAdd: Float64Array | null,
): number {
  const n = c.forward.length;
  const { baseVol, volWeight, amount } = c;
  const { negAbsX, sqrtFK, halfExp, intrinsic, sqrtT, discount, expired } = row;
  let value = 0;
  for (let o = 0; o < n; o++) {
    const intr = intrinsic[o]!;
    let p: number;
    if (expired[o] === 1) p = intr > 0 ? intr : 0;
    else {
      let v = baseVol[o]! + volShift * volWeight[o]!;
      if (volAdd !== null) v += volAdd[o]!;
      if (!(v > VOL_FLOOR)) v = VOL_FLOOR;
      // As black76Price: discount × (intrinsic⁺ + sqrt(F) sqrt(K) b(-|x|, sigma sqrt T)).
      const otm = sqrtFK[o]! * normalisedBlackOtm(negAbsX[o]!, v * sqrtT[o]!, halfExp[o]!);
      p = discount[o]! * (intr > 0 ? intr + otm : otm);
    }
    value += amount[o]! * p;
  }
  return value + row.futures;
}

/** One cell: `prepareRow` then `rowCellValue`. */
export function cellValue(
  c: StressColumns,
  spotByCoin: Float64Array,
  volShift: number,
  days: number,
  volAdd: Float64Array | null,
  row: RowScratch,
): number {
  prepareRow(c, spotByCoin, days, row);
  return rowCellValue(c, row, volShift, volAdd);
}

/**
 * P&L rows of a grid: for each spot shock (all coins together) and each vol shift, the value
 * minus `baseValue`. `volAddRows[i]` is the sticky-moneyness smile move for spot shock i, or
 * null. The worker calls this with its share of the rows.
 */
export function gridRows(
  c: StressColumns,
  coinCount: number,
  baseValue: number,
  spotShocks: ArrayLike<number>,
  volShifts: ArrayLike<number>,
  days: number,
  volAddRows: readonly (Float64Array | null)[] | null,
): number[][] {
  const row = allocateRow(c.forward.length);
  const spot = new Float64Array(coinCount);
  const rows: number[][] = [];
  for (let i = 0; i < spotShocks.length; i++) {
    spot.fill(spotShocks[i]!);
    prepareRow(c, spot, days, row);
    const add = volAddRows === null ? null : (volAddRows[i] ?? null);
    const out: number[] = [];
    for (let j = 0; j < volShifts.length; j++) out.push(rowCellValue(c, row, volShifts[j]!, add) - baseValue);
    rows.push(out);
  }
  return rows;
}
