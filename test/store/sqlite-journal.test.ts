import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError, UnsupportedError } from '../../src/model/errors.js';
import { compareCanonical, type JournalRecord } from '../../src/store/journal.js';
import { JOURNAL_SCHEMA_VERSION, SqliteJournal } from '../../src/store/sqlite/journal.js';

function record(id: string, timestampMs: number, sequence = 0, venue = 'deribit'): JournalRecord {
  return {
    venue,
    id,
    timestampMs,
    sequence,
    type: 'fill',
    instrument: 'BTC-PERPETUAL',
    body: JSON.stringify({ id, timestampMs, sequence }),
  };
}

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ballast-journal-'));
  path = join(dir, 'journal.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteJournal', () => {
  it('journals a fill once: the same (venue, id) again is reported as a duplicate and changes nothing', () => {
    const journal = SqliteJournal.open(path);
    expect(journal.append([record('t1', 1000), record('t2', 2000)])).toEqual({ appended: 2, duplicates: [] });
    const again = { ...record('t1', 1000), body: '{"other":true}' };
    const result = journal.append([again, record('t3', 3000), record('t3', 3000)]);
    expect(result.appended).toBe(1);
    expect(result.duplicates).toEqual([again, record('t3', 3000)]);
    expect(journal.count()).toBe(3);
    expect(journal.lastSeq()).toBe(3);
    expect(journal.get('deribit', 't1')?.body).toBe(record('t1', 1000).body);
    // The same id on another venue is another event.
    expect(journal.append([record('t1', 1000, 0, 'sim')]).appended).toBe(1);
    journal.close();
  });

  it('reports duplicates in a large batch in the order given, journaled before or repeated in the batch', () => {
    const journal = SqliteJournal.open(path);
    journal.append([record('t5', 5), record('t77', 77)]);
    const batch = Array.from({ length: 120 }, (_, i) => record(`t${i}`, i));
    batch.splice(30, 0, record('t3', 3), { ...record('t10', 10), body: '{"other":true}' });
    batch.push(record('t119', 119));
    const result = journal.append(batch);
    expect(result.appended).toBe(118);
    expect(result.duplicates).toEqual([
      record('t5', 5),
      record('t3', 3),
      batch[31],
      record('t77', 77),
      record('t119', 119),
    ]);
    expect(journal.count()).toBe(120);
    expect(journal.get('deribit', 't10')?.body).toBe(record('t10', 10).body);
    expect([...journal.replay()].map((r) => r.id)).toEqual(Array.from({ length: 120 }, (_, i) => `t${i}`));
    journal.close();
  });

  it('replays in canonical order (timestamp, sequence, id, venue) whatever the order of arrival', () => {
    const journal = SqliteJournal.open(path);
    const records = [
      record('b', 2000, 5),
      record('a', 2000, 5),
      record('z', 1000, 9),
      record('c', 2000, 4),
      record('a', 2000, 5, 'another'),
      record('late', 500, 0),
    ];
    for (const r of records) journal.append([r]);
    const replayed = [...journal.replay()];
    const expected = [...records].sort(compareCanonical);
    expect(replayed.map(({ seq: _seq, ...r }) => r)).toEqual(expected);
    expect(replayed.map((r) => r.id)).toEqual(['late', 'z', 'c', 'a', 'a', 'b']);
    expect([...journal.replayBodies()]).toEqual(expected.map((r) => r.body));
    // The tail after position 3 (the first three appended), still in canonical order.
    expect([...journal.replay({ afterSeq: 3 })].map((r) => [r.seq, r.id])).toEqual([
      [6, 'late'],
      [4, 'c'],
      [5, 'a'],
    ]);
    expect(journal.last()).toMatchObject({ seq: 6, id: 'late' });
    // In append order: the order the engine applied them.
    expect([...journal.replay({ order: 'append' })].map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...journal.replay({ order: 'append', afterSeq: 3 })].map((r) => r.id)).toEqual([
      'c',
      'a',
      'late',
    ]);
    expect([...journal.replayBodies({ order: 'append', types: ['x'] })]).toEqual([]);
    expect(() => [...journal.replay({ order: 'sideways' as 'append' })]).toThrow(InputError);
    journal.close();
  });

  it('appends a batch atomically: a bad record half-way leaves nothing of the batch', () => {
    const journal = SqliteJournal.open(path);
    journal.append([record('t0', 1)]);
    const bad = { ...record('t2', 3), timestampMs: 1.5 };
    expect(() => journal.append([record('t1', 2), bad, record('t3', 4)])).toThrow(
      /records\[1\]\.timestampMs: got 1\.5/,
    );
    expect(() => journal.append([record('t1', 2), { ...record('t4', 5), venue: '' }])).toThrow(InputError);
    expect(journal.count()).toBe(1);
    expect(journal.get('deribit', 't1')).toBeUndefined();
    expect(journal.lastSeq()).toBe(1);
    journal.close();
  });

  it('refuses to update or delete a journaled event', () => {
    const journal = SqliteJournal.open(path);
    journal.append([record('t1', 1)]);
    journal.close();
    const db = new Database(path);
    expect(() => db.prepare("UPDATE events SET body = '{}'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    db.close();
  });

  it('saves and loads snapshots with the position they cover', () => {
    const journal = SqliteJournal.open(path);
    expect(journal.loadSnapshot()).toBeUndefined();
    journal.append([record('t1', 1), record('t2', 2)]);
    const state = JSON.stringify({ positions: { 'BTC-PERPETUAL': '100' }, cash: { BTC: '-0.001' } });
    journal.saveSnapshot({ coversSeq: 1, state: '{"old":true}' });
    journal.saveSnapshot({ coversSeq: 2, state });
    journal.saveSnapshot({ coversSeq: 1, state: '{"older":true}' });
    expect(journal.loadSnapshot()).toEqual({ coversSeq: 2, state });
    expect(() => journal.saveSnapshot({ coversSeq: 3, state })).toThrow(/coversSeq: got 3, expected at most/);
    journal.close();
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

  it('replays one instrument, and the records up to a position, still in canonical order', () => {
    const journal = SqliteJournal.open(path);
    const other = { ...record('o1', 500), instrument: 'ETH-PERPETUAL' };
    journal.append([record('b', 3000), other, record('a', 1000), record('c', 2000)]);
    const ids = (options: Parameters<SqliteJournal['replay']>[0]): string[] =>
      [...journal.replay(options)].map((r) => r.id);
    expect(ids({ instrument: 'BTC-PERPETUAL' })).toEqual(['a', 'c', 'b']);
    expect(ids({ throughSeq: 2 })).toEqual(['o1', 'b']);
    expect(ids({ instrument: 'BTC-PERPETUAL', throughSeq: 3 })).toEqual(['a', 'b']);
    expect(ids({ afterSeq: 1, throughSeq: 3 })).toEqual(['o1', 'a']);
    expect([...journal.replayBodies({ instrument: 'ETH-PERPETUAL' })]).toEqual([other.body]);
    expect(() => ids({ instrument: '' })).toThrow(InputError);
    expect(() => ids({ throughSeq: -1 })).toThrow(InputError);
    journal.close();
  });
});
