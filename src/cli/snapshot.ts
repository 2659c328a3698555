/**
 * A small reader for a Deribit option snapshot in JSON Lines (one `public/ticker`-shaped
 * object per option, as in `data/deribit/btc-options-2020-05-21.jsonl`; fields described in
 * `data/deribit/README.md`). Enough for `ballast start`; the chain reader proper belongs in
 * `src/vol/`.
 */
import { join } from 'node:path';

import { InputError, ParseError } from '../model/errors.js';
import type { OptionKind } from '../pricing/types.js';
import { nonBlankLines, openInput, parseJsonObject, type JsonObject } from './jsonl.js';
import { packageRoot } from './package-root.js';

/** The default market data: the embedded 2020-05-21 BTC options snapshot. */
export const DEFAULT_SNAPSHOT = 'data/deribit/btc-options-2020-05-21.jsonl';

/** One option of the snapshot, in the units Deribit uses (see the data README). */
export interface SnapshotOption {
  instrumentName: string;
  kind: OptionKind;
  strike: number;
  expiryMs: number;
  timestampMs: number;
  /** `underlying_price`: the forward the venue prices the option off, USD. */
  forwardUsd: number;
  /** `index_price`: the BTC spot index, USD. */
  indexUsd: number;
  /** `interest_rate`, per year (0 in practice). */
  rate: number;
  /** `mark_price`, coin per contract. */
  markCoin: number;
  /** `mark_iv`, percent (85.05 = 0.8505). */
  markIvPercent: number;
  /** `greeks`: delta per coin, gamma per USD, vega USD per vol point, theta USD per day, rho USD per 1%. */
  venueGreeks: { delta: number; gamma: number; vega: number; theta: number; rho: number };
}

/** The default snapshot's absolute path, from the package root (works from any cwd). */
export function defaultSnapshotPath(): string {
  return join(packageRoot(), DEFAULT_SNAPSHOT);
}

/**
 * Reads a snapshot file. Throws `InputFileError` if it cannot be read, `InputError` or
 * `ParseError` (prefixed with the line number) for a line that is not a usable option.
 */
export async function readSnapshot(path: string): Promise<SnapshotOption[]> {
  const input = await openInput(path);
  const options: SnapshotOption[] = [];
  for await (const { lineNumber, text } of nonBlankLines(input, path)) {
    try {
      options.push(toSnapshotOption(parseJsonObject(text)));
    } catch (error) {
      if (error instanceof InputError || error instanceof ParseError) {
        throw new ParseError(`${path} line`, String(lineNumber), error.message);
      }
      throw error;
    }
  }
  return options;
}

function toSnapshotOption(line: JsonObject): SnapshotOption {
  const instrumentName = stringField(line, 'instrument_name');
  const optionType = line['option_type'];
  if (optionType !== 'call' && optionType !== 'put') {
    throw new InputError('option_type', optionType, '"call" or "put"');
  }
  const greeks = line['greeks'];
  if (typeof greeks !== 'object' || greeks === null || Array.isArray(greeks)) {
    throw new InputError('greeks', greeks, 'an object {delta, gamma, vega, theta, rho}');
  }
  const g = greeks as JsonObject;
  return {
    instrumentName,
    kind: optionType,
    strike: positive(line, 'strike'),
    expiryMs: finite(line, 'expiration_timestamp'),
    timestampMs: finite(line, 'timestamp'),
    forwardUsd: positive(line, 'underlying_price'),
    indexUsd: positive(line, 'index_price'),
    rate: finite(line, 'interest_rate'),
    markCoin: nonNegative(line, 'mark_price'),
    markIvPercent: nonNegative(line, 'mark_iv'),
    venueGreeks: {
      delta: finite(g, 'delta', 'greeks.delta'),
      gamma: finite(g, 'gamma', 'greeks.gamma'),
      vega: finite(g, 'vega', 'greeks.vega'),
      theta: finite(g, 'theta', 'greeks.theta'),
      rho: finite(g, 'rho', 'greeks.rho'),
    },
  };
}

function stringField(line: JsonObject, field: string): string {
  const value = line[field];
  if (typeof value !== 'string' || value === '') throw new InputError(field, value, 'a non-empty string');
  return value;
}

function finite(line: JsonObject, field: string, name = field): number {
  const value = line[field];
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(name, value, 'a finite number');
  return value;
}

function positive(line: JsonObject, field: string): number {
  const value = finite(line, field);
  if (!(value > 0)) throw new InputError(field, value, 'a positive number');
  return value;
}

function nonNegative(line: JsonObject, field: string): number {
  const value = finite(line, field);
  if (value < 0) throw new InputError(field, value, 'a number >= 0');
  return value;
}
