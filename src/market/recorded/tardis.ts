/**
 * Readers for Tardis (tardis.dev) downloadable CSV datasets, plain or gzipped, as async iterables
 * of normalized market events (`../events.ts`). Column schemas:
 * https://docs.tardis.dev/downloadable-csv-files (comma-separated, LF, timestamps in
 * microseconds since the epoch, UTC; `timestamp` is the exchange's, `local_timestamp` the
 * recorder's arrival time), converted to ms (fractional) in the events.
 *
 * - `incremental_book_L2`: consecutive rows of one instrument with the same `timestamp` and
 *   `is_snapshot` form one event: a `book_snapshot` (`full: true`, `changeId: null`; zero
 *   amounts skipped; a run of `is_snapshot=true` rows after changes resets the book, as Tardis
 *   says) or a `book_change` (`changeId`/`prevChangeId` null; amount 0 deletes the level). The
 *   event's `localTimestampMs` is its first row's. Rows of other instruments may interleave
 *   (grouped-symbol files); only consecutive rows group.
 * - `book_snapshot_25`: one `book_snapshot` per row, `full: false`, empty levels skipped.
 * - `trades`: one `trade` per row (`side` `unknown` gives null; an empty `id` gives `''`).
 * - `quotes`: one `quote` per row (an empty side gives nulls).
 * - `derivative_ticker`: one `ticker` per row with `fundingRate`, `openInterest`, `lastPrice`,
 *   `indexPrice`, `markPrice` when present. `funding_timestamp` and `predicted_funding_rate`
 *   are checked but have no field in `TickerEvent` and are dropped.
 * - `options_chain`: one `ticker` per row with prices, amounts, ivs, greeks, underlying price
 *   and index. Implied vols are passed through as Tardis writes them, which is the venue's own
 *   unit: Deribit's are vol points (`mark_iv` 62.89 in the documented sample), as `TickerEvent`
 *   wants; other venues' options (OKX, Binance, Bybit) are given by Tardis as fractions and are
 *   NOT rescaled here. `type`, `strike_price` and `expiration` are checked and dropped (the
 *   instrument name carries them).
 *
 * Values are checked strictly: a wrong header, a wrong column count, a non-numeric or negative
 * price, a negative amount, a bad side or `is_snapshot`, a bad timestamp each make the row bad.
 * A bad row is reported to `onBadRecord` and skipped, or, without it, the events read before it
 * are delivered and then a `ParseError` naming the line, the field and the value is thrown. A
 * bad header cannot be skipped: it is reported as line 1 and nothing is read (or it throws).
 * Blank lines are bad rows. Nothing is checked across rows (no monotonic timestamps).
 */
import { basename } from 'node:path';
import type { Readable } from 'node:stream';

import { ParseError } from '../../model/errors.js';
import type {
  BadRecord,
  BookChangeEvent,
  BookSnapshotEvent,
  Level,
  LevelChange,
  MarketEvent,
  QuoteEvent,
  RecordedReadOptions,
  TickerEvent,
  TradeEvent,
} from '../events.js';
import {
  CsvLineSplitter,
  type CsvLineSink,
  openCsvByteStream,
  parseDecimal,
  parseUnsignedInteger,
  QUOTED_FIELD_MESSAGE,
} from './csv-rows.js';

/** The Tardis CSV datasets read here. */
export type TardisDataType =
  'incremental_book_L2' | 'book_snapshot_25' | 'trades' | 'quotes' | 'derivative_ticker' | 'options_chain';

export const TARDIS_DATA_TYPES: readonly TardisDataType[] = [
  'incremental_book_L2',
  'book_snapshot_25',
  'trades',
  'quotes',
  'derivative_ticker',
  'options_chain',
];

/** Options of `readTardisCsv`: bad-record handling, and the data type when not to be guessed. */
export interface TardisReadOptions extends RecordedReadOptions {
  /** The file's data type; else from its name (`deribit_trades_2020-04-01_BTC-PERPETUAL.csv.gz`), else its header. */
  dataType?: TardisDataType;
}

const BASE = 'exchange,symbol,timestamp,local_timestamp';
const SNAPSHOT_DEPTH = 25;

/** The exact header line of each data type. */
export const TARDIS_HEADERS: Readonly<Record<TardisDataType, string>> = {
  incremental_book_L2: `${BASE},is_snapshot,side,price,amount`,
  book_snapshot_25:
    BASE +
    Array.from(
      { length: SNAPSHOT_DEPTH },
      (_, i) => `,asks[${i}].price,asks[${i}].amount,bids[${i}].price,bids[${i}].amount`,
    ).join(''),
  trades: `${BASE},id,side,price,amount`,
  quotes: `${BASE},ask_amount,ask_price,bid_price,bid_amount`,
  derivative_ticker: `${BASE},funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price`,
  options_chain: `${BASE},type,strike_price,expiration,open_interest,last_price,bid_price,bid_amount,bid_iv,ask_price,ask_amount,ask_iv,mark_price,mark_iv,underlying_index,underlying_price,delta,gamma,vega,theta,rho`,
};

const FILE_NAME_TYPE =
  /(?:^|_)(incremental_book_L2|book_snapshot_25|trades|quotes|derivative_ticker|options_chain)(?:_|\.|$)/;

/** The data type a Tardis file name says (`deribit_incremental_book_L2_2020-04-01_BTC-PERPETUAL.csv.gz`), if any. */
export function tardisDataTypeFromFileName(path: string): TardisDataType | undefined {
  const m = FILE_NAME_TYPE.exec(basename(path));
  return m ? (m[1] as TardisDataType) : undefined;
}

/** The data type whose header is exactly `header`, if any. */
export function tardisDataTypeFromHeader(header: string): TardisDataType | undefined {
  return TARDIS_DATA_TYPES.find((t) => TARDIS_HEADERS[t] === header);
}

const EMPTY: readonly MarketEvent[] = Object.freeze([]);
const MAX_TEXT = 200;

/** A row's fault, thrown inside the parser and turned into a `BadRecord` or a `ParseError`. */
class RowFault {
  constructor(readonly message: string) {}
}

function quoteValue(text: string, start: number, end: number): string {
  const v = text.slice(start, Math.min(end, start + 60));
  return JSON.stringify(end - start > 60 ? `${v}...` : v);
}

function fault(field: string, text: string, start: number, end: number, expected: string): RowFault {
  const got = start === end ? 'got ""' : `got ${quoteValue(text, start, end)}`;
  return new RowFault(`${field}: ${got}, expected ${expected}`);
}

/** Number predicates with their wording. */
type Check = 'any' | 'nonNegative' | 'positive';
const EXPECTED: Record<Check, string> = {
  any: 'a finite number',
  nonNegative: 'a finite number >= 0',
  positive: 'a finite number > 0',
};

function passes(v: number, check: Check): boolean {
  // NaN fails every comparison.
  return check === 'any' ? v === v : check === 'positive' ? v > 0 : v >= 0;
}

/**
 * The synchronous parser behind `readTardisCsv`: give it the file's lines (it is a
 * `CsvLineSink`), take the events from `events`. Exposed for callers that have the text
 * already (`parseTardisCsvText`).
 */
export class TardisCsvParser implements CsvLineSink {
  /** Events parsed and not yet taken. */
  events: MarketEvent[] = [];
  /** The data type, once known (from the option, the file name or the header). */
  dataType: TardisDataType | undefined;
  /** True once the header was bad: nothing more is read. */
  stopped = false;

  private headerSeen = false;
  private readonly fromName: boolean;
  private expectedFields = 0;
  private readonly commas = new Int32Array(128);
  private readonly onBadRecord: ((bad: BadRecord) => void) | undefined;
  private readonly onRecord: ((lineNumber: number, events: readonly MarketEvent[]) => void) | undefined;
  private lastExchange = '';
  private lastSymbol = '';
  private lastIndex = '';

  // The open incremental_book_L2 group.
  private groupOpen = false;
  private gExchange = '';
  private gSymbol = '';
  private gTimestampUs = 0;
  private gLocalUs = 0;
  private gSnapshot = false;
  private gBids: LevelChange[] = [];
  private gAsks: LevelChange[] = [];
  /** Line numbers of the rows (good and bad) seen while the group was open, for `onRecord`. */
  private gLines: number[] = [];

  constructor(options: TardisReadOptions = {}, fileName?: string) {
    this.onBadRecord = options.onBadRecord;
    this.onRecord = options.onRecord;
    this.dataType =
      options.dataType ?? (fileName === undefined ? undefined : tardisDataTypeFromFileName(fileName));
    this.fromName = options.dataType === undefined && this.dataType !== undefined;
  }

  /** Takes the events parsed so far. */
  take(): MarketEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  quotedLine(text: string, start: number, end: number, lineNumber: number): void {
    if (this.stopped) return;
    if (!this.headerSeen) {
      this.headerSeen = true;
      this.stopped = true;
      this.bad(text, start, end, lineNumber, `header: ${QUOTED_FIELD_MESSAGE}`);
      return;
    }
    this.bad(text, start, end, lineNumber, QUOTED_FIELD_MESSAGE);
  }

  line(text: string, start: number, end: number, lineNumber: number): void {
    if (this.stopped) return;
    if (!this.headerSeen) {
      this.header(text, start, end, lineNumber);
      return;
    }
    try {
      if (start === end) throw new RowFault('empty line, expected a data row');
      switch (this.dataType) {
        case 'incremental_book_L2':
          this.l2Row(text, start, end, lineNumber);
          return;
        case 'book_snapshot_25':
          this.emit(this.snapshotRow(text, start, end), lineNumber);
          return;
        case 'trades':
          this.emit(this.tradeRow(text, start, end), lineNumber);
          return;
        case 'quotes':
          this.emit(this.quoteRow(text, start, end), lineNumber);
          return;
        case 'derivative_ticker':
          this.emit(this.derivativeTickerRow(text, start, end), lineNumber);
          return;
        case 'options_chain':
          this.emit(this.optionsChainRow(text, start, end), lineNumber);
          return;
        default:
          throw new RowFault('unknown data type');
      }
    } catch (error) {
      if (!(error instanceof RowFault)) throw error;
      this.bad(text, start, end, lineNumber, error.message);
    }
  }

  /** End of the file: the open group becomes an event; a file without a header is bad. */
  end(): void {
    if (this.stopped) return;
    if (!this.headerSeen) {
      this.headerSeen = true;
      this.stopped = true;
      this.report(1, '', 'header: missing (the file is empty)');
      return;
    }
    this.flushGroup();
  }

  private header(text: string, start: number, end: number, lineNumber: number): void {
    this.headerSeen = true;
    const header = text.slice(start, end);
    const type = this.dataType ?? tardisDataTypeFromHeader(header);
    if (type === undefined || TARDIS_HEADERS[type] !== header) {
      this.stopped = true;
      const expected =
        type === undefined
          ? `the header of one of ${TARDIS_DATA_TYPES.join(', ')}`
          : `${JSON.stringify(TARDIS_HEADERS[type].slice(0, 120))} (${type}${this.fromName ? ', from the file name' : ''})`;
      this.bad(
        text,
        start,
        end,
        lineNumber,
        `header: got ${quoteValue(text, start, end)}, expected ${expected}`,
      );
      return;
    }
    this.dataType = type;
    this.expectedFields = header.split(',').length;
  }

  private bad(text: string, start: number, end: number, lineNumber: number, message: string): void {
    this.report(lineNumber, text.slice(start, Math.min(end, start + MAX_TEXT)), message);
  }

  private report(lineNumber: number, lineText: string, message: string): void {
    if (this.onBadRecord === undefined) throw new ParseError(`line ${lineNumber}`, lineText, message);
    this.onBadRecord({ lineNumber, text: lineText, message });
    if (this.onRecord !== undefined && lineNumber > 1) {
      if (this.groupOpen) this.gLines.push(lineNumber);
      else this.onRecord(lineNumber, EMPTY);
    }
  }

  private emit(event: MarketEvent, lineNumber: number): void {
    this.events.push(event);
    if (this.onRecord !== undefined) this.onRecord(lineNumber, [event]);
  }

  /** Finds the commas of the row into `this.commas`; throws unless it has the header's field count. */
  private split(text: string, start: number, end: number): Int32Array {
    const commas = this.commas;
    const cap = commas.length;
    let k = 0;
    for (let i = start; i < end; i++) {
      if (text.charCodeAt(i) === 44) {
        if (k < cap) commas[k] = i;
        k++;
      }
    }
    if (k + 1 !== this.expectedFields) {
      throw new RowFault(`expected ${this.expectedFields} fields (${this.dataType}), got ${k + 1}`);
    }
    return commas;
  }

  private exchange(text: string, start: number, end: number): string {
    if (start === end) throw fault('exchange', text, start, end, 'a venue name');
    const last = this.lastExchange;
    if (end - start === last.length && matches(text, start, last)) return last;
    return (this.lastExchange = text.slice(start, end));
  }

  private symbol(text: string, start: number, end: number): string {
    if (start === end) throw fault('symbol', text, start, end, 'an instrument name');
    const last = this.lastSymbol;
    if (end - start === last.length && matches(text, start, last)) return last;
    return (this.lastSymbol = text.slice(start, end));
  }

  private micros(field: string, text: string, start: number, end: number): number {
    const v = parseUnsignedInteger(text, start, end);
    if (v < 0) throw fault(field, text, start, end, 'microseconds since the epoch (digits only)');
    return v;
  }

  private num(field: string, text: string, start: number, end: number, check: Check): number {
    const v = parseDecimal(text, start, end);
    if (!passes(v, check)) throw fault(field, text, start, end, EXPECTED[check]);
    return v;
  }

  /** Undefined when the field is empty. */
  private optNum(field: string, text: string, start: number, end: number, check: Check): number | undefined {
    return start === end ? undefined : this.num(field, text, start, end, check);
  }

  // --- incremental_book_L2 -------------------------------------------------------------------

  private l2Row(text: string, start: number, end: number, lineNumber: number): void {
    // The hot path: commas by indexOf (a builtin scan), no substring for repeated names.
    const c0 = text.indexOf(',', start);
    const c1 = c0 < 0 ? -1 : text.indexOf(',', c0 + 1);
    const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
    const c3 = c2 < 0 ? -1 : text.indexOf(',', c2 + 1);
    const c4 = c3 < 0 ? -1 : text.indexOf(',', c3 + 1);
    const c5 = c4 < 0 ? -1 : text.indexOf(',', c4 + 1);
    const c6 = c5 < 0 ? -1 : text.indexOf(',', c5 + 1);
    if (c6 < 0 || c6 >= end) {
      this.split(text, start, end); // throws the field count
    } else {
      const c7 = text.indexOf(',', c6 + 1);
      if (c7 >= 0 && c7 < end) this.split(text, start, end);
    }
    const exchange = this.exchange(text, start, c0);
    const symbol = this.symbol(text, c0 + 1, c1);
    const ts = this.micros('timestamp', text, c1 + 1, c2);
    const local = this.micros('local_timestamp', text, c2 + 1, c3);
    let snapshot: boolean;
    const f = text.charCodeAt(c3 + 1);
    const sl = c4 - c3 - 1;
    if (sl === 4 && f === 116 && matches(text, c3 + 1, 'true')) snapshot = true;
    else if (sl === 5 && f === 102 && matches(text, c3 + 1, 'false')) snapshot = false;
    else throw fault('is_snapshot', text, c3 + 1, c4, '"true" or "false"');
    let bid: boolean;
    const s0 = text.charCodeAt(c4 + 1);
    if (c5 - c4 === 4 && s0 === 98 && matches(text, c4 + 1, 'bid')) bid = true;
    else if (c5 - c4 === 4 && s0 === 97 && matches(text, c4 + 1, 'ask')) bid = false;
    else throw fault('side', text, c4 + 1, c5, '"bid" or "ask"');
    const price = this.num('price', text, c5 + 1, c6, 'positive');
    const amount = this.num('amount', text, c6 + 1, end, 'nonNegative');

    if (
      !this.groupOpen ||
      ts !== this.gTimestampUs ||
      snapshot !== this.gSnapshot ||
      symbol !== this.gSymbol ||
      exchange !== this.gExchange
    ) {
      this.flushGroup();
      this.groupOpen = true;
      this.gExchange = exchange;
      this.gSymbol = symbol;
      this.gTimestampUs = ts;
      this.gLocalUs = local;
      this.gSnapshot = snapshot;
    }
    if (this.onRecord !== undefined) this.gLines.push(lineNumber);
    if (snapshot && amount === 0) return;
    (bid ? this.gBids : this.gAsks).push({ price, amount });
  }

  private flushGroup(): void {
    if (!this.groupOpen) return;
    this.groupOpen = false;
    const bids = this.gBids;
    const asks = this.gAsks;
    this.gBids = [];
    this.gAsks = [];
    let event: BookSnapshotEvent | BookChangeEvent;
    if (this.gSnapshot) {
      sortLevels(bids as Level[], asks as Level[]);
      event = {
        type: 'book_snapshot',
        venue: this.gExchange,
        instrument: this.gSymbol,
        timestampMs: this.gTimestampUs / 1000,
        localTimestampMs: this.gLocalUs / 1000,
        changeId: null,
        bids: bids as Level[],
        asks: asks as Level[],
        full: true,
      };
    } else {
      event = {
        type: 'book_change',
        venue: this.gExchange,
        instrument: this.gSymbol,
        timestampMs: this.gTimestampUs / 1000,
        localTimestampMs: this.gLocalUs / 1000,
        changeId: null,
        prevChangeId: null,
        bids,
        asks,
      };
    }
    this.events.push(event);
    const onRecord = this.onRecord;
    if (onRecord !== undefined) {
      const lines = this.gLines;
      this.gLines = [];
      // The group's event is its first row's; the other rows (and bad rows met while it was
      // open) gave none.
      let first = true;
      for (const n of lines) {
        onRecord(n, first ? [event] : EMPTY);
        first = false;
      }
    }
  }

  // --- book_snapshot_25 ----------------------------------------------------------------------

  private snapshotRow(text: string, start: number, end: number): BookSnapshotEvent {
    const c = this.split(text, start, end);
    const bids: Level[] = [];
    const asks: Level[] = [];
    for (let i = 0; i < SNAPSHOT_DEPTH; i++) {
      const f = 3 + 4 * i; // index of the comma before asks[i].price
      this.level(text, c, f, end, `asks[${i}]`, asks);
      this.level(text, c, f + 2, end, `bids[${i}]`, bids);
    }
    sortLevels(bids, asks);
    return {
      type: 'book_snapshot',
      venue: this.exchange(text, start, c[0]!),
      instrument: this.symbol(text, c[0]! + 1, c[1]!),
      timestampMs: this.micros('timestamp', text, c[1]! + 1, c[2]!) / 1000,
      localTimestampMs: this.micros('local_timestamp', text, c[2]! + 1, c[3]!) / 1000,
      changeId: null,
      bids,
      asks,
      full: false,
    };
  }

  /** The level whose price field follows comma `k`; both fields empty means no level. */
  private level(text: string, c: Int32Array, k: number, end: number, name: string, out: Level[]): void {
    const ps = c[k]! + 1;
    const pe = c[k + 1]!;
    const as = pe + 1;
    const ae = k + 2 < this.expectedFields - 1 ? c[k + 2]! : end;
    if (ps === pe && as === ae) return;
    if (ps === pe) throw fault(`${name}.price`, text, ps, pe, 'a price when the amount is given');
    if (as === ae) throw fault(`${name}.amount`, text, as, ae, 'an amount when the price is given');
    const price = this.num(`${name}.price`, text, ps, pe, 'positive');
    const amount = this.num(`${name}.amount`, text, as, ae, 'nonNegative');
    if (amount > 0) out.push({ price, amount });
  }

  // --- trades ----------------------------------------------------------------------------------

  private tradeRow(text: string, start: number, end: number): TradeEvent {
    const c = this.split(text, start, end);
    const venue = this.exchange(text, start, c[0]!);
    const instrument = this.symbol(text, c[0]! + 1, c[1]!);
    const timestampMs = this.micros('timestamp', text, c[1]! + 1, c[2]!) / 1000;
    const localTimestampMs = this.micros('local_timestamp', text, c[2]! + 1, c[3]!) / 1000;
    const tradeId = text.slice(c[3]! + 1, c[4]!);
    const ss = c[4]! + 1;
    const se = c[5]!;
    const sideText = text.slice(ss, se);
    let side: 'buy' | 'sell' | null;
    if (sideText === 'buy' || sideText === 'sell') side = sideText;
    else if (sideText === 'unknown') side = null;
    else throw fault('side', text, ss, se, '"buy", "sell" or "unknown"');
    const price = this.num('price', text, c[5]! + 1, c[6]!, 'positive');
    const amount = this.num('amount', text, c[6]! + 1, end, 'positive');
    return { type: 'trade', venue, instrument, timestampMs, localTimestampMs, tradeId, price, amount, side };
  }

  // --- quotes ----------------------------------------------------------------------------------

  private quoteRow(text: string, start: number, end: number): QuoteEvent {
    const c = this.split(text, start, end);
    const venue = this.exchange(text, start, c[0]!);
    const instrument = this.symbol(text, c[0]! + 1, c[1]!);
    const timestampMs = this.micros('timestamp', text, c[1]! + 1, c[2]!) / 1000;
    const localTimestampMs = this.micros('local_timestamp', text, c[2]! + 1, c[3]!) / 1000;
    const askAmount = this.optNum('ask_amount', text, c[3]! + 1, c[4]!, 'nonNegative');
    const askPrice = this.optNum('ask_price', text, c[4]! + 1, c[5]!, 'positive');
    const bidPrice = this.optNum('bid_price', text, c[5]! + 1, c[6]!, 'positive');
    const bidAmount = this.optNum('bid_amount', text, c[6]! + 1, end, 'nonNegative');
    if ((askPrice === undefined) !== (askAmount === undefined)) {
      throw askPrice === undefined
        ? fault('ask_price', text, c[4]! + 1, c[5]!, 'a price when ask_amount is given')
        : fault('ask_amount', text, c[3]! + 1, c[4]!, 'an amount when ask_price is given');
    }
    if ((bidPrice === undefined) !== (bidAmount === undefined)) {
      throw bidPrice === undefined
        ? fault('bid_price', text, c[5]! + 1, c[6]!, 'a price when bid_amount is given')
        : fault('bid_amount', text, c[6]! + 1, end, 'an amount when bid_price is given');
    }
    return {
      type: 'quote',
      venue,
      instrument,
      timestampMs,
      localTimestampMs,
      bidPrice: bidPrice ?? null,
      bidAmount: bidAmount ?? null,
      askPrice: askPrice ?? null,
      askAmount: askAmount ?? null,
    };
  }

  // --- derivative_ticker -----------------------------------------------------------------------

  private derivativeTickerRow(text: string, start: number, end: number): TickerEvent {
    const c = this.split(text, start, end);
    const event: TickerEvent = {
      type: 'ticker',
      venue: this.exchange(text, start, c[0]!),
      instrument: this.symbol(text, c[0]! + 1, c[1]!),
      timestampMs: this.micros('timestamp', text, c[1]! + 1, c[2]!) / 1000,
      localTimestampMs: this.micros('local_timestamp', text, c[2]! + 1, c[3]!) / 1000,
    };
    if (c[4]! > c[3]! + 1) this.micros('funding_timestamp', text, c[3]! + 1, c[4]!);
    const fundingRate = this.optNum('funding_rate', text, c[4]! + 1, c[5]!, 'any');
    this.optNum('predicted_funding_rate', text, c[5]! + 1, c[6]!, 'any');
    const openInterest = this.optNum('open_interest', text, c[6]! + 1, c[7]!, 'nonNegative');
    const lastPrice = this.optNum('last_price', text, c[7]! + 1, c[8]!, 'nonNegative');
    const indexPrice = this.optNum('index_price', text, c[8]! + 1, c[9]!, 'nonNegative');
    const markPrice = this.optNum('mark_price', text, c[9]! + 1, end, 'nonNegative');
    if (fundingRate !== undefined) event.fundingRate = fundingRate;
    if (openInterest !== undefined) event.openInterest = openInterest;
    if (lastPrice !== undefined) event.lastPrice = lastPrice;
    if (indexPrice !== undefined) event.indexPrice = indexPrice;
    if (markPrice !== undefined) event.markPrice = markPrice;
    return event;
  }

  // --- options_chain ---------------------------------------------------------------------------

  private optionsChainRow(text: string, start: number, end: number): TickerEvent {
    const c = this.split(text, start, end);
    // Field i spans (c[i-1] + 1, c[i]); the last one ends at `end`.
    const fs = (i: number): number => c[i - 1]! + 1;
    const fe = (i: number): number => (i === 23 ? end : c[i]!);
    const event: TickerEvent = {
      type: 'ticker',
      venue: this.exchange(text, start, c[0]!),
      instrument: this.symbol(text, fs(1), fe(1)),
      timestampMs: this.micros('timestamp', text, fs(2), fe(2)) / 1000,
      localTimestampMs: this.micros('local_timestamp', text, fs(3), fe(3)) / 1000,
    };
    const type = text.slice(fs(4), fe(4));
    if (type !== 'call' && type !== 'put') throw fault('type', text, fs(4), fe(4), '"call" or "put"');
    this.num('strike_price', text, fs(5), fe(5), 'positive');
    this.micros('expiration', text, fs(6), fe(6));
    const set = (key: keyof TickerEvent, i: number, field: string, check: Check): void => {
      const v = this.optNum(field, text, fs(i), fe(i), check);
      if (v !== undefined) (event as unknown as Record<string, number>)[key] = v;
    };
    set('openInterest', 7, 'open_interest', 'nonNegative');
    set('lastPrice', 8, 'last_price', 'nonNegative');
    set('bidPrice', 9, 'bid_price', 'nonNegative');
    set('bidAmount', 10, 'bid_amount', 'nonNegative');
    set('bidIv', 11, 'bid_iv', 'nonNegative');
    set('askPrice', 12, 'ask_price', 'nonNegative');
    set('askAmount', 13, 'ask_amount', 'nonNegative');
    set('askIv', 14, 'ask_iv', 'nonNegative');
    set('markPrice', 15, 'mark_price', 'nonNegative');
    set('markIv', 16, 'mark_iv', 'nonNegative');
    if (fe(17) > fs(17)) {
      const last = this.lastIndex;
      event.underlyingIndex =
        fe(17) - fs(17) === last.length && matches(text, fs(17), last)
          ? last
          : (this.lastIndex = text.slice(fs(17), fe(17)));
    }
    set('underlyingPrice', 18, 'underlying_price', 'nonNegative');
    set('delta', 19, 'delta', 'any');
    set('gamma', 20, 'gamma', 'any');
    set('vega', 21, 'vega', 'any');
    set('theta', 22, 'theta', 'any');
    set('rho', 23, 'rho', 'any');
    return event;
  }
}

/** Whether `text` holds `word` at `at` (the caller checked the length). */
function matches(text: string, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) if (text.charCodeAt(at + i) !== word.charCodeAt(i)) return false;
  return true;
}

function sortLevels(bids: Level[], asks: Level[]): void {
  for (let i = 1; i < bids.length; i++) {
    if (bids[i]!.price > bids[i - 1]!.price) {
      bids.sort((a, b) => b.price - a.price);
      break;
    }
  }
  for (let i = 1; i < asks.length; i++) {
    if (asks[i]!.price < asks[i - 1]!.price) {
      asks.sort((a, b) => a.price - b.price);
      break;
    }
  }
}

/**
 * Parses a whole Tardis CSV text held in memory (tests, small files); same rules as
 * `readTardisCsv`. `fileName` lets the data type come from a Tardis file name.
 */
export function parseTardisCsvText(
  text: string,
  options: TardisReadOptions = {},
  fileName?: string,
): MarketEvent[] {
  const parser = new TardisCsvParser(options, fileName);
  const splitter = new CsvLineSplitter(parser);
  splitter.push(Buffer.from(text, 'utf8'));
  splitter.end();
  parser.end();
  return parser.take();
}

/**
 * Reads a file chunk by chunk: each `step` parses one chunk synchronously and gives its events;
 * a parse error comes after the events read before it.
 */
class TardisPump {
  private source: AsyncIterator<Buffer> | undefined;
  private stream: Readable | undefined;
  private finished = false;

  private constructor(
    private readonly path: string,
    private readonly parser: TardisCsvParser,
    private readonly splitter: CsvLineSplitter,
  ) {}

  static create(path: string, options: TardisReadOptions): TardisPump {
    const parser = new TardisCsvParser(options, path);
    return new TardisPump(path, parser, new CsvLineSplitter(parser));
  }

  /** The next chunk's events (possibly none), whether the file is done, and an error to throw after the events. */
  async step(): Promise<{ events: MarketEvent[]; done: boolean; error?: unknown }> {
    if (this.finished) return { events: [], done: true };
    if (this.source === undefined) {
      const { stream, gzip } = await openCsvByteStream(this.path);
      this.stream = stream;
      this.gzip = gzip;
      this.source = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    }
    let chunk: IteratorResult<Buffer>;
    try {
      chunk = await this.source.next();
    } catch (error) {
      this.close();
      const message = error instanceof Error ? error.message : String(error);
      return {
        events: [],
        done: true,
        error: this.gzip ? new ParseError('file', this.path, `cannot gunzip: ${message}`) : error,
      };
    }
    try {
      if (chunk.done) {
        this.splitter.end();
        this.parser.end();
        this.finished = true;
      } else {
        this.splitter.push(chunk.value);
        if (this.parser.stopped) this.close();
      }
    } catch (error) {
      this.close();
      return { events: this.parser.take(), done: true, error };
    }
    return { events: this.parser.take(), done: this.finished };
  }

  private gzip = false;

  close(): void {
    this.finished = true;
    this.stream?.destroy();
  }
}

/**
 * The events of a Tardis CSV file (plain or gzipped), in file order. See the module comment for
 * the mapping and the treatment of bad rows. Iterating twice reads the file twice.
 */
export function readTardisCsv(path: string, options: TardisReadOptions = {}): AsyncIterable<MarketEvent> {
  return {
    [Symbol.asyncIterator]: (): AsyncIterator<MarketEvent> =>
      new TardisEventIterator(TardisPump.create(path, options)),
  };
}

/**
 * The same events as `readTardisCsv`, one array per chunk read (about 1 MB of text): one promise
 * per chunk instead of one per event, for consumers that go through millions of rows.
 */
export async function* readTardisCsvBatches(
  path: string,
  options: TardisReadOptions = {},
): AsyncGenerator<MarketEvent[], void, undefined> {
  const pump = TardisPump.create(path, options);
  try {
    for (;;) {
      const { events, done, error } = await pump.step();
      if (events.length > 0) yield events;
      if (error !== undefined) throw error;
      if (done) return;
    }
  } finally {
    pump.close();
  }
}

class TardisEventIterator implements AsyncIterator<MarketEvent> {
  private buffer: MarketEvent[] = [];
  private pos = 0;
  private done = false;
  private error: unknown = undefined;

  constructor(private readonly pump: TardisPump) {}

  next(): Promise<IteratorResult<MarketEvent>> {
    if (this.pos < this.buffer.length)
      return Promise.resolve({ value: this.buffer[this.pos++]!, done: false });
    return this.fill();
  }

  private async fill(): Promise<IteratorResult<MarketEvent>> {
    for (;;) {
      if (this.pos < this.buffer.length) return { value: this.buffer[this.pos++]!, done: false };
      if (this.error !== undefined) {
        const error = this.error;
        this.error = undefined;
        throw error;
      }
      if (this.done) return { value: undefined, done: true };
      const { events, done, error } = await this.pump.step();
      this.buffer = events;
      this.pos = 0;
      this.done = done;
      this.error = error;
    }
  }

  return(): Promise<IteratorResult<MarketEvent>> {
    this.done = true;
    this.buffer = [];
    this.pos = 0;
    this.error = undefined;
    this.pump.close();
    return Promise.resolve({ value: undefined, done: true });
  }
}
