/**
 * The worker thread of a `PostgresJournal` (`journal.ts`): owns the `pg` connections and answers
 * the journal's requests one at a time. Imported in any other thread, it does nothing.
 *
 * Two connections: the writer (appends, lookups, snapshots) and, from the first replay on, a
 * reader on which each replay is a server-side cursor inside one REPEATABLE READ, READ ONLY
 * transaction (open while any replay is), fetched a page at a time, the next page fetched while
 * the caller consumes the current one. A replay therefore never holds more than two pages in
 * memory, sees the journal as it was when the first open replay began, and does not stop the
 * caller from appending while it iterates.
 */
import { isMainThread, workerData, type MessagePort } from 'node:worker_threads';
import pg from 'pg';
import {
  ANSWERED,
  POSTGRES_WORKER_MARK,
  type Answer,
  type AppendColumns,
  type RecordRow,
  type ReplayQuery,
  type Request,
  type WireError,
  type WorkerInit,
} from './protocol.js';

/** The schema version this code writes (`journal_meta.schema_version`). */
export const POSTGRES_JOURNAL_SCHEMA_VERSION = 1;

/** An error to hand back as it is (its class is rebuilt on the calling side). */
class Refusal extends Error {
  constructor(readonly wire: WireError) {
    super('message' in wire ? wire.message : wire.field);
  }
}

/** `bigint` (oid 20) columns as numbers: positions, timestamps and sequences are safe integers. */
const INT8_OID = 20;
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/**
 * The tables. Ids and venues collate as "C" (byte order, UTF-8 in a UTF8 database), so the
 * canonical order is SQLite's. The canonical order is served, like SQLite's, by an index on
 * the two integers; PostgreSQL sorts the rows that share both as it reads (incremental sort).
 * `seq` is assigned by the append itself (the last position plus one, under a table lock), not
 * by a sequence, so that positions have no gaps: a sequence would spend numbers on duplicates
 * and on rolled-back batches, which SQLite does not.
 */
function schemaSql(s: string): string {
  return `
CREATE TABLE ${s}.journal_meta (schema_version integer NOT NULL);
INSERT INTO ${s}.journal_meta (schema_version) VALUES (${POSTGRES_JOURNAL_SCHEMA_VERSION});
CREATE TABLE ${s}.events (
  seq bigint PRIMARY KEY,
  venue text COLLATE "C" NOT NULL,
  event_id text COLLATE "C" NOT NULL,
  ts bigint NOT NULL,
  sequence bigint NOT NULL,
  type text NOT NULL,
  instrument text,
  body text NOT NULL,
  UNIQUE (venue, event_id)
);
CREATE INDEX events_time ON ${s}.events (ts, sequence);
CREATE FUNCTION ${s}.journal_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'the journal is append-only'; END $$;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON ${s}.events
  FOR EACH ROW EXECUTE FUNCTION ${s}.journal_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON ${s}.events
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.journal_append_only();
CREATE TABLE ${s}.snapshots (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  covers_seq bigint NOT NULL,
  state text NOT NULL
);`;
}

const COLUMNS = 'seq, venue, event_id, ts, sequence, type, instrument, body';
const CANONICAL = 'ts, sequence, event_id, venue';

/**
 * One batch in one statement: the records as arrays, the first of each (venue, id) not yet
 * journaled numbered from the last position on in the order given, and the positions in the
 * batch (1-based) of the others, which are the duplicates.
 */
function appendSql(s: string): string {
  return `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[], $5::text[], $6::text[], $7::text[])
    WITH ORDINALITY AS t(venue, event_id, ts, sequence, type, instrument, body, ord)
), fresh AS (
  SELECT DISTINCT ON (i.venue, i.event_id) i.* FROM input i
  WHERE NOT EXISTS (SELECT 1 FROM ${s}.events e WHERE e.venue = i.venue AND e.event_id = i.event_id)
  ORDER BY i.venue, i.event_id, i.ord
), inserted AS (
  INSERT INTO ${s}.events (${COLUMNS})
  SELECT (SELECT coalesce(max(seq), 0) FROM ${s}.events) + row_number() OVER (ORDER BY ord),
    venue, event_id, ts, sequence, type, instrument, body
  FROM fresh
  ON CONFLICT (venue, event_id) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM fresh),
  ARRAY(SELECT ord FROM input WHERE ord NOT IN (SELECT ord FROM fresh) ORDER BY ord)`;
}

interface Cursor {
  name: string;
  pageSize: number;
  bodies: boolean;
  /** The next page, being fetched. */
  next: Promise<unknown[][]> | null;
  done: boolean;
}

class JournalServer {
  private readonly writer: pg.Client;
  private reader: pg.Client | null = null;
  private readonly cursors = new Map<number, Cursor>();
  private nextCursor = 1;
  private readonly s: string;
  private readonly appendText: string;
  /** A connection error reported by `pg` outside a query: every later request fails with it. */
  private broken: Error | null = null;

  constructor(private readonly init: WorkerInit) {
    this.s = pg.escapeIdentifier(init.schema);
    this.appendText = appendSql(this.s);
    this.writer = this.client();
  }

  private client(): pg.Client {
    const client = new pg.Client({
      connectionString: this.init.connectionString,
      types: typeParsers,
      statement_timeout: this.init.statementTimeoutMs > 0 ? this.init.statementTimeoutMs : undefined,
      application_name: 'ballast-journal',
    });
    client.on('error', (error) => {
      this.broken = error;
    });
    return client;
  }

  async open(): Promise<null> {
    await this.writer.connect();
    const encoding = (await this.writer.query<{ server_encoding: string }>('SHOW server_encoding')).rows[0];
    if (encoding?.server_encoding !== 'UTF8') {
      throw new Refusal({
        kind: 'unsupported',
        message: `the database's encoding is ${encoding?.server_encoding ?? '?'}; a Ballast journal needs UTF8`,
      });
    }
    await this.transaction(this.writer, async () => {
      // One opener at a time creates the schema.
      await this.writer.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `ballast-journal:${this.init.schema}`,
      ]);
      await this.writer.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      const meta = await this.writer.query<{ meta: string | null; tables: number }>(
        `SELECT to_regclass($1) AS meta,
           (SELECT count(*) FROM pg_tables WHERE schemaname = $2)::int AS tables`,
        [`${this.s}.journal_meta`, this.init.schema],
      );
      const row = meta.rows[0];
      if (row?.meta !== null && row?.meta !== undefined) {
        const version = await this.writer.query<{ schema_version: number }>(
          `SELECT max(schema_version) AS schema_version FROM ${this.s}.journal_meta`,
        );
        const found = version.rows[0]?.schema_version ?? 0;
        if (found > POSTGRES_JOURNAL_SCHEMA_VERSION) {
          throw new Refusal({
            kind: 'unsupported',
            message: `journal schema version ${found} is newer than this Ballast reads (${POSTGRES_JOURNAL_SCHEMA_VERSION})`,
          });
        }
        if (found !== POSTGRES_JOURNAL_SCHEMA_VERSION) {
          throw new Refusal({
            kind: 'unsupported',
            message: `journal schema version ${found} is not one this Ballast reads (${POSTGRES_JOURNAL_SCHEMA_VERSION})`,
          });
        }
        return;
      }
      if ((row?.tables ?? 0) > 0) {
        throw new Refusal({
          kind: 'unsupported',
          message: `the schema ${this.init.schema} holds tables that are not a Ballast journal`,
        });
      }
      await this.writer.query(schemaSql(this.s));
    });
    return null;
  }

  async handle(request: Request): Promise<unknown> {
    if (this.broken !== null && request.op !== 'close') throw this.broken;
    switch (request.op) {
      case 'open':
        return this.open();
      case 'append':
        return this.append(request.columns);
      case 'replayOpen':
        return this.replayOpen(request.query);
      case 'replayNext':
        return this.replayNext(request.cursor);
      case 'replayClose':
        return this.replayClose(request.cursor);
      case 'get': {
        const result = await this.writer.query<RecordRow>({
          text: `SELECT ${COLUMNS} FROM ${this.s}.events WHERE venue = $1 AND event_id = $2`,
          values: [request.venue, request.id],
          rowMode: 'array',
        });
        return result.rows[0] ?? null;
      }
      case 'count': {
        const result =
          request.types === null
            ? await this.writer.query<[number]>({
                text: `SELECT count(*) FROM ${this.s}.events`,
                rowMode: 'array',
              })
            : await this.writer.query<[number]>({
                text: `SELECT count(*) FROM ${this.s}.events WHERE type = ANY($1::text[])`,
                values: [request.types],
                rowMode: 'array',
              });
        return result.rows[0]?.[0] ?? 0;
      }
      case 'lastSeq':
        return this.lastSeq();
      case 'last': {
        const result = await this.writer.query<RecordRow>({
          text: `SELECT ${COLUMNS} FROM ${this.s}.events ORDER BY seq DESC LIMIT 1`,
          rowMode: 'array',
        });
        return result.rows[0] ?? null;
      }
      case 'saveSnapshot':
        return this.saveSnapshot(request.coversSeq, request.state);
      case 'loadSnapshot': {
        const result = await this.writer.query<{ coversSeq: number; state: string }>(
          `SELECT covers_seq AS "coversSeq", state FROM ${this.s}.snapshots
           ORDER BY covers_seq DESC, id DESC LIMIT 1`,
        );
        return result.rows[0] ?? null;
      }
      case 'close':
        return this.close();
    }
  }

  private async lastSeq(): Promise<number> {
    const result = await this.writer.query<[number]>({
      text: `SELECT coalesce(max(seq), 0) FROM ${this.s}.events`,
      rowMode: 'array',
    });
    return result.rows[0]?.[0] ?? 0;
  }

  private async append(columns: AppendColumns): Promise<{ appended: number; duplicates: number[] }> {
    return this.transaction(this.writer, async () => {
      // Writers of the same journal (other processes) wait for each other; readers do not.
      await this.writer.query(`LOCK TABLE ${this.s}.events IN SHARE ROW EXCLUSIVE MODE`);
      const result = await this.writer.query<[number, number, number[]]>({
        text: this.appendText,
        values: [
          columns.venue,
          columns.id,
          columns.timestampMs,
          columns.sequence,
          columns.type,
          columns.instrument,
          columns.body,
        ],
        rowMode: 'array',
      });
      const [appended, fresh, duplicates] = result.rows[0] ?? [0, 0, []];
      if (appended !== fresh) {
        // Cannot happen under the lock; refuse rather than journal with a gap.
        throw new Error(`append: ${fresh} new records but ${appended} written`);
      }
      return { appended, duplicates: duplicates.map((ord) => Number(ord) - 1) };
    });
  }

  private async saveSnapshot(coversSeq: number, state: string): Promise<null> {
    await this.transaction(this.writer, async () => {
      // No append between the check and the write.
      await this.writer.query(`LOCK TABLE ${this.s}.events IN SHARE MODE`);
      const last = await this.lastSeq();
      if (coversSeq > last) {
        throw new Refusal({
          kind: 'input',
          field: 'coversSeq',
          value: coversSeq,
          expected: `at most the last journal position ${last}`,
        });
      }
      await this.writer.query(`INSERT INTO ${this.s}.snapshots (covers_seq, state) VALUES ($1, $2)`, [
        coversSeq,
        state,
      ]);
    });
    return null;
  }

  private async replayOpen(query: ReplayQuery): Promise<{ cursor: number }> {
    if (this.reader === null) {
      const reader = this.client();
      await reader.connect();
      this.reader = reader;
    }
    const reader = this.reader;
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.afterSeq > 0) {
      values.push(query.afterSeq);
      where.push(`seq > $${values.length}`);
    }
    if (query.throughSeq !== null) {
      values.push(query.throughSeq);
      where.push(`seq <= $${values.length}`);
    }
    if (query.instrument !== null) {
      values.push(query.instrument);
      where.push(`instrument = $${values.length}`);
    }
    if (query.types !== null) {
      values.push(query.types);
      where.push(`type = ANY($${values.length}::text[])`);
    }
    const filter = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const order = query.order === 'append' ? 'seq' : CANONICAL;
    const id = this.nextCursor++;
    const name = `ballast_replay_${id}`;
    if (this.cursors.size === 0) await reader.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      await reader.query(
        `DECLARE ${name} NO SCROLL CURSOR FOR
         SELECT ${query.bodies ? 'body' : COLUMNS} FROM ${this.s}.events${filter} ORDER BY ${order}`,
        values,
      );
    } catch (error) {
      if (this.cursors.size === 0) await reader.query('ROLLBACK');
      throw error;
    }
    const cursor: Cursor = {
      name,
      pageSize: this.init.pageSize,
      bodies: query.bodies,
      next: null,
      done: false,
    };
    cursor.next = this.fetch(cursor);
    this.cursors.set(id, cursor);
    return { cursor: id };
  }

  private fetch(cursor: Cursor): Promise<unknown[][]> {
    const reader = this.reader as pg.Client;
    const page = reader
      .query<unknown[]>({ text: `FETCH FORWARD ${cursor.pageSize} FROM ${cursor.name}`, rowMode: 'array' })
      .then((result) => result.rows);
    // Not awaited until asked for: keep an early failure from being reported as unhandled.
    page.catch(() => undefined);
    return page;
  }

  private async replayNext(id: number): Promise<{ rows: RecordRow[] | string[]; done: boolean }> {
    const cursor = this.cursors.get(id);
    if (cursor === undefined) throw new Error(`replay ${id} is not open`);
    if (cursor.done || cursor.next === null) return { rows: [], done: true };
    const rows = await cursor.next;
    cursor.done = rows.length < cursor.pageSize;
    // The next page is read while the caller consumes this one.
    cursor.next = cursor.done ? null : this.fetch(cursor);
    return {
      rows: cursor.bodies ? rows.map((r) => r[0] as string) : (rows as RecordRow[]),
      done: cursor.done,
    };
  }

  private async replayClose(id: number): Promise<null> {
    const cursor = this.cursors.get(id);
    if (cursor === undefined || this.reader === null) return null;
    this.cursors.delete(id);
    if (cursor.next !== null) await cursor.next.catch(() => undefined);
    if (this.cursors.size === 0) {
      // Ending the transaction closes the cursor.
      await this.reader.query('COMMIT');
    } else {
      await this.reader.query(`CLOSE ${cursor.name}`);
    }
    return null;
  }

  private async close(): Promise<null> {
    const clients = [this.writer, this.reader].filter((c): c is pg.Client => c !== null);
    this.reader = null;
    this.cursors.clear();
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    return null;
  }

  private async transaction<T>(client: pg.Client, body: () => Promise<T>): Promise<T> {
    await client.query('BEGIN');
    try {
      const value = await body();
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}

function toWire(error: unknown): WireError {
  if (error instanceof Refusal) return error.wire;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { kind: 'other', message: error.message, code: typeof code === 'string' ? code : null };
  }
  return { kind: 'other', message: String(error), code: null };
}

/** Answers on `port`, then wakes the calling thread. */
function answer(init: WorkerInit, message: Answer): void {
  init.port.postMessage(message);
  const status = new Int32Array(init.status);
  Atomics.store(status, 0, ANSWERED);
  Atomics.notify(status, 0);
}

/** Serves requests until `close`; the first answer (id 0) says whether the journal opened. */
function serve(init: WorkerInit): void {
  const server = new JournalServer(init);
  const port: MessagePort = init.port;
  let queue: Promise<unknown> = Promise.resolve();
  const run = (id: number, request: Request): void => {
    queue = queue.then(async () => {
      try {
        const value = await server.handle(request);
        answer(init, { id, ok: true, value });
      } catch (error) {
        answer(init, { id, ok: false, error: toWire(error) });
      }
      if (request.op === 'close') port.close();
    });
  };
  port.on('message', ({ id, request }: { id: number; request: Request }) => run(id, request));
  run(0, { op: 'open' });
}

const init = workerData as WorkerInit | null;
if (!isMainThread && init?.mark === POSTGRES_WORKER_MARK) serve(init);
