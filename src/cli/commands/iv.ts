/**
 * `ballast iv`: Black-76 implied volatility of each JSON line
 * `{"kind","forward","strike","expiry_years","rate","price"}` (Let's Be Rational, see
 * `implied-vol.ts`); a price outside the attainable range is an error line naming `price`.
 */
import type { Command } from 'commander';

import { impliedVol } from '../../pricing/implied-vol.js';
import { finiteField, kindField, positiveField, runJsonLines, type JsonObject } from '../jsonl.js';

/** One input line to its output line; throws `InputError` naming the field and the value. */
export function ivLine(line: JsonObject): JsonObject {
  const kind = kindField(line);
  const forward = positiveField(line, 'forward');
  const strike = positiveField(line, 'strike');
  const expiryYears = positiveField(line, 'expiry_years');
  const rate = finiteField(line, 'rate');
  const price = finiteField(line, 'price');
  return { vol: impliedVol(kind, price, forward, strike, expiryYears, rate) };
}

export function registerIv(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('iv')
    .summary('Black-76 implied volatility of each JSON line')
    .description(
      'Black-76 implied volatility of each JSON line read from stdin (or --input):\n' +
        '  in  {"kind":"call"|"put","forward":F,"strike":K,"expiry_years":T,"rate":r,"price":P}\n' +
        '  out {"vol"}\n' +
        'A line that cannot be computed (for example a price at or below intrinsic) gives\n' +
        '{"error":"line N: ..."}; exit status 1 if any did.',
    )
    .option('-i, --input <file>', 'read JSON Lines from this file instead of stdin')
    .action(async (options: { input?: string }) => {
      setExitCode(await runJsonLines(options.input, ivLine));
    });
}
