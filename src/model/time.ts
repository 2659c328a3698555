import { InputError } from './errors.js';

/** Milliseconds in one day. */
export const MS_PER_DAY = 24 * 3600 * 1000;

/**
 * Milliseconds in one year of 365 days: the year the venue uses for time to expiry in its
 * implied volatility and greeks (theta per day on a 365-day year).
 */
export const MS_PER_YEAR = 365 * MS_PER_DAY;

/** One day in 365-day years. */
export const YEARS_PER_DAY = 1 / 365;

/**
 * Hour of day (UTC) at which Deribit instruments expire and the daily session settles: 08:00
 * UTC (Deribit API docs, naming section, and support page "Expiration price").
 */
export const EXPIRY_HOUR_UTC = 8;

/**
 * Years from `nowMs` to `expiryMs` on a 365-day year: `(expiryMs - nowMs) / MS_PER_YEAR`.
 * Negative after expiry (callers that need a positive time, such as pricing, validate it).
 */
export function yearsToExpiry(expiryMs: number, nowMs: number): number {
  requireFiniteMs('expiryMs', expiryMs);
  requireFiniteMs('nowMs', nowMs);
  return (expiryMs - nowMs) / MS_PER_YEAR;
}

/** The expiry instant (08:00 UTC) of a calendar date; `month` is 1-12. */
export function expiryMsOfDate(year: number, month: number, day: number): number {
  if (!Number.isInteger(year)) throw new InputError('year', year, 'an integer');
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new InputError('month', month, 'an integer from 1 to 12');
  }
  const days = daysInMonth(year, month);
  if (!Number.isInteger(day) || day < 1 || day > days) {
    throw new InputError('day', day, `an integer from 1 to ${days}`);
  }
  return Date.UTC(year, month - 1, day, EXPIRY_HOUR_UTC);
}

/** Days in `month` (1-12) of `year`, Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function requireFiniteMs(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(field, value, 'a finite timestamp in milliseconds since the epoch');
  }
}
