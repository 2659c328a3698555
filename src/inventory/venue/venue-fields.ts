/**
 * Field readers for the venue's JSON entries: each throws `InputError` naming the venue's field
 * (`fee_currency`, `info.settlement_price`) with the value and what was expected.
 */
import { InputError } from '../../model/errors.js';
import { parseMoney, type Money } from '../money.js';

export type Entry = Readonly<Record<string, unknown>>;

/** A money field: a JSON number or a decimal string, read exactly (`parseMoney`). */
export function moneyField(entry: Entry, field: string, label = field): Money {
  const value = entry[field];
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new InputError(label, value, 'a number');
  }
  return parseMoney(value, { field: label });
}

/** A money field that may be absent or null (then `fallback`). */
export function optionalMoneyField(entry: Entry, field: string, fallback: Money, label = field): Money {
  const value = entry[field];
  return value === undefined || value === null ? fallback : moneyField(entry, field, label);
}

export function textField(entry: Entry, field: string): string {
  const value = entry[field];
  if (typeof value !== 'string' || value === '') throw new InputError(field, value, 'a non-empty string');
  return value;
}

/** An id: a non-empty string, or a non-negative integer read as its digits. */
export function idField(entry: Entry, field: string): string {
  const value = entry[field];
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  return textField(entry, field);
}

export function integerField(entry: Entry, field: string): number {
  const value = entry[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InputError(field, value, 'a non-negative integer');
  }
  return value;
}

/** The instrument's settlement currency must be the currency the venue charged (fees, cash). */
export function requireCurrency(field: string, got: string, expected: string, instrument: string): void {
  if (got !== expected) {
    throw new InputError(field, got, `${expected}, the settlement currency of ${instrument}`);
  }
}
