/**
 * The forward curve: the USD forward price of one coin for any expiry, from the forwards the
 * market gives at a few expiries.
 *
 * Interpolation: log-forward linear in time between two points, i.e. a constant carry
 * `c = ln(F2/F1) / (T2 - T1)` on each segment, `F(T) = F1 e^{c (T - T1)}` (time in 365-day
 * years from the curve's as-of time). Beyond the points the carry is held flat: after the last
 * point the last segment's, before the first the first segment's; with a spot, the spot is the
 * point at T = 0, so the first point's carry against spot serves before it. One point and no
 * spot say nothing about carry: the forward is that point's at every expiry (zero carry).
 *
 * Sources of points (all USD per coin):
 * - a listed future of the expiry (`ForwardCurve.fromFutures`): Deribit prices every option
 *   off the future of its expiry where one lists (the ticker's `underlying_index` names it);
 * - put-call parity where none lists (`syntheticForward`; the venue's `SYN.` underlyings);
 * - the perpetual's funding rate as carry against spot (`ForwardCurve.fromFunding`).
 */
import { BallastError, InputError } from '../model/errors.js';
import { parseInstrumentName, type ParsedInstrumentName } from '../model/instrument-name.js';
import { MS_PER_YEAR } from '../model/time.js';
import { checkPositive } from '../pricing/black76.js';
import type { OptionKind } from '../pricing/types.js';

/** The forward (USD per coin) for one expiry. */
export interface ForwardPoint {
  expiryMs: number;
  forward: number;
}

/** A dated future's price, USD per coin (Deribit `BTC-26JUN20`: mark or mid, as the caller decides). */
export interface FuturePrice {
  instrumentName: string;
  priceUsd: number;
}

/** Deribit quotes funding per 8 hours: three periods a day (support page "Funding Specifications"). */
export const FUNDING_PERIODS_PER_YEAR = 3 * 365;

/** Forwards for any expiry at or after the as-of time; see the module comment. */
export class ForwardCurve {
  /** The points, sorted by expiry. */
  readonly points: readonly ForwardPoint[];
  /** The spot (index) the curve starts from at its as-of time, or null when none was given. */
  readonly spotUsd: number | null;
  /** Interpolation nodes: years from `asOfMs` and forward, the spot first when given. */
  private readonly years: number[];
  private readonly forwards: number[];

  /**
   * Throws `InputError` naming the field for a non-finite as-of time, an empty list, a point
   * whose expiry is not after the as-of time or repeats another's, a forward or spot that is
   * not positive and finite.
   */
  constructor(
    readonly asOfMs: number,
    points: readonly ForwardPoint[],
    options: { spotUsd?: number } = {},
  ) {
    requireFiniteMs('asOfMs', asOfMs);
    if (!Array.isArray(points) || points.length === 0) {
      throw new InputError('points', points, 'at least one forward point {expiryMs, forward}');
    }
    points.forEach((point, i) => {
      requireFiniteMs(`points[${i}].expiryMs`, point.expiryMs);
      if (!(point.expiryMs > asOfMs)) {
        throw new InputError(`points[${i}].expiryMs`, point.expiryMs, `after the as-of time ${asOfMs}`);
      }
      checkPositive(`points[${i}].forward`, point.forward);
    });
    const sorted = points.map((p) => ({ expiryMs: p.expiryMs, forward: p.forward }));
    sorted.sort((a, b) => a.expiryMs - b.expiryMs);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.expiryMs === sorted[i - 1]!.expiryMs) {
        const at = points.findLastIndex((p) => p.expiryMs === sorted[i]!.expiryMs);
        throw new InputError(`points[${at}].expiryMs`, sorted[i]!.expiryMs, 'one point per expiry');
      }
    }
    this.points = sorted;
    this.spotUsd = null;
    this.years = [];
    this.forwards = [];
    if (options.spotUsd !== undefined) {
      checkPositive('spotUsd', options.spotUsd);
      this.spotUsd = options.spotUsd;
      this.years.push(0);
      this.forwards.push(options.spotUsd);
    }
    for (const p of sorted) {
      this.years.push((p.expiryMs - asOfMs) / MS_PER_YEAR);
      this.forwards.push(p.forward);
    }
  }

  /**
   * A curve from dated futures' prices, one per expiry; a spot anchors the front (see the
   * module comment). Deribit's inverse futures are quoted in USD per coin and the venue takes
   * the future's price as the forward of the options of that expiry, so we do too. Throws
   * `InputError` naming `futures[i].instrumentName` for a name that is not a dated future, or
   * `futures[i].priceUsd` for a price that is not positive and finite.
   */
  static fromFutures(
    asOfMs: number,
    futures: readonly FuturePrice[],
    options: { spotUsd?: number } = {},
  ): ForwardCurve {
    const points = futures.map((future, i) => {
      const field = `futures[${i}].instrumentName`;
      const parsed = parseFutureName(field, future.instrumentName);
      if (parsed.kind !== 'future') {
        const hint = parsed.kind === 'perpetual' ? '; use ForwardCurve.fromFunding for a perpetual' : '';
        throw new InputError(field, future.instrumentName, `a dated future, not a ${parsed.kind}${hint}`);
      }
      checkPositive(`futures[${i}].priceUsd`, future.priceUsd);
      return { expiryMs: parsed.expiryMs, forward: future.priceUsd };
    });
    return new ForwardCurve(asOfMs, points, options);
  }

  /**
   * A constant-carry curve from spot and the perpetual's funding rate: `F(T) = S e^{c T}` with
   * `c = fundingRate8h × 3 × 365` (`annualisedFunding`). Positive funding (perpetual above the
   * index) means longs pay shorts: holding the coin through the perpetual costs `c` a year, so
   * the forward lies above spot. Deliberate simplifications: the current rate is held for
   * every horizon (funding mean-reverts; trust it for days, not months), and the funding that
   * accrues linearly on the position's value (Deribit "Funding Specifications": payment = rate
   * × position × elapsed / 8 h) is taken as a continuously compounded carry, which differs at
   * order (cT)^2. Throws `InputError` for a spot that is not positive and finite or a rate that
   * is not finite.
   */
  static fromFunding(asOfMs: number, spotUsd: number, fundingRate8h: number): ForwardCurve {
    const carry = annualisedFunding(fundingRate8h);
    checkPositive('spotUsd', spotUsd);
    // One point a year out on the carry line; the curve's flat extrapolation holds c everywhere.
    const point = { expiryMs: asOfMs + MS_PER_YEAR, forward: spotUsd * Math.exp(carry) };
    return new ForwardCurve(asOfMs, [point], { spotUsd });
  }

  /** The forward (USD per coin) for `expiryMs`, at or after the as-of time. */
  forward(expiryMs: number): number {
    const t = this.yearsTo(expiryMs);
    const i = this.segmentAt(t);
    if (i < 0) return this.forwards[0]!;
    return this.forwards[i]! * Math.exp(this.segmentCarry(i) * (t - this.years[i]!));
  }

  /**
   * The carry in force at `expiryMs`: d ln F / dT per year of the segment (or of the flat
   * extrapolation) that holds it; 0 for a single point without spot.
   */
  carryPerYear(expiryMs: number): number {
    const i = this.segmentAt(this.yearsTo(expiryMs));
    return i < 0 ? 0 : this.segmentCarry(i);
  }

  /** 365-day years from the as-of time to `expiryMs`; refuses an expiry before the as-of time. */
  yearsTo(expiryMs: number): number {
    requireFiniteMs('expiryMs', expiryMs);
    if (!(expiryMs >= this.asOfMs)) {
      throw new InputError('expiryMs', expiryMs, `at or after the curve's as-of time ${this.asOfMs}`);
    }
    return (expiryMs - this.asOfMs) / MS_PER_YEAR;
  }

  /** Index of the segment [i, i + 1] that serves time `t` (clamped to the ends), -1 for one node. */
  private segmentAt(t: number): number {
    const last = this.years.length - 2;
    if (last < 0) return -1;
    let i = 0;
    while (i < last && t > this.years[i + 1]!) i++;
    return i;
  }

  private segmentCarry(i: number): number {
    return Math.log(this.forwards[i + 1]! / this.forwards[i]!) / (this.years[i + 1]! - this.years[i]!);
  }
}

/**
 * The perpetual's 8-hour funding rate as a yearly rate: `rate × 3 × 365` (Deribit quotes the
 * rate per 8 hours and accrues it continuously; "Funding Specifications"). Throws `InputError`
 * for a rate that is not finite.
 */
export function annualisedFunding(fundingRate8h: number): number {
  if (typeof fundingRate8h !== 'number' || !Number.isFinite(fundingRate8h)) {
    throw new InputError('fundingRate8h', fundingRate8h, 'a finite number (the 8-hour rate, 0.0001 = 0.01%)');
  }
  return fundingRate8h * FUNDING_PERIODS_PER_YEAR;
}

/** What put-call parity needs of an option quote (a `ChainQuote` has all of it). */
export interface ParityQuote {
  kind: OptionKind;
  strike: number;
  expiryMs: number;
  yearsToExpiry: number;
  rate: number;
  /** Coin per contract; null where the side has no quote. */
  bidCoin: number | null;
  askCoin: number | null;
  markCoin: number;
}

/** The forward one strike's call and put imply. */
export interface ParityStrike {
  strike: number;
  /** From the mids (or the marks). */
  forwardUsd: number;
  /** From the tightest (bid of call, ask of put) and widest (ask of call, bid of put) pairs; mids only. */
  lowUsd: number;
  highUsd: number;
}

/** A forward from put-call parity over the strikes of one expiry. */
export interface SyntheticForward extends ForwardPoint {
  /** The per-strike forwards the estimate is the (weighted) median of, by strike. */
  strikes: ParityStrike[];
  /**
   * Mids only: the forwards every strike's quotes allow, the intersection of the strikes'
   * [low, high]. `lowUsd > highUsd` means no single forward fits all the quotes (a parity
   * inconsistency worth reporting). Null for marks.
   */
  band: { lowUsd: number; highUsd: number } | null;
}

/**
 * The forward of one expiry from put-call parity, robust over several strikes.
 *
 * In USD, `C - P = e^{-rT} (F - K)`. An inverse option's coin price is its USD value over the
 * forward (Deribit "Inverse Options"; the coin value today of a USD amount paid at T is that
 * amount e^{-rT} / F), so in coin `C - P = e^{-rT} (F - K) / F = e^{-rT} (1 - K/F)`, and
 *   `F = K / (1 - (C - P) e^{rT})`,
 * defined while `(C - P) e^{rT} < 1`. F increases with C - P, so the bid/ask pairs bound it:
 * low from `bid(C) - ask(P)`, high from `ask(C) - bid(P)`.
 *
 * `prices: 'mid'` (default) uses strikes whose call and put both quote a bid and an ask; the
 * estimate is the median of the strikes' forwards weighted by 1 / (half-width of [low, high])^2,
 * so that deep in- and out-of-the-money pairs, whose wide spreads say little about F, do not
 * outvote the near-the-money ones. `prices: 'mark'` uses the venue's marks (model prices at
 * its own forward, which parity then recovers) with equal weights.
 *
 * Throws `InputError` for quotes of more than one expiry or when no strike has what is needed.
 */
export function syntheticForward(
  quotes: readonly ParityQuote[],
  options: { prices?: 'mid' | 'mark' } = {},
): SyntheticForward {
  const prices = options.prices ?? 'mid';
  const first = quotes[0];
  if (first === undefined) throw new InputError('quotes', quotes, 'the options of one expiry');
  const calls = new Map<number, ParityQuote>();
  const puts = new Map<number, ParityQuote>();
  for (const q of quotes) {
    if (q.expiryMs !== first.expiryMs) {
      throw new InputError('quotes', q.expiryMs, `options of one expiry (${first.expiryMs})`);
    }
    (q.kind === 'call' ? calls : puts).set(q.strike, q);
  }
  const strikes: ParityStrike[] = [];
  const weights: number[] = [];
  for (const [strike, call] of [...calls.entries()].sort((a, b) => a[0] - b[0])) {
    const put = puts.get(strike);
    if (put === undefined) continue;
    // The two lines may carry different timestamps: use their mean time to discount.
    const growth = Math.exp(((call.rate + put.rate) / 2) * ((call.yearsToExpiry + put.yearsToExpiry) / 2));
    const forwardOf = (callMinusPut: number): number => {
      const denominator = 1 - callMinusPut * growth;
      return denominator > 0 ? strike / denominator : Infinity;
    };
    if (prices === 'mark') {
      const forwardUsd = forwardOf(call.markCoin - put.markCoin);
      if (!Number.isFinite(forwardUsd)) continue;
      strikes.push({ strike, forwardUsd, lowUsd: forwardUsd, highUsd: forwardUsd });
      weights.push(1);
      continue;
    }
    if (call.bidCoin === null || call.askCoin === null || put.bidCoin === null || put.askCoin === null)
      continue;
    const mid = (call.bidCoin + call.askCoin) / 2 - (put.bidCoin + put.askCoin) / 2;
    const forwardUsd = forwardOf(mid);
    if (!Number.isFinite(forwardUsd)) continue;
    const lowUsd = forwardOf(call.bidCoin - put.askCoin);
    const highUsd = forwardOf(call.askCoin - put.bidCoin);
    strikes.push({ strike, forwardUsd, lowUsd, highUsd });
    // A locked pair (zero width) would weigh infinitely: floor the half-width at a millionth of F.
    const halfWidth = Math.max((highUsd - lowUsd) / 2, forwardUsd * 1e-6);
    weights.push(1 / (halfWidth * halfWidth));
  }
  if (strikes.length === 0) {
    const need = prices === 'mark' ? 'a mark' : 'a bid and an ask';
    throw new InputError(
      'quotes',
      quotes.length,
      `a call and a put at one strike at least, each with ${need}`,
    );
  }
  const band =
    prices === 'mark'
      ? null
      : {
          lowUsd: Math.max(...strikes.map((s) => s.lowUsd)),
          highUsd: Math.min(...strikes.map((s) => s.highUsd)),
        };
  const forward = weightedMedian(
    strikes.map((s) => s.forwardUsd),
    weights,
  );
  return { expiryMs: first.expiryMs, forward, strikes, band };
}

/**
 * The weighted median: the value at which the cumulative weight, in value order, reaches half
 * the total; where it lands exactly on half (equal weights, even count), the mean of that
 * value and the next, so equal weights give the ordinary median.
 */
function weightedMedian(values: readonly number[], weights: readonly number[]): number {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const half = weights.reduce((sum, w) => sum + w, 0) / 2;
  let cumulative = 0;
  for (let j = 0; j < order.length; j++) {
    cumulative += weights[order[j]!]!;
    if (cumulative === half && j + 1 < order.length) return (values[order[j]!]! + values[order[j + 1]!]!) / 2;
    if (cumulative >= half) return values[order[j]!]!;
  }
  return values[order[order.length - 1]!]!;
}

/** Parses a name for `fromFutures`; a name that does not parse is an `InputError` on `field`. */
function parseFutureName(field: string, name: string): ParsedInstrumentName {
  try {
    return parseInstrumentName(name);
  } catch (error) {
    if (error instanceof BallastError)
      throw new InputError(field, name, `a dated future's name (${error.message})`);
    throw error;
  }
}

function requireFiniteMs(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(field, value, 'a finite timestamp in milliseconds since the epoch');
  }
}
