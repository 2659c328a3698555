/**
 * The Deribit JSON Lines benchmark (issue 5): book change notifications parsed per second by
 * `readDeribitJsonl`, end to end from the raw WebSocket lines of a file, beside the cost of only
 * reading the same file's lines (the same chunked read and `\n` split, no JSON). A synthetic
 * file of `lines` `book.BTC-PERPETUAL.100ms` notifications (one snapshot of 200 levels a side,
 * then changes of 1 to 3 levels within 20 ticks of the top, with the actions the book's state
 * calls for, consistent `change_id` / `prev_change_id`) in the temp directory. Timings never
 * gate a test.
 */
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDeribitJsonl, readDeribitJsonlBatches } from '../src/market/recorded/deribit-jsonl.js';
import { mulberry32 } from '../scripts/generate-fills.js';

/** The figures of one run (the best of `samples` passes each). */
export interface DeribitJsonlFigures {
  lines: number;
  bytes: number;
  /** Lines read and split, not parsed, per second. */
  readLinesPerSecond: number;
  /** Lines parsed to events through `readDeribitJsonl` (one `for await` step per event). */
  parseLinesPerSecond: number;
  /** The same through `readDeribitJsonlBatches` (one step per chunk of the file). */
  batchLinesPerSecond: number;
  /** Events read (one per line). */
  events: number;
  /** Level changes in the file's change events. */
  levelChanges: number;
}

/** `lines` book notification lines of BTC-PERPETUAL: a snapshot, then small changes near the top. */
export function syntheticBookLines(lines: number, seed = 5): { text: string; levelChanges: number } {
  const rnd = mulberry32(seed);
  const tick = 0.5;
  const mid = 60_000;
  const bids = new Map<number, number>();
  const asks = new Map<number, number>();
  const amount = (): number => 10 * (1 + Math.floor(rnd() * rnd() * 5000));
  for (let i = 0; i < 200; i++) {
    bids.set(mid - tick * (i + 1), amount());
    asks.set(mid + tick * i, amount());
  }
  let changeId = 71_000_000_000;
  let ts = 1_700_000_000_000;
  const out: string[] = [];
  const snapshotBids = [...bids].map(([p, a]) => `["new",${p},${a}]`).join(',');
  const snapshotAsks = [...asks].map(([p, a]) => `["new",${p},${a}]`).join(',');
  out.push(
    `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"snapshot","timestamp":${ts},"instrument_name":"BTC-PERPETUAL","change_id":${changeId},"bids":[${snapshotBids}],"asks":[${snapshotAsks}]}}}`,
  );
  let levelChanges = 0;
  for (let n = 1; n < lines; n++) {
    const prev = changeId;
    changeId += 1 + Math.floor(rnd() * 40);
    ts += 1 + Math.floor(rnd() * 10);
    const sides: [string[], string[]] = [[], []];
    const count = 1 + Math.floor(rnd() * 3);
    for (let k = 0; k < count; k++) {
      const isBid = rnd() < 0.5;
      const book = isBid ? bids : asks;
      const distance = Math.floor(rnd() * rnd() * 20);
      const price = isBid ? mid - tick * (distance + 1) : mid + tick * distance;
      const resting = book.get(price);
      let entry: string;
      if (resting === undefined) {
        const a = amount();
        book.set(price, a);
        entry = `["new",${price},${a}]`;
      } else if (rnd() < 0.25 && book.size > 50) {
        book.delete(price);
        entry = `["delete",${price},0]`;
      } else {
        const a = amount();
        book.set(price, a);
        entry = `["change",${price},${a}]`;
      }
      sides[isBid ? 0 : 1].push(entry);
      levelChanges += 1;
    }
    out.push(
      `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"change","timestamp":${ts},"prev_change_id":${prev},"instrument_name":"BTC-PERPETUAL","change_id":${changeId},"bids":[${sides[0].join(',')}],"asks":[${sides[1].join(',')}]}}}`,
    );
  }
  return { text: out.join('\n') + '\n', levelChanges };
}

/** Reads the file's lines as the reader does (1 MiB UTF-8 chunks, split at `\n`), no parsing. */
async function readLinesOnly(path: string): Promise<number> {
  let count = 0;
  let rest = '';
  let chars = 0;
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
      const line = text.slice(start, i);
      chars += line.length; // keep the slice observable
      count += 1;
      start = i + 1;
    }
    rest = text.slice(start);
  }
  if (rest !== '') count += 1;
  return chars > 0 ? count : 0;
}

async function best(samples: number, run: () => Promise<number>): Promise<{ ms: number; result: number }> {
  let ms = Infinity;
  let result = 0;
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    result = await run();
    ms = Math.min(ms, performance.now() - start);
  }
  return { ms, result };
}

/** Runs the benchmark on `lines` notification lines (default 500,000). */
export async function deribitJsonlBenchmark(lines = 500_000, samples = 3): Promise<DeribitJsonlFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-deribit-'));
  try {
    const path = join(dir, 'book.jsonl');
    const { text, levelChanges } = syntheticBookLines(lines);
    writeFileSync(path, text);
    const bytes = statSync(path).size;
    const read = await best(samples, () => readLinesOnly(path));
    const parse = await best(samples, async () => {
      let events = 0;
      for await (const _event of readDeribitJsonl(path)) events += 1;
      return events;
    });
    const batches = await best(samples, async () => {
      let events = 0;
      for await (const batch of readDeribitJsonlBatches(path)) events += batch.length;
      return events;
    });
    if (read.result !== lines || parse.result !== lines || batches.result !== lines) {
      throw new Error(
        `expected ${lines} lines and events, got ${read.result}, ${parse.result}, ${batches.result}`,
      );
    }
    return {
      lines,
      bytes,
      readLinesPerSecond: lines / (read.ms / 1000),
      parseLinesPerSecond: lines / (parse.ms / 1000),
      batchLinesPerSecond: lines / (batches.ms / 1000),
      events: parse.result,
      levelChanges,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
