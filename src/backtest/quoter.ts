/**
 * What both backtest runners (generated and recorded markets) share: the instrument's lot and
 * tick, the latency model a scenario names, and the market maker's quoter: Avellaneda-Stoikov
 * quotes (or the symmetric spread, the inventory quoter's spread averaged over the run, as in
 * the paper's study) rounded outward to the tick, with the inventory cap per side.
 */
import { constantLatency, empiricalLatency, type LatencyModel } from '../sim/latency.js';
import type { Rng } from '../sim/random.js';
import {
  inventoryQuotes,
  optimalSpread,
  stationaryQuotes,
  symmetricQuotes,
} from '../strategy/avellaneda-stoikov.js';
import {
  glftApproxQuotes,
  glftAsymptoticQuotes,
  quoteAt,
  type GlftParams,
  type GlftQuoteTable,
} from '../strategy/glft.js';
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

/**
 * The quoter of a run: steps of `stepMs` in sessions of `horizonS` seconds (`steps` per session;
 * the finite-horizon quoter's T is its session's end). Inventory
 * `q` in quote sizes; the models' units: sigma USD per sqrt(second), k and gamma per USD, A per
 * second. The stationary AS and exact GLFT quotes need an integer inventory within the bound: `q`
 * is rounded to the nearest whole quote size there.
 */
export class Quoter {
  readonly quoteSize: number;
  private readonly symmetricSpread: number;
  private glft: GlftParams | undefined;
  private readonly glftTable: GlftQuoteTable | undefined;
  /** The model's sigma and k (and GLFT's A) in use: the configured ones until `setModel`. */
  private sigmaNow: number;
  private kNow: number;

  constructor(
    private readonly strategy: StrategySpec,
    /** The mid's volatility, USD per square root of a second. */
    private readonly sigmaUsd: number,
    private readonly horizonS: number,
    private readonly steps: number,
    private readonly stepMs: number,
  ) {
    this.quoteSize = roundLots(strategy.quoteSizeUsd);
    this.sigmaNow = sigmaUsd;
    this.kNow = strategy.k;
    this.glft =
      strategy.a === undefined
        ? undefined
        : { gamma: strategy.gamma, sigma: sigmaUsd, A: strategy.a, k: strategy.k };
    this.glftTable =
      strategy.kind === 'glft' && strategy.form === 'exact' && this.glft !== undefined
        ? glftAsymptoticQuotes({ ...this.glft, maxInventory: strategy.maxInventory })
        : undefined;
    if (strategy.spreadOf === 'glft' && this.glft !== undefined) {
      const atZero = glftApproxQuotes({ ...this.glft, inventory: 0 });
      this.symmetricSpread = atZero.bidDistance + atZero.askDistance;
    } else {
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
  }

  /**
   * Online estimates replace the configured parameters from now on (the symmetric quoter's
   * spread stays fixed): sigma in USD per sqrt(second), k per USD, A per second.
   */
  setModel(model: { sigma?: number; k?: number; A?: number }): void {
    if (model.sigma !== undefined && model.sigma > 0) this.sigmaNow = model.sigma;
    if (model.k !== undefined && model.k > 0) this.kNow = model.k;
    if (this.glft !== undefined) {
      this.glft = {
        ...this.glft,
        sigma: this.sigmaNow,
        k: this.kNow,
        ...(model.A !== undefined && model.A > 0 ? { A: model.A } : {}),
      };
    }
  }

  /** The parameters in use. */
  get model(): { sigma: number; k: number; A: number | undefined } {
    return { sigma: this.sigmaNow, k: this.kNow, A: this.glft?.A };
  }

  /** Bid and ask before rounding, or null for a side the model does not quote. */
  private raw(step: number, mid: number, q: number): { bid: number | null; ask: number | null } {
    const st = this.strategy;
    const bounded = Math.max(-st.maxInventory, Math.min(st.maxInventory, Math.round(q)));
    switch (st.kind) {
      case 'avellaneda-stoikov': {
        const timeLeft = Math.max(this.horizonS - ((step % Math.max(this.steps, 1)) * this.stepMs) / 1000, 0);
        const quotes = inventoryQuotes({
          mid,
          inventory: q,
          gamma: st.gamma,
          sigma: this.sigmaNow,
          k: this.kNow,
          timeLeft,
        });
        return { bid: quotes.bid, ask: quotes.ask };
      }
      case 'as-stationary': {
        const quotes = stationaryQuotes({
          mid,
          inventory: bounded,
          gamma: st.gamma,
          sigma: this.sigmaNow,
          k: this.kNow,
          maxInventory: st.maxInventory,
          ...(st.omega === undefined ? {} : { omega: st.omega }),
        });
        return { bid: quotes.bid, ask: quotes.ask };
      }
      case 'glft': {
        if (this.glftTable !== undefined) {
          const d = quoteAt(this.glftTable, bounded);
          return {
            bid: d.bidDistance === null ? null : mid - d.bidDistance,
            ask: d.askDistance === null ? null : mid + d.askDistance,
          };
        }
        const d = glftApproxQuotes({ ...(this.glft as GlftParams), inventory: q });
        return { bid: mid - d.bidDistance, ask: mid + d.askDistance };
      }
      case 'symmetric': {
        const quotes = symmetricQuotes({ mid, spread: this.symmetricSpread });
        return { bid: quotes.bid, ask: quotes.ask };
      }
    }
  }

  /** The quotes at `step` around `mid` holding `positionUsd`. */
  quotes(step: number, mid: number, positionUsd: number): StepQuotes {
    const st = this.strategy;
    const q = positionUsd / this.quoteSize;
    const raw = this.raw(step, mid, q);
    const bid = raw.bid === null ? 0 : Math.floor(raw.bid / TICK_USD) * TICK_USD;
    const ask = raw.ask === null ? 0 : Math.ceil(raw.ask / TICK_USD) * TICK_USD;
    return {
      bid,
      ask,
      inventory: q,
      quoteBid: raw.bid !== null && q < st.maxInventory && bid > 0,
      quoteAsk: raw.ask !== null && q > -st.maxInventory && ask > 0,
    };
  }
}
