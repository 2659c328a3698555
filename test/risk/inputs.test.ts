import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { readRiskBook, readRiskMarket, requireMarks } from '../../src/risk/inputs.js';
import { repoRoot } from '../cli/run-cli.js';

const SNAPSHOT = readFileSync(join(repoRoot, 'data/deribit/btc-options-2020-05-21.jsonl'), 'utf8');
const FUTURE =
  '{"instrument_name":"BTC-26JUN20","mark_price":9120.5,"index_price":9095.83,"timestamp":1590103200000}';

describe('risk inputs', () => {
  it('reads the shared snapshot with a future line; options keep their line numbers', async () => {
    const market = await readRiskMarket(`${FUTURE}\n${SNAPSHOT}`);
    expect(market.options.size).toBe(326);
    expect(market.futures.get('BTC-26JUN20')).toMatchObject({ markPrice: 9120.5, line: 1 });
    expect(market.options.get('BTC-22MAY20-9250-P')?.line).toBe(2);
    expect(market.index.get('BTC')).toBe(9095.83);
  });

  it('adds up a book, and names the line and field of bad input', async () => {
    const book = await readRiskBook(
      '{"instrument":"BTC-26JUN20-10000-C","amount":-25}\n\n{"instrument":"BTC-26JUN20-10000-C","amount":5}\n',
    );
    expect(book).toMatchObject([{ instrument: 'BTC-26JUN20-10000-C', amount: -20, line: 1 }]);
    await expect(readRiskBook('{"instrument":"BTC-NOPE","amount":1}')).rejects.toThrow(/line 1: instrument/);
    await expect(readRiskBook('{"instrument":"BTC-PERPETUAL","amount":"x"}')).rejects.toThrow(
      /line 1: amount/,
    );
    await expect(readRiskBook('{"instrument":')).rejects.toThrow(InputError);
    const market = await readRiskMarket(SNAPSHOT);
    const missing = await readRiskBook(
      '{"instrument":"BTC-22MAY20-9250-P","amount":1}\n{"instrument":"BTC-PERPETUAL","amount":100}',
    );
    expect(() => requireMarks(missing, market)).toThrow(/book line 2: instrument.*no mark/);
    await expect(
      readRiskMarket('{"instrument_name":"BTC-PERPETUAL","mark_price":-1,"index_price":1}'),
    ).rejects.toThrow(/line 1: mark_price/);
  });
});
