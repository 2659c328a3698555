/**
 * One row of the documented fill import format (`docs/import-format.md`), from a JSON Lines
 * object or a CSV record, read into a `FillEvent`. Every field problem of the row is reported,
 * each naming the column as the file spells it.
 */
import { InputError } from '../../model/errors.js';
import { parseInstrumentName } from '../../model/instrument-name.js';
import { validateEvent, type FillEvent } from '../events.js';
import { parseMoney, type Money } from '../money.js';

/** The columns every row has, in the order a CSV export writes them. */
export const FILL_COLUMNS = [
  'venue',
  'trade_id',
  'trade_seq',
  'order_id',
  'instrument',
  'side',
  'amount',
  'price',
  'fee',
  'fee_currency',
  'liquidity',
  'timestamp',
] as const;

/** Columns a row may have. */
export const OPTIONAL_FILL_COLUMNS = ['liquidation'] as const;

/** One problem in one field of a row. */
export interface FieldProblem {
  /** The column, as the file names it (`amount`, `timestamp`, ...). */
  field: string;
  /** What is wrong: the value and what was expected. */
  message: string;
}

/** A row read: the fill, or every problem found. */
export type FillRowResult = { ok: true; fill: FillEvent } | { ok: false; problems: FieldProblem[] };

/** Where a row's values come from: JSON values, or CSV text (every value a string). */
export type RowSource = 'json' | 'csv';

/** The event field each column becomes, for errors raised by `validateEvent`. */
const COLUMN_OF_FIELD: Readonly<Record<string, string>> = {
  id: 'trade_id',
  sequence: 'trade_seq',
  orderId: 'order_id',
  feeCurrency: 'fee_currency',
  timestampMs: 'timestamp',
};

const KNOWN = new Set<string>([...FILL_COLUMNS, ...OPTIONAL_FILL_COLUMNS]);

/** Reads one row: an object of column name to value (JSON values, or strings from CSV). */
export function readFillRow(row: Readonly<Record<string, unknown>>, source: RowSource): FillRowResult {
  const problems: FieldProblem[] = [];
  const attempt = <T>(field: string, read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push({ field, message: error.message });
      return undefined;
    }
  };
  for (const name of Object.keys(row)) {
    if (!KNOWN.has(name))
      problems.push({ field: name, message: `${name}: an unknown column (see docs/import-format.md)` });
  }
  const venue = attempt('venue', () => text(row, 'venue'));
  const id = attempt('trade_id', () => identifier(row, 'trade_id'));
  const sequence = attempt('trade_seq', () => integer(row, 'trade_seq', source));
  const orderId = attempt('order_id', () => identifier(row, 'order_id'));
  const instrument = attempt('instrument', () => text(row, 'instrument'));
  const side = attempt('side', () => oneOf(row, 'side', ['buy', 'sell'] as const));
  const amount = attempt('amount', () => money(row, 'amount'));
  const price = attempt('price', () => money(row, 'price'));
  const fee = attempt('fee', () => money(row, 'fee'));
  const feeCurrency = attempt('fee_currency', () => text(row, 'fee_currency'));
  const liquidity = attempt('liquidity', () => oneOf(row, 'liquidity', ['maker', 'taker'] as const));
  const timestampMs = attempt('timestamp', () => integer(row, 'timestamp', source));
  const liquidation = attempt('liquidation', () => flag(row, 'liquidation', source));
  if (problems.length > 0) return { ok: false, problems };
  const fill: FillEvent = {
    type: 'fill',
    venue: venue as string,
    id: id as string,
    timestampMs: timestampMs as number,
    sequence: sequence as number,
    instrument: instrument as string,
    side: side as FillEvent['side'],
    amount: amount as Money,
    price: price as Money,
    fee: fee as Money,
    feeCurrency: feeCurrency as string,
    liquidity: liquidity as FillEvent['liquidity'],
    orderId: orderId as string,
    ...(liquidation === undefined ? {} : { liquidation }),
  };
  try {
    validateEvent(fill);
    checkFeeCurrency(fill);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const column = COLUMN_OF_FIELD[error.field] ?? error.field;
    return {
      ok: false,
      problems: [{ field: column, message: new InputError(column, error.value, error.expected).message }],
    };
  }
  return { ok: true, fill };
}

/** Settlement currency by instrument name (validated names only; a file names few instruments). */
const SETTLEMENT_CURRENCY = new Map<string, string>();

/**
 * Deribit charges a trade's fee in the instrument's settlement currency (the base coin for
 * inverse instruments, USDC for linear ones); another currency is refused rather than booked.
 */
function checkFeeCurrency(fill: FillEvent): void {
  let settlementCurrency = SETTLEMENT_CURRENCY.get(fill.instrument);
  if (settlementCurrency === undefined) {
    settlementCurrency = parseInstrumentName(fill.instrument).settlementCurrency;
    if (SETTLEMENT_CURRENCY.size > 100_000) SETTLEMENT_CURRENCY.clear();
    SETTLEMENT_CURRENCY.set(fill.instrument, settlementCurrency);
  }
  if (fill.feeCurrency !== settlementCurrency) {
    throw new InputError(
      'fee_currency',
      fill.feeCurrency,
      `${settlementCurrency}, the settlement currency of ${fill.instrument}`,
    );
  }
}

function text(row: Readonly<Record<string, unknown>>, field: string): string {
  const value = row[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new InputError(field, value, 'a non-empty string');
  if (value.trim() !== value) throw new InputError(field, value, 'no leading or trailing spaces');
  return value;
}

/** An id: a non-empty string, or (JSON) a non-negative integer, which is read as its digits. */
function identifier(row: Readonly<Record<string, unknown>>, field: string): string {
  const value = row[field];
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return text(row, field);
}

function integer(row: Readonly<Record<string, unknown>>, field: string, source: RowSource): number {
  const value = row[field];
  const expected = 'a non-negative integer';
  if (source === 'csv' && typeof value === 'string' && /^\d+$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  if (source === 'json' && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
    return value;
  throw new InputError(field, value, source === 'json' ? `${expected} (a JSON number)` : expected);
}

function money(row: Readonly<Record<string, unknown>>, field: string): Money {
  const value = row[field];
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new InputError(field, value, 'a decimal number such as "0.25" or 0.25');
  }
  return parseMoney(value, { field });
}

function oneOf<T extends string>(
  row: Readonly<Record<string, unknown>>,
  field: string,
  values: readonly T[],
): T {
  const value = row[field];
  if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
  throw new InputError(field, value, values.map((v) => `"${v}"`).join(' or '));
}

function flag(row: Readonly<Record<string, unknown>>, field: string, source: RowSource): boolean | undefined {
  const value = row[field];
  if (value === undefined || (source === 'csv' && value === '')) return undefined;
  if (typeof value === 'boolean') return value;
  if (source === 'csv' && (value === 'true' || value === 'false')) return value === 'true';
  throw new InputError(field, value, 'true, false or absent');
}
