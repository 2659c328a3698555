/**
 * The expiry report: positions expiring within a horizon (24 hours by default) of the market
 * time, pin risk (options of the book struck within a band of their forward near expiry, with
 * their gamma), and the delta of each expiring option through the venue's settlement averaging.
 *
 * Settlement averaging. Deribit settles its options and futures at 08:00 UTC at a delivery price
 * that is the time-weighted average of its index over the last 30 minutes before expiry (Deribit,
 * "Expiration Price", https://www.deribit.com/docs/expiration-price/; Deribit support, "Prices of
 * Virtual Assets", "Expiry Price": the index is sampled every few seconds, the delivery price is
 * the average of those samples over the last 30 minutes). As the window proceeds a growing fraction of the delivery price is fixed, and the
 * option's sensitivity to the index now falls with it. Model (documented, an approximation):
 *
 *   phi = fraction of the window elapsed, in [0, 1] (0 before 07:30 UTC, 1 at 08:00);
 *   D   = phi A + (1 - phi) B, A the average fixed so far, B the average of the rest;
 *   B   ~ S (1 + sigma X), X normal with variance tau0 + tau / 3, where tau0 is the time (years)
 *         until the window opens and tau the part of the window still to come (the mean of a
 *         Brownian path over tau has variance tau / 3);
 *   so D ~ Normal(mu, s^2): mu = phi A + (1 - phi) S, s = (1 - phi) S sigma sqrt(tau0 + tau / 3).
 *
 * Over minutes to hours a normal (Bachelier) D is close to the lognormal one. The option's value
 * E[(D - K)+] = (mu - K) N(z) + s n(z), z = (mu - K) / s, gives the delta in the index now
 *
 *   call: (1 - phi) N(z) + n(z) s / S,   put: -(1 - phi) N(-z) + n(z) s / S,
 *
 * (the second term because s scales with S; it is small in the window). The effective delta is
 * the unsettled fraction (1 - phi) times the chance the average ends in the money: deep in the
 * money it decays linearly from 1 to 0 over the 30 minutes, at 08:00 it is 0, and call minus
 * put is exactly 1 - phi. Deltas are per contract (coin of underlying), not premium-adjusted.
 */
import { InputError } from '../model/errors.js';
import { MS_PER_YEAR } from '../model/time.js';
import { black76 } from '../pricing/black76.js';
import { normCdf, normPdf } from '../pricing/normal.js';
import type { OptionKind } from '../pricing/types.js';
import type { RiskMarket, RiskPosition } from './inputs.js';

/** The length of Deribit's delivery-price averaging window. */
export const SETTLEMENT_WINDOW_MS = 30 * 60 * 1000;

const MS_PER_HOUR = 3600 * 1000;

/** Inputs of the settlement-averaging delta. */
export interface SettlementDeltaInput {
  kind: OptionKind;
  strike: number;
  /** The index now, USD. */
  spotUsd: number;
  /** Decimal (0.8 = 80%). */
  vol: number;
  expiryMs: number;
  nowMs: number;
  /** The average of the index over the elapsed part of the window; required inside the window. */
  fixedAverageUsd?: number;
}

/** The settlement-averaging delta and what it is made of. */
export interface SettlementDelta {
  /** Fraction of the averaging window elapsed (phi). */
  settledFraction: number;
  /** Expected delivery price mu, USD. */
  deliveryMeanUsd: number;
  /** Its standard deviation s, USD. */
  deliveryStdUsd: number;
  /** Delta per contract in the index now. */
  delta: number;
}

function positive(field: string, v: unknown): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v))
    throw new InputError(field, v, 'a positive finite number');
  return v;
}

/** The delta through the averaging window (see the module comment). */
export function settlementDelta(input: SettlementDeltaInput): SettlementDelta {
  const { kind } = input;
  if (kind !== 'call' && kind !== 'put') throw new InputError('kind', kind, '"call" or "put"');
  const strike = positive('strike', input.strike);
  const spot = positive('spotUsd', input.spotUsd);
  const vol = positive('vol', input.vol);
  for (const field of ['expiryMs', 'nowMs'] as const) {
    if (typeof input[field] !== 'number' || !Number.isFinite(input[field]))
      throw new InputError(field, input[field], 'ms since the epoch');
  }
  const { expiryMs, nowMs } = input;
  const windowStart = expiryMs - SETTLEMENT_WINDOW_MS;
  const phi = Math.min(1, Math.max(0, (nowMs - windowStart) / SETTLEMENT_WINDOW_MS));
  if (phi >= 1) {
    // Settled: nothing moves the delivery price any more.
    const settled =
      input.fixedAverageUsd === undefined ? spot : positive('fixedAverageUsd', input.fixedAverageUsd);
    return { settledFraction: 1, deliveryMeanUsd: settled, deliveryStdUsd: 0, delta: 0 };
  }
  const fixed = phi > 0 ? positive('fixedAverageUsd', input.fixedAverageUsd) : spot;
  const mu = phi * fixed + (1 - phi) * spot;
  const tau0 = Math.max(0, windowStart - nowMs) / MS_PER_YEAR;
  const tau = (expiryMs - Math.max(nowMs, windowStart)) / MS_PER_YEAR;
  const s = (1 - phi) * spot * vol * Math.sqrt(tau0 + tau / 3);
  const z = (mu - strike) / s;
  const scale = normPdf(z) * (s / spot);
  const delta = kind === 'call' ? (1 - phi) * normCdf(z) + scale : -(1 - phi) * normCdf(-z) + scale;
  return { settledFraction: phi, deliveryMeanUsd: mu, deliveryStdUsd: s, delta };
}

/** One point of a delta path through the window. */
export interface SettlementPathPoint {
  minutesBeforeExpiry: number;
  settledFraction: number;
  delta: number;
}

/**
 * The delta through the window with the index held at `spotUsd` (so the fixed average is the
 * spot too), every `stepMinutes` (default 5) from 07:30 to 08:00.
 */
export function settlementDeltaPath(
  option: Pick<SettlementDeltaInput, 'kind' | 'strike' | 'spotUsd' | 'vol'>,
  stepMinutes = 5,
): SettlementPathPoint[] {
  if (!(stepMinutes > 0) || !(stepMinutes <= 30))
    throw new InputError('stepMinutes', stepMinutes, 'a number of minutes in (0, 30]');
  const expiryMs = 0;
  const points: SettlementPathPoint[] = [];
  for (let m = 30; m > -1e-9; m -= stepMinutes) {
    const minutes = Math.max(0, m);
    const d = settlementDelta({
      ...option,
      expiryMs,
      nowMs: expiryMs - minutes * 60_000,
      fixedAverageUsd: option.spotUsd,
    });
    points.push({ minutesBeforeExpiry: minutes, settledFraction: d.settledFraction, delta: d.delta });
  }
  if (points[points.length - 1]!.minutesBeforeExpiry !== 0) {
    points.push({ minutesBeforeExpiry: 0, settledFraction: 1, delta: 0 });
  }
  return points;
}

/** A position expiring within the horizon. */
export interface ExpiringPosition {
  instrument: string;
  kind: 'option' | 'future';
  /** Signed, in the venue's unit. */
  amount: number;
  expiryMs: number;
  hoursToExpiry: number;
}

/** An option of the book struck near its forward close to expiry. */
export interface PinRisk {
  instrument: string;
  amount: number;
  strike: number;
  forwardUsd: number;
  /** strike / forward - 1. */
  distance: number;
  hoursToExpiry: number;
  /** Black-76 gamma per contract (per USD, the venue's unit) at the mark's implied vol. */
  gamma: number;
  /** amount x gamma: coin of delta per USD of move. */
  positionGamma: number;
  /** amount x gamma x F^2 x 0.01: USD of delta per 1% move. */
  gammaUsdPer1Pct: number;
  vol: number;
}

/** An expiring option's delta through the settlement averaging. */
export interface SettlementRisk {
  instrument: string;
  amount: number;
  /** Per contract, at the market time (see the module comment). */
  deltaNow: number;
  settledFraction: number;
  /** The position's delta (amount x per-contract delta) through the window, the index held at the forward. */
  path: SettlementPathPoint[];
}

/** The expiry report. */
export interface ExpiryReport {
  asOfMs: number;
  horizonHours: number;
  pinBand: number;
  expiring: ExpiringPosition[];
  pins: PinRisk[];
  settlement: SettlementRisk[];
  /** Assumptions and options left out, in words. */
  notes: string[];
}

/** Options of the expiry report. */
export interface ExpiryReportOptions {
  /** Default 24. */
  horizonHours?: number;
  /** |strike / forward - 1| within which an option is a pin risk; default 0.01. */
  pinBand?: number;
  /** The index average fixed so far by coin, when the market time is inside the window. */
  fixedAverageUsd?: Readonly<Record<string, number>>;
}

/** Builds the expiry report for a book on a market (positions need their market lines). */
export function expiryReport(
  book: readonly RiskPosition[],
  market: RiskMarket,
  options: ExpiryReportOptions = {},
): ExpiryReport {
  const horizonHours = options.horizonHours ?? 24;
  const pinBand = options.pinBand ?? 0.01;
  if (!(horizonHours > 0) || !Number.isFinite(horizonHours))
    throw new InputError('horizonHours', horizonHours, 'a positive number of hours');
  if (!(pinBand >= 0) || !(pinBand < 1)) throw new InputError('pinBand', pinBand, 'a fraction in [0, 1)');
  const now = market.timestampMs;
  const expiring: ExpiringPosition[] = [];
  const pins: PinRisk[] = [];
  const settlement: SettlementRisk[] = [];
  const notes: string[] = [];
  for (const p of book) {
    const parsed = p.parsed;
    if (parsed.kind !== 'option' && parsed.kind !== 'future') continue;
    const expiryMs = parsed.expiryMs;
    if (!(expiryMs > now && expiryMs - now <= horizonHours * MS_PER_HOUR)) continue;
    const hoursToExpiry = (expiryMs - now) / MS_PER_HOUR;
    expiring.push({ instrument: p.instrument, kind: parsed.kind, amount: p.amount, expiryMs, hoursToExpiry });
    if (parsed.kind !== 'option') continue;
    const q = market.options.get(p.instrument);
    if (q === undefined) {
      notes.push(`${p.instrument}: no market line, left out of pin and settlement risk`);
      continue;
    }
    const vol = q.ivMark ?? (q.venueMarkIv > 0 ? q.venueMarkIv : null);
    if (vol === null) {
      notes.push(`${p.instrument}: no implied vol of the mark, left out of pin and settlement risk`);
      continue;
    }
    const distance = q.strike / q.forwardUsd - 1;
    if (Math.abs(distance) <= pinBand) {
      const gamma = black76(q.kind, q.forwardUsd, q.strike, q.yearsToExpiry, vol, q.rate).gamma;
      pins.push({
        instrument: p.instrument,
        amount: p.amount,
        strike: q.strike,
        forwardUsd: q.forwardUsd,
        distance,
        hoursToExpiry,
        gamma,
        positionGamma: p.amount * gamma,
        gammaUsdPer1Pct: p.amount * gamma * q.forwardUsd * q.forwardUsd * 0.01,
        vol,
      });
    }
    const coin = parsed.base;
    const fixed = options.fixedAverageUsd?.[coin];
    const inWindow = now > expiryMs - SETTLEMENT_WINDOW_MS;
    if (inWindow && fixed === undefined) {
      notes.push(`${coin}: inside the averaging window without a fixed average: the current index is used`);
    }
    const spot = market.index.get(coin) ?? q.indexUsd;
    const d = settlementDelta({
      kind: q.kind,
      strike: q.strike,
      spotUsd: spot,
      vol,
      expiryMs,
      nowMs: now,
      fixedAverageUsd: fixed ?? spot,
    });
    settlement.push({
      instrument: p.instrument,
      amount: p.amount,
      deltaNow: d.delta,
      settledFraction: d.settledFraction,
      path: settlementDeltaPath({ kind: q.kind, strike: q.strike, spotUsd: q.forwardUsd, vol }).map((pt) => ({
        ...pt,
        delta: p.amount * pt.delta,
      })),
    });
  }
  expiring.sort((a, b) => a.expiryMs - b.expiryMs || a.instrument.localeCompare(b.instrument));
  pins.sort((a, b) => Math.abs(a.distance) - Math.abs(b.distance));
  return { asOfMs: now, horizonHours, pinBand, expiring, pins, settlement, notes: [...new Set(notes)] };
}
