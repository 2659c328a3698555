/**
 * Exact money: amounts of coin, USD or USDC as `bigint` counts of 10^-12 of a unit.
 *
 * A balance must reconcile with the venue's to the last unit after a million fills, so sums
 * never go through binary floating point: an amount is read from its decimal text (or from a
 * number through its shortest round-trip text, which is the decimal the number was written
 * as), added and subtracted exactly, and only a product or quotient that is not exact at 12
 * decimals is rounded, with the rounding mode said where it happens. `toNumber` is for
 * valuation and display only.
 *
 * Why 12 decimals. The venue reports BTC amounts with 8 decimals: the `private/get_transaction_log`
 * example in the Deribit API documentation shows `"balance": 3001.22270418` and
 * `"equity": 3000.9275869`; the `private/get_account_summary` example shows
 * `"session_upl": 0.05271555`, `"session_rpl": -0.03258105`, `"futures_pl": -0.32434225`,
 * `"initial_margin": 1.24669592`; an ETH account summary shows `"balance": 0.000031`. Trade
 * fees (`fee` of `private/get_user_trades_by_currency`) and option prices (tick 0.0001) have
 * fewer. The documentation does not say how the venue rounds an inexact P&L (an inverse
 * future's `N x (1/entry - 1/exit)` is rarely a finite decimal) before it reports it with 8
 * decimals. So we keep four more decimals than the venue shows, round every inexact result
 * half-even at 12 decimals (documented at each call), and compare with the venue's figures
 * after `roundMoney(x, VENUE_REPORTED_DECIMALS)`. Assumed, not documented: that the venue
 * keeps at least 8 decimals internally for ETH as well as BTC, and that its per-trade rounding
 * stays within its reported precision. The venue's own worked examples round loosely: the
 * "Example (futures)" page gives the round-trip fee 0.5/600 + 0.5/700 as 0.00154755 BTC where
 * the exact sum is 0.0015476190...; tests compare with such figures at the precision printed.
 */
import { InputError } from '../model/errors.js';

/** An exact amount: a count of 10^-12 of a currency unit (coin, USD or USDC). */
export type Money = bigint;

/** Decimals kept: 12. */
export const MONEY_DECIMALS = 12;

/** Units of `Money` per coin or per USD: 10^12. */
export const MONEY_SCALE: bigint = 10n ** 12n;

/**
 * Decimals the venue shows for BTC and ETH balances, P&L and margins in its API examples (see
 * the module comment); what a reconciliation rounds our figures to before comparing.
 */
export const VENUE_REPORTED_DECIMALS = 8;

/**
 * How an inexact result is rounded: `half-even` (ties to the even neighbour, the default: no
 * drift over many roundings), `half-up` (ties away from zero), `down` (toward zero), `up`
 * (away from zero), `floor` (toward minus infinity), `ceiling` (toward plus infinity).
 */
export type RoundingMode = 'half-even' | 'half-up' | 'down' | 'up' | 'floor' | 'ceiling';

/** Zero. */
export const ZERO: Money = 0n;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Options of `parseMoney`. */
export interface ParseMoneyOptions {
  /** Field name for the error message (default `amount`). */
  field?: string;
  /**
   * Rounding for text with more than 12 decimals. Without it such text is refused: an input
   * amount that is not exact at 12 decimals is more likely a unit mistake than a real amount.
   */
  rounding?: RoundingMode;
}

/**
 * Reads an exact amount from decimal text (`"0.238095"`, `"-12.5"`, `"1e-7"`) or from a finite
 * number, through its shortest round-trip text (`0.1` reads as exactly 0.1, never as the double
 * 0.1000000000000000055...). Throws `InputError` naming `options.field` for anything else, and
 * for more than 12 decimals unless `options.rounding` is given.
 */
export function parseMoney(text: string | number, options: ParseMoneyOptions = {}): Money {
  const field = options.field ?? 'amount';
  let source: string;
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new InputError(field, text, 'a finite number');
    source = String(text);
  } else if (typeof text === 'string') {
    source = text.trim();
  } else {
    throw new InputError(field, text, 'a decimal string or a finite number');
  }
  const simple = parseSimpleDecimal(source);
  if (simple !== undefined) return simple;
  const match = DECIMAL.exec(source);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (match === null || whole + fraction === '') {
    throw new InputError(field, text, 'a decimal number such as "0.25" or "-1000"');
  }
  const exponentText = match[4];
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) {
    throw new InputError(field, text, 'a decimal number with a moderate exponent');
  }
  const negative = match[1] === '-';
  const digits = BigInt((whole + fraction).replace(/^0+(?=\d)/, '') || '0');
  // value = digits x 10^(exponent - fraction.length); scaled = value x 10^12.
  const shift = exponent - fraction.length + MONEY_DECIMALS;
  let scaled: bigint;
  if (shift >= 0) {
    scaled = digits * 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (digits % divisor !== 0n && options.rounding === undefined) {
      throw new InputError(field, text, `an amount with at most ${MONEY_DECIMALS} decimals`);
    }
    scaled = divRound(digits, divisor, options.rounding ?? 'half-even');
  }
  return negative ? -scaled : scaled;
}

/** 10^k for k = 0..12, exact doubles. */
const POW10 = Array.from({ length: MONEY_DECIMALS + 1 }, (_, k) => 10 ** k);

/**
 * The fast path of `parseMoney`, for the plain form `formatMoney` writes and most input uses:
 * an optional minus, 1 to 15 digits, optionally a point and 1 to 12 digits. Both parts are then
 * integers below 2^53, exact as doubles, and the amount is built with one or two conversions
 * to `bigint` instead of parsing the digits as text (measured 5x faster). Anything else
 * (exponents, a plus sign, spaces, more decimals) returns undefined and takes the general path.
 */
function parseSimpleDecimal(text: string): Money | undefined {
  const length = text.length;
  const negative = text.charCodeAt(0) === 45; // '-'
  let i = negative ? 1 : 0;
  const wholeStart = i;
  let whole = 0;
  for (; i < length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    whole = whole * 10 + digit;
  }
  if (i === wholeStart || i - wholeStart > 15) return undefined;
  let fraction = 0;
  let places = 0;
  if (i < length) {
    if (text.charCodeAt(i) !== 46) return undefined; // '.'
    const fractionStart = ++i;
    for (; i < length; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) return undefined;
      fraction = fraction * 10 + digit;
    }
    places = i - fractionStart;
    if (places === 0 || places > MONEY_DECIMALS) return undefined;
  }
  // fraction x 10^(12 - places) < 10^12; whole x 10^12 stays below 2^53 while whole < 9007.
  const scaledFraction = fraction * (POW10[MONEY_DECIMALS - places] as number);
  const scaled =
    whole < 9007
      ? BigInt(whole * 1e12 + scaledFraction)
      : BigInt(whole) * MONEY_SCALE + BigInt(scaledFraction);
  return negative ? -scaled : scaled;
}

/**
 * Decimal text of an amount. Without `decimals`: the exact value, shortest form (no trailing
 * zeros, `"0"` for zero). With `decimals` (0 to 12): rounded by `mode` (default half-even) and
 * written with exactly that many decimals.
 */
export function formatMoney(x: Money, decimals?: number, mode: RoundingMode = 'half-even'): string {
  if (decimals !== undefined && (!Number.isInteger(decimals) || decimals < 0 || decimals > MONEY_DECIMALS)) {
    throw new InputError('decimals', decimals, `an integer from 0 to ${MONEY_DECIMALS}`);
  }
  if (decimals === undefined) return formatExact(x);
  const places = decimals;
  const value = roundMoney(x, decimals, mode);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(MONEY_DECIMALS + 1, '0');
  const intPart = digits.slice(0, digits.length - MONEY_DECIMALS);
  let fracPart = digits.slice(digits.length - MONEY_DECIMALS, digits.length - MONEY_DECIMALS + places);
  if (decimals === undefined) fracPart = fracPart.replace(/0+$/, '');
  const body = fracPart === '' ? intPart : `${intPart}.${fracPart}`;
  return negative ? `-${body}` : body;
}

/**
 * Every decimal of `x`, trailing zeros dropped: `formatMoney(x)`. The journal writes three per
 * fill, so the integer and fraction are split with one division and the fraction, below 10^12,
 * is written through a double (exact below 2^53) rather than by string surgery on the digits.
 */
function formatExact(x: Money): string {
  const negative = x < 0n;
  const magnitude = negative ? -x : x;
  const whole = magnitude / MONEY_SCALE;
  let fraction = Number(magnitude - whole * MONEY_SCALE);
  let text = whole.toString();
  if (fraction !== 0) {
    let places = MONEY_DECIMALS;
    while (fraction % 10 === 0) {
      fraction /= 10;
      places -= 1;
    }
    text += `.${String(fraction).padStart(places, '0')}`;
  }
  return negative ? `-${text}` : text;
}

/** Rounds `x` to `decimals` (0 to 12) decimals by `mode`; the result is still at scale 10^12. */
export function roundMoney(x: Money, decimals: number, mode: RoundingMode = 'half-even'): Money {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MONEY_DECIMALS) {
    throw new InputError('decimals', decimals, `an integer from 0 to ${MONEY_DECIMALS}`);
  }
  const step = 10n ** BigInt(MONEY_DECIMALS - decimals);
  return divRound(x, step, mode) * step;
}

/**
 * `numerator / denominator` as an integer, rounded by `mode`. The one place where money is
 * rounded; every helper below goes through it. Throws `InputError` on a zero denominator.
 */
export function divRound(numerator: bigint, denominator: bigint, mode: RoundingMode = 'half-even'): bigint {
  if (denominator === 0n) throw new InputError('denominator', '0', 'a non-zero divisor');
  const quotient = numerator / denominator; // truncated toward zero
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  const positive = numerator < 0n === denominator < 0n;
  const away = positive ? quotient + 1n : quotient - 1n;
  switch (mode) {
    case 'down':
      return quotient;
    case 'up':
      return away;
    case 'floor':
      return positive ? quotient : away;
    case 'ceiling':
      return positive ? away : quotient;
    case 'half-up':
    case 'half-even': {
      const twice = 2n * abs(remainder);
      const size = abs(denominator);
      if (twice > size) return away;
      if (twice < size) return quotient;
      if (mode === 'half-up') return away;
      return quotient % 2n === 0n ? quotient : away;
    }
    default: {
      const unknown: unknown = mode;
      throw new InputError('rounding', unknown, '"half-even", "half-up", "down", "up", "floor" or "ceiling"');
    }
  }
}

/** `a x b` of two amounts (for example contracts x coin price), rounded at 12 decimals. */
export function mulMoney(a: Money, b: Money, mode: RoundingMode = 'half-even'): Money {
  return divRound(a * b, MONEY_SCALE, mode);
}

/** `a / b` of two amounts (for example USD / USD per coin = coin), rounded at 12 decimals. */
export function divMoney(a: Money, b: Money, mode: RoundingMode = 'half-even'): Money {
  return divRound(a * MONEY_SCALE, b, mode);
}

/**
 * `a x b / c` with one rounding at the end (for example a fee rate x USD notional / price, or
 * an entry value x closed amount / position), so no intermediate result is rounded.
 */
export function mulDivMoney(a: Money, b: Money, c: Money, mode: RoundingMode = 'half-even'): Money {
  return divRound(a * b, c, mode);
}

/**
 * Coin value of a USD amount at a USD price of one coin: `usd / price` (an inverse future's
 * `N / entry`), rounded at 12 decimals.
 */
export function usdToCoinMoney(usd: Money, usdPerCoin: Money, mode: RoundingMode = 'half-even'): Money {
  return divMoney(usd, usdPerCoin, mode);
}

/**
 * Coin P&L of an inverse future position of `usd` (signed, long > 0) from `entry` to `exit`:
 * `usd x (1/entry - 1/exit)` = `usd x (exit - entry) / (entry x exit)`, one rounding at the end
 * (Deribit "Example (futures)": long 1000 USD from 600 to 700 earns 0.238095 BTC).
 */
export function inverseFuturePnl(
  usd: Money,
  entry: Money,
  exit: Money,
  mode: RoundingMode = 'half-even',
): Money {
  return divRound(usd * (exit - entry) * MONEY_SCALE, entry * exit, mode);
}

/** Absolute value. */
export function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/** Sign: -1n, 0n or 1n. */
export function sign(x: bigint): bigint {
  return x > 0n ? 1n : x < 0n ? -1n : 0n;
}

/** The smaller of two amounts. */
export function minMoney(a: Money, b: Money): Money {
  return a < b ? a : b;
}

/** The larger of two amounts. */
export function maxMoney(a: Money, b: Money): Money {
  return a > b ? a : b;
}

/**
 * The nearest double to an amount, for valuation and display only (through its decimal text,
 * so the conversion is correctly rounded even for amounts beyond 2^53 units).
 */
export function toNumber(x: Money): number {
  return Number(formatMoney(x));
}
