/** Hand-built markets for the margin tests: option quotes priced at a chosen vol, futures lines. */
import { parseInstrumentName } from '../../../src/model/instrument-name.js';
import { MS_PER_YEAR } from '../../../src/model/time.js';
import { black76Price } from '../../../src/pricing/black76.js';
import type { OptionKind } from '../../../src/pricing/types.js';
import type { FutureMark, RiskMarket, RiskPosition } from '../../../src/risk/inputs.js';
import type { ChainQuote } from '../../../src/vol/chain.js';

export interface OptionSpec {
  name: string;
  forward: number;
  vol: number;
  rate?: number;
}

/** An option quote whose mark is the Black-76 price at `vol` (so its mark implied vol is `vol`). */
export function quote(spec: OptionSpec, nowMs: number, line: number): ChainQuote {
  const parsed = parseInstrumentName(spec.name);
  if (parsed.kind !== 'option') throw new Error(`not an option: ${spec.name}`);
  const kind: OptionKind = parsed.optionType;
  const years = (parsed.expiryMs - nowMs) / MS_PER_YEAR;
  const rate = spec.rate ?? 0;
  const markCoin = black76Price(kind, spec.forward, parsed.strike, years, spec.vol, rate) / spec.forward;
  return {
    instrumentName: spec.name,
    kind,
    strike: parsed.strike,
    expiryMs: parsed.expiryMs,
    timestampMs: nowMs,
    yearsToExpiry: years,
    forwardUsd: spec.forward,
    underlyingIndex: null,
    indexUsd: spec.forward,
    rate,
    markCoin,
    bidCoin: null,
    askCoin: null,
    bidAmount: 0,
    askAmount: 0,
    venueMarkIv: spec.vol,
    venueBidIv: null,
    venueAskIv: null,
    venueGreeks: null,
    ivMark: spec.vol,
    ivBid: null,
    ivAsk: null,
    line,
  };
}

export interface FutureSpec {
  name: string;
  mark: number;
  index: number;
}

/** A market of the given options and futures at `nowMs`, index by coin. */
export function market(
  nowMs: number,
  index: Record<string, number>,
  options: OptionSpec[] = [],
  futures: FutureSpec[] = [],
): RiskMarket {
  const quotes = options.map((o, i) => quote(o, nowMs, i + 1));
  const marks: FutureMark[] = futures.map((f, i) => ({
    instrument: f.name,
    parsed: parseInstrumentName(f.name),
    markPrice: f.mark,
    indexPrice: f.index,
    timestampMs: nowMs,
    line: options.length + i + 1,
  }));
  return {
    options: new Map(quotes.map((q) => [q.instrumentName, q])),
    futures: new Map(marks.map((m) => [m.instrument, m])),
    index: new Map(Object.entries(index)),
    timestampMs: nowMs,
    warnings: [],
  };
}

/** A book from `[name, amount]` pairs, line numbers from 1. */
export function book(...positions: [string, number][]): RiskPosition[] {
  return positions.map(([instrument, amount], i) => ({
    instrument,
    parsed: parseInstrumentName(instrument),
    amount,
    line: i + 1,
  }));
}
