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
import { CancelRules, type QuoteSide, type RuleName } from '../strategy/cancel-rules.js';
import { RateBudget, type RequestKind } from '../strategy/rate-budget.js';
import { buildReport, MakerAccount, type BacktestReport, type ProtectionEvent } from './account.js';
import { OnlineEstimates } from './exposure.js';
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

/**
 * What a run can tell an observer as it goes (tests): each order placed (the side, when the
 * request was sent and when it landed), each pull of a side by the cancellation rules (from,
 * until), and the credits after each request paid for.
 */
export interface RunProbe {
  onQuote?: (side: QuoteSide, sentMs: number, placedMs: number) => void;
  onPull?: (side: QuoteSide, fromMs: number, untilMs: number, rules: RuleName[]) => void;
  onCredits?: (credits: number, timeMs: number, kind: RequestKind) => void;
}

const RULES: readonly RuleName[] = [
  'underlying_moved',
  'surface_moved',
  'imbalance',
  'markout',
  'vpin',
  'fill_burst',
  'stale',
  'window',
  'cooldown',
];

/** Runs `scenario` with `seed` (default the scenario's). */
export function runBacktest(scenario: Scenario, seed = scenario.seed, probe: RunProbe = {}): BacktestReport {
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
  // Online estimation (`strategy.estimate`): the prior A is the strategy's `a`, else 1 a second.
  const online =
    st.estimate === undefined
      ? undefined
      : new OnlineEstimates(st.estimate, { A: st.a ?? 1, k: st.k }, exchange, quoter);
  const account = new MakerAccount();
  let quoted = 0;
  /** Resting quotes, bid before ask. */
  let live: { side: QuoteSide; id: string }[] = [];
  // Cancellation rules (`strategy.cancel`): fed the mid each step, every trade and own fill;
  // asked after each own fill and each step. Disabled: counted (zeros) but never consulted.
  const rules = st.cancel?.enabled === true ? new CancelRules(st.cancel.rules) : undefined;
  const fired = Object.fromEntries(RULES.map((r) => [r, 0])) as Record<RuleName, number>;
  const cancelsByRule = Object.fromEntries(RULES.map((r) => [r, 0])) as Record<RuleName, number>;
  let cancelRequests = 0;
  let forcedRequotes = 0;
  const pulledSteps = { bid: 0, ask: 0, any: 0 };
  /** A side pulled by the rules is not quoted before this time, ms. */
  const pulledUntil: Record<QuoteSide, number> = { bid: -Infinity, ask: -Infinity };
  /** Rule cancels in flight: arrival time and the sides; after any requote sent before them (FIFO). */
  const pendingCancels: { atMs: number; sides: QuoteSide[] }[] = [];
  // Rate-limit credits (`rate_limit`): every request paid for; a cancel refused ends the session.
  const rl = scenario.rateLimit;
  const budget =
    rl === undefined
      ? undefined
      : new RateBudget({
          maxCredits: rl.maxCredits,
          refillPerSecond: rl.refillPerSecond,
          costs: rl.costs,
          reserve: rl.reserve,
          startMs: scenario.startMs,
        });
  let creditsSpent = 0;
  let minCredits = rl === undefined ? 0 : rl.maxCredits;
  let ended: { reason: string; at_ms: number; kind: RequestKind } | undefined;
  /** Pays for a request (always true without a budget); a refused cancel ends the session. */
  const pay = (kind: RequestKind, t: number): boolean => {
    if (budget === undefined) return true;
    if (ended !== undefined) return false;
    const r = budget.request(kind, t);
    if (r.ok) {
      creditsSpent += budget.cost(kind);
      minCredits = Math.min(minCredits, r.credits);
      probe.onCredits?.(r.credits, t, kind);
    } else if (budget.state === 'exhausted') endSession(t);
    return r.ok;
  };
  const rulesOnFill = (fill: Fill): void => {
    if (rules === undefined) return;
    const t = fill.timestampMs;
    rules.onTrade(scenario.instrument, t, fill.price, fill.amount, fill.takerSide);
    if (fill.makerParticipant === MAKER)
      rules.onOwnFill(
        scenario.instrument,
        t,
        fill.takerSide === 'sell' ? 'bid' : 'ask',
        fill.price,
        fill.amount,
      );
  };
  const onFill = (fill: Fill): void => {
    rulesOnFill(fill);
    if (fill.makerParticipant !== MAKER) return;
    online?.filled(fill.makerOrderId);
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
  function endSession(t: number): void {
    const why = budget?.exhaustedReason;
    ended = {
      reason: why?.detail ?? 'rate-limit credits exhausted',
      at_ms: why?.atMs ?? t,
      kind: why?.kind ?? 'cancel',
    };
    // The venue ends the session: cancel-on-disconnect (when on) cancels what rests.
    if (connection !== null) {
      const cancelled = exchange.disconnect(connection, t).length;
      online?.sweep(t);
      cancelledOnDisconnect += cancelled;
      events.push({ type: 'disconnect', time_ms: t, cancelled });
      connection = null;
    }
    live = [];
  }
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
      if (d === undefined || ended !== undefined) return;
      if (connection !== null && d.downMs <= t) {
        const cancelled = exchange.disconnect(connection, d.downMs).length;
        online?.sweep(d.downMs);
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
  const pending: { atMs: number; step: number; sentMs: number; pulled?: Record<QuoteSide, boolean> }[] = [];
  let nextTaker = 0;
  const midAtTime = (t: number): number => {
    const i = Math.min(steps, Math.max(0, Math.floor((t - scenario.startMs) / scenario.stepMs)));
    return path.prices[i] as number;
  };
  /** Rule cancels that land by `t`: the pulled sides' resting quotes go. */
  const cancelsUntil = (t: number): void => {
    while (pendingCancels.length > 0 && (pendingCancels[0] as { atMs: number }).atMs <= t) {
      const c = pendingCancels.shift() as { atMs: number; sides: QuoteSide[] };
      dropsUntil(c.atMs);
      if (connection === null) continue;
      live = live.filter((o) => {
        if (!c.sides.includes(o.side)) return true;
        exchange.cancel(o.id, MAKER, c.atMs);
        return false;
      });
      online?.sweep(c.atMs);
    }
  };
  /** Whether a quote on `side` is resting or on its way. */
  const quoting = (side: QuoteSide): boolean =>
    live.some((o) => o.side === side) || pending.some((p) => p.pulled === undefined || !p.pulled[side]);
  /** Asks the rules at `t` and acts: pulls sides (cancels after the latency), or forces a requote. Returns the sides pulled now. */
  const consult = (t: number, step: number, atStep: boolean): Record<QuoteSide, boolean> => {
    const now = { bid: false, ask: false };
    if (rules === undefined || ended !== undefined) return now;
    const d = rules.decide(scenario.instrument, t);
    for (const h of d.hits) fired[h.rule] += 1;
    if (d.action === 'requote') {
      // The step's own requote goes out anyway; between steps one is sent now.
      if (!atStep && pay('requote', t)) {
        forcedRequotes += 1;
        const atMs = t + latency.outbound();
        let i = pending.length;
        while (i > 0 && (pending[i - 1] as { atMs: number }).atMs > atMs) i -= 1;
        pending.splice(i, 0, {
          atMs,
          step,
          sentMs: t,
          pulled: { bid: pulledUntil.bid > t, ask: pulledUntil.ask > t },
        });
        rules.onQuoteSent(scenario.instrument, t);
      }
      return now;
    }
    if (d.action !== 'cancel') return now;
    const until = d.untilMs ?? t;
    const send: QuoteSide[] = [];
    for (const side of ['bid', 'ask'] as const) {
      if (d.sides !== 'both' && d.sides !== side) continue;
      now[side] = true;
      const fresh = pulledUntil[side] <= t;
      if (until > pulledUntil[side]) {
        const by = d.hits
          .filter((h) => h.action === 'cancel' && (h.sides === 'both' || h.sides === side))
          .map((h) => h.rule);
        probe.onPull?.(side, t, until, by);
        pulledUntil[side] = until;
      }
      if (fresh && quoting(side)) send.push(side);
    }
    if (send.length > 0) {
      const lastSent = pending.reduce((m, p) => Math.max(m, p.atMs), -Infinity);
      const atMs = Math.max(t + latency.outbound(), lastSent);
      for (const side of send) {
        if (!pay('cancel', t)) return now;
        cancelRequests += 1;
        for (const h of d.hits)
          if (h.action === 'cancel' && (h.sides === 'both' || h.sides === side)) cancelsByRule[h.rule] += 1;
      }
      let i = pendingCancels.length;
      while (i > 0 && (pendingCancels[i - 1] as { atMs: number }).atMs > atMs) i -= 1;
      pendingCancels.splice(i, 0, { atMs, sides: send });
    }
    return now;
  };
  const fireTakersUntil = (t: number): void => {
    while (nextTaker < takers.length && (takers[nextTaker] as TakerOrder).timestampMs <= t) {
      const o = takers[nextTaker] as TakerOrder;
      cancelsUntil(o.timestampMs);
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
      online?.sweep(o.timestampMs);
      if (rules !== undefined && result.fills.some((fill) => fill.makerParticipant === MAKER))
        consult(
          o.timestampMs,
          Math.min(steps, Math.max(0, Math.floor((o.timestampMs - scenario.startMs) / scenario.stepMs))),
          false,
        );
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
    cancelsUntil(t);
  };
  const requote = (step: number, atMs: number, sentMs: number, pulled?: Record<QuoteSide, boolean>): void => {
    dropsUntil(atMs);
    // A requote sent while the connection is down never arrives; one sent while MMP is frozen
    // is refused by the venue (the quoter does not send it). After the session ended, nothing.
    if (ended !== undefined || connectedAt(atMs) === null) return;
    const frozen = st.mmp !== undefined && exchange.isMmpFrozen(MAKER, baseCurrency, '', atMs);
    const quotes = frozen ? undefined : quoter.quotes(step, path.prices[step] as number, account.position);
    const wanted: Record<QuoteSide, boolean> = {
      bid: quotes !== undefined && quotes.quoteBid && pulled?.bid !== true,
      ask: quotes !== undefined && quotes.quoteAsk && pulled?.ask !== true,
    };
    // Each side: a resting quote is replaced (a requote) or cancelled; a new one is a quote.
    // Requotes and quotes stop at the reserve (the resting quote stays); a cancel refused ends the session.
    const place: Record<QuoteSide, boolean> = { bid: false, ask: false };
    const keep = new Set<string>();
    for (const side of ['bid', 'ask'] as const) {
      const resting = live.find((o) => o.side === side);
      if (wanted[side]) {
        if (pay(resting === undefined ? 'quote' : 'requote', atMs)) place[side] = true;
        else if (resting !== undefined) keep.add(resting.id);
      } else if (resting !== undefined && !pay('cancel', atMs)) return;
    }
    if (ended !== undefined) return;
    for (const o of live) if (!keep.has(o.id)) exchange.cancel(o.id, MAKER, atMs);
    live = live.filter((o) => keep.has(o.id));
    online?.sweep(atMs);
    if (quotes === undefined) return;
    for (const [side, price] of [
      ['buy', quotes.bid],
      ['sell', quotes.ask],
    ] as const) {
      const ours: QuoteSide = side === 'buy' ? 'bid' : 'ask';
      if (!place[ours]) continue;
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
        live.push({ side: ours, id: r.order.orderId });
        online?.placed(r.order.orderId, Math.abs(price - (path.prices[step] as number)), atMs);
        live.sort((a, b) => (a.side === b.side ? 0 : a.side === 'bid' ? -1 : 1));
        quoted += quoteSize;
        probe.onQuote?.(ours, sentMs, atMs);
      }
      for (const fill of r.fills) onFill(fill);
    }
  };

  for (let step = 0; step <= steps; step++) {
    const t = scenario.startMs + step * scenario.stepMs;
    // Everything due before this step's time: takers and the requotes that arrive in between.
    while (pending.length > 0 && (pending[0] as { atMs: number }).atMs <= t) {
      const p = pending.shift() as (typeof pending)[number];
      fireTakersUntil(p.atMs - 1e-9);
      requote(p.step, p.atMs, p.sentMs, p.pulled);
    }
    fireTakersUntil(t);
    const mid = path.prices[step] as number;
    if (online !== undefined) {
      online.sweep(t);
      online.tick(t, mid);
    }
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
    let pulledNow: Record<QuoteSide, boolean> | undefined;
    if (rules !== undefined) {
      rules.onMid(scenario.instrument, t, mid);
      const now = consult(t, step, true);
      pulledNow = { bid: now.bid || pulledUntil.bid > t, ask: now.ask || pulledUntil.ask > t };
    }
    if (st.cancel !== undefined && step < steps) {
      const bid = pulledUntil.bid > t;
      const ask = pulledUntil.ask > t;
      pulledSteps.bid += bid ? 1 : 0;
      pulledSteps.ask += ask ? 1 : 0;
      pulledSteps.any += bid || ask ? 1 : 0;
    }
    if (step < steps && ended === undefined) {
      rules?.onQuoteSent(scenario.instrument, t);
      pending.push(
        pulledNow === undefined
          ? { atMs: t + latency.outbound(), step, sentMs: t }
          : { atMs: t + latency.outbound(), step, sentMs: t, pulled: pulledNow },
      );
    }
  }

  const report = buildReport({
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
    ...(st.cancel === undefined
      ? {}
      : {
          cancelRules: {
            enabled: st.cancel.enabled,
            fired,
            cancels: cancelsByRule,
            cancel_requests: cancelRequests,
            forced_requotes: forcedRequotes,
            pulled_share: {
              bid: pulledSteps.bid / Math.max(steps, 1),
              ask: pulledSteps.ask / Math.max(steps, 1),
              any: pulledSteps.any / Math.max(steps, 1),
            },
          },
        }),
    ...(budget === undefined
      ? {}
      : {
          rateLimit: {
            credits_spent: creditsSpent,
            requests: budget.counts().spent,
            refused: budget.counts().refused,
            final_credits: budget.credits(endMs),
            min_credits: minCredits,
          },
        }),
    ...(ended === undefined ? {} : { sessionEnded: ended }),
  });
  return online === undefined ? report : { ...report, estimates: online.figures() };
}
