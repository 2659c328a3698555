/**
 * Deribit instrument names: parse a name into what it says (kind, currencies, settlement style,
 * expiry, strike, call/put) and write one back. `formatInstrumentName(parseInstrumentName(n))`
 * returns `n` for every name that parses.
 *
 * Forms (Deribit API docs, "Naming"; linear and spot forms as the venue lists them):
 *
 * | form | example | kind | settles in |
 * | --- | --- | --- | --- |
 * | `BASE-DMMMYY-STRIKE-C/P` | `BTC-27DEC24-50000-C` | option, inverse | BASE |
 * | `BASE_QUOTE-DMMMYY-STRIKE-C/P` | `XRP_USDC-30JUN23-0d625-C` | option, linear | QUOTE |
 * | `BASE-DMMMYY` | `BTC-27DEC24` | future, inverse | BASE |
 * | `BASE_QUOTE-DMMMYY` | `SOL_USDC-27DEC24` | future, linear | QUOTE |
 * | `BASE-PERPETUAL` | `BTC-PERPETUAL` | perpetual, inverse | BASE |
 * | `BASE_QUOTE-PERPETUAL` | `BTC_USDC-PERPETUAL` | perpetual, linear | QUOTE |
 * | `BASE_QUOTE` | `BTC_USDC` | spot | (spot) |
 *
 * Combo names (`BTC-FS-27DEC24_PERP`, `BTC-CS-27DEC24-50000_60000`, ...) are recognised and
 * refused with `UnsupportedError`; anything else malformed is refused with a `ParseError` that
 * quotes the name and says what is wrong.
 */
import { comboStrategyCode, refuseCombo } from './combo.js';
import { InputError, ParseError } from './errors.js';
import { formatExpiryCode, readExpiryCode } from './expiry-code.js';
import { formatStrike, readStrike } from './strike.js';

/** What an instrument is. */
export type InstrumentKind = 'option' | 'future' | 'perpetual' | 'spot';

/** Call or put (same values as `OptionKind` in `src/pricing/types.ts`). */
export type OptionType = 'call' | 'put';

/**
 * How an instrument settles: `inverse` (coin-margined, priced or sized in USD, settled in the
 * base coin, e.g. `BTC-PERPETUAL`, BTC options) or `linear` (settled in the quote currency,
 * e.g. `SOL_USDC-...` options, `BTC_USDC-PERPETUAL`). Spot pairs count as linear: their value is
 * amount x price in the quote currency.
 */
export type SettlementStyle = 'inverse' | 'linear';

interface NameSpecBase {
  /** Underlying currency: BTC, ETH, SOL, XRP, ... */
  base: string;
  /** Quote currency after `_` (USDC in `SOL_USDC-...`); null for inverse instruments. */
  quote: string | null;
}

/** The parts of an option name. */
export interface OptionNameSpec extends NameSpecBase {
  kind: 'option';
  /** Expiry instant, 08:00 UTC of the named date. */
  expiryMs: number;
  strike: number;
  optionType: OptionType;
}

/** The parts of a dated future's name. */
export interface FutureNameSpec extends NameSpecBase {
  kind: 'future';
  expiryMs: number;
}

/** The parts of a perpetual's name. */
export interface PerpetualNameSpec extends NameSpecBase {
  kind: 'perpetual';
}

/** The parts of a spot pair's name. */
export interface SpotNameSpec extends NameSpecBase {
  kind: 'spot';
  quote: string;
}

/** The parts of an instrument name, as `formatInstrumentName` takes them. */
export type InstrumentNameSpec = OptionNameSpec | FutureNameSpec | PerpetualNameSpec | SpotNameSpec;

interface ParsedExtras {
  /** The name as given. */
  name: string;
  settlement: SettlementStyle;
  /** Currency of settlement and P&L: the base coin for inverse, the quote for linear and spot. */
  settlementCurrency: string;
}

/** A parsed option name. */
export type ParsedOptionName = OptionNameSpec & ParsedExtras;
/** A parsed future name. */
export type ParsedFutureName = FutureNameSpec & ParsedExtras;
/** A parsed perpetual name. */
export type ParsedPerpetualName = PerpetualNameSpec & ParsedExtras;
/** A parsed spot pair name. */
export type ParsedSpotName = SpotNameSpec & ParsedExtras;
/** What a Deribit instrument name says. */
export type ParsedInstrumentName = ParsedOptionName | ParsedFutureName | ParsedPerpetualName | ParsedSpotName;

const WHAT = 'instrument name';
const CURRENCY = /^[A-Z][A-Z0-9]{1,11}$/;
const PERPETUAL = 'PERPETUAL';
const OPTION_TYPES: ReadonlyMap<string, OptionType> = new Map([
  ['C', 'call'],
  ['P', 'put'],
]);

/**
 * Parses a Deribit instrument name. Throws `UnsupportedError` for combo names and `ParseError`
 * (quoting the name) for anything that is not a valid outright instrument name.
 */
export function parseInstrumentName(name: string): ParsedInstrumentName {
  if (typeof name !== 'string') throw new InputError('instrument name', name, 'a string');
  const fail = (reason: string): never => {
    throw new ParseError(WHAT, name, reason);
  };
  if (name === '') return fail('the name is empty');
  if (/\s/.test(name)) return fail('the name contains whitespace');
  const parts = name.split('-');
  if (parts.some((part) => part === '')) {
    return fail('the name has an empty part (a leading, trailing or doubled "-")');
  }
  const code = comboStrategyCode(name);
  if (code !== undefined) refuseCombo(name, code);

  const [prefix = '', ...rest] = parts;
  const { base, quote } = readPrefix(prefix, fail);
  const settlement: SettlementStyle = quote === null ? 'inverse' : 'linear';
  const extras: ParsedExtras = { name, settlement, settlementCurrency: quote ?? base };

  if (rest.length === 0) {
    if (quote === null) {
      return fail(
        `"${base}" alone is not an instrument (expected BASE_QUOTE for spot, BASE-PERPETUAL, BASE-DMMMYY or BASE-DMMMYY-STRIKE-C|P)`,
      );
    }
    return { kind: 'spot', base, quote, ...extras };
  }
  const second = rest[0] ?? '';
  if (rest.length === 1) {
    if (second === PERPETUAL) return { kind: 'perpetual', base, quote, ...extras };
    if (second.toUpperCase() === PERPETUAL) return fail('"PERPETUAL" must be upper case');
    return { kind: 'future', base, quote, expiryMs: expiryOf(second, fail), ...extras };
  }
  if (second === PERPETUAL) return fail('nothing may follow "PERPETUAL"');
  const expiryMs = expiryOf(second, fail);
  if (rest.length === 2) {
    const third = rest[1] ?? '';
    return fail(
      /^[0-9d.]+$/.test(third)
        ? `the option type is missing: expected "-C" or "-P" after the strike "${third}"`
        : `expected a strike and "C" or "P" after the expiry, got "${third}"`,
    );
  }
  if (rest.length > 3) {
    return fail(`too many parts (${parts.length}); an option name has 4: BASE-DMMMYY-STRIKE-C|P`);
  }
  const strikeResult = readStrike(rest[1] ?? '');
  if (!strikeResult.ok) return fail(strikeResult.reason);
  const typeText = rest[2] ?? '';
  const optionType = OPTION_TYPES.get(typeText);
  if (optionType === undefined) {
    return fail(
      typeText === 'c' || typeText === 'p'
        ? `option type "${typeText}" must be upper case (C or P)`
        : `option type "${typeText}" is neither "C" (call) nor "P" (put)`,
    );
  }
  return { kind: 'option', base, quote, expiryMs, strike: strikeResult.strike, optionType, ...extras };
}

/**
 * Writes the Deribit name for instrument parts (or a parsed name, whose `name` field is
 * ignored). Throws `InputError` for parts no Deribit name can express.
 */
export function formatInstrumentName(spec: InstrumentNameSpec): string {
  requireCurrency('base', spec.base);
  if (spec.quote !== null) requireCurrency('quote', spec.quote);
  const prefix = spec.quote === null ? spec.base : `${spec.base}_${spec.quote}`;
  switch (spec.kind) {
    case 'spot':
      if (spec.quote === null) throw new InputError('quote', spec.quote, 'a quote currency for a spot pair');
      return prefix;
    case 'perpetual':
      return `${prefix}-${PERPETUAL}`;
    case 'future':
      return `${prefix}-${formatExpiryCode(spec.expiryMs)}`;
    case 'option': {
      const type = spec.optionType === 'call' ? 'C' : spec.optionType === 'put' ? 'P' : undefined;
      if (type === undefined) throw new InputError('optionType', spec.optionType, '"call" or "put"');
      return `${prefix}-${formatExpiryCode(spec.expiryMs)}-${formatStrike(spec.strike)}-${type}`;
    }
    default: {
      const unknown: { kind?: unknown } = spec;
      throw new InputError('kind', unknown.kind, '"option", "future", "perpetual" or "spot"');
    }
  }
}

function readPrefix(prefix: string, fail: (reason: string) => never): { base: string; quote: string | null } {
  const pieces = prefix.split('_');
  if (pieces.length > 2) return fail(`currency pair "${prefix}" has more than one "_"`);
  const [base = '', quote] = pieces;
  checkCurrency('base currency', base, fail);
  if (quote !== undefined) checkCurrency('quote currency', quote, fail);
  return { base, quote: quote ?? null };
}

function checkCurrency(label: string, text: string, fail: (reason: string) => never): void {
  if (text === '') fail(`the ${label} is empty`);
  if (CURRENCY.test(text)) return;
  if (CURRENCY.test(text.toUpperCase())) fail(`${label} "${text}" must be upper case`);
  fail(`${label} "${text}" is not a currency code (2-12 letters and digits, starting with a letter)`);
}

function expiryOf(code: string, fail: (reason: string) => never): number {
  const result = readExpiryCode(code);
  return result.ok ? result.expiryMs : fail(result.reason);
}

function requireCurrency(field: string, value: string): void {
  if (typeof value !== 'string' || !CURRENCY.test(value)) {
    throw new InputError(
      field,
      value,
      'a currency code of 2-12 upper-case letters and digits, starting with a letter',
    );
  }
}
