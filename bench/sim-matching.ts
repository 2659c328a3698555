/**
 * Matching benchmark of the simulated exchange (issue 7): operations per second through
 * `Exchange` on one instrument (BTC-PERPETUAL, tick 0.5, lot 10 USD), from a seeded stream of
 * limit orders near the touch (about one in eight marketable by a tick or two), cancels of
 * resting orders and market orders, among 20 participants; beside the cost of only reading the
 * same operations. The stream is generated before timing; the figures are the fastest of
 * `samples` runs, each on a fresh exchange.
 */
import { mulberry32 } from '../scripts/generate-fills.js';
import { Exchange } from '../src/sim/exchange/exchange.js';
import type { OrderRequest } from '../src/sim/exchange/types.js';

const INSTRUMENT = 'BTC-PERPETUAL';
const TICK = 0.5;
const T0 = Date.UTC(2026, 0, 5);

/** One operation of the stream. */
type Op =
  | { kind: 'limit'; request: OrderRequest }
  | { kind: 'market'; request: OrderRequest }
  | { kind: 'cancel'; pick: number };

/** What `matchingBenchmark` reports. */
export interface MatchingFigures {
  /** Operations in the stream (limit + cancel + market). */
  operations: number;
  limitOrders: number;
  cancels: number;
  marketOrders: number;
  /** Trades printed over one run. */
  fills: number;
  /** Orders resting at the end of a run. */
  restingAtEnd: number;
  /** Fastest run, ms. */
  bestMs: number;
  /** Operations per second through matching (fastest run). */
  opsPerSecond: number;
  /** Fills per second (fastest run). */
  fillsPerSecond: number;
  /** Operations per second of only reading the stream (the loop without the exchange). */
  readOnlyOpsPerSecond: number;
}

/** A seeded stream of `count` operations. */
export function matchingStream(count: number, seed = 11): Op[] {
  const random = mulberry32(seed);
  const ops: Op[] = [];
  let midTicks = 200_000; // 100,000 USD
  for (let i = 0; i < count; i++) {
    if (random() < 0.05) midTicks += random() < 0.5 ? -1 : 1;
    const participant = `p${Math.floor(random() * 20)}`;
    const side = random() < 0.5 ? 'buy' : 'sell';
    const amount = 10 * (1 + Math.floor(random() * 20));
    const u = random();
    if (u < 0.55) {
      // Near the touch: 1..10 ticks behind the mid on its own side, or 1..2 ticks through it.
      const through = random() < 0.125;
      const distance = through ? -(1 + Math.floor(random() * 2)) : 1 + Math.floor(random() * 10);
      const priceTicks = side === 'buy' ? midTicks - distance : midTicks + distance;
      ops.push({
        kind: 'limit',
        request: { participant, instrument: INSTRUMENT, side, amount, price: priceTicks * TICK },
      });
    } else if (u < 0.95) {
      ops.push({ kind: 'cancel', pick: random() });
    } else {
      ops.push({
        kind: 'market',
        request: { participant, instrument: INSTRUMENT, side, amount, type: 'market' },
      });
    }
  }
  return ops;
}

function runOnce(ops: Op[]): { fills: number; resting: number } {
  const exchange = new Exchange();
  const live: { id: string; participant: string }[] = [];
  let fills = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Op;
    const at = T0 + i;
    if (op.kind === 'cancel') {
      if (live.length === 0) continue;
      const index = Math.floor(op.pick * live.length);
      const target = live[index] as { id: string; participant: string };
      live[index] = live[live.length - 1] as { id: string; participant: string };
      live.pop();
      exchange.cancel(target.id, target.participant, at); // may be filled already: order_not_found
      continue;
    }
    const result = exchange.submit(op.request, at);
    fills += result.fills.length;
    const state = result.order.state;
    if (state === 'open' || state === 'partially_filled')
      live.push({ id: result.order.orderId, participant: op.request.participant });
  }
  return { fills, resting: exchange.openOrders().length };
}

/** Operations per second through the simulated exchange's matching. */
export function matchingBenchmark(count = 300_000, samples = 5): MatchingFigures {
  const ops = matchingStream(count);
  let bestMs = Number.POSITIVE_INFINITY;
  let outcome = { fills: 0, resting: 0 };
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    outcome = runOnce(ops);
    bestMs = Math.min(bestMs, performance.now() - start);
  }
  let readMs = Number.POSITIVE_INFINITY;
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    let n = 0;
    for (const op of ops) n += op.kind === 'cancel' ? op.pick : op.request.amount;
    readMs = Math.min(readMs, performance.now() - start);
    if (n < 0) throw new Error('unreachable');
  }
  return {
    operations: ops.length,
    limitOrders: ops.filter((o) => o.kind === 'limit').length,
    cancels: ops.filter((o) => o.kind === 'cancel').length,
    marketOrders: ops.filter((o) => o.kind === 'market').length,
    fills: outcome.fills,
    restingAtEnd: outcome.resting,
    bestMs,
    opsPerSecond: (ops.length / bestMs) * 1000,
    fillsPerSecond: (outcome.fills / bestMs) * 1000,
    readOnlyOpsPerSecond: (ops.length / readMs) * 1000,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(matchingBenchmark());
