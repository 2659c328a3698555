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
 * Speed: everything that does not depend on the spot (strikes, times, tick rules, lots,
 * column buffers) is built once; `quote` writes into preallocated typed arrays and allocates
 * nothing (one log and three Black-76 evaluations per option, the column API of
 * `pricing/black76.ts`).
 */
import { allocateGreekColumns, black76Columns, black76PriceColumns } from '../pricing/black76.js';
import type { GreekColumns, OptionColumns } from '../pricing/black76.js';
import { InputError } from '../model/errors.js';
import { InstrumentCatalog } from '../model/instrument-catalog.js';
import type { InstrumentDetails } from '../model/instrument-details.js';
import type { TickRule, TickSchedule } from '../model/tick-schedule.js';
import { MS_PER_YEAR } from '../model/time.js';
import type { VolSurface } from '../vol/surface.js';

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

/** The quoter. Construct once per chain; call `quote` on every spot or book change. */
export class OptionsQuoter {
  /** Instrument names, in output order. */
  readonly instruments: readonly string[];
  /** Distinct expiries (ms), ascending: the index space of `vegaByExpiry` and per-expiry limits. */
  readonly expiries: readonly number[];
  /** Expiry index of each instrument. */
  readonly expiryIndex: Int32Array;
  readonly out: QuoteColumns;

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
    this.details.forEach((d, i) => {
      this.expiryIndex[i] = expiries.indexOf(d.expiryMs as number);
      this.strike[i] = d.strike as number;
      this.logStrike[i] = Math.log(d.strike as number);
      isCall[i] = d.optionType === 'call' ? 1 : 0;
      this.multiplier[i] = d.multiplier ?? 1;
      this.lot[i] = d.minTradeAmount ?? d.contractSize;
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
    this.surface = surface;
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
   */
  quote(spot: number, book: BookGreeks): QuoteColumns {
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
      this.expiryForward[e] = spot * (this.carry[e] as number);
      this.expiryLogForward[e] = Math.log(this.expiryForward[e] as number);
      const use = clip1((vegaByExpiry[e] as number) / (lim.vegaPerExpiry[e] as number));
      this.expiryShift[e] = totalShift - c.vegaSkewVol * use;
    }
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
    for (let i = 0; i < this.n; i++) {
      const rule: TickRule = (this.schedules[i] as TickSchedule).ruleAt(this.atMs);
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
      this.rules[i] = { ticks, inverse, above };
      this.slowTicks[i] = fast ? 0 : 1;
    }
  }
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
