/**
 * Recognising Deribit combo (strategy) instruments by name, so that they can be refused
 * clearly rather than mis-read as outright instruments.
 *
 * A combo name puts a strategy code between the currency and the legs:
 * `BTC-FS-29APR22_PERP` (future spread; Deribit API docs, `public/get_combo_details` example),
 * `BTC-CS-31MAR23-100000_200000` (call spread; Deribit Insights, "Deribit introducing combos"),
 * `BTC-REV-29APR22-37500` (reversal/conversion; Deribit API docs, `private/create_combo`
 * example). The venue does not publish the full list of codes; the rest below are the codes
 * seen in the venue's instrument listings (`kind` `future_combo` / `option_combo`). An unknown
 * code is not guessed at: such a name fails to parse as an outright instrument instead.
 */
import { UnsupportedError } from './errors.js';

/** Strategy codes that mark a combo instrument (second part of the name). */
export const COMBO_STRATEGY_CODES: ReadonlySet<string> = new Set([
  'FS', // future spread
  'CS', // call spread
  'PS', // put spread
  'CSR12',
  'CSR13',
  'CSR23', // call ratio spreads 1x2, 1x3, 2x3
  'PSR12',
  'PSR13',
  'PSR23', // put ratio spreads
  'RR', // risk reversal
  'RRITM', // risk reversal, in the money
  'STRD', // straddle
  'STRG', // strangle
  'GUTS', // in-the-money strangle
  'CCAL', // call calendar spread
  'PCAL', // put calendar spread
  'CDIAG', // call diagonal
  'PDIAG', // put diagonal
  'STDC', // straddle calendar
  'DSTDC', // diagonal straddle calendar
  'REV', // reversal / conversion
  'CBUT', // call butterfly
  'PBUT', // put butterfly
  'IBUT', // iron butterfly
  'CBUT111',
  'PBUT111', // skinny butterflies
  'CLAD', // call ladder
  'PLAD', // put ladder
  'CCOND', // call condor
  'PCOND', // put condor
  'ICOND', // iron condor
  'BOX', // box
  'JR', // jelly roll
]);

/** The strategy code if `name` is a combo instrument name (`FS`, `CS`, ...), else undefined. */
export function comboStrategyCode(name: string): string | undefined {
  const parts = name.split('-');
  const code = parts[1];
  if (parts.length < 2 || code === undefined) return undefined;
  return COMBO_STRATEGY_CODES.has(code) ? code : undefined;
}

/** True when `name` is a combo instrument name. */
export function isComboName(name: string): boolean {
  return comboStrategyCode(name) !== undefined;
}

/** Throws the `UnsupportedError` for a combo instrument. */
export function refuseCombo(name: string, code: string): never {
  throw new UnsupportedError(
    `combo instruments are not supported yet: ${JSON.stringify(name)} is a combo (strategy code ${code})`,
  );
}
