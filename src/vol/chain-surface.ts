/**
 * From a read chain to the fitted surface and the `ballast chain` report.
 *
 * - As-of time: the median of the lines' timestamps (a snapshot takes minutes); times to expiry
 *   of the surface count from it.
 * - Each expiry's forward: the median of its lines' `underlying_price` (the venue's own forward
 *   for the option, which moves a little while the snapshot is taken).
 * - The fit uses the quotes with both a bid and an ask implied vol (ours, from the prices), at
 *   k = ln(K / F_expiry), aiming for the mid and inside the spread (`calibrate-surface.ts`).
 */
import { MS_PER_YEAR } from '../model/time.js';
import { venueGreeks } from '../pricing/coin.js';
import {
  calibrateSurface,
  type SliceQuotes,
  type SurfaceFit,
  type SurfaceModel,
} from './calibrate-surface.js';
import { formatChainWarning, quotesByExpiry, type Chain, type ChainQuote } from './chain.js';
import { sviTotalVariance } from './svi.js';
import { butterflyBySlice, calendarBySlice } from './surface-checks.js';
import type { VolSurface } from './surface.js';
import { median } from '../model/stats.js';

/** The fitted surface of a chain with the inputs it was fitted to. */
export interface ChainFit extends SurfaceFit {
  asOfMs: number;
  inputs: SliceQuotes[];
}

/** The quotes of each expiry in the form the calibration takes. */
export function sliceQuotesOf(quotes: readonly ChainQuote[], asOfMs: number): SliceQuotes[] {
  const slices: SliceQuotes[] = [];
  for (const [expiryMs, list] of quotesByExpiry(quotes)) {
    const forward = median(list.map((q) => q.forwardUsd));
    const usable = list.filter((q) => q.ivBid !== null && q.ivAsk !== null && q.ivBid <= q.ivAsk);
    const n = usable.length;
    const k = new Float64Array(n);
    const mid = new Float64Array(n);
    const halfSpread = new Float64Array(n);
    usable.forEach((q, j) => {
      k[j] = Math.log(q.strike / forward);
      mid[j] = 0.5 * (q.ivBid! + q.ivAsk!);
      halfSpread[j] = 0.5 * (q.ivAsk! - q.ivBid!);
    });
    slices.push({ expiryMs, yearsToExpiry: (expiryMs - asOfMs) / MS_PER_YEAR, forward, k, mid, halfSpread });
  }
  return slices.filter((s) => s.k.length > 0 && s.yearsToExpiry > 0);
}

/** Fits the surface of a chain; `previous` (an earlier fit) is the starting point of a refit. */
export function fitChain(
  quotes: readonly ChainQuote[],
  options: { previous?: VolSurface; model?: SurfaceModel } = {},
): ChainFit {
  const asOfMs = Math.round(median(quotes.map((q) => q.timestampMs)));
  const inputs = sliceQuotesOf(quotes, asOfMs);
  const fit = calibrateSurface(asOfMs, inputs, options);
  return { ...fit, asOfMs, inputs };
}

/** One option of the report: vols as decimals, greeks at `iv_mark` in the venue's units. */
export interface ChainInstrumentReport {
  instrument_name: string;
  iv_mark: number | null;
  iv_bid: number | null;
  iv_ask: number | null;
  iv_fit: number | null;
  delta: number | null;
  gamma: number | null;
  vega: number | null;
  theta: number | null;
}

export interface ChainExpiryReport {
  expiry: string;
  forward: number;
  atm_vol: number;
  svi: { a: number; b: number; rho: number; m: number; sigma: number };
  rmse_vol_pts: number;
  within_spread_share: number;
  butterfly_free: boolean;
  calendar_free: boolean;
  years_to_expiry: number;
  /** The eSSVI parameters, with `--model essvi`. */
  essvi?: { theta: number; rho: number; psi: number };
  quotes_fitted: number;
}

export interface ChainReport {
  as_of: string;
  model: SurfaceModel;
  instruments: ChainInstrumentReport[];
  expiries: ChainExpiryReport[];
  warnings: string[];
}

/** The `ballast chain --json` object. */
export function chainReport(chain: Chain, fit: ChainFit): ChainReport {
  const surface = fit.surface;
  const instruments = chain.quotes.map((q): ChainInstrumentReport => {
    const greeks =
      q.ivMark === null
        ? null
        : venueGreeks(q.kind, q.forwardUsd, q.strike, q.yearsToExpiry, q.ivMark, q.rate);
    const fitted = surface.yearsTo(q.expiryMs) > 0 ? surface.vol(q.strike, q.expiryMs) : null;
    return {
      instrument_name: q.instrumentName,
      iv_mark: q.ivMark,
      iv_bid: q.ivBid,
      iv_ask: q.ivAsk,
      iv_fit: fitted,
      delta: greeks?.deltaPerCoin ?? null,
      gamma: greeks?.gammaPerUsd ?? null,
      vega: greeks?.vegaUsdPerVolPoint ?? null,
      theta: greeks?.thetaUsdPerDay ?? null,
    };
  });
  const calendar = calendarBySlice(surface);
  const butterfly = butterflyBySlice(surface);
  const expiries = surface.slices.map((slice, i): ChainExpiryReport => {
    const sliceFit = fit.slices.find((f) => f.expiryMs === slice.expiryMs)!;
    const input = fit.inputs.find((s) => s.expiryMs === slice.expiryMs)!;
    return {
      expiry: new Date(slice.expiryMs).toISOString(),
      forward: slice.forward,
      atm_vol: Math.sqrt(sviTotalVariance(slice.svi, 0) / slice.yearsToExpiry),
      svi: { ...slice.svi },
      rmse_vol_pts: sliceFit.rmseVolPts,
      within_spread_share: sliceFit.withinSpreadShare,
      butterfly_free: butterfly[i]!.free,
      calendar_free: calendar[i]!,
      years_to_expiry: slice.yearsToExpiry,
      ...(sliceFit.essvi ? { essvi: { ...sliceFit.essvi } } : {}),
      quotes_fitted: input.k.length,
    };
  });
  return {
    as_of: new Date(fit.asOfMs).toISOString(),
    model: fit.model,
    instruments,
    expiries,
    warnings: chain.warnings.map(formatChainWarning),
  };
}
