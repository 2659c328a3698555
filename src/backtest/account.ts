/**
 * A market maker's book-keeping in a backtest and the report built from it. Inverse
 * instruments: amounts in USD, prices in USD; the P&L in coin of fills marked at the mid is
 * `sum side x amount x (1/price - 1/mid) - fees`, in USD that coin P&L times the mid.
 */
import { MS_PER_YEAR } from '../model/time.js';
import type { EstimateFigures } from './exposure.js';
import { fillRatio, markouts, maxDrawdown, sharpeRatio, spreadCaptured, type ReportFill } from './metrics.js';
import type { Scenario } from './scenario.js';

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
  /** Market maker protection triggers, and orders cancelled by cancel-on-disconnect. */
  mmp_triggers: number;
  cancelled_on_disconnect: number;
  /**
   * Sessions (`session_s`): each one's final inventory (before it is closed at the mid) and P&L in
   * USD, and over them the standard deviation of the final inventory and the mean P&L.
   */
  sessions: {
    count: number;
    final_inventory_usd: number[];
    pnl_usd: number[];
    final_inventory_std_usd: number;
    pnl_mean_usd: number;
  };
  /** The online estimates at the end of the run (`strategy.estimate`). */
  estimates?: EstimateFigures;
  /** When a protection fired or the connection dropped or came back, and the quotes it cancelled. */
  protection_events: ProtectionEvent[];
  /**
   * The cancellation rules (`strategy.cancel`, present only with that section): how many
   * decisions each rule fired in (`fired`, the running cool-downs included as `cooldown`), the
   * cancel requests each rule caused (`cancels`; a request pulled by two rules counts for both),
   * all the cancel requests, the requotes forced between steps, and the share of the run's steps
   * during which each side (and either) was pulled.
   */
  cancel_rules?: {
    enabled: boolean;
    fired: Record<string, number>;
    cancels: Record<string, number>;
    cancel_requests: number;
    forced_requotes: number;
    pulled_share: { bid: number; ask: number; any: number };
  };
  /**
   * Rate-limit credits (`rate_limit`, present only with that section): credits spent, requests
   * paid for and refused by kind, the credits left at the end and the lowest balance after a
   * request.
   */
  rate_limit?: {
    credits_spent: number;
    requests: Record<string, number>;
    refused: Record<string, number>;
    final_credits: number;
    min_credits: number;
  };
  /** Why and when the session ended early (the credits ran dry); absent when it ran to the end. */
  session_ended?: { reason: string; at_ms: number; kind: string };
  /** Per step; `volume_usd` is the maker's cumulative traded amount (absent for recorded runs). */
  paths: {
    times_ms: number[];
    mid: number[];
    inventory_usd: number[];
    pnl_usd: number[];
    volume_usd?: number[];
  };
}

/** A market maker protection trigger, a connection drop (with cancel-on-disconnect's cancels) or a reconnection. */
export interface ProtectionEvent {
  type: 'mmp_trigger' | 'disconnect' | 'reconnect';
  time_ms: number;
  cancelled: number;
}

/** Position, cash and fills of the maker. */
export class MakerAccount {
  /** USD, signed. */
  position = 0;
  feesCoin = 0;
  volume = 0;
  readonly fills: ReportFill[] = [];
  /** sum side x amount / price (coin). */
  private coinIn = 0;

  fill(side: 'buy' | 'sell', price: number, amount: number, feeCoin: number, timestampMs: number): void {
    const signed = side === 'buy' ? amount : -amount;
    this.position += signed;
    this.coinIn += signed / price;
    this.feesCoin += feeCoin;
    this.volume += amount;
    this.fills.push({ timestampMs, side, price, amount });
  }

  /**
   * Closes the position at `mid` as a session ends: no fee, not a fill, no volume; the coin P&L
   * at `mid` is unchanged by it.
   */
  flatten(mid: number): void {
    this.coinIn -= this.position / mid;
    this.position = 0;
  }

  /** The coin P&L of the fills at `mid`, fees paid. */
  markCoin(mid: number): number {
    return this.coinIn - this.position / mid - this.feesCoin;
  }
}

/** What `buildReport` needs of a run. */
export interface RunRecord {
  scenario: Scenario;
  seed: number;
  steps: number;
  takerOrders: number;
  account: MakerAccount;
  /** Amount quoted (the sum of the quotes' sizes). */
  quoted: number;
  /** The price bps figures are relative to (s0, or the first recorded mid). */
  referencePrice: number;
  times: number[];
  mids: number[];
  inventory: number[];
  pnlUsd: number[];
  /** Counts of the protections that fired (0 when the run has none). */
  protection?: { mmpTriggers: number; cancelledOnDisconnect: number; events: ProtectionEvent[] };
  /** Cumulative traded amount per step. */
  volume?: number[];
  /** Each session's final inventory (before it is closed at the mid) and P&L, USD. */
  sessions?: { final_inventory_usd: number[]; pnl_usd: number[] };
  cancelRules?: BacktestReport['cancel_rules'];
  rateLimit?: BacktestReport['rate_limit'];
  sessionEnded?: BacktestReport['session_ended'];
}

function sessionFigures(s: { final_inventory_usd: number[]; pnl_usd: number[] }): BacktestReport['sessions'] {
  const n = s.final_inventory_usd.length;
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
  const m = mean(s.final_inventory_usd);
  const variance = n > 1 ? s.final_inventory_usd.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1) : 0;
  return {
    count: n,
    final_inventory_usd: s.final_inventory_usd,
    pnl_usd: s.pnl_usd,
    final_inventory_std_usd: Math.sqrt(variance),
    pnl_mean_usd: mean(s.pnl_usd),
  };
}

/** The report of a run (see `BacktestReport`). */
export function buildReport(r: RunRecord): BacktestReport {
  const { account, times, mids, inventory, pnlUsd } = r;
  const finalMid = mids[mids.length - 1] as number;
  const pnlCoin = account.markCoin(finalMid);
  const midPath = { timesMs: times, mids };
  const captured = spreadCaptured(account.fills, midPath);
  const marks = markouts(account.fills, midPath, MARKOUT_HORIZONS_MS);
  let sumAbs = 0;
  let maxAbs = 0;
  for (const x of inventory) {
    sumAbs += Math.abs(x);
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  return {
    scenario: r.scenario.name,
    seed: r.seed,
    instrument: r.scenario.instrument,
    strategy: r.scenario.strategy.kind,
    steps: r.steps,
    taker_orders: r.takerOrders,
    fills: account.fills.length,
    volume_usd: account.volume,
    pnl_coin: pnlCoin,
    pnl_usd: pnlCoin * finalMid,
    fees_coin: account.feesCoin,
    sharpe: r.steps >= 2 ? sharpeRatio(pnlUsd, MS_PER_YEAR / r.scenario.stepMs) : 0,
    max_drawdown_usd: maxDrawdown(pnlUsd).drawdown,
    fill_ratio: fillRatio(Math.min(account.volume, r.quoted), r.quoted),
    spread_captured: { price: captured.perUnit, bps: (captured.perUnit / r.referencePrice) * 1e4 },
    markouts: marks.map((m) => ({
      horizon_ms: m.horizonMs,
      price: m.perUnit,
      bps: (m.perUnit / r.referencePrice) * 1e4,
      volume_usd: m.volume,
    })),
    inventory_usd: { final: account.position, mean_abs: sumAbs / inventory.length, max_abs: maxAbs },
    hedges: 0,
    hedging_cost_usd: 0,
    mmp_triggers: r.protection?.mmpTriggers ?? 0,
    cancelled_on_disconnect: r.protection?.cancelledOnDisconnect ?? 0,
    protection_events: r.protection?.events ?? [],
    ...(r.cancelRules === undefined ? {} : { cancel_rules: r.cancelRules }),
    ...(r.rateLimit === undefined ? {} : { rate_limit: r.rateLimit }),
    ...(r.sessionEnded === undefined ? {} : { session_ended: r.sessionEnded }),
    sessions: sessionFigures(
      r.sessions ?? { final_inventory_usd: [account.position], pnl_usd: [pnlCoin * finalMid] },
    ),
    paths: {
      times_ms: times,
      mid: mids,
      inventory_usd: inventory,
      pnl_usd: pnlUsd,
      ...(r.volume === undefined ? {} : { volume_usd: r.volume }),
    },
  };
}
