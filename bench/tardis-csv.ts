/**
 * Tardis CSV reading speed: a synthetic `incremental_book_L2` file of about 1,000,000 rows (and
 * its gzipped copy) in a temporary directory, read through `readTardisCsv` (one promise per event
 * as any `for await` consumer sees it) and `readTardisCsvBatches` (one array per 64 KB chunk),
 * beside the cost of only reading the same bytes (a plain stream read, gunzip only) and of only
 * cutting them into lines. Each figure is the fastest of `samples` passes.
 *
 * Targets: 1,000,000 rows/s plain, 500,000 rows/s gzipped.
 */
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import {
  CSV_CHUNK_BYTES,
  CsvLineSplitter,
  openCsvByteStream,
  readTardisCsv,
  readTardisCsvBatches,
  TARDIS_HEADERS,
} from '../src/market/recorded/index.js';

export interface TardisCsvBenchmark {
  rows: number;
  events: number;
  plainBytes: number;
  gzipBytes: number;
  /** Rows per second through `readTardisCsv` (for await over events). */
  plainRowsPerSecond: number;
  gzipRowsPerSecond: number;
  /** Rows per second through `readTardisCsvBatches` (for await over chunks). */
  plainBatchRowsPerSecond: number;
  gzipBatchRowsPerSecond: number;
  /** Only reading: the plain file's stream read, the gzipped file's read + gunzip (ms). */
  readOnlyPlainMs: number;
  gunzipOnlyMs: number;
  /** Reading plus decoding and cutting into lines, no field parsing (ms). */
  splitOnlyPlainMs: number;
  /** The figures above as ms, for the table. */
  plainMs: number;
  gzipMs: number;
  plainBatchMs: number;
  gzipBatchMs: number;
}

/** Writes a synthetic Deribit-like incremental_book_L2 day: a 400-level snapshot, then changes in messages of 1-6 rows. */
function writeSyntheticL2(path: string, rows: number): void {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const prefix = 'deribit,BTC-PERPETUAL,';
  const parts: string[] = [TARDIS_HEADERS.incremental_book_L2 + '\n'];
  let chunk = '';
  let ts = 1598918400000000;
  let written = 0;
  const mid = 11650;
  // The snapshot.
  for (let i = 0; i < 200 && written < rows; i++, written += 2) {
    const lts = ts + 2871;
    chunk += `${prefix}${ts},${lts},true,bid,${mid - 0.5 * (i + 1)},${10 * Math.floor(1 + rand() * 5000)}\n`;
    chunk += `${prefix}${ts},${lts},true,ask,${mid + 0.5 * i},${10 * Math.floor(1 + rand() * 5000)}\n`;
  }
  while (written < rows) {
    ts += 1000 + Math.floor(rand() * 120000);
    const lts = ts + 1000 + Math.floor(rand() * 5000);
    const n = Math.min(rows - written, 1 + Math.floor(rand() * 6));
    for (let k = 0; k < n; k++) {
      const bid = rand() < 0.5;
      const off = 0.5 * Math.floor(rand() * 200);
      const price = bid ? mid - 0.5 - off : mid + off;
      const amount = rand() < 0.3 ? 0 : 10 * Math.floor(1 + rand() * 5000);
      chunk += `${prefix}${ts},${lts},false,${bid ? 'bid' : 'ask'},${price},${amount}\n`;
    }
    written += n;
    if (chunk.length > 1 << 20) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  writeFileSync(path, parts.join(''));
}

async function best(samples: number, run: () => Promise<void>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await run();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

/** Runs the benchmark; `rows` defaults to 1,000,000, `samples` to 3. */
export async function tardisCsvBenchmark(
  options: { rows?: number; samples?: number } = {},
): Promise<TardisCsvBenchmark> {
  const rows = options.rows ?? 1_000_000;
  const samples = options.samples ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'ballast-tardis-bench-'));
  try {
    const plain = join(dir, 'deribit_incremental_book_L2_2020-09-01_BTC-PERPETUAL.csv');
    const gz = `${plain}.gz`;
    writeSyntheticL2(plain, rows);
    writeFileSync(gz, gzipSync(readFileSync(plain), { level: 6 }));

    let events = 0;
    const readOnlyPlainMs = await best(samples, async () => {
      for await (const _ of createReadStream(plain, { highWaterMark: CSV_CHUNK_BYTES })) void _;
    });
    const gunzipOnlyMs = await best(samples, async () => {
      const { stream } = await openCsvByteStream(gz);
      for await (const _ of stream) void _;
    });
    const splitOnlyPlainMs = await best(samples, async () => {
      const splitter = new CsvLineSplitter({ line: () => undefined, quotedLine: () => undefined });
      for await (const chunk of createReadStream(plain, { highWaterMark: CSV_CHUNK_BYTES })) {
        splitter.push(chunk as Buffer);
      }
      splitter.end();
    });
    const through = (path: string) => async (): Promise<void> => {
      let n = 0;
      for await (const _ of readTardisCsv(path)) n++;
      events = n;
    };
    const batched = (path: string) => async (): Promise<void> => {
      let n = 0;
      for await (const batch of readTardisCsvBatches(path)) n += batch.length;
      events = n;
    };
    const plainMs = await best(samples, through(plain));
    const gzipMs = await best(samples, through(gz));
    const plainBatchMs = await best(samples, batched(plain));
    const gzipBatchMs = await best(samples, batched(gz));
    const perSecond = (ms: number): number => rows / (ms / 1000);
    return {
      rows,
      events,
      plainBytes: statSync(plain).size,
      gzipBytes: statSync(gz).size,
      plainRowsPerSecond: perSecond(plainMs),
      gzipRowsPerSecond: perSecond(gzipMs),
      plainBatchRowsPerSecond: perSecond(plainBatchMs),
      gzipBatchRowsPerSecond: perSecond(gzipBatchMs),
      readOnlyPlainMs,
      gunzipOnlyMs,
      splitOnlyPlainMs,
      plainMs,
      gzipMs,
      plainBatchMs,
      gzipBatchMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
