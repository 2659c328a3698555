/**
 * Crash safety of the import (issue 4, "Must show"): a child process running the built code
 * imports 100,000 fills into an SQLite journal and is killed with SIGKILL at seeded random
 * moments of its journaling phase (by the clock, and between two seeded batch commits), 20
 * times, each time run again, then once to the end. The
 * journal must then hold exactly the 100,000 fills, once each, and replay to the same records,
 * positions and cash as an uninterrupted import.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFillLines, mulberry32 } from '../../scripts/generate-fills.js';
import { eventFromJson } from '../../src/inventory/event-json.js';
import { DEFAULT_IMPORT_BATCH } from '../../src/inventory/import/import-fills.js';
import { Ledger } from '../../src/inventory/ledger.js';
import { formatMoney } from '../../src/inventory/money.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { ensureBuilt } from '../cli/run-cli.js';

const FILLS = 100_000;
const KILLS = 20;
const SEED = 20260401;
const child = fileURLToPath(new URL('./import-child.mjs', import.meta.url));

interface ChildRun {
  /** Exit signal: SIGKILL when killed, null when it finished. */
  signal: NodeJS.Signals | null;
  code: number | null;
  stdout: string;
  stderr: string;
  /** ms from "validated" to exit. */
  journalMs: number;
}

/**
 * When to kill a run: `afterMs` after it reports "validated" (a moment of the journaling phase
 * by the clock), or `delayMs` after its `afterBatches`-th committed batch (a moment between two
 * commits whatever the machine's speed).
 */
type Kill = { afterMs: number } | { afterBatches: number; delayMs: number };

/** Runs the child; with `kill`, sends SIGKILL at that moment. */
function runChild(file: string, db: string, kill?: Kill): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, file, db], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let validatedAt = 0;
    let armed = false;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (validatedAt === 0 && stdout.includes('validated\n')) validatedAt = performance.now();
      if (kill === undefined || armed || validatedAt === 0) return;
      if ('afterMs' in kill) {
        armed = true;
        setTimeout(() => proc.kill('SIGKILL'), kill.afterMs);
      } else if ((stdout.match(/^journaled /gm)?.length ?? 0) >= kill.afterBatches) {
        armed = true;
        setTimeout(() => proc.kill('SIGKILL'), kill.delayMs);
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        journalMs: validatedAt === 0 ? 0 : performance.now() - validatedAt,
      }),
    );
  });
}

/** The journal's records in canonical order and the ledger folded from them. */
function readBack(db: string): { bodies: string[]; count: number; ledger: Ledger } {
  const journal = SqliteJournal.open(db);
  try {
    const bodies = [...journal.replayBodies()];
    const ledger = new Ledger();
    for (const body of bodies) ledger.apply(eventFromJson(body));
    return { bodies, count: journal.count(), ledger };
  } finally {
    journal.close();
  }
}

function book(ledger: Ledger): unknown {
  return {
    positions: ledger.positions().map((p) => ({
      instrument: p.instrument,
      amount: formatMoney(p.amount),
      averagePrice: p.averagePrice === null ? null : formatMoney(p.averagePrice),
      realizedPnl: formatMoney(p.realizedPnl),
    })),
    cash: Object.fromEntries(Object.entries(ledger.cash()).map(([c, v]) => [c, formatMoney(v)])),
  };
}

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ballast-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('import under SIGKILL', () => {
  it(`journals ${FILLS} fills exactly once through ${KILLS} kills`, { timeout: 240_000 }, async () => {
    const file = join(dir, 'fills.jsonl');
    writeFileSync(file, `${generateFillLines(FILLS, SEED).join('\n')}\n`);

    const reference = await runChild(file, join(dir, 'reference.db'));
    expect(reference.stderr).toBe('');
    expect(reference.code).toBe(0);
    expect(reference.stdout).toContain(`"appended":${FILLS}`);

    const random = mulberry32(SEED);
    const crashDb = join(dir, 'crashed.db');
    const journaledAfterKill: number[] = [];
    let killedMidway = 0;
    const batches = Math.ceil(FILLS / DEFAULT_IMPORT_BATCH);
    for (let k = 0; k < KILLS; k++) {
      // Every other kill: a moment in the journaling phase, as long as the uninterrupted one
      // took; the others a few ms after a seeded batch's commit (between two commits).
      const kill: Kill =
        k % 2 === 1
          ? { afterMs: random() * reference.journalMs }
          : { afterBatches: 1 + Math.floor(random() * (batches - 1)), delayMs: Math.floor(random() * 5) };
      const run = await runChild(file, crashDb, kill);
      expect(run.stderr).toBe('');
      if (run.signal === 'SIGKILL') killedMidway += 1;
      else expect(run.code).toBe(0);
      const journal = SqliteJournal.open(crashDb);
      journaledAfterKill.push(journal.count());
      journal.close();
    }
    const last = await runChild(file, crashDb);
    expect(last.code).toBe(0);

    console.log(`import crash test: journaled after each kill: ${journaledAfterKill.join(', ')}`);
    // Most kills must land before the end, or the test proves little.
    expect(killedMidway).toBeGreaterThanOrEqual(KILLS / 2);
    expect(journaledAfterKill.some((n) => n > 0 && n < FILLS)).toBe(true);
    for (let k = 1; k < KILLS; k++) {
      expect(journaledAfterKill[k]).toBeGreaterThanOrEqual(journaledAfterKill[k - 1] as number);
    }

    const expected = readBack(join(dir, 'reference.db'));
    const crashed = readBack(crashDb);
    expect(expected.count).toBe(FILLS);
    expect(crashed.count).toBe(FILLS);
    expect(new Set(crashed.bodies.map((b) => (JSON.parse(b) as { id: string }).id)).size).toBe(FILLS);
    expect(crashed.bodies).toEqual(expected.bodies);
    expect(crashed.ledger.eventCount).toBe(FILLS);
    expect(book(crashed.ledger)).toEqual(book(expected.ledger));
  });
});
