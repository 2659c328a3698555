/**
 * Liquidation distance: the spot move, down and up, at which the book's loss exhausts the
 * account's equity (coin), by full revaluation: every forward of the coin moves by the same
 * relative amount, vols and time held, P&L in coin as in `portfolio-margin.ts`. The move is
 * found by scanning outwards in steps of `scanStep` for the first point where
 * `equity + P&L <= 0`, then bisecting between it and the last point with equity left.
 *
 * It is the distance to zero equity, not to the venue's liquidation trigger (equity below
 * maintenance margin), which comes earlier; `portfolioMargin` gives the maintenance margin today.
 */
import { InputError } from '../../model/errors.js';
import type { RiskMarket, RiskPosition } from '../inputs.js';
import { bookPnlCoin, prepareBook, resolveMarginConfig } from './portfolio-margin.js';

/** Where the equity runs out on one side. */
export interface LiquidationPoint {
  /** Relative spot move (-0.25 = -25%). */
  move: number;
  /** The index price there, USD. */
  priceUsd: number;
}

/** The liquidation distance both ways; a side is null when the equity lasts over the whole scan. */
export interface LiquidationDistance {
  coin: string;
  indexUsd: number;
  equityCoin: number;
  down: LiquidationPoint | null;
  up: LiquidationPoint | null;
}

/** Options of `liquidationDistance`. */
export interface LiquidationOptions {
  /** The settlement coin; required when the book holds several. */
  coin?: string;
  /** Largest move scanned down (0.99 = -99%); default 0.99. */
  maxDown?: number;
  /** Largest move scanned up (10 = +1000%); default 10. */
  maxUp?: number;
  /** Scan step of the relative move; default 0.005. */
  scanStep?: number;
  /** Bisection stops when the bracket is narrower than this (relative move); default 1e-10. */
  tolerance?: number;
}

/** The spot moves that exhaust `equityCoin` (see the module comment). */
export function liquidationDistance(
  book: readonly RiskPosition[],
  market: RiskMarket,
  equityCoin: number,
  options: LiquidationOptions = {},
): LiquidationDistance {
  if (typeof equityCoin !== 'number' || !Number.isFinite(equityCoin)) {
    throw new InputError('equityCoin', equityCoin, 'a finite amount of coin');
  }
  const maxDown = options.maxDown ?? 0.99;
  const maxUp = options.maxUp ?? 10;
  const step = options.scanStep ?? 0.005;
  const tolerance = options.tolerance ?? 1e-10;
  if (!(maxDown > 0 && maxDown < 1)) throw new InputError('maxDown', maxDown, 'a move in (0, 1)');
  if (!(maxUp > 0) || !Number.isFinite(maxUp)) throw new InputError('maxUp', maxUp, 'a move > 0');
  if (!(step > 0) || !Number.isFinite(step)) throw new InputError('scanStep', step, 'a step > 0');
  if (!(tolerance > 0)) throw new InputError('tolerance', tolerance, 'a tolerance > 0');
  const prepared = prepareBook(book, market, options.coin, resolveMarginConfig());
  const point = (move: number): LiquidationPoint => ({ move, priceUsd: prepared.indexUsd * (1 + move) });
  if (equityCoin <= 0) {
    return { coin: prepared.coin, indexUsd: prepared.indexUsd, equityCoin, down: point(0), up: point(0) };
  }
  const search = (sign: -1 | 1, limit: number): LiquidationPoint | null => {
    const left = (move: number): number => equityCoin + bookPnlCoin(prepared, move, 'same');
    let inside = 0;
    for (let k = 1; ; k++) {
      const move = sign * Math.min(k * step, limit);
      if (left(move) <= 0) return point(bisect(left, inside, move, tolerance));
      inside = move;
      if (Math.abs(move) >= limit) return null;
    }
  };
  return {
    coin: prepared.coin,
    indexUsd: prepared.indexUsd,
    equityCoin,
    down: search(-1, maxDown),
    up: search(1, maxUp),
  };
}

/** Bisection between `inside` (equity left) and `outside` (exhausted); returns the crossing. */
function bisect(left: (move: number) => number, inside: number, outside: number, tolerance: number): number {
  let a = inside;
  let b = outside;
  while (Math.abs(b - a) > tolerance) {
    const m = 0.5 * (a + b);
    if (left(m) <= 0) b = m;
    else a = m;
  }
  return 0.5 * (a + b);
}
