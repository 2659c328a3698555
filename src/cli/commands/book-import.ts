/**
 * `ballast book import FILE [--db PATH] [--format jsonl|csv|deribit-trades|deribit-log]
 * [--skip-invalid REJECTS_FILE]`: validates the whole file, then journals it in committed
 * batches (`importFills` for the documented format, `importVenueFile` for the venue's JSON).
 * A progress bar on stderr for large files when stderr is a terminal; one summary line always.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';

import { importFills, type ImportProgress, type ImportResult } from '../../inventory/import/import-fills.js';
import { importVenueFile, type VenueFormat } from '../../inventory/venue/import-venue.js';
import { InputFileError } from '../jsonl.js';
import { restoreLedger, saveLedgerSnapshot } from '../../engine/journaled-ledger.js';
import { openJournal } from './book-journal.js';

/** The layouts `--format` names. */
export const IMPORT_FORMATS = ['jsonl', 'csv', 'deribit-trades', 'deribit-log'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Lines from which an import shows a progress bar (when stderr is a terminal). */
const PROGRESS_FROM_LINES = 20_000;

export interface BookImportOptions {
  db: string;
  format?: ImportFormat;
  skipInvalid?: string;
}

/** Runs the import; returns the exit status (0; errors throw and `main` maps them). */
export async function bookImport(file: string, options: BookImportOptions): Promise<number> {
  if (!existsSync(file)) throw new InputFileError(file, 'no such file');
  if (statSync(file).isDirectory()) throw new InputFileError(file, 'is a directory');
  const format = options.format ?? detectFormat(file);
  const journal = openJournal(options.db, true);
  const bar = process.stderr.isTTY ? new ProgressBar() : undefined;
  try {
    const common = {
      ...(options.skipInvalid === undefined ? {} : { skipInvalid: options.skipInvalid }),
      onProgress: (p: ImportProgress) => bar?.update(p),
    };
    const result =
      format === 'jsonl' || format === 'csv'
        ? await importFills(file, journal, { ...common, format })
        : await importVenueFile(file, format as VenueFormat, journal, common);
    // The book as of this import, saved so that the next command starts from it and folds only
    // what is journaled after it (`restoreLedger`).
    if (result.appended > 0) saveLedgerSnapshot(journal, restoreLedger(journal).ledger);
    bar?.clear();
    process.stdout.write(`${summaryLine(file, format, result)}\n`);
    for (const c of result.conflicts.slice(0, 20)) {
      process.stderr.write(
        `warning: line ${c.lineNumber}: ${c.venue} ${c.tradeId} is journaled with other content; kept the journaled one\n`,
      );
    }
    return 0;
  } finally {
    bar?.clear();
    journal.close();
  }
}

/** One line: what the import read and did. */
export function summaryLine(file: string, format: string, r: ImportResult): string {
  return (
    `${file} (${format}): ${r.fills} event(s) read, ${r.appended} journaled, ${r.duplicates} already journaled` +
    `, ${r.conflicts.length} conflict(s), ${r.rejected} rejected`
  );
}

/**
 * The layout of a file without `--format`: `.csv` is CSV; a JSON document holding
 * `result.trades` or `trades` is the venue's trade history, one holding `result.logs` or `logs`
 * its transaction log; anything else JSON Lines of the documented format.
 */
export function detectFormat(file: string): ImportFormat {
  if (file.toLowerCase().endsWith('.csv')) return 'csv';
  const head = readFileSync(file, 'utf8');
  const first = head.trimStart()[0];
  if (first !== '{' && first !== '[') return 'csv';
  try {
    const doc = JSON.parse(head) as Record<string, unknown>;
    const result = (doc.result ?? doc) as Record<string, unknown>;
    if (Array.isArray(result.trades)) return 'deribit-trades';
    if (Array.isArray(result.logs)) return 'deribit-log';
  } catch {
    // Not one JSON document: JSON Lines.
  }
  return 'jsonl';
}

/**
 * The progress line for `p`, or null below `PROGRESS_FROM_LINES` lines (a small file needs no
 * bar): `validating N lines` while the file is checked, then a bar of the journaled part.
 */
export function progressLine(p: ImportProgress, width = 30): string | null {
  const total = p.totalLines;
  if (Math.max(total, p.lines) < PROGRESS_FROM_LINES) return null;
  if (p.phase === 'validate' || total === 0) return `validating ${p.lines.toLocaleString('en-US')} lines`;
  const fraction = Math.min(1, p.lines / total);
  const filled = Math.round(fraction * width);
  return (
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `${p.appended.toLocaleString('en-US')} journaled, ${p.duplicates.toLocaleString('en-US')} duplicates`
  );
}

/** A one-line bar redrawn in place on stderr. */
class ProgressBar {
  private shown = false;

  update(p: ImportProgress): void {
    const text = progressLine(p);
    if (text === null) return;
    process.stderr.write(`\r${text}\u001b[K`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\u001b[K');
    this.shown = false;
  }
}
