/**
 * The greeks section of a risk report: the book's greeks (`src/inventory/aggregate.ts`) on a
 * risk market, every key naming its unit. The market state behind them: each expiry's forward
 * from its options' lines (`underlying_price`, the median where lines differ) or its future's
 * mark, the perpetual's mark, and vols from the options' own mark implied vols at listed
 * strikes, the fitted surface elsewhere.
 */
import { aggregateGreeks, type GreekBucket, type Greeks } from '../inventory/aggregate.js';
import type { MarketState, UnderlyingMarket } from '../inventory/valuation.js';
import { InputError } from '../model/errors.js';
import type { VolSurface } from '../vol/surface.js';
import type { RiskMarket, RiskPosition } from './inputs.js';
import { median } from '../model/stats.js';

/** Greeks with their units in the keys (coin figures in the underlying's coin). */
export type UnitGreeks = Record<string, number>;

/** The market state of `market` for valuation (see the module comment). */
export function riskMarketState(market: RiskMarket, surfaces: ReadonlyMap<string, VolSurface>): MarketState {
  const underlyings: Record<string, UnderlyingMarket> = {};
  for (const [coin, indexUsd] of market.index) {
    const forwards = new Map<number, number[]>();
    const vols = new Map<string, number>();
    for (const q of market.options.values()) {
      if (!q.instrumentName.startsWith(`${coin}-`)) continue;
      const list = forwards.get(q.expiryMs) ?? [];
      list.push(q.forwardUsd);
      forwards.set(q.expiryMs, list);
      const iv = q.ivMark;
      if (iv !== null) vols.set(`${q.expiryMs}:${q.strike}`, iv);
    }
    const forward = new Map<number, number>();
    for (const [expiry, list] of forwards) forward.set(expiry, median(list));
    let perpetualUsd: number | undefined;
    for (const f of market.futures.values()) {
      if (f.parsed.base !== coin) continue;
      if (f.parsed.kind === 'perpetual') perpetualUsd = f.markPrice;
      else if (f.parsed.kind === 'future' && !forward.has(f.parsed.expiryMs))
        forward.set(f.parsed.expiryMs, f.markPrice);
    }
    const surface = surfaces.get(coin);
    underlyings[coin] = {
      indexUsd,
      forward: (expiryMs) => {
        const f = forward.get(expiryMs) ?? surface?.forward(expiryMs);
        if (f === undefined)
          throw new InputError(
            'market',
            `${coin} expiry ${new Date(expiryMs).toISOString()}`,
            'a forward (an option or future line of that expiry)',
          );
        return f;
      },
      vol: (strike, expiryMs) => {
        const v = vols.get(`${expiryMs}:${strike}`) ?? surface?.vol(strike, expiryMs);
        if (v === undefined)
          throw new InputError(
            'market',
            `${coin} ${strike} ${new Date(expiryMs).toISOString()}`,
            'a mark implied vol or a fitted surface',
          );
        return v;
      },
      ...(perpetualUsd === undefined ? {} : { perpetualUsd }),
    };
  }
  return { timeMs: market.timestampMs, underlyings };
}

/** The greeks section: the book in USD, then per underlying its total and buckets, in coin and USD. */
export function greeksSection(book: readonly RiskPosition[], state: MarketState): Record<string, unknown> {
  const greeks = aggregateGreeks(
    book.map((p) => ({ instrument: p.instrument, amount: p.amount })),
    state,
  );
  return {
    total_usd: named(greeks.totalUsd, 'usd'),
    by_underlying: greeks.byUnderlying.map((u) => ({
      underlying: u.coin,
      index_usd: u.indexUsd,
      total: bucket(u.total, u.coin),
      by_expiry: u.byExpiry.map((b) => bucket(b, u.coin)),
      by_strike: u.byStrike.map((b) => bucket(b, u.coin)),
      by_delta: u.byDelta.map((b) => bucket(b, u.coin)),
    })),
  };
}

function bucket(b: GreekBucket, coin: string): Record<string, unknown> {
  return { key: b.key, positions: b.positions, ...named(b.coin, coin.toLowerCase()), ...named(b.usd, 'usd') };
}

/** `delta_btc`, `vega_usd_per_vol_pt`, ... for one currency. */
function named(g: Greeks, ccy: string): UnitGreeks {
  return {
    [`value_${ccy}`]: g.value,
    [`delta_${ccy}`]: g.delta,
    [`black_delta_${ccy}`]: g.blackDelta,
    [`gamma_${ccy}_per_unit_move_sq`]: g.gamma,
    [`vega_${ccy}_per_vol_pt`]: g.vega,
    [`vega_weighted_${ccy}_per_vol_pt`]: g.timeWeightedVega,
    [`theta_${ccy}_per_day`]: g.theta,
    [`vanna_${ccy}_per_vol_pt`]: g.vanna,
    [`volga_${ccy}_per_vol_pt_sq`]: g.volga,
  };
}
