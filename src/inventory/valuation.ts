/**
 * Valuation of a book of inverse (coin-settled) positions in a market state: the coin value of
 * each position and its partial derivatives, in columns allocated once per book. Aggregation
 * (`aggregate.ts`) sums them into buckets; P&L attribution (`attribution.ts`) expands the change
 * of value between two market states with them. Floating point: valuation only, never cash.
 *
 * Market state. Per underlying coin: the spot index (USD per coin), a forward for each expiry
 * and an implied vol for each strike and expiry (a `VolSurface` gives both, `marketFromSurface`),
 * and the perpetual's price (the index unless given). Time to expiry counts from the state's
 * `timeMs` in 365-day years; the rate is 0 (the venue's `interest_rate` in practice).
 *
 * Value, in the settlement coin, per position (n signed, in the venue's unit):
 * - inverse option, n contracts of one coin: `V = n C(F, K, T, sigma) / F`, the Black-76 USD
 *   price at the expiry's forward divided by that forward, as the venue marks it (Deribit,
 *   "Inverse Options"; `inverseOptionPriceCoin`);
 * - inverse future or perpetual, n USD: its coin P&L from an entry E is `n (1/E - 1/F)` at the
 *   mark F (F: the forward of its expiry, or the perpetual's price). Its value at its own mark is
 *   0; the entry only shifts it by a constant, so `level = -n / F` serves for differences.
 *
 * What delta means for inverse instruments. A coin-settled P&L V(F) moves by `dV/dF` coin per
 * 1 USD move of the underlying; we report `delta = F dV/dF` in coin, the coin P&L per unit
 * relative move (a 1% move earns `delta / 100` coin), which is also the BTC-equivalent
 * exposure a hedge in coin would offset. Because forwards move in proportion to spot when the
 * carry is held, `F d/dF = S d/dS`: the figure is the same whether spot or the forward moves.
 * For an option `F dV/dF = n (Black delta - C/F)`, the premium-adjusted ("net transaction")
 * delta; for an inverse future of n USD `F d(-n/F)/dF = n / F` coin, the future's position in
 * coin. Their sum is the venue's portfolio delta ("DeltaTotal = Net Transaction Delta of
 * options + BTC Position of Futures", Deribit API, `private/get_account_summary`). The USD
 * P&L of the account is hedged by `equity + delta` (the venue says the same): the coin held
 * moves one for one in USD and is not in `delta`.
 *
 * Derivatives (Black-76 model greeks C, Δ, Γ, ν, Θ = -dC/dT, vanna, volga in USD per coin of
 * underlying, `black76.ts`), for V = n C / F:
 *   F V_F = n (Δ - C/F),  F² V_FF = n (F Γ - 2 Δ + 2 C/F),  V_σ = n ν / F,  V_σσ = n volga / F,
 *   F V_Fσ = n (vanna - ν/F),  V_t = n Θ / F (F and σ held; the forward's drift with time shows
 *   as a change of F).
 * For a future (level -n/F): F V_F = n/F, F² V_FF = -2 n/F, no vol or time sensitivity.
 */
import { InputError, UnsupportedError } from '../model/errors.js';
import { MS_PER_DAY, MS_PER_YEAR } from '../model/time.js';
import {
  allocateGreekColumns,
  black76Columns,
  type GreekColumns,
  type OptionColumns,
} from '../pricing/black76.js';
import type { VolSurface } from '../vol/surface.js';
import { requireInstrument } from './events.js';
import type { Ledger } from './ledger.js';
import { toNumber } from './money.js';

/** One underlying coin's market: index, forwards, vols, perpetual price. USD per coin. */
export interface UnderlyingMarket {
  /** The spot index, USD per coin: what USD figures convert at (the venue displays USD at the index). */
  indexUsd: number;
  /** The forward (and a dated future's mark) for an expiry, USD per coin. */
  forward(expiryMs: number): number;
  /** Implied vol (decimal) for a strike and an expiry. */
  vol(strike: number, expiryMs: number): number;
  /** The perpetual's mark, USD per coin; the index when absent. */
  perpetualUsd?: number;
}

/** A market state: a time and each underlying's market, by coin (`BTC`, `ETH`). */
export interface MarketState {
  timeMs: number;
  underlyings: Readonly<Record<string, UnderlyingMarket>>;
}

/** A position to value: an instrument and its signed amount in the venue's unit. */
export interface BookPosition {
  instrument: string;
  /** Contracts for options, USD for inverse futures and perpetuals; long > 0. */
  amount: number;
}

/** An underlying's market from a fitted surface: its forwards and vols, and the index. */
export function marketFromSurface(
  surface: VolSurface,
  indexUsd: number,
  options: { perpetualUsd?: number } = {},
): UnderlyingMarket {
  return {
    indexUsd,
    forward: (expiryMs) => surface.forward(expiryMs),
    vol: (strike, expiryMs) => surface.vol(strike, expiryMs),
    ...(options.perpetualUsd === undefined ? {} : { perpetualUsd: options.perpetualUsd }),
  };
}

/** A market move: relative spot move (0.01 = +1%), vol points added, milliseconds passed. */
export interface MarketMove {
  spotRelative?: number;
  volPoints?: number;
  ms?: number;
}

/**
 * The same market moved: index, every forward and the perpetual scaled by `1 + spotRelative`
 * (carry held), every implied vol at a fixed strike raised by `volPoints / 100` (sticky strike,
 * parallel), the clock advanced by `ms`.
 */
export function moveMarket(market: MarketState, move: MarketMove): MarketState {
  const scale = 1 + (move.spotRelative ?? 0);
  const dVol = (move.volPoints ?? 0) / 100;
  const underlyings: Record<string, UnderlyingMarket> = {};
  for (const [coin, u] of Object.entries(market.underlyings)) {
    underlyings[coin] = {
      indexUsd: u.indexUsd * scale,
      forward: (expiryMs) => u.forward(expiryMs) * scale,
      vol: (strike, expiryMs) => u.vol(strike, expiryMs) + dVol,
      perpetualUsd: (u.perpetualUsd ?? u.indexUsd) * scale,
    };
  }
  return { timeMs: market.timeMs + (move.ms ?? 0), underlyings };
}

/** The open positions of a ledger as `BookPosition`s (amounts as numbers, for valuation). */
export function ledgerPositions(ledger: Ledger): BookPosition[] {
  return ledger.positions(true).map((p) => ({ instrument: p.instrument, amount: toNumber(p.amount) }));
}

/** Per-position results of a valuation, one entry per position, in the settlement coin. */
export interface PositionColumns {
  /** Options: mark value `n C / F`; futures and perpetuals: 0 (their value at their own mark). */
  value: Float64Array;
  /** Value up to a constant per position (futures: `-n / F`), whose differences are P&L. */
  level: Float64Array;
  /** `F dV/dF`: premium-adjusted for options, `n / F` for futures (see the module comment). */
  delta: Float64Array;
  /** Options: n × Black delta (not premium-adjusted); futures: as `delta`. */
  blackDelta: Float64Array;
  /** `F² d²V/dF²`: a relative move r earns `delta r + gamma r² / 2`. */
  gamma: Float64Array;
  /** dV/dσ per vol point (0.01). */
  vega: Float64Array;
  /** dV/dt per day (F and σ held). */
  theta: Float64Array;
  /** `F d²V/dF dσ` per vol point: the change of `delta` per vol point. */
  vanna: Float64Array;
  /** d²V/dσ² per vol point squared. */
  volga: Float64Array;
  /** The forward (options, futures) or perpetual price used, USD per coin. */
  forward: Float64Array;
  /** Implied vol used (options; NaN otherwise). */
  vol: Float64Array;
  /** Days to expiry (options and futures; Infinity for perpetuals). */
  days: Float64Array;
  /** Options: Black delta of the call of the same strike, N(d1) (NaN otherwise). */
  callDelta: Float64Array;
  /** The underlying's index, USD per coin. */
  indexUsd: Float64Array;
}

/** What a position is, parsed once. */
export interface PositionInfo {
  instrument: string;
  amount: number;
  /** Underlying coin, also the settlement coin (inverse instruments only). */
  coin: string;
  kind: 'option' | 'future' | 'perpetual';
  /** null for perpetuals. */
  expiryMs: number | null;
  /** Options only. */
  strike: number | null;
  isCall: boolean;
}

const VOL_POINT = 0.01;
const DAYS_PER_YEAR = 365;

/**
 * A book valued in columns: positions parsed and columns allocated once (construction), then
 * `evaluate(market)` any number of times without allocating per option. Only inverse
 * instruments (coin-settled options, futures, perpetuals): linear USDC instruments are refused
 * with `UnsupportedError`.
 */
export class BookValuation {
  readonly positions: readonly PositionInfo[];
  readonly columns: PositionColumns;
  /** Index of each option's row in the Black-76 columns, -1 for futures and perpetuals. */
  private readonly optionRow: Int32Array;
  private readonly input: OptionColumns;
  private readonly greeks: GreekColumns;
  /** The distinct (coin, expiry) pairs of the book, each position's pair, and their forwards. */
  private readonly pairs: { coin: string; expiryMs: number | null }[] = [];
  private readonly pairOf: Int32Array;
  private readonly pairForward: Float64Array;

  constructor(book: readonly BookPosition[]) {
    this.positions = book.map((p, i) => positionInfo(p, i));
    const n = this.positions.length;
    const optionCount = this.positions.filter((p) => p.kind === 'option').length;
    this.optionRow = new Int32Array(n).fill(-1);
    this.input = {
      isCall: new Uint8Array(optionCount),
      forward: new Float64Array(optionCount),
      strike: new Float64Array(optionCount),
      expiryYears: new Float64Array(optionCount),
      vol: new Float64Array(optionCount),
      rate: new Float64Array(optionCount),
    };
    let row = 0;
    this.positions.forEach((p, i) => {
      if (p.kind !== 'option') return;
      this.optionRow[i] = row;
      this.input.isCall[row] = p.isCall ? 1 : 0;
      this.input.strike[row] = p.strike!;
      row++;
    });
    this.greeks = allocateGreekColumns(optionCount);
    const pairIndex = new Map<string, number>();
    this.pairOf = new Int32Array(n);
    this.positions.forEach((p, i) => {
      const key = `${p.coin} ${p.expiryMs}`;
      let j = pairIndex.get(key);
      if (j === undefined) {
        j = this.pairs.length;
        pairIndex.set(key, j);
        this.pairs.push({ coin: p.coin, expiryMs: p.expiryMs });
      }
      this.pairOf[i] = j;
    });
    this.pairForward = new Float64Array(this.pairs.length);
    const column = (): Float64Array => new Float64Array(n);
    this.columns = {
      value: column(),
      level: column(),
      delta: column(),
      blackDelta: column(),
      gamma: column(),
      vega: column(),
      theta: column(),
      vanna: column(),
      volga: column(),
      forward: column(),
      vol: column(),
      days: column(),
      callDelta: column(),
      indexUsd: column(),
    };
  }

  /**
   * Values every position in `market` into `columns` (overwritten). Throws `InputError` for an
   * underlying the market lacks, an option or future at or past its expiry, or a forward, index
   * or vol that is not positive and finite.
   */
  evaluate(market: MarketState): PositionColumns {
    const { positions, input, columns: c } = this;
    // One forward per (coin, expiry), checked once.
    this.pairs.forEach(({ coin, expiryMs }, j) => {
      const u = underlyingOf(market, coin);
      if (expiryMs !== null && !(expiryMs > market.timeMs)) {
        const name = positions[this.pairOf.indexOf(j)]!.instrument;
        throw new InputError(
          'positions',
          name,
          `an instrument expiring after the market time ${new Date(market.timeMs).toISOString()}`,
        );
      }
      const forward = expiryMs === null ? (u.perpetualUsd ?? u.indexUsd) : u.forward(expiryMs);
      requirePositive(
        `forward of ${coin} ${expiryMs === null ? 'perpetual' : new Date(expiryMs).toISOString()}`,
        forward,
      );
      this.pairForward[j] = forward;
    });
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      const u = market.underlyings[p.coin]!;
      const forward = this.pairForward[this.pairOf[i]!]!;
      c.indexUsd[i] = u.indexUsd;
      c.forward[i] = forward;
      c.days[i] = p.expiryMs === null ? Infinity : (p.expiryMs - market.timeMs) / MS_PER_DAY;
      const row = this.optionRow[i]!;
      if (row < 0) continue;
      const vol = u.vol(p.strike!, p.expiryMs!);
      requirePositive(`vol of ${p.instrument}`, vol);
      input.forward[row] = forward;
      input.expiryYears[row] = (p.expiryMs! - market.timeMs) / MS_PER_YEAR;
      input.vol[row] = vol;
    }
    black76Columns(input, this.greeks);
    const g = this.greeks;
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      const n = p.amount;
      const f = c.forward[i]!;
      const row = this.optionRow[i]!;
      if (row < 0) {
        c.value[i] = 0;
        c.level[i] = -n / f;
        c.delta[i] = c.blackDelta[i] = n / f;
        c.gamma[i] = (-2 * n) / f;
        c.vega[i] = c.theta[i] = c.vanna[i] = c.volga[i] = 0;
        c.vol[i] = c.callDelta[i] = NaN;
        continue;
      }
      const price = g.price[row]!;
      const blackDelta = g.delta[row]!;
      const coinPrice = price / f;
      const vega = g.vega[row]!;
      c.value[i] = c.level[i] = n * coinPrice;
      c.delta[i] = n * (blackDelta - coinPrice);
      c.blackDelta[i] = n * blackDelta;
      c.gamma[i] = n * (f * g.gamma[row]! - 2 * blackDelta + 2 * coinPrice);
      c.vega[i] = ((n * vega) / f) * VOL_POINT;
      c.theta[i] = (n * g.theta[row]!) / f / DAYS_PER_YEAR;
      c.vanna[i] = n * (g.vanna[row]! - vega / f) * VOL_POINT;
      c.volga[i] = ((n * g.volga[row]!) / f) * VOL_POINT * VOL_POINT;
      c.vol[i] = input.vol[row]!;
      c.callDelta[i] = p.isCall ? blackDelta : blackDelta + 1;
    }
    return c;
  }
}

function positionInfo(position: BookPosition, index: number): PositionInfo {
  const parsed = requireInstrument(position.instrument, `positions[${index}].instrument`);
  if (typeof position.amount !== 'number' || !Number.isFinite(position.amount)) {
    throw new InputError(`positions[${index}].amount`, position.amount, 'a finite signed amount');
  }
  if (parsed.settlement !== 'inverse') {
    throw new UnsupportedError(
      `${position.instrument}: only inverse (coin-settled) instruments are valued; linear instruments are not yet`,
    );
  }
  return {
    instrument: position.instrument,
    amount: position.amount,
    coin: parsed.base,
    kind: parsed.kind,
    expiryMs: parsed.kind === 'perpetual' ? null : parsed.expiryMs,
    strike: parsed.kind === 'option' ? parsed.strike : null,
    isCall: parsed.kind === 'option' && parsed.optionType === 'call',
  };
}

function underlyingOf(market: MarketState, coin: string): UnderlyingMarket {
  const u = market.underlyings[coin];
  if (u === undefined) throw new InputError(`underlyings.${coin}`, u, `the market of ${coin}`);
  requirePositive(`underlyings.${coin}.indexUsd`, u.indexUsd);
  return u;
}

function requirePositive(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    throw new InputError(field, value, 'a positive finite number');
  }
}
