/**
 * `ballast price`: Black-76 price and greeks of each JSON line
 * `{"kind","forward","strike","expiry_years","vol","rate"}`, in model units (see
 * `Black76Greeks`): price in the currency of forward and strike, vega per 1.00 of vol, theta
 * per year, rho per 1.00 of rate with the forward held.
 */
import type { Command } from 'commander';

import { black76 } from '../../pricing/black76.js';
import { finiteField, kindField, positiveField, runJsonLines, type JsonObject } from '../jsonl.js';

/** One input line to its output line; throws `InputError` naming the field and the value. */
export function priceLine(line: JsonObject): JsonObject {
  const kind = kindField(line);
  const forward = positiveField(line, 'forward');
  const strike = positiveField(line, 'strike');
  const expiryYears = positiveField(line, 'expiry_years');
  const vol = positiveField(line, 'vol');
  const rate = finiteField(line, 'rate');
  const g = black76(kind, forward, strike, expiryYears, vol, rate);
  return {
    price: g.price,
    delta: g.delta,
    gamma: g.gamma,
    vega: g.vega,
    theta: g.theta,
    rho: g.rho,
    vanna: g.vanna,
    volga: g.volga,
  };
}

export function registerPrice(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('price')
    .summary('Black-76 price and greeks of each JSON line')
    .description(
      'Black-76 price and greeks of each JSON line read from stdin (or --input):\n' +
        '  in  {"kind":"call"|"put","forward":F,"strike":K,"expiry_years":T,"vol":s,"rate":r}\n' +
        '  out {"price","delta","gamma","vega","theta","rho","vanna","volga"} (model units: vega per 1.00 vol,\n' +
        '      theta per year, rho per 1.00 rate with the forward held)\n' +
        'A line that cannot be computed gives {"error":"line N: ..."}; exit status 1 if any did.',
    )
    .option('-i, --input <file>', 'read JSON Lines from this file instead of stdin')
    .action(async (options: { input?: string }) => {
      setExitCode(await runJsonLines(options.input, priceLine));
    });
}
