/**
 * `ballast book`: the inventory from the journal.
 * - `book import FILE [--db PATH] [--format ...] [--skip-invalid FILE]` (`book-import.ts`);
 * - `book show [--db PATH] [--json] [--index btc_usd=P,...]`: fills, open positions and cash, also
 *   in USD at the index (given, or the latest mark event's);
 * - `book pnl --from ISO --to ISO [--db PATH] [--json]`: realized P&L, fees, funding and the
 *   change of cash between the book at `from` and at `to` (each the journal folded to that time:
 *   events at or before it);
 * - `book reconcile FILE [--db PATH] [--at ISO] [--json]`: differences with the venue's
 *   snapshot; exit status 1 when there are any.
 */
import { readFile } from 'node:fs/promises';

import { InvalidArgumentError, Option, type Command } from 'commander';

import { parseMoney, type Money } from '../../inventory/money.js';
import { parseAccountSnapshot, reconcile } from '../../inventory/reconcile.js';
import { InputError } from '../../model/errors.js';
import { InputFileError } from '../jsonl.js';
import { bookImport, IMPORT_FORMATS, type ImportFormat } from './book-import.js';
import { DEFAULT_DB, foldJournal, openJournal, parseTime } from './book-journal.js';
import { pnlReport, pnlText, reconcileText, showReport, showText, type IndexPrices } from './book-report.js';

export function registerBook(program: Command, setExitCode: (code: number) => void): void {
  const book = program
    .command('book')
    .summary('the inventory: import fills and venue history into the journal, show, P&L, reconcile')
    .description('The inventory, from the journal (an SQLite file, --db, default ./data/journal.sqlite).');

  book
    .command('import <file>')
    .summary('validate a file of fills or venue history, then journal it in committed batches')
    .description(
      'Validates the whole FILE (every bad line is reported with its line number and field, and\n' +
        'nothing is journaled), then journals it in committed batches. Formats: jsonl and csv\n' +
        '(docs/import-format.md), deribit-trades (private/get_user_trades_by_currency JSON),\n' +
        'deribit-log (private/get_transaction_log JSON); by default from the file. Events already\n' +
        'journaled (same venue and id) change nothing, so an import can be run again.',
    )
    .option('--db <path>', 'journal file', DEFAULT_DB)
    .addOption(new Option('--format <format>', 'layout of FILE').choices([...IMPORT_FORMATS]))
    .option(
      '--skip-invalid <rejects>',
      'journal the valid lines, write the rejected ones with reasons to this file',
    )
    .action(async (file: string, options: { db: string; format?: ImportFormat; skipInvalid?: string }) => {
      setExitCode(await bookImport(file, options));
    });

  book
    .command('show')
    .summary('fills, open positions and cash of the journal')
    .description(
      'Prints the book folded from the whole journal; with --json one object\n' +
        '{"fills":N,"positions":[{"instrument","amount","avg_price",...}],"cash":{"BTC","ETH","USDC",...},...}\n' +
        'with amounts signed in the venue unit, avg_price in the price currency, cash after\n' +
        'settlements, numbers as exact decimal strings.',
    )
    .option('--db <path>', 'journal file', DEFAULT_DB)
    .option('--json', 'print one JSON object')
    .addOption(
      new Option(
        '--index <prices>',
        'index prices for the USD figures, e.g. btc_usd=95000,eth_usd=3500 (default: the latest mark event)',
      ).argParser((text: string) => {
        try {
          return parseIndexPrices(text);
        } catch (error) {
          if (error instanceof InputError) throw new InvalidArgumentError(error.message);
          throw error;
        }
      }),
    )
    .action((options: { db: string; json?: boolean; index?: IndexPrices }) => {
      const index = options.index;
      const journal = openJournal(options.db, false);
      try {
        const report = showReport(foldJournal(journal), index);
        process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : showText(report));
      } finally {
        journal.close();
      }
      setExitCode(0);
    });

  book
    .command('pnl')
    .summary('realized P&L, fees, funding and cash change between two times')
    .description(
      'Folds the journal to --from and to --to (events at or before each time) and prints, by\n' +
        'currency, the realized trading P&L, fees paid, funding received and the change of cash.',
    )
    .requiredOption('--from <iso>', 'start, ISO 8601 (e.g. 2026-01-01T08:00:00Z)')
    .requiredOption('--to <iso>', 'end, ISO 8601')
    .option('--db <path>', 'journal file', DEFAULT_DB)
    .option('--json', 'print one JSON object')
    .action((options: { from: string; to: string; db: string; json?: boolean }) => {
      const fromMs = parseTime('--from', options.from);
      const toMs = parseTime('--to', options.to);
      if (toMs < fromMs)
        throw new InputError('--to', options.to, `a time at or after --from (${options.from})`);
      const journal = openJournal(options.db, false);
      try {
        const report = pnlReport(fromMs, toMs, foldJournal(journal, fromMs), foldJournal(journal, toMs));
        process.stdout.write(options.json === true ? `${JSON.stringify(report)}\n` : pnlText(report));
      } finally {
        journal.close();
      }
      setExitCode(0);
    });

  book
    .command('reconcile <file>')
    .summary("compare the journal with the venue's account snapshot; exit 1 on differences")
    .description(
      "Reads the venue's snapshot FILE (private/get_account_summary, get_account_summaries,\n" +
        'get_positions responses, one document or JSON Lines, or {"timestamp",\n' +
        '"account_summary","positions"}), folds the journal to the snapshot time (--at, else the\n' +
        "file's timestamp, else the whole journal) and reports every difference in cash, position\n" +
        'or average price (tolerance 1e-8; average prices half a unit of the venue last decimal).\n' +
        'Exit status 1 when there are differences.',
    )
    .option('--db <path>', 'journal file', DEFAULT_DB)
    .option('--at <iso>', 'time of the snapshot, ISO 8601')
    .option('--json', 'print one JSON object')
    .action(async (file: string, options: { db: string; at?: string; json?: boolean }) => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        throw new InputFileError(file, 'no such file or not readable');
      }
      const snapshot = parseAccountSnapshot(text);
      if (options.at !== undefined) snapshot.atMs = parseTime('--at', options.at);
      const journal = openJournal(options.db, false);
      try {
        const folded = foldJournal(journal, snapshot.atMs ?? undefined);
        const report = reconcile(snapshot, folded.ledger);
        const foldedTo =
          snapshot.atMs === null
            ? '(whole journal: the snapshot has no time)'
            : `at ${new Date(snapshot.atMs).toISOString()}`;
        process.stdout.write(
          options.json === true
            ? `${JSON.stringify({ ...report, folded_events: folded.events })}\n`
            : reconcileText(report, foldedTo),
        );
        setExitCode(report.differences.length > 0 ? 1 : 0);
      } finally {
        journal.close();
      }
    });

  for (const command of book.commands) command.exitOverride();
  book.exitOverride();
}

/** `--index btc_usd=95000,eth_usd=3500`: positive prices by index name. */
export function parseIndexPrices(text: string): IndexPrices {
  const prices: Record<string, Money> = {};
  for (const part of text.split(',')) {
    const match = /^\s*([a-z]+_usd)\s*=\s*(\S+)\s*$/.exec(part);
    if (match === null) throw new InputError('--index', part, 'name=price such as btc_usd=95000');
    const price = parseMoney(match[2] as string, { field: `--index ${match[1]}` });
    if (price <= 0n) throw new InputError(`--index ${match[1]}`, match[2], 'a positive price');
    prices[match[1] as string] = price;
  }
  return { prices, source: '--index' };
}
