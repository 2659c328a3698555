/**
 * The figures of a backtest report, from what a run records: the P&L path, own fills and the
 * mid price over time. Pure functions, no I/O; every input validated (`InputError`).
 *
 * - Sharpe ratio: mean over standard deviation (sample, n - 1) of the per-period P&L changes,
 *   times sqrt(periods per year); 0 risk-free rate (a market maker's P&L is already excess).
 * - Maximum drawdown: the largest fall of the P&L path from a previous peak (>= 0).
 * - Spread captured: per fill, the signed edge against the mid at the fill, `side x (mid - price)`
 *   (a buy below the mid earns), summed and per unit of volume.
 * - Markouts: per fill and horizon h, `side x (mid(t + h) - price)` per unit, volume-weighted over
 *   the fills whose horizon lies within the run; the fall from the spread captured to the markout
 *   is the adverse selection (the flow that knew where the price was going).
 * - Fill ratio: filled amount over the amount quoted.
 */
import { InputError } from '../model/errors.js';

/** An own fill as the report reads it. */
export interface ReportFill {
  timestampMs: number;
  side: 'buy' | 'sell';
  price: number;
  amount: number;
}

/** A mid price path: times ascending, the mid at or before a time is the one in force. */
export interface MidPath {
  timesMs: ArrayLike<number>;
  mids: ArrayLike<number>;
}

/** Sharpe ratio of a P&L path sampled at regular periods (see the module comment). */
export function sharpeRatio(pnl: ArrayLike<number>, periodsPerYear: number): number {
  if (!(periodsPerYear > 0) || !Number.isFinite(periodsPerYear))
    throw new InputError('periodsPerYear', periodsPerYear, 'a number > 0');
  if (pnl.length < 3) throw new InputError('pnl', pnl.length, 'at least 3 points');
  const n = pnl.length - 1;
  let mean = 0;
  for (let i = 1; i <= n; i++) mean += (pnl[i] as number) - (pnl[i - 1] as number);
  mean /= n;
  let ss = 0;
  for (let i = 1; i <= n; i++) {
    const d = (pnl[i] as number) - (pnl[i - 1] as number) - mean;
    ss += d * d;
  }
  const sd = Math.sqrt(ss / (n - 1));
  return sd === 0 ? 0 : (mean / sd) * Math.sqrt(periodsPerYear);
}

/** The largest fall of `pnl` from an earlier peak, and where it happened (indexes). */
export function maxDrawdown(pnl: ArrayLike<number>): { drawdown: number; peak: number; trough: number } {
  if (pnl.length === 0) throw new InputError('pnl', 0, 'at least one point');
  let peak = 0;
  let best = { drawdown: 0, peak: 0, trough: 0 };
  for (let i = 1; i < pnl.length; i++) {
    if ((pnl[i] as number) > (pnl[peak] as number)) peak = i;
    const fall = (pnl[peak] as number) - (pnl[i] as number);
    if (fall > best.drawdown) best = { drawdown: fall, peak, trough: i };
  }
  return best;
}

/** The mid in force at `timeMs` (the last at or before it); undefined before the first. */
export function midAt(path: MidPath, timeMs: number): number | undefined {
  const t = path.timesMs;
  let lo = 0;
  let hi = t.length - 1;
  if (hi < 0 || timeMs < (t[0] as number)) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((t[mid] as number) <= timeMs) lo = mid;
    else hi = mid - 1;
  }
  return path.mids[lo] as number;
}

function checkPath(path: MidPath): void {
  if (path.timesMs.length !== path.mids.length || path.timesMs.length === 0)
    throw new InputError(
      'mids',
      path.mids.length,
      `as many mids as times (${path.timesMs.length}), at least one`,
    );
  for (let i = 1; i < path.timesMs.length; i++) {
    if ((path.timesMs[i] as number) < (path.timesMs[i - 1] as number))
      throw new InputError(`timesMs[${i}]`, path.timesMs[i], 'times in ascending order');
  }
}

function checkFill(fill: ReportFill, i: number): number {
  if (fill.side !== 'buy' && fill.side !== 'sell')
    throw new InputError(`fills[${i}].side`, fill.side, 'buy or sell');
  if (!(fill.amount > 0) || !Number.isFinite(fill.amount))
    throw new InputError(`fills[${i}].amount`, fill.amount, 'a finite amount > 0');
  if (!Number.isFinite(fill.price)) throw new InputError(`fills[${i}].price`, fill.price, 'a finite price');
  return fill.side === 'buy' ? 1 : -1;
}

/** Spread captured against the mid at each fill: total (price units x amount) and per unit of volume. */
export function spreadCaptured(
  fills: readonly ReportFill[],
  path: MidPath,
): { total: number; perUnit: number; volume: number } {
  checkPath(path);
  let total = 0;
  let volume = 0;
  fills.forEach((f, i) => {
    const sign = checkFill(f, i);
    const m = midAt(path, f.timestampMs);
    if (m === undefined) return;
    total += sign * (m - f.price) * f.amount;
    volume += f.amount;
  });
  return { total, perUnit: volume === 0 ? 0 : total / volume, volume };
}

/** Volume-weighted markouts per unit at each horizon (ms); fills whose horizon ends after the path are left out (counted in `volume`). */
export function markouts(
  fills: readonly ReportFill[],
  path: MidPath,
  horizonsMs: readonly number[],
): { horizonMs: number; perUnit: number; volume: number }[] {
  checkPath(path);
  const end = path.timesMs[path.timesMs.length - 1] as number;
  return horizonsMs.map((h) => {
    if (!(h >= 0) || !Number.isFinite(h)) throw new InputError('horizonsMs', h, 'a horizon in ms >= 0');
    let total = 0;
    let volume = 0;
    fills.forEach((f, i) => {
      const sign = checkFill(f, i);
      if (f.timestampMs + h > end) return;
      const m = midAt(path, f.timestampMs + h);
      if (m === undefined) return;
      total += sign * (m - f.price) * f.amount;
      volume += f.amount;
    });
    return { horizonMs: h, perUnit: volume === 0 ? 0 : total / volume, volume };
  });
}

/** Filled over quoted amount (0 when nothing was quoted). */
export function fillRatio(filledAmount: number, quotedAmount: number): number {
  if (!(filledAmount >= 0) || !(quotedAmount >= 0))
    throw new InputError('amounts', [filledAmount, quotedAmount], 'amounts >= 0');
  if (filledAmount > quotedAmount)
    throw new InputError('filledAmount', filledAmount, `at most the quoted amount ${quotedAmount}`);
  return quotedAmount === 0 ? 0 : filledAmount / quotedAmount;
}
