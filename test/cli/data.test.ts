/** `ballast data inspect`, run as a user runs it (the built CLI), on the recorded-data fixtures. */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot, runCli } from './run-cli.js';

beforeAll(() => ensureBuilt(), 120_000);
const dir = mkdtempSync(join(tmpdir(), 'ballast-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const WS = join(repoRoot, 'test/fixtures/deribit-ws');
const TARDIS = join(repoRoot, 'test/fixtures/tardis');

async function inspect(path: string): Promise<Record<string, unknown>> {
  const result = await runCli(['data', 'inspect', path, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('ballast data inspect', () => {
  it('summarizes a Deribit notification file: records, instruments, exchange times, gaps', async () => {
    const report = await inspect(join(WS, 'book-gap.jsonl'));
    const lines = readFileSync(join(WS, 'book-gap.jsonl'), 'utf8').trim().split('\n');
    const stamps = lines.map(
      (l) => (JSON.parse(l) as { params: { data: { timestamp: number } } }).params.data.timestamp,
    );
    expect(report).toMatchObject({
      events: lines.length,
      instruments: ['BTC-PERPETUAL'],
      start_ms: Math.min(...stamps),
      end_ms: Math.max(...stamps),
      gaps: 1,
    });
    expect((await inspect(join(WS, 'book-snapshot-changes.jsonl'))).gaps).toBe(0);
  });

  it('a trades line giving several events still counts as one record', async () => {
    const report = await inspect(join(WS, 'trades.jsonl'));
    const lines = readFileSync(join(WS, 'trades.jsonl'), 'utf8').trim().split('\n').length;
    expect(report.events).toBe(lines);
    const types = report.event_types as Record<string, number>;
    expect(types.trade).toBeGreaterThan(lines);
  });

  it('summarizes a Tardis CSV file (rows, snapshots included; gaps null: no sequence numbers), gzipped alike', async () => {
    const name = 'deribit_incremental_book_L2_2020-09-01_BTC-PERPETUAL.csv';
    const text = readFileSync(join(TARDIS, name), 'utf8').trim().split('\n');
    const rows = text.slice(1);
    const micros = rows.map((r) => Number(r.split(',')[2]));
    const report = await inspect(join(TARDIS, name));
    expect(report).toMatchObject({
      events: rows.length,
      instruments: ['BTC-PERPETUAL'],
      start_ms: Math.floor(Math.min(...micros) / 1000),
      end_ms: Math.floor(Math.max(...micros) / 1000),
      gaps: null,
    });
    const gz = join(dir, `${name}.gz`);
    writeFileSync(gz, gzipSync(readFileSync(join(TARDIS, name))));
    expect(await inspect(gz)).toEqual({ ...report, file: gz });
  });

  it('reports bad records with their line numbers and exits 1; an unknown layout is a usage error', async () => {
    const path = join(dir, 'bad.jsonl');
    const good = readFileSync(join(WS, 'quote.jsonl'), 'utf8').trim().split('\n')[0] as string;
    writeFileSync(path, `${good}\n{"jsonrpc":"2.0",\n${good}\n`);
    const result = await runCli(['data', 'inspect', path, '--json']);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ events: 3, bad_records: 1 });
    expect(result.stderr).toMatch(/^line 2: /m);
    const other = join(dir, 'file.txt');
    copyFileSync(join(WS, 'quote.jsonl'), other);
    expect((await runCli(['data', 'inspect', other])).code).toBe(2);
    const forced = await runCli(['data', 'inspect', other, '--format', 'deribit-jsonl']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/records\s+\d+/);
  });
});
