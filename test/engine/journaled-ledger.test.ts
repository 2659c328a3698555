/**
 * Snapshots plus the journal's tail rebuild the same ledger as a fold of the whole journal,
 * whatever the split point, the order of arrival, the late events on either side of the
 * snapshot and the duplicates.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { restoreLedger, saveLedgerSnapshot } from '../../src/engine/journaled-ledger.js';
import { eventRecord } from '../../src/inventory/event-json.js';
import { Ledger } from '../../src/inventory/ledger.js';
import { decodeLedgerSnapshot } from '../../src/inventory/ledger-snapshot.js';
import { InputError } from '../../src/model/errors.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { bookArb, FUTURE, T0 } from '../inventory/book-arbitrary.js';
import { fill } from '../inventory/helpers.js';

function state(ledger: Ledger): unknown {
  return {
    events: ledger.eventCount,
    positions: ledger.positions(),
    cash: ledger.cash(),
    fees: ledger.feesPaid(),
    funding: ledger.fundingReceived(),
    realized: ledger.realizedPnl(),
    marks: ledger.marks(),
  };
}

describe('snapshot + tail', () => {
  test('equals the fold of the whole journal for any split, arrival order and duplicates', () => {
    fc.assert(
      fc.property(
        bookArb.chain((events) =>
          fc.tuple(
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            fc.integer({ min: 0, max: events.length }),
            fc.integer({ min: 0, max: events.length }),
            fc.subarray(events),
          ),
        ),
        ([arrival, firstSplit, secondSplit, repeated]) => {
          const [a, b] = [Math.min(firstSplit, secondSplit), Math.max(firstSplit, secondSplit)];
          const journal = SqliteJournal.open(':memory:');
          const all = new Ledger();
          all.applyAll(arrival);
          // Two snapshots: after `a` events and after `b`; the second restored from the first.
          journal.append(arrival.slice(0, a).map(eventRecord));
          saveLedgerSnapshot(journal, restoreLedger(journal).ledger);
          journal.append([...arrival.slice(a, b), ...repeated].map(eventRecord));
          const middle = restoreLedger(journal);
          expect(middle.snapshotSeq).toBe(a);
          const covered = saveLedgerSnapshot(journal, middle.ledger);
          journal.append([...arrival.slice(b), ...repeated].map(eventRecord));
          expect(journal.count()).toBe(arrival.length);

          const restored = restoreLedger(journal);
          expect(restored.snapshotSeq).toBe(covered);
          expect(restored.tailEvents).toBe(arrival.length - covered);
          expect(state(restored.ledger)).toEqual(state(all));
          expect(state(restoreLedger(journal, { fromScratch: true }).ledger)).toEqual(state(all));

          // The live path after a restore: a duplicate of a folded event changes nothing, and a
          // late fill (before everything) refolds its instrument from the journal's history.
          const late = fill(FUTURE, 'buy', 10, 100_000, T0 - 10, { id: 'late' });
          for (const ledger of [restored.ledger, all]) {
            if (arrival[0] !== undefined) expect(ledger.apply(arrival[0]).status).toBe('duplicate');
            expect(ledger.apply(late).status).toBe('applied');
          }
          journal.append([eventRecord(late)]);
          expect(state(restored.ledger)).toEqual(state(all));
          expect(state(restoreLedger(journal).ledger)).toEqual(state(all));
          journal.close();
        },
      ),
      { numRuns: 120 },
    );
  });

  test('a snapshot is states, not events: its size does not grow with the fills', () => {
    const ledger = new Ledger();
    const sizes: number[] = [];
    for (let i = 0; i < 2000; i++) {
      ledger.apply(fill(FUTURE, i % 3 === 0 ? 'sell' : 'buy', 10, 100_000 + i, T0 + i, { id: `t${i}` }));
      if (i === 99 || i === 1999) sizes.push(ledger.snapshot().length);
    }
    expect(sizes[1]).toBeLessThan((sizes[0] as number) * 1.2);
    expect(decodeLedgerSnapshot(ledger.snapshot()).events).toBe(2000);
  });

  test('refuses a snapshot of another format or with a bad field, naming it', () => {
    const history = { covered: () => undefined, events: () => [] };
    expect(() => Ledger.fromSnapshot('nonsense', history)).toThrow(InputError);
    expect(() => Ledger.fromSnapshot('{"format":"other"}', history)).toThrow(/snapshot\.format/);
    const good = JSON.parse(new Ledger().snapshot()) as Record<string, unknown>;
    expect(() => Ledger.fromSnapshot(JSON.stringify({ ...good, events: -1 }), history)).toThrow(
      /snapshot\.events/,
    );
  });

  test('refuses to snapshot a ledger that does not hold exactly the journal', () => {
    const journal = SqliteJournal.open(':memory:');
    journal.append([eventRecord(fill(FUTURE, 'buy', 10, 100_000, T0, { id: 'x' }))]);
    expect(() => saveLedgerSnapshot(journal, new Ledger())).toThrow(/no snapshot/);
    journal.close();
  });
});
