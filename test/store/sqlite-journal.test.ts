import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/model/errors.js';
import { compareCanonical } from '../../src/store/journal.js';
import { JOURNAL_SCHEMA_VERSION, SqliteJournal } from '../../src/store/sqlite/journal.js';
import { journalSuite, record } from './journal-suite.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ballast-journal-'));
  path = join(dir, 'journal.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

// The journal suite, each journal in its own file in the test's directory.
let opened = 0;
let lastPath = '';
journalSuite(
  'SqliteJournal',
  () => {
    lastPath = join(dir, `journal-${(opened += 1)}.db`);
    return SqliteJournal.open(lastPath);
  },
  { reopen: () => SqliteJournal.open(lastPath) },
);

describe('SqliteJournal (the file)', () => {
  it('refuses to update or delete a journaled event', () => {
    const journal = SqliteJournal.open(path);
    journal.append([record('t1', 1)]);
    journal.close();
    const db = new Database(path);
    expect(() => db.prepare("UPDATE events SET body = '{}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    db.close();
  });

  it('keeps everything across close and reopen, in WAL mode', () => {
    const journal = SqliteJournal.open(path);
    journal.append([record('t2', 2), record('t1', 1)]);
    journal.saveSnapshot({ coversSeq: 2, state: '{}' });
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(existsSync(`${path}-shm`)).toBe(true);
    journal.close();
    const reopened = SqliteJournal.open(path);
    expect(reopened.count()).toBe(2);
    expect([...reopened.replay()].map((r) => r.id)).toEqual(['t1', 't2']);
    expect(reopened.loadSnapshot()).toEqual({ coversSeq: 2, state: '{}' });
    expect(reopened.append([record('t1', 1)]).duplicates).toHaveLength(1);
    expect(reopened.append([record('t3', 3)]).appended).toBe(1);
    expect(reopened.lastSeq()).toBe(3);
    reopened.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(JOURNAL_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a file written by a newer schema, or another database', () => {
    const newer = new Database(path);
    newer.pragma(`user_version = ${JOURNAL_SCHEMA_VERSION + 1}`);
    newer.close();
    expect(() => SqliteJournal.open(path)).toThrow(UnsupportedError);
    const other = join(dir, 'other.db');
    const db = new Database(other);
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(() => SqliteJournal.open(other)).toThrow(/not a Ballast journal/);
  });

  it('opens a version 1 file: its records kept, its canonical index replaced, the same replay order', () => {
    // The version 1 schema as Ballast 0.x wrote it.
    const v1 = new Database(path);
    v1.exec(`
      CREATE TABLE events (seq INTEGER PRIMARY KEY, venue TEXT NOT NULL, event_id TEXT NOT NULL,
        ts INTEGER NOT NULL, sequence INTEGER NOT NULL, type TEXT NOT NULL, instrument TEXT,
        body TEXT NOT NULL, UNIQUE (venue, event_id));
      CREATE INDEX events_canonical ON events (ts, sequence, event_id, venue);
      CREATE TABLE snapshots (id INTEGER PRIMARY KEY, covers_seq INTEGER NOT NULL, state TEXT NOT NULL);
      PRAGMA user_version = 1;`);
    const insert = v1.prepare(
      'INSERT INTO events (venue, event_id, ts, sequence, type, instrument, body) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    // Ties on (timestamp, sequence) that only the id and then the venue order.
    const records = [
      record('b', 2000, 1),
      record('a', 2000, 1, 'other'),
      record('a', 2000, 1),
      record('z', 1000, 5),
      record('c', 2000, 0),
    ];
    for (const r of records)
      insert.run(r.venue, r.id, r.timestampMs, r.sequence, r.type, r.instrument, r.body);
    v1.close();

    const journal = SqliteJournal.open(path);
    const order = [...journal.replay()].map((r) => `${r.venue}/${r.id}`);
    expect(order).toEqual(['deribit/z', 'deribit/c', 'deribit/a', 'other/a', 'deribit/b']);
    expect(order).toEqual([...records].sort(compareCanonical).map((r) => `${r.venue}/${r.id}`));
    expect(journal.append([record('a', 9)]).duplicates).toHaveLength(1);
    journal.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(JOURNAL_SCHEMA_VERSION);
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
      .pluck()
      .all();
    expect(indexes).toContain('events_time');
    expect(indexes).not.toContain('events_canonical');
    db.close();
  });
});
