/**
 * The engine's loop (issue 9, Build item 1): one process, one thread of application.
 *
 * Inputs arrive from the venue adapter (market data, orders, fills, connection changes), from a
 * timer and from the operator (the API). They queue; the loop takes everything queued, journals
 * it in one transaction (a group commit: under load a batch holds all that arrived while the
 * previous one was written), then applies each input to the core in that order, journals what
 * the core produced (the commands it is about to send, its trading-state changes) and only then
 * hands the commands to the venue. A fill the journal already holds (the same venue and trade id)
 * is not applied again.
 *
 * Restart: the ledger comes back from its snapshot plus the journal after it; the orders the
 * engine had sent come back as pending from the journaled commands and the venue's answers
 * (the venue's own view, asked on connecting, settles them); the trading state's changes keep
 * their numbering, and a book that was HALTED by a latched condition (a kill, a pause, a
 * mismatch) stays HALTED until the operator resumes it.
 *
 * Time: the core reads none. The loop stamps timers and operator commands with `clock()`: the
 * wall clock live, the simulated venue's clock on paper.
 */
import { journalHistory, restoreLedger, saveLedgerSnapshot } from './journaled-ledger.js';
import { Ledger } from '../inventory/ledger.js';
import { EngineCore, type CoreConfig } from './core.js';
import { ENGINE_VENUE, INPUT_TYPE_PREFIX, inputRecord } from './inputs.js';
import { TRADING_STATE_TYPE, type StateChange } from '../risk/trading-state.js';
import type { JournalRecord, JournalStore } from '../store/journal.js';
import type {
  CommandResult,
  EngineDetails,
  EngineHandle,
  EngineInput,
  EngineState,
  InstrumentView,
  OperatorCommand,
  VenueAdapter,
  VenueCommand,
  VenueOrder,
} from './types.js';

/** The journal type of a command the engine sent. */
export const COMMAND_TYPE = 'output.command';

export interface EngineOptions {
  core: CoreConfig;
  journal: JournalStore;
  venue: VenueAdapter;
  /** The time stamped on timers and operator commands (default `Date.now`). */
  clock?: () => number;
  /** Timer period, ms (default 1,000); 0: no timer (a test drives time). */
  timerMs?: number;
  /** Save a ledger snapshot after this many fills (default 1,000). */
  snapshotEveryFills?: number;
  /** Distinguishes this run's input ids in the journal (default: the clock at open, base 36). */
  runId?: string;
  /**
   * Called for every input of a batch once the batch is journaled, applied and its commands are
   * handed to the venue: `latencyMs` from the input's arrival (`push`); `stats` counts the batch.
   * For measurement (the soak benchmark); changes nothing.
   */
  onApplied?: (input: EngineInput, latencyMs: number) => void;
}

/** What the loop measured. */
export interface LoopStats {
  inputs: number;
  batches: number;
  duplicates: number;
  commands: number;
  /** Input arrival to its commands handed to the venue, ms (the latest batch's worst). */
  lastBatchLatencyMs: number;
}

export class Engine implements EngineHandle {
  readonly core: EngineCore;
  private readonly queue: { input: EngineInput; arrivedMs: number; requestId?: string }[] = [];
  private readonly waiting = new Map<string, (r: CommandResult) => void>();
  private readonly listeners = new Set<(s: EngineState) => void>();
  private readonly clock: () => number;
  private readonly runId: string;
  private numbered = 0;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private fillsSinceSnapshot = 0;
  private requests = 0;
  /** Commands decided while opening (a halt restored), sent once the venue is up. */
  private readonly startup: VenueCommand[] = [];
  readonly stats: LoopStats = { inputs: 0, batches: 0, duplicates: 0, commands: 0, lastBatchLatencyMs: 0 };

  private constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? Date.now;
    // Input ids only need to differ between runs: the wall clock at open (not the core's time).
    this.runId = options.runId ?? Date.now().toString(36);
    const journal = options.journal;
    const { ledger } = restoreLedger(journal);
    const stateChanges = journal.count({ types: [TRADING_STATE_TYPE] });
    this.core = new EngineCore(options.core, { ledger, stateChanges });
    this.restoreOrders();
    this.restoreTradingState();
  }

  /** Opens an engine on a journal: restores what it held; `start` connects. */
  static open(options: EngineOptions): Engine {
    return new Engine(options);
  }

  /** Connects the venue and starts the timer. */
  async start(): Promise<void> {
    this.running = true;
    await this.options.venue.start((input) => this.push(input));
    for (const c of this.startup.splice(0)) this.options.venue.send(c);
    const period = this.options.timerMs ?? 1000;
    if (period > 0) {
      this.timer = setInterval(() => this.push({ kind: 'timer', timestampMs: this.clock() }), period);
      this.timer.unref?.();
    }
  }

  /** Queues an input (from the venue, the timer or a test). */
  push(input: EngineInput, requestId?: string): void {
    this.queue.push(
      requestId === undefined
        ? { input, arrivedMs: performance.now() }
        : { input, arrivedMs: performance.now(), requestId },
    );
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Journals and applies everything queued (also called by tests and on stop). */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.queue.length);
    const journal = this.options.journal;
    const records = batch.map((b) => inputRecord(b.input, `${this.runId}-${++this.numbered}`));
    const { duplicates } = journal.append(records);
    const dup = new Set(duplicates.map((r) => `${r.venue}\u0000${r.id}`));
    const out: JournalRecord[] = [];
    const commands: VenueCommand[] = [];
    for (const [i, b] of batch.entries()) {
      const r = records[i] as JournalRecord;
      if ((b.input.kind === 'fill' || b.input.kind === 'delivery') && dup.has(`${r.venue}\u0000${r.id}`)) {
        this.stats.duplicates += 1;
        dup.delete(`${r.venue}\u0000${r.id}`); // a repeat inside the batch: the first one applies
        continue;
      }
      const outcome = this.core.apply(b.input);
      if (b.input.kind === 'fill') this.fillsSinceSnapshot += 1;
      out.push(...outcome.records);
      for (const c of outcome.commands) {
        commands.push(c);
        out.push(this.commandRecord(c, this.core.time));
      }
      if (b.requestId !== undefined && outcome.result !== undefined) {
        this.waiting.get(b.requestId)?.(outcome.result);
        this.waiting.delete(b.requestId);
      }
    }
    if (out.length > 0) journal.append(out);
    for (const c of commands) this.options.venue.send(c);
    const now = performance.now();
    let worst = 0;
    for (const b of batch) worst = Math.max(worst, now - b.arrivedMs);
    this.stats.inputs += batch.length;
    this.stats.batches += 1;
    this.stats.commands += commands.length;
    this.stats.lastBatchLatencyMs = worst;
    const onApplied = this.options.onApplied;
    if (onApplied !== undefined) for (const b of batch) onApplied(b.input, now - b.arrivedMs);
    if (this.fillsSinceSnapshot >= (this.options.snapshotEveryFills ?? 1000)) this.snapshot(false);
    if (this.listeners.size > 0) {
      const state = this.core.state();
      for (const l of this.listeners) l(state);
    }
  }

  private commandRecord(command: VenueCommand, timestampMs: number): JournalRecord {
    return {
      venue: ENGINE_VENUE,
      id: `${this.runId}-c${++this.numbered}`,
      timestampMs: Number.isFinite(timestampMs) ? Math.floor(timestampMs) : 0,
      sequence: 0,
      type: COMMAND_TYPE,
      instrument: 'instrument' in command ? command.instrument : null,
      body: JSON.stringify(command),
    };
  }

  /**
   * Saves the ledger's snapshot (the journal holds everything it covers). `checked` (the default,
   * and at stop): first compare the ledger's event count with the journal's, a scan of the whole
   * journal; the periodic snapshots of a running loop skip it (the loop applied every inventory
   * event it journaled, so the count holds by construction), or each would cost more as the
   * journal grows (~0.1 s at 500,000 records).
   */
  snapshot(checked = true): void {
    if (checked) saveLedgerSnapshot(this.options.journal, this.core.ledger);
    else {
      // The running ledger keeps every event it applied; the one restored from the snapshot
      // holds the state and reads what the snapshot covers back from the journal when it needs
      // it (a duplicate, a late event): memory stays flat on a long run.
      const journal = this.options.journal;
      const coversSeq = journal.lastSeq();
      const state = this.core.ledger.snapshot();
      journal.saveSnapshot({ coversSeq, state });
      this.core.replaceLedger(Ledger.fromSnapshot(state, journalHistory(journal, coversSeq)));
    }
    this.fillsSinceSnapshot = 0;
  }

  state(): EngineState {
    return this.core.state();
  }

  details(): EngineDetails {
    return this.core.details();
  }

  instrument(name: string): InstrumentView | null {
    return this.core.instrument(name);
  }

  subscribe(listener: (state: EngineState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  command(command: OperatorCommand): Promise<CommandResult> {
    const requestId = `op-${this.runId}-${++this.requests}`;
    const done = new Promise<CommandResult>((resolve) => this.waiting.set(requestId, resolve));
    this.push({ kind: 'operator', timestampMs: this.clock(), requestId, command }, requestId);
    if (!this.running) this.flush();
    return done;
  }

  /** Stops the timer and the venue, applies what is queued, saves a snapshot. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.running = false;
    this.flush();
    await this.options.venue.stop();
    this.flush();
    this.snapshot();
  }

  // ------------------------------------------------------------------ restart

  private restoreOrders(): void {
    const journal = this.options.journal;
    const orders = this.core.orders;
    for (const r of journal.replay({
      order: 'append',
      types: [
        COMMAND_TYPE,
        `${INPUT_TYPE_PREFIX}order`,
        `${INPUT_TYPE_PREFIX}reject`,
        `${INPUT_TYPE_PREFIX}mmp_trigger`,
      ],
    })) {
      if (r.type === `${INPUT_TYPE_PREFIX}mmp_trigger`) {
        this.core.restoreMmpTrigger(JSON.parse(r.body) as Extract<EngineInput, { kind: 'mmp_trigger' }>);
      } else if (r.type === COMMAND_TYPE) {
        const c = JSON.parse(r.body) as VenueCommand;
        if (c.kind === 'place')
          orders.restorePlace(c, r.timestampMs, c.postOnly === true ? 'quote' : 'hedge');
        else if (c.kind === 'mass_quote') orders.restoreMassQuote(c, r.timestampMs);
        else if (c.kind === 'reset_mmp') this.core.restoreMmpReset(c.index, c.group);
      } else if (r.type === `${INPUT_TYPE_PREFIX}order`) {
        orders.onOrder((JSON.parse(r.body) as { order: VenueOrder }).order);
      } else {
        const x = JSON.parse(r.body) as {
          clientOrderId: string;
          code: number;
          message: string;
          timestampMs: number;
        };
        orders.onReject(x.clientOrderId, x.code, x.message, x.timestampMs);
      }
    }
  }

  private restoreTradingState(): void {
    let last: StateChange | undefined;
    for (const r of this.options.journal.replay({ order: 'append', types: [TRADING_STATE_TYPE] })) {
      last = JSON.parse(r.body) as StateChange;
    }
    // Latched conditions only: a live one (stale data, a greek breach, the firm's limits) is
    // derived again from what arrives after the restart.
    const latched = ['drawdown', 'fill_burst', 'reconciliation_mismatch', 'operator_pause'];
    if (last !== undefined && last.to === 'HALTED' && latched.includes(last.reason)) {
      // A halt a person must lift: it survives the restart.
      this.core.controller.pause(
        `restart: HALTED before it (${last.reason}: ${last.detail})`,
        last.timestampMs,
      );
      // The state change it made is journaled; a cancel-all goes out once the venue is connected.
      const outcome = this.core.apply({ kind: 'timer', timestampMs: last.timestampMs });
      if (outcome.records.length > 0) this.options.journal.append(outcome.records);
      this.startup.push(this.core.orders.cancelAll('restart while HALTED', last.timestampMs, true));
    }
  }
}
