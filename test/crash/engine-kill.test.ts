/**
 * Crash safety of the engine (issue 9, "Must show"): `ballast run` (the built code, paper trading
 * on the simulated venue at 100x) is killed with SIGKILL at seeded moments, five times, each time
 * started again on the same journal, then run once more and stopped cleanly. After every kill the
 * inventory the engine restores (the ledger's snapshot plus the journal after it) must equal the
 * journal folded from scratch, every fill must be in the journal once, and each resumed run must
 * find the venue agreeing with it (no reconciliation mismatch: it stays ACTIVE).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/generate-fills.js';
import { restoreLedger } from '../../src/engine/journaled-ledger.js';
import { formatMoney } from '../../src/inventory/money.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { cliPath, ensureBuilt } from '../cli/run-cli.js';

const SEED = 20261125;
const KILLS = 5;

interface Run {
  signal: NodeJS.Signals | null;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ballast run`; `killAfterMs` after it reports the engine started, SIGKILL. */
function run(journal: string, args: string[], killAfterMs?: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [cliPath, 'run', '--journal', journal, '--no-api', '--no-summary', '--speed', '100', ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let armed = false;
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!armed && killAfterMs !== undefined && stdout.includes('ballast: engine on')) {
        armed = true;
        setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    proc.on('error', reject);
    proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Positions as text, from the snapshot path and from scratch. */
function inventories(path: string): { restored: string; scratch: string; fills: number; distinct: number } {
  const journal = SqliteJournal.open(path);
  try {
    const text = (fromScratch: boolean): string =>
      restoreLedger(journal, { fromScratch })
        .ledger.positions(true)
        .map((p) => `${p.instrument} ${formatMoney(p.amount)}`)
        .join('\n');
    const ids = [...journal.replay({ types: ['fill'] })].map((r) => `${r.venue}/${r.id}`);
    return { restored: text(false), scratch: text(true), fills: ids.length, distinct: new Set(ids).size };
  } finally {
    journal.close();
  }
}

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'ballast-engine-kill-'));
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the engine killed with SIGKILL', () => {
  it('resumes with the same inventory, every fill once, the venue agreeing', async () => {
    const path = join(dir, 'journal.sqlite');
    const next = mulberry32(SEED);
    // A first clean run leaves a snapshot, so that later restores take the snapshot + tail path.
    const first = await run(path, ['--for', '4']);
    expect(first.code, first.stderr).toBe(0);
    let fills = inventories(path).fills;
    for (let k = 0; k < KILLS; k++) {
      const killAfterMs = 1500 + Math.floor(next() * 3500);
      const r = await run(path, [], killAfterMs);
      expect(r.signal, `kill ${k}: ${r.stderr}`).toBe('SIGKILL');
      // A resumed run must not find the venue disagreeing with it.
      expect(r.stdout).not.toMatch(/HALTED/);
      const inv = inventories(path);
      expect(inv.restored).toBe(inv.scratch);
      expect(inv.distinct).toBe(inv.fills);
      expect(inv.fills).toBeGreaterThanOrEqual(fills);
      fills = inv.fills;
      console.log(
        `kill ${k + 1} after ${killAfterMs} ms: ${inv.fills} fills journaled, ${inv.restored.split('\n').filter((l) => l !== '').length} positions`,
      );
    }
    const last = await run(path, ['--for', '3']);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stdout).toMatch(/resumed: \d+ positions/);
    expect(last.stdout).toMatch(/state ACTIVE/);
    const inv = inventories(path);
    expect(inv.restored).toBe(inv.scratch);
    expect(inv.distinct).toBe(inv.fills);
    const count = Number(/(\d+) positions, state/.exec(last.stdout)?.[1]);
    expect(count).toBe(inv.scratch.split('\n').filter((l) => l !== '').length);
  }, 300_000);
});
