/**
 * Options-chain backtest of the quoter under one-sided taker flow (issue 8, must-show: "under
 * one-sided flow, the book-level options quoter keeps |vega| inside its limit where per-option
 * quoting breaches it"), on the simulated exchange.
 *
 * The market: a GBM spot path (`sim/generators/spot.ts`) and a generated chain
 * (`sim/generators/chain.ts`): each expiry's smile a fixed raw SVI shape in implied variance
 * per year, so the surface at a step is w(k, tau) = tau x shape(k) with forwards from the
 * path. Instruments are BTC inverse options named as the venue names them; their details
 * (tick schedule 0.0001 below 0.005 BTC and 0.0005 above, lot 0.1 contract) come from the
 * instrument catalog, and the same catalog is given to the quoter and to the exchange.
 *
 * Two quoters, each on its own simulated exchange (`sim/exchange/exchange.ts`), on the same
 * spot path and the same taker arrivals:
 * - `book`: one `OptionsQuoter` over the chain, skewed and sized by the whole book's vega per
 *   expiry, total vega and delta (options plus the perpetual hedge) against the limits;
 * - `perOption`: one `OptionsQuoter` per option, each seeing only its own position against
 *   `perOptionLimits` (default: the same limits).
 *
 * How quotes go out: at every step the quoter's output becomes mass-quote requests
 * (`MassQuoteBuilder`, one MMP group, so one quote per side per instrument) sent with
 * `Exchange.massQuote` as post-only MMP orders. Every live side is re-sent each step (an edit
 * to the quote's amount and price keeps the order's place when neither rose), so a partly
 * filled quote is topped up. The group has an MMP config on the exchange: the scenario's
 * quantity/delta/vega limits within an interval (delta and vega per contract from the step's
 * surface), or MMP off (`intervalMs` 0) when the scenario has none. An MMP trigger cancels the
 * group's quotes on the exchange; the runner hands the notification to `MmpGuard` and the
 * builder forgets the group; the group is not quoted again until the guard allows it: after
 * the cool-down, with a `reset_mmp` when the freeze has no end (`frozenMs` 0), or at
 * max(venue thaw, trigger + cool-down).
 *
 * The flow: takers arrive at each option as a Poisson process (`ratePerStep`, or at most one
 * arrival a step with `hitProbability`), each at a uniform time inside the step, and send an
 * immediate-or-cancel order for `takerSize` contracts on the flow's side. With `kVolPoints` the
 * order is a limit at the surface's fair price moved by a reach R ~ Exponential(k) vol points
 * (a buyer pays up to the price at vol + R, a seller down to vol - R), on the tick (down for a
 * buy, up for a sell); without it a market order. Takers trade only against our quotes: the
 * option books have no other liquidity.
 *
 * Hedging (optional): the book's delta under the configured target (`bookDelta`: options and
 * the perpetual; usd-neutral also counts the coin cash) is checked at every step by the policy
 * (`createHedgePolicy`: band, time or Whalley-Wilmott with the options' Black-76 gamma in USD),
 * which asks for a trade in coin; it is worked on BTC-PERPETUAL in USD lots of 10 by a
 * `HedgeExecutor` (post-only at our best, then crossing within `limitBps` of the index), one at
 * a time. The perpetual's book is a liquidity provider (participant `lp`) that at every step
 * cancels and re-places `levels` levels a side around the spot (first level `halfSpreadBps`
 * away, then every `levelSpacingBps`, `depthUsd` each), with plain limit orders: when the spot
 * moves through our passive hedge order, the provider's new quotes trade against it. Every
 * hedge fill goes to a `HedgeTracker` with the step's spot as the mid: cost = fees (coin x
 * price) + amount x (price - mid).
 *
 * Reported per quoter: the |vega| path per expiry (USD per vol point, at each step's marks),
 * its maximum and whether a vega limit was breached; the book delta path (before the step's
 * hedge and after it), its maximum, whether the delta limit was breached, the final delta;
 * mass-quote requests, sides sent, MMP triggers and resets; taker orders, fills, contracts
 * traded, the options' P&L in coin (cash on the exchange, premium net of fees, plus positions at
 * the last marks); and, with hedging, hedge orders and fills, cost, fees, spread paid, P&L.
 */
import { InputError } from '../model/errors.js';
import { InstrumentCatalog } from '../model/instrument-catalog.js';
import { formatInstrumentName } from '../model/instrument-name.js';
import { MS_PER_DAY, MS_PER_YEAR } from '../model/time.js';
import { black76 } from '../pricing/black76.js';
import type { OptionKind } from '../pricing/types.js';
import { Exchange } from '../sim/exchange/exchange.js';
import type { ExchangeEvent, Fill, MassQuoteRequest, UnitGreeks } from '../sim/exchange/types.js';
import { rng, type Rng } from '../sim/random.js';
import { generateChain, sliceAt, type ChainExpiry } from '../sim/generators/chain.js';
import { gbmPath } from '../sim/generators/spot.js';
import { HedgeExecutor, type ExecutorAction, type ExecutorConfig } from '../strategy/hedging/executor.js';
import { createHedgePolicy, type HedgePolicy, type HedgePolicyConfig } from '../strategy/hedging/policies.js';
import { bookDelta, type OptionHolding, type TargetConfig } from '../strategy/hedging/target.js';
import { HedgeTracker } from '../strategy/hedging/tracker.js';
import {
  indexNameOf,
  levelsOf,
  MassQuoteBuilder,
  MmpGuard,
  triggerNotificationOf,
  type QuoteLevel,
} from '../strategy/mass-quote.js';
import { OptionsQuoter, type OptionsQuoterConfig, type QuoterLimits } from '../strategy/options-quoter.js';
import { sviTotalVariance, type RawSvi } from '../vol/svi.js';
import { VolSurface, type SurfaceSlice } from '../vol/surface.js';

/** The market maker's, the perpetual liquidity provider's and the takers' accounts. */
export const MAKER = 'mm';
export const PERP_LP = 'lp';
export const TAKER = 'taker';
/** The quotes' MMP group. */
export const QUOTE_GROUP = 'options';
export const PERPETUAL = 'BTC-PERPETUAL';
const BASE = 'BTC';
const PERP_LOT_USD = 10;

/** Taker flow: one side of one option type, Poisson arrivals per option. */
export interface OptionsFlowConfig {
  kind: OptionKind;
  side: 'buy' | 'sell';
  /** Mean arrivals per option per step (Poisson). One of this or `hitProbability`. */
  ratePerStep?: number;
  /** Probability of one arrival per option per step (Bernoulli). */
  hitProbability?: number;
  /** Contracts per taker order (a multiple of the lot, 0.1). */
  takerSize: number;
  /** Decay of the taker's reach in vol points (mean reach 1 / k); absent: market orders. */
  kVolPoints?: number;
}

/** Market maker protection of the quote group (venue `set_mmp_config`), and the guard's cool-down. */
export interface OptionsMmpConfig {
  intervalMs: number;
  /** Venue freeze after a trigger, ms; 0: until reset (sent by the guard after the cool-down). */
  frozenMs: number;
  /** The guard's cool-down after a trigger, ms. */
  coolDownMs: number;
  quantityLimit?: number;
  /** |net delta traded| in coin (premium-adjusted delta per contract). */
  deltaLimit?: number;
  /** |net vega traded| in USD per vol point. */
  vegaLimit?: number;
}

/** The perpetual's passive liquidity provider. */
export interface PerpetualBookConfig {
  /** Distance of the first level from the spot, bps. */
  halfSpreadBps: number;
  /** Size of each level, USD (a multiple of 10). */
  depthUsd: number;
  /** Levels a side. */
  levels: number;
  /** Distance between levels, bps. */
  levelSpacingBps: number;
}

/** Delta hedging of the options book on BTC-PERPETUAL. */
export interface OptionsHedgingConfig {
  target: TargetConfig;
  policy: HedgePolicyConfig;
  executor: ExecutorConfig;
  perpetual: PerpetualBookConfig;
}

/** Parameters of an options backtest. */
export interface OptionsBacktestConfig {
  /** Start time, ms (default 2 Jan 2024 08:00 UTC). */
  startMs?: number;
  spot0: number;
  /** Spot volatility per sqrt(year). */
  spotVol: number;
  /** Step length, ms, and number of steps. */
  stepMs: number;
  steps: number;
  /** Expiries, days after the start, with their smile shapes (implied variance per year vs k). */
  expiries: { days: number; shape: RawSvi }[];
  strikes: number[];
  flow: OptionsFlowConfig;
  quoter: OptionsQuoterConfig;
  limits: QuoterLimits;
  /** Limits each option sees alone in per-option quoting (default: `limits`). */
  perOptionLimits?: QuoterLimits;
  /** MMP of the quote group (default: none, MMP off). */
  mmp?: OptionsMmpConfig;
  /** Delta hedging (default: none). */
  hedging?: OptionsHedgingConfig;
}

/** One taker order and what it got. */
export interface TakerOrderRecord {
  atMs: number;
  instrument: string;
  side: 'buy' | 'sell';
  /** The limit price (coin), null for a market order. */
  limitPrice: number | null;
  /** The surface's fair price (coin) at the step. */
  fairPrice: number;
  filled: number;
  /** Prices of its fills. */
  fillPrices: number[];
}

/** A hedge fill with the mid it is costed against. */
export interface HedgeFillRecord {
  fill: Fill;
  /** Our side. */
  side: 'buy' | 'sell';
  maker: boolean;
  mid: number;
}

/** Hedging figures of one quoter's run. */
export interface HedgeFigures {
  /** Hedge orders worked to the end. */
  orders: number;
  /** Hedge fills, and those of them where our order rested (passive). */
  trades: number;
  passiveTrades: number;
  volumeUsd: number;
  feesUsd: number;
  spreadPaidUsd: number;
  /** Fees + spread paid against the mid, USD. */
  costUsd: number;
  /** Mark-to-market of the hedges at the last spot, before fees, USD (`HedgeTracker`). */
  pnlUsd: number;
  /** Perpetual position at the end, USD. */
  positionUsd: number;
}

/** One quoter's run. */
export interface QuoterRun {
  /** |vega| per expiry per step (row e: expiry e), USD per vol point. */
  vegaPath: Float64Array[];
  maxAbsVega: number[];
  maxAbsVegaTotal: number;
  /** Some expiry's |vega| went over its limit, or the total over the total limit. */
  breached: boolean;
  /** Book delta (coin, the hedge target's measure) at each step's marks, before the step's hedge. */
  deltaPath: Float64Array;
  /** The same after the step's hedge orders went out (equal to `deltaPath` without hedging). */
  hedgedDeltaPath: Float64Array;
  maxAbsDelta: number;
  deltaBreached: boolean;
  finalDelta: number;
  /** Mass-quote requests sent, and sides in them with a positive amount. */
  massQuotes: number;
  quotesSent: number;
  quoteErrors: number;
  mmpTriggers: number;
  mmpResets: number;
  /** Trigger times, and per step whether the group was quoted (1) or held back by the guard (0). */
  mmpTriggerMs: number[];
  quoting: Uint8Array;
  takerOrders: number;
  fills: number;
  contractsTraded: number;
  pnlCoin: number;
  hedging: HedgeFigures | null;
  takerLog: TakerOrderRecord[];
  hedgeFills: HedgeFillRecord[];
  /** The run's exchange (for inspection by tests). */
  exchange: Exchange;
}

export interface OptionsBacktestResult {
  seed: number;
  expiriesMs: number[];
  instruments: string[];
  vegaLimitPerExpiry: number[];
  vegaLimitTotal: number;
  /** Spot at each step. */
  spot: Float64Array;
  book: QuoterRun;
  perOption: QuoterRun;
}

interface Arrival {
  atMs: number;
  option: number;
  reach: number;
}

/** The quoting state of one mode on its own exchange. */
interface Mode {
  run: QuoterRun;
  exchange: Exchange;
  position: Float64Array;
  builder: MassQuoteBuilder;
  guard: MmpGuard;
  perpUsd: number;
  policy: HedgePolicy | null;
  executor: HedgeExecutor | null;
  workingId: string | null;
  tracker: HedgeTracker;
  hedgeOrders: number;
}

/** Runs both quoters on one seeded path and flow. */
export function runOptionsBacktest(config: OptionsBacktestConfig, seed: number): OptionsBacktestResult {
  check(config);
  const startMs = config.startMs ?? Date.UTC(2024, 0, 2, 8);
  const random = rng(seed);
  const path = gbmPath({
    rng: random.stream('spot'),
    s0: config.spot0,
    sigma: config.spotVol,
    dt: config.stepMs / MS_PER_YEAR,
    steps: config.steps,
    startMs,
  });
  const expiries: ChainExpiry[] = config.expiries.map((e) => ({
    expiryMs: startMs + Math.round(e.days) * MS_PER_DAY,
    shape: e.shape,
  }));
  const lastMs = startMs + config.steps * config.stepMs;
  for (const e of expiries)
    if (!(e.expiryMs > lastMs))
      throw new InputError('expiries.days', (e.expiryMs - startMs) / MS_PER_DAY, 'after the last step');
  const chain = generateChain({ path, expiries, strikes: config.strikes, kinds: [config.flow.kind] });
  const names = chain.instruments.map((c) =>
    formatInstrumentName({
      kind: 'option',
      base: BASE,
      quote: null,
      expiryMs: c.expiryMs,
      strike: c.strike,
      optionType: c.kind,
    }),
  );
  const catalog = new InstrumentCatalog();
  const ticks = names.map((name) => catalog.ticks(name));
  const perpTicks = catalog.ticks(PERPETUAL);
  const sorted = chain.expiries;
  const surfaceAt = (i: number): VolSurface => {
    const step = chain.steps[i]!;
    const slices: SurfaceSlice[] = sorted.map((e, j) => {
      const tau = (e.expiryMs - step.timestampMs) / MS_PER_YEAR;
      return {
        expiryMs: e.expiryMs,
        yearsToExpiry: tau,
        forward: step.forwards[j]!,
        svi: sliceAt(e.shape, sviTotalVariance(e.shape, 0), tau),
      };
    });
    return new VolSurface(step.timestampMs, slices);
  };
  const first = surfaceAt(0);
  const spot0 = chain.steps[0]!.spot;
  const bookQuoter = new OptionsQuoter({
    surface: first,
    refSpot: spot0,
    instruments: names,
    config: config.quoter,
    limits: config.limits,
    atMs: startMs,
    catalog,
  });
  const perLimits = config.perOptionLimits ?? config.limits;
  const singles = names.map((name, i) => {
    const e = bookQuoter.expiryIndex[i]!;
    const v = perLimits.vegaPerExpiry;
    return new OptionsQuoter({
      surface: first,
      refSpot: spot0,
      instruments: [name],
      config: config.quoter,
      limits: { ...perLimits, vegaPerExpiry: typeof v === 'number' ? v : (v[e] as number) },
      atMs: startMs,
      catalog,
    });
  });
  const ne = bookQuoter.expiries.length;
  const limitE = Array.from({ length: ne }, (_, e) => {
    const v = config.limits.vegaPerExpiry;
    return typeof v === 'number' ? v : (v[e] as number);
  });
  const n = names.length;
  const nameIndex = new Map(names.map((name, i) => [name, i]));

  // Per step, from the centre of the book quoter's quote with an empty book: what the surface
  // says each option is worth and its greeks (also the exchange's MMP greeks).
  const unitVega = new Float64Array(n);
  const unitDelta = new Float64Array(n);
  const surfaceVol = new Float64Array(n);
  const forward = new Float64Array(n);
  const greeks = (instrument: string): UnitGreeks => {
    const i = nameIndex.get(instrument);
    return i === undefined ? { delta: 0, vega: 0 } : { delta: unitDelta[i]!, vega: unitVega[i]! };
  };
  const target: TargetConfig = config.hedging?.target ?? { target: 'coin-neutral' };
  const mmp = config.mmp;
  const newMode = (): Mode => {
    const exchange = new Exchange({ catalog, greeks });
    exchange.setMmpConfig({
      participant: MAKER,
      index: BASE,
      group: QUOTE_GROUP,
      intervalMs: mmp?.intervalMs ?? 0,
      frozenTimeMs: mmp?.frozenMs ?? 0,
      ...(mmp?.quantityLimit === undefined ? {} : { quantityLimit: mmp.quantityLimit }),
      ...(mmp?.deltaLimit === undefined ? {} : { deltaLimit: mmp.deltaLimit }),
      ...(mmp?.vegaLimit === undefined ? {} : { vegaLimit: mmp.vegaLimit }),
    });
    return {
      run: {
        vegaPath: Array.from({ length: ne }, () => new Float64Array(config.steps + 1)),
        maxAbsVega: new Array<number>(ne).fill(0),
        maxAbsVegaTotal: 0,
        breached: false,
        deltaPath: new Float64Array(config.steps + 1),
        hedgedDeltaPath: new Float64Array(config.steps + 1),
        maxAbsDelta: 0,
        deltaBreached: false,
        finalDelta: 0,
        massQuotes: 0,
        quotesSent: 0,
        quoteErrors: 0,
        mmpTriggers: 0,
        mmpResets: 0,
        mmpTriggerMs: [],
        quoting: new Uint8Array(config.steps + 1),
        takerOrders: 0,
        fills: 0,
        contractsTraded: 0,
        pnlCoin: 0,
        hedging: null,
        takerLog: [],
        hedgeFills: [],
        exchange,
      },
      exchange,
      position: new Float64Array(n),
      builder: new MassQuoteBuilder({ groups: [QUOTE_GROUP], resendUnchanged: true }),
      guard: new MmpGuard(mmp?.coolDownMs ?? 0, [QUOTE_GROUP]),
      perpUsd: 0,
      policy: config.hedging === undefined ? null : createHedgePolicy(config.hedging.policy),
      executor: null,
      workingId: null,
      tracker: new HedgeTracker(),
      hedgeOrders: 0,
    };
  };
  const book = newMode();
  const per = newMode();
  const modes = [book, per];
  const index = Int32Array.from({ length: n }, (_, i) => i);
  const vegaBuf = new Float64Array(ne);
  const bookVega = new Float64Array(ne);
  const indexName = indexNameOf(BASE);
  const spots = new Float64Array(config.steps + 1);

  const recordVega = (run: QuoterRun, step: number, position: Float64Array): void => {
    vegaBuf.fill(0);
    for (let i = 0; i < n; i++) {
      const e = bookQuoter.expiryIndex[i]!;
      vegaBuf[e] = vegaBuf[e]! + position[i]! * unitVega[i]!;
    }
    let total = 0;
    for (let e = 0; e < ne; e++) {
      const a = Math.abs(vegaBuf[e]!);
      run.vegaPath[e]![step] = a;
      run.maxAbsVega[e] = Math.max(run.maxAbsVega[e]!, a);
      if (a > limitE[e]! * (1 + 1e-9)) run.breached = true;
      total += vegaBuf[e]!;
    }
    run.maxAbsVegaTotal = Math.max(run.maxAbsVegaTotal, Math.abs(total));
    if (Math.abs(total) > config.limits.vegaTotal * (1 + 1e-9)) run.breached = true;
  };

  const holdings = (mode: Mode, atMs: number): { list: OptionHolding[]; gamma: number } => {
    const list: OptionHolding[] = [];
    let gamma = 0;
    for (let i = 0; i < n; i++) {
      const amount = mode.position[i]!;
      if (amount === 0) continue;
      const c = chain.instruments[i]!;
      list.push({
        kind: c.kind,
        strike: c.strike,
        expiryMs: c.expiryMs,
        amount,
        vol: surfaceVol[i]!,
        forward: forward[i]!,
      });
      const years = (c.expiryMs - atMs) / MS_PER_YEAR;
      gamma +=
        amount * black76(c.kind, forward[i]!, c.strike, years, surfaceVol[i]!, config.quoter.rate ?? 0).gamma;
    }
    return { list, gamma };
  };
  const deltaOf = (mode: Mode, atMs: number, spot: number): { delta: number; gamma: number } => {
    const h = holdings(mode, atMs);
    const futures = mode.perpUsd === 0 ? [] : [{ amountUsd: mode.perpUsd, price: spot }];
    const collateral = target.target === 'usd-neutral' ? mode.exchange.balance(MAKER, BASE) : 0;
    return { delta: bookDelta(target, atMs, h.list, futures, collateral).total, gamma: h.gamma };
  };

  // ------------------------------------------------------------ events from the exchange

  const onEvents = (mode: Mode, events: readonly ExchangeEvent[]): void => {
    for (const ev of events) {
      if (ev.type !== 'mmp_trigger' || ev.participant !== MAKER) continue;
      mode.run.mmpTriggers++;
      mode.run.mmpTriggerMs.push(ev.timestampMs);
      mode.guard.onTrigger(triggerNotificationOf(ev), ev.timestampMs);
      mode.builder.forget(ev.group);
    }
  };
  const onOptionFill = (mode: Mode, f: Fill): void => {
    const i = nameIndex.get(f.instrument);
    if (i === undefined || f.makerParticipant !== MAKER) return;
    mode.position[i] = mode.exchange.position(MAKER, f.instrument);
    mode.run.fills++;
    mode.run.contractsTraded += f.amount;
  };

  // ------------------------------------------------------------ hedging

  const hedging = config.hedging;
  const onHedgeFill = (mode: Mode, f: Fill, mid: number, atMs: number): void => {
    const maker = f.makerParticipant === MAKER;
    if (!maker && f.takerParticipant !== MAKER) return;
    const side: 'buy' | 'sell' = maker ? (f.takerSide === 'buy' ? 'sell' : 'buy') : f.takerSide;
    const sign = side === 'buy' ? 1 : -1;
    mode.perpUsd += sign * f.amount;
    const fee = (maker ? f.makerFee : f.takerFee) * f.price;
    mode.tracker.record({
      timeMs: f.timestampMs,
      instrument: f.instrument,
      amount: (sign * f.amount) / f.price,
      price: f.price,
      mid,
      fee,
    });
    mode.run.hedgeFills.push({ fill: f, side, maker, mid });
    if (mode.executor !== null) act(mode, mode.executor.onFill(f.amount, f.price), mid, atMs);
  };
  const cancelWorking = (mode: Mode, atMs: number): void => {
    if (mode.workingId === null) return;
    if (mode.exchange.getOrder(mode.workingId) !== undefined)
      mode.exchange.cancel(mode.workingId, MAKER, atMs);
    mode.workingId = null;
  };
  const act = (mode: Mode, actions: readonly ExecutorAction[], mid: number, atMs: number): void => {
    for (const a of actions) {
      if (a.kind === 'cancel') cancelWorking(mode, atMs);
      else if (a.kind === 'done') {
        cancelWorking(mode, atMs);
        mode.executor = null;
        mode.policy?.onHedged(atMs);
        mode.hedgeOrders++;
      } else {
        const ex = mode.executor as HedgeExecutor;
        cancelWorking(mode, atMs);
        const amount = Math.floor(a.amount / PERP_LOT_USD + 1e-9) * PERP_LOT_USD;
        if (amount < PERP_LOT_USD) {
          act(mode, ex.cancelAll(), mid, atMs);
          continue;
        }
        const side = ex.side === 1 ? 'buy' : 'sell';
        const price = perpTicks.snap(a.price, atMs, side === 'buy' ? 'down' : 'up');
        const r = mode.exchange.submit(
          {
            participant: MAKER,
            instrument: PERPETUAL,
            side,
            amount,
            price,
            postOnly: a.postOnly,
            label: 'hedge',
          },
          atMs,
        );
        if (r.order.state === 'open' || r.order.state === 'partially_filled')
          mode.workingId = r.order.orderId;
        for (const f of r.fills) onHedgeFill(mode, f, mid, atMs);
      }
    }
  };
  const refreshPerpBook = (mode: Mode, spot: number, atMs: number): void => {
    const p = (hedging as OptionsHedgingConfig).perpetual;
    mode.exchange.cancelAll(PERP_LP, atMs);
    for (const side of ['buy', 'sell'] as const) {
      for (let j = 0; j < p.levels; j++) {
        const bps = (p.halfSpreadBps + j * p.levelSpacingBps) / 10_000;
        const price =
          side === 'buy'
            ? perpTicks.snap(spot * (1 - bps), atMs, 'down')
            : perpTicks.snap(spot * (1 + bps), atMs, 'up');
        const r = mode.exchange.submit(
          { participant: PERP_LP, instrument: PERPETUAL, side, amount: p.depthUsd, price },
          atMs,
        );
        for (const f of r.fills) onHedgeFill(mode, f, spot, atMs);
      }
    }
  };
  const bookEvent = (
    mode: Mode,
    spot: number,
    atMs: number,
  ): { nowMs: number; bestBid: number; bestAsk: number; index: number } => {
    const bid = mode.exchange.depth(PERPETUAL, 'bids')[0]?.price ?? spot;
    const ask = mode.exchange.depth(PERPETUAL, 'asks')[0]?.price ?? spot;
    return { nowMs: atMs, bestBid: Math.min(bid, ask), bestAsk: Math.max(bid, ask), index: spot };
  };
  const hedge = (mode: Mode, spot: number, atMs: number, deviation: number, gamma: number): void => {
    const h = hedging as OptionsHedgingConfig;
    if (mode.executor !== null) {
      act(mode, mode.executor.onTimer(atMs), spot, atMs);
      if (mode.executor !== null) act(mode, mode.executor.onBook(bookEvent(mode, spot, atMs)), spot, atMs);
      return;
    }
    const trade = (mode.policy as HedgePolicy).decide({
      nowMs: atMs,
      deviation,
      spot,
      gamma,
      timeToExpiry: 0,
    });
    const usd = Math.round((Math.abs(trade) * spot) / PERP_LOT_USD) * PERP_LOT_USD;
    if (usd < PERP_LOT_USD) return;
    mode.executor = new HedgeExecutor(trade > 0 ? 1 : -1, usd, h.executor, atMs);
    act(mode, mode.executor.onBook(bookEvent(mode, spot, atMs)), spot, atMs);
  };

  // ------------------------------------------------------------ quoting

  const send = (mode: Mode, level: QuoteLevel[], atMs: number): void => {
    const canQuote = (g: string): boolean => mode.guard.canQuote(indexName, g, atMs);
    const requests: MassQuoteRequest[] = mode.builder.build([level], canQuote);
    for (const request of requests) {
      mode.run.massQuotes++;
      for (const q of request.quotes)
        mode.run.quotesSent +=
          (q.bid !== undefined && q.bid.amount > 0 ? 1 : 0) +
          (q.ask !== undefined && q.ask.amount > 0 ? 1 : 0);
      const r = mode.exchange.massQuote(MAKER, request, atMs);
      mode.run.quoteErrors += r.errors.length;
      for (const f of r.trades) onOptionFill(mode, f);
      onEvents(mode, r.events);
    }
  };
  const resets = (mode: Mode, atMs: number): void => {
    for (const r of mode.guard.due(atMs)) {
      mode.exchange.resetMmp(MAKER, BASE, r.params.mmp_group);
      mode.guard.onReset(r.params.index_name, r.params.mmp_group);
      mode.run.mmpResets++;
    }
  };

  // ------------------------------------------------------------ the loop

  const flowRng = random.stream('flow');
  const flow = config.flow;
  const takerSign = flow.side === 'buy' ? 1 : -1;
  const arrivals: Arrival[] = [];
  const fairPrice = new Float64Array(n);
  for (let s = 0; s <= config.steps; s++) {
    const step = chain.steps[s]!;
    const atMs = step.timestampMs;
    const spot = step.spot;
    spots[s] = spot;
    const surface = surfaceAt(s);
    bookQuoter.setSurface(surface, spot);
    const pre = bookQuoter.quote(spot, { vegaByExpiry: new Float64Array(ne), deltaCoin: 0 });
    unitVega.set(pre.vega);
    unitDelta.set(pre.delta);
    surfaceVol.set(pre.surfaceVol);
    forward.set(pre.forward);
    for (let i = 0; i < n; i++) {
      const c = chain.instruments[i]!;
      const years = (c.expiryMs - atMs) / MS_PER_YEAR;
      fairPrice[i] =
        black76(c.kind, forward[i]!, c.strike, years, surfaceVol[i]!, config.quoter.rate ?? 0).price /
        forward[i]!;
    }
    for (const mode of modes) {
      const run = mode.run;
      if (hedging !== undefined) refreshPerpBook(mode, spot, atMs);
      recordVega(run, s, mode.position);
      const d = deltaOf(mode, atMs, spot);
      run.deltaPath[s] = d.delta;
      run.maxAbsDelta = Math.max(run.maxAbsDelta, Math.abs(d.delta));
      if (Math.abs(d.delta) > config.limits.deltaCoin * (1 + 1e-9)) run.deltaBreached = true;
      run.finalDelta = d.delta;
      if (s === config.steps) {
        run.hedgedDeltaPath[s] = d.delta;
        continue;
      }
      if (hedging !== undefined) {
        hedge(mode, spot, atMs, d.delta, d.gamma);
        run.hedgedDeltaPath[s] = deltaOf(mode, atMs, spot).delta;
      } else run.hedgedDeltaPath[s] = d.delta;
      resets(mode, atMs);
      run.quoting[s] = mode.guard.canQuote(indexName, QUOTE_GROUP, atMs) ? 1 : 0;
    }
    if (s === config.steps) break;

    // Book-level quotes: the whole book's greeks at this step's marks (options plus the hedge).
    {
      const deltaOptions = bookQuoter.bookGreeks(index, book.position, n, bookVega);
      bookQuoter.quote(spot, { vegaByExpiry: bookVega, deltaCoin: deltaOptions + book.perpUsd / spot });
      send(book, levelsOf(bookQuoter.quotes()), atMs);
    }
    // Per-option quotes: each option alone.
    {
      const level: QuoteLevel[] = [];
      for (let i = 0; i < n; i++) {
        const single = singles[i]!;
        single.setSurface(surface, spot);
        const own = single.quote(spot, { vegaByExpiry: [0], deltaCoin: 0 });
        const ownVega = new Float64Array([per.position[i]! * own.vega[0]!]);
        const q = single.quote(spot, { vegaByExpiry: ownVega, deltaCoin: per.position[i]! * own.delta[0]! });
        level.push({
          instrument: names[i]!,
          bidPrice: q.bidSize[0]! > 0 ? q.bidPrice[0]! : null,
          bidSize: q.bidSize[0]!,
          askPrice: q.askSize[0]! > 0 ? q.askPrice[0]! : null,
          askSize: q.askSize[0]!,
        });
      }
      send(per, level, atMs);
    }

    // Takers inside the step: the same arrivals for both quoters.
    arrivals.length = 0;
    drawArrivals(flowRng, flow, n, atMs, config.stepMs, arrivals);
    for (const a of arrivals) {
      const i = a.option;
      const c = chain.instruments[i]!;
      let limitPrice: number | null = null;
      if (flow.kVolPoints !== undefined) {
        const vol = surfaceVol[i]! + (takerSign * a.reach) / 100;
        const years = (c.expiryMs - atMs) / MS_PER_YEAR;
        const minTick = ticks[i]!.ruleAt(a.atMs).tickSize;
        const raw =
          vol > 0
            ? black76(c.kind, forward[i]!, c.strike, years, vol, config.quoter.rate ?? 0).price / forward[i]!
            : 0;
        // A buyer whose price is below the venue's smallest price sends nothing; a seller's
        // price is floored there.
        if (flow.side === 'buy' && raw < minTick) continue;
        limitPrice = ticks[i]!.snap(Math.max(raw, minTick), a.atMs, flow.side === 'buy' ? 'down' : 'up');
      }
      for (const mode of modes) {
        const r = mode.exchange.submit(
          {
            participant: TAKER,
            instrument: names[i]!,
            side: flow.side,
            amount: flow.takerSize,
            ...(limitPrice === null
              ? { type: 'market' as const }
              : { price: limitPrice, timeInForce: 'immediate_or_cancel' as const }),
          },
          a.atMs,
        );
        mode.run.takerOrders++;
        for (const f of r.fills) onOptionFill(mode, f);
        onEvents(mode, r.events);
        mode.run.takerLog.push({
          atMs: a.atMs,
          instrument: names[i]!,
          side: flow.side,
          limitPrice,
          fairPrice: fairPrice[i]!,
          filled: r.order.filledAmount,
          fillPrices: r.fills.map((f) => f.price),
        });
      }
    }
  }
  const last = chain.steps[config.steps]!;
  for (const mode of modes) {
    let value = mode.exchange.balance(MAKER, BASE);
    for (let i = 0; i < n; i++) value += mode.position[i]! * last.markCoin[i]!;
    mode.run.pnlCoin = value;
    if (hedging !== undefined) {
      const sum = mode.tracker.summary(last.spot);
      mode.run.hedging = {
        orders: mode.hedgeOrders,
        trades: sum.trades,
        passiveTrades: mode.run.hedgeFills.filter((h) => h.maker).length,
        volumeUsd: mode.run.hedgeFills.reduce((v, h) => v + h.fill.amount, 0),
        feesUsd: sum.fees,
        spreadPaidUsd: sum.spreadPaid,
        costUsd: sum.cost,
        pnlUsd: sum.pnl,
        positionUsd: mode.perpUsd,
      };
    }
  }
  return {
    seed,
    expiriesMs: [...bookQuoter.expiries],
    instruments: names,
    vegaLimitPerExpiry: limitE,
    vegaLimitTotal: config.limits.vegaTotal,
    spot: spots,
    book: book.run,
    perOption: per.run,
  };
}

/**
 * One step's taker arrivals, in time order (ties: option order): per option the count
 * (Poisson or Bernoulli), then per arrival its time and, for limit orders, its reach. The
 * number of draws depends only on the counts, never on a quoter's state.
 */
function drawArrivals(
  r: Rng,
  flow: OptionsFlowConfig,
  n: number,
  atMs: number,
  stepMs: number,
  out: Arrival[],
): void {
  for (let i = 0; i < n; i++) {
    const count =
      flow.ratePerStep !== undefined
        ? r.poisson(flow.ratePerStep)
        : r.bernoulli(flow.hitProbability as number)
          ? 1
          : 0;
    for (let j = 0; j < count; j++) {
      const at = atMs + 1 + Math.floor(r.uniform() * (stepMs - 1));
      const reach = flow.kVolPoints === undefined ? 0 : r.exponential(flow.kVolPoints);
      out.push({ atMs: at, option: i, reach });
    }
  }
  out.sort((a, b) => a.atMs - b.atMs || a.option - b.option);
}

function check(c: OptionsBacktestConfig): void {
  if (c === null || typeof c !== 'object') throw new InputError('config', c, 'an object');
  for (const f of ['spot0', 'spotVol', 'stepMs'] as const)
    if (!(c[f] > 0) || c[f] === Infinity) throw new InputError(f, c[f], 'a positive number');
  if (!(Number.isInteger(c.steps) && c.steps >= 1))
    throw new InputError('steps', c.steps, 'a positive integer');
  if (!Array.isArray(c.expiries) || c.expiries.length === 0)
    throw new InputError('expiries', c.expiries, 'at least one expiry');
  if (!Array.isArray(c.strikes) || c.strikes.length === 0)
    throw new InputError('strikes', c.strikes, 'at least one strike');
  const f = c.flow;
  if (f === null || typeof f !== 'object') throw new InputError('flow', f, 'an object');
  if (f.kind !== 'call' && f.kind !== 'put') throw new InputError('flow.kind', f.kind, '"call" or "put"');
  if (f.side !== 'buy' && f.side !== 'sell') throw new InputError('flow.side', f.side, '"buy" or "sell"');
  if ((f.ratePerStep === undefined) === (f.hitProbability === undefined))
    throw new InputError('flow', Object.keys(f), 'one of ratePerStep or hitProbability');
  if (f.hitProbability !== undefined && !(f.hitProbability >= 0 && f.hitProbability <= 1))
    throw new InputError('flow.hitProbability', f.hitProbability, 'a probability');
  if (f.ratePerStep !== undefined && !(f.ratePerStep >= 0 && f.ratePerStep < Infinity))
    throw new InputError('flow.ratePerStep', f.ratePerStep, 'a finite number >= 0');
  const lots = f.takerSize / 0.1;
  if (!(f.takerSize > 0) || Math.abs(lots - Math.round(lots)) > 1e-9)
    throw new InputError('flow.takerSize', f.takerSize, 'a positive multiple of the lot 0.1');
  if (f.kVolPoints !== undefined && !(f.kVolPoints > 0 && f.kVolPoints < Infinity))
    throw new InputError('flow.kVolPoints', f.kVolPoints, 'a positive decay per vol point');
  const m = c.mmp;
  if (m !== undefined) {
    for (const k of ['intervalMs', 'frozenMs', 'coolDownMs'] as const)
      if (!(m[k] >= 0 && m[k] < Infinity)) throw new InputError(`mmp.${k}`, m[k], 'a number of ms >= 0');
  }
  const h = c.hedging;
  if (h !== undefined) {
    const p = h.perpetual;
    if (!(p.halfSpreadBps >= 0))
      throw new InputError('hedging.perpetual.halfSpreadBps', p.halfSpreadBps, 'bps >= 0');
    if (!(p.levelSpacingBps > 0))
      throw new InputError('hedging.perpetual.levelSpacingBps', p.levelSpacingBps, 'bps > 0');
    if (!(Number.isInteger(p.levels) && p.levels >= 1))
      throw new InputError('hedging.perpetual.levels', p.levels, 'an integer >= 1');
    if (!(p.depthUsd >= PERP_LOT_USD && Number.isInteger(p.depthUsd / PERP_LOT_USD)))
      throw new InputError('hedging.perpetual.depthUsd', p.depthUsd, 'a positive multiple of 10 USD');
  }
}
