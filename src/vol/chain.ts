/**
 * The option-chain reader: a Deribit option-chain snapshot, one `public/ticker`-shaped JSON
 * object per line (as `data/deribit/btc-options-2020-05-21.jsonl`; fields in
 * `data/deribit/README.md`), to quotes in explicit units with our own implied vols, and one
 * warning per line that could not be used as it stands.
 *
 * Units: premiums in coin per contract (one contract = one coin of underlying), as the venue
 * quotes inverse options; forwards and index in USD per coin; vols as decimals (0.8505), the
 * venue's percent divided by 100; time in 365-day years from the line's own `timestamp` (the
 * lines of a snapshot are taken over minutes, and the venue prices each at its own time).
 *
 * Implied vols are the venue's way (`inverseOptionImpliedVol`, Deribit "Inverse Options",
 * `public/ticker`): Black-76 vol of `price × underlying_price` at forward `underlying_price`,
 * rate `interest_rate`. A price at or below the discounted intrinsic value, or at or above the
 * most the option can be worth, has none: null, and the line's warning says which and why.
 *
 * A chain is one underlying (the first option's coin): arbitrage and parity compare options
 * of one expiry, which only makes sense for one coin.
 */
import { BallastError, InputError } from '../model/errors.js';
import {
  finiteField,
  nonBlankNumberedLines,
  nonNegativeField,
  parseJsonObject,
  positiveField,
  type JsonObject,
  type LineSource,
} from '../model/json-lines.js';
import { parseInstrumentName } from '../model/instrument-name.js';
import { MS_PER_YEAR } from '../model/time.js';
import { inverseOptionImpliedVol } from '../pricing/coin.js';
import type { OptionKind } from '../pricing/types.js';

/** The venue's greeks as it prints them (see DOMAIN.md, "Greeks as the venue shows them"). */
export interface ChainGreeks {
  /** Black delta per coin of underlying, not premium-adjusted. */
  delta: number;
  /** Per USD of underlying. */
  gamma: number;
  /** USD per 1 vol point. */
  vega: number;
  /** USD per day (365-day year). */
  theta: number;
  /** USD per 1% of rate, spot held. */
  rho: number;
}

/** One option of the chain. */
export interface ChainQuote {
  instrumentName: string;
  kind: OptionKind;
  strike: number;
  expiryMs: number;
  /** The line's `timestamp`: when the venue priced it. */
  timestampMs: number;
  /** (expiryMs - timestampMs) in 365-day years. */
  yearsToExpiry: number;
  /** `underlying_price`: the forward the venue prices this option off, USD per coin. */
  forwardUsd: number;
  /** `underlying_index`: the future (`BTC-26JUN20`) or synthetic (`SYN.BTC-22MAY20`) behind the forward. */
  underlyingIndex: string | null;
  /** `index_price`: spot index, USD per coin. */
  indexUsd: number;
  /** `interest_rate`, per year (0 in practice). */
  rate: number;
  /** `mark_price`, coin per contract. */
  markCoin: number;
  /** Best bid and ask, coin per contract; null where the side has no order. */
  bidCoin: number | null;
  askCoin: number | null;
  /** Contracts at the best bid and ask (0 where the side has none). */
  bidAmount: number;
  askAmount: number;
  /** The venue's `mark_iv`, `bid_iv`, `ask_iv` as decimals; null where the venue gives none (see `readOptionTicker`). */
  venueMarkIv: number;
  venueBidIv: number | null;
  venueAskIv: number | null;
  /** The venue's greeks, null where the line has none. */
  venueGreeks: ChainGreeks | null;
  /** Our Black-76 implied vols (decimals) of mark, bid and ask; null where the price has none. */
  ivMark: number | null;
  ivBid: number | null;
  ivAsk: number | null;
  /** Physical line number in the input (1-based). */
  line: number;
}

/** What the venue says of one option: a `ChainQuote` before our implied vols. */
export type OptionTicker = Omit<ChainQuote, 'ivMark' | 'ivBid' | 'ivAsk' | 'line'>;

/** One line that could not be used as it stands; `instrument` is null when the name is unreadable. */
export interface ChainWarning {
  line: number;
  instrument: string | null;
  message: string;
}

/** A chain read: the usable options (by expiry, strike, call before put) and the warnings (by line). */
export interface Chain {
  quotes: ChainQuote[];
  warnings: ChainWarning[];
}

/** The `ask_iv` the venue writes where an ask's vol is beyond its cap (500%, as in the 2020 snapshot). */
const VENUE_IV_CAP_PERCENT = 500;

/**
 * Reads a chain from the file's text or its lines (a readline interface, an array, any async
 * iterable). Never throws for bad data: each line that cannot be used gives one warning naming
 * the instrument (or, when the name is unreadable, just the line; a malformed JSON line names
 * the instrument when its `"instrument_name": "..."` can still be read) and the rest is read:
 * malformed JSON, a name that is not an inverse option, a field missing or out of range (a
 * missing or non-positive `underlying_price` among them), an expired option, an option of
 * another coin. Kept with a warning: a crossed quote (bid above ask; neither side gets an
 * implied vol) and prices without implied vol. An instrument on several lines: the line with
 * the latest timestamp is kept (the later line on a tie), each other gives a warning.
 */
export async function readChain(source: LineSource): Promise<Chain> {
  const kept = new Map<string, { quote: ChainQuote; notes: string[] }>();
  const warnings: ChainWarning[] = [];
  let coin: string | undefined;
  for await (const { lineNumber, text } of nonBlankNumberedLines(source)) {
    let object: JsonObject;
    try {
      object = parseJsonObject(text);
    } catch (error) {
      if (!(error instanceof BallastError)) throw error;
      warnings.push({ line: lineNumber, instrument: nameInText(text), message: `skipped: ${error.message}` });
      continue;
    }
    const name = typeof object['instrument_name'] === 'string' ? object['instrument_name'] : null;
    const skip = (message: string): void => {
      warnings.push({ line: lineNumber, instrument: name, message: `skipped: ${message}` });
    };
    let ticker: OptionTicker;
    try {
      ticker = readOptionTicker(object);
    } catch (error) {
      if (!(error instanceof BallastError)) throw error;
      skip(error.message);
      continue;
    }
    const lineCoin = coinOf(ticker.instrumentName);
    coin ??= lineCoin;
    if (lineCoin !== coin) {
      skip(`${lineCoin} option in a ${coin} chain (one underlying per chain)`);
      continue;
    }
    if (!(ticker.yearsToExpiry > 0)) {
      skip(`timestamp ${ticker.timestampMs} is not before the expiry ${ticker.expiryMs}`);
      continue;
    }
    const entry = withImpliedVols(ticker, lineNumber, coin);
    const previous = kept.get(ticker.instrumentName);
    if (previous !== undefined) {
      const [winner, loser] =
        ticker.timestampMs >= previous.quote.timestampMs ? [entry, previous] : [previous, entry];
      kept.set(ticker.instrumentName, winner);
      warnings.push({
        line: loser.quote.line,
        instrument: ticker.instrumentName,
        message:
          `skipped: duplicate of line ${winner.quote.line}, which is kept: ` +
          (winner.quote.timestampMs === loser.quote.timestampMs
            ? `same timestamp ${loser.quote.timestampMs}, the later line wins`
            : `its timestamp ${winner.quote.timestampMs} is later than ${loser.quote.timestampMs}`),
      });
      continue;
    }
    kept.set(ticker.instrumentName, entry);
  }
  const quotes: ChainQuote[] = [];
  for (const { quote, notes } of kept.values()) {
    quotes.push(quote);
    if (notes.length > 0) {
      warnings.push({ line: quote.line, instrument: quote.instrumentName, message: notes.join('; ') });
    }
  }
  quotes.sort(
    (a, b) =>
      a.expiryMs - b.expiryMs || a.strike - b.strike || (a.kind === b.kind ? 0 : a.kind === 'call' ? -1 : 1),
  );
  warnings.sort((a, b) => a.line - b.line);
  return { quotes, warnings };
}

/**
 * Reads one ticker object into an `OptionTicker`. The name says kind, strike and expiry
 * (`parseInstrumentName`); `option_type`, `strike` and `expiration_timestamp`, where present,
 * must agree with it. The venue's side conventions: a side without orders has best price 0 (or
 * null); `bid_iv` 0 means no vol for the bid (no bid, or one below what any vol gives) and
 * `ask_iv` 0 or 500 (the venue's cap) the same for the ask: those are null here.
 *
 * Throws `InputError`, `ParseError` or `UnsupportedError` naming the field: a name that is not
 * an inverse option, a missing or non-positive `underlying_price`, `index_price` or `strike`,
 * a negative price, malformed greeks. The time to expiry is not checked (an expired line reads).
 */
export function readOptionTicker(line: JsonObject): OptionTicker {
  const instrumentName = line['instrument_name'];
  if (typeof instrumentName !== 'string' || instrumentName === '') {
    throw new InputError('instrument_name', instrumentName, 'a non-empty string');
  }
  const parsed = parseInstrumentName(instrumentName);
  if (parsed.kind !== 'option') {
    throw new InputError('instrument_name', instrumentName, `an option, not a ${parsed.kind}`);
  }
  if (parsed.settlement !== 'inverse') {
    throw new InputError(
      'instrument_name',
      instrumentName,
      `an inverse (coin-priced) option; ${parsed.quote}-settled options are priced in ${parsed.quote}`,
    );
  }
  agrees(line, 'option_type', parsed.optionType);
  agrees(line, 'strike', parsed.strike);
  agrees(line, 'expiration_timestamp', parsed.expiryMs);
  const timestampMs = finiteField(line, 'timestamp');
  const bid = side(line, 'best_bid_price', 'best_bid_amount');
  const ask = side(line, 'best_ask_price', 'best_ask_amount');
  const bidIvPercent = optionalNumber(line, 'bid_iv');
  const askIvPercent = optionalNumber(line, 'ask_iv');
  const underlyingIndex = line['underlying_index'];
  return {
    instrumentName,
    kind: parsed.optionType,
    strike: parsed.strike,
    expiryMs: parsed.expiryMs,
    timestampMs,
    yearsToExpiry: (parsed.expiryMs - timestampMs) / MS_PER_YEAR,
    forwardUsd: positiveField(line, 'underlying_price'),
    underlyingIndex: typeof underlyingIndex === 'string' ? underlyingIndex : null,
    indexUsd: positiveField(line, 'index_price'),
    rate: finiteField(line, 'interest_rate'),
    markCoin: nonNegativeField(line, 'mark_price'),
    bidCoin: bid.priceCoin,
    askCoin: ask.priceCoin,
    bidAmount: bid.amount,
    askAmount: ask.amount,
    venueMarkIv: nonNegativeField(line, 'mark_iv') / 100,
    venueBidIv: bid.priceCoin === null || !(bidIvPercent > 0) ? null : bidIvPercent / 100,
    venueAskIv:
      ask.priceCoin === null || !(askIvPercent > 0 && askIvPercent < VENUE_IV_CAP_PERCENT)
        ? null
        : askIvPercent / 100,
    venueGreeks: greeksOf(line),
  };
}

/** `line N BTC-22MAY20-9250-P: message`, for printing a warning on one line. */
export function formatChainWarning(warning: ChainWarning): string {
  return `line ${warning.line}${warning.instrument === null ? '' : ` ${warning.instrument}`}: ${warning.message}`;
}

/** The chain's quotes by expiry, expiries in time order. */
export function quotesByExpiry<Q extends { expiryMs: number }>(quotes: readonly Q[]): Map<number, Q[]> {
  const byExpiry = new Map<number, Q[]>();
  for (const q of [...quotes].sort((a, b) => a.expiryMs - b.expiryMs)) {
    const list = byExpiry.get(q.expiryMs);
    if (list === undefined) byExpiry.set(q.expiryMs, [q]);
    else list.push(q);
  }
  return byExpiry;
}

/** A ticker with our implied vols of mark, bid and ask, and the notes its line's warning gets. */
function withImpliedVols(
  ticker: OptionTicker,
  line: number,
  coin: string,
): { quote: ChainQuote; notes: string[] } {
  const notes: string[] = [];
  const missing: string[] = [];
  const vol = (what: string, priceCoin: number | null): number | null => {
    if (priceCoin === null) return null;
    const result = impliedVolOrReason(ticker, priceCoin, coin);
    if (typeof result === 'number') return result;
    missing.push(`${what} ${priceCoin} ${coin} ${result}`);
    return null;
  };
  const ivMark = vol('mark', ticker.markCoin);
  const crossed = ticker.bidCoin !== null && ticker.askCoin !== null && ticker.bidCoin > ticker.askCoin;
  if (crossed) {
    notes.push(
      `crossed quote: bid ${ticker.bidCoin} > ask ${ticker.askCoin} ${coin}; no implied vol for either side`,
    );
  }
  const ivBid = crossed ? null : vol('bid', ticker.bidCoin);
  const ivAsk = crossed ? null : vol('ask', ticker.askCoin);
  if (missing.length > 0) notes.push(`no implied vol at forward ${ticker.forwardUsd}: ${missing.join(', ')}`);
  return { quote: { ...ticker, ivMark, ivBid, ivAsk, line }, notes };
}

/** Our implied vol of a coin price, or why it has none. */
function impliedVolOrReason(ticker: OptionTicker, priceCoin: number, coin: string): number | string {
  const { kind, forwardUsd, strike, yearsToExpiry, rate } = ticker;
  const discount = Math.exp(-rate * yearsToExpiry);
  const payoffUsd = Math.max(kind === 'call' ? forwardUsd - strike : strike - forwardUsd, 0);
  const intrinsicCoin = (discount * payoffUsd) / forwardUsd;
  if (priceCoin <= intrinsicCoin) return `at or below intrinsic ${round(intrinsicCoin)} ${coin}`;
  // The most an option can be worth: the discounted forward (call) or strike (put), in coin.
  const ceilingCoin = kind === 'call' ? discount : (discount * strike) / forwardUsd;
  if (priceCoin >= ceilingCoin) return `at or above the option's upper bound ${round(ceilingCoin)} ${coin}`;
  try {
    return inverseOptionImpliedVol(kind, priceCoin, forwardUsd, strike, yearsToExpiry, rate);
  } catch (error) {
    if (error instanceof BallastError) return `(${error.message})`;
    throw error;
  }
}

function side(
  line: JsonObject,
  priceField: string,
  amountField: string,
): { priceCoin: number | null; amount: number } {
  const price = line[priceField];
  if (price === undefined || price === null || price === 0) return { priceCoin: null, amount: 0 };
  return { priceCoin: positiveField(line, priceField), amount: nonNegativeField(line, amountField) };
}

function optionalNumber(line: JsonObject, field: string): number {
  const value = line[field];
  return value === undefined || value === null ? NaN : finiteField(line, field);
}

function agrees(line: JsonObject, field: string, fromName: string | number): void {
  const value = line[field];
  if (value !== undefined && value !== fromName) {
    throw new InputError(field, value, `${JSON.stringify(fromName)}, as the instrument name says`);
  }
}

function greeksOf(line: JsonObject): ChainGreeks | null {
  const greeks = line['greeks'];
  if (greeks === undefined || greeks === null) return null;
  if (typeof greeks !== 'object' || Array.isArray(greeks)) {
    throw new InputError('greeks', greeks, 'an object {delta, gamma, vega, theta, rho}');
  }
  const g = greeks as JsonObject;
  const read = (field: string): number => {
    const value = g[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InputError(`greeks.${field}`, value, 'a finite number');
    }
    return value;
  };
  return {
    delta: read('delta'),
    gamma: read('gamma'),
    vega: read('vega'),
    theta: read('theta'),
    rho: read('rho'),
  };
}

/** The instrument a malformed line is about, when its name can still be read from the text. */
function nameInText(text: string): string | null {
  return /"instrument_name"\s*:\s*"([^"\\]+)"/.exec(text)?.[1] ?? null;
}

/** The coin of an inverse option's name: `BTC` of `BTC-22MAY20-9250-P`. */
function coinOf(instrumentName: string): string {
  return instrumentName.slice(0, instrumentName.indexOf('-'));
}

function round(value: number): string {
  return String(Number(value.toPrecision(6)));
}
