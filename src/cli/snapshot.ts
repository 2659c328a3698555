/**
 * A small reader for a Deribit option snapshot in JSON Lines (one `public/ticker`-shaped
 * object per option, as in `data/deribit/btc-options-2020-05-21.jsonl`; fields described in
 * `data/deribit/README.md`) for `ballast start`, which stops at the first line it cannot use.
 * Each line is read by the chain reader's `readOptionTicker` (`src/vol/chain.ts`); `readChain`
 * there reads a whole chain, warning and going on where this stops.
 */
import { join } from 'node:path';

import { BallastError, InputError, ParseError } from '../model/errors.js';
import { nonNegativeField } from '../model/json-lines.js';
import type { OptionKind } from '../pricing/types.js';
import { readOptionTicker, type ChainGreeks } from '../vol/chain.js';
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
  venueGreeks: ChainGreeks;
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
      if (error instanceof BallastError) {
        throw new ParseError(`${path} line`, String(lineNumber), error.message);
      }
      throw error;
    }
  }
  return options;
}

/**
 * One ticker to a snapshot option: the fields through the chain reader's `readOptionTicker`
 * (one reading of a venue ticker for the whole program), plus the two `start` needs that the
 * chain keeps differently: `mark_iv` in percent as printed, and greeks, which must be there.
 */
function toSnapshotOption(line: JsonObject): SnapshotOption {
  const ticker = readOptionTicker(line);
  if (ticker.venueGreeks === null) {
    throw new InputError('greeks', line['greeks'], 'an object {delta, gamma, vega, theta, rho}');
  }
  return {
    instrumentName: ticker.instrumentName,
    kind: ticker.kind,
    strike: ticker.strike,
    expiryMs: ticker.expiryMs,
    timestampMs: ticker.timestampMs,
    forwardUsd: ticker.forwardUsd,
    indexUsd: ticker.indexUsd,
    rate: ticker.rate,
    markCoin: ticker.markCoin,
    markIvPercent: nonNegativeField(line, 'mark_iv'),
    venueGreeks: ticker.venueGreeks,
  };
}
