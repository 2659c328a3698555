/**
 * `ballast chain --input FILE [--json] [--model svi|essvi]`: reads a Deribit option-chain
 * snapshot (JSON Lines of `public/ticker` objects; the embedded one without `--input`), computes
 * the implied vols of mark, bid and ask, fits the arbitrage-free surface and prints a table for
 * people, or with `--json` one object:
 * `{"as_of","model","instruments":[...],"expiries":[...],"warnings":[...],"quote_arbitrage":[...]}`
 * (shape in `src/vol/chain-surface.ts`). Bad lines become warnings; the rest is processed.
 */
import { createInterface } from 'node:readline';

import { Option, type Command } from 'commander';

import { MS_PER_DAY } from '../../model/time.js';
import type { SurfaceModel } from '../../vol/calibrate-surface.js';
import { readChain } from '../../vol/chain.js';
import { chainReport, fitChain, type ChainReport } from '../../vol/chain-surface.js';
import { findQuoteArbitrage } from '../../vol/quote-arbitrage.js';
import { openInput } from '../jsonl.js';
import { defaultSnapshotPath } from '../snapshot.js';

export function registerChain(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('chain')
    .summary('implied vols of an option chain and its arbitrage-free volatility surface')
    .description(
      'Reads a Deribit option-chain snapshot (JSON Lines of ticker objects; the embedded\n' +
        'data/deribit/btc-options-2020-05-21.jsonl without --input), computes implied vols of mark,\n' +
        "bid and ask at each line's forward, fits the volatility surface (raw SVI per expiry, or\n" +
        'eSSVI with --model essvi) free of butterfly and calendar arbitrage, and prints a table,\n' +
        'or one JSON object with --json. Bad lines become warnings; the rest is processed.',
    )
    .option('-i, --input <file>', 'chain snapshot file instead of the embedded one')
    .option('--json', 'print one JSON object instead of the table')
    .addOption(new Option('--model <model>', 'surface model').choices(['svi', 'essvi']).default('svi'))
    .action(async (options: { input?: string; json?: boolean; model: string }) => {
      const path = options.input ?? defaultSnapshotPath();
      const input = await openInput(path);
      const chain = await readChain(createInterface({ input, crlfDelay: Infinity }));
      if (chain.quotes.length === 0) {
        for (const w of chain.warnings) process.stderr.write(`warning: line ${w.line}: ${w.message}\n`);
        process.stderr.write(`ballast chain: ${path} holds no usable options\n`);
        setExitCode(1);
        return;
      }
      const fit = fitChain(chain.quotes, { model: options.model as SurfaceModel });
      const report = { ...chainReport(chain, fit), quote_arbitrage: findQuoteArbitrage(chain.quotes) };
      process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : renderTable(report));
      setExitCode(0);
    });
}

const pct = (v: number | null, digits = 2): string => (v === null ? '-' : (100 * v).toFixed(digits));
const num = (v: number | null, digits: number): string => (v === null ? '-' : v.toFixed(digits));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The table `ballast chain` prints without `--json`. */
export function renderTable(
  report: ChainReport & { quote_arbitrage: readonly { detail: string }[] },
): string {
  const asOf = Date.parse(report.as_of);
  const expiries = table(
    [
      'expiry',
      'days',
      'forward',
      'ATM vol %',
      'quotes',
      'rmse (vol pts)',
      'inside spread',
      'butterfly-free',
      'calendar-free',
    ],
    report.expiries.map((e) => [
      e.expiry.slice(0, 10),
      ((Date.parse(e.expiry) - asOf) / MS_PER_DAY).toFixed(2),
      e.forward.toFixed(2),
      pct(e.atm_vol),
      String(e.quotes_fitted),
      e.rmse_vol_pts.toFixed(2),
      `${(100 * e.within_spread_share).toFixed(0)}%`,
      e.butterfly_free ? 'yes' : 'NO',
      e.calendar_free ? 'yes' : 'NO',
    ]),
  );
  const instruments = table(
    [
      'instrument',
      'mark iv %',
      'bid iv %',
      'ask iv %',
      'fit iv %',
      'delta',
      'gamma',
      'vega $',
      'theta $/day',
    ],
    report.instruments.map((i) => [
      i.instrument_name,
      pct(i.iv_mark),
      pct(i.iv_bid),
      pct(i.iv_ask),
      pct(i.iv_fit),
      num(i.delta, 5),
      num(i.gamma, 6),
      num(i.vega, 4),
      num(i.theta, 4),
    ]),
  );
  const lines = [
    `Volatility surface (${report.model}) as of ${report.as_of}: ${report.instruments.length} options, ${report.expiries.length} expiries`,
    '',
    expiries,
    instruments,
  ];
  if (report.quote_arbitrage.length > 0) {
    lines.push(`Arbitrage in the market's own quotes (${report.quote_arbitrage.length}):`);
    for (const a of report.quote_arbitrage) lines.push(`  ${a.detail}`);
    lines.push('');
  }
  if (report.warnings.length > 0) {
    lines.push(`Warnings (${report.warnings.length}):`);
    for (const w of report.warnings) lines.push(`  ${w}`);
  }
  return lines.join('\n') + '\n';
}
