/**
 * Strikes as Deribit writes them in instrument names: an integer in plain digits
 * (`BTC-27DEC24-50000-C`), or, for linear options with a fractional strike, the decimal point
 * written as `d` (Deribit API docs, "Naming": "In Linear Options d is used as a decimal point
 * for decimal strikes. Example: For XRP_USDC-30JUN23-0d625-C strike is 0.625").
 *
 * Only the canonical text is accepted (no leading zeros, no trailing fractional zeros, no
 * fraction on an integer strike), so that formatting a parsed strike gives back the same text.
 */
import { plainDecimal } from './decimal.js';
import { InputError } from './errors.js';

/** Outcome of reading a strike: the value, or why the text is not a valid strike. */
export type StrikeResult = { ok: true; strike: number } | { ok: false; reason: string };

/** Reads the strike part of an option name (`50000`, `0d625`). */
export function readStrike(text: string): StrikeResult {
  if (text === '') return { ok: false, reason: 'the strike is empty' };
  if (text.includes('.')) {
    return {
      ok: false,
      reason: `strike "${text}" uses "." (Deribit writes the decimal point as "d", e.g. 0d625)`,
    };
  }
  if (!/^[0-9]+(?:d[0-9]+)?$/.test(text)) {
    return {
      ok: false,
      reason: `strike "${text}" is not a number (digits, optionally with "d" as decimal point)`,
    };
  }
  const strike = Number(text.replace('d', '.'));
  if (!(strike > 0)) return { ok: false, reason: `strike "${text}" is not positive` };
  if (!Number.isFinite(strike) || strike >= 1e21)
    return { ok: false, reason: `strike "${text}" is too large` };
  const canonical = formatStrike(strike);
  if (canonical !== text) {
    return {
      ok: false,
      reason: `strike "${text}" is not written canonically (expected "${canonical}": no leading or trailing zeros, at most double precision)`,
    };
  }
  return { ok: true, strike };
}

/** Writes a strike for an instrument name: `50000`, `0d625`, `62d5`. */
export function formatStrike(strike: number): string {
  if (typeof strike !== 'number' || !Number.isFinite(strike) || strike <= 0) {
    throw new InputError('strike', strike, 'a positive finite number');
  }
  let text: string;
  try {
    text = plainDecimal(strike);
  } catch {
    throw new InputError('strike', strike, 'a strike below 1e21');
  }
  return text.replace('.', 'd');
}
