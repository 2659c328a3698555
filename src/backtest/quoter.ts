/**
 * What both backtest runners (generated and recorded markets) share: the instrument's lot and
 * tick, the latency model a scenario names, and the market maker's quoter: Avellaneda-Stoikov
 * quotes (or the symmetric spread, the inventory quoter's spread averaged over the run, as in
 * the paper's study) rounded outward to the tick, with the inventory cap per side.
 */
import { constantLatency, empiricalLatency, type LatencyModel } from '../sim/latency.js';
import type { Rng } from '../sim/random.js';
import { inventoryQuotes, optimalSpread, symmetricQuotes } from '../strategy/avellaneda-stoikov.js';
import type { Scenario, StrategySpec } from './scenario.js';

/** Inverse perpetuals and futures: amounts in lots of 10 USD, prices on a 0.5 USD tick. */
export const LOT_USD = 10;
export const TICK_USD = 0.5;

/** A USD amount in whole lots, at least one. */
export const roundLots = (usd: number): number => Math.max(LOT_USD, Math.round(usd / LOT_USD) * LOT_USD);

/** The scenario's latency model (an empirical one draws from the `latency` stream of `rng`). */
export function latencyOf(s: Scenario, rng: Rng): LatencyModel {
  if (s.latency.model === 'constant') return constantLatency(s.latency.ms);
  const samples = s.latency.samplesMs;
  return empiricalLatency({ outbound: samples, inbound: samples, rng: rng.stream('latency') });
}

/** One step's quotes: prices on the tick, and whether each side may be quoted. */
export interface StepQuotes {
  bid: number;
  ask: number;
  /** Inventory in quote sizes. */
  inventory: number;
  quoteBid: boolean;
  quoteAsk: boolean;
}

/** The quoter of a run: `steps` steps of `stepMs` over a horizon of `horizonS` seconds. */
export class Quoter {
  readonly quoteSize: number;
  private readonly symmetricSpread: number;

  constructor(
    private readonly strategy: StrategySpec,
    /** The mid's volatility, USD per square root of a second. */
    private readonly sigmaUsd: number,
    private readonly horizonS: number,
    steps: number,
    private readonly stepMs: number,
  ) {
    this.quoteSize = roundLots(strategy.quoteSizeUsd);
    let sum = 0;
    for (let i = 0; i < steps; i++) {
      sum += optimalSpread({
        gamma: strategy.gamma,
        sigma: sigmaUsd,
        k: strategy.k,
        timeLeft: horizonS - (i * stepMs) / 1000,
      });
    }
    this.symmetricSpread = sum / Math.max(steps, 1);
  }

  /** The quotes at `step` around `mid` holding `positionUsd`. */
  quotes(step: number, mid: number, positionUsd: number): StepQuotes {
    const st = this.strategy;
    const q = positionUsd / this.quoteSize;
    const timeLeft = Math.max(this.horizonS - (step * this.stepMs) / 1000, 0);
    const quotes =
      st.kind === 'avellaneda-stoikov'
        ? inventoryQuotes({ mid, inventory: q, gamma: st.gamma, sigma: this.sigmaUsd, k: st.k, timeLeft })
        : symmetricQuotes({ mid, spread: this.symmetricSpread });
    const bid = Math.floor(quotes.bid / TICK_USD) * TICK_USD;
    const ask = Math.ceil(quotes.ask / TICK_USD) * TICK_USD;
    return {
      bid,
      ask,
      inventory: q,
      quoteBid: q < st.maxInventory && bid > 0,
      quoteAsk: q > -st.maxInventory && ask > 0,
    };
  }
}
