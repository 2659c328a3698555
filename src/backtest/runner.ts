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
import { DERIBIT_FEES, type Fill, type OrderRequest } from '../sim/exchange/types.js';
export type { BacktestReport } from './account.js';
import {
  burstFlow,
  informedFlow,
  lognormalSize,
  mergeFlows,
  takerFlow,
  type TakerOrder,
} from '../sim/generators/flow.js';
import { gbmPath, hestonPath, mertonPath, type SpotPath } from '../sim/generators/spot.js';
import { Rng } from '../sim/random.js';
import { buildReport, MakerAccount, type BacktestReport, type ProtectionEvent } from './account.js';
import { latencyOf, Quoter, roundLots, TICK_USD } from './quoter.js';
import type { MarketModel, Scenario } from './scenario.js';

/** The markets a generator makes. */
type GeneratedMarket = Exclude<MarketModel, { model: 'recorded' }>;

const MAKER = 'mm';
const TAKER = 'taker';

function spotPath(s: Scenario, m: GeneratedMarket, rng: Rng, steps: number): SpotPath {
  const dt = s.stepMs / MS_PER_YEAR;
  const common = { rng: rng.stream('spot'), s0: m.s0, mu: m.mu, dt, steps, startMs: s.startMs };
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

/** Runs `scenario` with `seed` (default the scenario's). */
export function runBacktest(scenario: Scenario, seed = scenario.seed): BacktestReport {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError('seed', seed, 'an integer >= 0');
  const market = scenario.market;
  if (market.model === 'recorded') {
    throw new InputError(
      'market.model',
      market.model,
      'a generator here (gbm, merton, heston); recorded data runs through runRecordedBacktest',
    );
  }
  const rng = new Rng(seed);
  const steps = Math.floor((scenario.durationS * 1000) / scenario.stepMs);
  const path = spotPath(scenario, market, rng, steps);
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
  if (f.bursts !== undefined && f.bursts.ratePerSecond > 0) {
    const b = f.bursts;
    flows.push(
      burstFlow({
        rng: rng.stream('bursts'),
        startMs: scenario.startMs,
        endMs,
        burstsPerSecond: b.ratePerSecond,
        meanOrders: b.meanOrders,
        meanGapMs: b.meanGapMs,
        size: lognormalSize(b.sizeUsd, b.sizeLogStd),
        buyShare: b.buyShare,
        ...(b.k === undefined ? {} : { k: b.k }),
      }),
    );
  }
  const takers = mergeFlows(...flows);
  const latency = latencyOf(scenario, rng);
  const fees = scenario.fees;
  const exchange = new Exchange({
    rejectPostOnlyByDefault: true,
    ...(fees === undefined
      ? {}
      : { fees: { ...DERIBIT_FEES, perpetual: fees, future: fees, weeklyFuture: fees } }),
  });

  const st = scenario.strategy;
  const sigmaUsd =
    ((market.model === 'heston' ? Math.sqrt(market.v0) : market.sigma) * market.s0) /
    Math.sqrt(MS_PER_YEAR / 1000);
  const sessionSteps = Math.round((scenario.sessionS * 1000) / scenario.stepMs);
  const quoter = new Quoter(st, sigmaUsd, scenario.sessionS, sessionSteps, scenario.stepMs);
  const quoteSize = quoter.quoteSize;
  const account = new MakerAccount();
  let quoted = 0;
  let live: string[] = [];
  const onFill = (fill: Fill): void => {
    if (fill.makerParticipant !== MAKER) return;
    account.fill(
      fill.takerSide === 'sell' ? 'buy' : 'sell',
      fill.price,
      fill.amount,
      fill.makerFee,
      fill.timestampMs,
    );
  };
  // Market maker protection and the connection's drops (cancel-on-disconnect when enabled).
  const baseCurrency = scenario.instrument.split('-')[0] as string;
  if (st.mmp !== undefined) {
    exchange.setMmpConfig({
      participant: MAKER,
      index: baseCurrency,
      intervalMs: st.mmp.intervalMs,
      frozenTimeMs: st.mmp.frozenMs,
      quantityLimit: st.mmp.quantityLimitUsd,
    });
  }
  let mmpTriggers = 0;
  const events: ProtectionEvent[] = [];
  let cancelledOnDisconnect = 0;
  let connectionNumber = 1;
  let connection: string | null = `${MAKER}-1`;
  const connect = (): void => {
    connection = `${MAKER}-${connectionNumber}`;
    if (scenario.connection.cancelOnDisconnect) exchange.enableCancelOnDisconnect(MAKER, connection);
  };
  connect();
  const drops = scenario.connection.drops.map((d) => ({
    downMs: scenario.startMs + d.atS * 1000,
    upMs: scenario.startMs + (d.atS + d.forS) * 1000,
  }));
  let nextDrop = 0;
  /** Applies the drops and reconnections due by `t`. */
  const dropsUntil = (t: number): void => {
    for (;;) {
      const d = drops[nextDrop];
      if (d === undefined) return;
      if (connection !== null && d.downMs <= t) {
        const cancelled = exchange.disconnect(connection, d.downMs).length;
        cancelledOnDisconnect += cancelled;
        events.push({ type: 'disconnect', time_ms: d.downMs, cancelled });
        connection = null;
      } else if (connection === null && d.upMs <= t) {
        connectionNumber += 1;
        connect();
        events.push({ type: 'reconnect', time_ms: d.upMs, cancelled: 0 });
        nextDrop += 1;
      } else return;
    }
  };
  const connectedAt = (t: number): string | null => {
    dropsUntil(t);
    return connection;
  };
  const sessions = { final_inventory_usd: [] as number[], pnl_usd: [] as number[] };
  let sessionStartPnl = 0;
  const times: number[] = [];
  const mids: number[] = [];
  const inventory: number[] = [];
  const volume: number[] = [];
  const pnlUsd: number[] = [];

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
      dropsUntil(o.timestampMs);
      const base = {
        participant: TAKER,
        instrument: scenario.instrument,
        side: o.side,
        amount: roundLots(o.size),
      };
      let request: OrderRequest;
      if (o.reach === Infinity) request = { ...base, type: 'market' };
      else {
        const mid = midAtTime(o.timestampMs);
        const raw = o.side === 'buy' ? mid + o.reach : mid - o.reach;
        const price =
          o.side === 'buy' ? Math.floor(raw / TICK_USD) * TICK_USD : Math.ceil(raw / TICK_USD) * TICK_USD;
        if (!(price > 0)) continue;
        request = { ...base, price, timeInForce: 'immediate_or_cancel' };
      }
      const result = exchange.submit(request, o.timestampMs);
      for (const fill of result.fills) onFill(fill);
      for (const event of result.events) {
        if (event.type !== 'mmp_trigger') continue;
        mmpTriggers += 1;
        events.push({
          type: 'mmp_trigger',
          time_ms: event.timestampMs,
          cancelled: event.cancelledOrderIds.length,
        });
      }
    }
  };
  const requote = (step: number, atMs: number): void => {
    dropsUntil(atMs);
    // A requote sent while the connection is down never arrives; one sent while MMP is frozen
    // is refused by the venue (the quoter does not send it).
    if (connectedAt(atMs) === null) return;
    for (const id of live) exchange.cancel(id, MAKER, atMs);
    live = [];
    if (st.mmp !== undefined && exchange.isMmpFrozen(MAKER, baseCurrency, '', atMs)) return;
    const quotes = quoter.quotes(step, path.prices[step] as number, account.position);
    for (const [side, price, allowed] of [
      ['buy', quotes.bid, quotes.quoteBid],
      ['sell', quotes.ask, quotes.quoteAsk],
    ] as const) {
      if (!allowed) continue;
      const r = exchange.submit(
        {
          participant: MAKER,
          instrument: scenario.instrument,
          side,
          amount: quoteSize,
          price,
          postOnly: true,
          connection: connection as string,
          ...(st.mmp === undefined ? {} : { mmp: true }),
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
    if (step > 0 && step % sessionSteps === 0) {
      // A session ends: its inventory and P&L are recorded, and (but for the last) it closes at the mid.
      const pnl = account.markCoin(mid) * mid;
      sessions.final_inventory_usd.push(account.position);
      sessions.pnl_usd.push(pnl - sessionStartPnl);
      if (step < steps) account.flatten(mid);
      sessionStartPnl = account.markCoin(mid) * mid;
    }
    times.push(t);
    mids.push(mid);
    inventory.push(account.position);
    volume.push(account.volume);
    pnlUsd.push(account.markCoin(mid) * mid);
    if (step < steps) pending.push({ atMs: t + latency.outbound(), step });
  }

  return buildReport({
    scenario,
    seed,
    steps,
    takerOrders: takers.length,
    account,
    quoted,
    referencePrice: market.s0,
    times,
    mids,
    inventory,
    volume,
    pnlUsd,
    protection: { mmpTriggers, cancelledOnDisconnect, events },
    sessions,
  });
}
