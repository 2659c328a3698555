/**
 * Dealer gamma exposure (GEX) from open interest, the zero-gamma level and a gamma-squeeze
 * indicator.
 *
 * Open interest says how many contracts are open, not who holds them. Which side the dealers
 * (the market makers who delta-hedge) are on is an assumption, a `DealerPositioning`, and every
 * report states it. The usual ones: customers long calls and short puts (dealers short calls,
 * long puts), customers short calls and long puts (covered-call sellers and put buyers: dealers
 * long calls, short puts), dealers short everything.
 *
 * GEX of one option line, in USD per 1% move of the underlying:
 *
 *   GEX = sign × OI × gamma × F² × 0.01
 *
 * with gamma the Black-76 d²V/dF² per contract (one contract = one coin; the venue's own
 * `greeks.gamma` is this number), F the line's forward, OI the open interest in contracts and
 * sign the dealers' side (+1 long, -1 short). gamma × F × 0.01 is the change of a contract's
 * delta (coin) for a 1% move, × F makes it USD: GEX is the USD delta the dealers gain for a +1%
 * move, so the hedge they must trade is -GEX (buy when GEX < 0: short gamma chases the move).
 *
 * Zero-gamma level: the spot at which the dealers' total GEX changes sign. Each option's
 * forward moves with spot in proportion (F' = F × S / S0), vols held per strike (sticky strike)
 * and time held; total GEX is re-evaluated over a spot grid and each sign change refined by
 * bisection.
 *
 * Squeeze indicator: the USD hedge flow a 1% move forces (|GEX|) against the USD depth of the
 * perpetual and futures books within 1% of their mids on the side the hedge takes, as a ratio;
 * above 1 the hedge alone would sweep the books' visible depth.
 */
import { InputError } from '../model/errors.js';
import { nonBlankNumberedLines, parseJsonObject, type LineSource } from '../model/json-lines.js';
import { black76 } from '../pricing/black76.js';
import type { OptionKind } from '../pricing/types.js';
import type { BookView } from '../market/book.js';
import { depthWithin, mid } from '../market/metrics.js';
import type { ChainQuote } from '../vol/chain.js';

/** Which side of the open interest the dealers hold: +1 long, -1 short, 0 ignored. */
export interface DealerPositioning {
  /** Stated in every report: `customers long calls, short puts (dealers short calls, long puts)`. */
  name: string;
  callSign: 1 | -1 | 0;
  putSign: 1 | -1 | 0;
}

/** The common assumptions. */
export const DEALER_POSITIONING = {
  customersLongCallsShortPuts: {
    name: 'customers long calls, short puts (dealers short calls, long puts)',
    callSign: -1,
    putSign: 1,
  },
  customersShortCallsLongPuts: {
    name: 'customers short calls, long puts (dealers long calls, short puts)',
    callSign: 1,
    putSign: -1,
  },
  dealersShortAll: { name: 'dealers short all options', callSign: -1, putSign: -1 },
  dealersLongAll: { name: 'dealers long all options', callSign: 1, putSign: 1 },
} as const satisfies Record<string, DealerPositioning>;

/** One option line with its open interest. */
export interface GammaOption {
  instrument: string;
  kind: OptionKind;
  strike: number;
  /** USD per coin. */
  forwardUsd: number;
  yearsToExpiry: number;
  /** Decimal (0.8 = 80%). */
  vol: number;
  rate: number;
  /** Contracts (coins of underlying). */
  openInterest: number;
}

/** GEX at one strike, all expiries together. */
export interface StrikeGamma {
  strike: number;
  callOpenInterest: number;
  putOpenInterest: number;
  /** USD per 1% move, dealers' side. */
  callGexUsd: number;
  putGexUsd: number;
  gexUsd: number;
}

/** The dealer gamma report. */
export interface GammaReport {
  /** The positioning assumption, in words. */
  positioning: string;
  /** The spot the forwards are quoted at (USD). */
  spotUsd: number;
  byStrike: StrikeGamma[];
  /** Total dealer GEX, USD per 1% move. */
  totalGexUsd: number;
}

function checkPositioning(p: DealerPositioning): void {
  if (typeof p?.name !== 'string' || p.name === '')
    throw new InputError('positioning.name', p?.name, 'a description of the assumption');
  for (const field of ['callSign', 'putSign'] as const) {
    if (p[field] !== 1 && p[field] !== -1 && p[field] !== 0)
      throw new InputError(`positioning.${field}`, p[field], '1 (long), -1 (short) or 0');
  }
}

function checkOption(o: GammaOption, i: number): void {
  const at = (field: string): string => `options[${i}].${field}`;
  if (o.kind !== 'call' && o.kind !== 'put') throw new InputError(at('kind'), o.kind, '"call" or "put"');
  for (const field of ['strike', 'forwardUsd', 'yearsToExpiry', 'vol'] as const) {
    const v = o[field];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
      throw new InputError(at(field), v, 'a positive finite number');
  }
  if (typeof o.rate !== 'number' || !Number.isFinite(o.rate))
    throw new InputError(at('rate'), o.rate, 'a finite number');
  if (typeof o.openInterest !== 'number' || !(o.openInterest >= 0) || !Number.isFinite(o.openInterest))
    throw new InputError(at('openInterest'), o.openInterest, 'a finite number >= 0 (contracts)');
}

function sign(p: DealerPositioning, kind: OptionKind): number {
  return kind === 'call' ? p.callSign : p.putSign;
}

/** GEX of one line at forward `forward` (USD per 1% move, dealers' side). */
function lineGex(o: GammaOption, p: DealerPositioning, forward: number): number {
  const s = sign(p, o.kind);
  if (s === 0 || o.openInterest === 0) return 0;
  const g = black76(o.kind, forward, o.strike, o.yearsToExpiry, o.vol, o.rate).gamma;
  return s * o.openInterest * g * forward * forward * 0.01;
}

/** Dealer GEX by strike (ascending) and in total; throws `InputError` naming the field. */
export function dealerGamma(
  options: readonly GammaOption[],
  positioning: DealerPositioning,
  spotUsd: number,
): GammaReport {
  checkPositioning(positioning);
  checkSpot(spotUsd);
  options.forEach(checkOption);
  const byStrike = new Map<number, StrikeGamma>();
  let total = 0;
  for (const o of options) {
    const gex = lineGex(o, positioning, o.forwardUsd);
    let row = byStrike.get(o.strike);
    if (row === undefined) {
      row = {
        strike: o.strike,
        callOpenInterest: 0,
        putOpenInterest: 0,
        callGexUsd: 0,
        putGexUsd: 0,
        gexUsd: 0,
      };
      byStrike.set(o.strike, row);
    }
    if (o.kind === 'call') {
      row.callOpenInterest += o.openInterest;
      row.callGexUsd += gex;
    } else {
      row.putOpenInterest += o.openInterest;
      row.putGexUsd += gex;
    }
    row.gexUsd += gex;
    total += gex;
  }
  return {
    positioning: positioning.name,
    spotUsd,
    byStrike: [...byStrike.values()].sort((a, b) => a.strike - b.strike),
    totalGexUsd: total,
  };
}

function checkSpot(spotUsd: number): void {
  if (typeof spotUsd !== 'number' || !(spotUsd > 0) || !Number.isFinite(spotUsd))
    throw new InputError('spotUsd', spotUsd, 'a positive finite price (USD)');
}

/** Total dealer GEX (USD per 1%) with every forward moved to F × spot / spotUsd. */
export function totalGexAtSpot(
  options: readonly GammaOption[],
  positioning: DealerPositioning,
  spotUsd: number,
  atSpotUsd: number,
): number {
  checkSpot(spotUsd);
  if (!(atSpotUsd > 0) || !Number.isFinite(atSpotUsd))
    throw new InputError('atSpotUsd', atSpotUsd, 'a positive finite price (USD)');
  const ratio = atSpotUsd / spotUsd;
  let total = 0;
  for (const o of options) total += lineGex(o, positioning, o.forwardUsd * ratio);
  return total;
}

/** The zero-gamma search. */
export interface ZeroGammaOptions {
  /** Grid bounds as fractions of spot; default 0.5 and 1.5. */
  low?: number;
  high?: number;
  /** Grid points; default 201. */
  points?: number;
  /** Bisection tolerance in USD; default 0.01. */
  toleranceUsd?: number;
}

/** The zero-gamma level. */
export interface ZeroGamma {
  positioning: string;
  spotUsd: number;
  /** The sign change nearest the spot; null when total GEX keeps one sign over the grid. */
  levelUsd: number | null;
  /** Every sign change on the grid, ascending. */
  crossingsUsd: number[];
  /** The grid searched (USD) and the total GEX there (USD per 1%). */
  grid: { spotUsd: number; gexUsd: number }[];
}

/** Finds where the dealers' total GEX changes sign (see the module comment). */
export function zeroGammaLevel(
  options: readonly GammaOption[],
  positioning: DealerPositioning,
  spotUsd: number,
  search: ZeroGammaOptions = {},
): ZeroGamma {
  checkPositioning(positioning);
  checkSpot(spotUsd);
  options.forEach(checkOption);
  const low = search.low ?? 0.5;
  const high = search.high ?? 1.5;
  const points = search.points ?? 201;
  const tolerance = search.toleranceUsd ?? 0.01;
  if (!(low > 0) || !Number.isFinite(low)) throw new InputError('search.low', low, 'a fraction of spot > 0');
  if (!(high > low) || !Number.isFinite(high))
    throw new InputError('search.high', high, `a fraction of spot > low (${low})`);
  if (!Number.isInteger(points) || points < 2)
    throw new InputError('search.points', points, 'an integer >= 2');
  if (!(tolerance > 0)) throw new InputError('search.toleranceUsd', tolerance, 'a number > 0');
  const gexAt = (s: number): number => totalGexAtSpot(options, positioning, spotUsd, s);
  const grid: { spotUsd: number; gexUsd: number }[] = [];
  for (let i = 0; i < points; i++) {
    const s = spotUsd * (low + ((high - low) * i) / (points - 1));
    grid.push({ spotUsd: s, gexUsd: gexAt(s) });
  }
  const crossings: number[] = [];
  for (let i = 1; i < grid.length; i++) {
    const a = grid[i - 1]!;
    const b = grid[i]!;
    if (a.gexUsd === 0) {
      crossings.push(a.spotUsd);
      continue;
    }
    if (a.gexUsd * b.gexUsd >= 0) continue;
    let lo = a.spotUsd;
    let hi = b.spotUsd;
    let gLo = a.gexUsd;
    while (hi - lo > tolerance) {
      const m = (lo + hi) / 2;
      const g = gexAt(m);
      if (g === 0) {
        lo = hi = m;
        break;
      }
      if (g * gLo < 0) hi = m;
      else {
        lo = m;
        gLo = g;
      }
    }
    crossings.push((lo + hi) / 2);
  }
  const last = grid[grid.length - 1]!;
  if (last.gexUsd === 0) crossings.push(last.spotUsd);
  let level: number | null = null;
  for (const c of crossings)
    if (level === null || Math.abs(c - spotUsd) < Math.abs(level - spotUsd)) level = c;
  return { positioning: positioning.name, spotUsd, levelUsd: level, crossingsUsd: crossings, grid };
}

/**
 * Depth of one perpetual or futures book: an `OrderBook` (amounts in `amountUnit`: `usd` for
 * Deribit's inverse perpetuals and futures, `coin` for linear ones), or the USD depth within the
 * move on each side as numbers.
 */
export type DepthSource =
  | { instrument: string; book: BookView; amountUnit: 'usd' | 'coin' }
  | { instrument: string; bidUsd: number; askUsd: number };

/** One direction of the squeeze indicator. */
export interface SqueezeSide {
  /** What the dealers' hedge does after this move. */
  hedge: 'buy' | 'sell' | 'none';
  /** USD the hedge trades. */
  flowUsd: number;
  /** USD resting within the move on the side the hedge takes (asks for a buy, bids for a sell). */
  depthUsd: number;
  /** flowUsd / depthUsd; Infinity with no depth (and a flow), 0 with no flow. */
  ratio: number;
}

/** The gamma-squeeze indicator. */
export interface GammaSqueeze {
  positioning: string;
  /** The move the indicator is for (0.01 = 1%). */
  move: number;
  totalGexUsd: number;
  /** True when the dealers are short gamma: their hedge trades with the move. */
  amplifying: boolean;
  up: SqueezeSide;
  down: SqueezeSide;
  /** Depth sources with no mid (an empty side), listed and left out. */
  unusableBooks: string[];
}

/**
 * The hedge flow a `move` (default 1%) forces against the books' depth within that move.
 * First order: the flow for a move m is |GEX| × m / 1%.
 */
export function gammaSqueeze(
  report: Pick<GammaReport, 'positioning' | 'totalGexUsd'>,
  depth: readonly DepthSource[],
  move = 0.01,
): GammaSqueeze {
  if (!(move > 0) || !(move < 1)) throw new InputError('move', move, 'a fraction in (0, 1) (0.01 = 1%)');
  if (!Number.isFinite(report.totalGexUsd))
    throw new InputError('totalGexUsd', report.totalGexUsd, 'a finite number (USD per 1%)');
  let bidUsd = 0;
  let askUsd = 0;
  const unusable: string[] = [];
  depth.forEach((d, i) => {
    if ('book' in d) {
      if (d.amountUnit !== 'usd' && d.amountUnit !== 'coin')
        throw new InputError(`depth[${i}].amountUnit`, d.amountUnit, '"usd" or "coin"');
      const m = mid(d.book);
      if (m === undefined) {
        unusable.push(d.instrument);
        return;
      }
      const within = depthWithin(d.book, move * m) as { bid: number; ask: number };
      const toUsd = d.amountUnit === 'usd' ? 1 : m;
      bidUsd += within.bid * toUsd;
      askUsd += within.ask * toUsd;
    } else {
      for (const field of ['bidUsd', 'askUsd'] as const) {
        const v = d[field];
        if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v))
          throw new InputError(`depth[${i}].${field}`, v, 'a finite number >= 0 (USD)');
      }
      bidUsd += d.bidUsd;
      askUsd += d.askUsd;
    }
  });
  const gex = report.totalGexUsd * (move / 0.01);
  const side = (deltaChangeUsd: number): SqueezeSide => {
    // The dealers' delta changed by deltaChangeUsd; they trade the opposite.
    const trade = -deltaChangeUsd;
    const hedge = trade > 0 ? 'buy' : trade < 0 ? 'sell' : 'none';
    const flowUsd = Math.abs(trade);
    const depthUsd = hedge === 'buy' ? askUsd : hedge === 'sell' ? bidUsd : 0;
    const ratio = flowUsd === 0 ? 0 : depthUsd === 0 ? Infinity : flowUsd / depthUsd;
    return { hedge, flowUsd, depthUsd, ratio };
  };
  return {
    positioning: report.positioning,
    move,
    totalGexUsd: report.totalGexUsd,
    amplifying: report.totalGexUsd < 0,
    up: side(gex),
    down: side(-gex),
    unusableBooks: unusable,
  };
}

/**
 * Reads `open_interest` by instrument from a chain snapshot (`data/deribit/` format; the chain
 * reader does not keep it). Lines without a name or a usable open interest are skipped: a
 * `GammaOption` is only built where the number exists (`gammaOptionsFromChain` lists the rest).
 */
export async function readOpenInterest(source: LineSource): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const { text } of nonBlankNumberedLines(source)) {
    let object: Record<string, unknown>;
    try {
      object = parseJsonObject(text);
    } catch {
      continue;
    }
    const name = object.instrument_name;
    const oi = object.open_interest;
    if (typeof name === 'string' && typeof oi === 'number' && oi >= 0 && Number.isFinite(oi))
      out.set(name, oi);
  }
  return out;
}

/**
 * `GammaOption`s from chain quotes and open interest: the vol is our implied vol of the mark
 * (`ivMark`), else the venue's `mark_iv`. Options without open interest or any vol are listed in
 * `skipped`, not guessed.
 */
export function gammaOptionsFromChain(
  quotes: Iterable<ChainQuote>,
  openInterest: ReadonlyMap<string, number>,
): { options: GammaOption[]; skipped: { instrument: string; reason: string }[] } {
  const options: GammaOption[] = [];
  const skipped: { instrument: string; reason: string }[] = [];
  for (const q of quotes) {
    const oi = openInterest.get(q.instrumentName);
    if (oi === undefined) {
      skipped.push({ instrument: q.instrumentName, reason: 'no open_interest' });
      continue;
    }
    const vol = q.ivMark ?? (q.venueMarkIv > 0 ? q.venueMarkIv : null);
    if (vol === null) {
      skipped.push({ instrument: q.instrumentName, reason: 'no implied vol of the mark' });
      continue;
    }
    options.push({
      instrument: q.instrumentName,
      kind: q.kind,
      strike: q.strike,
      forwardUsd: q.forwardUsd,
      yearsToExpiry: q.yearsToExpiry,
      vol,
      rate: q.rate,
      openInterest: oi,
    });
  }
  return { options, skipped };
}
