/**
 * The ledger and its journal together: the state rebuilt on start from the latest snapshot plus
 * the journal's tail (or from scratch when there is no snapshot), and snapshots written as the
 * fold's state with the journal position it covers.
 */
import { EVENT_TYPES, type InventoryEvent } from '../inventory/events.js';
import { eventFromJson } from '../inventory/event-json.js';
import { Ledger, type LedgerHistory } from '../inventory/ledger.js';
import type { JournalStore } from '../store/journal.js';

/** The journal as the history of a ledger restored from a snapshot covering `coversSeq`. */
export function journalHistory(journal: JournalStore, coversSeq: number): LedgerHistory {
  return {
    covered(venue: string, id: string): InventoryEvent | undefined {
      const record = journal.get(venue, id);
      return record !== undefined && record.seq <= coversSeq ? eventFromJson(record.body) : undefined;
    },
    events(instrument: string): InventoryEvent[] {
      return [...journal.replayBodies({ instrument, throughSeq: coversSeq, types: EVENT_TYPES })].map(
        (body) => eventFromJson(body),
      );
    },
  };
}

/** A ledger rebuilt from a journal, and how. */
export interface RestoredLedger {
  ledger: Ledger;
  /** The journal position the snapshot used covers (0: rebuilt from scratch). */
  snapshotSeq: number;
  /** Events applied after the snapshot (all of them without one). */
  tailEvents: number;
}

/**
 * The ledger of every inventory event in `journal` (other records, such as trading-state
 * changes, are not the ledger's): the latest snapshot (if any) plus the events appended
 * after it, in canonical order; `fromScratch` ignores snapshots. The same state either way.
 */
export function restoreLedger(
  journal: JournalStore,
  options: { fromScratch?: boolean } = {},
): RestoredLedger {
  const snapshot = options.fromScratch === true ? undefined : journal.loadSnapshot();
  if (snapshot === undefined) {
    const ledger = new Ledger();
    const { applied } = ledger.applyJson(journal.replayBodies({ types: EVENT_TYPES }));
    return { ledger, snapshotSeq: 0, tailEvents: applied };
  }
  const ledger = Ledger.fromSnapshot(snapshot.state, journalHistory(journal, snapshot.coversSeq));
  const { applied } = ledger.applyJson(
    journal.replayBodies({ afterSeq: snapshot.coversSeq, types: EVENT_TYPES }),
  );
  return { ledger, snapshotSeq: snapshot.coversSeq, tailEvents: applied };
}

/**
 * Saves `ledger` as a snapshot covering the whole journal. The ledger must hold exactly the
 * journal's events (as `restoreLedger` returns it, with what was appended since applied);
 * otherwise the snapshot would not be the fold of what it covers, and this refuses.
 */
export function saveLedgerSnapshot(journal: JournalStore, ledger: Ledger): number {
  const coversSeq = journal.lastSeq();
  const count = journal.count({ types: EVENT_TYPES });
  if (ledger.eventCount !== count) {
    throw new Error(`the ledger holds ${ledger.eventCount} events, the journal ${count}: no snapshot`);
  }
  journal.saveSnapshot({ coversSeq, state: ledger.snapshot() });
  return coversSeq;
}
