/**
 * The PostgreSQL journal: the same `JournalStore` as the SQLite one (append-only, idempotent by
 * venue and id, the same canonical order, the same snapshots, the same validation and errors),
 * in a database several machines can reach. One journal is one PostgreSQL schema (`public` by
 * default), so engines can share a database, each with its own schema.
 *
 * The interface is synchronous (the engine is one single-threaded loop, and a journaled input
 * must be durable before it applies) and `pg` is not: the `pg` connections live in a worker
 * thread (`worker.ts`), and each method posts its request and blocks the calling thread on
 * `Atomics.wait` until the worker has answered on a `MessagePort`, read with
 * `receiveMessageOnPort`. One request per call: an append is one batch, one transaction, one
 * statement, and waits for PostgreSQL's commit (durable as the server is configured:
 * `synchronous_commit = on`, the default, flushes the WAL at each commit).
 *
 * A replay is a server-side cursor read in pages (`pageSize` rows, the next page fetched while
 * the caller consumes the current one), so a million records are never in memory at once. It
 * sees the journal as it was when it began; other calls may be made while it iterates.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { locateWorker } from '../../engine/worker-pool.js';
import { InputError, UnsupportedError } from '../../model/errors.js';
import {
  checkEventTypes,
  checkJournalRecord,
  checkReplayOptions,
  type AppendResult,
  type JournalRecord,
  type JournalSnapshot,
  type JournalStore,
  type ReplayOptions,
  type StoredRecord,
} from '../journal.js';
import {
  POSTGRES_WORKER_MARK,
  WAITING,
  type Answer,
  type AppendColumns,
  type RecordRow,
  type ReplayQuery,
  type Request,
  type Results,
  type WireError,
  type WorkerInit,
} from './protocol.js';

/** How a PostgreSQL journal is opened. */
export interface PostgresJournalOptions {
  /** The PostgreSQL schema that holds the journal's tables (created if missing); `public` by default. */
  schema?: string;
  /** Rows per replay page (default 5,000). */
  pageSize?: number;
  /** How long a call waits for the worker before the journal gives up and closes (default 120 s). */
  timeoutMs?: number;
  /** PostgreSQL `statement_timeout` of the journal's sessions in ms (default 0: none). */
  statementTimeoutMs?: number;
  /** The worker module to load (tests, unusual layouts); found beside this module by default. */
  workerUrl?: URL;
}

/** A PostgreSQL error passed through from the worker, with its SQLSTATE. */
export class PostgresJournalError extends Error {
  override name = 'PostgresJournalError';
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
  }
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Starts the worker module at `workerData.url`, under tsx's loader when it is TypeScript. */
const BOOT = `
const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== null) (await import(workerData.tsx)).register();
  await import(workerData.url);
})().catch((error) => {
  const { port, status } = workerData;
  port.postMessage({ id: 0, ok: false, error: { kind: 'other', message: 'the journal worker did not start: ' + String(error && error.stack || error), code: null } });
  const word = new Int32Array(status);
  Atomics.store(word, 0, 1);
  Atomics.notify(word, 0);
});
process.on('uncaughtException', (error) => {
  const { port, status } = workerData;
  port.postMessage({ id: -1, ok: false, error: { kind: 'other', message: 'the journal worker failed: ' + String(error && error.stack || error), code: null } });
  const word = new Int32Array(status);
  Atomics.store(word, 0, 1);
  Atomics.notify(word, 0);
});
`;

/** tsx's ESM registration API, for a worker that loads TypeScript sources. */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const esm = require.resolve('tsx/esm'); // .../tsx/dist/esm/index.mjs
  return pathToFileURL(join(dirname(esm), 'api', 'index.mjs')).href;
}

/** The PostgreSQL implementation of `JournalStore`. */
export class PostgresJournal implements JournalStore {
  private readonly status: Int32Array;
  private nextId = 0;
  private closed = false;
  /** Set when the worker is lost: every later call fails with it. */
  private failure: Error | null = null;

  /**
   * Connects to `connectionString` (`postgresql://user@host:port/database`; `pg`'s `PG*`
   * environment variables fill what it leaves out), creates the journal's tables in
   * `options.schema` if they are missing, refuses a journal written by a newer version.
   */
  static open(connectionString: string, options: PostgresJournalOptions = {}): PostgresJournal {
    if (typeof connectionString !== 'string' || connectionString === '') {
      throw new InputError('connectionString', connectionString, 'a PostgreSQL connection string');
    }
    const schema = options.schema ?? 'public';
    if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
      throw new InputError('schema', schema, 'a PostgreSQL identifier (letters, digits, _)');
    }
    const pageSize = options.pageSize ?? 5000;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
      throw new InputError('pageSize', pageSize, 'an integer >= 1');
    }
    const timeoutMs = options.timeoutMs ?? 120_000;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
      throw new InputError('timeoutMs', timeoutMs, 'an integer number of ms >= 1');
    }
    const statementTimeoutMs = options.statementTimeoutMs ?? 0;
    if (!Number.isSafeInteger(statementTimeoutMs) || statementTimeoutMs < 0) {
      throw new InputError('statementTimeoutMs', statementTimeoutMs, 'an integer number of ms >= 0');
    }
    const url =
      options.workerUrl ??
      locateWorker(
        import.meta.url,
        './worker.ts',
        ['./store/postgres/worker.js', '../store/postgres/worker.js', './worker.js'],
        "'store/postgres/worker': 'src/store/postgres/worker.ts'",
      );
    return new PostgresJournal(url, { connectionString, schema, pageSize, statementTimeoutMs }, timeoutMs);
  }

  private readonly worker: Worker;
  private readonly port: MessagePort;

  private constructor(
    url: URL,
    settings: Pick<WorkerInit, 'connectionString' | 'schema' | 'pageSize' | 'statementTimeoutMs'>,
    private readonly timeoutMs: number,
  ) {
    const shared = new SharedArrayBuffer(4);
    this.status = new Int32Array(shared);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const init: WorkerInit = { mark: POSTGRES_WORKER_MARK, ...settings, status: shared, port: port2 };
    const tsx = url.pathname.endsWith('.ts') ? tsxApiUrl() : null;
    this.worker = new Worker(BOOT, {
      eval: true,
      workerData: { ...init, url: url.href, tsx },
      transferList: [port2],
    });
    // The journal, not the worker, keeps a process alive: an unclosed journal does not hang exit.
    this.worker.unref();
    this.port.unref();
    try {
      this.wait(0);
    } catch (error) {
      this.stop();
      throw error;
    }
  }

  append(records: readonly JournalRecord[]): AppendResult {
    if (!Array.isArray(records)) throw new InputError('records', records, 'an array of journal records');
    const columns: AppendColumns = {
      venue: [],
      id: [],
      timestampMs: [],
      sequence: [],
      type: [],
      instrument: [],
      body: [],
    };
    // Every record is checked before any is sent; the worker appends the batch in one transaction.
    for (let i = 0; i < records.length; i++) {
      const r = checkJournalRecord(records[i], i);
      columns.venue.push(r.venue);
      columns.id.push(r.id);
      columns.timestampMs.push(r.timestampMs);
      columns.sequence.push(r.sequence);
      columns.type.push(r.type);
      columns.instrument.push(r.instrument);
      columns.body.push(r.body);
    }
    if (records.length === 0) {
      this.ensureOpen();
      return { appended: 0, duplicates: [] };
    }
    const { appended, duplicates } = this.call({ op: 'append', columns });
    return { appended, duplicates: duplicates.map((i) => records[i] as JournalRecord) };
  }

  replay(options: ReplayOptions = {}): Iterable<StoredRecord> {
    return this.pages(replayQuery(options, false), (rows) => (rows as RecordRow[]).map(toStored));
  }

  replayBodies(options: ReplayOptions = {}): Iterable<string> {
    return this.pages(replayQuery(options, true), (rows) => rows as string[]);
  }

  get(venue: string, id: string): StoredRecord | undefined {
    const row = this.call({ op: 'get', venue, id });
    return row === null ? undefined : toStored(row);
  }

  count(options: { types?: readonly string[] } = {}): number {
    const types = options.types === undefined ? null : checkEventTypes(options.types);
    return this.call({ op: 'count', types });
  }

  lastSeq(): number {
    return this.call({ op: 'lastSeq' });
  }

  last(): StoredRecord | undefined {
    const row = this.call({ op: 'last' });
    return row === null ? undefined : toStored(row);
  }

  saveSnapshot(snapshot: JournalSnapshot): void {
    const { coversSeq, state } = snapshot;
    if (!Number.isSafeInteger(coversSeq) || coversSeq < 0) {
      throw new InputError('coversSeq', coversSeq, 'an integer >= 0');
    }
    if (typeof state !== 'string') throw new InputError('state', state, 'JSON text');
    this.call({ op: 'saveSnapshot', coversSeq, state });
  }

  loadSnapshot(): JournalSnapshot | undefined {
    return this.call({ op: 'loadSnapshot' }) ?? undefined;
  }

  /** Ends the connections and the worker. Closing again does nothing. */
  close(): void {
    if (this.closed) return;
    try {
      if (this.failure === null) this.call({ op: 'close' });
    } finally {
      this.stop();
    }
  }

  /** Pages of a replay as one lazy iteration; the cursor is closed however the iteration ends. */
  private *pages<T>(query: ReplayQuery, convert: (rows: RecordRow[] | string[]) => T[]): Generator<T> {
    const { cursor } = this.call({ op: 'replayOpen', query });
    try {
      for (;;) {
        const { rows, done } = this.call({ op: 'replayNext', cursor });
        yield* convert(rows);
        if (done) return;
      }
    } finally {
      if (!this.closed && this.failure === null) this.call({ op: 'replayClose', cursor });
    }
  }

  private ensureOpen(): void {
    if (this.failure !== null) throw this.failure;
    if (this.closed) throw new Error('the PostgreSQL journal is closed');
  }

  private call<K extends Request['op']>(request: Extract<Request, { op: K }>): Results[K] {
    this.ensureOpen();
    const id = ++this.nextId;
    Atomics.store(this.status, 0, WAITING);
    this.port.postMessage({ id, request });
    return this.wait(id) as Results[K];
  }

  /** Blocks until the answer to request `id` arrives; its error is rethrown with its class. */
  private wait(id: number): unknown {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (received !== undefined) {
        const answer = received.message as Answer;
        if (answer.id === -1) {
          this.failure = fromWire(
            answer.ok ? { kind: 'other', message: 'worker lost', code: null } : answer.error,
          );
          this.stop();
          throw this.failure;
        }
        if (answer.id !== id) continue;
        if (answer.ok) return answer.value;
        throw fromWire(answer.error);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.failure = new Error(
          `the PostgreSQL journal's worker did not answer within ${this.timeoutMs} ms`,
        );
        this.stop();
        throw this.failure;
      }
      Atomics.wait(this.status, 0, WAITING, left);
      Atomics.store(this.status, 0, WAITING);
    }
  }

  private stop(): void {
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

function fromWire(error: WireError): Error {
  switch (error.kind) {
    case 'input':
      return new InputError(error.field, error.value, error.expected);
    case 'unsupported':
      return new UnsupportedError(error.message);
    case 'other':
      return new PostgresJournalError(error.message, error.code);
  }
}

function toStored(row: RecordRow): StoredRecord {
  const [seq, venue, id, timestampMs, sequence, type, instrument, body] = row;
  return { seq, venue, id, timestampMs, sequence, type, instrument, body };
}

/** Checks a replay's options as the SQLite journal does, with the same errors. */
function replayQuery(options: ReplayOptions, bodies: boolean): ReplayQuery {
  const { afterSeq, throughSeq, instrument, types, order } = checkReplayOptions(options);
  return {
    afterSeq,
    throughSeq: throughSeq ?? null,
    instrument: instrument ?? null,
    types: types ?? null,
    order,
    bodies,
  };
}
