/**
 * Trading states and the layered kill switch.
 *
 * `ACTIVE`: every order the limits accept. `REDUCING`: only orders that reduce the breached
 * exposure (`PreTradeChecker.check(order, true)`). `HALTED`: everything is cancelled and only
 * cancels pass.
 *
 * The state is the most severe of the conditions in force. Each trigger raises a condition:
 * - drawdown from the peak over `drawdown.reducingUsd` (REDUCING) or `drawdown.haltedUsd` (HALTED);
 * - a greek limit breached (`greekBreach`, REDUCING by default), lifted when back within limits;
 * - stale market data (a book gone stale, or no update for `staleAfterMs`): HALTED while stale;
 * - a burst of own fills: `fillBurst.count` fills within `fillBurst.windowMs` (HALTED);
 * - a reconciliation mismatch with the venue (HALTED);
 * - an operator's pause (HALTED).
 * Conditions that describe the present (greek breach, stale data) lift themselves; the others
 * (drawdown, burst, mismatch, pause) are latched until an operator resumes, so that a machine
 * never talks itself back into trading after an incident. Every change of state goes to
 * `onChange` with its reason, for the journal (`stateChangeRecord`).
 *
 * Time is the events' time (`timestampMs` arguments), never the wall clock.
 */
import { InputError } from '../model/errors.js';
import type { JournalRecord } from '../store/journal.js';

export type TradingState = 'ACTIVE' | 'REDUCING' | 'HALTED';

export type StateReason =
  | 'drawdown'
  | 'greek_breach'
  | 'stale_market_data'
  | 'fill_burst'
  | 'reconciliation_mismatch'
  | 'operator_pause'
  | 'operator_resume'
  /** A firm-wide limit breached (the aggregator's firm state, `src/bus/nats/`). */
  | 'firm_limit'
  | 'condition_cleared';

/** A change of trading state. */
export interface StateChange {
  from: TradingState;
  to: TradingState;
  reason: StateReason;
  detail: string;
  timestampMs: number;
  /** 1 for the controller's first change, then increasing (the journal id's number). */
  number: number;
}

export interface KillSwitchConfig {
  drawdown?: { reducingUsd?: number; haltedUsd?: number };
  greekBreach?: 'REDUCING' | 'HALTED';
  /** Market data older than this (ms) is stale; default 5,000. */
  staleAfterMs?: number;
  fillBurst?: { count: number; windowMs: number };
}

const SEVERITY: Record<TradingState, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };
const LATCHED: ReadonlySet<StateReason> = new Set([
  'drawdown',
  'fill_burst',
  'reconciliation_mismatch',
  'operator_pause',
]);

export class TradingController {
  private readonly conditions = new Map<StateReason, { state: TradingState; detail: string }>();
  private current: TradingState = 'ACTIVE';
  private changes = 0;
  private readonly fills: number[] = [];
  private lastData = Number.NaN;
  private readonly staleBooks = new Set<string>();

  constructor(
    private readonly config: KillSwitchConfig = {},
    private readonly onChange: (change: StateChange) => void = () => undefined,
    /** Changes already journaled (to continue their numbering after a restart). */
    journaledChanges = 0,
  ) {
    const burst = config.fillBurst;
    if (burst !== undefined && (!Number.isInteger(burst.count) || burst.count < 1 || !(burst.windowMs > 0))) {
      throw new InputError('fillBurst', burst, 'a count >= 1 and a window in ms > 0');
    }
    this.changes = journaledChanges;
  }

  get state(): TradingState {
    return this.current;
  }

  /** The conditions in force, with their details. */
  reasons(): { reason: StateReason; state: TradingState; detail: string }[] {
    return [...this.conditions].map(([reason, c]) => ({ reason, ...c }));
  }

  /** Whether an order may be sent now (`reducing`: the order reduces the breached exposure). */
  allowsOrder(reducing: boolean): boolean {
    return this.current === 'ACTIVE' || (this.current === 'REDUCING' && reducing);
  }

  /** Cancels always pass. */
  allowsCancel(): boolean {
    return true;
  }

  /** The book's drawdown from its equity peak (USD, >= 0). */
  onDrawdown(drawdownUsd: number, timestampMs: number): void {
    const d = this.config.drawdown;
    if (d === undefined) return;
    const state =
      d.haltedUsd !== undefined && drawdownUsd >= d.haltedUsd
        ? 'HALTED'
        : d.reducingUsd !== undefined && drawdownUsd >= d.reducingUsd
          ? 'REDUCING'
          : undefined;
    if (state === undefined) return;
    const held = this.conditions.get('drawdown');
    if (held !== undefined && SEVERITY[held.state] >= SEVERITY[state]) return;
    this.raise('drawdown', state, `drawdown ${drawdownUsd.toFixed(2)} USD`, timestampMs);
  }

  /** Whether a greek limit is breached now (`names`: which). */
  onGreekLimits(breached: readonly string[], timestampMs: number): void {
    if (breached.length > 0) {
      this.raise(
        'greek_breach',
        this.config.greekBreach ?? 'REDUCING',
        `breached: ${breached.join(', ')}`,
        timestampMs,
      );
    } else {
      this.lift('greek_breach', timestampMs);
    }
  }

  /** Market data arrived (any instrument) at `timestampMs`. */
  onMarketData(timestampMs: number): void {
    this.lastData = Number.isNaN(this.lastData) ? timestampMs : Math.max(this.lastData, timestampMs);
    this.updateStale(timestampMs);
  }

  /** A book went stale (`stale` true) or live again. */
  onBookStatus(instrument: string, stale: boolean, timestampMs: number): void {
    if (stale) this.staleBooks.add(instrument);
    else this.staleBooks.delete(instrument);
    this.updateStale(timestampMs);
  }

  /** The clock moved (a timer event): checks how old the market data is. */
  onTime(timestampMs: number): void {
    this.updateStale(timestampMs);
  }

  /** One of our orders filled at `timestampMs`. */
  onFill(timestampMs: number): void {
    const burst = this.config.fillBurst;
    if (burst === undefined) return;
    this.fills.push(timestampMs);
    while (this.fills.length > 0 && (this.fills[0] as number) <= timestampMs - burst.windowMs)
      this.fills.shift();
    if (this.fills.length >= burst.count) {
      this.raise(
        'fill_burst',
        'HALTED',
        `${this.fills.length} fills within ${burst.windowMs} ms`,
        timestampMs,
      );
    }
  }

  /**
   * The firm-level state the aggregator set for this book: REDUCING or HALTED raise the
   * `firm_limit` condition (not latched: the firm lifts it when back within its limits), ACTIVE
   * lifts it.
   */
  onFirmState(state: TradingState, detail: string, timestampMs: number): void {
    if (state === 'ACTIVE') {
      this.lift('firm_limit', timestampMs);
      return;
    }
    const held = this.conditions.get('firm_limit');
    if (held !== undefined && held.state === state) {
      held.detail = detail;
      return;
    }
    this.raise('firm_limit', state, detail, timestampMs);
  }

  /** A reconciliation with the venue: `matched` false halts, with what differed. */
  onReconciliation(matched: boolean, detail: string, timestampMs: number): void {
    if (!matched) this.raise('reconciliation_mismatch', 'HALTED', detail, timestampMs);
  }

  /** An operator halts trading. */
  pause(operator: string, timestampMs: number): void {
    this.raise('operator_pause', 'HALTED', `paused by ${operator}`, timestampMs);
  }

  /** An operator resumes: every latched condition is lifted; live ones (breach, stale data) stay. */
  resume(operator: string, timestampMs: number): void {
    for (const reason of LATCHED) this.conditions.delete(reason);
    this.settle('operator_resume', `resumed by ${operator}`, timestampMs);
  }

  private updateStale(timestampMs: number): void {
    const limit = this.config.staleAfterMs ?? 5000;
    const old = !Number.isNaN(this.lastData) && timestampMs - this.lastData > limit;
    if (this.staleBooks.size > 0 || old) {
      const detail =
        this.staleBooks.size > 0
          ? `stale books: ${[...this.staleBooks].sort().join(', ')}`
          : `no market data for ${timestampMs - this.lastData} ms`;
      const held = this.conditions.get('stale_market_data');
      if (held === undefined) this.raise('stale_market_data', 'HALTED', detail, timestampMs);
      else held.detail = detail;
    } else {
      this.lift('stale_market_data', timestampMs);
    }
  }

  private raise(reason: StateReason, state: TradingState, detail: string, timestampMs: number): void {
    this.conditions.set(reason, { state, detail });
    this.settle(reason, detail, timestampMs);
  }

  private lift(reason: StateReason, timestampMs: number): void {
    if (!this.conditions.delete(reason)) return;
    this.settle('condition_cleared', `${reason} cleared`, timestampMs);
  }

  private settle(reason: StateReason, detail: string, timestampMs: number): void {
    let next: TradingState = 'ACTIVE';
    for (const c of this.conditions.values()) if (SEVERITY[c.state] > SEVERITY[next]) next = c.state;
    if (next === this.current) return;
    const change: StateChange = {
      from: this.current,
      to: next,
      reason,
      detail,
      timestampMs,
      number: ++this.changes,
    };
    this.current = next;
    this.onChange(change);
  }
}

/** The journal type of a trading-state change. */
export const TRADING_STATE_TYPE = 'trading_state';

/** A state change as a journal record (venue `ballast`, id `state-<number>`). */
export function stateChangeRecord(change: StateChange): JournalRecord {
  return {
    venue: 'ballast',
    id: `state-${change.number}`,
    timestampMs: change.timestampMs,
    sequence: 0,
    type: TRADING_STATE_TYPE,
    instrument: null,
    body: JSON.stringify({ type: TRADING_STATE_TYPE, ...change }),
  };
}
