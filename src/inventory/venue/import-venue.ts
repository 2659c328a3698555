/**
 * Imports a venue JSON file (user trades or transaction log) into the journal, with the same
 * contract as the documented fill format (`import/import-fills.ts`): the whole file is read and
 * validated first; if any entry is bad nothing is journaled, unless `skipInvalid` names a file,
 * which receives each rejected entry with its reasons; then committed batches, duplicates (same
 * venue and id) change nothing. A venue document is one JSON text, read whole: the API pages
 * through at most 1,000 trades or 250 log entries a call, so files are of moderate size.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { eventRecord } from '../event-json.js';
import type { JournalStore } from '../../store/journal.js';
import { DEFAULT_IMPORT_BATCH, type ImportProgress, type ImportResult } from '../import/import-fills.js';
import { readTransactionLog } from './transaction-log.js';
import { readUserTrades } from './user-trades.js';
import { VenueValidationError, type VenueRead } from './venue-read.js';

/** The venue layouts: `private/get_user_trades_by_currency` and `private/get_transaction_log`. */
export type VenueFormat = 'deribit-trades' | 'deribit-log';

export interface VenueImportOptions {
  batchSize?: number;
  skipInvalid?: string;
  onProgress?: (progress: ImportProgress) => void;
}

/** Reads a venue document's text in `format`. */
export function readVenueText(text: string, format: VenueFormat): VenueRead {
  return format === 'deribit-trades' ? readUserTrades(text) : readTransactionLog(text);
}

/** Imports the venue file at `path` (see the module comment). `fills` counts every event. */
export async function importVenueFile(
  path: string,
  format: VenueFormat,
  journal: JournalStore,
  options: VenueImportOptions = {},
): Promise<ImportResult> {
  const batchSize = options.batchSize ?? DEFAULT_IMPORT_BATCH;
  const read = readVenueText(await readFile(path, 'utf8'), format);
  if (read.problems.length > 0) {
    if (options.skipInvalid === undefined) throw new VenueValidationError(path, read.problems);
    await writeFile(
      options.skipInvalid,
      read.problems
        .map((p) =>
          JSON.stringify({
            line: p.lineNumber,
            path: p.path,
            errors: [{ field: p.field, message: p.message }],
            ...(p.text === undefined ? {} : { text: p.text }),
          }),
        )
        .join('\n') + '\n',
    );
  }
  const rejectedLines = new Set(read.problems.map((p) => p.lineNumber));
  const result: ImportResult = {
    lines: read.entries,
    fills: read.events.length,
    appended: 0,
    duplicates: 0,
    conflicts: [],
    rejected: rejectedLines.size,
  };
  for (let i = 0; i < read.events.length; i += batchSize) {
    const batch = read.events.slice(i, i + batchSize);
    const records = batch.map(({ event }) => eventRecord(event));
    const { appended, duplicates } = journal.append(records);
    result.appended += appended;
    result.duplicates += duplicates.length;
    for (const duplicate of duplicates) {
      if (journal.get(duplicate.venue, duplicate.id)?.body === duplicate.body) continue;
      const index = records.indexOf(duplicate);
      result.conflicts.push({
        lineNumber: batch[index]?.lineNumber ?? 0,
        venue: duplicate.venue,
        tradeId: duplicate.id,
      });
    }
    options.onProgress?.({
      phase: 'journal',
      lines: Math.min(i + batchSize, read.events.length),
      totalLines: read.events.length,
      appended: result.appended,
      duplicates: result.duplicates,
    });
  }
  return result;
}
