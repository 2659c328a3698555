/**
 * An estimate of Deribit's segregated portfolio margin (S:PM) for one settlement coin, by the
 * venue's published method (docs/margin.md gives the method beside its sources):
 *
 * - risk matrix: each instrument's forward moved by 9 evenly spaced price moves over
 *   +-priceRange (0 included), each with the implied vol shocked up, held and shocked down;
 *   the vol shock is relative and weighted by time to expiry,
 *   `up = max(sigma, minVolForShockUp) x (1 + volRangeUp x (30 / days)^power)`,
 *   `down = sigma x (1 - volRangeDown x (30 / days)^power)`, power `shortTermVegaPower` under 30
 *   days and `longTermVegaPower` from 30 days, days floored at `minDays`;
 * - extended table: large moves (-66% ... +500%) with vol up only; futures and perpetuals move by
 *   at most +-priceRange there (as the venue's own example shows); a loss counts for the fraction
 *   `extendedTableFactor x priceRange / |move|` of itself, less the dampener (USD, at the index);
 * - the worst case is the largest loss over both tables (gains count as 0);
 * - add-ons: delta shock (large delta totals), roll shock (futures' basis), correlation
 *   contingency;
 * - risk-matrix margin = worst case + add-ons = initial margin (no open orders, MMP or spot
 *   margin here); maintenance margin = mmFactor x risk-matrix margin.
 *
 * P&L is in coin, full revaluation: an inverse option is worth its Black-76 USD value at its own
 * forward divided by that forward (the venue's mark), an inverse future of `amount` USD gains
 * `amount x (1/F0 - 1/F1)` coin. Every parameter lives in `PortfolioMarginConfig`; the defaults
 * are the venue's published BTC values (`DERIBIT_BTC_PM_CONFIG`, each cited).
 */
import { InputError } from '../../model/errors.js';
import { MS_PER_YEAR } from '../../model/time.js';
import { black76, black76Price } from '../../pricing/black76.js';
import type { OptionKind } from '../../pricing/types.js';
import { requireMarks, type RiskMarket, type RiskPosition } from '../inputs.js';

/** Every parameter of the method; see `DERIBIT_BTC_PM_CONFIG` for the values and their sources. */
export interface PortfolioMarginConfig {
  /** Largest relative price move of the risk matrix (0.16 = +-16%). */
  priceRange: number;
  /** Number of evenly spaced price moves over [-priceRange, +priceRange], odd so 0 is one. */
  priceSteps: number;
  /** Relative vol shock up (0.5 = +50% of the vol) at 30 days. */
  volRangeUp: number;
  /** Relative vol shock down (0.25 = -25% of the vol) at 30 days. */
  volRangeDown: number;
  /** Power of (30 / days) under `vegaPowerSwitchDays`. */
  shortTermVegaPower: number;
  /** Power of (30 / days) from `vegaPowerSwitchDays` on. */
  longTermVegaPower: number;
  /** Days to expiry from which the long-term power applies. */
  vegaPowerSwitchDays: number;
  /** The reference horizon of the weighting, days (the 30 of (30 / days)). */
  volShockReferenceDays: number;
  /** Days to expiry are floored at this in the weighting (an option expiring in an hour). */
  minDays: number;
  /** The vol the up shock is applied to is at least this (0.5 = 50 vol). */
  minVolForShockUp: number;
  /** A shocked vol is floored here (keeps the down shock positive for very short expiries). */
  minShockedVol: number;
  /** Price moves of the extended table (vol up only). */
  extendedMoves: readonly number[];
  /** Multiplies the extended table's weight `priceRange / |move|`. */
  extendedTableFactor: number;
  /** USD taken off an extended-table loss (converted to coin at the index). */
  extendedDampenerUsd: number;
  /** Largest relative delta shock (0.1 = 10%). */
  maxDeltaShock: number;
  /** |delta total| in USD below which no delta shock applies. */
  deltaTotalLiqShockThresholdUsd: number;
  /** Delta shock per coin of |delta total| beyond the threshold (capped at maxDeltaShock). */
  mInc: number;
  /** Roll shock: relative move of a future per year to expiry. */
  annualisedMoveRisk: number;
  /** Roll shock: smallest relative move (perpetual and short futures). */
  minAnnualisedMove: number;
  /** Correlation contingency, coin (0: the venue's `correlation_set: false`). */
  correlationContingencyCoin: number;
  /** Maintenance margin = mmFactor x risk-matrix margin. */
  mmFactor: number;
}

/**
 * Deribit's BTC parameters. Source, unless said otherwise: the response example of
 * `private/pme/simulate` in Deribit's API reference
 * (https://docs.deribit.com/api-reference/account-management/private-simulate, `model_params`,
 * `btc_usd` and `btc`, timestamp 1718619740501 = 2024-06-17). The venue changes them without
 * notice ("parameter settings can be changed by Deribit Risk Management team"): verify before
 * relying on them.
 */
export const DERIBIT_BTC_PM_CONFIG: Readonly<PortfolioMarginConfig> = Object.freeze({
  /** `price_range: 0.16`; support article "Portfolio Margin": "e.g. +/-16%". */
  priceRange: 0.16,
  /** Support article "Portfolio Margin": "9 evenly spaced buckets ... including ... zero"; 27 = 9 x 3 entries of `standard`. */
  priceSteps: 9,
  /** `volatility_range_up: 0.5`. */
  volRangeUp: 0.5,
  /** `volatility_range_down: 0.25`. */
  volRangeDown: 0.25,
  /** `short_term_vega_power: 0.3`. */
  shortTermVegaPower: 0.3,
  /** `long_term_vega_power: 0.13`. */
  longTermVegaPower: 0.13,
  /** Not in the example: 30 days, the boundary the older Deribit page and Paradex's copy of the method use (docs/margin.md). */
  vegaPowerSwitchDays: 30,
  /** The 30 of "(30/days to expiration)^0.30", Deribit's earlier portfolio margin page (docs/margin.md). */
  volShockReferenceDays: 30,
  /** Not published by Deribit: 1 day, Paradex's "max(1, DTE)" for the same formula (assumption). */
  minDays: 1,
  /** `min_volatility_for_shock_up: 0.5`. */
  minVolForShockUp: 0.5,
  /** Not published: 1 vol point, the floor this project's stress grid uses (assumption). */
  minShockedVol: 0.01,
  /** Support article "Portfolio Margin": "-66%, -33%, +50%, +100%, +200%, +300%, +400%, +500%" (8 entries of `extended`). */
  extendedMoves: Object.freeze([-0.66, -0.33, 0.5, 1, 2, 3, 4, 5]),
  /** `extended_table_factor: 1`. */
  extendedTableFactor: 1,
  /** `extended_dampener: 100000` (for `btc`; unit not stated, read as USD: assumption). */
  extendedDampenerUsd: 100000,
  /** `max_delta_shock: 0.1`. */
  maxDeltaShock: 0.1,
  /** `delta_total_liq_shock_threshold: 20000000` (read as USD: assumption). */
  deltaTotalLiqShockThresholdUsd: 20000000,
  /** `m_inc: 0.00005` (read as per coin of delta beyond the threshold: assumption). */
  mInc: 0.00005,
  /** `annualised_move_risk: 0.075` (for `btc`). */
  annualisedMoveRisk: 0.075,
  /** `min_annualised_move: 0.01` (for `btc`). */
  minAnnualisedMove: 0.01,
  /** `correlation_set: false`, `correlation_contingency: 0` in the example. */
  correlationContingencyCoin: 0,
  /** `mm_factor: 0.8`; `maintenance_margin` 0.050274504784 = 0.8 x `risk_matrix_margin` 0.06284313098. */
  mmFactor: 0.8,
});

/** Which vol a scenario uses. */
export type VolMove = 'up' | 'same' | 'down';

/** One scenario of the risk matrix or the extended table, with the book's P&L in it. */
export interface MarginScenario {
  table: 'standard' | 'extended';
  /** Position in its table (0-based), as the venue's `worst_case_bucket.index`. */
  index: number;
  /** Relative price move (-0.16 = -16%). */
  priceMove: number;
  vol: VolMove;
  /** `-16%, vol up` (`(extended)` appended for the extended table). */
  name: string;
  /** The book's P&L in coin, full revaluation (extended: before weight and dampener). */
  rawPnlCoin: number;
  /** The P&L that counts: the raw one (standard), or weighted and dampened (extended, losses only). */
  pnlCoin: number;
}

/** The add-ons beside the worst case, coin. */
export interface MarginAddOns {
  deltaShockCoin: number;
  rollShockCoin: number;
  correlationContingencyCoin: number;
}

/** A margin estimate for one coin. */
export interface PortfolioMarginResult {
  coin: string;
  /** The index the USD figures use. */
  indexUsd: number;
  /** Worst case + add-ons; with no open orders it is the initial margin. */
  riskMatrixMarginCoin: number;
  initialMarginCoin: number;
  initialMarginUsd: number;
  maintenanceMarginCoin: number;
  maintenanceMarginUsd: number;
  /** The largest loss over both tables, coin (0 when no scenario loses). */
  worstCaseCoin: number;
  /** The scenario of the worst case; null when none loses. */
  worstScenario: MarginScenario | null;
  /** The 27 standard scenarios (price move ascending; vol up, same, down) then the extended ones. */
  scenarios: MarginScenario[];
  addOns: MarginAddOns;
  /** The venue's delta total: futures in coin plus options' premium-adjusted delta, coin. */
  deltaTotalCoin: number;
  config: PortfolioMarginConfig;
}

/** Options of `portfolioMargin`. */
export interface PortfolioMarginOptions {
  /** The settlement coin (`BTC`); required when the book holds several. */
  coin?: string;
  /** Overrides of `DERIBIT_BTC_PM_CONFIG`. */
  config?: Partial<PortfolioMarginConfig>;
}

/** The up, same and down vols for an option of vol `sigma` expiring in `days`. */
export function shockedVols(
  sigma: number,
  days: number,
  config: PortfolioMarginConfig = DERIBIT_BTC_PM_CONFIG,
): Record<VolMove, number> {
  const d = Math.max(days, config.minDays);
  const power = d < config.vegaPowerSwitchDays ? config.shortTermVegaPower : config.longTermVegaPower;
  const weight = Math.pow(config.volShockReferenceDays / d, power);
  return {
    up: Math.max(
      Math.max(sigma, config.minVolForShockUp) * (1 + config.volRangeUp * weight),
      config.minShockedVol,
    ),
    same: sigma,
    down: Math.max(sigma * (1 - config.volRangeDown * weight), config.minShockedVol),
  };
}

interface OptionLeg {
  kind: OptionKind;
  amount: number;
  forward: number;
  strike: number;
  years: number;
  rate: number;
  vols: Record<VolMove, number>;
  valueCoin: number;
}

interface FutureLeg {
  amountUsd: number;
  mark: number;
}

/** A book of one coin made ready for revaluation; shared by the margin and the liquidation distance. */
export interface PreparedBook {
  coin: string;
  indexUsd: number;
  options: OptionLeg[];
  futures: FutureLeg[];
  /** Per future: |coin size| and years to expiry (0 for a perpetual), for the roll shock. */
  roll: { sizeCoin: number; years: number }[];
  deltaTotalCoin: number;
}

/** Checks the book against the market and prepares it; throws `InputError` naming line and field. */
export function prepareBook(
  book: readonly RiskPosition[],
  market: RiskMarket,
  coin: string | undefined,
  config: PortfolioMarginConfig = DERIBIT_BTC_PM_CONFIG,
): PreparedBook {
  requireMarks(book, market);
  const coins = new Set(book.map((p) => p.parsed.base));
  const chosen = coin ?? (coins.size === 1 ? [...coins][0]! : undefined);
  if (chosen === undefined) {
    throw new InputError('coin', coin, `one of ${[...coins].join(', ') || '(an empty book)'}`);
  }
  const indexUsd = market.index.get(chosen);
  if (indexUsd === undefined || !(indexUsd > 0) || !Number.isFinite(indexUsd)) {
    throw new InputError(`market: index of ${chosen}`, indexUsd, 'a price > 0 (USD)');
  }
  const prepared: PreparedBook = {
    coin: chosen,
    indexUsd,
    options: [],
    futures: [],
    roll: [],
    deltaTotalCoin: 0,
  };
  for (const p of book) {
    if (p.parsed.base !== chosen) continue;
    const at = (field: string): string => `book line ${p.line}: ${field}`;
    if (p.parsed.settlement !== 'inverse') {
      throw new InputError(at('instrument'), p.instrument, 'an inverse (coin-settled) instrument');
    }
    if (p.parsed.kind === 'option') {
      const q = market.options.get(p.instrument)!;
      const where = (field: string): string => `market line ${q.line} (${p.instrument}): ${field}`;
      if (!(q.forwardUsd > 0) || !Number.isFinite(q.forwardUsd)) {
        throw new InputError(where('underlying_price'), q.forwardUsd, 'a price > 0 (USD)');
      }
      if (!(q.yearsToExpiry > 0))
        throw new InputError(where('expiration_timestamp'), q.expiryMs, 'a future expiry');
      if (!Number.isFinite(q.markCoin) || q.markCoin < 0) {
        throw new InputError(where('mark_price'), q.markCoin, 'a mark price >= 0 (coin)');
      }
      const sigma = q.ivMark ?? q.venueMarkIv;
      if (typeof sigma !== 'number' || !(sigma > 0) || !Number.isFinite(sigma)) {
        throw new InputError(where('mark_iv'), sigma, 'a mark with an implied vol > 0');
      }
      const days = q.yearsToExpiry * 365;
      const g = black76(q.kind, q.forwardUsd, q.strike, q.yearsToExpiry, sigma, q.rate);
      const valueCoin = g.price / q.forwardUsd;
      prepared.options.push({
        kind: q.kind,
        amount: p.amount,
        forward: q.forwardUsd,
        strike: q.strike,
        years: q.yearsToExpiry,
        rate: q.rate,
        vols: shockedVols(sigma, days, config),
        valueCoin,
      });
      prepared.deltaTotalCoin += p.amount * (g.delta - valueCoin);
    } else {
      const f = market.futures.get(p.instrument)!;
      const years =
        p.parsed.kind === 'future' ? Math.max(0, (p.parsed.expiryMs - market.timestampMs) / MS_PER_YEAR) : 0;
      prepared.futures.push({ amountUsd: p.amount, mark: f.markPrice });
      prepared.roll.push({ sizeCoin: Math.abs(p.amount) / f.markPrice, years });
      prepared.deltaTotalCoin += p.amount / f.markPrice;
    }
  }
  return prepared;
}

/**
 * The book's P&L in coin when every forward moves by `move` (relative) and vols take `vol`;
 * futures move by `futureMove` (the extended table caps it), by default `move`.
 */
export function bookPnlCoin(book: PreparedBook, move: number, vol: VolMove, futureMove = move): number {
  let pnl = 0;
  for (const o of book.options) {
    const forward = o.forward * (1 + move);
    const value = black76Price(o.kind, forward, o.strike, o.years, o.vols[vol], o.rate) / forward;
    pnl += o.amount * (value - o.valueCoin);
  }
  for (const f of book.futures) {
    pnl += (f.amountUsd / f.mark) * (futureMove / (1 + futureMove));
  }
  return pnl;
}

function percent(move: number): string {
  const p = Math.round(move * 10000) / 100;
  return `${p > 0 ? '+' : ''}${p}%`;
}

/** Completes and checks a configuration; throws `InputError` naming the parameter. */
export function resolveMarginConfig(overrides: Partial<PortfolioMarginConfig> = {}): PortfolioMarginConfig {
  const config: PortfolioMarginConfig = { ...DERIBIT_BTC_PM_CONFIG, ...overrides };
  const nonNegative: (keyof PortfolioMarginConfig)[] = [
    'volRangeUp',
    'volRangeDown',
    'shortTermVegaPower',
    'longTermVegaPower',
    'vegaPowerSwitchDays',
    'minVolForShockUp',
    'extendedTableFactor',
    'extendedDampenerUsd',
    'maxDeltaShock',
    'deltaTotalLiqShockThresholdUsd',
    'mInc',
    'annualisedMoveRisk',
    'minAnnualisedMove',
    'correlationContingencyCoin',
    'mmFactor',
  ];
  for (const key of nonNegative) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InputError(`margin config: ${key}`, v, 'a finite number >= 0');
    }
  }
  for (const key of ['priceRange', 'volShockReferenceDays', 'minDays', 'minShockedVol'] as const) {
    const v = config[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
      throw new InputError(`margin config: ${key}`, v, 'a finite number > 0');
    }
  }
  if (!(config.priceRange < 1))
    throw new InputError('margin config: priceRange', config.priceRange, 'a move < 1');
  if (!Number.isInteger(config.priceSteps) || config.priceSteps < 3 || config.priceSteps % 2 === 0) {
    throw new InputError(
      'margin config: priceSteps',
      config.priceSteps,
      'an odd integer >= 3 (0 is one step)',
    );
  }
  if (
    !Array.isArray(config.extendedMoves) ||
    config.extendedMoves.some((m) => !Number.isFinite(m) || !(m > -1) || m === 0)
  ) {
    throw new InputError('margin config: extendedMoves', config.extendedMoves, 'moves > -1, not 0');
  }
  return config;
}

/**
 * Deribit-style portfolio margin of the positions of one coin (see the module comment). Throws
 * `InputError` naming the book or market line and field for a position without a market line, a
 * mark without an implied vol, a linear instrument, or a bad configuration value.
 */
export function portfolioMargin(
  book: readonly RiskPosition[],
  market: RiskMarket,
  options: PortfolioMarginOptions = {},
): PortfolioMarginResult {
  const config = resolveMarginConfig(options.config);
  const prepared = prepareBook(book, market, options.coin, config);
  const scenarios: MarginScenario[] = [];
  const half = (config.priceSteps - 1) / 2;
  for (let i = -half; i <= half; i++) {
    const move = (config.priceRange * i) / half;
    for (const vol of ['up', 'same', 'down'] as const) {
      const pnl = bookPnlCoin(prepared, move, vol);
      scenarios.push({
        table: 'standard',
        index: scenarios.length,
        priceMove: move,
        vol,
        name: `${percent(move)}, vol ${vol}`,
        rawPnlCoin: pnl,
        pnlCoin: pnl,
      });
    }
  }
  const standardCount = scenarios.length;
  const dampenerCoin = config.extendedDampenerUsd / prepared.indexUsd;
  for (const move of config.extendedMoves) {
    const futureMove = Math.max(-config.priceRange, Math.min(config.priceRange, move));
    const raw = bookPnlCoin(prepared, move, 'up', futureMove);
    const weighted = raw < 0 ? raw * config.extendedTableFactor * (config.priceRange / Math.abs(move)) : 0;
    const pnl = Math.min(0, weighted + dampenerCoin);
    scenarios.push({
      table: 'extended',
      index: scenarios.length - standardCount,
      priceMove: move,
      vol: 'up',
      name: `${percent(move)}, vol up (extended)`,
      rawPnlCoin: raw,
      pnlCoin: pnl,
    });
  }
  // Ties (a book of futures loses the same under the three vols) go to the unshocked vol, the
  // middle entry of the venue's bucket (its examples name index 1 of bucket 1, index 25 of bucket 9).
  let worstScenario: MarginScenario | null = null;
  for (const pass of [true, false]) {
    for (const s of scenarios) {
      if ((s.vol === 'same') !== pass) continue;
      if (s.pnlCoin < 0 && (worstScenario === null || s.pnlCoin < worstScenario.pnlCoin)) worstScenario = s;
    }
  }
  const worstCaseCoin = worstScenario === null ? 0 : -worstScenario.pnlCoin;

  const deltaUsd = Math.abs(prepared.deltaTotalCoin) * prepared.indexUsd;
  let deltaShockCoin = 0;
  if (deltaUsd > config.deltaTotalLiqShockThresholdUsd) {
    const excessCoin = (deltaUsd - config.deltaTotalLiqShockThresholdUsd) / prepared.indexUsd;
    deltaShockCoin =
      Math.abs(prepared.deltaTotalCoin) * Math.min(config.maxDeltaShock, config.mInc * excessCoin);
  }
  let rollShockCoin = 0;
  for (const r of prepared.roll) {
    rollShockCoin += r.sizeCoin * Math.max(config.annualisedMoveRisk * r.years, config.minAnnualisedMove);
  }
  const addOns: MarginAddOns = {
    deltaShockCoin,
    rollShockCoin,
    correlationContingencyCoin: config.correlationContingencyCoin,
  };
  const riskMatrixMarginCoin =
    worstCaseCoin + deltaShockCoin + rollShockCoin + addOns.correlationContingencyCoin;
  const maintenanceMarginCoin = config.mmFactor * riskMatrixMarginCoin;
  return {
    coin: prepared.coin,
    indexUsd: prepared.indexUsd,
    riskMatrixMarginCoin,
    initialMarginCoin: riskMatrixMarginCoin,
    initialMarginUsd: riskMatrixMarginCoin * prepared.indexUsd,
    maintenanceMarginCoin,
    maintenanceMarginUsd: maintenanceMarginCoin * prepared.indexUsd,
    worstCaseCoin,
    worstScenario,
    scenarios,
    addOns,
    deltaTotalCoin: prepared.deltaTotalCoin,
    config,
  };
}
