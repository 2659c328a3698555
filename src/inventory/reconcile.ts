/**
 * Reconciliation with the venue: read the venue's account snapshot (the shapes of Deribit's
 * `private/get_account_summary`, `private/get_account_summaries` and `private/get_positions`)
 * and report every difference in cash, position or average price against a ledger folded up to
 * the snapshot's time. Pure: the caller folds the journal (`src/cli/commands/book-journal.ts`).
 *
 * What is compared (Deribit API docs, field descriptions of those methods):
 * - cash: `balance` of each currency's summary (the cash balance; `equity` adds the unsettled
 *   session P&L) against `Ledger.cash()`, the balance after settlements;
 * - position: `size` (USD for futures, base currency for options; signed by `direction`)
 *   against the ledger's signed amount, for every instrument either side holds in a currency the
 *   snapshot covers (the currencies of its summaries and of its positions);
 * - average price: `average_price` against the ledger's average entry price, when the position
 *   is open.
 *
 * Tolerance. The venue reports balances with 8 decimals (`VENUE_REPORTED_DECIMALS`, money.ts),
 * rounded by a rule it does not document; we keep 12 and round half-even. Cash and amounts differ
 * when `|ours - venue| > 10^-8` (one unit of the venue's last decimal: its rounding and ours are
 * each within half a unit). An average price is written with fewer decimals (`7440.18`), so it
 * differs when `|ours - venue|` exceeds half a unit of the last decimal the venue wrote, plus
 * 10^-8.
 *
 * Time: the snapshot's `timestamp` (ms) when the file carries one (the combined form below), else
 * the JSON-RPC `usOut` (microseconds) of a response, else none (the caller then folds the whole
 * journal, and says so).
 */
import { InputError, ParseError } from '../model/errors.js';
import { requireInstrument } from './events.js';
import type { Ledger } from './ledger.js';
import {
  abs,
  formatMoney,
  MONEY_DECIMALS,
  parseMoney,
  VENUE_REPORTED_DECIMALS,
  ZERO,
  type Money,
} from './money.js';

/** One currency's summary as the venue reports it. */
export interface VenueSummary {
  currency: string;
  /** Cash balance (`balance`). */
  balance: Money;
}

/** One position as the venue reports it. */
export interface VenuePosition {
  instrument: string;
  /** Signed, in the venue's unit (`size`, negative for `direction: "sell"`). */
  size: Money;
  /** `average_price`, in the instrument's price currency. */
  averagePrice: Money;
  /** The settlement currency of the instrument. */
  currency: string;
}

/** The venue's account snapshot. */
export interface AccountSnapshot {
  /** When the venue took it (ms since the epoch), if the file says. */
  atMs: number | null;
  summaries: VenueSummary[];
  positions: VenuePosition[];
}

/** One difference between the ledger and the venue. */
export interface Difference {
  kind: 'cash' | 'position' | 'average_price';
  /** The currency (cash) or the instrument's settlement currency. */
  currency: string;
  /** The instrument (position, average price). */
  instrument?: string;
  /** Our figure, exact (null: we have none). */
  ours: string | null;
  /** The venue's figure (null: the venue has none). */
  venue: string | null;
  /** `ours - venue` (absent when one side has no figure). */
  difference?: string;
  /** The tolerance applied. */
  tolerance: string;
}

/** What a reconciliation found. */
export interface ReconcileReport {
  atMs: number | null;
  /** Currencies the snapshot covers. */
  currencies: string[];
  compared: { cash: number; positions: number; averagePrices: number };
  differences: Difference[];
}

/** 10^-8 at the money scale: one unit of the venue's last reported decimal. */
export const VENUE_TOLERANCE: Money = 10n ** BigInt(MONEY_DECIMALS - VENUE_REPORTED_DECIMALS);

/**
 * Reads a snapshot file's text: one JSON document or JSON Lines of documents, each a response
 * (or its `result`) of `private/get_account_summary`, `private/get_account_summaries` or
 * `private/get_positions`, or the combined form
 * `{"timestamp": ms, "account_summary": ..., "account_summaries": ..., "positions": ...}`.
 */
export function parseAccountSnapshot(text: string): AccountSnapshot {
  const snapshot: AccountSnapshot = { atMs: null, summaries: [], positions: [] };
  const documents = parseDocuments(text);
  documents.forEach((doc, index) =>
    readDocument(snapshot, doc, documents.length === 1 ? '' : `document ${index + 1}: `),
  );
  if (
    snapshot.summaries.length === 0 &&
    snapshot.positions.length === 0 &&
    documents.every((d) => !looksLikePositions(d))
  ) {
    throw new InputError(
      'snapshot',
      text.slice(0, 60),
      'an account summary or a positions response of the venue',
    );
  }
  return snapshot;
}

/** Compares the ledger (folded to the snapshot's time) with the snapshot. */
export function reconcile(snapshot: AccountSnapshot, ledger: Ledger): ReconcileReport {
  const currencies = new Set<string>([
    ...snapshot.summaries.map((s) => s.currency),
    ...snapshot.positions.map((p) => p.currency),
  ]);
  const report: ReconcileReport = {
    atMs: snapshot.atMs,
    currencies: [...currencies].sort(),
    compared: { cash: 0, positions: 0, averagePrices: 0 },
    differences: [],
  };
  const cash = ledger.cash();
  for (const summary of snapshot.summaries) {
    report.compared.cash += 1;
    const ours = cash[summary.currency] ?? ZERO;
    if (abs(ours - summary.balance) > VENUE_TOLERANCE) {
      report.differences.push(
        difference('cash', summary.currency, undefined, ours, summary.balance, VENUE_TOLERANCE),
      );
    }
  }
  const venuePositions = new Map(snapshot.positions.map((p) => [p.instrument, p]));
  const ourPositions = new Map(
    ledger
      .positions(true)
      .filter((p) => currencies.has(p.settlementCurrency))
      .map((p) => [p.instrument, p]),
  );
  const instruments = [...new Set([...venuePositions.keys(), ...ourPositions.keys()])].sort();
  for (const instrument of instruments) {
    const theirs = venuePositions.get(instrument);
    const ours = ourPositions.get(instrument);
    const currency = theirs?.currency ?? ours?.settlementCurrency ?? '';
    const ourAmount = ours?.amount ?? ZERO;
    const theirAmount = theirs?.size ?? ZERO;
    report.compared.positions += 1;
    if (abs(ourAmount - theirAmount) > VENUE_TOLERANCE) {
      report.differences.push(
        difference('position', currency, instrument, ourAmount, theirAmount, VENUE_TOLERANCE),
      );
    }
    const ourAverage = ours?.averagePrice ?? null;
    if (theirs === undefined || theirAmount === ZERO || ourAverage === null) continue;
    report.compared.averagePrices += 1;
    const tolerance = halfUnitOfLastDecimal(theirs.averagePrice) + VENUE_TOLERANCE;
    if (abs(ourAverage - theirs.averagePrice) > tolerance) {
      report.differences.push(
        difference('average_price', currency, instrument, ourAverage, theirs.averagePrice, tolerance),
      );
    }
  }
  return report;
}

function difference(
  kind: Difference['kind'],
  currency: string,
  instrument: string | undefined,
  ours: Money,
  venue: Money,
  tolerance: Money,
): Difference {
  return {
    kind,
    currency,
    ...(instrument === undefined ? {} : { instrument }),
    ours: formatMoney(ours),
    venue: formatMoney(venue),
    difference: formatMoney(ours - venue),
    tolerance: formatMoney(tolerance),
  };
}

/** Half a unit of the last non-zero decimal of `x` (0.005 for 7440.18, 0.5 for 7440). */
export function halfUnitOfLastDecimal(x: Money): Money {
  let step = 10n ** BigInt(MONEY_DECIMALS);
  while (step > 1n && x % step !== ZERO) step /= 10n;
  return step / 2n;
}

// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function parseDocuments(text: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    // JSON Lines of documents.
  }
  const documents: unknown[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    try {
      documents.push(JSON.parse(line));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ParseError(`snapshot line ${index + 1}`, line.slice(0, 60), `malformed JSON (${reason})`);
    }
  });
  return documents;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function looksLikePositions(doc: unknown): boolean {
  const result = isObject(doc) && 'result' in doc ? doc.result : doc;
  return Array.isArray(result);
}

function readDocument(snapshot: AccountSnapshot, doc: unknown, where: string): void {
  if (!isObject(doc) && !Array.isArray(doc))
    throw new InputError(`${where}document`, doc, 'a JSON object or array');
  if (isObject(doc)) {
    if (typeof doc.timestamp === 'number') snapshot.atMs = readTime(doc.timestamp, `${where}timestamp`);
    else if (typeof doc.usOut === 'number' && snapshot.atMs === null)
      snapshot.atMs = Math.floor(doc.usOut / 1000);
    let combined = false;
    for (const key of ['account_summary', 'account_summaries', 'positions'] as const) {
      if (doc[key] !== undefined) {
        combined = true;
        readDocument(snapshot, doc[key], `${where}${key}.`);
      }
    }
    if (combined) return;
  }
  const result = isObject(doc) && 'result' in doc ? doc.result : doc;
  const path = isObject(doc) && 'result' in doc ? `${where}result` : where.replace(/\.$/, '') || 'document';
  if (Array.isArray(result)) {
    result.forEach((entry, i) => snapshot.positions.push(readPosition(entry, `${path}[${i}]`)));
  } else if (isObject(result) && Array.isArray(result.summaries)) {
    result.summaries.forEach((entry, i) =>
      snapshot.summaries.push(readSummary(entry, `${path}.summaries[${i}]`)),
    );
  } else if (isObject(result) && 'balance' in result) {
    snapshot.summaries.push(readSummary(result, path));
  } else {
    throw new InputError(path, result, 'an account summary (with balance) or a list of positions');
  }
}

function readTime(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new InputError(field, value, 'ms since the epoch');
  return value;
}

function money(entry: Json, field: string, path: string): Money {
  const value = entry[field];
  if (typeof value !== 'number' && typeof value !== 'string')
    throw new InputError(`${path}.${field}`, value, 'a number');
  // A venue average price may carry more than 12 decimals (a mean): rounded half-even, far below the tolerance.
  return parseMoney(value, { field: `${path}.${field}`, rounding: 'half-even' });
}

function readSummary(entry: unknown, path: string): VenueSummary {
  if (!isObject(entry)) throw new InputError(path, entry, 'an account summary object');
  const currency = entry.currency;
  if (typeof currency !== 'string' || currency === '')
    throw new InputError(`${path}.currency`, currency, 'a currency code');
  return { currency: currency.toUpperCase(), balance: money(entry, 'balance', path) };
}

function readPosition(entry: unknown, path: string): VenuePosition {
  if (!isObject(entry)) throw new InputError(path, entry, 'a position object');
  const instrument = entry.instrument_name;
  const parsed = requireInstrument(instrument, `${path}.instrument_name`);
  const size = money(entry, 'size', path);
  const direction = entry.direction;
  if (direction !== undefined && direction !== 'buy' && direction !== 'sell' && direction !== 'zero') {
    throw new InputError(`${path}.direction`, direction, '"buy", "sell" or "zero"');
  }
  // `size` is signed by the venue; `direction` settles it if a file writes it unsigned.
  const signed = direction === 'sell' ? -abs(size) : direction === 'buy' ? abs(size) : size;
  return {
    instrument: instrument as string,
    size: signed,
    averagePrice: money(entry, 'average_price', path),
    currency: parsed.settlementCurrency,
  };
}
