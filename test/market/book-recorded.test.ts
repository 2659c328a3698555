/**
 * The order book fed from recorded venue messages (the Deribit fixture built from the API
 * documentation's `book` notifications, `test/fixtures/deribit-ws/README.md`): in sequence it is
 * live; a lost, repeated or reordered message or a crossing change turns it stale, and the next
 * snapshot makes it live again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OrderBook, type StaleReason } from '../../src/market/book.js';
import { readDeribitJsonl } from '../../src/market/recorded/deribit-jsonl.js';
import { readTardisCsv } from '../../src/market/recorded/tardis.js';
import { repoRoot } from '../cli/run-cli.js';

const FIXTURES = join(repoRoot, 'test/fixtures/deribit-ws');
const LINES = readFileSync(join(FIXTURES, 'book-snapshot-changes.jsonl'), 'utf8').trim().split('\n');
const dir = mkdtempSync(join(tmpdir(), 'ballast-book-recorded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Feeds a file's events to one book; the status after each line's events and the stale reasons. */
async function feed(path: string): Promise<{ book: OrderBook; statuses: string[]; reasons: StaleReason[] }> {
  const reasons: StaleReason[] = [];
  const book = new OrderBook('BTC-PERPETUAL', { onStale: (e) => reasons.push(e.reason) });
  const statuses: string[] = [];
  for await (const event of readDeribitJsonl(path)) {
    if (event.type === 'book_snapshot') book.applySnapshot(event);
    else if (event.type === 'book_change') book.applyChange(event);
    statuses.push(book.status);
  }
  return { book, statuses, reasons };
}

function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('the book from recorded Deribit notifications', () => {
  it('in sequence: live, with the levels the messages leave', async () => {
    const { book, statuses, reasons } = await feed(join(FIXTURES, 'book-snapshot-changes.jsonl'));
    expect(statuses).toEqual(['live', 'live', 'live', 'live']);
    expect(reasons).toEqual([]);
    expect(book.lastChangeId).toBe(297220);
    expect(book.top(5)).toEqual({
      bids: [
        { price: 5042, amount: 60 },
        { price: 5041.5, amount: 2500 },
      ],
      asks: [
        { price: 5042.64, amount: 25 },
        { price: 5043.5, amount: 1200 },
      ],
    });
  });

  it('the gap fixture turns it stale', async () => {
    const { reasons, statuses } = await feed(join(FIXTURES, 'book-gap.jsonl'));
    expect(reasons).toEqual(['gap']);
    expect(statuses.at(-1)).toBe('stale');
  });

  const [snap, c1, c2, c3] = LINES as [string, string, string, string];
  it.each([
    ['gap (a lost message)', [snap, c1, c3], 'gap'],
    ['duplicate (a repeated message)', [snap, c1, c2, c2], 'duplicate'],
    ['out_of_order (two messages swapped)', [snap, c1, c3, c2], 'gap'],
    [
      'crossed (a bid at the best ask)',
      [snap, c1, c2.replace('["new",5042.0,10]', '["new",5042.64,10]')],
      'crossed',
    ],
  ])('%s: stale, then live again after a fresh snapshot', async (_what, lines, reason) => {
    const resubscribed = snap.replace('"change_id":297217', '"change_id":400000');
    const { reasons, statuses } = await feed(file('case.jsonl', [...lines, resubscribed]));
    expect(reasons).toEqual([reason]);
    expect(statuses.at(-2)).toBe('stale');
    expect(statuses.at(-1)).toBe('live');
  });

  it('an older change after the gap is told apart: out of order', async () => {
    // A fresh snapshot at 297220 (after c3), then c2 (297219) arrives late: older than the
    // book, out of order; c2 on a book at 297219 would be a duplicate.
    const at = (id: number): string => snap.replace('"change_id":297217', `"change_id":${id}`);
    expect((await feed(file('older.jsonl', [at(297220), c2]))).reasons).toEqual(['out_of_order']);
    const { reasons } = await feed(file('same.jsonl', [at(297219), c2]));
    expect(reasons).toEqual(['duplicate']);
  });
});

describe('the book from a recorded Tardis incremental_book_L2 file (no sequence numbers)', () => {
  it('stale before the first snapshot rows and on a crossing change; live after each snapshot', async () => {
    const path = join(
      repoRoot,
      'test/fixtures/tardis/deribit_incremental_book_L2_2020-09-01_BTC-PERPETUAL.csv',
    );
    const reasons: StaleReason[] = [];
    const book = new OrderBook('BTC-PERPETUAL', { onStale: (e) => reasons.push(e.reason) });
    const trail: string[] = [];
    for await (const event of readTardisCsv(path)) {
      if (event.type === 'book_snapshot') book.applySnapshot(event);
      else if (event.type === 'book_change') book.applyChange(event);
      trail.push(`${event.type}:${book.status}`);
    }
    // The file starts mid-stream (a change before any snapshot); its bid at 11657.5 meets the
    // resting ask at 11657.5 (a locked book, which the venue never shows); a second snapshot.
    expect(reasons).toEqual(['no_snapshot', 'crossed']);
    expect(trail.slice(0, 4)).toEqual([
      'book_change:stale',
      'book_snapshot:live',
      'book_change:live',
      'book_change:stale',
    ]);
    expect(trail[4]).toBe('book_snapshot:live');
    expect(book.status).toBe('live');
  });
});
