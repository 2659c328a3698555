/**
 * The journal store as the core sees it: an append-only sequence of events, each identified by
 * its venue and the venue's id (the trade id for a fill), replayed in the canonical order, plus
 * snapshots of a fold with the journal position they cover.
 *
 * The store knows nothing of the event types: a record carries the few fields the store indexes
 * (identity, canonical-order key, type, instrument) and the event's JSON text, which the core
 * writes and reads (`eventToJson` / `eventFromJson` in `src/inventory/events.ts`). Adapters:
 * `src/store/sqlite/journal.ts` (embedded, the default); PostgreSQL later.
 */
import { compareEvents } from '../inventory/events.js';
import { InputError } from '../model/errors.js';

/** One journaled event: the indexed fields and the event's JSON form. */
export interface JournalRecord {
  /** The venue the event comes from (`deribit`, `sim`, ...). */
  venue: string;
  /** The venue's id of the event, unique per venue (a fill's trade id). */
  id: string;
  /** The venue's timestamp, ms since the Unix epoch: the first key of the canonical order. */
  timestampMs: number;
  /** The venue's sequence (a fill's trade sequence; 0 when the event has none): second key. */
  sequence: number;
  /** The event type (`fill`, `funding`, `settlement`, ...). */
  type: string;
  /** The instrument the event concerns, or null (deposits, transfers). */
  instrument: string | null;
  /** The event's JSON form, stored and returned as it is given. */
  body: string;
}

/** A record as the journal returns it: with its append position. */
export interface StoredRecord extends JournalRecord {
  /** Position in append order: 1 for the first record, increasing, never reused. */
  seq: number;
}

/** What one `append` did. */
export interface AppendResult {
  /** Records newly journaled. */
  appended: number;
  /** Records whose (venue, id) was already journaled (or repeated earlier in the same batch), in
   * the order given; they changed nothing. */
  duplicates: JournalRecord[];
}

/** Which records a replay returns (all of them by default). */
export interface ReplayOptions {
  /** Only records appended after this position (`StoredRecord.seq`): the tail after a snapshot. */
  afterSeq?: number;
  /** Only records appended at or before this position: what a snapshot covers. */
  throughSeq?: number;
  /** Only the records of this instrument. */
  instrument?: string;
  /** Only records of these types (the ledger reads the inventory's, not trading-state changes). */
  types?: readonly string[];
  /**
   * `canonical` (default): timestamp, sequence, id, venue. `append`: the order of appending
   * (`seq`), the order in which the engine applied its inputs.
   */
  order?: 'canonical' | 'append';
}

/** A saved state of a fold over the journal. */
export interface JournalSnapshot {
  /** The fold covers every record with `seq <= coversSeq` and none after. */
  coversSeq: number;
  /** The fold's state as JSON text; the store does not read it. */
  state: string;
}

/**
 * The journal. Every method is synchronous: the engine is one single-threaded loop, and a
 * journaled event must be durable before the caller acts on it. A replay reads the journal as
 * it iterates: finish it (or leave the loop) before calling another method.
 */
export interface JournalStore {
  /**
   * Appends `records` in one transaction: either every new record is journaled or, if any
   * record is invalid or the write fails, none is. A record whose (venue, id) is already
   * journaled is not written again and is returned in `duplicates`.
   */
  append(records: readonly JournalRecord[]): AppendResult;
  /**
   * The records in canonical order: timestamp, then sequence, then id (compared as UTF-8
   * bytes), then venue, so that the order is total and independent of arrival.
   */
  replay(options?: ReplayOptions): Iterable<StoredRecord>;
  /**
   * The same order as `replay`, only the bodies: the fast path for rebuilding a fold, which
   * reads everything it needs from the body (materialising the other columns of a million
   * records costs more than reading the journal).
   */
  replayBodies(options?: ReplayOptions): Iterable<string>;
  /** The record journaled under (venue, id), if any. */
  get(venue: string, id: string): StoredRecord | undefined;
  /** Number of journaled records (of `types` only, when given). */
  count(options?: { types?: readonly string[] }): number;
  /** The position of the last appended record (0 when empty). */
  lastSeq(): number;
  /** The last appended record, if any (where a restarted engine's clock resumes). */
  last(): StoredRecord | undefined;
  /** Saves a snapshot; `coversSeq` must not exceed `lastSeq()`. */
  saveSnapshot(snapshot: JournalSnapshot): void;
  /** The snapshot with the highest `coversSeq` (the latest saved among equals), if any. */
  loadSnapshot(): JournalSnapshot | undefined;
  /** Closes the store; no method may be called afterwards. */
  close(): void;
}

/**
 * Compares two records in the canonical order (timestamp, sequence, id, venue), the order
 * `JournalStore.replay` returns: the inventory's own event order (`compareEvents`), which a
 * record shares field for field. Ids and venues compare as code units, which equals SQLite's
 * byte order for the ASCII ids venues use.
 */
export const compareCanonical: (a: JournalRecord, b: JournalRecord) => number = compareEvents;

/**
 * Checks one record's fields before a store appends it (every store, the same messages); the
 * field name says which record (`records[3].timestampMs`).
 */
export function checkJournalRecord(record: JournalRecord | undefined, index: number): JournalRecord {
  const at = `records[${index}]`;
  if (typeof record !== 'object' || record === null) throw new InputError(at, record, 'a journal record');
  for (const field of ['venue', 'id', 'type'] as const) {
    const value = record[field];
    if (typeof value !== 'string' || value === '') {
      throw new InputError(`${at}.${field}`, value, 'a non-empty string');
    }
  }
  if (!Number.isSafeInteger(record.timestampMs) || record.timestampMs < 0) {
    throw new InputError(`${at}.timestampMs`, record.timestampMs, 'an integer number of ms >= 0');
  }
  if (!Number.isSafeInteger(record.sequence) || record.sequence < 0) {
    throw new InputError(`${at}.sequence`, record.sequence, 'an integer >= 0');
  }
  if (record.instrument !== null && (typeof record.instrument !== 'string' || record.instrument === '')) {
    throw new InputError(`${at}.instrument`, record.instrument, 'a non-empty string or null');
  }
  if (typeof record.body !== 'string') throw new InputError(`${at}.body`, record.body, 'JSON text');
  return record;
}

/** A list of record types to filter by: non-empty strings, at least one (a copy). */
export function checkEventTypes(types: readonly string[]): readonly string[] {
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => typeof t === 'string' && t !== '')) {
    throw new InputError('types', types, 'a non-empty list of event types');
  }
  return [...types];
}

/** A replay's options checked (every store, the same errors in the same order), with defaults. */
export function checkReplayOptions(options: ReplayOptions): {
  afterSeq: number;
  throughSeq: number | undefined;
  instrument: string | undefined;
  types: readonly string[] | undefined;
  order: 'canonical' | 'append';
} {
  const afterSeq = options.afterSeq ?? 0;
  if (!Number.isSafeInteger(afterSeq) || afterSeq < 0)
    throw new InputError('afterSeq', afterSeq, 'an integer >= 0');
  const throughSeq = options.throughSeq;
  if (throughSeq !== undefined && (!Number.isSafeInteger(throughSeq) || throughSeq < 0))
    throw new InputError('throughSeq', throughSeq, 'an integer >= 0');
  const instrument = options.instrument;
  if (instrument !== undefined && (typeof instrument !== 'string' || instrument === ''))
    throw new InputError('instrument', instrument, 'an instrument name');
  const types = options.types === undefined ? undefined : checkEventTypes(options.types);
  const order = options.order ?? 'canonical';
  if (order !== 'canonical' && order !== 'append')
    throw new InputError('order', order, 'canonical or append');
  return { afterSeq, throughSeq, instrument, types, order };
}
