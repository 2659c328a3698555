/**
 * The ledger: inventory events folded into positions, P&L, cash, fees and funding, the same
 * for any order of arrival.
 *
 * Each instrument keeps its events in canonical order (timestamp, sequence, id) and its state
 * is their fold (`position.ts`). An event that arrives in order is applied to the state; a late
 * one is inserted and the instrument is refolded from its first event, so the state equals the
 * in-order one. Cash is the sum of each instrument's contributions and of the account's own
 * movements (deposits, withdrawals, transfers): integer sums, so their order does not matter.
 * An option delivered physically adds a conversion to its future's fold, which is refolded with
 * it. The same venue and id twice changes nothing and is reported as a duplicate.
 *
 * Pure: no I/O, no clock. The journal (`src/store/`) persists the events and replays them here.
 */
import { InputError } from '../model/errors.js';
import { EventIndex } from './event-index.js';
import {
  decodeLedgerSnapshot,
  encodeLedgerSnapshot,
  type EventKey,
  type LedgerSnapshotState,
} from './ledger-snapshot.js';
import {
  compareEvents,
  isInstrumentEvent,
  validateEvent,
  type InstrumentEvent,
  type InventoryEvent,
  type MarkEvent,
} from './events.js';
import { eventFromJson, eventToJson } from './event-json.js';
import { ZERO, type Money } from './money.js';
import {
  addTo,
  applyStep,
  averagePrice,
  conversionFuture,
  newPosition,
  sessionUnrealizedPnl,
  toMoney,
  unrealizedPnl,
  valueAt,
  type Conversion,
  type PositionState,
  type PositionStep,
} from './position.js';

/** What `apply` did with an event. */
export interface ApplyResult {
  status: 'applied' | 'duplicate';
  /** For a duplicate: whether it has the same content as the event already applied. */
  identical?: boolean;
  /** Instruments refolded because the event was late (empty when applied in order). */
  refolded: string[];
}

/** A summary of `applyAll`. */
export interface ApplyAllResult {
  applied: number;
  /** Events already in the ledger (same venue and id), in the order given. */
  duplicates: InventoryEvent[];
  /** Duplicates whose content differs from the event already applied. */
  conflicts: InventoryEvent[];
}

/** One position as the ledger shows it. */
export interface PositionView {
  instrument: string;
  settlementCurrency: string;
  /** Signed, in the venue's unit. */
  amount: Money;
  /** In the instrument's price currency; null when flat. */
  averagePrice: Money | null;
  realizedPnl: Money;
  sessionRealizedPnl: Money;
  fundingReceived: Money;
  fills: number;
}

/**
 * Where a ledger restored from a snapshot finds the events the snapshot folded (the journal:
 * `journalHistory` in `src/store/ledger-history.ts`).
 */
export interface LedgerHistory {
  /** The event with this venue and id if the snapshot folded it: applying it again is a duplicate. */
  covered(venue: string, id: string): InventoryEvent | undefined;
  /** The events of `instrument` the snapshot folded, in canonical order. */
  events(instrument: string): Iterable<InventoryEvent>;
}

/** Money by currency code. */
export type ByCurrency = Record<string, Money>;

/** Mark prices by instrument name, in each instrument's price currency. */
export type Marks = Readonly<Record<string, Money>>;

export class Ledger {
  /** Every event applied, found by venue and id (`event-index.ts`). */
  private readonly events = new EventIndex();
  private readonly streams = new Map<string, InstrumentEvent[]>();
  private readonly states = new Map<string, PositionState>();
  /** Conversions into each future, by the option delivery's key. */
  private readonly conversions = new Map<string, Map<string, Conversion>>();
  private readonly accountCash = new Map<string, Money>();
  private readonly markEvents: MarkEvent[] = [];
  /** Events folded into the snapshot this ledger was restored from (0 for a fresh one). */
  private snapshotEvents = 0;
  private history: LedgerHistory | undefined;
  /**
   * Instruments restored from a snapshot whose folded events are not in `streams`: the key of
   * the last of them. Their history is read when a late event makes them refold.
   */
  private readonly restored = new Map<string, EventKey>();

  /**
   * The fold as snapshot text (`ledger-snapshot.ts`), for `JournalStore.saveSnapshot`: states,
   * not events, so its size follows the instruments, not the fills.
   */
  snapshot(): string {
    const state: LedgerSnapshotState = {
      events: this.eventCount,
      accountCash: this.accountCash,
      instruments: [...this.states.values()].map((position) => {
        const stream = this.streams.get(position.instrument);
        const lastEvent = stream?.[stream.length - 1];
        return { state: position, last: lastEvent ?? this.restored.get(position.instrument) ?? null };
      }),
      conversions: this.conversions,
      marks: this.markEvents,
    };
    return encodeLedgerSnapshot(state);
  }

  /**
   * A ledger from a snapshot's text (`snapshot()`), to which the journal's tail (the events after
   * the snapshot) is then applied. `history` reads the journal for what the snapshot folded: an
   * event it covers is a duplicate, and an instrument that must refold (a late event) reads its
   * folded events back. The state after the tail equals a fold of the whole journal.
   */
  static fromSnapshot(text: string, history: LedgerHistory): Ledger {
    const snapshot = decodeLedgerSnapshot(text);
    const ledger = new Ledger();
    ledger.history = history;
    ledger.snapshotEvents = snapshot.events;
    for (const [ccy, amount] of snapshot.accountCash) ledger.accountCash.set(ccy, amount);
    for (const { state, last } of snapshot.instruments) {
      ledger.states.set(state.instrument, state);
      if (last !== null) ledger.restored.set(state.instrument, last);
    }
    for (const [future, byKey] of snapshot.conversions) ledger.conversions.set(future, byKey);
    ledger.markEvents.push(...snapshot.marks);
    return ledger;
  }

  /**
   * Applies one event. Throws `InputError` (naming the field) for an invalid event, and then
   * changes nothing. Returns whether it was applied or a duplicate, and what was refolded.
   */
  apply(event: InventoryEvent): ApplyResult {
    validateEvent(event);
    return this.applyValid(event);
  }

  /**
   * Applies events in their JSON form, as the journal stores them (`JournalStore.replayBodies`),
   * in the order given: the rebuild of a ledger from its journal. Each event is read and
   * validated once, by `eventFromJson`, and not validated again by `apply` (a third of the cost
   * of a replay went into the two validations). Throws `InputError` naming the event's index
   * and field for a body that does not hold a valid event; the events before it stay applied.
   */
  applyJson(bodies: Iterable<string>): ApplyAllResult {
    const result: ApplyAllResult = { applied: 0, duplicates: [], conflicts: [] };
    let index = 0;
    for (const body of bodies) {
      let event: InventoryEvent;
      try {
        event = eventFromJson(body);
      } catch (error) {
        if (error instanceof InputError) {
          throw new InputError(`events[${index}].${error.field}`, error.value, error.expected);
        }
        throw error;
      }
      const outcome = this.applyValid(event);
      if (outcome.status === 'applied') {
        result.applied += 1;
      } else {
        result.duplicates.push(event);
        if (outcome.identical === false) result.conflicts.push(event);
      }
      index += 1;
    }
    return result;
  }

  /** `apply` of an event already validated. */
  private applyValid(event: InventoryEvent): ApplyResult {
    const previous = this.history?.covered(event.venue, event.id) ?? this.events.addIfAbsent(event);
    if (previous !== undefined) {
      return { status: 'duplicate', identical: sameContent(previous, event), refolded: [] };
    }
    if (isInstrumentEvent(event)) return this.applyInstrumentEvent(event);
    switch (event.type) {
      case 'deposit':
        addTo(this.accountCash, event.currency, event.amount);
        break;
      case 'withdrawal':
        addTo(this.accountCash, event.currency, -event.amount);
        break;
      case 'transfer':
        addTo(this.accountCash, event.currency, event.amount);
        break;
      case 'mark':
        insertSorted(this.markEvents, event);
        break;
    }
    return { status: 'applied', refolded: [] };
  }

  /** Applies events in the order given (any order gives the same state); validates each first. */
  applyAll(events: Iterable<InventoryEvent>): ApplyAllResult {
    const list = [...events];
    list.forEach((event, index) => {
      try {
        validateEvent(event);
      } catch (error) {
        if (error instanceof InputError) {
          throw new InputError(`events[${index}].${error.field}`, error.value, error.expected);
        }
        throw error;
      }
    });
    const result: ApplyAllResult = { applied: 0, duplicates: [], conflicts: [] };
    for (const event of list) {
      const outcome = this.apply(event);
      if (outcome.status === 'applied') {
        result.applied += 1;
      } else {
        result.duplicates.push(event);
        if (outcome.identical === false) result.conflicts.push(event);
      }
    }
    return result;
  }

  /** Number of distinct events applied. */
  get eventCount(): number {
    return this.snapshotEvents + this.events.size;
  }

  /** Whether an event with this venue and id has been applied. */
  has(venue: string, id: string): boolean {
    return this.events.get(venue, id) !== undefined || this.history?.covered(venue, id) !== undefined;
  }

  /** The position of one instrument (flat and empty if it never traded). */
  position(instrument: string): PositionView {
    return view(this.states.get(instrument) ?? newPosition(instrument));
  }

  /** Every instrument the ledger has seen, by name; `openOnly` keeps non-zero amounts. */
  positions(openOnly = false): PositionView[] {
    return [...this.states.values()]
      .filter((state) => !openOnly || state.amount !== ZERO)
      .map(view)
      .sort((a, b) => (a.instrument < b.instrument ? -1 : a.instrument > b.instrument ? 1 : 0));
  }

  /** Cash balance by currency after settlements (not equity): premiums, fees, settled P&L, deliveries, transfers. */
  cash(): ByCurrency {
    const total = new Map(this.accountCash);
    for (const state of this.states.values())
      for (const [ccy, amount] of state.cash) addTo(total, ccy, amount);
    return toRecord(total);
  }

  /** Fees paid by currency (rebates negative), trading and delivery. */
  feesPaid(): ByCurrency {
    return this.sumBy((state) => state.feesPaid);
  }

  /** Perpetual funding received (paid negative) by settlement currency. */
  fundingReceived(): ByCurrency {
    return this.sumBy((state) => new Map([[state.settlementCurrency, state.fundingReceived]]));
  }

  /** Trading P&L realized over the instruments' lives, by settlement currency (fees and funding excluded). */
  realizedPnl(): ByCurrency {
    return this.sumBy((state) => new Map([[state.settlementCurrency, state.realizedPnl]]));
  }

  /**
   * Unrealized P&L of open positions at `marks`, by settlement currency. Throws `InputError` on
   * `marks.<instrument>` when an open position has no mark.
   */
  unrealizedPnl(marks: Marks): ByCurrency {
    return this.sumBy((state) =>
      state.amount === ZERO
        ? new Map()
        : new Map([[state.settlementCurrency, unrealizedPnl(state, markOf(marks, state.instrument))]]),
    );
  }

  /**
   * Mark-to-market value by currency at `marks`: cash, plus futures' unsettled session P&L
   * (realized and unrealized at the mark), plus options' value at the mark (amount x price).
   */
  equity(marks: Marks): ByCurrency {
    const total = new Map(Object.entries(this.cash()));
    for (const state of this.states.values()) {
      const ccy = state.settlementCurrency;
      if (state.booking === 'option') {
        if (state.amount !== ZERO)
          addTo(total, ccy, toMoney(valueAt('option', state.amount, markOf(marks, state.instrument))));
      } else {
        addTo(total, ccy, state.sessionRealizedPnl);
        if (state.amount !== ZERO)
          addTo(total, ccy, sessionUnrealizedPnl(state, markOf(marks, state.instrument)));
      }
    }
    return toRecord(total);
  }

  /** The mark events applied, in canonical order. */
  marks(): readonly MarkEvent[] {
    return this.markEvents;
  }

  private applyInstrumentEvent(event: InstrumentEvent): ApplyResult {
    let stream = this.streams.get(event.instrument);
    if (stream === undefined) {
      stream = [];
      this.streams.set(event.instrument, stream);
    }
    const last = stream[stream.length - 1] ?? this.restored.get(event.instrument);
    const inOrder = last === undefined || compareEvents(last, event) < 0;
    const pending = this.conversions.get(event.instrument);
    const pendingLate =
      pending !== undefined && [...pending.values()].some((c) => c.timestampMs > event.timestampMs);
    if (inOrder && !pendingLate) {
      stream.push(event);
      let state = this.states.get(event.instrument);
      if (state === undefined) {
        state = newPosition(event.instrument);
        this.states.set(event.instrument, state);
      }
      const before = state.conversions.length;
      applyStep(state, event);
      const refolded: string[] = [];
      if (state.conversions.length > before) this.routeConversions(state, refolded);
      return { status: 'applied', refolded };
    }
    this.loadHistory(event.instrument);
    insertSorted(this.streams.get(event.instrument) ?? stream, event);
    const refolded: string[] = [];
    this.refold(event.instrument, refolded);
    return { status: 'applied', refolded };
  }

  /** For an instrument restored from a snapshot: its folded events read back, before the later ones. */
  private loadHistory(instrument: string): void {
    if (this.history === undefined || !this.restored.has(instrument)) return;
    const folded = [...this.history.events(instrument)];
    for (const event of folded) {
      if (!isInstrumentEvent(event) || event.instrument !== instrument) {
        throw new Error(`the history of ${instrument} holds ${event.type} ${event.venue}/${event.id}`);
      }
    }
    const later = this.streams.get(instrument) ?? [];
    this.streams.set(instrument, [...(folded as InstrumentEvent[]), ...later]);
    this.restored.delete(instrument);
  }

  /** Refolds one instrument from its events and conversions; cascades to a future it converts into. */
  private refold(instrument: string, refolded: string[]): void {
    this.loadHistory(instrument);
    const state = newPosition(instrument);
    for (const step of this.steps(instrument)) applyStep(state, step);
    this.states.set(instrument, state);
    refolded.push(instrument);
    this.routeConversions(state, refolded);
  }

  /** The fold's steps: events in canonical order, each conversion before events at or after its time. */
  private steps(instrument: string): PositionStep[] {
    const events = this.streams.get(instrument) ?? [];
    const conversions = [...(this.conversions.get(instrument)?.values() ?? [])].sort(compareConversions);
    const steps: PositionStep[] = [];
    let next = 0;
    for (const event of events) {
      while (
        next < conversions.length &&
        (conversions[next] as Conversion).timestampMs <= event.timestampMs
      ) {
        steps.push({ ...(conversions[next] as Conversion), type: 'conversion' });
        next += 1;
      }
      steps.push(event);
    }
    for (; next < conversions.length; next += 1)
      steps.push({ ...(conversions[next] as Conversion), type: 'conversion' });
    return steps;
  }

  /**
   * Records an option's conversions in its future (replacing what an earlier fold of the option
   * routed there) and refolds the future when they changed.
   */
  private routeConversions(state: PositionState, refolded: string[]): void {
    const future = conversionFuture(state.instrument);
    if (future === null) return;
    const existing = this.conversions.get(future) ?? new Map<string, Conversion>();
    const wanted = new Map(state.conversions.map((conversion) => [conversion.key, conversion]));
    let changed = false;
    for (const [key, old] of existing) {
      if (old.source === state.instrument && !wanted.has(key)) {
        existing.delete(key);
        changed = true;
      }
    }
    for (const [key, conversion] of wanted) {
      const old = existing.get(key);
      if (old === undefined || old.amount !== conversion.amount || old.price !== conversion.price) {
        existing.set(key, conversion);
        changed = true;
      }
    }
    this.conversions.set(future, existing);
    if (changed) this.refold(future, refolded);
  }

  private sumBy(pick: (state: PositionState) => Map<string, Money>): ByCurrency {
    const total = new Map<string, Money>();
    for (const state of this.states.values())
      for (const [ccy, amount] of pick(state)) addTo(total, ccy, amount);
    return toRecord(total);
  }
}

function view(state: PositionState): PositionView {
  return {
    instrument: state.instrument,
    settlementCurrency: state.settlementCurrency,
    amount: state.amount,
    averagePrice: averagePrice(state),
    realizedPnl: state.realizedPnl,
    sessionRealizedPnl: state.sessionRealizedPnl,
    fundingReceived: state.fundingReceived,
    fills: state.fills,
  };
}

function markOf(marks: Marks, instrument: string): Money {
  const mark = marks[instrument];
  if (typeof mark !== 'bigint' || mark < ZERO) {
    throw new InputError(`marks.${instrument}`, mark, 'a non-negative mark price for an open position');
  }
  return mark;
}

function compareConversions(a: Conversion, b: Conversion): number {
  if (a.timestampMs !== b.timestampMs) return a.timestampMs - b.timestampMs;
  if (a.sequence !== b.sequence) return a.sequence - b.sequence;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** Inserts into a list kept in canonical order (binary search; equal keys cannot occur). */
function insertSorted<E extends InventoryEvent>(list: E[], event: E): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEvents(list[mid] as E, event) < 0) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, event);
}

function sameContent(a: InventoryEvent, b: InventoryEvent): boolean {
  return JSON.stringify(eventToJson(a)) === JSON.stringify(eventToJson(b));
}

function toRecord(map: Map<string, Money>): ByCurrency {
  const out: ByCurrency = {};
  for (const ccy of [...map.keys()].sort()) out[ccy] = map.get(ccy) ?? ZERO;
  return out;
}
