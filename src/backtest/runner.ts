/**
 * One backtest run of a scenario (`scenario.ts`): a seeded mid path, taker flow arriving at the
 * simulated exchange (`src/sim/exchange/`), and a market maker quoting with Avellaneda-Stoikov
 * (or the symmetric spread) through a latency model; every event in time order, the same seed
 * giving the same report to the last byte.
 *
 * The loop. Events are merged by time: at each step of `step_ms` the quoter reads the mid and
 * its inventory and sends a cancel-and-replace, which reaches the exchange after the outbound
 * latency; taker orders arrive at their own times, each an IOC limit order from the taker at
 * the mid (at its time) plus or minus its reach (the distance it trades through, Exponential(k)
 * so that a quote at distance d is reached at rate A e^{-k d}, `src/sim/generators/flow.ts`),
 * rounded to the tick; they trade only against the maker's resting quotes.
 *
 * Units. An inverse instrument: amounts in USD (lots of 10), prices in USD. The quoter counts
 * inventory in quote sizes and takes sigma in USD per square root of a second (the scenario's
 * annual sigma times s0 over sqrt(seconds per year)), time in seconds, k per USD. P&L: coin
 * P&L marked at the mid, `sum side x amount x (1/price - 1/mid) - fees`, and in USD that coin
 * P&L times the mid.
 */
import { InputError } from '../model/errors.js';
import { MS_PER_YEAR } from '../model/time.js';
import { Exchange } from '../sim/exchange/exchange.js';
import type { Fill } from '../sim/exchange/types.js';
import {
  informedFlow,
  lognormalSize,
  mergeFlows,
  takerFlow,
  type TakerOrder,
} from '../sim/generators/flow.js';
import { gbmPath, hestonPath, mertonPath, type SpotPath } from '../sim/generators/spot.js';
import { constantLatency, empiricalLatency, type LatencyModel } from '../sim/latency.js';
import { Rng } from '../sim/random.js';
import { inventoryQuotes, symmetricQuotes, optimalSpread } from '../strategy/avellaneda-stoikov.js';
import { fillRatio, markouts, maxDrawdown, sharpeRatio, spreadCaptured, type ReportFill } from './metrics.js';
import type { Scenario } from './scenario.js';

const MAKER = 'mm';
const TAKER = 'taker';
const LOT_USD = 10;
const TICK_USD = 0.5;
const MARKOUT_HORIZONS_MS = [1000, 10_000, 60_000];

/** The report of one run: figures, then the paths for charts. */
export interface BacktestReport {
  scenario: string;
  seed: number;
  instrument: string;
  strategy: string;
  steps: number;
  taker_orders: number;
  fills: number;
  volume_usd: number;
  pnl_coin: number;
  pnl_usd: number;
  fees_coin: number;
  sharpe: number;
  max_drawdown_usd: number;
  fill_ratio: number;
  /** Edge against the mid at the fill, volume-weighted: in price (USD per coin) and in bps of the mid. */
  spread_captured: { price: number; bps: number };
  /** The same against the mid 1 s, 10 s and 60 s later (fills whose horizon ends in the run). */
  markouts: { horizon_ms: number; price: number; bps: number; volume_usd: number }[];
  inventory_usd: { final: number; mean_abs: number; max_abs: number };
  /** The quoter does not hedge: no hedge trades, no hedging cost. */
  hedges: number;
  hedging_cost_usd: number;
  paths: { times_ms: number[]; mid: number[]; inventory_usd: number[]; pnl_usd: number[] };
}

function spotPath(s: Scenario, rng: Rng, steps: number): SpotPath {
  const dt = s.stepMs / MS_PER_YEAR;
  const common = { rng: rng.stream('spot'), s0: s.market.s0, mu: s.market.mu, dt, steps, startMs: s.startMs };
  const m = s.market;
  if (m.model === 'gbm') return gbmPath({ ...common, sigma: m.sigma });
  if (m.model === 'merton')
    return mertonPath({
      ...common,
      sigma: m.sigma,
      lambda: m.lambda,
      jumpMean: m.jumpMean,
      jumpStd: m.jumpStd,
    });
  return hestonPath({ ...common, v0: m.v0, kappa: m.kappa, theta: m.theta, xi: m.xi, rho: m.rho });
}

function latencyOf(s: Scenario, rng: Rng): LatencyModel {
  if (s.latency.model === 'constant') return constantLatency(s.latency.ms);
  const samples = s.latency.samplesMs;
  return empiricalLatency({ outbound: samples, inbound: samples, rng: rng.stream('latency') });
}

const roundLots = (usd: number): number => Math.max(LOT_USD, Math.round(usd / LOT_USD) * LOT_USD);

/** Runs `scenario` with `seed` (default the scenario's). */
export function runBacktest(scenario: Scenario, seed = scenario.seed): BacktestReport {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError('seed', seed, 'an integer >= 0');
  const rng = new Rng(seed);
  const steps = Math.floor((scenario.durationS * 1000) / scenario.stepMs);
  const path = spotPath(scenario, rng, steps);
  const endMs = scenario.startMs + steps * scenario.stepMs;
  const f = scenario.flow;
  const size = lognormalSize(f.sizeUsd, f.sizeLogStd);
  const flows: TakerOrder[][] = [
    takerFlow({
      rng: rng.stream('flow'),
      startMs: scenario.startMs,
      endMs,
      ratePerSecond: f.ratePerSecond,
      k: f.k,
      size,
    }),
  ];
  if (f.informedRatePerSecond > 0) {
    flows.push(
      informedFlow({
        rng: rng.stream('informed'),
        mid: path,
        ratePerSecond: f.informedRatePerSecond,
        informedShare: f.informedShare,
        horizonMs: f.informedHorizonMs,
        startMs: scenario.startMs,
        endMs,
        k: f.k,
        size,
      }),
    );
  }
  const takers = mergeFlows(...flows);
  const latency = latencyOf(scenario, rng);
  const exchange = new Exchange({ rejectPostOnlyByDefault: true });

  const st = scenario.strategy;
  const sigmaUsd =
    ((scenario.market.model === 'heston' ? Math.sqrt(scenario.market.v0) : scenario.market.sigma) *
      scenario.market.s0) /
    Math.sqrt(MS_PER_YEAR / 1000);
  const horizonS = scenario.durationS;
  // The symmetric quoter uses the inventory quoter's spread averaged over the run (the paper's convention).
  let symmetricSpread = 0;
  for (let i = 0; i < steps; i++) {
    symmetricSpread += optimalSpread({
      gamma: st.gamma,
      sigma: sigmaUsd,
      k: st.k,
      timeLeft: horizonS - (i * scenario.stepMs) / 1000,
    });
  }
  symmetricSpread /= Math.max(steps, 1);

  const quoteSize = roundLots(st.quoteSizeUsd);
  let position = 0; // USD, signed
  let coinPnlFromFills = 0; // sum side x amount / price (coin) ...
  let feesCoin = 0;
  let signedUsd = 0;
  const ownFills: ReportFill[] = [];
  let volume = 0;
  let quoted = 0;
  let live: string[] = [];
  const onFill = (fill: Fill): void => {
    if (fill.makerParticipant !== MAKER) return;
    const buy = fill.takerSide === 'sell';
    const signed = buy ? fill.amount : -fill.amount;
    position += signed;
    signedUsd += signed;
    coinPnlFromFills += signed / fill.price;
    feesCoin += fill.makerFee;
    volume += fill.amount;
    ownFills.push({
      timestampMs: fill.timestampMs,
      side: buy ? 'buy' : 'sell',
      price: fill.price,
      amount: fill.amount,
    });
  };

  const times: number[] = [];
  const mids: number[] = [];
  const inventory: number[] = [];
  const pnlUsd: number[] = [];
  const mark = (mid: number): number => coinPnlFromFills - signedUsd / mid - feesCoin;

  // Requotes land after the outbound latency: a queue of (arrival time, step) in time order.
  const pending: { atMs: number; step: number }[] = [];
  let nextTaker = 0;
  const midAtTime = (t: number): number => {
    const i = Math.min(steps, Math.max(0, Math.floor((t - scenario.startMs) / scenario.stepMs)));
    return path.prices[i] as number;
  };
  const fireTakersUntil = (t: number): void => {
    while (nextTaker < takers.length && (takers[nextTaker] as TakerOrder).timestampMs <= t) {
      const o = takers[nextTaker] as TakerOrder;
      nextTaker += 1;
      const mid = midAtTime(o.timestampMs);
      const raw = o.side === 'buy' ? mid + o.reach : mid - o.reach;
      const price =
        o.side === 'buy' ? Math.floor(raw / TICK_USD) * TICK_USD : Math.ceil(raw / TICK_USD) * TICK_USD;
      if (!(price > 0)) continue;
      const result = exchange.submit(
        {
          participant: TAKER,
          instrument: scenario.instrument,
          side: o.side,
          amount: roundLots(o.size),
          price,
          timeInForce: 'immediate_or_cancel',
        },
        o.timestampMs,
      );
      for (const fill of result.fills) onFill(fill);
    }
  };
  const requote = (step: number, atMs: number): void => {
    for (const id of live) exchange.cancel(id, MAKER, atMs);
    live = [];
    const mid = path.prices[step] as number;
    const q = position / quoteSize;
    const timeLeft = Math.max(horizonS - (step * scenario.stepMs) / 1000, 0);
    const quotes =
      st.kind === 'avellaneda-stoikov'
        ? inventoryQuotes({ mid, inventory: q, gamma: st.gamma, sigma: sigmaUsd, k: st.k, timeLeft })
        : symmetricQuotes({ mid, spread: symmetricSpread });
    const bid = Math.floor(quotes.bid / TICK_USD) * TICK_USD;
    const ask = Math.ceil(quotes.ask / TICK_USD) * TICK_USD;
    for (const [side, price] of [
      ['buy', bid],
      ['sell', ask],
    ] as const) {
      if (side === 'buy' && q >= st.maxInventory) continue;
      if (side === 'sell' && q <= -st.maxInventory) continue;
      if (!(price > 0)) continue;
      const r = exchange.submit(
        {
          participant: MAKER,
          instrument: scenario.instrument,
          side,
          amount: quoteSize,
          price,
          postOnly: true,
        },
        atMs,
      );
      if (r.order.state === 'open' || r.order.state === 'partially_filled') {
        live.push(r.order.orderId);
        quoted += quoteSize;
      }
      for (const fill of r.fills) onFill(fill);
    }
  };

  for (let step = 0; step <= steps; step++) {
    const t = scenario.startMs + step * scenario.stepMs;
    // Everything due before this step's time: takers and the requotes that arrive in between.
    while (pending.length > 0 && (pending[0] as { atMs: number }).atMs <= t) {
      const p = pending.shift() as { atMs: number; step: number };
      fireTakersUntil(p.atMs - 1e-9);
      requote(p.step, p.atMs);
    }
    fireTakersUntil(t);
    const mid = path.prices[step] as number;
    times.push(t);
    mids.push(mid);
    inventory.push(position);
    pnlUsd.push(mark(mid) * mid);
    if (step < steps) pending.push({ atMs: t + latency.outbound(), step });
  }

  const finalMid = path.prices[steps] as number;
  const pnlCoin = mark(finalMid);
  const midPath = { timesMs: times, mids };
  const captured = spreadCaptured(ownFills, midPath);
  const marks = markouts(ownFills, midPath, MARKOUT_HORIZONS_MS);
  let sumAbs = 0;
  let maxAbs = 0;
  for (const x of inventory) {
    sumAbs += Math.abs(x);
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  return {
    scenario: scenario.name,
    seed,
    instrument: scenario.instrument,
    strategy: st.kind,
    steps,
    taker_orders: takers.length,
    fills: ownFills.length,
    volume_usd: volume,
    pnl_coin: pnlCoin,
    pnl_usd: pnlCoin * finalMid,
    fees_coin: feesCoin,
    sharpe: steps >= 2 ? sharpeRatio(pnlUsd, MS_PER_YEAR / scenario.stepMs) : 0,
    max_drawdown_usd: maxDrawdown(pnlUsd).drawdown,
    fill_ratio: fillRatio(Math.min(volume, quoted), quoted),
    spread_captured: { price: captured.perUnit, bps: (captured.perUnit / scenario.market.s0) * 1e4 },
    markouts: marks.map((m) => ({
      horizon_ms: m.horizonMs,
      price: m.perUnit,
      bps: (m.perUnit / scenario.market.s0) * 1e4,
      volume_usd: m.volume,
    })),
    inventory_usd: { final: position, mean_abs: sumAbs / inventory.length, max_abs: maxAbs },
    hedges: 0,
    hedging_cost_usd: 0,
    paths: { times_ms: times, mid: mids, inventory_usd: inventory, pnl_usd: pnlUsd },
  };
}
