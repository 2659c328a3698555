/** `ballast backtest` on a `kind: options` scenario, run as a user runs it (the built CLI). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);
const dir = mkdtempSync(join(tmpdir(), 'ballast-backtest-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The committed scenario, 2 hours instead of 8 (the 28-day expiry of per-option quoting passes
// its 400 limit within the first hour; see the scenario's comments).
const TEXT = readFileSync(join(repoRoot, 'scenarios/options-vega-one-sided.yaml'), 'utf8');
const SHORT = TEXT.replace('duration_hours: 8', 'duration_hours: 2');
const path = join(dir, 'options.yaml');
writeFileSync(path, SHORT);

interface ModeJson {
  maxAbsVega: number[];
  maxAbsVegaTotal: number;
  maxVegaUse: number;
  breached: boolean;
  contractsTraded: number;
  pnlCoin: number;
  maxAbsDelta: number;
  deltaBreached: boolean;
  finalDelta: number;
  massQuotes: number;
  quotesSent: number;
  mmpTriggers: number;
  fills: number;
  hedging: { trades: number; costUsd: number; feesUsd: number; spreadPaidUsd: number } | null;
}
interface ReportJson {
  name: string;
  expiryDays: number[];
  strikes: number[];
  vegaLimitPerExpiry: number[];
  vegaLimitTotal: number;
  seeds: { seed: number; book: ModeJson; perOption: ModeJson; holds: boolean }[];
  held: number;
  holds: boolean;
}

describe('ballast backtest, kind: options', () => {
  it('reports every seed of both quoters as JSON, the same bytes on a second run', async () => {
    expect(SHORT).not.toBe(TEXT);
    const a = await runCli(['backtest', '--scenario', path, '--seeds', '3', '--json', '--workers', '2']);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    const report = JSON.parse(a.stdout) as ReportJson;
    expect(report.name).toBe('options-vega-one-sided');
    expect(report.expiryDays).toEqual([7, 28]);
    expect(report.strikes).toEqual([36_000, 38_000, 40_000, 42_000, 44_000]);
    expect(report.vegaLimitPerExpiry).toEqual([400, 400]);
    expect(report.seeds.map((s) => s.seed)).toEqual([1, 2, 3]);
    for (const s of report.seeds) {
      for (const m of [s.book, s.perOption]) {
        expect(m.maxAbsVega).toHaveLength(2);
        // breached <=> some max |vega| over its limit (the file's 400 per expiry, 1,000 in total)
        expect(m.breached).toBe(m.maxAbsVega.some((v) => v > 400) || m.maxAbsVegaTotal > 1000);
        // quotes went out as mass quotes, one request a step: steps 0..119 of 2 h (step 120 only marks)
        expect(m.massQuotes).toBe(120);
        expect(m.quotesSent).toBeGreaterThan(0);
        expect(m.deltaBreached).toBe(m.maxAbsDelta > 100);
        expect(Math.abs(m.finalDelta)).toBeLessThanOrEqual(m.maxAbsDelta);
        expect(m.hedging).toBeNull(); // no hedging section
      }
      expect(s.holds).toBe(!s.book.breached && s.perOption.breached);
    }
    expect(report.held).toBe(report.seeds.filter((s) => s.holds).length);
    const b = await runCli(['backtest', '--scenario', path, '--seeds', '3', '--json', '--workers', '1']);
    expect(b.stdout).toBe(a.stdout);
  });

  it('prints a per-seed table and the verdict', async () => {
    const result = await runCli(['backtest', '--scenario', path, '--seeds', '2']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('options-vega-one-sided: book-level against per-option quoting, 2 seed(s)');
    expect(result.stdout).toContain('|vega| limits, USD per vol point: 7 d 400, 28 d 400, total 1000');
    const rows = lines.filter((l) => /^\d+ /.test(l));
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual(['1', '2']);
    // seed, then per mode: 7 d, 28 d, total, use, over, traded, P&L; then holds
    for (const row of rows) expect(row.trim().split(/\s+/)).toHaveLength(16);
    expect(result.stdout).toMatch(/on \d of 2 seed\(s\): (holds|does not hold) \(needs 80%\)\n$/);
  });

  it('runs the hedged scenario: hedge fills and their cost in the JSON', async () => {
    const hedged = join(dir, 'hedged.yaml');
    writeFileSync(
      hedged,
      readFileSync(join(repoRoot, 'scenarios/options-hedged.yaml'), 'utf8').replace(
        'duration_hours: 8',
        'duration_hours: 1',
      ),
    );
    const result = await runCli(['backtest', '--scenario', hedged, '--seeds', '1', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as ReportJson;
    expect(report.name).toBe('options-hedged');
    for (const m of [report.seeds[0]!.book, report.seeds[0]!.perOption]) {
      expect(m.hedging).not.toBeNull();
      expect(m.hedging!.trades).toBeGreaterThan(0);
      expect(m.hedging!.costUsd).toBeCloseTo(m.hedging!.feesUsd + m.hedging!.spreadPaidUsd, 9);
    }
  });

  it('refuses a bad options scenario with the field named', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, SHORT.replace('rate_per_hour: 3', 'rate_per_hour: -3'));
    const result = await runCli(['backtest', '--scenario', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/flow\.rate_per_hour/);
  });
});
