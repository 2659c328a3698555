/**
 * Book-level options quoter (issue 8, Build item 2): every option of a chain quoted in
 * volatility around the calibrated surface, skewed by the whole book's greeks, turned into
 * venue prices in coin on the venue's tick steps.
 *
 * Per option i of expiry e, at index (spot) S:
 * - forward F_e = S x (F_e,ref / S_ref): the surface's forward for the expiry carried with the
 *   spot by the basis it was built with (`refSpot`);
 * - surface vol sigma_i = sqrt(w(ln(K / F_e), t_e) / t_e) from `VolSurface.totalVariance`;
 * - vega skew: a book long vega in expiry e (use u_e = vega_e / vegaLimit_e, clipped to
 *   [-1, 1]) shifts that expiry's vols by -vegaSkewVol x u_e, both sides; the whole book's vega
 *   (use of the total limit) shifts every expiry by -totalVegaSkewVol x u_total (default 0);
 * - centre vol c_i = sigma_i + shift_e; bid vol c_i - halfSpreadVol, ask vol c_i + halfSpreadVol;
 * - prices: Black-76 at each vol, in USD, divided by F_e (inverse options, as the venue prices
 *   its mark: `pricing/coin.ts`), rate `rate` (default 0: the forward carries the interest);
 * - delta skew: a book long delta (use u_d = delta / deltaLimit in [-1, 1]) quotes as if the
 *   forward were lower by deltaSkew x u_d of itself. An inverse option's coin price moves by
 *   (Delta - P_coin) x dF/F for a relative forward move (premium-adjusted delta), so both
 *   prices move by -deltaSkew x u_d x (Delta - P_coin): calls (positive) down, puts
 *   (negative) up;
 * - ticks: bids snapped down, asks up, on the tick rule in force at `atMs`; a bid below the
 *   minimum price (one tick, or the instrument's `minPrice`) is dropped, an ask below it is
 *   lifted to it; an ask above the maximum (`maxPrice`, the venue's `max_price`) is dropped, a
 *   bid above it lowered to it; when bid >= ask after that the bid goes one tick lower or is
 *   dropped, so bid < ask always;
 * - sizes: each side's size is `baseSize` times, for each limit the side would increase
 *   (vega of the expiry, total vega, delta), clip((1 - use) / (1 - shrinkStart), 0, 1), then
 *   capped so that a full fill cannot pass the limit, rounded down to the lot; below
 *   max(minSize, lot) the side is not quoted (size 0). A side that reduces an exposure is not
 *   shrunk by it. Buying an option adds its vega and its (premium-adjusted) delta.
 *
 * Units: vols are decimals (0.01 = one vol point); vega is USD per vol point (Black-76
 * dV/dsigma / 100, the venue's displayed unit); delta is coin (premium-adjusted: Black delta
 * minus the coin price, per contract, times the contract multiplier).
 *
 * Speed: everything that does not depend on the spot (strikes and their logs and square roots,
 * times, tick rules, lots, the surface's SVI blend per expiry, column buffers) is built once;
 * `quote` writes into preallocated typed arrays and allocates nothing. Per tick: one log and one
 * square root per expiry (log-moneyness ln K - ln F from precomputed ln K); per option the SVI
 * variance inline, one Black-76 evaluation at the centre vol (one exp, two rational erfcx) that
 * gives price, delta, vega and volga, and a second-order Taylor step to the bid and ask vols
 * with a bound on its error; a side whose bound straddles a tick is priced exactly. The result
 * on the tick is that of three exact evaluations (`quoteExact`, kept as the reference). The work
 * is split in passes over the columns (vols, pricing, greeks, sizes, ticks) so that each loop is
 * small enough for V8 to inline its callees: a double passed to or returned from a call that is
 * not inlined is a heap allocation.
 */
import {
  allocateGreekColumns,
  black76Columns,
  black76Into,
  black76PriceColumns,
  black76PriceUnchecked,
} from '../pricing/black76.js';
import type { GreekColumns, OptionColumns } from '../pricing/black76.js';
import { InputError } from '../model/errors.js';
import { InstrumentCatalog } from '../model/instrument-catalog.js';
import type { InstrumentDetails } from '../model/instrument-details.js';
import type { TickRule, TickSchedule } from '../model/tick-schedule.js';
import { MS_PER_YEAR } from '../model/time.js';
import { erfcxLarge, erfSmall, normCdf } from '../pricing/normal.js';
import {
  normalisedBlackOtm,
  normalisedSide,
  SIDE_CDF_MINUS,
  SIDE_CDF_PLUS,
  SIDE_VEGA,
} from '../pricing/normalised-black.js';
import { VolSurface } from '../vol/surface.js';
import { sviTotalVariance, type RawSvi } from '../vol/svi.js';

/** Quoting parameters. */
export interface OptionsQuoterConfig {
  /** Half-spread in vol (0.01 = one vol point), > 0. */
  halfSpreadVol: number;
  /** Vol shift of an expiry at full use of its vega limit (>= 0). */
  vegaSkewVol: number;
  /** Vol shift of every expiry at full use of the total vega limit (>= 0, default 0). */
  totalVegaSkewVol?: number;
  /** Relative forward shift at full use of the delta limit (>= 0, e.g. 0.002). */
  deltaSkew: number;
  /** Size per side away from the limits, in contracts (> 0). */
  baseSize: number;
  /** Smallest size worth quoting (>= 0; the instrument's lot is the floor anyway). */
  minSize?: number;
  /** Use of a limit at which sizes start shrinking, in [0, 1) (default 0: from the start). */
  shrinkStart?: number;
  /** Lowest vol quoted on the bid (default 0.01); a lower bid vol drops the bid. */
  minVol?: number;
  /** Discount rate of Black-76 (default 0). */
  rate?: number;
}

/** Limits the quoter keeps the book inside. */
export interface QuoterLimits {
  /** |net vega| per expiry, USD per vol point: one for all, or one per `quoter.expiries`. */
  vegaPerExpiry: number | ArrayLike<number>;
  /** |net vega| of the whole book, USD per vol point. */
  vegaTotal: number;
  /** |net delta|, coin. */
  deltaCoin: number;
}

/** The whole book's greeks (positions, plus resting orders if the caller counts them). */
export interface BookGreeks {
  /** Net vega per expiry, USD per vol point, aligned with `quoter.expiries` (0 for others). */
  vegaByExpiry: ArrayLike<number>;
  /** Net delta, coin. */
  deltaCoin: number;
}

/** An instrument to quote: a name (resolved by the catalog) or its details, plus price bands. */
export interface QuoterInstrument {
  instrument: string | InstrumentDetails;
  /** Venue `min_price` (default: one tick). */
  minPrice?: number;
  /** Venue `max_price` (default: none). */
  maxPrice?: number;
}

/** Output columns, one row per instrument in `quoter.instruments` order. */
export interface QuoteColumns {
  /** Surface vol at the current forward. */
  surfaceVol: Float64Array;
  bidVol: Float64Array;
  askVol: Float64Array;
  /** Coin per contract on the tick; NaN when the side is not quoted. */
  bidPrice: Float64Array;
  askPrice: Float64Array;
  /** Contracts; 0 when the side is not quoted. */
  bidSize: Float64Array;
  askSize: Float64Array;
  /** Premium-adjusted delta per contract (coin) at the centre vol. */
  delta: Float64Array;
  /** Vega per contract (USD per vol point) at the centre vol. */
  vega: Float64Array;
  forward: Float64Array;
}

/** One option's quote as an object (for callers off the hot path). */
export interface OptionQuote {
  instrument: string;
  expiryMs: number;
  surfaceVol: number;
  bidVol: number;
  askVol: number;
  /** null when the side is not quoted. */
  bidPrice: number | null;
  askPrice: number | null;
  bidSize: number;
  askSize: number;
  delta: number;
  vega: number;
  postOnly: true;
}

interface FastTicks {
  /** Tick of each band: band 0 at or below steps[0], band j above steps[j-1]. */
  ticks: Float64Array;
  /** 1 / tick when an integer (exact decimal results), else 0. */
  inverse: Float64Array;
  /** Lower boundaries of bands 1..n. */
  above: Float64Array;
}

const EPS = 1e-9;
/** Numbers per expiry in `sviCoefficients`: lower weight, a, b, rho, m, sigma^2; the same for
 * the upper slice; the shift of the flat extrapolation. */
const SVI_STRIDE = 13;
/** Numbers per limit in the room arrays (`setRoom`). */
const ROOM_STRIDE = 4;

/** The quoter. Construct once per chain; call `quote` on every spot or book change. */
export class OptionsQuoter {
  /** Instrument names, in output order. */
  readonly instruments: readonly string[];
  /** Distinct expiries (ms), ascending: the index space of `vegaByExpiry` and per-expiry limits. */
  readonly expiries: readonly number[];
  /** Expiry index of each instrument. */
  readonly expiryIndex: Int32Array;
  readonly out: QuoteColumns;
  /**
   * Sides (bid or ask) of the last `quote` whose price on the tick needed the exact Black-76
   * evaluation because the Taylor step's bound straddled a rounding boundary.
   */
  lastExactSides = 0;

  private readonly n: number;
  private readonly config: Required<OptionsQuoterConfig>;
  private limits!: { vegaPerExpiry: Float64Array; vegaTotal: number; deltaCoin: number };
  private surface!: VolSurface;
  /** F_e,ref / S_ref per expiry. */
  private readonly carry: Float64Array;
  private readonly years: Float64Array;
  private readonly strike: Float64Array;
  private readonly logStrike: Float64Array;
  private readonly expiryLogForward: Float64Array;
  private readonly multiplier: Float64Array;
  private readonly lot: Float64Array;
  private readonly minPrice: Float64Array;
  private readonly maxPrice: Float64Array;
  private readonly details: InstrumentDetails[];
  private readonly rules: FastTicks[] = [];
  private readonly schedules: TickSchedule[];
  private readonly slowTicks: Uint8Array;
  private atMs: number;
  private readonly mid: OptionColumns;
  private readonly bid: OptionColumns;
  private readonly ask: OptionColumns;
  private readonly midOut: GreekColumns;
  private readonly bidUsd: Float64Array;
  private readonly askUsd: Float64Array;
  private readonly expiryForward: Float64Array;
  private readonly expiryShift: Float64Array;
  private readonly sqrtYears: Float64Array;
  private readonly sqrtStrike: Float64Array;
  private readonly isCall: Uint8Array;
  private readonly minTick: Float64Array;
  /** Per expiry, SVI_STRIDE numbers: the surface's blend at the expiry's time (see `setSurface`). */
  private readonly sviCoefficients: Float64Array;
  /** True when `sviCoefficients` reproduce `surface.totalVariance` (a plain `VolSurface`). */
  private fastSurface = false;
  private readonly scratch: GreekColumns = allocateGreekColumns(1);
  private readonly referenceRowOut = new Float64Array(5);
  private readonly work: SpreadWork;
  /** Per tick: `setRoom` of each expiry's vega, of the total vega and of the delta. */
  private readonly room: Float64Array;
  private readonly roomTotal = new Float64Array(ROOM_STRIDE);
  private readonly roomDelta = new Float64Array(ROOM_STRIDE);
  /** max(minSize, lot) - EPS lot: a size below it is not quoted. */
  private readonly smallestSize: Float64Array;
  /** 1 / lot when an integer, else 0 (`roundToLot`). */
  private readonly lotInverse: Float64Array;

  constructor(options: {
    surface: VolSurface;
    /** Spot (index) the surface's forwards were built at. */
    refSpot: number;
    instruments: readonly (QuoterInstrument | string)[];
    config: OptionsQuoterConfig;
    limits: QuoterLimits;
    /** Time of quoting: tick rules and times to expiry are taken at it. */
    atMs: number;
    catalog?: InstrumentCatalog;
  }) {
    const { instruments } = options;
    if (!Array.isArray(instruments) || instruments.length === 0)
      throw new InputError('instruments', instruments, 'a non-empty list of options');
    requireFinite('atMs', options.atMs);
    this.atMs = options.atMs;
    this.config = checkConfig(options.config);
    const catalog = options.catalog ?? new InstrumentCatalog();
    const n = instruments.length;
    this.n = n;
    this.details = instruments.map((entry, i) => {
      const spec = typeof entry === 'string' ? entry : entry.instrument;
      const d = typeof spec === 'string' ? catalog.get(spec) : spec;
      if (d === null || typeof d !== 'object' || d.kind !== 'option' || d.settlement !== 'inverse')
        throw new InputError(`instruments[${i}]`, spec, 'an inverse (coin-settled) option');
      if (d.ticks === null) throw new InputError(`instruments[${i}].ticks`, null, 'a known tick schedule');
      if (d.expiryMs === null || !(d.expiryMs > options.atMs))
        throw new InputError(`instruments[${i}].expiryMs`, d.expiryMs, `an expiry after ${options.atMs}`);
      return d;
    });
    this.instruments = this.details.map((d) => d.name);
    const expiries = [...new Set(this.details.map((d) => d.expiryMs as number))].sort((a, b) => a - b);
    this.expiries = expiries;
    const ne = expiries.length;
    this.expiryIndex = new Int32Array(n);
    this.years = new Float64Array(ne);
    this.carry = new Float64Array(ne);
    this.expiryForward = new Float64Array(ne);
    this.expiryShift = new Float64Array(ne);
    this.sqrtYears = new Float64Array(ne);
    this.sviCoefficients = new Float64Array(ne * SVI_STRIDE);
    this.sqrtStrike = new Float64Array(n);
    this.room = new Float64Array(ne * ROOM_STRIDE);
    this.smallestSize = new Float64Array(n);
    this.lotInverse = new Float64Array(n);
    this.minTick = new Float64Array(n);
    this.strike = new Float64Array(n);
    this.logStrike = new Float64Array(n);
    this.expiryLogForward = new Float64Array(ne);
    this.multiplier = new Float64Array(n);
    this.lot = new Float64Array(n);
    this.minPrice = new Float64Array(n);
    this.maxPrice = new Float64Array(n);
    this.slowTicks = new Uint8Array(n);
    this.schedules = this.details.map((d) => d.ticks as TickSchedule);
    const isCall = new Uint8Array(n);
    this.isCall = isCall;
    this.details.forEach((d, i) => {
      this.expiryIndex[i] = expiries.indexOf(d.expiryMs as number);
      this.strike[i] = d.strike as number;
      this.logStrike[i] = Math.log(d.strike as number);
      this.sqrtStrike[i] = Math.sqrt(d.strike as number);
      isCall[i] = d.optionType === 'call' ? 1 : 0;
      this.multiplier[i] = d.multiplier ?? 1;
      this.lot[i] = d.minTradeAmount ?? d.contractSize;
      const lot = this.lot[i] as number;
      this.smallestSize[i] = Math.max(this.config.minSize, lot) - EPS * lot;
      const inverse = Math.round(1 / lot);
      this.lotInverse[i] = Math.abs(inverse * lot - 1) < 1e-12 ? inverse : 0;
      const entry = instruments[i];
      const bands = typeof entry === 'object' ? entry : {};
      this.minPrice[i] = optionalPositive(`instruments[${i}].minPrice`, bands.minPrice, 0);
      this.maxPrice[i] = optionalPositive(`instruments[${i}].maxPrice`, bands.maxPrice, Infinity);
    });
    for (let e = 0; e < ne; e++) this.years[e] = ((expiries[e] as number) - this.atMs) / MS_PER_YEAR;
    this.buildTicks();
    const shared = { isCall, strike: this.strike, rate: new Float64Array(n).fill(this.config.rate) };
    const forward = new Float64Array(n);
    const expiryYears = new Float64Array(n);
    for (let i = 0; i < n; i++) expiryYears[i] = this.years[this.expiryIndex[i] as number] as number;
    this.mid = { ...shared, forward, expiryYears, vol: new Float64Array(n) };
    this.bid = { ...shared, forward, expiryYears, vol: new Float64Array(n) };
    this.ask = { ...shared, forward, expiryYears, vol: new Float64Array(n) };
    this.midOut = allocateGreekColumns(n);
    this.work = allocateSpreadWork(n, ne, { isCall, expiry: this.expiryIndex, forward, strike: this.strike });
    for (let i = 0; i < n; i++) this.work.sqrtK[i] = this.sqrtStrike[i] as number;
    this.bidUsd = new Float64Array(n);
    this.askUsd = new Float64Array(n);
    this.out = {
      surfaceVol: new Float64Array(n),
      bidVol: this.bid.vol,
      askVol: this.ask.vol,
      bidPrice: new Float64Array(n),
      askPrice: new Float64Array(n),
      bidSize: new Float64Array(n),
      askSize: new Float64Array(n),
      delta: new Float64Array(n),
      vega: new Float64Array(n),
      forward,
    };
    this.setSurface(options.surface, options.refSpot);
    this.setLimits(options.limits);
  }

  /** A new calibrated surface, built at index `refSpot`. */
  setSurface(surface: VolSurface, refSpot: number): void {
    if (surface === null || typeof surface !== 'object' || typeof surface.totalVariance !== 'function')
      throw new InputError('surface', surface, 'a VolSurface');
    requirePositive('refSpot', refSpot);
    for (let e = 0; e < this.expiries.length; e++) {
      const f = surface.forward(this.expiries[e] as number);
      requirePositive(`surface.forward(${this.expiries[e]})`, f);
      this.carry[e] = f / refSpot;
      this.years[e] = surface.yearsTo(this.expiries[e] as number);
      if (!(this.years[e]! > 0))
        throw new InputError('surface.asOfMs', surface.asOfMs, `a time before expiry ${this.expiries[e]}`);
    }
    for (let i = 0; i < this.n; i++)
      this.mid.expiryYears[i] = this.years[this.expiryIndex[i] as number] as number;
    for (let e = 0; e < this.expiries.length; e++) {
      const t = this.years[e] as number;
      this.sqrtYears[e] = Math.sqrt(t);
      // As `black76` discounts: exactly 1 at a zero rate.
      this.work.discount[e] = this.config.rate === 0 ? 1 : Math.exp(-this.config.rate * t);
    }
    this.surface = surface;
    this.fastSurface = this.buildSurfaceCoefficients(surface);
  }

  /**
   * The surface's SVI blend at each expiry's time, so that `quote` evaluates w(k) inline: the
   * same arithmetic as `VolSurface.totalVariance` (lower and upper slice weights, the flat
   * extrapolation's shift), checked against it bit for bit at a few log-moneyness values. A
   * surface of another class, or any mismatch, keeps the method call.
   */
  private buildSurfaceCoefficients(surface: VolSurface): boolean {
    if (!(surface instanceof VolSurface) || surface.totalVariance !== VolSurface.prototype.totalVariance)
      return false;
    const slices = surface.slices;
    const first = slices[0];
    const last = slices[slices.length - 1];
    if (first === undefined || last === undefined) return false;
    const sv = this.sviCoefficients;
    const put = (o: number, p: RawSvi): void => {
      sv[o + 1] = p.a;
      sv[o + 2] = p.b;
      sv[o + 3] = p.rho;
      sv[o + 4] = p.m;
      sv[o + 5] = p.sigma * p.sigma;
    };
    for (let e = 0; e < this.expiries.length; e++) {
      const t = this.years[e] as number;
      const o = e * SVI_STRIDE;
      let lower = first.svi;
      let upper = first.svi;
      let lowerWeight: number;
      let upperWeight = 0;
      let shift = 0;
      if (t <= first.yearsToExpiry) lowerWeight = t / first.yearsToExpiry;
      else if (t >= last.yearsToExpiry) {
        lower = upper = last.svi;
        lowerWeight = 1;
        shift = ((t - last.yearsToExpiry) * sviTotalVariance(last.svi, 0)) / last.yearsToExpiry;
      } else {
        let j = 0;
        while (t > slices[j + 1]!.yearsToExpiry) j++;
        const lo = slices[j]!;
        const hi = slices[j + 1]!;
        const u = (t - lo.yearsToExpiry) / (hi.yearsToExpiry - lo.yearsToExpiry);
        lower = lo.svi;
        upper = hi.svi;
        lowerWeight = 1 - u;
        upperWeight = u;
      }
      sv[o] = lowerWeight;
      put(o, lower);
      sv[o + 6] = upperWeight;
      put(o + 6, upper);
      sv[o + 12] = shift;
      for (const k of [-2, -0.7, -0.1, 0, 0.05, 0.3, 1.5]) {
        let w = lowerWeight * sviTotalVariance(lower, k) + shift;
        if (upperWeight > 0) w += upperWeight * sviTotalVariance(upper, k);
        const xl = k - (sv[o + 4] as number);
        let inline =
          (sv[o] as number) *
            ((sv[o + 1] as number) +
              (sv[o + 2] as number) *
                ((sv[o + 3] as number) * xl + Math.sqrt(xl * xl + (sv[o + 5] as number)))) +
          (sv[o + 12] as number);
        if (upperWeight > 0) {
          const xu = k - (sv[o + 10] as number);
          inline +=
            (sv[o + 6] as number) *
            ((sv[o + 7] as number) +
              (sv[o + 8] as number) *
                ((sv[o + 9] as number) * xu + Math.sqrt(xu * xu + (sv[o + 11] as number))));
        }
        const reference = surface.totalVariance(k, t);
        if (!(inline === reference && w === reference)) return false;
      }
    }
    return true;
  }

  /** New limits. */
  setLimits(limits: QuoterLimits): void {
    if (limits === null || typeof limits !== 'object') throw new InputError('limits', limits, 'an object');
    const ne = this.expiries.length;
    const perExpiry = new Float64Array(ne);
    const v = limits.vegaPerExpiry;
    for (let e = 0; e < ne; e++) {
      const value = typeof v === 'number' ? v : v?.[e];
      requirePositive(typeof v === 'number' ? 'limits.vegaPerExpiry' : `limits.vegaPerExpiry[${e}]`, value);
      perExpiry[e] = value as number;
    }
    if (typeof v !== 'number' && (v === null || typeof v !== 'object' || v.length !== ne))
      throw new InputError('limits.vegaPerExpiry', v, `a number or ${ne} numbers (one per expiry)`);
    requirePositive('limits.vegaTotal', limits.vegaTotal);
    requirePositive('limits.deltaCoin', limits.deltaCoin);
    this.limits = { vegaPerExpiry: perExpiry, vegaTotal: limits.vegaTotal, deltaCoin: limits.deltaCoin };
  }

  /** The venue's current `min_price` / `max_price` of one instrument (by output index). */
  setPriceBand(index: number, minPrice: number | undefined, maxPrice: number | undefined): void {
    if (!(Number.isInteger(index) && index >= 0 && index < this.n))
      throw new InputError('index', index, `an instrument index below ${this.n}`);
    this.minPrice[index] = optionalPositive('minPrice', minPrice, 0);
    this.maxPrice[index] = optionalPositive('maxPrice', maxPrice, Infinity);
  }

  /** Moves the quoting time (tick rules in force); times to expiry stay the surface's. */
  setTime(atMs: number): void {
    requireFinite('atMs', atMs);
    this.atMs = atMs;
    this.rules.length = 0;
    this.buildTicks();
  }

  /**
   * Quotes the whole chain at index `spot` for the book's greeks into `this.out` (returned).
   * Allocates nothing. `book` is checked for shape only (its length), not value by value.
   *
   * One Black-76 evaluation per option, at the centre vol: price, delta, vega and volga share
   * d1, d2 and one exponential. The bid and ask prices are its second-order Taylor step in vol,
   * P(s -+ d) ~ P -+ P' d + P'' d^2 / 2 (s = vol sqrt T, d = halfSpreadVol sqrt T), with a
   * bound on the remainder (`taylorInto`). Each side's price on the tick is taken from the two
   * ends of [estimate - bound, estimate + bound]: when both round to the same tick (the rounding
   * and the band clamps are monotone), that is the tick of the exact price; otherwise the side
   * is priced exactly as `quoteExact` does. So the prices on the tick are those of three exact
   * evaluations, always; `lastExactSides` counts the sides that needed the exact price.
   */
  quote(spot: number, book: BookGreeks): QuoteColumns {
    this.prepare(spot, book);
    const c = this.config;
    const n = this.n;
    const h = c.halfSpreadVol;
    const w = this.work;
    for (let e = 0; e < this.expiries.length; e++) w.step[e] = h * (this.sqrtYears[e] as number);
    this.volPass();
    spreadColumns(w, 0, n);
    const skew = -c.deltaSkew * clip1(book.deltaCoin / this.limits.deltaCoin);
    this.greekPass();
    this.sizePass();
    this.lastExactSides = this.placePass(skew);
    return this.out;
  }

  /** Forwards, log-moneyness, surface vols and the centre/bid/ask vols of every option. */
  private volPass(): void {
    const n = this.n;
    const out = this.out;
    const w = this.work;
    const surface = this.surface;
    const fastSurface = this.fastSurface;
    const sv = this.sviCoefficients;
    const forward = this.mid.forward;
    const midVol = this.mid.vol;
    const bidVol = this.bid.vol;
    const askVol = this.ask.vol;
    const h = this.config.halfSpreadVol;
    for (let i = 0; i < n; i++) {
      const e = this.expiryIndex[i] as number;
      const t = this.years[e] as number;
      forward[i] = this.expiryForward[e] as number;
      const logF = this.expiryLogForward[e] as number;
      const logK = this.logStrike[i] as number;
      const k = logK - logF;
      let variance: number;
      if (fastSurface) {
        const o = e * SVI_STRIDE;
        const xl = k - (sv[o + 4] as number);
        variance =
          (sv[o] as number) *
            ((sv[o + 1] as number) +
              (sv[o + 2] as number) *
                ((sv[o + 3] as number) * xl + Math.sqrt(xl * xl + (sv[o + 5] as number)))) +
          (sv[o + 12] as number);
        const upper = sv[o + 6] as number;
        if (upper > 0) {
          const xu = k - (sv[o + 10] as number);
          variance +=
            upper *
            ((sv[o + 7] as number) +
              (sv[o + 8] as number) *
                ((sv[o + 9] as number) * xu + Math.sqrt(xu * xu + (sv[o + 11] as number))));
        }
      } else variance = surface.totalVariance(k, t);
      const sigma = Math.sqrt(variance / t);
      out.surfaceVol[i] = sigma;
      const centre = sigma + (this.expiryShift[e] as number);
      midVol[i] = centre;
      bidVol[i] = centre - h;
      askVol[i] = centre + h;
      w.s[i] = centre * (this.sqrtYears[e] as number);
      w.x[i] = -k;
      // |x - ln(F/K)| from the two rounded logs and their difference.
      w.xError[i] = 4e-16 * (Math.abs(logK) + Math.abs(logF));
    }
  }

  /**
   * Greeks, sizes and prices on the tick from the columns of `spreadColumns`; returns the
   * number of sides priced exactly (`lastExactSides`).
   */
  private placePass(skew: number): number {
    const n = this.n;
    const out = this.out;
    const w = this.work;
    const c = this.config;
    const bidVol = this.bid.vol;
    const minVol = c.minVol;
    const skewMargin = 1e-11 * Math.abs(skew);
    const forward = this.mid.forward;
    let exactSides = 0;
    for (let i = 0; i < n; i++) {
      const f = forward[i] as number;
      const errorUsd = w.error[i] as number;
      const priceUsd = w.price[i] as number;
      const deltaUsd = w.delta[i] as number;
      const bidUsd = w.bid[i] as number;
      const askUsd = w.ask[i] as number;
      const invF = 1 / f;
      const midCoin = priceUsd * invF;
      const shift = skew * (deltaUsd - midCoin);
      const bidRaw = bidUsd * invF + shift;
      const askRaw = askUsd * invF + shift;
      // Coin error of each raw price against the reference's: the Taylor bound, plus the
      // reference's own skew term (same formula, greeks a few ulps apart) and the roundings.
      const errorCoin =
        errorUsd === 0
          ? 0
          : errorUsd * invF + skewMargin + 1e-15 * (Math.abs(bidRaw) + Math.abs(askRaw) + Math.abs(shift));
      let bidSize = out.bidSize[i] as number;
      let askSize = out.askSize[i] as number;
      if (!((bidVol[i] as number) >= minVol)) bidSize = 0;
      // Prices on the tick, inside the venue's band.
      const minTick = this.minTick[i] as number;
      const minP = Math.max(minTick, this.minPrice[i] as number);
      const maxP = this.maxPrice[i] as number;
      const slow = this.slowTicks[i] === 1;
      const rule = this.rules[i] as FastTicks;
      let ask = NaN;
      if (askSize > 0) {
        if (Number.isFinite(askRaw)) {
          const low = Math.max(askRaw - errorCoin, minP);
          if (slow) this.snapRare(i, low, true);
          else RARE[0] = snapFast(rule, low, true);
          ask = RARE[0] as number;
          if (errorCoin !== 0) {
            const high = Math.max(askRaw + errorCoin, minP);
            if (!((slow ? this.snapRare(i, high, true) : snapFast(rule, high, true)) === ask)) {
              exactSides++;
              this.exactSide(i, true, skew, minP, maxP);
              ask = RARE[0] as number;
            }
          }
        }
        if (!(ask <= maxP + EPS * minTick)) askSize = 0;
      }
      if (bidSize > 0) {
        let bid = NaN;
        if (Number.isFinite(bidRaw)) {
          const low = Math.min(bidRaw - errorCoin, maxP);
          if (slow) this.snapRare(i, low, false);
          else RARE[0] = snapFast(rule, low, false);
          bid = RARE[0] as number;
          if (errorCoin !== 0) {
            const high = Math.min(bidRaw + errorCoin, maxP);
            if (!((slow ? this.snapRare(i, high, false) : snapFast(rule, high, false)) === bid)) {
              exactSides++;
              this.exactSide(i, false, skew, minP, maxP);
              bid = RARE[0] as number;
            }
          }
        }
        if (Number.isNaN(bid)) bidSize = 0;
        else {
          if (askSize > 0 && bid >= ask - EPS * minTick) {
            this.snapRare(i, ask - 0.5 * minTick, false);
            bid = RARE[0] as number;
          }
          if (!(bid >= minP - EPS * minTick)) bidSize = 0;
        }
        out.bidPrice[i] = bidSize > 0 ? bid : NaN;
      } else out.bidPrice[i] = NaN;
      out.askPrice[i] = askSize > 0 ? ask : NaN;
      out.bidSize[i] = bidSize;
      out.askSize[i] = askSize;
    }
    return exactSides;
  }

  /**
   * Per-contract greeks into `out` (premium-adjusted delta in coin, vega per vol point). Rows
   * outside the Taylor step's domain (vol near or below zero, or the spread wide against it) get
   * the reference evaluations themselves, written into the work columns with error 0.
   */
  private greekPass(): void {
    const n = this.n;
    const out = this.out;
    const w = this.work;
    const forward = this.mid.forward;
    for (let i = 0; i < n; i++) {
      if (!((w.error[i] as number) >= 0)) {
        this.referenceRow(i);
        const r = this.referenceRowOut;
        w.price[i] = r[0] as number;
        w.delta[i] = r[1] as number;
        w.density[i] = (r[2] as number) / (this.sqrtYears[this.expiryIndex[i] as number] as number);
        w.bid[i] = r[3] as number;
        w.ask[i] = r[4] as number;
        w.error[i] = 0;
        out.vega[i] = (r[2] as number) * 0.01 * (this.multiplier[i] as number);
      } else
        out.vega[i] =
          (w.density[i] as number) *
          (this.sqrtYears[this.expiryIndex[i] as number] as number) *
          0.01 *
          (this.multiplier[i] as number);
      const m = this.multiplier[i] as number;
      const midCoin = (w.price[i] as number) * (1 / (forward[i] as number));
      out.delta[i] = ((w.delta[i] as number) - midCoin) * m;
    }
  }

  /**
   * Sizes of both sides of every option from the per-tick room of `prepare`, with `sideSize`'s
   * arithmetic (so the same sizes): buying adds +vega and +delta per contract, selling the
   * opposite.
   */
  private sizePass(): void {
    const n = this.n;
    const out = this.out;
    const room = this.room;
    const total = this.roomTotal;
    const deltaRoom = this.roomDelta;
    const base = this.config.baseSize;
    for (let i = 0; i < n; i++) {
      const o = (this.expiryIndex[i] as number) * ROOM_STRIDE;
      const lot = this.lot[i] as number;
      for (let sideIndex = 0; sideIndex < 2; sideIndex++) {
        const dVega = sideIndex === 0 ? (out.vega[i] as number) : -(out.vega[i] as number);
        const dDelta = sideIndex === 0 ? (out.delta[i] as number) : -(out.delta[i] as number);
        let factor = 1;
        let cap = Infinity;
        if (dVega !== 0) {
          let vegaRoom: number;
          if ((room[o] as number) * dVega < 0) vegaRoom = room[o + 2] as number;
          else {
            vegaRoom = room[o + 1] as number;
            factor = room[o + 3] as number;
          }
          if ((total[0] as number) * dVega < 0) vegaRoom = Math.min(vegaRoom, total[2] as number);
          else {
            vegaRoom = Math.min(vegaRoom, total[1] as number);
            factor = Math.min(factor, total[3] as number);
          }
          cap = vegaRoom / Math.abs(dVega);
        }
        if (dDelta !== 0) {
          if ((deltaRoom[0] as number) * dDelta < 0)
            cap = Math.min(cap, (deltaRoom[2] as number) / Math.abs(dDelta));
          else {
            factor = Math.min(factor, deltaRoom[3] as number);
            cap = Math.min(cap, (deltaRoom[1] as number) / Math.abs(dDelta));
          }
        }
        const raw = Math.min(base * factor, cap);
        let size = Math.floor(raw / lot + EPS) * lot;
        if (size < (this.smallestSize[i] as number)) size = 0;
        else {
          const inverse = this.lotInverse[i] as number;
          size = inverse > 0 ? Math.round(size * inverse) / inverse : Math.round(size / lot) * lot;
        }
        if (sideIndex === 0) out.bidSize[i] = size;
        else out.askSize[i] = size;
      }
    }
  }

  /** `quoteExact`'s centre, bid and ask evaluations of option i into `referenceRowOut`. */
  private referenceRow(i: number): void {
    const f = this.mid.forward[i] as number;
    const call = this.isCall[i] === 1;
    const strike = this.strike[i] as number;
    const t = this.mid.expiryYears[i] as number;
    const rate = this.config.rate;
    const s = this.scratch;
    black76Into(call, f, strike, t, this.mid.vol[i] as number, rate, s, 0);
    const r = this.referenceRowOut;
    r[0] = s.price[0] as number;
    r[1] = s.delta[0] as number;
    r[2] = s.vega[0] as number;
    r[3] = black76PriceUnchecked(call, f, strike, t, this.bid.vol[i] as number, rate);
    r[4] = black76PriceUnchecked(call, f, strike, t, this.ask.vol[i] as number, rate);
  }

  /**
   * The reference's raw coin price of one side of option i (bid or ask vol of the last quote):
   * exactly the arithmetic of `quoteExact`, for the sides the Taylor bound leaves undecided.
   */
  private exactRaw(i: number, ask: boolean, skew: number): number {
    const f = this.mid.forward[i] as number;
    const call = this.isCall[i] === 1;
    const strike = this.strike[i] as number;
    const t = this.mid.expiryYears[i] as number;
    const rate = this.config.rate;
    black76Into(call, f, strike, t, this.mid.vol[i] as number, rate, this.scratch, 0);
    const invF = 1 / f;
    const midCoin = (this.scratch.price[0] as number) * invF;
    const shift = skew * ((this.scratch.delta[0] as number) - midCoin);
    const vol = ask ? (this.ask.vol[i] as number) : (this.bid.vol[i] as number);
    return black76PriceUnchecked(call, f, strike, t, vol, rate) * invF + shift;
  }

  /** Checks the spot and the book; sets the per-expiry forwards and vol shifts; total vega. */
  private prepare(spot: number, book: BookGreeks): number {
    if (!(spot > 0) || spot === Infinity) throw new InputError('spot', spot, 'a positive finite index');
    const ne = this.expiries.length;
    const vegaByExpiry = book.vegaByExpiry;
    if (vegaByExpiry === undefined || vegaByExpiry === null || vegaByExpiry.length !== ne)
      throw new InputError('book.vegaByExpiry', vegaByExpiry, `${ne} values (one per expiry)`);
    if (!Number.isFinite(book.deltaCoin)) throw new InputError('book.deltaCoin', book.deltaCoin, 'a number');
    const c = this.config;
    const lim = this.limits;
    let vegaTotal = 0;
    for (let e = 0; e < ne; e++) vegaTotal += vegaByExpiry[e] as number;
    if (!Number.isFinite(vegaTotal))
      throw new InputError('book.vegaByExpiry', vegaByExpiry, 'finite numbers');
    const totalShift = -c.totalVegaSkewVol * clip1(vegaTotal / lim.vegaTotal);
    for (let e = 0; e < ne; e++) {
      const f = spot * (this.carry[e] as number);
      this.expiryForward[e] = f;
      this.expiryLogForward[e] = Math.log(f);
      this.work.sqrtF[e] = Math.sqrt(f);
      const use = clip1((vegaByExpiry[e] as number) / (lim.vegaPerExpiry[e] as number));
      this.expiryShift[e] = totalShift - c.vegaSkewVol * use;
      setRoom(
        this.room,
        e * ROOM_STRIDE,
        vegaByExpiry[e] as number,
        lim.vegaPerExpiry[e] as number,
        c.shrinkStart,
      );
    }
    setRoom(this.roomTotal, 0, vegaTotal, lim.vegaTotal, c.shrinkStart);
    setRoom(this.roomDelta, 0, book.deltaCoin, lim.deltaCoin, c.shrinkStart);
    return vegaTotal;
  }

  /**
   * The reference quote: what `quote` computes, with three full Black-76 evaluations per option
   * (centre, bid and ask vols) instead of one and a bounded Taylor step. `quote` returns the
   * same prices on the tick (it falls back to these evaluations wherever its bound does not
   * decide the rounding); this is kept for tests and as the definition. Same output columns.
   */
  quoteExact(spot: number, book: BookGreeks): QuoteColumns {
    const vegaTotal = this.prepare(spot, book);
    const vegaByExpiry = book.vegaByExpiry;
    const c = this.config;
    const lim = this.limits;
    const n = this.n;
    const out = this.out;
    const surface = this.surface;
    const forward = this.mid.forward;
    const midVol = this.mid.vol;
    const bidVol = this.bid.vol;
    const askVol = this.ask.vol;
    const h = c.halfSpreadVol;
    for (let i = 0; i < n; i++) {
      const e = this.expiryIndex[i] as number;
      const f = this.expiryForward[e] as number;
      const t = this.years[e] as number;
      forward[i] = f;
      const k = (this.logStrike[i] as number) - (this.expiryLogForward[e] as number);
      const sigma = Math.sqrt(surface.totalVariance(k, t) / t);
      out.surfaceVol[i] = sigma;
      const centre = sigma + (this.expiryShift[e] as number);
      midVol[i] = centre;
      bidVol[i] = centre - h;
      askVol[i] = centre + h;
    }
    black76Columns(this.mid, this.midOut, n);
    black76PriceColumns(this.bid, this.bidUsd, n);
    black76PriceColumns(this.ask, this.askUsd, n);
    const deltaUse = clip1(book.deltaCoin / lim.deltaCoin);
    const skew = -c.deltaSkew * deltaUse;
    for (let i = 0; i < n; i++) {
      const e = this.expiryIndex[i] as number;
      const f = forward[i] as number;
      const m = this.multiplier[i] as number;
      const invF = 1 / f;
      const midCoin = (this.midOut.price[i] as number) * invF;
      const delta = ((this.midOut.delta[i] as number) - midCoin) * m;
      const vega = (this.midOut.vega[i] as number) * 0.01 * m;
      out.delta[i] = delta;
      out.vega[i] = vega;
      const shift = skew * ((this.midOut.delta[i] as number) - midCoin);
      let bidRaw = (this.bidUsd[i] as number) * invF + shift;
      const askRaw = (this.askUsd[i] as number) * invF + shift;
      // Sizes: buying adds +vega and +delta per contract, selling the opposite.
      const vegaE = vegaByExpiry[e] as number;
      const lot = this.lot[i] as number;
      let bidSize = this.sideSize(
        vega,
        delta,
        vegaE,
        vegaTotal,
        book.deltaCoin,
        lim.vegaPerExpiry[e] as number,
        lot,
      );
      let askSize = this.sideSize(
        -vega,
        -delta,
        vegaE,
        vegaTotal,
        book.deltaCoin,
        lim.vegaPerExpiry[e] as number,
        lot,
      );
      if (!((bidVol[i] as number) >= c.minVol) || !Number.isFinite(bidRaw)) bidSize = 0;
      // Prices on the tick, inside the venue's band.
      const minTick = this.rules[i]!.ticks[0] as number;
      const minP = Math.max(minTick, this.minPrice[i] as number);
      const maxP = this.maxPrice[i] as number;
      const ask = Number.isFinite(askRaw) ? this.snap(i, Math.max(askRaw, minP), true) : NaN;
      if (!(ask <= maxP + EPS * minTick)) askSize = 0;
      if (bidSize > 0) {
        if (bidRaw > maxP) bidRaw = maxP;
        let bid = this.snap(i, bidRaw, false);
        if (askSize > 0 && bid >= ask - EPS * minTick) bid = this.snap(i, ask - 0.5 * minTick, false);
        if (!(bid >= minP - EPS * minTick)) bidSize = 0;
        out.bidPrice[i] = bidSize > 0 ? bid : NaN;
      } else out.bidPrice[i] = NaN;
      out.askPrice[i] = askSize > 0 ? ask : NaN;
      out.bidSize[i] = bidSize;
      out.askSize[i] = askSize;
    }
    return out;
  }

  /**
   * The book's greeks from positions (instrument index, signed contracts) and the per-contract
   * greeks of the last `quote`: writes vega per expiry into `vegaByExpiry` (length
   * `expiries.length`) and returns the delta in coin. A sum over the positions, no allocation.
   */
  bookGreeks(
    index: ArrayLike<number>,
    amount: ArrayLike<number>,
    count: number,
    vegaByExpiry: Float64Array,
  ): number {
    if (vegaByExpiry.length !== this.expiries.length)
      throw new InputError('vegaByExpiry', vegaByExpiry.length, `${this.expiries.length} entries`);
    vegaByExpiry.fill(0);
    let delta = 0;
    const o = this.out;
    for (let j = 0; j < count; j++) {
      const i = index[j] as number;
      if (!(i >= 0 && i < this.n))
        throw new InputError(`index[${j}]`, i, `an instrument index below ${this.n}`);
      const q = amount[j] as number;
      delta += q * (o.delta[i] as number);
      const e = this.expiryIndex[i] as number;
      vegaByExpiry[e] = (vegaByExpiry[e] as number) + q * (o.vega[i] as number);
    }
    return delta;
  }

  /** The last `quote` as objects (allocates; for tests, reports and mass-quote building). */
  quotes(): OptionQuote[] {
    const o = this.out;
    const list: OptionQuote[] = [];
    for (let i = 0; i < this.n; i++) {
      list.push({
        instrument: this.instruments[i] as string,
        expiryMs: this.expiries[this.expiryIndex[i] as number] as number,
        surfaceVol: o.surfaceVol[i] as number,
        bidVol: o.bidVol[i] as number,
        askVol: o.askVol[i] as number,
        bidPrice: o.bidSize[i]! > 0 ? (o.bidPrice[i] as number) : null,
        askPrice: o.askSize[i]! > 0 ? (o.askPrice[i] as number) : null,
        bidSize: o.bidSize[i] as number,
        askSize: o.askSize[i] as number,
        delta: o.delta[i] as number,
        vega: o.vega[i] as number,
        postOnly: true,
      });
    }
    return list;
  }

  /** Size of one side whose fill changes vega by `dVega` and delta by `dDelta` per contract. */
  private sideSize(
    dVega: number,
    dDelta: number,
    vegaE: number,
    vegaTotal: number,
    deltaCoin: number,
    limitE: number,
    lot: number,
  ): number {
    const c = this.config;
    let factor = 1;
    let cap = Infinity;
    const limits = this.limits;
    for (let j = 0; j < 3; j++) {
      const g = j === 2 ? dDelta : dVega;
      const exposure = j === 0 ? vegaE : j === 1 ? vegaTotal : deltaCoin;
      const limit = j === 0 ? limitE : j === 1 ? limits.vegaTotal : limits.deltaCoin;
      if (g === 0) continue;
      if (exposure * g < 0) {
        // Reduces |exposure|: not shrunk; may go through zero up to the other side's limit.
        cap = Math.min(cap, (Math.abs(exposure) + limit) / Math.abs(g));
        continue;
      }
      const use = Math.abs(exposure) / limit;
      factor = Math.min(factor, Math.max(0, Math.min(1, (1 - use) / (1 - c.shrinkStart))));
      cap = Math.min(cap, Math.max(0, limit - Math.abs(exposure)) / Math.abs(g));
    }
    const raw = Math.min(c.baseSize * factor, cap);
    const size = Math.floor(raw / lot + EPS) * lot;
    if (size < Math.max(c.minSize, lot) - EPS * lot) return 0;
    return roundToLot(size, lot);
  }

  /** Snaps a positive price to the tick in force: up for asks, down for bids. */
  /** `snap` into `RARE[0]` (also returned), for the paths off the common one. */
  private snapRare(i: number, price: number, up: boolean): number {
    RARE[0] = this.snap(i, price, up);
    return RARE[0] as number;
  }

  /**
   * The reference's price on the tick of one side of option i, before the bid/ask ordering and
   * the minimum-price check, into `RARE[0]` (NaN when the exact raw price is not finite).
   */
  private exactSide(i: number, ask: boolean, skew: number, minP: number, maxP: number): void {
    const exact = this.exactRaw(i, ask, skew);
    RARE[0] = Number.isFinite(exact)
      ? this.snap(i, ask ? Math.max(exact, minP) : Math.min(exact, maxP), ask)
      : NaN;
  }

  private snap(i: number, price: number, up: boolean): number {
    if (this.slowTicks[i] === 1)
      return (this.schedules[i] as TickSchedule).snap(price, this.atMs, up ? 'up' : 'down');
    const r = this.rules[i] as FastTicks;
    let band = 0;
    const above = r.above;
    while (band < above.length && price - (above[band] as number) > EPS * (r.ticks[band] as number)) band++;
    const tick = r.ticks[band] as number;
    const units = up ? Math.ceil(price / tick - EPS) : Math.floor(price / tick + EPS);
    const inverse = r.inverse[band] as number;
    let value = inverse > 0 ? units / inverse : units * tick;
    if (!up && band > 0 && value < (above[band - 1] as number)) value = above[band - 1] as number;
    return value;
  }

  private buildTicks(): void {
    // One rule object per distinct rule in force: the chain usually shares one, which then stays
    // in cache while every option snaps on it.
    const built = new Map<TickRule, { rule: FastTicks; fast: boolean }>();
    for (let i = 0; i < this.n; i++) {
      const rule: TickRule = (this.schedules[i] as TickSchedule).ruleAt(this.atMs);
      const known = built.get(rule);
      if (known !== undefined) {
        this.rules[i] = known.rule;
        this.minTick[i] = known.rule.ticks[0] as number;
        this.slowTicks[i] = known.fast ? 0 : 1;
        continue;
      }
      const nb = rule.steps.length + 1;
      const ticks = new Float64Array(nb);
      const inverse = new Float64Array(nb);
      const above = new Float64Array(nb - 1);
      let fast = true;
      for (let b = 0; b < nb; b++) {
        const tick = b === 0 ? rule.tickSize : rule.steps[b - 1]!.tickSize;
        ticks[b] = tick;
        const inv = Math.round(1 / tick);
        inverse[b] = Math.abs(inv * tick - 1) < 1e-12 ? inv : 0;
        if (inverse[b] === 0) fast = false;
        if (b > 0) {
          const boundary = rule.steps[b - 1]!.abovePrice;
          above[b - 1] = boundary;
          // Fast snapping needs each boundary on both neighbouring grids.
          const lower = ticks[b - 1] as number;
          if (Math.abs(boundary / lower - Math.round(boundary / lower)) > 1e-9) fast = false;
          if (Math.abs(boundary / tick - Math.round(boundary / tick)) > 1e-9) fast = false;
        }
      }
      const fastTicks: FastTicks = { ticks, inverse, above };
      this.rules[i] = fastTicks;
      built.set(rule, { rule: fastTicks, fast });
      this.minTick[i] = ticks[0] as number;
      this.slowTicks[i] = fast ? 0 : 1;
    }
  }
}

/**
 * The room of one limit at `out[o..o+3]`: the exposure; the room of a side that increases
 * |exposure| (limit - |exposure|, at least 0); of one that reduces it (|exposure| + limit, through
 * zero to the other side's limit); the size factor of an increasing side (`sideSize`'s).
 */
function setRoom(out: Float64Array, o: number, exposure: number, limit: number, shrinkStart: number): void {
  const use = Math.abs(exposure) / limit;
  out[o] = exposure;
  out[o + 1] = Math.max(0, limit - Math.abs(exposure));
  out[o + 2] = Math.abs(exposure) + limit;
  out[o + 3] = Math.max(0, Math.min(1, (1 - use) / (1 - shrinkStart)));
}

/** `OptionsQuoter.snap` on a rule whose boundaries lie on both neighbouring grids. */
function snapFast(r: FastTicks, price: number, up: boolean): number {
  let band = 0;
  const above = r.above;
  while (band < above.length && price - (above[band] as number) > EPS * (r.ticks[band] as number)) band++;
  const tick = r.ticks[band] as number;
  const units = up ? Math.ceil(price / tick - EPS) : Math.floor(price / tick + EPS);
  const inverse = r.inverse[band] as number;
  let value = inverse > 0 ? units / inverse : units * tick;
  if (!up && band > 0 && value < (above[band - 1] as number)) value = above[band - 1] as number;
  return value;
}

function roundToLot(size: number, lot: number): number {
  const inv = Math.round(1 / lot);
  if (Math.abs(inv * lot - 1) < 1e-12) return Math.round(size * inv) / inv;
  return Math.round(size / lot) * lot;
}

function clip1(x: number): number {
  return x > 1 ? 1 : x < -1 ? -1 : x;
}

function requireFinite(field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(field, value, 'a finite number');
}

function requirePositive(field: string, value: unknown): void {
  if (typeof value !== 'number' || !(value > 0) || value === Infinity)
    throw new InputError(field, value, 'a positive finite number');
}

function requireNonNegative(field: string, value: unknown): void {
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity)
    throw new InputError(field, value, 'a non-negative finite number');
}

function optionalPositive(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  requirePositive(field, value);
  return value;
}

function checkConfig(config: OptionsQuoterConfig): Required<OptionsQuoterConfig> {
  if (config === null || typeof config !== 'object') throw new InputError('config', config, 'an object');
  requirePositive('config.halfSpreadVol', config.halfSpreadVol);
  requireNonNegative('config.vegaSkewVol', config.vegaSkewVol);
  requireNonNegative('config.deltaSkew', config.deltaSkew);
  requirePositive('config.baseSize', config.baseSize);
  const full: Required<OptionsQuoterConfig> = {
    halfSpreadVol: config.halfSpreadVol,
    vegaSkewVol: config.vegaSkewVol,
    totalVegaSkewVol: config.totalVegaSkewVol ?? 0,
    deltaSkew: config.deltaSkew,
    baseSize: config.baseSize,
    minSize: config.minSize ?? 0,
    shrinkStart: config.shrinkStart ?? 0,
    minVol: config.minVol ?? 0.01,
    rate: config.rate ?? 0,
  };
  requireNonNegative('config.totalVegaSkewVol', full.totalVegaSkewVol);
  requireNonNegative('config.minSize', full.minSize);
  if (!(full.shrinkStart >= 0 && full.shrinkStart < 1))
    throw new InputError('config.shrinkStart', full.shrinkStart, 'a number in [0, 1)');
  requirePositive('config.minVol', full.minVol);
  requireFinite('config.rate', full.rate);
  return full;
}

/**
 * Columns of the pricing pass: inputs per option (call flag, expiry, forward, strike, sqrt K,
 * x = ln(F/K) and its error bound, s = centre vol x sqrt T), per expiry (sqrt F, discount,
 * step d = halfSpreadVol x sqrt T); outputs per option (`spreadColumns`).
 */
interface SpreadWork {
  isCall: Uint8Array;
  expiry: Int32Array;
  forward: Float64Array;
  strike: Float64Array;
  sqrtK: Float64Array;
  x: Float64Array;
  xError: Float64Array;
  s: Float64Array;
  sqrtF: Float64Array;
  discount: Float64Array;
  step: Float64Array;
  price: Float64Array;
  /** dV/dF. */
  delta: Float64Array;
  /** dV/ds. */
  density: Float64Array;
  /** d2V/ds2. */
  volga: Float64Array;
  bid: Float64Array;
  ask: Float64Array;
  /** Bound on |bid - V(s - d)| and |ask - V(s + d)|; -1 where the step is not taken. */
  error: Float64Array;
}

function allocateSpreadWork(
  n: number,
  ne: number,
  shared: { isCall: Uint8Array; expiry: Int32Array; forward: Float64Array; strike: Float64Array },
): SpreadWork {
  const column = (): Float64Array => new Float64Array(n);
  return {
    ...shared,
    sqrtK: column(),
    x: column(),
    xError: column(),
    s: column(),
    sqrtF: new Float64Array(ne),
    discount: new Float64Array(ne),
    step: new Float64Array(ne),
    price: column(),
    delta: column(),
    density: column(),
    volga: column(),
    bid: column(),
    ask: column(),
    error: column(),
  };
}

const INV_SQRT_2PI = 0.3989422804014327; // 1/sqrt(2 pi), the double of `normalised-black.ts`
const SQRT_HALF = Math.SQRT1_2;
/**
 * A slot for the results of calls off the common path (series regions, exact fallbacks, slow
 * tick schedules): a double read from a Float64Array stays unboxed, where one returned by a call
 * that is not inlined would make every value it merges with a heap number.
 */
const RARE = new Float64Array(1);
/**
 * Where `normalisedBlackOtm` takes its series in t (region 2) for the last ulps, the two
 * rational regions are used here too as long as their cancellation factor, about y/(2t) or
 * 1/(1.6 t), stays below ~300: a relative error of at most ~3e-13 (300 x a few ulps) in the
 * centre price, within the 1e-11 the bound allows for the difference to the reference. The
 * series (a latency-bound recursion) stays for smaller t or larger y/t.
 */
const SERIES_FREE_T = 0.002;
const SERIES_FREE_RATIO = 500;
/**
 * Largest step d/s = halfSpreadVol / vol taken by Taylor. The bound grows as (d/s)^3, and beyond
 * this most sides would straddle a tick and be priced exactly anyway (two more evaluations each),
 * so such rows go straight to the three exact evaluations.
 */
const TAYLOR_MAX_STEP = 0.15;
/** `normalised-black.ts`'s split between N from erf and N from erfcx. */
const CUT = Math.SQRT2 * 0.5;

/**
 * Rows [from, to) of `w`: one Black-76 evaluation at s = sigma sqrt(T) and the second-order
 * Taylor step to s -+ d, with a bound on its error. Allocates nothing, calls nothing per row but
 * `Math` and Cody's erfcx (the rare regions below call `normalisedBlackOtm`).
 *
 * The evaluation is `black76`'s: price e^{-rT} [theta (F - K)^+ + sqrt(FK) b(-|x|, s)] with
 * Jäckel's normalised b. Its two common regions (both probabilities from erfcx, or each from erf
 * or erfcx) are written out here with the arithmetic of `normalisedBlackOtm`, bit for bit; the
 * others (far out of the money, small s against |x|: series) call it.
 *
 * Step and bound, with V_s = dV/ds = e^{-rT} sqrt(FK) phi(0) E(s), E(s) = exp(-(a + b)/2),
 * a = x^2/s^2, b = s^2/4 (so d1 d2 = a - b and d1^2 + d2^2 = 2a + 2b):
 *   V_ss = V_s d1 d2 / s,   V_sss = V_s [(d1 d2)^2 - d1^2 - d2^2 - d1 d2] / s^2,
 *   V(s -+ d) = V -+ V_s d + V_ss d^2/2 + R,  |R| <= sup |V_sss| d^3 / 6 on [s - d, s + d].
 * There a lies in [x^2/(s+d)^2, x^2/(s-d)^2] and b in [(s-d)^2/4, (s+d)^2/4], so
 *   |V_sss| <= V_s(s) e^u [m^2 + m + 2 a_max + 2 b_max] / (s - d)^2,
 *   u = (a(s) - a_min + b(s) - b_min)/2 >= 0,   m = max(a_max - b_min, b_max - a_min),
 * with e^u <= 1 + u + u^2/2 + 0.46 u^3 for u <= 1 (Lagrange: the cubic term's factor is at most
 * e/6 < 0.4531) and Math.exp(u) above. The bound adds 1e-11 of the terms' magnitudes (this
 * evaluation's and the reference's roundings, both near 1e-14 relative), 1e-14 V_s s (s -+ d
 * rounded differently from (vol -+ h) sqrt T) and e^{-rT} (F + K) xError (|dV/dx| <= F at a
 * fixed strike). The step is taken for 0 < d < TAYLOR_MAX_STEP s; elsewhere `error` is -1.
 */
function spreadColumns(w: SpreadWork, from: number, to: number): void {
  const side = normalisedSide;
  for (let i = from; i < to; i++) {
    const e = w.expiry[i] as number;
    const s = w.s[i] as number;
    const d = w.step[e] as number;
    if (!(s > 0 && d < TAYLOR_MAX_STEP * s && s < Infinity)) {
      w.error[i] = -1;
      continue;
    }
    const call = w.isCall[i] === 1;
    const forward = w.forward[i] as number;
    const strike = w.strike[i] as number;
    const sqrtF = w.sqrtF[e] as number;
    const sqrtK = w.sqrtK[i] as number;
    const discount = w.discount[e] as number;
    const x = w.x[i] as number;
    const halfExp = sqrtF > sqrtK ? sqrtF / sqrtK : sqrtK / sqrtF;
    const sqrtFK = sqrtF * sqrtK;
    // b(-|x|, s) and the side values, as `normalisedBlackOtm(-|x|, s, halfExp)`.
    const xo = x < 0 ? x : -x;
    const h = xo / s;
    const t = 0.5 * s;
    const y = -h;
    let b: number;
    let cdfPlus: number;
    let cdfMinus: number;
    let density: number;
    if (
      (y - t >= 10 && t < 0.005 * y) ||
      !(halfExp < Infinity) ||
      (t < 0.21 && (t < 0.01 || 100 * t < y) && !(t >= SERIES_FREE_T && y <= SERIES_FREE_RATIO * t))
    ) {
      // Through a typed slot: keeps b an unboxed double in the common path.
      RARE[0] = normalisedBlackOtm(xo, s, halfExp);
      b = RARE[0] as number;
      density = side[SIDE_VEGA] as number;
      cdfPlus = side[SIDE_CDF_PLUS] as number;
      cdfMinus = side[SIDE_CDF_MINUS] as number;
    } else {
      const ex = Math.exp(-0.5 * (h * h + t * t));
      density = INV_SQRT_2PI * ex;
      const zPlus = h + t;
      const wPlus = 0.5 * ex * halfExp;
      const wMinus = (0.5 * ex) / halfExp;
      // N(z) for z = h + t, then h - t: one call site each for erfcx and erf (both inlined).
      let e1 = 0;
      let e2 = 0;
      cdfPlus = 0;
      cdfMinus = 0;
      for (let j = 0; j < 2; j++) {
        const z = j === 0 ? zPlus : h - t;
        const weight = j === 0 ? wPlus : wMinus;
        let scaled = 0;
        let cdf: number;
        if (z < -CUT || z > CUT) {
          scaled = erfcxLarge(SQRT_HALF * (z < 0 ? -z : z));
          cdf = z < 0 ? weight * scaled : 1 - weight * scaled;
        } else cdf = 0.5 + 0.5 * erfSmall(SQRT_HALF * z);
        if (j === 0) {
          e1 = scaled;
          cdfPlus = cdf;
        } else {
          e2 = scaled;
          cdfMinus = cdf;
        }
      }
      b = zPlus < -CUT ? 0.5 * ex * (e1 - e2) : cdfPlus / halfExp - cdfMinus * halfExp;
      if (!(b > 0)) b = 0;
    }
    const otm = sqrtFK * b;
    const intrinsic = call ? forward - strike : strike - forward;
    const price = discount * (intrinsic > 0 ? intrinsic + otm : otm);
    const xs = x / s;
    const d1 = xs + t;
    const d2 = xs - t;
    // N(theta d1) from the out-of-the-money side's N(h' + t), N(h' - t), as `black76` does.
    let probability: number;
    if (call) probability = x <= 0 ? cdfPlus : 1 - cdfMinus;
    else probability = x >= 0 ? cdfMinus : 1 - cdfPlus;
    if (probability < 0.25 && !(call ? x <= 0 : x >= 0)) {
      RARE[0] = normCdf(call ? d1 : -d1);
      probability = RARE[0] as number;
    }
    const vegaS = discount * sqrtFK * density;
    const volga = (vegaS * d1 * d2) / s;
    const linear = vegaS * d;
    const quadratic = 0.5 * volga * d * d;
    // Remainder bound.
    const low = s - d;
    const high = s + d;
    const r = 1 / (low * high);
    const invLow = high * r;
    const invHigh = low * r;
    const x2 = x * x;
    const aMax = x2 * invLow * invLow;
    const aMin = x2 * invHigh * invHigh;
    const bMin = 0.25 * low * low;
    const bMax = 0.25 * high * high;
    const u = 0.5 * (xs * xs - aMin + 0.25 * s * s - bMin);
    const expU = u <= 1 ? 1 + u * (1 + u * (0.5 + 0.46 * u)) : Math.exp(u);
    const spread = Math.max(aMax - bMin, bMax - aMin);
    const g = spread * spread + spread + 2 * (aMax + bMax);
    const absVegaS = Math.abs(vegaS);
    const remainder = absVegaS * expU * g * invLow * invLow * d * d * d * (1 / 6);
    const margin =
      1e-11 * (Math.abs(price) + Math.abs(linear) + Math.abs(quadratic)) +
      1e-14 * absVegaS * s +
      Math.abs(discount) * (forward + strike) * (w.xError[i] as number);
    w.price[i] = price;
    w.delta[i] = call ? discount * probability : -discount * probability;
    w.density[i] = vegaS;
    w.volga[i] = volga;
    w.bid[i] = price - linear + quadratic;
    w.ask[i] = price + linear + quadratic;
    w.error[i] = remainder * (1 + 1e-6) + margin;
  }
}

/** What `black76SpreadTaylor` returns (USD, Black-76 units; vega and volga per 1.00 of vol). */
export interface SpreadTaylor {
  price: number;
  delta: number;
  vega: number;
  volga: number;
  /** Estimates of the prices at vol - halfSpreadVol and vol + halfSpreadVol. */
  bid: number;
  ask: number;
  /** Bound on |estimate - exact| for both. */
  errorBound: number;
}

/**
 * The quoter's pricing step for one option, as an object (allocates; for tests and reports):
 * one Black-76 evaluation at `vol` and the bounded second-order Taylor step to vol -+
 * halfSpreadVol. Requires 0 < halfSpreadVol < 0.15 vol (the quoter's `TAYLOR_MAX_STEP`).
 */
export function black76SpreadTaylor(
  call: boolean,
  forward: number,
  strike: number,
  expiryYears: number,
  vol: number,
  halfSpreadVol: number,
  rate = 0,
): SpreadTaylor {
  if (!(halfSpreadVol > 0 && halfSpreadVol < TAYLOR_MAX_STEP * vol))
    throw new InputError('halfSpreadVol', halfSpreadVol, `in (0, ${TAYLOR_MAX_STEP} vol)`);
  const sqrtT = Math.sqrt(expiryYears);
  const x = Math.log(forward / strike);
  const w = allocateSpreadWork(1, 1, {
    isCall: Uint8Array.of(call ? 1 : 0),
    expiry: Int32Array.of(0),
    forward: Float64Array.of(forward),
    strike: Float64Array.of(strike),
  });
  w.sqrtK[0] = Math.sqrt(strike);
  w.x[0] = x;
  w.xError[0] = 4e-16 * Math.abs(x);
  w.s[0] = vol * sqrtT;
  w.sqrtF[0] = Math.sqrt(forward);
  w.discount[0] = rate === 0 ? 1 : Math.exp(-rate * expiryYears);
  w.step[0] = halfSpreadVol * sqrtT;
  spreadColumns(w, 0, 1);
  return {
    price: w.price[0] as number,
    delta: w.delta[0] as number,
    vega: (w.density[0] as number) * sqrtT,
    volga: (w.volga[0] as number) * expiryYears,
    bid: w.bid[0] as number,
    ask: w.ask[0] as number,
    errorBound: w.error[0] as number,
  };
}
