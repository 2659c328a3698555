/**
 * The messages between `PostgresJournal` (the calling thread, which blocks on `Atomics.wait`)
 * and its worker thread (which owns the `pg` connections). Every request carries an id; the
 * answer with the same id is posted on the journal's port, then the shared status word is set
 * to `ANSWERED` and notified.
 */
import type { MessagePort } from 'node:worker_threads';

/** The worker marker of PostgreSQL journals (`workerData.mark`). */
export const POSTGRES_WORKER_MARK = 'ballast-postgres-journal';

/** Status word values (`Int32Array` index 0 of the shared buffer). */
export const WAITING = 0;
export const ANSWERED = 1;

/** What the calling thread hands the worker when it starts it. */
export interface WorkerInit {
  mark: string;
  connectionString: string;
  schema: string;
  /** Rows per replay page. */
  pageSize: number;
  /** PostgreSQL `statement_timeout` in ms (0: none). */
  statementTimeoutMs: number;
  /** The shared status word. */
  status: SharedArrayBuffer;
  /** The port requests arrive on and answers leave by. */
  port: MessagePort;
}

/** The columns of records to append, one array per column (one round trip for the batch). */
export interface AppendColumns {
  venue: string[];
  id: string[];
  timestampMs: number[];
  sequence: number[];
  type: string[];
  instrument: (string | null)[];
  body: string[];
}

/** The filter and order of a replay, checked by the caller. */
export interface ReplayQuery {
  afterSeq: number;
  throughSeq: number | null;
  instrument: string | null;
  types: readonly string[] | null;
  order: 'canonical' | 'append';
  /** Only the bodies (`replayBodies`). */
  bodies: boolean;
}

/** A stored record as a row: seq, venue, id, timestampMs, sequence, type, instrument, body. */
export type RecordRow = [number, string, string, number, number, string, string | null, string];

export type Request =
  | { op: 'open' }
  | { op: 'append'; columns: AppendColumns }
  | { op: 'replayOpen'; query: ReplayQuery }
  | { op: 'replayNext'; cursor: number }
  | { op: 'replayClose'; cursor: number }
  | { op: 'get'; venue: string; id: string }
  | { op: 'count'; types: readonly string[] | null }
  | { op: 'lastSeq' }
  | { op: 'last' }
  | { op: 'saveSnapshot'; coversSeq: number; state: string }
  | { op: 'loadSnapshot' }
  | { op: 'close' };

/** Results by operation. */
export interface Results {
  open: null;
  /** The positions (0-based, in the batch) of the records that were duplicates. */
  append: { appended: number; duplicates: number[] };
  replayOpen: { cursor: number };
  /** A page of rows (`RecordRow`s, or bodies), and whether the replay is done. */
  replayNext: { rows: RecordRow[] | string[]; done: boolean };
  replayClose: null;
  get: RecordRow | null;
  count: number;
  lastSeq: number;
  last: RecordRow | null;
  saveSnapshot: null;
  loadSnapshot: { coversSeq: number; state: string } | null;
  close: null;
}

/** An error as it crosses the thread boundary, rebuilt with its class on the calling side. */
export type WireError =
  | { kind: 'input'; field: string; value: unknown; expected: string }
  | { kind: 'unsupported'; message: string }
  | { kind: 'other'; message: string; code: string | null };

export type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };
