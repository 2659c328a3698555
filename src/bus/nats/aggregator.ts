/**
 * The firm-wide aggregator (issue 11, Build item 2; `ballast aggregate`).
 *
 * It reads the stream `BALLAST_JOURNAL` (every engine's journal, `ballast.journal.<engine-id>`)
 * through one durable pull consumer (explicit acks: a message is acknowledged once folded, and a
 * message not acknowledged comes again), and folds each engine's inventory events with the
 * inventory's own `Ledger`, one per engine: the ledger is idempotent by (venue, id), so a
 * redelivered or republished record changes nothing. Engines are separate accounts (their venues'
 * trade ids may coincide): the firm's positions and cash are the exact sums (`Money`) of the
 * engines' ledgers. Greeks, the spot x vol stress grid and the portfolio margin across accounts
 * come from the latest tickers seen in the journals (the engines' `input.market` records),
 * computed by the engines' own code (`src/engine/book-risk.ts`) on the firm's summed positions.
 *
 * Firm-wide limits: a limits file (`src/risk/limits/config.ts`'s format), evaluated on the firm's
 * book after each batch folded; measures `position`, `notional_usd`, `delta_coin`, `delta_usd`,
 * `gamma_coin`, `vega_usd`, `theta_usd` (others are reported and ignored). A breached limit's
 * contributing engines are those whose own value in the limit's scope lies on the breached side
 * (same sign as the excess); each gets `REDUCING` (or `breachState`) in the key-value bucket
 * `ballast_firm` under `engine.<engine-id>`, and `ACTIVE` again when the firm is back within its
 * limits. The engines watch their key (`firm-watch.ts`).
 *
 * Restart: the aggregator's fold lives in memory. On start it recreates its durable consumer
 * from the stream's first message and folds everything again (the stream keeps the journals
 * whole); while it runs, the durable consumer carries it across NATS node failures.
 *
 * The firm view is served with the engine's API shape: `Aggregator` is an `EngineHandle`.
 */
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  type KV,
  type NatsConnection,
} from 'nats';
import type {
  CommandResult,
  EngineDetails,
  EngineHandle,
  EngineState,
  InstrumentView,
  OperatorCommand,
} from '../../engine/types.js';
import { eventFromJson } from '../../inventory/event-json.js';
import { EVENT_TYPES } from '../../inventory/events.js';
import { Ledger } from '../../inventory/ledger.js';
import { toNumber, type Money } from '../../inventory/money.js';
import type { MarketEvent, TickerEvent } from '../../market/events.js';
import { formatExpiryCode } from '../../model/expiry-code.js';
import { parseInstrumentName, type ParsedInstrumentName } from '../../model/instrument-name.js';
import {
  bookBreakdown,
  ThrottledMargin,
  unitGreeks,
  type MarkedBook,
  type UnitGreeks,
} from '../../engine/book-risk.js';
import type { LimitSpec, LimitsConfig } from '../../risk/limits/config.js';
import { TRADING_STATE_TYPE, type StateChange } from '../../risk/trading-state.js';
import {
  ensureJournalStream,
  errorText,
  firmBucket,
  firmKey,
  JOURNAL_STREAM,
  JOURNAL_SUBJECT_PREFIX,
  sleep,
  type FirmStateValue,
  type WireRecord,
} from './common.js';

const INVENTORY_TYPES: ReadonlySet<string> = new Set(EVENT_TYPES);
const SUPPORTED_MEASURES: ReadonlySet<string> = new Set([
  'position',
  'notional_usd',
  'delta_coin',
  'delta_usd',
  'gamma_coin',
  'vega_usd',
  'theta_usd',
]);

export interface AggregatorOptions {
  servers?: string[];
  connection?: NatsConnection;
  /** Durable consumer name (default `ballast_aggregator`). */
  durable?: string;
  /** Stream and bucket replicas when the aggregator creates them (default 3). */
  replicas?: number;
  /** Firm-wide limits (none: no firm states are published). */
  limits?: LimitsConfig;
  /** The coin whose options and index the firm's margin is computed in (default BTC). */
  currency?: string;
  /** The state a breach puts the contributing engines in (default REDUCING). */
  breachState?: 'REDUCING' | 'HALTED';
  /** Least time between two limit evaluations while folding, ms (default 20). */
  evaluateEveryMs?: number;
  /** Told of errors it recovers from. */
  onError?: (error: unknown) => void;
  /** Told of each firm state published (wall clock ms of the breach's detection). */
  onFirmState?: (engineId: string, value: FirmStateValue) => void;
  /** Told of each inventory record folded (benchmarks: the lag behind the engine's journal). */
  onInventory?: (engineId: string, record: WireRecord) => void;
}

/** One engine as the aggregator sees it. */
export interface EngineView {
  engineId: string;
  ledger: Ledger;
  /** Highest journal position folded. */
  lastSeq: number;
  /** Messages received (with redeliveries and republished records). */
  messages: number;
  /** Inventory records that changed nothing (already folded). */
  duplicates: number;
  tradingState: EngineState['trading_state'];
  /** Journal time of the latest record. */
  timeMs: number;
}

/** A limit's evaluation on the firm's book. */
export interface FirmLimitRow {
  name: string;
  measure: string;
  current: number;
  min: number;
  max: number;
  breached: boolean;
  /** Each engine's value in the limit's scope. */
  byEngine: Record<string, number>;
  /** Engines on the breached side (empty when within). */
  contributors: string[];
}

export interface AggregatorStats {
  messages: number;
  inventoryApplied: number;
  inventoryDuplicates: number;
  evaluations: number;
  published: number;
  /** Wall ms spent folding (parse, apply, ack). */
  foldMs: number;
}

type Greeks = UnitGreeks;

export class Aggregator implements EngineHandle {
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private kv: KV | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private readonly engines = new Map<string, EngineView>();
  private readonly tickers = new Map<string, TickerEvent>();
  /** The firm's margin, at most once a second (as an engine's). */
  private readonly margin = new ThrottledMargin();
  private readonly names = new Map<string, ParsedInstrumentName>();
  private readonly listeners = new Set<(s: EngineState) => void>();
  private readonly published = new Map<string, FirmStateValue>();
  private readonly wanted = new Map<string, FirmStateValue>();
  private index = Number.NaN;
  private timeMs = 0;
  private lastEvaluation = 0;
  private dirty = false;
  private publishing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rows: FirmLimitRow[] = [];
  private readonly alerts: EngineState['alerts'] = [];
  readonly stats: AggregatorStats = {
    messages: 0,
    inventoryApplied: 0,
    inventoryDuplicates: 0,
    evaluations: 0,
    published: 0,
    foldMs: 0,
  };

  private constructor(private readonly options: AggregatorOptions) {
    for (const spec of options.limits?.limits ?? [])
      if (!SUPPORTED_MEASURES.has(spec.measure))
        this.alert('limits', `${spec.name}: measure ${spec.measure} is not evaluated firm-wide`);
  }

  /** Connects, (re)creates the durable consumer from the stream's start and starts folding. */
  static async start(options: AggregatorOptions): Promise<Aggregator> {
    const a = new Aggregator(options);
    a.nc =
      options.connection ??
      (await connect({
        servers: options.servers ?? [],
        name: 'ballast-aggregator',
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        waitOnFirstConnect: true,
      }));
    const replicas = options.replicas ?? 3;
    const jsm = await a.nc.jetstreamManager();
    await ensureJournalStream(jsm, replicas);
    const durable = options.durable ?? 'ballast_aggregator';
    // The fold is in memory: start it again from the stream's first message.
    await jsm.consumers.delete(JOURNAL_STREAM, durable).catch(() => undefined);
    await jsm.consumers.add(JOURNAL_STREAM, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${JOURNAL_SUBJECT_PREFIX}.>`,
      max_ack_pending: 20_000,
      ack_wait: 30_000_000_000,
      num_replicas: replicas,
    });
    a.js = a.nc.jetstream();
    a.kv = await firmBucket(a.nc, replicas);
    a.loop = a.run(durable);
    a.timer = setInterval(() => a.evaluateIfDirty(), options.evaluateEveryMs ?? 20);
    a.timer.unref?.();
    return a;
  }

  private async run(durable: string): Promise<void> {
    while (!this.stopped) {
      try {
        const consumer = await this.js!.consumers.get(JOURNAL_STREAM, durable);
        const messages = await consumer.consume({ max_messages: 2000 });
        this.messages = messages;
        for await (const m of messages) {
          this.fold(m);
          if (this.stopped) break;
        }
      } catch (error) {
        this.options.onError?.(new Error(`aggregator consume: ${errorText(error)}`));
      }
      if (!this.stopped) await sleep(200);
    }
  }

  /** Folds one message and acknowledges it. */
  private fold(m: JsMsg): void {
    const started = performance.now();
    this.stats.messages += 1;
    const engineId = m.subject.slice(JOURNAL_SUBJECT_PREFIX.length + 1);
    try {
      const record = JSON.parse(new TextDecoder().decode(m.data)) as WireRecord;
      const view = this.engine(engineId);
      view.messages += 1;
      if (record.seq > view.lastSeq) view.lastSeq = record.seq;
      if (record.timestampMs > view.timeMs) view.timeMs = record.timestampMs;
      if (record.timestampMs > this.timeMs) this.timeMs = record.timestampMs;
      if (INVENTORY_TYPES.has(record.type)) {
        const outcome = view.ledger.apply(eventFromJson(record.body));
        this.options.onInventory?.(engineId, record);
        if (outcome.status === 'applied') {
          this.stats.inventoryApplied += 1;
          this.dirty = true;
        } else {
          view.duplicates += 1;
          this.stats.inventoryDuplicates += 1;
        }
      } else if (record.type === 'input.market' && record.body.includes('"ticker"')) {
        const event = (JSON.parse(record.body) as { event: MarketEvent }).event;
        if (event.type === 'ticker') {
          const held = this.tickers.get(event.instrument);
          if (held === undefined || held.timestampMs <= event.timestampMs)
            this.tickers.set(event.instrument, event);
          if (event.indexPrice !== undefined && event.indexPrice > 0) this.index = event.indexPrice;
        }
      } else if (record.type === TRADING_STATE_TYPE) {
        view.tradingState = (JSON.parse(record.body) as StateChange).to;
      }
    } catch (error) {
      this.alert('record', `${engineId}: ${errorText(error)}`);
    }
    m.ack();
    this.stats.foldMs += performance.now() - started;
    if (this.dirty && performance.now() - this.lastEvaluation >= (this.options.evaluateEveryMs ?? 20))
      this.evaluateIfDirty();
  }

  private engine(engineId: string): EngineView {
    let view = this.engines.get(engineId);
    if (view === undefined) {
      view = {
        engineId,
        ledger: new Ledger(),
        lastSeq: 0,
        messages: 0,
        duplicates: 0,
        tradingState: 'ACTIVE',
        timeMs: 0,
      };
      this.engines.set(engineId, view);
    }
    return view;
  }

  // ------------------------------------------------------------------ the firm's book

  /** Every engine seen, by id. */
  engineViews(): EngineView[] {
    return [...this.engines.values()].sort((a, b) => (a.engineId < b.engineId ? -1 : 1));
  }

  /** Distinct inventory events folded, over all engines. */
  get eventCount(): number {
    let n = 0;
    for (const v of this.engines.values()) n += v.ledger.eventCount;
    return n;
  }

  /** The firm's positions (exact sums of the engines'), instrument -> amount; zero sums left out. */
  firmPositions(): Map<string, Money> {
    const out = new Map<string, Money>();
    for (const v of this.engines.values())
      for (const p of v.ledger.positions(true))
        out.set(p.instrument, (out.get(p.instrument) ?? 0n) + p.amount);
    for (const [k, a] of out) if (a === 0n) out.delete(k);
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The firm's cash by currency (exact sums of the engines'). */
  firmCash(): Map<string, Money> {
    const out = new Map<string, Money>();
    for (const v of this.engines.values())
      for (const [ccy, amount] of Object.entries(v.ledger.cash()))
        out.set(ccy, (out.get(ccy) ?? 0n) + amount);
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  private nameOf(instrument: string): ParsedInstrumentName | undefined {
    let name = this.names.get(instrument);
    if (name === undefined) {
      try {
        name = parseInstrumentName(instrument);
      } catch {
        return undefined;
      }
      this.names.set(instrument, name);
    }
    return name;
  }

  /** Per-unit greeks of an instrument at the latest ticker (options: Black-76 at the mark vol). */
  private unitGreeks(instrument: string, name: ParsedInstrumentName): Greeks | undefined {
    return unitGreeks(name, this.tickers.get(instrument), this.index, this.timeMs);
  }

  /** The latest ticker per instrument seen in the journals: the firm's marks. */
  marks(): ReadonlyMap<string, TickerEvent> {
    return this.tickers;
  }

  private get currency(): string {
    return this.options.currency ?? 'BTC';
  }

  /** The firm's book as marked (`src/engine/book-risk.ts`, the engines' own risk code). */
  private markedBook(): MarkedBook {
    return {
      positions: [...this.firmPositions()].map(([instrument, amount]) => ({
        instrument,
        amount: toNumber(amount),
      })),
      tickers: this.tickers,
      index: this.index,
      currency: this.currency,
      nowMs: this.timeMs,
    };
  }

  private inScope(spec: LimitSpec, instrument: string, name: ParsedInstrumentName): boolean {
    const s = spec.scope;
    if (s.instrument !== undefined && s.instrument !== instrument) return false;
    if (s.underlying !== undefined && name.base !== s.underlying) return false;
    if (
      s.expiry !== undefined &&
      (name.kind === 'perpetual' || name.kind === 'spot' || formatExpiryCode(name.expiryMs) !== s.expiry)
    )
      return false;
    if (
      s.strikeBucket !== undefined &&
      (name.kind !== 'option' || name.strike < s.strikeBucket[0] || name.strike > s.strikeBucket[1])
    )
      return false;
    return true;
  }

  /** One engine's value of a limit's measure (NaN: not computable). */
  private measure(spec: LimitSpec, ledger: Ledger): number {
    let value = 0;
    for (const p of ledger.positions(true)) {
      const name = this.nameOf(p.instrument);
      if (name === undefined || !this.inScope(spec, p.instrument, name)) continue;
      const amount = toNumber(p.amount);
      switch (spec.measure) {
        case 'position':
          value += amount;
          break;
        case 'notional_usd':
          value +=
            name.kind === 'option' ? Math.abs(amount) * (this.index > 0 ? this.index : 0) : Math.abs(amount);
          break;
        default: {
          const g = this.unitGreeks(p.instrument, name);
          if (g === undefined) continue;
          if (spec.measure === 'delta_coin') value += amount * g.delta;
          else if (spec.measure === 'delta_usd') value += amount * g.delta * this.index;
          else if (spec.measure === 'gamma_coin') value += amount * g.gamma;
          else if (spec.measure === 'vega_usd') value += amount * g.vega;
          else if (spec.measure === 'theta_usd') value += amount * g.theta;
        }
      }
    }
    return value;
  }

  /** The firm's book greeks (coin delta, gamma, vega USD/vol pt, theta USD/day). */
  firmGreeks(): Greeks {
    const out: Greeks = { delta: 0, gamma: 0, vega: 0, theta: 0 };
    for (const [instrument, amount] of this.firmPositions()) {
      const name = this.nameOf(instrument);
      const g = name === undefined ? undefined : this.unitGreeks(instrument, name);
      if (g === undefined) continue;
      const a = toNumber(amount);
      out.delta += a * g.delta;
      out.gamma += a * g.gamma;
      out.vega += a * g.vega;
      out.theta += a * g.theta;
    }
    return out;
  }

  /** The firm limits as last evaluated. */
  limitRows(): readonly FirmLimitRow[] {
    return this.rows;
  }

  private evaluateIfDirty(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.evaluate();
  }

  /** Evaluates the firm limits now; publishes the engines' firm states that changed. */
  evaluate(): void {
    this.lastEvaluation = performance.now();
    this.stats.evaluations += 1;
    const specs = (this.options.limits?.limits ?? []).filter((s) => SUPPORTED_MEASURES.has(s.measure));
    const rows: FirmLimitRow[] = [];
    const reasons = new Map<string, string[]>();
    for (const spec of specs) {
      const byEngine: Record<string, number> = {};
      let current = 0;
      for (const v of this.engines.values()) {
        const x = this.measure(spec, v.ledger);
        byEngine[v.engineId] = x;
        current += x;
      }
      const over = current > spec.max;
      const under = current < spec.min;
      const contributors =
        over || under
          ? Object.entries(byEngine)
              .filter(([, x]) => (over ? x > 0 : x < 0))
              .map(([id]) => id)
              .sort()
          : [];
      rows.push({
        name: spec.name,
        measure: spec.measure,
        current,
        min: spec.min,
        max: spec.max,
        breached: over || under,
        byEngine,
        contributors,
      });
      for (const id of contributors) {
        const list = reasons.get(id) ?? [];
        list.push(`${spec.name} ${current.toFixed(4)} outside [${spec.min}, ${spec.max}]`);
        reasons.set(id, list);
      }
    }
    this.rows = rows;
    if (this.options.limits === undefined) return;
    const now = Date.now();
    for (const id of this.engines.keys()) {
      const list = reasons.get(id);
      const state = list === undefined ? 'ACTIVE' : (this.options.breachState ?? 'REDUCING');
      const held = this.wanted.get(id) ?? this.published.get(id);
      if (held?.state === state) continue;
      if (held === undefined && state === 'ACTIVE') continue;
      this.wanted.set(id, {
        state,
        detail: list?.join('; ') ?? '',
        detected_ms: now,
        events: this.eventCount,
      });
    }
    this.publish();
    if (this.listeners.size > 0) {
      const s = this.state();
      for (const l of this.listeners) l(s);
    }
  }

  /** Writes the wanted firm states to the bucket (retried on the next evaluation after a failure). */
  private publish(): void {
    if (this.publishing !== undefined || this.wanted.size === 0) return;
    const kv = this.kv;
    if (kv === undefined) return;
    this.publishing = (async () => {
      for (const [id, value] of [...this.wanted]) {
        try {
          await kv.put(firmKey(id), new TextEncoder().encode(JSON.stringify(value)));
          if (this.wanted.get(id) === value) this.wanted.delete(id);
          this.published.set(id, value);
          this.stats.published += 1;
          this.options.onFirmState?.(id, value);
        } catch (error) {
          this.options.onError?.(new Error(`firm state ${id}: ${errorText(error)}`));
          this.dirty = true;
        }
      }
    })().finally(() => {
      this.publishing = undefined;
      if (this.wanted.size > 0) this.dirty = true;
    });
  }

  /** The firm state published for an engine, if any. */
  firmState(engineId: string): FirmStateValue | undefined {
    return this.published.get(engineId);
  }

  /** Waits until the fold has had no message for `quietMs` and `until()` holds (or times out). */
  async settle(until: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (Date.now() > deadline) throw new Error('aggregator: not settled in time');
      await sleep(25);
    }
    this.evaluate();
    await this.publishing;
  }

  // ------------------------------------------------------------------ EngineHandle

  private alert(kind: string, message: string): void {
    this.alerts.push({ time_ms: this.timeMs, kind, message });
    if (this.alerts.length > 50) this.alerts.shift();
  }

  state(): EngineState {
    const greeks = this.firmGreeks();
    const coin: Record<string, number> = {};
    for (const [ccy, amount] of this.firmCash()) coin[ccy] = toNumber(amount);
    let worst: EngineState['trading_state'] = 'ACTIVE';
    const reasons: string[] = [];
    for (const v of this.engineViews()) {
      const firm = this.published.get(v.engineId);
      for (const s of [v.tradingState, firm?.state ?? 'ACTIVE'])
        if (s === 'HALTED' || (s === 'REDUCING' && worst === 'ACTIVE')) worst = s;
      if (v.tradingState !== 'ACTIVE') reasons.push(`${v.engineId}: ${v.tradingState}`);
      if (firm !== undefined && firm.state !== 'ACTIVE')
        reasons.push(`firm_limit ${v.engineId}: ${firm.detail}`);
    }
    return {
      trading_state: worst,
      trading_reasons: reasons,
      time_ms: this.timeMs,
      venue: 'firm',
      connection: this.nc !== undefined && !this.nc.isClosed() ? 'up' : 'down',
      positions: [...this.firmPositions()].map(([instrument, amount]) => ({
        instrument,
        amount: toNumber(amount),
      })),
      greeks: { firm: greeks },
      pnl: {
        coin,
        usd: Number.isFinite(this.index) ? (coin['BTC'] ?? 0) * this.index + (coin['USD'] ?? 0) : 0,
      },
      orders: [],
      limits: this.rows.map((r) => {
        const bound = Math.max(Math.abs(r.min), Math.abs(r.max));
        return {
          name: r.name,
          measure: r.measure,
          current: r.current,
          limit: bound,
          use: bound > 0 ? Math.abs(r.current) / bound : 0,
        };
      }),
      hedges: { count: 0, cost_usd: 0 },
      alerts: [...this.alerts],
      // Throttled by the wall clock: the journals' time stands still once the engines stop,
      // while late records can still change the book.
      margin: this.margin.get(performance.now(), () => this.markedBook()),
    };
  }

  subscribe(listener: (state: EngineState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  command(command: OperatorCommand): Promise<CommandResult> {
    return Promise.resolve({
      accepted: false,
      trading_state: this.state().trading_state,
      detail: `the aggregator takes no operator commands (${command.type}): send them to an engine`,
    });
  }

  details(): EngineDetails {
    return {
      time_ms: this.timeMs,
      index: Number.isFinite(this.index) ? this.index : null,
      ...bookBreakdown(this.markedBook()),
      smiles: [],
      term: [],
      attribution: null,
    };
  }

  instrument(name: string): InstrumentView | null {
    const amount = this.firmPositions().get(name);
    if (amount === undefined && !this.tickers.has(name)) return null;
    const t = this.tickers.get(name);
    return {
      instrument: name,
      time_ms: this.timeMs,
      bids: [],
      asks: [],
      book_status: null,
      ticker:
        t === undefined
          ? null
          : {
              mark_price: t.markPrice ?? null,
              mark_iv: t.markIv ?? null,
              bid_iv: t.bidIv ?? null,
              ask_iv: t.askIv ?? null,
            },
      orders: [],
      fills: [],
      position: amount === undefined ? 0 : toNumber(amount),
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.messages?.stop();
    await this.loop;
    await this.publishing;
    if (this.options.connection === undefined) await this.nc?.close();
  }
}
