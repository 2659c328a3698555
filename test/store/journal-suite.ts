/**
 * The journal test suite, run against every `JournalStore` (the SQLite one in
 * `sqlite-journal.test.ts`, the PostgreSQL one in `postgres-journal.test.ts`): the same
 * semantics whatever the store (append-only, idempotent by venue and id, atomic batches, the
 * canonical order, replays and snapshots, a ledger restored from it).
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { restoreLedger, saveLedgerSnapshot } from '../../src/engine/journaled-ledger.js';
import { eventRecord } from '../../src/inventory/event-json.js';
import { Ledger } from '../../src/inventory/ledger.js';
import { InputError } from '../../src/model/errors.js';
import {
  compareCanonical,
  type JournalRecord,
  type JournalStore,
  type ReplayOptions,
} from '../../src/store/journal.js';
import { bookArb } from '../inventory/book-arbitrary.js';

export function record(id: string, timestampMs: number, sequence = 0, venue = 'deribit'): JournalRecord {
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

/** Byte order of UTF-8 strings, the order the canonical order gives ids and venues. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface JournalSuiteOptions {
  /** Opens again the journal `openFresh` opened last (after it was closed). */
  reopen: () => JournalStore;
}

/**
 * Registers the suite under `name`. `openFresh` opens a new, empty journal each time; journals
 * a test leaves open are closed after it.
 */
export function journalSuite(
  name: string,
  openFresh: () => JournalStore,
  options: JournalSuiteOptions,
): void {
  const opened: JournalStore[] = [];
  const fresh = (): JournalStore => {
    const journal = openFresh();
    opened.push(journal);
    return journal;
  };
  const reopen = (): JournalStore => {
    const journal = options.reopen();
    opened.push(journal);
    return journal;
  };
  afterEach(() => {
    for (const journal of opened.splice(0)) {
      try {
        journal.close();
      } catch {
        // Closed by the test.
      }
    }
  });

  describe(name, () => {
    it('journals a fill once: the same (venue, id) again is reported as a duplicate and changes nothing', () => {
      const journal = fresh();
      expect(journal.append([record('t1', 1000), record('t2', 2000)])).toEqual({
        appended: 2,
        duplicates: [],
      });
      const again = { ...record('t1', 1000), body: '{"other":true}' };
      const result = journal.append([again, record('t3', 3000), record('t3', 3000)]);
      expect(result.appended).toBe(1);
      expect(result.duplicates).toEqual([again, record('t3', 3000)]);
      expect(journal.count()).toBe(3);
      expect(journal.lastSeq()).toBe(3);
      expect(journal.get('deribit', 't1')?.body).toBe(record('t1', 1000).body);
      // The same id on another venue is another event.
      expect(journal.append([record('t1', 1000, 0, 'sim')]).appended).toBe(1);
      // Positions have no gaps: duplicates spend none.
      expect([...journal.replay({ order: 'append' })].map((r) => r.seq)).toEqual([1, 2, 3, 4]);
      expect(journal.append([])).toEqual({ appended: 0, duplicates: [] });
      journal.close();
    });

    it('reports duplicates in a large batch in the order given, journaled before or repeated in the batch', () => {
      const journal = fresh();
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
      // Positions follow the order given, the duplicates skipped.
      expect(journal.get('deribit', 't0')?.seq).toBe(3);
      expect(journal.get('deribit', 't4')?.seq).toBe(7);
      expect(journal.get('deribit', 't6')?.seq).toBe(8);
      expect(journal.lastSeq()).toBe(120);
      journal.close();
    });

    it('replays in canonical order (timestamp, sequence, id, venue) whatever the order of arrival', () => {
      const journal = fresh();
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

    it('orders ids and venues that tie on time and sequence by their UTF-8 bytes', () => {
      const journal = fresh();
      // UTF-16 code units order U+1F600 (a surrogate pair, 0xD83D...) before U+FFFF; UTF-8
      // bytes order it after (0xF0... > 0xEF...). Upper case before lower case, as bytes.
      const ids = ['\u{1F600}', '\uFFFF', 'a', 'B', 'é', 'e', 'ö', '中', 'Z', 'aa'];
      journal.append(ids.map((id) => record(id, 1000, 1)));
      journal.append([
        record('a', 1000, 1, 'Venue'),
        record('a', 1000, 1, 'vénue'),
        record('a', 1000, 1, 'venue'),
      ]);
      const expected = [
        ...ids.map((id) => ['deribit', id]),
        ['Venue', 'a'],
        ['vénue', 'a'],
        ['venue', 'a'],
      ].sort(
        ([va, ia], [vb, ib]) =>
          compareUtf8(ia as string, ib as string) || compareUtf8(va as string, vb as string),
      );
      expect([...journal.replay()].map((r) => [r.venue, r.id])).toEqual(expected);
      expect(expected.slice(0, 4).map(([, id]) => id)).toEqual(['B', 'Z', 'a', 'a']);
      expect(expected.slice(-2).map(([, id]) => id)).toEqual(['\uFFFF', '\u{1F600}']);
      expect(journal.get('deribit', 'é')?.id).toBe('é');
      expect(journal.get('deribit', 'É')).toBeUndefined();
      journal.close();
    });

    it('appends a batch atomically: a bad record half-way leaves nothing of the batch', () => {
      const journal = fresh();
      journal.append([record('t0', 1)]);
      const bad = { ...record('t2', 3), timestampMs: 1.5 };
      expect(() => journal.append([record('t1', 2), bad, record('t3', 4)])).toThrow(
        /records\[1\]\.timestampMs: got 1\.5/,
      );
      expect(() => journal.append([record('t1', 2), { ...record('t4', 5), venue: '' }])).toThrow(InputError);
      expect(() => journal.append([record('t1', 2), { ...record('t4', 5), instrument: '' }])).toThrow(
        /records\[1\]\.instrument/,
      );
      expect(() => journal.append([record('t1', 2), { ...record('t4', 5), sequence: -1 }])).toThrow(
        /records\[1\]\.sequence/,
      );
      expect(() => journal.append('nope' as unknown as JournalRecord[])).toThrow(InputError);
      expect(journal.count()).toBe(1);
      expect(journal.get('deribit', 't1')).toBeUndefined();
      expect(journal.lastSeq()).toBe(1);
      // The journal is usable afterwards, positions continue without a gap.
      expect(journal.append([record('t1', 2)]).appended).toBe(1);
      expect(journal.get('deribit', 't1')?.seq).toBe(2);
      journal.close();
    });

    it('saves and loads snapshots with the position they cover', () => {
      const journal = fresh();
      expect(journal.loadSnapshot()).toBeUndefined();
      journal.append([record('t1', 1), record('t2', 2)]);
      const state = JSON.stringify({ positions: { 'BTC-PERPETUAL': '100' }, cash: { BTC: '-0.001' } });
      journal.saveSnapshot({ coversSeq: 1, state: '{"old":true}' });
      journal.saveSnapshot({ coversSeq: 2, state });
      journal.saveSnapshot({ coversSeq: 1, state: '{"older":true}' });
      expect(journal.loadSnapshot()).toEqual({ coversSeq: 2, state });
      expect(() => journal.saveSnapshot({ coversSeq: 3, state })).toThrow(
        /coversSeq: got 3, expected at most/,
      );
      expect(() => journal.saveSnapshot({ coversSeq: -1, state })).toThrow(InputError);
      // The latest saved among equals.
      journal.saveSnapshot({ coversSeq: 2, state: '{"newer":true}' });
      expect(journal.loadSnapshot()).toEqual({ coversSeq: 2, state: '{"newer":true}' });
      journal.close();
    });

    it('keeps everything across close and reopen', () => {
      const journal = fresh();
      journal.append([record('t2', 2), record('t1', 1)]);
      journal.saveSnapshot({ coversSeq: 2, state: '{}' });
      journal.close();
      const reopened = reopen();
      expect(reopened.count()).toBe(2);
      expect([...reopened.replay()].map((r) => r.id)).toEqual(['t1', 't2']);
      expect(reopened.loadSnapshot()).toEqual({ coversSeq: 2, state: '{}' });
      expect(reopened.append([record('t1', 1)]).duplicates).toHaveLength(1);
      expect(reopened.append([record('t3', 3)]).appended).toBe(1);
      expect(reopened.lastSeq()).toBe(3);
      reopened.close();
    });

    it('replays one instrument, and the records up to a position, still in canonical order', () => {
      const journal = fresh();
      const other = { ...record('o1', 500), instrument: 'ETH-PERPETUAL' };
      journal.append([record('b', 3000), other, record('a', 1000), record('c', 2000)]);
      const ids = (replayOptions: ReplayOptions): string[] =>
        [...journal.replay(replayOptions)].map((r) => r.id);
      expect(ids({ instrument: 'BTC-PERPETUAL' })).toEqual(['a', 'c', 'b']);
      expect(ids({ throughSeq: 2 })).toEqual(['o1', 'b']);
      expect(ids({ instrument: 'BTC-PERPETUAL', throughSeq: 3 })).toEqual(['a', 'b']);
      expect(ids({ afterSeq: 1, throughSeq: 3 })).toEqual(['o1', 'a']);
      expect([...journal.replayBodies({ instrument: 'ETH-PERPETUAL' })]).toEqual([other.body]);
      expect(() => ids({ instrument: '' })).toThrow(InputError);
      expect(() => ids({ throughSeq: -1 })).toThrow(InputError);
      expect(() => ids({ afterSeq: 0.5 })).toThrow(InputError);
      expect(() => ids({ types: [] })).toThrow(InputError);
      journal.close();
    });

    it('counts, filters by type, and finds the last record and records by id', () => {
      const journal = fresh();
      expect(journal.count()).toBe(0);
      expect(journal.lastSeq()).toBe(0);
      expect(journal.last()).toBeUndefined();
      const state = { ...record('s1', 50), type: 'trading-state', instrument: null };
      journal.append([record('f1', 100, 3), state, record('f2', 10)]);
      expect(journal.count()).toBe(3);
      expect(journal.count({ types: ['fill'] })).toBe(2);
      expect(journal.count({ types: ['fill', 'trading-state'] })).toBe(3);
      expect(() => journal.count({ types: [] })).toThrow(InputError);
      expect(journal.get('deribit', 's1')).toEqual({ ...state, seq: 2 });
      expect(journal.get('deribit', 'f1')).toEqual({ ...record('f1', 100, 3), seq: 1 });
      expect(journal.get('other', 'f1')).toBeUndefined();
      expect(journal.last()).toEqual({ ...record('f2', 10), seq: 3 });
      expect([...journal.replay({ types: ['trading-state'] })]).toEqual([{ ...state, seq: 2 }]);
      expect([...journal.replayBodies({ types: ['fill'] })]).toEqual([
        record('f2', 10).body,
        record('f1', 100, 3).body,
      ]);
      journal.close();
    });

    it('replays a long journal lazily: in order, left part-way, with lookups while it iterates', () => {
      const journal = fresh();
      const total = 12_345;
      // Appended in batches, newest first, with timestamps that tie in pairs.
      const all = Array.from({ length: total }, (_, i) =>
        record(`r${i}`, 1_000_000 - Math.floor(i / 2), i % 3),
      );
      for (let i = 0; i < total; i += 1000)
        expect(journal.append(all.slice(i, i + 1000)).duplicates).toEqual([]);
      const expected = [...all].sort(compareCanonical).map((r) => r.id);
      let n = 0;
      for (const r of journal.replay()) {
        expect(r.id).toBe(expected[n]);
        // A lookup while the replay is open.
        if (n % 4000 === 0) expect(journal.get('deribit', r.id)?.seq).toBe(r.seq);
        n += 1;
      }
      expect(n).toBe(total);
      let bodies = 0;
      for (const body of journal.replayBodies({ order: 'append' })) {
        expect(body).toBe(all[bodies]?.body);
        bodies += 1;
      }
      expect(bodies).toBe(total);
      // Left after a few records: the journal is usable, and the next replay sees everything.
      let seen = 0;
      for (const _ of journal.replay()) if (++seen === 3) break;
      expect(journal.append([record('last', 0)]).appended).toBe(1);
      const tail = [all[total - 2], all[total - 1], record('last', 0)] as JournalRecord[];
      expect([...journal.replay({ afterSeq: total - 2 })].map((r) => r.id)).toEqual(
        tail.sort(compareCanonical).map((r) => r.id),
      );
      expect(journal.count()).toBe(total + 1);
      journal.close();
    });

    it('restores a ledger: the latest snapshot plus the tail equals the fold of the whole journal', () => {
      fc.assert(
        fc.property(
          bookArb.chain((events) =>
            fc.tuple(
              fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
              fc.integer({ min: 0, max: events.length }),
              fc.subarray(events),
            ),
          ),
          ([arrival, split, repeated]) => {
            const journal = fresh();
            const all = new Ledger();
            all.applyAll(arrival);
            journal.append(arrival.slice(0, split).map(eventRecord));
            const covered = saveLedgerSnapshot(journal, restoreLedger(journal).ledger);
            expect(covered).toBe(split);
            journal.append([...arrival.slice(split), ...repeated].map(eventRecord));
            expect(journal.count()).toBe(arrival.length);
            const restored = restoreLedger(journal);
            expect(restored.snapshotSeq).toBe(split);
            expect(restored.tailEvents).toBe(arrival.length - split);
            const scratch = restoreLedger(journal, { fromScratch: true });
            for (const ledger of [restored.ledger, scratch.ledger]) {
              expect(ledger.eventCount).toBe(all.eventCount);
              expect(ledger.positions()).toEqual(all.positions());
              expect(ledger.cash()).toEqual(all.cash());
              expect(ledger.realizedPnl()).toEqual(all.realizedPnl());
            }
            journal.close();
          },
        ),
        { numRuns: 8, seed: 11 },
      );
    });
  });
}
