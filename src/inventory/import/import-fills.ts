/**
 * Imports a file of fills in the documented format into a journal: validate the whole file
 * first, then journal it in committed batches.
 *
 * Nothing is journaled if any line is bad, unless `skipInvalid` names a file, which then
 * receives each rejected line with its reasons (JSON Lines) while the valid lines are journaled.
 * Each batch is one transaction; an import killed half-way leaves whole batches, and the same
 * import run again finishes the job: fills already journaled (same venue and trade id) are
 * duplicates and change nothing.
 *
 * The records of the first `KEEP_RECORDS` valid lines are kept from validation; a larger file is
 * read a second time to journal it, so that memory stays bounded whatever its size (a line that
 * turns bad between the two passes, the file having changed, stops the import).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { BallastError } from '../../model/errors.js';
import { type FillEvent } from '../events.js';
import { eventRecord } from '../event-json.js';
import type { JournalRecord, JournalStore } from '../../store/journal.js';
import type { FieldProblem } from './fill-row.js';
import { forEachFillLine, formatOfPath, type FillFormat } from './read-fills.js';

/** Fills per committed transaction unless told otherwise. */
export const DEFAULT_IMPORT_BATCH = 5000;

/** Valid records kept in memory between validation and journaling (about 400 bytes each). */
const KEEP_RECORDS = 200_000;

/** A bad line: its number and what is wrong with which field. */
export interface LineProblems {
  lineNumber: number;
  problems: FieldProblem[];
}

/** How far an import has got; `onProgress` receives one after each batch. */
export interface ImportProgress {
  phase: 'validate' | 'journal';
  /** Lines read so far in this phase (non-blank, header included). */
  lines: number;
  /** All lines of the file (known once validation has finished; 0 before). */
  totalLines: number;
  appended: number;
  duplicates: number;
}

/** Options of `importFills`. */
export interface ImportOptions {
  /** Layout; by default from the file name, else from the first line. */
  format?: FillFormat;
  /** Fills per transaction (default 5,000). */
  batchSize?: number;
  /** Journal the valid lines and write the rejected ones with their reasons to this file. */
  skipInvalid?: string;
  onProgress?: (progress: ImportProgress) => void;
}

/** What an import did. */
export interface ImportResult {
  /** Non-blank lines of the file, header included. */
  lines: number;
  /** Valid fills in the file. */
  fills: number;
  /** Fills newly journaled. */
  appended: number;
  /** Fills already journaled (an earlier import, or repeated in the file). */
  duplicates: number;
  /** Duplicates whose content differs from what the journal holds: not journaled, worth a look. */
  conflicts: { lineNumber: number; venue: string; tradeId: string }[];
  /** Lines rejected (only with `skipInvalid`; otherwise a bad line throws). */
  rejected: number;
}

/** The file has bad lines; nothing was journaled. `lines` holds every one. */
export class ImportValidationError extends BallastError {
  override name = 'ImportValidationError';
  constructor(
    readonly path: string,
    readonly lines: LineProblems[],
  ) {
    const shown = lines
      .slice(0, 20)
      .flatMap(({ lineNumber, problems }) => problems.map((p) => `  line ${lineNumber}, ${p.message}`));
    const more = lines.length > 20 ? `\n  ... and ${lines.length - 20} more lines` : '';
    super(`${path}: ${lines.length} invalid line(s), nothing journaled:\n${shown.join('\n')}${more}`);
  }
}

/** The journal's record for a fill (`eventRecord`: the indexed fields and `eventJsonText`). */
export const fillRecord: (fill: FillEvent) => JournalRecord = eventRecord;

/** Imports the fills of the file at `path` into `journal` (see the module comment). */
export async function importFills(
  path: string,
  journal: JournalStore,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const format = options.format ?? formatOfPath(path);
  const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
  const progress = (p: ImportProgress): void => options.onProgress?.(p);

  // Pass 1: validate every line.
  const bad: LineProblems[] = [];
  const rejects = options.skipInvalid === undefined ? undefined : createWriteStream(options.skipInvalid);
  let lines = 0;
  let fills = 0;
  let kept: { records: JournalRecord[]; lineNumbers: number[] } | undefined = {
    records: [],
    lineNumbers: [],
  };
  try {
    await forEachFillLine(path, format, (line) => {
      lines += 1;
      if (line.fill !== undefined) {
        fills += 1;
        if (kept !== undefined && fills > KEEP_RECORDS) kept = undefined;
        kept?.records.push(fillRecord(line.fill));
        kept?.lineNumbers.push(line.lineNumber);
      }
      if (lines % batchSize === 0)
        progress({ phase: 'validate', lines, totalLines: 0, appended: 0, duplicates: 0 });
      if (line.problems !== undefined) {
        bad.push({ lineNumber: line.lineNumber, problems: line.problems });
        if (rejects !== undefined) {
          return write(
            rejects,
            `${JSON.stringify({ line: line.lineNumber, errors: line.problems, text: line.text })}\n`,
          );
        }
      }
      return undefined;
    });
  } finally {
    if (rejects !== undefined) {
      rejects.end();
      await once(rejects, 'close');
    }
  }
  if (bad.length > 0 && rejects === undefined) throw new ImportValidationError(path, bad);
  progress({ phase: 'validate', lines, totalLines: lines, appended: 0, duplicates: 0 });

  // Pass 2: journal the valid lines in committed batches.
  const result: ImportResult = {
    lines,
    fills,
    appended: 0,
    duplicates: 0,
    conflicts: [],
    rejected: bad.length,
  };
  const rejectedLines = new Set(bad.map((b) => b.lineNumber));
  let batch: JournalRecord[] = [];
  let batchLines: number[] = [];
  let read = 0;
  const flush = (): void => {
    if (batch.length === 0) return;
    const { appended, duplicates } = journal.append(batch);
    result.appended += appended;
    result.duplicates += duplicates.length;
    if (duplicates.length > 0) {
      const lineOf = new Map(batch.map((r, i) => [r, batchLines[i] as number]));
      for (const duplicate of duplicates) {
        if (journal.get(duplicate.venue, duplicate.id)?.body === duplicate.body) continue;
        const lineNumber = lineOf.get(duplicate) ?? 0;
        result.conflicts.push({ lineNumber, venue: duplicate.venue, tradeId: duplicate.id });
      }
    }
    batch = [];
    batchLines = [];
    progress({
      phase: 'journal',
      lines: read,
      totalLines: lines,
      appended: result.appended,
      duplicates: result.duplicates,
    });
  };
  if (kept !== undefined) {
    for (let i = 0; i < kept.records.length; i += batchSize) {
      batch = kept.records.slice(i, i + batchSize);
      batchLines = kept.lineNumbers.slice(i, i + batchSize);
      read = kept.lineNumbers[Math.min(i + batchSize, kept.records.length) - 1] ?? 0;
      flush();
    }
    progress({
      phase: 'journal',
      lines,
      totalLines: lines,
      appended: result.appended,
      duplicates: result.duplicates,
    });
    return result;
  }
  await forEachFillLine(path, format, (line) => {
    read += 1;
    if (line.fill === undefined) {
      if (line.problems === undefined || rejectedLines.has(line.lineNumber)) return;
      throw new ImportValidationError(path, [{ lineNumber: line.lineNumber, problems: line.problems }]);
    }
    batch.push(fillRecord(line.fill));
    batchLines.push(line.lineNumber);
    if (batch.length >= batchSize) flush();
  });
  flush();
  if (read !== lines)
    throw new BallastError(`${path} changed during the import: ${lines} lines, then ${read}`);
  return result;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}
