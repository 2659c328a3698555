import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventFromJson } from '../../../src/inventory/event-json.js';
import {
  ImportValidationError,
  importFills,
  type ImportProgress,
} from '../../../src/inventory/import/import-fills.js';
import { splitCsvLine } from '../../../src/inventory/import/csv-line.js';
import { FILL_COLUMNS } from '../../../src/inventory/import/fill-row.js';
import { SqliteJournal } from '../../../src/store/sqlite/journal.js';

const GOOD = {
  venue: 'deribit',
  trade_id: 'ETH-1001',
  trade_seq: 7,
  order_id: '5501',
  instrument: 'ETH-PERPETUAL',
  side: 'buy',
  amount: '10',
  price: '2000.05',
  fee: '0.0000025',
  fee_currency: 'ETH',
  liquidity: 'taker',
  timestamp: 1_767_225_600_000,
};

function fill(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...GOOD, ...overrides });
}

let dir: string;
let journal: SqliteJournal;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ballast-import-'));
  journal = SqliteJournal.open(join(dir, 'journal.db'));
});
afterEach(() => {
  journal.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function problemsOf(path: string): Promise<{ lineNumber: number; fields: string[]; text: string }[]> {
  try {
    await importFills(path, journal);
  } catch (error) {
    expect(error).toBeInstanceOf(ImportValidationError);
    const lines = (error as ImportValidationError).lines;
    return lines.map((l) => ({
      lineNumber: l.lineNumber,
      fields: l.problems.map((p) => p.field),
      text: l.problems.map((p) => p.message).join('; '),
    }));
  }
  throw new Error('expected the import to fail');
}

describe('importFills', () => {
  it('journals JSON Lines fills as their exact event JSON, and is idempotent', async () => {
    const path = file('fills.jsonl', [
      fill(),
      '',
      fill({
        trade_id: 'ETH-1002',
        trade_seq: 8,
        side: 'sell',
        amount: 4,
        fee: -0.000001,
        liquidity: 'maker',
      }),
    ]);
    const progress: ImportProgress[] = [];
    const first = await importFills(path, journal, { batchSize: 1, onProgress: (p) => progress.push(p) });
    expect(first).toMatchObject({
      lines: 2,
      fills: 2,
      appended: 2,
      duplicates: 0,
      conflicts: [],
      rejected: 0,
    });
    expect(progress.filter((p) => p.phase === 'journal').map((p) => p.appended)).toEqual([1, 2, 2]);
    const [a, b] = [...journal.replay()];
    expect(eventFromJson(a?.body)).toMatchObject({
      id: 'ETH-1001',
      amount: 10_000_000_000_000n,
      fee: 2_500_000n,
    });
    expect(eventFromJson(b?.body)).toMatchObject({ id: 'ETH-1002', side: 'sell', fee: -1_000_000n });
    const again = await importFills(path, journal);
    expect(again).toMatchObject({ appended: 0, duplicates: 2, conflicts: [] });
    expect(journal.count()).toBe(2);
  });

  it('reads CSV with a header and quoted fields, the same as JSON Lines', async () => {
    const values = FILL_COLUMNS.map((c) => String(GOOD[c]));
    const csv = file('fills.csv', [FILL_COLUMNS.join(','), values.map((v) => `"${v}"`).join(',')]);
    expect(await importFills(csv, journal)).toMatchObject({ fills: 1, appended: 1 });
    const jsonl = file('fills.jsonl', [fill()]);
    expect(await importFills(jsonl, journal)).toMatchObject({ appended: 0, duplicates: 1, conflicts: [] });
  });

  it('reports a trade id journaled with other content as a conflict, and keeps the first', async () => {
    await importFills(file('a.jsonl', [fill()]), journal);
    const result = await importFills(file('b.jsonl', [fill({ price: '2000.1' })]), journal);
    expect(result.conflicts).toEqual([{ lineNumber: 1, venue: 'deribit', tradeId: 'ETH-1001' }]);
    expect(eventFromJson(journal.get('deribit', 'ETH-1001')?.body)).toMatchObject({
      price: 2_000_050_000_000_000n,
    });
  });

  it('names the line and field of every bad line and journals nothing', async () => {
    const path = file('bad.jsonl', [
      fill({ trade_id: 'ok-1' }),
      '{"venue": "deribit", "trade_id": ',
      fill({ trade_id: 'x-2', instrument: 'BTC-32DEC26' }),
      fill({ trade_id: 'x-3', amount: '-5' }),
      fill({ trade_id: 'x-4', instrument: 'ETH-25DEC26', timestamp: Date.UTC(2026, 11, 25, 9) }),
      fill({ trade_id: 'x-5', side: 'long', timestamp: '1767225600000' }),
      fill({ trade_id: 'x-6', fee_currency: 'USDC' }),
      fill({ trade_id: 'x-7', amont: '1' }),
      fill({ trade_id: 'ok-8' }),
    ]);
    const problems = await problemsOf(path);
    expect(problems.map(({ lineNumber, fields }) => ({ lineNumber, fields }))).toEqual([
      { lineNumber: 2, fields: ['line'] },
      { lineNumber: 3, fields: ['instrument'] },
      { lineNumber: 4, fields: ['amount'] },
      { lineNumber: 5, fields: ['timestamp'] },
      { lineNumber: 6, fields: ['side', 'timestamp'] },
      { lineNumber: 7, fields: ['fee_currency'] },
      { lineNumber: 8, fields: ['amont'] },
    ]);
    expect(problems[1]?.text).toMatch(/instrument: got "BTC-32DEC26", expected a Deribit instrument name/);
    expect(problems[2]?.text).toMatch(/amount: got "-5", expected a positive amount/);
    expect(problems[3]?.text).toMatch(/timestamp: .*before the expiry of ETH-25DEC26/);
    expect(journal.count()).toBe(0);
  });

  it('refuses a CSV whose header lacks a column, and a line with the wrong number of fields', async () => {
    const header = FILL_COLUMNS.filter((c) => c !== 'fee').join(',');
    const missing = await problemsOf(file('h.csv', [header, 'a,b']));
    expect(missing[0]).toMatchObject({ lineNumber: 1, fields: ['fee'] });
    const row = FILL_COLUMNS.map((c) => String(GOOD[c])).join(',');
    const short = await problemsOf(file('s.csv', [FILL_COLUMNS.join(','), row, 'deribit,1']));
    expect(short).toEqual([
      { lineNumber: 3, fields: ['line'], text: 'line: 2 fields, expected 12 as in the header' },
    ]);
    expect(journal.count()).toBe(0);
  });

  it('with skipInvalid, journals the good lines and writes the rejects with their reasons', async () => {
    const rejects = join(dir, 'rejects.jsonl');
    const bad = fill({ trade_id: 'x', amount: '0' });
    const path = file('mixed.jsonl', [fill(), bad, fill({ trade_id: 'ETH-1003' })]);
    const result = await importFills(path, journal, { skipInvalid: rejects });
    expect(result).toMatchObject({ fills: 2, appended: 2, rejected: 1 });
    const written = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(written).toEqual([
      {
        line: 2,
        errors: [{ field: 'amount', message: 'amount: got "0", expected a positive amount' }],
        text: bad,
      },
    ]);
  });
});

describe('splitCsvLine', () => {
  it('splits quoted and empty fields, and refuses broken quotes', () => {
    expect(splitCsvLine('a,"b,c","d""e",,')).toEqual(['a', 'b,c', 'd"e', '', '']);
    expect(() => splitCsvLine('a,"b')).toThrow(/not closed/);
    expect(() => splitCsvLine('a,b"c')).toThrow(/quote inside/);
  });
});
