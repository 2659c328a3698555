/**
 * The PostgreSQL journal against a real PostgreSQL server (a throwaway cluster started for this
 * file, `test/support/postgres.ts`): the journal suite the SQLite journal passes, then what is
 * PostgreSQL's own (triggers, schema versions, the worker thread's failures).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UnsupportedError } from '../../src/model/errors.js';
import { PostgresJournal, PostgresJournalError } from '../../src/store/postgres/journal.js';
import { POSTGRES_JOURNAL_SCHEMA_VERSION } from '../../src/store/postgres/worker.js';
import { postgresBinDir, postgresRequired, startPostgres, type PostgresServer } from '../support/postgres.js';
import { journalSuite, record } from './journal-suite.js';

const available = postgresBinDir() !== null;

describe.skipIf(!available && !postgresRequired)('PostgreSQL journal', () => {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());
  const url = (): string => {
    if (server === undefined) throw new Error('PostgreSQL did not start');
    return server.url;
  };
  /** Runs `sql` on the test database in a connection of its own. */
  const sql = async (text: string): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: url() });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };

  // Each journal in a schema of its own; a small page so that replays span several pages.
  let schemas = 0;
  let lastSchema = '';
  journalSuite(
    'PostgresJournal',
    () => {
      lastSchema = `suite_${(schemas += 1)}`;
      return PostgresJournal.open(url(), { schema: lastSchema, pageSize: 1000 });
    },
    { reopen: () => PostgresJournal.open(url(), { schema: lastSchema, pageSize: 1000 }) },
  );

  describe('PostgresJournal (the database)', () => {
    it('refuses to update, delete or truncate a journaled event', async () => {
      const journal = PostgresJournal.open(url(), { schema: 'append_only' });
      journal.append([record('t1', 1)]);
      journal.close();
      await expect(sql(`UPDATE append_only.events SET body = '{}'`)).rejects.toThrow(/append-only/);
      await expect(sql('DELETE FROM append_only.events')).rejects.toThrow(/append-only/);
      await expect(sql('TRUNCATE append_only.events')).rejects.toThrow(/append-only/);
      const rows = await sql('SELECT count(*)::int AS n FROM append_only.events');
      expect(rows.rows[0]).toEqual({ n: 1 });
    });

    it('refuses a journal written by a newer schema, or a schema holding other tables', async () => {
      PostgresJournal.open(url(), { schema: 'newer' }).close();
      await sql(`UPDATE newer.journal_meta SET schema_version = ${POSTGRES_JOURNAL_SCHEMA_VERSION + 1}`);
      expect(() => PostgresJournal.open(url(), { schema: 'newer' })).toThrow(UnsupportedError);
      expect(() => PostgresJournal.open(url(), { schema: 'newer' })).toThrow(/newer than this Ballast reads/);
      await sql('CREATE SCHEMA other; CREATE TABLE other.t (x int)');
      expect(() => PostgresJournal.open(url(), { schema: 'other' })).toThrow(/not a Ballast journal/);
    });

    it('keeps journals in different schemas apart', () => {
      const a = PostgresJournal.open(url(), { schema: 'desk_a' });
      const b = PostgresJournal.open(url(), { schema: 'desk_b' });
      a.append([record('t1', 1), record('t2', 2)]);
      expect(b.append([record('t1', 1)])).toEqual({ appended: 1, duplicates: [] });
      expect([a.count(), b.count()]).toEqual([2, 1]);
      a.close();
      b.close();
    });

    it('sees what another process appended, with positions that continue', () => {
      const first = PostgresJournal.open(url(), { schema: 'shared' });
      const second = PostgresJournal.open(url(), { schema: 'shared' });
      first.append([record('t1', 1)]);
      expect(second.append([record('t1', 1), record('t2', 2)])).toEqual({
        appended: 1,
        duplicates: [record('t1', 1)],
      });
      expect(first.get('deribit', 't2')?.seq).toBe(2);
      expect([...first.replay()].map((r) => r.seq)).toEqual([1, 2]);
      first.close();
      second.close();
    });

    it('names bad options, and fails clearly when the server cannot be reached', () => {
      expect(() => PostgresJournal.open('')).toThrow(InputError);
      expect(() => PostgresJournal.open(url(), { schema: 'no-dashes' })).toThrow(/schema/);
      expect(() => PostgresJournal.open(url(), { pageSize: 0 })).toThrow(/pageSize/);
      // A port nothing listens on (the server's, plus one, on loopback).
      const port = Number(new URL(url()).port) + 1;
      expect(() => PostgresJournal.open(`postgresql://postgres@127.0.0.1:${port}/ballast`)).toThrow(
        PostgresJournalError,
      );
      const journal = PostgresJournal.open(url(), { schema: 'closed' });
      journal.close();
      journal.close();
      expect(() => journal.count()).toThrow(/closed/);
    });

    it('fails a call, not the process, when the connection is lost, and reports PostgreSQL errors', async () => {
      const journal = PostgresJournal.open(url(), { schema: 'lost' });
      journal.append([record('t1', 1)]);
      // A NUL character cannot be stored in PostgreSQL text: the batch fails as a whole.
      expect(() => journal.append([record('t2', 2), { ...record('t3', 3), body: 'a\u0000b' }])).toThrow(
        PostgresJournalError,
      );
      expect(journal.count()).toBe(1);
      await sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ballast-journal' AND datname = current_database()",
      );
      expect(() => journal.count()).toThrow(PostgresJournalError);
      journal.close();
      // The journal is intact for the next opener.
      const reopened = PostgresJournal.open(url(), { schema: 'lost' });
      expect(reopened.count()).toBe(1);
      reopened.close();
    });
  });
});
