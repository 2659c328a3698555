/**
 * Deribit WebSocket notifications saved as JSON Lines, read as normalized market events.
 *
 * Each non-blank line is one JSON value. Accepted forms:
 * - a JSON-RPC 2.0 notification as Deribit sends it:
 *   `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{...}}}`;
 * - the `params` object alone: `{"channel":"...","data":{...}}`;
 * - either of those wrapped with the recorder's receive time:
 *   `{"local_timestamp_ms":1554373962460,"message":{...}}` (`message` an object or a JSON text); the
 *   time (ms since the epoch, a finite number >= 0, optional) becomes every event's `localTimestampMs`.
 *
 * Channels read (instrument names contain no dot, so the channel splits at dots):
 * - `book.{instrument}.{interval}`: `type: "snapshot"` gives a `BookSnapshotEvent` (`full: true`,
 *   levels `["new", price, amount]` with amount > 0, sorted best first if they were not);
 *   `type: "change"` gives a `BookChangeEvent` with `prev_change_id` required (a `delete` level's
 *   amount is 0 whatever was sent). `change_id` / `prev_change_id`: safe integers >= 0.
 * - `book.{instrument}.{group}.{depth}.{interval}`: levels `[price, amount]`, a whole top of book
 *   each message: `BookSnapshotEvent` with `full: false` and the message's `change_id`.
 * - `trades.{instrument}.{interval}` and `trades.{kind}.{currency}.{interval}`: `data` is an array,
 *   one `TradeEvent` per element (`direction` is the taker's side; `liquidation` present means
 *   true, absent leaves it unknown; `trade_id` a string, or an integer made a string).
 * - `ticker.{instrument}.{interval}`: `TickerEvent`; `null` fields and a side whose best price and
 *   amount are both 0 are left out; greeks from `greeks`.
 * - `quote.{instrument}`: `QuoteEvent`; a side with a null price or a zero amount is empty (nulls).
 * Every event has `venue: "deribit"`, the instrument from `instrument_name` (which must equal the
 * channel's instrument where the channel names one) and `timestampMs` from `timestamp` (finite,
 * >= 0). Prices must be finite numbers and amounts finite and >= 0; unknown fields are ignored.
 *
 * Skipped without error, each a record that gives no events: JSON-RPC responses (`id` with
 * `result` or `error`), `heartbeat` messages (including `test_request`), any other method, and
 * notifications on any other channel (or a known channel name of another shape). Everything
 * else is a bad record: malformed JSON, a value that is not an object, an object that is none
 * of the forms above, a read channel whose `data` has a missing or wrong field. A bad record's
 * message names the field relative to the message: `data.bids[0][1]: got "abc", expected a
 * finite number`.
 *
 * Files are plain or gzip (detected by the magic bytes, whatever the name), UTF-8, lines ended by
 * `\n` or `\r\n`; line numbers are physical (blank lines count).
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { describeValue, ParseError } from '../../model/errors.js';
import type {
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
import { isGzipFile } from './csv-rows.js';

const VENUE = 'deribit';

/** A field that is missing or wrong; becomes a `ParseError` naming the line. */
class FieldProblem {
  constructor(readonly message: string) {}
}

function fail(field: string, value: unknown, expected: string): never {
  let got: string;
  try {
    got = describeValue(value);
  } catch {
    got = 'got a value nested too deeply to show'; // String() of it overflowed the stack
  }
  if (got.length > 80) got = `${got.slice(0, 77)}...`;
  throw new FieldProblem(`${field}: ${got}, expected ${expected}`);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function abbreviate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The events of one line (a JSON text, or the value already parsed): none for a skipped
 * message. A bad record throws `ParseError` (`what`: `line N`, `reason`: the field and problem).
 */
export function parseDeribitNotification(line: string | object, lineNumber: number): MarketEvent[] {
  const out: MarketEvent[] = [];
  parseInto(line, lineNumber, out);
  return out;
}

/** `parseDeribitNotification`, appending to `out` (left as it was when the record is bad). */
function parseInto(line: string | object, lineNumber: number, out: MarketEvent[]): void {
  const before = out.length;
  try {
    let value: unknown = line;
    if (typeof line === 'string') {
      try {
        value = JSON.parse(line);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new FieldProblem(`JSON: malformed (${abbreviate(reason)})`);
      }
    }
    readMessage(value, out);
  } catch (error) {
    out.length = before;
    if (error instanceof FieldProblem) {
      throw new ParseError(`line ${lineNumber}`, abbreviate(textOf(line)), error.message);
    }
    // Anything else (a stack overflow on absurd nesting, say) is still this record's fault.
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new ParseError(`line ${lineNumber}`, abbreviate(textOf(line)), `record: ${abbreviate(reason)}`);
  }
}

function textOf(line: string | object): string {
  if (typeof line === 'string') return line;
  try {
    return JSON.stringify(line) ?? String(line);
  } catch {
    return '(a value that cannot be shown)';
  }
}

function readMessage(value: unknown, out: MarketEvent[]): void {
  if (!isObject(value)) fail('line', value, 'a JSON object (a Deribit notification)');
  let message: Json = value;
  let local: number | undefined;
  if ('message' in value && !('method' in value) && !('params' in value)) {
    const inner = value.message;
    let parsed: unknown = inner;
    if (typeof inner === 'string') {
      try {
        parsed = JSON.parse(inner);
      } catch {
        fail('message', inner, 'a notification (an object or its JSON text)');
      }
    }
    if (!isObject(parsed)) fail('message', inner, 'a notification (an object or its JSON text)');
    const t = value.local_timestamp_ms;
    if (t !== undefined) {
      if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
        fail('local_timestamp_ms', t, 'ms since the epoch, a finite number >= 0');
      }
      local = t;
    }
    message = parsed;
  }
  let params: Json;
  const method = message.method;
  if (method === 'subscription') {
    const p = message.params;
    if (!isObject(p)) fail('params', p, 'an object with channel and data');
    params = p;
  } else if (method !== undefined) {
    // heartbeat / test_request, requests echoed by a recorder: nothing for the market.
    if (typeof method !== 'string') fail('method', method, 'a string');
    return;
  } else if ('id' in message && ('result' in message || 'error' in message)) {
    return; // a JSON-RPC response
  } else if ('channel' in message) {
    params = message;
  } else {
    fail('method', undefined, '"subscription" (or a JSON-RPC response, or a params object with channel)');
  }
  const channel = params.channel;
  if (typeof channel !== 'string' || channel === '') fail('channel', channel, 'a non-empty string');
  readChannel(channel, params.data, local, out);
}

/** The last channel split: a recording repeats a few channels, so most lines split nothing. */
let lastChannel = '';
let lastParts: string[] = [''];

function readChannel(channel: string, data: unknown, local: number | undefined, out: MarketEvent[]): void {
  if (channel !== lastChannel) {
    lastParts = channel.split('.');
    lastChannel = channel;
  }
  const parts = lastParts;
  const kind = parts[0];
  const n = parts.length;
  if (kind === 'book') {
    if (n === 3) out.push(readBook(data, parts[1]!, local));
    else if (n === 5) out.push(readGroupedBook(data, parts[1]!, local));
  } else if (kind === 'trades') {
    if (n === 3) readTrades(data, parts[1]!, local, out);
    else if (n === 4) readTrades(data, undefined, local, out);
  } else if (kind === 'ticker') {
    if (n === 3) out.push(readTicker(data, parts[1]!, local));
  } else if (kind === 'quote') {
    if (n === 2) out.push(readQuote(data, parts[1]!, local));
  }
  // Any other channel: skipped.
}

function dataObject(data: unknown): Json {
  if (!isObject(data)) fail('data', data, 'an object');
  return data;
}

function instrumentOf(data: Json, field: string, channelInstrument: string | undefined): string {
  const name = data.instrument_name;
  if (typeof name !== 'string' || name === '') fail(`${field}.instrument_name`, name, 'a non-empty string');
  if (channelInstrument !== undefined && name !== channelInstrument) {
    fail(`${field}.instrument_name`, name, `${JSON.stringify(channelInstrument)} as in the channel`);
  }
  return name;
}

function timestampOf(data: Json, field: string): number {
  const t = data.timestamp;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    fail(`${field}.timestamp`, t, 'ms since the epoch, a finite number >= 0');
  }
  return t;
}

function changeIdOf(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(field, value, 'a safe integer >= 0');
  }
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, value, 'a finite number');
  return value;
}

function amount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(field, value, 'a finite number >= 0');
  }
  return value;
}

function positiveAmount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0)) {
    fail(field, value, 'a finite number > 0');
  }
  return value;
}

/** An optional number: undefined when absent or null. */
function optionalFinite(data: Json, key: string, field: string): number | undefined {
  const v = data[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${field}.${key}`, v, 'a finite number or null');
  return v;
}

function readBook(raw: unknown, channelInstrument: string, local: number | undefined): MarketEvent {
  const data = dataObject(raw);
  const type = data.type;
  const instrument = instrumentOf(data, 'data', channelInstrument);
  const timestampMs = timestampOf(data, 'data');
  const changeId = changeIdOf(data.change_id, 'data.change_id');
  if (type === 'change') {
    const prevChangeId = changeIdOf(data.prev_change_id, 'data.prev_change_id');
    const event: BookChangeEvent = {
      type: 'book_change',
      venue: VENUE,
      instrument,
      timestampMs,
      changeId,
      prevChangeId,
      bids: levelChanges(data.bids, 'data.bids'),
      asks: levelChanges(data.asks, 'data.asks'),
    };
    if (local !== undefined) event.localTimestampMs = local;
    return event;
  }
  if (type !== 'snapshot') fail('data.type', type, '"snapshot" or "change"');
  const event: BookSnapshotEvent = {
    type: 'book_snapshot',
    venue: VENUE,
    instrument,
    timestampMs,
    changeId,
    bids: bestFirst(snapshotLevels(data.bids, 'data.bids'), true),
    asks: bestFirst(snapshotLevels(data.asks, 'data.asks'), false),
    full: true,
  };
  if (local !== undefined) event.localTimestampMs = local;
  return event;
}

function levelChanges(raw: unknown, field: string): LevelChange[] {
  if (!Array.isArray(raw)) fail(field, raw, 'an array of [action, price, amount]');
  const n = raw.length;
  const out: LevelChange[] = new Array<LevelChange>(n);
  for (let i = 0; i < n; i++) {
    const t: unknown = raw[i];
    if (!Array.isArray(t) || t.length !== 3) fail(`${field}[${i}]`, t, '[action, price, amount]');
    const a: unknown = t[0];
    const price = finite(t[1], `${field}[${i}][1]`);
    const size = amount(t[2], `${field}[${i}][2]`);
    if (a === 'change' || a === 'new') out[i] = { price, amount: size, action: a };
    else if (a === 'delete') out[i] = { price, amount: 0, action: a };
    else fail(`${field}[${i}][0]`, a, '"new", "change" or "delete"');
  }
  return out;
}

function snapshotLevels(raw: unknown, field: string): Level[] {
  if (!Array.isArray(raw)) fail(field, raw, 'an array of ["new", price, amount]');
  const n = raw.length;
  const out: Level[] = new Array<Level>(n);
  for (let i = 0; i < n; i++) {
    const t: unknown = raw[i];
    if (!Array.isArray(t) || t.length !== 3) fail(`${field}[${i}]`, t, '["new", price, amount]');
    if (t[0] !== 'new') fail(`${field}[${i}][0]`, t[0], '"new" in a snapshot');
    out[i] = { price: finite(t[1], `${field}[${i}][1]`), amount: positiveAmount(t[2], `${field}[${i}][2]`) };
  }
  return out;
}

function groupedLevels(raw: unknown, field: string): Level[] {
  if (!Array.isArray(raw)) fail(field, raw, 'an array of [price, amount]');
  const n = raw.length;
  const out: Level[] = new Array<Level>(n);
  for (let i = 0; i < n; i++) {
    const t: unknown = raw[i];
    if (!Array.isArray(t) || t.length !== 2) fail(`${field}[${i}]`, t, '[price, amount]');
    out[i] = { price: finite(t[0], `${field}[${i}][0]`), amount: positiveAmount(t[1], `${field}[${i}][1]`) };
  }
  return out;
}

/** Sorts best first (bids descending, asks ascending) unless they already are. */
function bestFirst(levels: Level[], bids: boolean): Level[] {
  for (let i = 1; i < levels.length; i++) {
    const a = levels[i - 1]!.price;
    const b = levels[i]!.price;
    if (bids ? a < b : a > b)
      return levels.sort(bids ? (x, y) => y.price - x.price : (x, y) => x.price - y.price);
  }
  return levels;
}

function readGroupedBook(raw: unknown, channelInstrument: string, local: number | undefined): MarketEvent {
  const data = dataObject(raw);
  const event: BookSnapshotEvent = {
    type: 'book_snapshot',
    venue: VENUE,
    instrument: instrumentOf(data, 'data', channelInstrument),
    timestampMs: timestampOf(data, 'data'),
    changeId: changeIdOf(data.change_id, 'data.change_id'),
    bids: bestFirst(groupedLevels(data.bids, 'data.bids'), true),
    asks: bestFirst(groupedLevels(data.asks, 'data.asks'), false),
    full: false,
  };
  if (local !== undefined) event.localTimestampMs = local;
  return event;
}

function readTrades(
  raw: unknown,
  channelInstrument: string | undefined,
  local: number | undefined,
  out: MarketEvent[],
): void {
  if (!Array.isArray(raw)) fail('data', raw, 'an array of trades');
  for (let i = 0; i < raw.length; i++) {
    const field = `data[${i}]`;
    const t: unknown = raw[i];
    if (!isObject(t)) fail(field, t, 'a trade object');
    const id = t.trade_id;
    let tradeId: string;
    if (typeof id === 'string' && id !== '') tradeId = id;
    else if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) tradeId = String(id);
    else fail(`${field}.trade_id`, id, 'a non-empty string');
    const direction = t.direction;
    if (direction !== 'buy' && direction !== 'sell') fail(`${field}.direction`, direction, '"buy" or "sell"');
    const event: TradeEvent = {
      type: 'trade',
      venue: VENUE,
      instrument: instrumentOf(t, field, channelInstrument),
      timestampMs: timestampOf(t, field),
      tradeId,
      price: finite(t.price, `${field}.price`),
      amount: amount(t.amount, `${field}.amount`),
      side: direction,
    };
    if (t.trade_seq !== undefined) event.tradeSeq = changeIdOf(t.trade_seq, `${field}.trade_seq`);
    const mark = optionalFinite(t, 'mark_price', field);
    if (mark !== undefined) event.markPrice = mark;
    const index = optionalFinite(t, 'index_price', field);
    if (index !== undefined) event.indexPrice = index;
    const iv = optionalFinite(t, 'iv', field);
    if (iv !== undefined) event.iv = iv;
    const liquidation = t.liquidation;
    if (liquidation !== undefined) {
      if (liquidation !== 'M' && liquidation !== 'T' && liquidation !== 'MT') {
        fail(`${field}.liquidation`, liquidation, '"M", "T" or "MT"');
      }
      event.liquidation = true;
    }
    if (local !== undefined) event.localTimestampMs = local;
    out.push(event);
  }
}

const TICKER_FIELDS = [
  ['mark_price', 'markPrice'],
  ['index_price', 'indexPrice'],
  ['underlying_price', 'underlyingPrice'],
  ['last_price', 'lastPrice'],
  ['open_interest', 'openInterest'],
  ['current_funding', 'fundingRate'],
  ['funding_8h', 'funding8h'],
  ['mark_iv', 'markIv'],
  ['bid_iv', 'bidIv'],
  ['ask_iv', 'askIv'],
] as const;

const GREEKS = ['delta', 'gamma', 'vega', 'theta', 'rho'] as const;

function readTicker(raw: unknown, channelInstrument: string, local: number | undefined): MarketEvent {
  const data = dataObject(raw);
  const event: TickerEvent = {
    type: 'ticker',
    venue: VENUE,
    instrument: instrumentOf(data, 'data', channelInstrument),
    timestampMs: timestampOf(data, 'data'),
  };
  if (local !== undefined) event.localTimestampMs = local;
  for (const [from, to] of TICKER_FIELDS) {
    const v = optionalFinite(data, from, 'data');
    if (v !== undefined) event[to] = v;
  }
  const bidPrice = optionalFinite(data, 'best_bid_price', 'data');
  const bidAmount = optionalAmount(data, 'best_bid_amount', 'data');
  if (!(bidPrice === 0 && bidAmount === 0)) {
    if (bidPrice !== undefined) event.bidPrice = bidPrice;
    if (bidAmount !== undefined) event.bidAmount = bidAmount;
  }
  const askPrice = optionalFinite(data, 'best_ask_price', 'data');
  const askAmount = optionalAmount(data, 'best_ask_amount', 'data');
  if (!(askPrice === 0 && askAmount === 0)) {
    if (askPrice !== undefined) event.askPrice = askPrice;
    if (askAmount !== undefined) event.askAmount = askAmount;
  }
  const underlyingIndex = data.underlying_index;
  if (underlyingIndex !== undefined && underlyingIndex !== null) {
    if (typeof underlyingIndex !== 'string') fail('data.underlying_index', underlyingIndex, 'a string');
    event.underlyingIndex = underlyingIndex;
  }
  const greeks = data.greeks;
  if (greeks !== undefined && greeks !== null) {
    if (!isObject(greeks)) fail('data.greeks', greeks, 'an object');
    for (const g of GREEKS) {
      const v = optionalFinite(greeks, g, 'data.greeks');
      if (v !== undefined) event[g] = v;
    }
  }
  return event;
}

function optionalAmount(data: Json, key: string, field: string): number | undefined {
  const v = data[key];
  if (v === undefined || v === null) return undefined;
  return amount(v, `${field}.${key}`);
}

function readQuote(raw: unknown, channelInstrument: string, local: number | undefined): MarketEvent {
  const data = dataObject(raw);
  const instrument = instrumentOf(data, 'data', channelInstrument);
  const timestampMs = timestampOf(data, 'data');
  let bidPrice = optionalFinite(data, 'best_bid_price', 'data') ?? null;
  let bidAmount = optionalAmount(data, 'best_bid_amount', 'data') ?? null;
  if (bidPrice === null || !bidAmount) bidPrice = bidAmount = null;
  let askPrice = optionalFinite(data, 'best_ask_price', 'data') ?? null;
  let askAmount = optionalAmount(data, 'best_ask_amount', 'data') ?? null;
  if (askPrice === null || !askAmount) askPrice = askAmount = null;
  const event: QuoteEvent = {
    type: 'quote',
    venue: VENUE,
    instrument,
    timestampMs,
    bidPrice,
    bidAmount,
    askPrice,
    askAmount,
  };
  if (local !== undefined) event.localTimestampMs = local;
  return event;
}

/** The file's text as a stream of UTF-8 string chunks, gunzipped when it is gzip. */
async function openText(path: string, chunkBytes: number): Promise<Readable> {
  const gz = await isGzipFile(path);
  const source = createReadStream(path, { highWaterMark: chunkBytes });
  if (!gz) {
    source.setEncoding('utf8');
    return source;
  }
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  gunzip.setEncoding('utf8');
  return gunzip;
}

/** How much of the file is read at a time (bytes). */
const CHUNK_BYTES = 1 << 20;

/**
 * The file's events a chunk at a time: each array holds the events of the lines completed by
 * one chunk of the file (possibly none). Lines are split and parsed synchronously within a chunk.
 * Same events, order, `onRecord` / `onBadRecord` calls and errors as `readDeribitJsonl`.
 */
export async function* readDeribitJsonlBatches(
  path: string,
  options: RecordedReadOptions = {},
): AsyncGenerator<MarketEvent[]> {
  const stream = await openText(path, CHUNK_BYTES);
  const reader = new LineParser(options);
  try {
    for await (const chunk of stream) {
      const out: MarketEvent[] = [];
      reader.chunk(chunk as string, out);
      if (out.length > 0) yield out;
    }
    const out: MarketEvent[] = [];
    reader.end(out);
    if (out.length > 0) yield out;
  } finally {
    stream.destroy();
  }
}

/**
 * Reads a file of Deribit notifications (plain or gzipped JSON Lines) as normalized events in
 * file order. A bad record is reported to `options.onBadRecord` and skipped, or without it
 * throws a `ParseError` naming the line number and the field. `options.onRecord` is called once
 * per non-blank line with the events it gave (none for a skipped or bad one).
 */
export function readDeribitJsonl(
  path: string,
  options: RecordedReadOptions = {},
): AsyncIterable<MarketEvent> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<MarketEvent> {
      return new EventIterator(readDeribitJsonlBatches(path, options));
    },
  };
}

/** Hands out a batch's events one by one without an async generator frame per event. */
class EventIterator implements AsyncIterator<MarketEvent> {
  private batch: MarketEvent[] = [];
  private index = 0;

  constructor(private readonly batches: AsyncGenerator<MarketEvent[]>) {}

  next(): Promise<IteratorResult<MarketEvent>> {
    if (this.index < this.batch.length) {
      return Promise.resolve({ done: false, value: this.batch[this.index++]! });
    }
    return this.refill();
  }

  private async refill(): Promise<IteratorResult<MarketEvent>> {
    const next = await this.batches.next();
    if (next.done === true) return { done: true, value: undefined };
    this.batch = next.value;
    this.index = 1;
    return { done: false, value: this.batch[0]! };
  }

  async return(): Promise<IteratorResult<MarketEvent>> {
    this.batch = [];
    await this.batches.return(undefined);
    return { done: true, value: undefined };
  }
}

/** Splits chunks of text into lines and parses each, synchronously. */
class LineParser {
  private rest = '';
  private lineNumber = 0;

  constructor(private readonly options: RecordedReadOptions) {}

  chunk(chunk: string, out: MarketEvent[]): void {
    const text = this.rest === '' ? chunk : this.rest + chunk;
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      this.line(text, start, i, out);
      start = i + 1;
    }
    this.rest = start === 0 ? text : text.slice(start);
  }

  end(out: MarketEvent[]): void {
    if (this.rest !== '') this.line(this.rest, 0, this.rest.length, out);
    this.rest = '';
  }

  private line(text: string, start: number, end: number, out: MarketEvent[]): void {
    this.lineNumber += 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end -= 1;
    if (end === start) return;
    const line = text.slice(start, end);
    // A JSON line starts with `{`; anything else may still be blank.
    if (line.charCodeAt(0) !== 123 && line.trim() === '') return;
    const { onBadRecord, onRecord } = this.options;
    const before = out.length;
    try {
      parseInto(line, this.lineNumber, out);
    } catch (error) {
      if (onBadRecord === undefined || !(error instanceof ParseError)) throw error;
      onBadRecord({ lineNumber: this.lineNumber, text: line.slice(0, 200), message: error.reason });
    }
    if (onRecord !== undefined) onRecord(this.lineNumber, out.length === before ? [] : out.slice(before));
  }
}
