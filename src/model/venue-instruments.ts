/**
 * Reading the venue's own instrument data: the response of Deribit's `public/get_instruments`
 * (`{"jsonrpc": "2.0", "result": [...]}`) or `public/get_instrument` (`{"result": {...}}`), or
 * the bare `result` array or object (Deribit API docs v2.1.1, `public/get_instruments`).
 *
 * Every instrument is checked against its own name: kind, base currency, settlement currency,
 * inverse/linear type, expiry, strike and option type must agree with what the name says, or
 * the file is refused (`InputError` naming the field). Combo instruments (`kind`
 * `future_combo` / `option_combo`, or a combo name) are skipped and listed, not loaded.
 */
import { isComboName } from './combo.js';
import { InputError } from './errors.js';
import type { AmountUnit, InstrumentDetails } from './instrument-details.js';
import { parseInstrumentName, type ParsedInstrumentName } from './instrument-name.js';
import { TickSchedule, type TickRule, type TickStep } from './tick-schedule.js';

/** Options for reading venue instrument data. */
export interface VenueReadOptions {
  /**
   * Instant from which the file's tick rule applies. Default: each instrument's
   * `creation_timestamp` (the venue's current rule is taken to have held over the instrument's
   * life), or since listing when the file has none. Pass the time the file was fetched to keep
   * older rules (from `tickHistory`) for earlier times.
   */
  rulesEffectiveFromMs?: number;
  /** Known earlier tick rules for an instrument (e.g. the built-in ones), or null. */
  tickHistory?: (parsed: ParsedInstrumentName) => TickSchedule | null;
  /** Label for `sourceNote` (a file name or URL). */
  sourceLabel?: string;
}

/** Instruments read from venue data, and the combo names that were skipped. */
export interface VenueInstruments {
  instruments: InstrumentDetails[];
  skippedCombos: string[];
}

type Json = Record<string, unknown>;

/** Reads a `get_instruments` / `get_instrument` response (or its bare `result`). */
export function readVenueInstruments(data: unknown, options: VenueReadOptions = {}): VenueInstruments {
  const { items, path } = unwrap(data);
  const instruments: InstrumentDetails[] = [];
  const skippedCombos: string[] = [];
  items.forEach((item, index) => {
    const itemPath = `${path}[${index}]`;
    if (!isObject(item)) throw new InputError(itemPath, item, 'an instrument object');
    const kind = item['kind'];
    const name = item['instrument_name'];
    if (
      kind === 'future_combo' ||
      kind === 'option_combo' ||
      (typeof name === 'string' && isComboName(name))
    ) {
      skippedCombos.push(String(name));
      return;
    }
    instruments.push(venueInstrumentDetails(item, itemPath, options));
  });
  return { instruments, skippedCombos };
}

/** Details of one venue instrument object; `path` names it in errors (e.g. `result[3]`). */
export function venueInstrumentDetails(
  item: Json,
  path: string,
  options: VenueReadOptions = {},
): InstrumentDetails {
  const field = (key: string): string => `${path}.${key}`;
  const name = requireString(item, 'instrument_name', path);
  const parsed = parseInstrumentName(name);
  const kind = requireString(item, 'kind', path);
  const expectedKind = parsed.kind === 'option' ? 'option' : parsed.kind === 'spot' ? 'spot' : 'future';
  if (kind !== expectedKind) throw new InputError(field('kind'), kind, `"${expectedKind}" for ${name}`);
  const base = requireString(item, 'base_currency', path);
  if (base !== parsed.base)
    throw new InputError(field('base_currency'), base, `"${parsed.base}" as in ${name}`);
  const priceCurrency = requireString(item, 'quote_currency', path);

  const settlementCurrency =
    parsed.kind === 'spot' ? parsed.quote : requireString(item, 'settlement_currency', path);
  if (settlementCurrency !== parsed.settlementCurrency) {
    throw new InputError(
      field('settlement_currency'),
      settlementCurrency,
      `"${parsed.settlementCurrency}" for ${name}`,
    );
  }
  const type = optionalString(item, 'instrument_type', path) ?? optionalString(item, 'future_type', path);
  if (type !== null) {
    const expectedType = parsed.settlement === 'inverse' ? 'reversed' : 'linear';
    if (type !== expectedType)
      throw new InputError(field('instrument_type'), type, `"${expectedType}" for ${name}`);
  }

  let expiryMs: number | null = null;
  if (parsed.kind === 'option' || parsed.kind === 'future') {
    const venueExpiry = requireNumber(item, 'expiration_timestamp', path);
    if (venueExpiry !== parsed.expiryMs) {
      throw new InputError(
        field('expiration_timestamp'),
        venueExpiry,
        `${parsed.expiryMs} (08:00 UTC of the date in ${name})`,
      );
    }
    expiryMs = parsed.expiryMs;
  }
  let strike: number | null = null;
  let optionType: InstrumentDetails['optionType'] = null;
  if (parsed.kind === 'option') {
    strike = requireNumber(item, 'strike', path);
    if (strike !== parsed.strike)
      throw new InputError(field('strike'), strike, `${parsed.strike} as in ${name}`);
    const venueType = requireString(item, 'option_type', path);
    if (venueType !== parsed.optionType) {
      throw new InputError(field('option_type'), venueType, `"${parsed.optionType}" as in ${name}`);
    }
    optionType = parsed.optionType;
  }

  const contractSize = requirePositive(item, 'contract_size', path);
  const minTradeAmount = requirePositive(item, 'min_trade_amount', path);
  const creationMs = optionalNumber(item, 'creation_timestamp', path);
  const rule = tickRuleOf(item, path, options.rulesEffectiveFromMs ?? creationMs ?? Number.NEGATIVE_INFINITY);
  const history = options.tickHistory?.(parsed) ?? null;
  const ticks = history === null ? new TickSchedule([rule]) : history.withRule(rule);

  return {
    name,
    kind: parsed.kind,
    base: parsed.base,
    quote: parsed.quote,
    settlement: parsed.settlement,
    settlementCurrency,
    priceCurrency,
    contractSize,
    amountUnit: amountUnitOf(parsed),
    multiplier: parsed.kind === 'option' ? contractSize : null,
    minTradeAmount,
    ticks,
    expiryMs,
    creationMs,
    strike,
    optionType,
    settlementPeriod: optionalString(item, 'settlement_period', path),
    source: 'venue',
    sourceNote: `venue: ${options.sourceLabel ?? 'instrument data'}`,
  };
}

function amountUnitOf(parsed: ParsedInstrumentName): AmountUnit {
  if (parsed.kind === 'option') return 'contracts';
  if (parsed.kind === 'spot' || parsed.settlement === 'linear') return 'base';
  return 'USD';
}

function tickRuleOf(item: Json, path: string, effectiveFromMs: number): TickRule {
  const tickSize = requirePositive(item, 'tick_size', path);
  const rawSteps = item['tick_size_steps'];
  const steps: TickStep[] = [];
  if (rawSteps !== undefined && rawSteps !== null) {
    if (!Array.isArray(rawSteps)) {
      throw new InputError(`${path}.tick_size_steps`, rawSteps, 'an array of {above_price, tick_size}');
    }
    rawSteps.forEach((step: unknown, index) => {
      const stepPath = `${path}.tick_size_steps[${index}]`;
      if (!isObject(step)) throw new InputError(stepPath, step, 'an {above_price, tick_size} object');
      steps.push({
        abovePrice: requireNumber(step, 'above_price', stepPath),
        tickSize: requirePositive(step, 'tick_size', stepPath),
      });
    });
  }
  return { effectiveFromMs, tickSize, steps, source: `venue ${String(item['instrument_name'])}` };
}

function unwrap(data: unknown): { items: unknown[]; path: string } {
  if (Array.isArray(data)) return { items: data, path: 'result' };
  if (!isObject(data))
    throw new InputError('instruments', data, 'a get_instruments response, or its result array');
  if ('error' in data)
    throw new InputError('error', data['error'], 'a successful response (the venue returned an error)');
  if ('result' in data) {
    const result = data['result'];
    if (Array.isArray(result)) return { items: result, path: 'result' };
    if (isObject(result)) return { items: [result], path: 'result' };
    throw new InputError('result', result, 'an array of instruments or one instrument object');
  }
  if ('instrument_name' in data) return { items: [data], path: 'instrument' };
  throw new InputError('instruments', data, 'a get_instruments response, or its result array');
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireString(item: Json, key: string, path: string): string {
  const value = item[key];
  if (typeof value !== 'string' || value === '')
    throw new InputError(`${path}.${key}`, value, 'a non-empty string');
  return value;
}

function optionalString(item: Json, key: string, path: string): string | null {
  const value = item[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new InputError(`${path}.${key}`, value, 'a string');
  return value;
}

function requireNumber(item: Json, key: string, path: string): number {
  const value = item[key];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(`${path}.${key}`, value, 'a finite number');
  return value;
}

function optionalNumber(item: Json, key: string, path: string): number | null {
  const value = item[key];
  if (value === undefined || value === null) return null;
  return requireNumber(item, key, path);
}

function requirePositive(item: Json, key: string, path: string): number {
  const value = requireNumber(item, key, path);
  if (value <= 0) throw new InputError(`${path}.${key}`, value, 'a positive number');
  return value;
}
