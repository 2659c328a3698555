/**
 * Checks our pricing against a Deribit option snapshot, the venue's own way (see
 * `pricing/coin.ts`): for each option, our implied vol of the mark (coin mark × forward, at the
 * forward `underlying_price`, T from the line's timestamp on a 365-day year, rate
 * `interest_rate`) against the venue's `mark_iv`, and the venue's display greeks computed at
 * the venue's `mark_iv` against the venue's `greeks`. Plain data in, plain data out: the
 * `start` command renders it.
 */
import { BallastError } from '../model/errors.js';
import { MS_PER_DAY, MS_PER_YEAR } from '../model/time.js';
import { black76 } from '../pricing/black76.js';
import {
  inverseOptionImpliedVol,
  venueGreeks,
  venueGreeksFromBlack76,
  type VenueGreeks,
} from '../pricing/coin.js';
import type { SnapshotOption } from './snapshot.js';
import { median } from '../model/stats.js';

/**
 * How closely our display greeks must match the venue's, which prints greeks rounded to 5
 * decimals and `mark_iv` to 2 (so the vol we evaluate at may be off by 0.005 vol point):
 * delta 5e-5, gamma 1e-5, theta 5e-3 USD, vega 1e-3 relative (never tighter than the printed
 * rounding, 5e-6). Rho: its printed rounding plus the most our rho moves when the vol moves
 * by half of mark_iv's last digit and the time by `GREEK_CLOCK_SECONDS` (measured on the
 * 2020-05-21 snapshot: printed rounding alone holds for 26 of 230 options, with the vol
 * rounding for 185, with both for all; see `test/pricing/coin.test.ts`).
 */
export const GREEK_TOLERANCE = { delta: 5e-5, gamma: 1e-5, vegaRelative: 1e-3, theta: 5e-3, printed: 5e-6 };

/**
 * The least time value (coin) that pins an implied vol down: one tick of the 2020 snapshot's
 * option prices (0.0005 BTC). Below it the mark's rounding and the forward's jitter move the
 * vol by whole vol points (data/deribit/README.md); such options are counted, not compared.
 */
export const MIN_TIME_VALUE_COIN = 0.0005;

/** Half a step of `mark_iv`'s printed precision (0.01 vol point), as a decimal vol. */
export const MARK_IV_HALF_STEP = 0.00005;

/**
 * How far (seconds) from the line's `timestamp` the venue's greeks may have been computed:
 * rho, the greek most sensitive to time, needs up to 27 s on the 2020-05-21 snapshot.
 */
export const GREEK_CLOCK_SECONDS = 30;

export interface OptionCheck {
  option: SnapshotOption;
  yearsToExpiry: number;
  /** Our implied vol of the mark (decimal), or undefined when the mark has none. */
  impliedVol: number | undefined;
  /** Ours minus the venue's `mark_iv`, in vol points; undefined when there is no implied vol. */
  ivDiffVolPoints: number | undefined;
  /** Whether the mark holds at least `MIN_TIME_VALUE_COIN` of time value (its vol is compared). */
  ivPinned: boolean;
  /** Our display greeks at the venue's `mark_iv`; undefined if they cannot be computed. */
  greeks: VenueGreeks | undefined;
  /** The greeks outside tolerance (empty when all agree). */
  greeksOff: string[];
  warning: string | undefined;
}

export interface ExpiryCheck {
  label: string;
  expiryMs: number;
  days: number;
  /** Median `underlying_price` of the expiry's lines, USD. */
  forwardUsd: number;
  /** Our implied vol (decimal) of the out-of-the-money option at the strike nearest the forward. */
  atmVol: number | undefined;
  count: number;
  /** Options whose mark has an implied vol. */
  ivSolved: number;
  /** Of those, the ones with at least one tick of time value, whose vol is compared. */
  ivCompared: number;
  medianAbsIvDiffVolPoints: number | undefined;
  worstAbsIvDiffVolPoints: number | undefined;
  worstInstrument: string | undefined;
  greeksAgree: number;
}

export interface ChainCheck {
  options: OptionCheck[];
  expiries: ExpiryCheck[];
  total: ExpiryCheck;
  warnings: string[];
}

/** Checks every option of the snapshot; never throws for a single bad option (it warns). */
export function checkChain(options: readonly SnapshotOption[]): ChainCheck {
  const checks = options.map(checkOption);
  const byExpiry = new Map<number, OptionCheck[]>();
  for (const check of checks) {
    const list = byExpiry.get(check.option.expiryMs) ?? [];
    list.push(check);
    byExpiry.set(check.option.expiryMs, list);
  }
  const expiries = [...byExpiry.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => summarise(list));
  const total = summarise(checks, 'total');
  const warnings = checks.flatMap((c) =>
    c.warning === undefined ? [] : [`${c.option.instrumentName}: ${c.warning}`],
  );
  return { options: checks, expiries, total, warnings };
}

/** Checks one option of the snapshot. */
export function checkOption(option: SnapshotOption): OptionCheck {
  const t = (option.expiryMs - option.timestampMs) / MS_PER_YEAR;
  const check: OptionCheck = {
    option,
    yearsToExpiry: t,
    impliedVol: undefined,
    ivDiffVolPoints: undefined,
    ivPinned: false,
    greeks: undefined,
    greeksOff: [],
    warning: undefined,
  };
  const warnings: string[] = [];
  const markUsd = option.markCoin * option.forwardUsd;
  check.ivPinned = markUsd - intrinsicUsd(option, t) >= MIN_TIME_VALUE_COIN * option.forwardUsd;
  if (markUsd <= intrinsicUsd(option, t)) {
    warnings.push(noImpliedVolReason(option, t));
  } else {
    try {
      const vol = inverseOptionImpliedVol(
        option.kind,
        option.markCoin,
        option.forwardUsd,
        option.strike,
        t,
        option.rate,
      );
      check.impliedVol = vol;
      check.ivDiffVolPoints = vol * 100 - option.markIvPercent;
    } catch (error) {
      if (!(error instanceof BallastError)) throw error;
      warnings.push(noImpliedVolReason(option, t));
    }
  }
  try {
    const vol = option.markIvPercent / 100;
    const g = black76(option.kind, option.forwardUsd, option.strike, t, vol, option.rate);
    check.greeks = venueGreeksFromBlack76(g, option.forwardUsd, t);
    check.greeksOff = greeksOutsideTolerance(
      check.greeks,
      option,
      rhoAllowance(option, t, vol, check.greeks),
    );
  } catch (error) {
    if (!(error instanceof BallastError)) throw error;
    warnings.push(`greeks at mark_iv ${option.markIvPercent}% not computable: ${error.message}`);
  }
  if (warnings.length > 0) check.warning = warnings.join('; ');
  return check;
}

/**
 * The rho tolerance: printed rounding plus the largest move of our rho over the vol within
 * half of mark_iv's last digit and the time within `GREEK_CLOCK_SECONDS` (corners of that box:
 * rho is monotone in each over so small a range).
 */
function rhoAllowance(option: SnapshotOption, t: number, vol: number, at: VenueGreeks): number {
  const dt = GREEK_CLOCK_SECONDS / (MS_PER_YEAR / 1000);
  let widest = 0;
  for (const dv of [-MARK_IV_HALF_STEP, MARK_IV_HALF_STEP]) {
    for (const dT of [-dt, dt]) {
      if (!(t + dT > 0)) continue;
      const rho = venueGreeks(option.kind, option.forwardUsd, option.strike, t + dT, vol + dv, option.rate);
      widest = Math.max(widest, Math.abs(rho.rhoUsdPerRatePercent - at.rhoUsdPerRatePercent));
    }
  }
  return GREEK_TOLERANCE.printed + widest;
}

function greeksOutsideTolerance(ours: VenueGreeks, option: SnapshotOption, rhoTolerance: number): string[] {
  const venue = option.venueGreeks;
  const tol = GREEK_TOLERANCE;
  const off: string[] = [];
  if (!(Math.abs(ours.deltaPerCoin - venue.delta) <= tol.delta)) off.push('delta');
  if (!(Math.abs(ours.gammaPerUsd - venue.gamma) <= tol.gamma)) off.push('gamma');
  const vegaTol = Math.max(tol.vegaRelative * Math.abs(venue.vega), tol.printed);
  if (!(Math.abs(ours.vegaUsdPerVolPoint - venue.vega) <= vegaTol)) off.push('vega');
  if (!(Math.abs(ours.thetaUsdPerDay - venue.theta) <= tol.theta)) off.push('theta');
  if (!(Math.abs(ours.rhoUsdPerRatePercent - venue.rho) <= rhoTolerance)) off.push('rho');
  return off;
}

/** Discounted intrinsic value at the forward, USD: the lowest price with an implied vol. */
function intrinsicUsd(option: SnapshotOption, t: number): number {
  const payoff =
    option.kind === 'call' ? option.forwardUsd - option.strike : option.strike - option.forwardUsd;
  return Math.exp(-option.rate * t) * Math.max(payoff, 0);
}

function noImpliedVolReason(option: SnapshotOption, t: number): string {
  const markUsd = option.markCoin * option.forwardUsd;
  const intrinsic = intrinsicUsd(option, t);
  const where = markUsd <= intrinsic ? 'at or below' : 'outside the range above';
  return (
    `mark ${option.markCoin} BTC (${fixed(markUsd, 4)} USD at forward ${option.forwardUsd}) is ${where} ` +
    `intrinsic ${fixed(intrinsic, 4)} USD: no implied vol (venue shows ${option.markIvPercent}%)`
  );
}

function summarise(list: readonly OptionCheck[], label?: string): ExpiryCheck {
  const first = list[0];
  if (first === undefined) throw new Error('summarise: empty list');
  const forwardUsd = medianOrUndefined(list.map((c) => c.option.forwardUsd)) ?? first.option.forwardUsd;
  const compared = list.filter((c) => c.ivPinned && c.ivDiffVolPoints !== undefined);
  const diffs = compared.map((c) => Math.abs(c.ivDiffVolPoints ?? 0));
  let worst: OptionCheck | undefined;
  for (const c of compared) {
    if (worst === undefined || Math.abs(c.ivDiffVolPoints ?? 0) > Math.abs(worst.ivDiffVolPoints ?? 0))
      worst = c;
  }
  const days = medianOrUndefined(list.map((c) => c.yearsToExpiry * (MS_PER_YEAR / MS_PER_DAY))) ?? 0;
  return {
    label: label ?? expiryLabel(first.option),
    expiryMs: first.option.expiryMs,
    days,
    forwardUsd,
    atmVol: label === undefined ? atmVol(list, forwardUsd) : undefined,
    count: list.length,
    ivSolved: list.filter((c) => c.impliedVol !== undefined).length,
    ivCompared: compared.length,
    medianAbsIvDiffVolPoints: medianOrUndefined(diffs),
    worstAbsIvDiffVolPoints:
      worst?.ivDiffVolPoints === undefined ? undefined : Math.abs(worst.ivDiffVolPoints),
    worstInstrument: worst?.option.instrumentName,
    greeksAgree: list.filter((c) => c.greeks !== undefined && c.greeksOff.length === 0).length,
  };
}

/** Our vol of the out-of-the-money option at the strike nearest the forward. */
function atmVol(list: readonly OptionCheck[], forwardUsd: number): number | undefined {
  let best: OptionCheck | undefined;
  for (const c of list) {
    if (c.impliedVol === undefined) continue;
    const otm = c.option.kind === 'call' ? c.option.strike >= forwardUsd : c.option.strike < forwardUsd;
    if (!otm) continue;
    if (
      best === undefined ||
      Math.abs(c.option.strike - forwardUsd) < Math.abs(best.option.strike - forwardUsd)
    ) {
      best = c;
    }
  }
  return best?.impliedVol;
}

/** The expiry part of a Deribit name (`BTC-22MAY20-9250-P` -> `22MAY20`), else the ISO date. */
function expiryLabel(option: SnapshotOption): string {
  const part = option.instrumentName.split('-')[1];
  return part !== undefined && /^\d{1,2}[A-Z]{3}\d{2}$/.test(part)
    ? part
    : new Date(option.expiryMs).toISOString().slice(0, 10);
}

/** Timings of the two computations `start` reports, in nanoseconds per option. */
export interface ChainTimings {
  ivNsPerOption: number;
  greeksNsPerOption: number;
}

/**
 * Times our implied vol of the marks and the display greeks over the options that have an
 * implied vol, repeating the pass until at least `minMs` of work has run.
 */
export function timeChain(checks: readonly OptionCheck[], minMs = 100): ChainTimings {
  const solvable = checks
    .filter((c) => c.impliedVol !== undefined)
    .map((c) => ({ ...c.option, t: c.yearsToExpiry }));
  if (solvable.length === 0) return { ivNsPerOption: NaN, greeksNsPerOption: NaN };
  let sink = 0;
  const ivNs = repeatNs(minMs, solvable.length, () => {
    for (const o of solvable)
      sink += inverseOptionImpliedVol(o.kind, o.markCoin, o.forwardUsd, o.strike, o.t, o.rate);
  });
  const greeksNs = repeatNs(minMs, solvable.length, () => {
    for (const o of solvable) {
      sink += venueGreeks(o.kind, o.forwardUsd, o.strike, o.t, o.markIvPercent / 100, o.rate).thetaUsdPerDay;
    }
  });
  if (Number.isNaN(sink)) throw new Error('timeChain: NaN result');
  return { ivNsPerOption: ivNs, greeksNsPerOption: greeksNs };
}

function repeatNs(minMs: number, perPass: number, pass: () => void): number {
  pass(); // warm up
  let passes = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  const minNs = BigInt(Math.round(minMs * 1e6));
  while (elapsed < minNs) {
    pass();
    passes += 1;
    elapsed = process.hrtime.bigint() - start;
  }
  return Number(elapsed) / (passes * perPass);
}

/** The median, undefined (not NaN) for no values: the report's fields say "none" that way. */
function medianOrUndefined(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : median(values);
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}
