/**
 * What risk reads: a book of positions and a market snapshot, as `ballast risk` takes them.
 *
 * Book: JSON Lines, one position per line, `{"instrument":"BTC-26JUN20-10000-C","amount":-25}`,
 * amount signed in the venue's unit (contracts for options, USD for inverse futures and
 * perpetuals). The same instrument on several lines adds up.
 *
 * Market: the chain snapshot format of `data/deribit/` (one `public/ticker`-shaped object per
 * option, fields in `data/deribit/README.md`), plus lines for futures and perpetuals with at
 * least `instrument_name`, `mark_price` (USD) and `index_price` (USD); `timestamp` optional
 * (the options' latest when absent). Options are read by the chain reader (`src/vol/chain.ts`),
 * which also gives each mark's Black-76 implied vol at the line's own forward.
 *
 * Bad input throws `InputError` / `ParseError` naming the line and the field: an unknown or
 * unparseable instrument in the book, a position without a market line (a missing mark), a
 * malformed line.
 */
import { BallastError, InputError } from '../model/errors.js';
import { parseInstrumentName, type ParsedInstrumentName } from '../model/instrument-name.js';
import { nonBlankNumberedLines, parseJsonObject, type LineSource } from '../model/json-lines.js';
import { readChain, type ChainQuote, type ChainWarning } from '../vol/chain.js';

/** One position of the book. */
export interface RiskPosition {
  instrument: string;
  parsed: ParsedInstrumentName;
  /** Signed, in the venue's unit. */
  amount: number;
  /** The first line that named it (1-based). */
  line: number;
}

/** A future or perpetual's market line. */
export interface FutureMark {
  instrument: string;
  parsed: ParsedInstrumentName;
  /** USD per coin. */
  markPrice: number;
  indexPrice: number;
  timestampMs: number;
  line: number;
}

/** The market a risk report is computed on. */
export interface RiskMarket {
  /** Options by name, with the venue's and our implied vols. */
  options: Map<string, ChainQuote>;
  futures: Map<string, FutureMark>;
  /** Spot index by coin (`BTC`), USD. */
  index: Map<string, number>;
  /** The snapshot's time: the latest line timestamp. */
  timestampMs: number;
  /** Lines the chain reader skipped or kept with a note. */
  warnings: ChainWarning[];
  /** The order books the lines carry (`bids`, `asks` as `[price, amount]`, best first), by instrument. */
  /** Open interest by instrument (`open_interest`, contracts), where the lines give it. */
  openInterest?: Map<string, number>;
  books?: Map<
    string,
    { bids: { price: number; amount: number }[]; asks: { price: number; amount: number }[] }
  >;
}

/** Reads a book (see the module comment). */
export async function readRiskBook(source: LineSource): Promise<RiskPosition[]> {
  const byName = new Map<string, RiskPosition>();
  for await (const { lineNumber, text } of nonBlankNumberedLines(source)) {
    const at = (field: string): string => `line ${lineNumber}: ${field}`;
    let object: Record<string, unknown>;
    try {
      object = parseJsonObject(text);
    } catch (error) {
      if (error instanceof BallastError) throw new InputError(at('line'), text.slice(0, 80), 'a JSON object');
      throw error;
    }
    const instrument = object.instrument;
    if (typeof instrument !== 'string' || instrument === '') {
      throw new InputError(at('instrument'), instrument, 'an instrument name');
    }
    let parsed: ParsedInstrumentName;
    try {
      parsed = parseInstrumentName(instrument);
    } catch (error) {
      if (error instanceof BallastError) throw new InputError(at('instrument'), instrument, error.message);
      throw error;
    }
    if (parsed.kind === 'spot')
      throw new InputError(at('instrument'), instrument, 'an option, future or perpetual');
    const amount = object.amount;
    if (typeof amount !== 'number' || !Number.isFinite(amount)) {
      throw new InputError(at('amount'), amount, 'a finite number (signed, in the venue unit)');
    }
    const held = byName.get(instrument);
    if (held === undefined) byName.set(instrument, { instrument, parsed, amount, line: lineNumber });
    else held.amount += amount;
  }
  return [...byName.values()];
}

/** Reads a market snapshot (see the module comment). */
export async function readRiskMarket(source: LineSource): Promise<RiskMarket> {
  const lines: string[] = [];
  for await (const { lineNumber, text } of nonBlankNumberedLines(source)) lines[lineNumber - 1] = text;
  const optionLines: string[] = [];
  const futures = new Map<string, FutureMark>();
  const index = new Map<string, number>();
  const books: NonNullable<RiskMarket['books']> = new Map();
  const openInterest = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    optionLines.push(text);
    if (text === '') continue;
    let object: Record<string, unknown>;
    try {
      object = parseJsonObject(text);
    } catch {
      continue; // the chain reader warns about it
    }
    const name = object.instrument_name;
    if (typeof name !== 'string') continue;
    const levels = (side: unknown): { price: number; amount: number }[] | undefined => {
      if (!Array.isArray(side)) return undefined;
      const out: { price: number; amount: number }[] = [];
      for (const level of side) {
        if (!Array.isArray(level) || typeof level[0] !== 'number' || typeof level[1] !== 'number')
          return undefined;
        if (level[0] > 0 && level[1] > 0) out.push({ price: level[0], amount: level[1] });
      }
      return out;
    };
    const oi = object.open_interest;
    if (typeof oi === 'number' && Number.isFinite(oi) && oi >= 0) openInterest.set(name, oi);
    const bids = levels(object.bids);
    const asks = levels(object.asks);
    if (bids !== undefined && asks !== undefined) books.set(name, { bids, asks });
    let parsed: ParsedInstrumentName;
    try {
      parsed = parseInstrumentName(name);
    } catch {
      continue;
    }
    if (parsed.kind !== 'future' && parsed.kind !== 'perpetual') continue;
    optionLines[i] = ''; // keeps the numbering of the chain reader's lines
    const at = (field: string): string => `line ${i + 1}: ${field}`;
    const mark = object.mark_price;
    const spot = object.index_price;
    if (typeof mark !== 'number' || !(mark > 0))
      throw new InputError(at('mark_price'), mark, 'a price > 0 (USD)');
    if (typeof spot !== 'number' || !(spot > 0))
      throw new InputError(at('index_price'), spot, 'a price > 0 (USD)');
    const ts = object.timestamp;
    if (ts !== undefined && (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)) {
      throw new InputError(at('timestamp'), ts, 'ms since the epoch');
    }
    futures.set(name, {
      instrument: name,
      parsed,
      markPrice: mark,
      indexPrice: spot,
      timestampMs: typeof ts === 'number' ? ts : Number.NaN,
      line: i + 1,
    });
    index.set(parsed.base, spot);
  }
  const chain = await readChain(optionLines);
  const options = new Map(chain.quotes.map((q) => [q.instrumentName, q]));
  let timestampMs = Number.NEGATIVE_INFINITY;
  for (const q of chain.quotes) {
    timestampMs = Math.max(timestampMs, q.timestampMs);
    const coin = q.instrumentName.split('-')[0] as string;
    if (!index.has(coin)) index.set(coin, q.indexUsd);
  }
  for (const f of futures.values())
    if (Number.isFinite(f.timestampMs)) timestampMs = Math.max(timestampMs, f.timestampMs);
  if (!Number.isFinite(timestampMs))
    throw new InputError('market', 'no usable line', 'at least one option or future line');
  for (const f of futures.values()) if (!Number.isFinite(f.timestampMs)) f.timestampMs = timestampMs;
  return { options, futures, index, timestampMs, warnings: chain.warnings, books, openInterest };
}

/** Checks that every position has a market line; throws `InputError` naming the book line. */
export function requireMarks(book: readonly RiskPosition[], market: RiskMarket): void {
  for (const p of book) {
    const known =
      p.parsed.kind === 'option' ? market.options.has(p.instrument) : market.futures.has(p.instrument);
    if (!known) {
      throw new InputError(
        `book line ${p.line}: instrument`,
        p.instrument,
        'an instrument with a line in the market snapshot (no mark)',
      );
    }
  }
}
