/**
 * The journal benchmark (issue 4): fills journaled per second, by the store alone and by the
 * whole import (validation of the file, then committed batches of 5,000), and the time to
 * replay and to rebuild the ledger from 1,000,000 journaled fills. Synthetic fills from
 * `scripts/generate-fills.ts`, a fresh SQLite file in the temp directory. Timings never gate a
 * test. Targets on the 2-core machine: 200,000 fills/s imported, rebuild under 3 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFillLines } from '../scripts/generate-fills.js';
import { readFillRow } from '../src/inventory/import/fill-row.js';
import { DEFAULT_IMPORT_BATCH, fillRecord, importFills } from '../src/inventory/import/import-fills.js';
import { restoreLedger, saveLedgerSnapshot } from '../src/engine/journaled-ledger.js';
import { Ledger } from '../src/inventory/ledger.js';
import type { JournalRecord } from '../src/store/journal.js';
import { SqliteJournal } from '../src/store/sqlite/journal.js';

/** The figures of one run. */
export interface JournalFigures {
  /** Records in the replayed journal. */
  records: number;
  /** `append` alone, prepared records in batches of 5,000, into an empty journal. */
  appendPerSecond: number;
  /** `importFills` of a 100,000-line JSON Lines file: read, validate, journal. */
  importFills: number;
  importPerSecond: number;
  /** `replay()` of every record (all columns), ms. */
  replayMs: number;
  /** `replayBodies()` of every record, ms. */
  replayBodiesMs: number;
  /** `Ledger.applyJson(replayBodies())`: the state rebuilt from scratch, ms. */
  rebuildMs: number;
  /** `restoreLedger`: the latest snapshot (covering every record) plus a tail of `tailEvents`, ms. */
  restoreMs: number;
  tailEvents: number;
}

/** Fills journaled after the snapshot for the restore figure. */
const TAIL = 10_000;

/** Runs the benchmark on `records` fills (default 1,000,000). */
export async function journalBenchmark(records = 1_000_000): Promise<JournalFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-journal-'));
  try {
    const prepared: JournalRecord[] = generateFillLines(records, 1).map((line) => {
      const row = readFillRow(JSON.parse(line) as Record<string, unknown>, 'json');
      if (!row.ok) throw new Error(`synthetic fill refused: ${JSON.stringify(row.problems)}`);
      return fillRecord(row.fill);
    });
    const journal = SqliteJournal.open(join(dir, 'append.db'));
    let start = performance.now();
    for (let i = 0; i < prepared.length; i += DEFAULT_IMPORT_BATCH) {
      journal.append(prepared.slice(i, i + DEFAULT_IMPORT_BATCH));
    }
    const appendPerSecond = prepared.length / ((performance.now() - start) / 1000);
    prepared.length = 0;

    start = performance.now();
    let replayed = 0;
    for (const record of journal.replay()) replayed += record.seq > 0 ? 1 : 0;
    const replayMs = performance.now() - start;

    start = performance.now();
    let bodies = 0;
    for (const body of journal.replayBodies()) bodies += body.length > 0 ? 1 : 0;
    const replayBodiesMs = performance.now() - start;

    start = performance.now();
    const ledger = new Ledger();
    ledger.applyJson(journal.replayBodies());
    const rebuildMs = performance.now() - start;
    // A month after the journaled fills: the tail of a restart, not a late batch.
    const tail = generateFillLines(TAIL, 3, Date.UTC(2026, 1, 1)).map((line) => {
      const row = readFillRow(JSON.parse(line) as Record<string, unknown>, 'json');
      if (!row.ok) throw new Error(`synthetic fill refused: ${JSON.stringify(row.problems)}`);
      return fillRecord(row.fill);
    });
    saveLedgerSnapshot(journal, ledger);
    journal.append(tail);
    start = performance.now();
    const restored = restoreLedger(journal);
    const restoreMs = performance.now() - start;
    if (restored.tailEvents !== TAIL) throw new Error(`tail of ${restored.tailEvents}, expected ${TAIL}`);
    journal.close();
    if (replayed !== records || bodies !== records || ledger.eventCount !== records) {
      throw new Error(
        `replayed ${replayed}, ${bodies} bodies, ledger ${ledger.eventCount}; expected ${records}`,
      );
    }

    const importCount = Math.min(records, 100_000);
    const file = join(dir, 'fills.jsonl');
    writeFileSync(file, `${generateFillLines(importCount, 2).join('\n')}\n`);
    const target = SqliteJournal.open(join(dir, 'import.db'));
    start = performance.now();
    const result = await importFills(file, target);
    const importPerSecond = result.appended / ((performance.now() - start) / 1000);
    target.close();

    return {
      records,
      appendPerSecond,
      importFills: importCount,
      importPerSecond,
      replayMs,
      replayBodiesMs,
      rebuildMs,
      restoreMs,
      tailEvents: TAIL,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
