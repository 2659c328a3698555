/**
 * A book's risk at the venue's marks, from positions and the latest tickers: per-unit greeks,
 * the breakdown by position and expiry, the spot x vol stress grid and the venue-style portfolio
 * margin. One computation for an engine's book (`EngineCore`) and the firm's (the aggregator,
 * `src/bus/nats/aggregator.ts`), so the two views agree by construction.
 *
 * Conventions (as the engine's state): delta in coin (options: Black-76 at the mark vol and the
 * ticker's forward, premium-adjusted, `delta - price / forward`; inverse perpetuals and futures,
 * whose amounts are USD: `1 / index` coin per USD), gamma per USD, vega in USD per vol point,
 * theta in USD per day. Stress: options repriced by Black-76 with the forward moved with spot and
 * an absolute vol shift (floored at 1%), inverse perpetuals and futures gaining `N (S'/S - 1)` USD.
 */
import { formatExpiryCode } from '../model/expiry-code.js';
import { parseInstrumentName, type ParsedInstrumentName } from '../model/instrument-name.js';
import { MS_PER_YEAR } from '../model/time.js';
import { black76 } from '../pricing/black76.js';
import type { TickerEvent } from '../market/events.js';
import type { FutureMark, RiskMarket, RiskPosition } from '../risk/inputs.js';
import { portfolioMargin } from '../risk/margin/portfolio-margin.js';
import type { ChainQuote } from '../vol/chain.js';
import type { EngineDetails, EngineState } from './types.js';

export interface UnitGreeks {
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
}

/** A book as marked: positions (venue amounts), the latest ticker per instrument, the index. */
export interface MarkedBook {
  positions: readonly { instrument: string; amount: number }[];
  tickers: ReadonlyMap<string, TickerEvent>;
  /** USD per coin of the book's currency (NaN: none yet). */
  index: number;
  /** The book's coin (`BTC`). */
  currency: string;
  nowMs: number;
}

export const STRESS_SPOT = [-0.2, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2];
export const STRESS_VOL = [-0.1, -0.05, 0, 0.05, 0.1];

/** An option's greeks per contract at its ticker; undefined without a forward, a mark vol or time left. */
export function optionUnitGreeks(
  name: { strike: number; expiryMs: number; optionType: 'call' | 'put' },
  ticker: TickerEvent | undefined,
  nowMs: number,
): UnitGreeks | undefined {
  const forward = ticker?.underlyingPrice;
  const iv = ticker?.markIv;
  const years = (name.expiryMs - nowMs) / MS_PER_YEAR;
  if (forward === undefined || iv === undefined || !(years > 0) || !(iv > 0)) return undefined;
  const g = black76(name.optionType, forward, name.strike, years, iv / 100, 0);
  return { delta: g.delta - g.price / forward, gamma: g.gamma, vega: g.vega / 100, theta: g.theta / 365 };
}

/** Any instrument's greeks per unit of amount (options per contract; inverse perpetuals and futures per USD). */
export function unitGreeks(
  name: ParsedInstrumentName,
  ticker: TickerEvent | undefined,
  index: number,
  nowMs: number,
): UnitGreeks | undefined {
  if (name.kind === 'option') return optionUnitGreeks(name, ticker, nowMs);
  if ((name.kind === 'perpetual' || name.kind === 'future') && index > 0)
    return { delta: 1 / index, gamma: 0, vega: 0, theta: 0 };
  return undefined;
}

/** The market as the risk code reads it, from the tickers (venue marks and implied vols). */
export function riskMarketOf(
  tickers: Iterable<TickerEvent>,
  index: number,
  currency: string,
  nowMs: number,
): RiskMarket {
  const options = new Map<string, ChainQuote>();
  const futures = new Map<string, FutureMark>();
  for (const t of tickers) {
    let parsed: ParsedInstrumentName;
    try {
      parsed = parseInstrumentName(t.instrument);
    } catch {
      continue;
    }
    if (parsed.kind === 'option') {
      if (t.markPrice === undefined || t.underlyingPrice === undefined || t.markIv === undefined) continue;
      const iv = t.markIv / 100;
      options.set(t.instrument, {
        instrumentName: t.instrument,
        kind: parsed.optionType,
        strike: parsed.strike,
        expiryMs: parsed.expiryMs,
        timestampMs: t.timestampMs,
        yearsToExpiry: (parsed.expiryMs - t.timestampMs) / MS_PER_YEAR,
        forwardUsd: t.underlyingPrice,
        underlyingIndex: t.underlyingIndex ?? null,
        indexUsd: t.indexPrice ?? index,
        rate: 0,
        markCoin: t.markPrice,
        bidCoin: t.bidPrice ?? null,
        askCoin: t.askPrice ?? null,
        bidAmount: t.bidAmount ?? 0,
        askAmount: t.askAmount ?? 0,
        venueMarkIv: iv,
        venueBidIv: t.bidIv === undefined ? null : t.bidIv / 100,
        venueAskIv: t.askIv === undefined ? null : t.askIv / 100,
        venueGreeks: null,
        ivMark: iv,
        ivBid: t.bidIv === undefined ? null : t.bidIv / 100,
        ivAsk: t.askIv === undefined ? null : t.askIv / 100,
        line: 0,
      });
    } else if ((parsed.kind === 'future' || parsed.kind === 'perpetual') && t.markPrice !== undefined) {
      futures.set(t.instrument, {
        instrument: t.instrument,
        parsed,
        markPrice: t.markPrice,
        indexPrice: t.indexPrice ?? index,
        timestampMs: t.timestampMs,
        line: 0,
      });
    }
  }
  const indexes = new Map<string, number>();
  if (Number.isFinite(index)) indexes.set(currency, index);
  return { options, futures, index: indexes, timestampMs: nowMs, warnings: [] };
}

/**
 * The venue-style portfolio margin of the book's positions in its currency, with the worst
 * scenario; null when there are none, no index yet, or a position has no mark (the margin code
 * refuses it).
 */
export function bookMargin(book: MarkedBook): Exclude<EngineState['margin'], null> | null {
  const positions: RiskPosition[] = [];
  for (const [i, p] of book.positions.entries()) {
    let parsed: ParsedInstrumentName;
    try {
      parsed = parseInstrumentName(p.instrument);
    } catch {
      continue;
    }
    if (parsed.base === book.currency && p.amount !== 0)
      positions.push({ instrument: p.instrument, parsed, amount: p.amount, line: i + 1 });
  }
  if (positions.length === 0 || !Number.isFinite(book.index)) return null;
  try {
    const m = portfolioMargin(
      positions,
      riskMarketOf(book.tickers.values(), book.index, book.currency, book.nowMs),
      { coin: book.currency },
    );
    return {
      initial_coin: m.initialMarginCoin,
      initial_usd: m.initialMarginUsd,
      maintenance_coin: m.maintenanceMarginCoin,
      maintenance_usd: m.maintenanceMarginUsd,
      worst_case_coin: m.worstCaseCoin,
      worst_scenario: m.worstScenario?.name ?? null,
    };
  } catch {
    return null;
  }
}

/**
 * `bookMargin` at most once per `everyMs` of book time (it revalues the book under every
 * scenario): within that, the last figure stands. `invalidate` asks for a fresh one.
 */
export class ThrottledMargin {
  private atMs = Number.NaN;
  private value: ReturnType<typeof bookMargin> = null;

  constructor(private readonly everyMs = 1000) {}

  get(nowMs: number, book: () => MarkedBook): ReturnType<typeof bookMargin> {
    if (nowMs - this.atMs < this.everyMs) return this.value;
    this.atMs = nowMs;
    this.value = bookMargin(book());
    return this.value;
  }

  invalidate(): void {
    this.atMs = Number.NaN;
  }
}

/** The greeks by position and by expiry, and the spot x vol stress grid (USD). */
export function bookBreakdown(
  book: MarkedBook,
): Pick<EngineDetails, 'greeks_by_expiry' | 'greeks_by_position' | 'stress'> {
  const { index, nowMs } = book;
  const byExpiry = new Map<number, EngineDetails['greeks_by_expiry'][number]>();
  const byPosition: EngineDetails['greeks_by_position'] = [];
  const legs: {
    kind: 'call' | 'put';
    amount: number;
    forward: number;
    strike: number;
    years: number;
    iv: number;
    usd: number;
  }[] = [];
  let perpUsd = 0;
  for (const { instrument, amount } of book.positions) {
    let name: ParsedInstrumentName;
    try {
      name = parseInstrumentName(instrument);
    } catch {
      continue;
    }
    const t = book.tickers.get(instrument);
    if (name.kind === 'option') {
      const g = optionUnitGreeks(name, t, nowMs);
      const value = (t?.markPrice ?? 0) * index * amount;
      byPosition.push({
        instrument,
        expiry: formatExpiryCode(name.expiryMs),
        strike: name.strike,
        amount,
        delta: (g?.delta ?? 0) * amount,
        gamma: (g?.gamma ?? 0) * amount,
        vega: (g?.vega ?? 0) * amount,
        theta: (g?.theta ?? 0) * amount,
        value_usd: Number.isFinite(value) ? value : 0,
      });
      let e = byExpiry.get(name.expiryMs);
      if (e === undefined) {
        e = {
          expiry: formatExpiryCode(name.expiryMs),
          expiry_ms: name.expiryMs,
          delta: 0,
          delta_usd: 0,
          gamma: 0,
          vega: 0,
          theta: 0,
        };
        byExpiry.set(name.expiryMs, e);
      }
      if (g !== undefined) {
        e.delta += g.delta * amount;
        e.delta_usd += g.delta * amount * index;
        e.gamma += g.gamma * amount;
        e.vega += g.vega * amount;
        e.theta += g.theta * amount;
      }
      const years = (name.expiryMs - nowMs) / MS_PER_YEAR;
      if (t?.underlyingPrice !== undefined && t.markIv !== undefined && years > 0)
        legs.push({
          kind: name.optionType,
          amount,
          forward: t.underlyingPrice,
          strike: name.strike,
          years,
          iv: t.markIv / 100,
          usd: 0,
        });
    } else {
      perpUsd += amount;
      byPosition.push({
        instrument,
        expiry: null,
        strike: null,
        amount,
        delta: Number.isFinite(index) ? amount / index : 0,
        gamma: 0,
        vega: 0,
        theta: 0,
        value_usd: 0,
      });
    }
  }
  let stress: EngineDetails['stress'] = null;
  if (Number.isFinite(index) && byPosition.length > 0) {
    for (const leg of legs) leg.usd = black76(leg.kind, leg.forward, leg.strike, leg.years, leg.iv, 0).price;
    const pnl = STRESS_VOL.map((dv) =>
      STRESS_SPOT.map((ds) => {
        let total = perpUsd * ds; // an inverse perpetual of N USD gains N (S'/S - 1) USD
        for (const leg of legs) {
          const v = black76(
            leg.kind,
            leg.forward * (1 + ds),
            leg.strike,
            leg.years,
            Math.max(leg.iv + dv, 0.01),
            0,
          ).price;
          total += leg.amount * (v - leg.usd);
        }
        return total;
      }),
    );
    stress = { spot_moves: STRESS_SPOT, vol_shifts: STRESS_VOL, pnl_usd: pnl };
  }
  return {
    greeks_by_expiry: [...byExpiry.values()].sort((a, b) => a.expiry_ms - b.expiry_ms),
    greeks_by_position: byPosition,
    stress,
  };
}
