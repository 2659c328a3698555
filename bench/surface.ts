/**
 * Surface benchmark: calibrating the whole 2020-05-21 chain (326 options, 7 expiries) from its
 * quotes (implied vols already computed), a refit from the previous surface, reading the chain
 * (parsing and the implied vols of mark, bid and ask), and re-marking every option from the
 * fitted surface (its vol, then Black-76 price and greeks in columns).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

import { allocateGreekColumns, black76Columns, type OptionColumns } from '../src/pricing/black76.js';
import { fitChain } from '../src/vol/chain-surface.js';
import { readChain } from '../src/vol/chain.js';

export interface SurfaceFigures {
  options: number;
  expiries: number;
  readMs: number;
  calibrateMs: number;
  refitMs: number;
  remarkMs: number;
}

export async function surfaceBenchmark(): Promise<SurfaceFigures> {
  const text = readFileSync(
    fileURLToPath(new URL('../data/deribit/btc-options-2020-05-21.jsonl', import.meta.url)),
    'utf8',
  );
  const chain = await readChain(text);
  const quotes = chain.quotes;
  const fit = fitChain(quotes);
  const surface = fit.surface;
  const n = quotes.length;
  const columns: OptionColumns = {
    isCall: Uint8Array.from(quotes, (q) => (q.kind === 'call' ? 1 : 0)),
    forward: Float64Array.from(quotes, (q) => surface.forward(q.expiryMs)),
    strike: Float64Array.from(quotes, (q) => q.strike),
    expiryYears: Float64Array.from(quotes, (q) => surface.yearsTo(q.expiryMs)),
    vol: new Float64Array(n),
    rate: new Float64Array(n),
  };
  const out = allocateGreekColumns(n);
  const remark = (): void => {
    for (let i = 0; i < n; i++) {
      columns.vol[i] = surface.volAt(
        Math.log(columns.strike[i]! / columns.forward[i]!),
        columns.expiryYears[i]!,
      );
    }
    black76Columns(columns, out);
  };
  const bench = new Bench({ time: 2000, warmupTime: 500 });
  bench
    .add('read', async () => {
      await readChain(text);
    })
    .add('calibrate', () => {
      fitChain(quotes);
    })
    .add('refit', () => {
      fitChain(quotes, { previous: surface });
    })
    .add('remark', remark);
  await bench.run();
  const ms = (name: string): number => {
    const task = bench.getTask(name);
    const latency = task?.result && 'latency' in task.result ? task.result.latency : undefined;
    if (!latency) throw new Error(`benchmark task ${name} did not run`);
    return latency.p50;
  };
  return {
    options: n,
    expiries: surface.slices.length,
    readMs: ms('read'),
    calibrateMs: ms('calibrate'),
    refitMs: ms('refit'),
    remarkMs: ms('remark'),
  };
}
