/**
 * Deribit expiry codes: `DMMMYY`, where D is the day of month in one or two digits without a
 * leading zero (`5JUN20`, `27DEC24`), MMM the first three letters of the English month name in
 * upper case, and YY the year in the century 2000-2099 (Deribit API docs, "Naming":
 * "D stands for day of month (1 or 2 digits), MMM - month (3 first letters in English), YY
 * stands for year"). The instrument expires at 08:00 UTC on that date.
 */
import { InputError } from './errors.js';
import { EXPIRY_HOUR_UTC, daysInMonth, expiryMsOfDate } from './time.js';

/** Month codes in calendar order (index 0 = January). */
export const MONTH_CODES = [
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
] as const;

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** Outcome of reading an expiry code: the instant, or why the text is not a valid code. */
export type ExpiryCodeResult = { ok: true; expiryMs: number } | { ok: false; reason: string };

/**
 * Reads an expiry code such as `27DEC24` into its 08:00 UTC instant. Returns the reason
 * instead of throwing so that the caller can quote the whole instrument name in its error.
 */
export function readExpiryCode(code: string): ExpiryCodeResult {
  if (code === '') return { ok: false, reason: 'the expiry date is empty' };
  const match = /^(\d{1,2})([A-Za-z]{3})(\d{2})$/.exec(code);
  if (match === null) {
    return {
      ok: false,
      reason: `expiry date "${code}" is not of the form DMMMYY (for example 5JUN20 or 27DEC24)`,
    };
  }
  const dayText = match[1] ?? '';
  const monthText = match[2] ?? '';
  const yearText = match[3] ?? '';
  if (monthText !== monthText.toUpperCase()) {
    return { ok: false, reason: `expiry month "${monthText}" must be upper case` };
  }
  const monthIndex = (MONTH_CODES as readonly string[]).indexOf(monthText);
  if (monthIndex < 0) {
    return { ok: false, reason: `unknown month "${monthText}" (expected one of ${MONTH_CODES.join(', ')})` };
  }
  if (Number(dayText) === 0) return { ok: false, reason: `no such date: ${code} (day 0)` };
  if (dayText.startsWith('0')) {
    return {
      ok: false,
      reason: `day "${dayText}" has a leading zero (Deribit writes the day without one, as in 5JUN20)`,
    };
  }
  const year = 2000 + Number(yearText);
  const month = monthIndex + 1;
  const day = Number(dayText);
  const days = daysInMonth(year, month);
  if (day > days) {
    return {
      ok: false,
      reason: `no such date: ${code} (${MONTH_NAMES[monthIndex] ?? monthText} ${year} has ${days} days)`,
    };
  }
  return { ok: true, expiryMs: expiryMsOfDate(year, month, day) };
}

/**
 * Writes the expiry code of an instant, which must be 08:00:00.000 UTC of a date in 2000-2099
 * (the only instants a two-digit-year code can name). Throws `InputError` otherwise.
 */
export function formatExpiryCode(expiryMs: number): string {
  if (typeof expiryMs !== 'number' || !Number.isInteger(expiryMs)) {
    throw new InputError('expiryMs', expiryMs, 'an integer timestamp in milliseconds');
  }
  const date = new Date(expiryMs);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year)) throw new InputError('expiryMs', expiryMs, 'a representable timestamp');
  const onExpiryHour =
    date.getUTCHours() === EXPIRY_HOUR_UTC &&
    date.getUTCMinutes() === 0 &&
    date.getUTCSeconds() === 0 &&
    date.getUTCMilliseconds() === 0;
  if (!onExpiryHour) {
    throw new InputError('expiryMs', expiryMs, `an expiry at 0${EXPIRY_HOUR_UTC}:00:00.000 UTC`);
  }
  if (year < 2000 || year > 2099) {
    throw new InputError('expiryMs', expiryMs, 'a date in the years 2000-2099 (two-digit year)');
  }
  const month = MONTH_CODES[date.getUTCMonth()] ?? '';
  const yy = String(year - 2000).padStart(2, '0');
  return `${date.getUTCDate()}${month}${yy}`;
}
