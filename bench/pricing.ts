/**
 * Pricing benchmark: ns per option for the column Black-76 (price plus all greeks), the price
 * alone and the implied volatility, the ratio implied-vol / price, and the npm package
 * `implied-volatility` on the same inputs with its speed and its share of answers inside the
 * tolerance 1e-12 vol + 8 eps price / vega (the reference's `iv_testable` cases, whose price
 * determines a vol).
 *
 * Two input sets: the real Deribit chain of 2020-05-21 (326 options, repeated to fill the
 * columns; rate 0 as the venue uses) and the accuracy reference (expiries 1 minute to 5 years,
 * vols 1% to 500%, strikes to 8 standard deviations, rates -1% to 15%).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import impliedVolatility from 'implied-volatility';
import {
  allocateGreekColumns,
  black76Columns,
  black76PriceColumns,
  type OptionColumns,
} from '../src/pricing/black76.js';
import { impliedVolColumns, type IvColumns } from '../src/pricing/implied-vol.js';

const EPS = 2.220446049250313e-16;
const root = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));

interface Row {
  isCall: boolean;
  forward: number;
  strike: number;
  expiryYears: number;
  vol: number;
  rate: number;
  /** Reference price and vega (for the tolerance), when known. */
  price?: number;
  vega?: number;
}

function chainRows(): Row[] {
  const lines = readFileSync(root('data/deribit/btc-options-2020-05-21.jsonl'), 'utf8').split('\n');
  const rows: Row[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as Record<string, number | string>;
    rows.push({
      isCall: o.option_type === 'call',
      forward: Number(o.underlying_price),
      strike: Number(o.strike),
      expiryYears: (Number(o.expiration_timestamp) - Number(o.timestamp)) / (365 * 86_400_000),
      vol: Number(o.mark_iv) / 100,
      rate: 0,
    });
  }
  return rows;
}

function referenceRows(): Row[] {
  const lines = readFileSync(root('test/fixtures/pricing/black76-reference.jsonl'), 'utf8').split('\n');
  const rows: Row[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o.iv_testable !== true) continue;
    rows.push({
      isCall: o.kind === 'call',
      forward: Number(o.forward),
      strike: Number(o.strike),
      expiryYears: Number(o.expiry_years),
      vol: Number(o.vol),
      rate: Number(o.rate),
      price: Number(o.iv_price),
      vega: Number(o.vega),
    });
  }
  return rows;
}

function columns(rows: Row[], size: number): OptionColumns {
  const c: OptionColumns = {
    isCall: new Uint8Array(size),
    forward: new Float64Array(size),
    strike: new Float64Array(size),
    expiryYears: new Float64Array(size),
    vol: new Float64Array(size),
    rate: new Float64Array(size),
  };
  for (let i = 0; i < size; i++) {
    const r = rows[i % rows.length]!;
    c.isCall[i] = r.isCall ? 1 : 0;
    c.forward[i] = r.forward;
    c.strike[i] = r.strike;
    c.expiryYears[i] = r.expiryYears;
    c.vol[i] = r.vol;
    c.rate[i] = r.rate;
  }
  return c;
}

/** Inside the tolerance 1e-12 vol + 8 eps price / vega. */
function withinTolerance(got: number, r: Row): boolean {
  return Math.abs(got - r.vol) <= 1e-12 * r.vol + (8 * EPS * r.price!) / r.vega!;
}

export interface PricingFigures {
  set: string;
  options: number;
  greeksNs: number;
  priceNs: number;
  ivNs: number;
  ratio: number;
  /** Medians of the samples: greeks, price, implied vol. */
  medianNs: [number, number, number];
  peerNs?: number;
  peerShare?: number;
  oursShare?: number;
  peerSample?: number;
}

async function measure(set: string, rows: Row[], withPeer: boolean): Promise<PricingFigures> {
  const size = Math.max(rows.length, 8192);
  const input = columns(rows, size);
  const out = allocateGreekColumns(size);
  const prices = new Float64Array(size);
  black76PriceColumns(input, prices);
  const ivInput: IvColumns = {
    isCall: input.isCall,
    price: prices,
    forward: input.forward,
    strike: input.strike,
    expiryYears: input.expiryYears,
    rate: input.rate,
  };
  if (rows[0]?.price !== undefined) for (let i = 0; i < size; i++) prices[i] = rows[i % rows.length]!.price!;
  const vols = new Float64Array(size);
  const priceOut = new Float64Array(size);
  const bench = new Bench({ time: 1500, warmupTime: 300 });
  bench
    .add('greeks', () => black76Columns(input, out))
    .add('price', () => black76PriceColumns(input, priceOut))
    .add('iv', () => impliedVolColumns(ivInput, vols));
  await bench.run();
  // The fastest sample: on a shared 2-core VM the median moves by up to 50% between runs with
  // other tenants' load, while the minimum (one pass over all the columns, thousands of
  // options) is repeatable to a few percent. The median is printed beside it.
  const perOption = (name: string, which: 'min' | 'p50' = 'min'): number => {
    const task = bench.getTask(name);
    const latency = task?.result && 'latency' in task.result ? task.result.latency : undefined;
    if (!latency) throw new Error(`benchmark task ${name} did not run`);
    return (latency[which] * 1e6) / size;
  };
  const figures: PricingFigures = {
    set,
    options: size,
    greeksNs: perOption('greeks'),
    priceNs: perOption('price'),
    ivNs: perOption('iv'),
    ratio: 0,
    medianNs: [perOption('greeks', 'p50'), perOption('price', 'p50'), perOption('iv', 'p50')],
  };
  figures.ratio = figures.ivNs / figures.priceNs;
  if (withPeer) {
    impliedVolColumns(ivInput, vols);
    let ours = 0;
    for (let i = 0; i < rows.length; i++) if (withinTolerance(vols[i]!, rows[i]!)) ours++;
    figures.oursShare = ours / rows.length;
    // The peer bisects up to 100 times with a 100-term series per price: a sample keeps it short.
    const sample = Math.min(rows.length, 1500);
    let inside = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < sample; i++) {
      const r = rows[i]!;
      const spot = r.forward * Math.exp(-r.rate * r.expiryYears); // Black-76 as Black-Scholes on S = F e^{-rT}
      const v = impliedVolatility.getImpliedVolatility(
        r.price!,
        spot,
        r.strike,
        r.expiryYears,
        r.rate,
        r.isCall ? 'call' : 'put',
      );
      if (withinTolerance(v, r)) inside++;
    }
    figures.peerNs = Number(process.hrtime.bigint() - t0) / sample;
    figures.peerShare = inside / sample;
    figures.peerSample = sample;
  }
  return figures;
}

export async function pricingBenchmark(): Promise<PricingFigures[]> {
  return [
    await measure('deribit chain 2020-05-21', chainRows(), false),
    await measure('reference cases', referenceRows(), true),
  ];
}
