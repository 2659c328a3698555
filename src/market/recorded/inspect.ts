/**
 * A summary of a recorded market-data file: what `ballast data inspect` prints. Reads the file
 * once through its reader (Tardis CSV or Deribit WebSocket JSON Lines, plain or gzipped) and
 * counts records, events by type, instruments, the time span and the breaks in the venue's
 * book sequence numbers.
 */
import type { BadRecord, MarketEvent, MarketEventType, RecordedReadOptions } from '../events.js';
import { readDeribitJsonl } from './deribit-jsonl.js';
import { readTardisCsv } from './tardis.js';

/** The layouts `inspectFile` reads. */
export type RecordedFormat = 'tardis-csv' | 'deribit-jsonl';

/** What a file holds. */
export interface FileSummary {
  format: RecordedFormat;
  /** The file's records (lines or rows, header excluded, snapshots and bad records included). */
  events: number;
  /** Normalized events by type (a Deribit trades line can give several; a CSV snapshot is one event for many rows). */
  eventTypes: Partial<Record<MarketEventType, number>>;
  /** Instruments seen, sorted. */
  instruments: string[];
  /** The first and last venue (exchange) timestamps, whole ms (floored); null for an empty file. */
  startMs: number | null;
  endMs: number | null;
  /**
   * Breaks in the venue's sequence: book changes whose `prev_change_id` is not the last
   * `change_id` of that instrument. Null for a format that carries no sequence numbers (Tardis
   * CSV); a number, 0 included, for Deribit's notifications.
   */
  gaps: number | null;
  /** Bad records: their count and the first few. */
  badRecords: number;
  firstBadRecords: BadRecord[];
}

/** The format of a file from its name: `.csv` or `.csv.gz` is Tardis, `.jsonl`/`.json`/`.ndjson` (or `.gz`) Deribit. */
export function formatOfRecordedFile(path: string): RecordedFormat | undefined {
  const name = path.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.csv')) return 'tardis-csv';
  if (name.endsWith('.jsonl') || name.endsWith('.json') || name.endsWith('.ndjson')) return 'deribit-jsonl';
  return undefined;
}

/** Options of `inspectFile`. */
export interface InspectOptions {
  format?: RecordedFormat;
  /** Called every `progressEvery` records with the count so far. */
  onProgress?: (records: number) => void;
  progressEvery?: number;
}

const KEEP_BAD = 20;

/** Reads the whole file at `path` and summarizes it; bad records are counted, not fatal. */
export async function inspectFile(path: string, options: InspectOptions = {}): Promise<FileSummary> {
  const format = options.format ?? formatOfRecordedFile(path);
  if (format === undefined) {
    throw new Error(`${path}: cannot tell the format from the name (.csv[.gz] or .jsonl[.gz]); give it`);
  }
  const every = options.progressEvery ?? 100_000;
  let records = 0;
  let badRecords = 0;
  const firstBadRecords: BadRecord[] = [];
  const read: RecordedReadOptions = {
    onBadRecord: (bad) => {
      badRecords += 1;
      if (firstBadRecords.length < KEEP_BAD) firstBadRecords.push(bad);
    },
    onRecord: () => {
      records += 1;
      if (records % every === 0) options.onProgress?.(records);
    },
  };
  const eventTypes: Partial<Record<MarketEventType, number>> = {};
  const instruments = new Set<string>();
  const lastChangeId = new Map<string, number>();
  let gaps = 0;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const events: AsyncIterable<MarketEvent> =
    format === 'tardis-csv' ? readTardisCsv(path, read) : readDeribitJsonl(path, read);
  for await (const event of events) {
    eventTypes[event.type] = (eventTypes[event.type] ?? 0) + 1;
    instruments.add(event.instrument);
    if (event.timestampMs < start) start = event.timestampMs;
    if (event.timestampMs > end) end = event.timestampMs;
    if (event.type === 'book_snapshot' || event.type === 'book_change') {
      if (event.changeId === null) continue;
      if (event.type === 'book_change' && event.prevChangeId !== null) {
        const last = lastChangeId.get(event.instrument);
        if (last !== undefined && last !== event.prevChangeId) gaps += 1;
      }
      lastChangeId.set(event.instrument, event.changeId);
    }
  }
  return {
    format,
    events: records,
    eventTypes,
    instruments: [...instruments].sort(),
    startMs: Number.isFinite(start) ? Math.floor(start) : null,
    endMs: Number.isFinite(end) ? Math.floor(end) : null,
    gaps: format === 'deribit-jsonl' ? gaps : null,
    badRecords,
    firstBadRecords,
  };
}
