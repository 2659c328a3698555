import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { forEachFillLine, readFillLines, type FillLine } from '../../../src/inventory/import/read-fills.js';

const dir = mkdtempSync(join(tmpdir(), 'ballast-read-fills-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD =
  '{"venue":"deribit","trade_id":"T1","trade_seq":1,"order_id":"o","instrument":"BTC-PERPETUAL","side":"buy","amount":"10","price":"60000","fee":"0","fee_currency":"BTC","liquidity":"maker","timestamp":1767225600000}';

describe('forEachFillLine', () => {
  test('gives the lines, numbers and results readline gives, for any line ends and chunk size', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom(GOOD, '', '  ', 'not json', '{"venue":1}', 'é{"x":"\u00e9"}'),
            fc.constantFrom('\n', '\r\n', '\r'),
          ),
          { maxLength: 12 },
        ),
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        async (lines, lastEnd, chunkBytes) => {
          const text = lines
            .map(([line, end], i) => line + (i < lines.length - 1 || lastEnd ? end : ''))
            .join('');
          const path = join(dir, `f${run++}.jsonl`);
          writeFileSync(path, text);
          const expected: FillLine[] = [];
          const input = createReadStream(path, { encoding: 'utf8' });
          for await (const line of readFillLines(createInterface({ input, crlfDelay: Infinity }), 'jsonl'))
            expected.push(line);
          const got: FillLine[] = [];
          await forEachFillLine(path, 'jsonl', (line) => void got.push(line), chunkBytes);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
