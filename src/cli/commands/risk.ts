/**
 * `ballast risk --book FILE --market FILE [--limits FILE] [--json]`: the risk of a book on a
 * market snapshot. The book: JSON Lines `{"instrument":"BTC-26JUN20-10000-C","amount":-25}`
 * (signed, venue unit); the market: the chain snapshot format of `data/deribit/`, with futures
 * and perpetuals as lines holding `instrument_name`, `mark_price` and `index_price`.
 *
 * `--json` prints one object with at least
 * `{"greeks":{...},"stress":{"spot_shocks":[...],"vol_shifts":[...],"pnl_usd":[[...]]},"margin":{...},"limits":[...],"liquidity":{...},"expiry":{...},"warnings":[...]}`,
 * every greek key naming its unit. The stress grid (`--spot-shocks`, `--vol-shifts`,
 * `--vol-model`, `--marks`) is a full revaluation: see `src/risk/stress/revalue.ts`.
 */
import { readFile } from 'node:fs/promises';

import { InvalidArgumentError, Option, type Command } from 'commander';

import { InputError } from '../../model/errors.js';
import { DEALER_POSITIONING } from '../../risk/gamma.js';
import { readRiskBook, readRiskMarket, requireMarks } from '../../risk/inputs.js';
import { parseLimitsText } from '../../risk/limits/config.js';
import { riskReport, riskText, type RiskReportOptions } from '../../risk/report.js';
import type { VolModel } from '../../risk/scenario.js';
import { InputFileError } from '../jsonl.js';

function numberList(name: string): (text: string) => number[] {
  return (text: string) => {
    const values = text.split(',').map((part) => Number(part.trim()));
    if (values.length === 0 || values.some((v) => !Number.isFinite(v) || String(v) === '')) {
      throw new InvalidArgumentError(`${name}: expected numbers separated by commas, such as -0.1,0,0.1`);
    }
    return values;
  };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(
      path,
      code === 'ENOENT' ? `no such ${what} file` : `cannot read (${code ?? String(error)})`,
    );
  }
}

export function registerRisk(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('risk')
    .summary('greeks, stress grid, margin, limits, liquidity and expiry risk of a book')
    .description(
      'Values a book (JSON Lines {"instrument","amount"}) on a market snapshot (the chain format of\n' +
        'data/deribit/, plus future and perpetual lines with instrument_name, mark_price and\n' +
        'index_price) and reports its greeks by underlying, expiry and strike, a spot x vol stress\n' +
        'grid by full revaluation, a venue-style portfolio margin estimate, limit use, the cost to\n' +
        'unwind against the books, and what expires soon. --json prints one object.',
    )
    .requiredOption('--book <file>', 'the positions, JSON Lines')
    .requiredOption('--market <file>', 'the market snapshot, JSON Lines')
    .option('--limits <file>', 'a limits file (JSON or YAML)')
    .option('--json', 'print one JSON object')
    .addOption(
      new Option('--spot-shocks <list>', 'relative spot moves of the grid')
        .argParser(numberList('--spot-shocks'))
        .default([-0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2], '-0.2,-0.1,-0.05,0,0.05,0.1,0.2'),
    )
    .addOption(
      new Option('--vol-shifts <list>', 'absolute vol shifts of the grid (0.1 = 10 vol points)')
        .argParser(numberList('--vol-shifts'))
        .default([-0.1, 0, 0.1], '-0.1,0,0.1'),
    )
    .addOption(
      new Option('--vol-model <model>', 'how the surface moves with spot')
        .choices(['sticky-strike', 'sticky-moneyness', 'term-structure'])
        .default('sticky-strike'),
    )
    .addOption(
      new Option(
        '--marks <marks>',
        "venue: each option at its mark's implied vol; surface: at the fitted surface",
      )
        .choices(['venue', 'surface'])
        .default('venue'),
    )
    .addOption(
      new Option('--positioning <who>', 'who holds the open interest, for the dealer gamma section')
        .choices(Object.keys(DEALER_POSITIONING))
        .default('customersLongCallsShortPuts'),
    )
    .option('--equity <coin>', 'account equity in coin, for the liquidation distance', (v) => {
      const x = Number(v);
      if (!Number.isFinite(x) || x < 0)
        throw new InvalidArgumentError('--equity: expected a number of coins >= 0');
      return x;
    })
    .action(
      async (options: {
        book: string;
        market: string;
        limits?: string;
        json?: boolean;
        spotShocks: number[];
        volShifts: number[];
        volModel: VolModel;
        marks: 'venue' | 'surface';
        equity?: number;
        positioning: keyof typeof DEALER_POSITIONING;
      }) => {
        const book = await readRiskBook(await readText(options.book, 'book'));
        if (book.length === 0)
          throw new InputError(`${options.book}`, 'no positions', 'at least one position');
        const market = await readRiskMarket(await readText(options.market, 'market'));
        requireMarks(book, market);
        const limits =
          options.limits === undefined
            ? undefined
            : parseLimitsText(await readText(options.limits, 'limits'), options.limits);
        const reportOptions: RiskReportOptions = {
          spotShocks: options.spotShocks,
          volShifts: options.volShifts,
          volModel: options.volModel,
          marks: options.marks,
          positioning: DEALER_POSITIONING[options.positioning],
          ...(limits === undefined ? {} : { limits }),
          ...(options.equity === undefined ? {} : { equityCoin: options.equity }),
        };
        const report = await riskReport(book, market, reportOptions);
        process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : riskText(report));
        const breached = report.limits.some((l) => l.breached);
        setExitCode(breached ? 1 : 0);
      },
    );
}
