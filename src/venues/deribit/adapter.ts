/**
 * The Deribit venue adapter: the engine's `VenueAdapter` over Deribit's JSON-RPC WebSocket API.
 *
 * Two connections. The main one carries market data, the account's notifications and every
 * order request; a second, independent one is kept authenticated for the kill path only
 * (`cancel_all` with `killPath`, or any `cancel_all` while the main one is not `up`), so that
 * quotes can be pulled when the main connection is in doubt.
 *
 * On start and on every reconnect of the main connection, in order: `public/auth`
 * (client_credentials), `public/set_heartbeat`, `private/enable_cancel_on_disconnect`
 * (scope `connection`), `private/subscribe` to the books, tickers, trades and the account's
 * orders, trades, portfolio and MMP triggers, then reconciliation: the open orders
 * (`private/get_open_orders_by_currency`), the positions (`private/get_positions`) and the
 * account's trades since the last reconciled one (`private/get_user_trades_by_currency`,
 * ascending, following `has_more`), which go to the sink as `fill` inputs (the loop dedupes by
 * trade id) before one `account` input. Only then is the connection reported `up`. Requests
 * whose outcome the lost connection left unknown are asked about by label afterwards.
 *
 * The reconciliation starts from the last trade id of the previous reconciliation, never from
 * the last notified trade: a fill that was never notified (a position changed behind our back)
 * is fetched even when later fills were notified.
 *
 * Books: `change_id` / `prev_change_id` are checked per instrument; a gap emits a `connection`
 * input `in_doubt` (reason `book gap ...`), drops the book's changes and resubscribes for a fresh
 * snapshot; the snapshot emits `up` (reason `book resynced ...`).
 *
 * Tokens: every successful `public/auth` (either grant) schedules, per connection, a refresh at
 * 80% of its `expires_in` (`grant_type: refresh_token` with the refresh token of that grant); a
 * failed refresh falls back to client_credentials; if that fails too, the connection is reported
 * `in_doubt` (the engine pulls the quotes through the kill path) and dropped, and the usual
 * reconnect authenticates afresh. The timers are unref'd and cleared when the connection closes.
 * The tokens live only in the closure of their connection's session.
 *
 * Inputs carry the venue's timestamps (trades, orders, books); connection inputs and rejects
 * carry the adapter's clock (`now`). The client secret (and the tokens the venue returns) are
 * redacted from every log line and every error text the adapter produces.
 *
 * Message shapes: docs.deribit.com (pages cited in `rpc.ts`, `orders.ts` and beside each call).
 */
import type { EngineInput, VenueAdapter, VenueCommand, VenueOrder } from '../../engine/types.js';
import type { FillEvent } from '../../inventory/events.js';
import { fillFromUserTrade } from '../../inventory/venue/user-trades.js';
import { parseDeribitNotification } from '../../market/recorded/deribit-jsonl.js';
import { backoffDelay, currencyOf, orderFromVenue } from './orders.js';
import { quoteSlotId } from '../../engine/order-manager.js';
import {
  DERIBIT_ERRORS,
  DeribitRpc,
  DeribitRpcError,
  RpcClosedError,
  RpcTimeoutError,
  silentLogger,
  type Logger,
} from './rpc.js';

export const DERIBIT_TESTNET_URL = 'wss://test.deribit.com/ws/api/v2';
export const DERIBIT_MAINNET_URL = 'wss://www.deribit.com/ws/api/v2';

export interface DeribitAdapterConfig {
  /** `DERIBIT_TESTNET_URL`, `DERIBIT_MAINNET_URL`, or a fake's `ws://127.0.0.1:port`. */
  url: string;
  clientId: string;
  /** Never logged: redacted from every log line and error text. */
  clientSecret: string;
  /** Instruments whose book, ticker and trades are subscribed. */
  instruments: string[];
  /** Account currencies (default: those of the instruments). */
  currencies?: string[];
  /** Instrument kinds of the account channels (default future and option). */
  kinds?: string[];
  /** MMP index names for `user.mmp_trigger` (default `{currency}_usd`, lower case). */
  indexNames?: string[];
  /** `raw` or `100ms` (default `100ms`). */
  bookInterval?: string;
  /** Seconds (Deribit requires at least 10; the fake takes less). Default 10. */
  heartbeatIntervalS?: number;
  /** Default 5000. */
  requestTimeoutMs?: number;
  reconnect?: { initialMs: number; maxMs: number; factor?: number };
  /** For the backoff's jitter: seeded or injected. Default Math.random. */
  random?: () => number;
  /** The adapter's clock, for connection inputs, rejects and the kill reports. */
  now?: () => number;
  logger?: Logger;
  /** The journal's last fill, where the first reconciliation starts (null: from the beginning). */
  lastTradeId?: string | null;
  /** Keep the second connection for the kill path (default true). */
  killPath?: boolean;
  /** Pages of trades fetched per currency per reconciliation (default 100). */
  maxTradePages?: number;
}

/** One `cancel_all`: which connection, when it was asked and answered (adapter clock). */
export interface KillReport {
  reason: string;
  connection: 'main' | 'kill';
  /**
   * When the adapter last told the engine the main connection was in doubt or down (a book gap,
   * a missed heartbeat, a request unanswered, a lost socket), if it has not been up since: the
   * detection this cancel answers. Null when the connection was up (an operator's kill, a halt).
   */
  detectedAtMs: number | null;
  requestedAtMs: number;
  answeredAtMs: number | null;
  /** `answeredAtMs - detectedAtMs`: the time from detection to the quotes cancelled at the venue. */
  detectionToCancelMs: number | null;
  cancelled: number | null;
  error: string | null;
}

/** The venue's margin figures from `private/simulate_portfolio`, and the local estimate's difference. */
export interface MarginComparison {
  currency: string;
  venueInitialMargin: number;
  venueMaintenanceMargin: number;
  localInitialMargin: number;
  /** local - venue. */
  difference: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Tokens kept for redaction (the newest; two per grant, per connection). */
const MAX_REDACTED_TOKENS = 64;

/** A token is refreshed at this fraction of its lifetime. */
const REFRESH_AT = 0.8;

/** The longest delay `setTimeout` takes (a longer one fires at once). */
const MAX_TIMER_MS = 0x7fffffff;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

interface BookState {
  channel: string;
  lastChangeId: number | null;
  synced: boolean;
  resyncing: boolean;
}

export class DeribitAdapter implements VenueAdapter {
  readonly venue = 'deribit';
  private sink: ((input: EngineInput) => void) | null = null;
  private main: DeribitRpc | null = null;
  private kill: DeribitRpc | null = null;
  private stopping = false;
  private ready = false;
  private readonly books = new Map<string, BookState>();
  /** Per currency: the last trade id of the last completed reconciliation. */
  private readonly reconciledThrough = new Map<string, string | null>();
  /** Client order ids whose request's outcome is unknown (timeout, connection lost). */
  private readonly unresolved = new Set<string>();
  /** Client order id -> instrument, for the by-label queries. */
  private readonly labels = new Map<string, string>();
  private readonly portfolios = new Map<string, Json>();
  readonly killReports: KillReport[] = [];
  /** Since when the engine has been told the main connection is in doubt or down (null: up). */
  private doubtSinceMs: number | null = null;
  /**
   * The cancel_all requests not yet answered: new order requests wait for them, so that an order
   * decided after a detection never reaches the venue before the cancel that the detection asked
   * for (the two connections are independent: without this, a quick resync could send a new
   * quote over the main connection ahead of a slow cancel on the kill connection).
   */
  private readonly killsInFlight = new Set<Promise<void>>();
  /** Redaction and the list of secrets live in a closure: an inspected adapter shows neither. */
  private readonly redactor: (text: string) => string;
  private readonly addSecret: (secret: string) => void;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly currencies: string[];
  private readonly settings: Required<
    Pick<
      DeribitAdapterConfig,
      'bookInterval' | 'heartbeatIntervalS' | 'requestTimeoutMs' | 'reconnect' | 'killPath' | 'maxTradePages'
    >
  >;
  /** The credentials, kept out of every enumerable field (an inspected adapter shows no secret). */
  private readonly credentials: () => { client_id: string; client_secret: string };

  constructor(
    private readonly config: Omit<DeribitAdapterConfig, 'clientSecret'> & { clientSecret?: string },
  ) {
    const secret = config.clientSecret ?? '';
    const id = config.clientId;
    this.credentials = () => ({ client_id: id, client_secret: secret });
    const secrets = secret.length > 0 ? [secret] : [];
    // Tokens rotate with every refresh: the newest ones are kept for redaction (an old token
    // is never written anywhere either; the bound only keeps a long run's list short).
    const tokens: string[] = [];
    this.redactor = (text) => {
      let out = text;
      for (const s of secrets) out = out.split(s).join('[redacted]');
      for (const s of tokens) out = out.split(s).join('[redacted]');
      return out;
    };
    this.addSecret = (s) => {
      if (s.length < 8 || secrets.includes(s) || tokens.includes(s)) return;
      tokens.push(s);
      if (tokens.length > MAX_REDACTED_TOKENS) tokens.shift();
    };
    // The configuration object the adapter keeps has no secret in it.
    this.config = { ...config, clientSecret: undefined };
    this.logger = config.logger ?? silentLogger;
    this.now = config.now ?? Date.now;
    this.random = config.random ?? Math.random;
    this.currencies = config.currencies ?? [...new Set(config.instruments.map(currencyOf))];
    this.settings = {
      bookInterval: config.bookInterval ?? '100ms',
      heartbeatIntervalS: config.heartbeatIntervalS ?? 10,
      requestTimeoutMs: config.requestTimeoutMs ?? 5000,
      reconnect: config.reconnect ?? { initialMs: 500, maxMs: 30_000 },
      killPath: config.killPath ?? true,
      maxTradePages: config.maxTradePages ?? 100,
    };
    for (const currency of this.currencies) this.reconciledThrough.set(currency, config.lastTradeId ?? null);
  }

  /** Replaces every secret (client secret, tokens the venue issued) in a text. */
  redact(text: string): string {
    return this.redactor(text);
  }

  async start(sink: (input: EngineInput) => void): Promise<void> {
    this.sink = sink;
    this.stopping = false;
    try {
      await this.openMain();
    } catch (error) {
      throw new Error(`deribit: cannot start: ${this.describe(error)}`, { cause: error });
    }
    if (this.settings.killPath) {
      try {
        await this.openKill();
      } catch (error) {
        this.log('warn', `kill connection: ${this.describe(error)}; retrying`);
        void this.reconnectKill();
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const main = this.main;
    const kill = this.kill;
    this.main = null;
    this.kill = null;
    await Promise.all([main?.close('stopped'), kill?.close('stopped')]);
  }

  /** The main connection's state as the engine last heard it. */
  get connectionState(): 'up' | 'down' | 'in_doubt' {
    const state = this.main?.state ?? 'down';
    if (state === 'connecting') return 'down';
    return state === 'up' && !this.ready ? 'down' : state;
  }

  send(command: VenueCommand): void {
    this.execute(command).catch((error: unknown) => {
      this.log('error', `${command.kind}: ${this.describe(error)}`);
    });
  }

  /** The latest `user.portfolio.{currency}` notification's data, if any. */
  portfolio(currency: string): Json | null {
    return this.portfolios.get(currency) ?? null;
  }

  /**
   * `private/simulate_portfolio` for the current positions (plus `simulated`, if given) and the
   * difference of the local initial-margin estimate from the venue's projection
   * (<https://docs.deribit.com/api-reference/account-management/private-simulate_portfolio>:
   * `projected_initial_margin`, `projected_maintenance_margin`).
   */
  async compareMargin(
    currency: string,
    localInitialMargin: number,
    simulated: Record<string, number> = {},
  ): Promise<MarginComparison> {
    const rpc = this.requireMain('private/simulate_portfolio');
    const result = await rpc.call<Json>('private/simulate_portfolio', {
      currency,
      add_positions: true,
      simulated_positions: simulated,
    });
    const initial = Number(result.projected_initial_margin ?? result.initial_margin);
    const maintenance = Number(result.projected_maintenance_margin ?? result.maintenance_margin);
    return {
      currency,
      venueInitialMargin: initial,
      venueMaintenanceMargin: maintenance,
      localInitialMargin,
      difference: localInitialMargin - initial,
    };
  }

  // ---- connections ----

  private newRpc(name: string): DeribitRpc {
    return new DeribitRpc({
      url: this.config.url,
      name,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      now: this.now,
      logger: this.logger,
      redact: (text) => this.redact(text),
    });
  }

  private async authenticate(rpc: DeribitRpc, name: 'main' | 'kill'): Promise<void> {
    await this.authSession(rpc, name)();
    await rpc.setHeartbeat(this.settings.heartbeatIntervalS);
  }

  /**
   * One connection's authentication; returns the first grant (client_credentials).
   *
   * <https://docs.deribit.com/api-reference/authentication/public-auth>: `grant_type`
   * `client_credentials` (`client_id`, `client_secret`) or `refresh_token` (`refresh_token`: one
   * received from an earlier grant); the answer has `access_token`, `refresh_token` and
   * `expires_in` (the token's lifetime, seconds). An expired token makes private requests fail
   * with 13009 `invalid_token` (<https://docs.deribit.com/articles/errors>), so each grant
   * schedules the next one at 80% of the lifetime. The tokens stay in this closure (never in a
   * field, a log line, an error or an input) and are redacted from every text.
   */
  private authSession(rpc: DeribitRpc, name: 'main' | 'kill'): () => Promise<void> {
    let refreshToken: string | null = null;
    let timer: NodeJS.Timeout | null = null;
    let closed = false;
    rpc.onState((state) => {
      if (state !== 'down') return;
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
    });

    const grant = async (params: Json): Promise<void> => {
      const result = await rpc.call<Json>('public/auth', params);
      for (const field of ['access_token', 'refresh_token']) {
        const token = result[field];
        if (typeof token === 'string') this.addSecret(token);
      }
      refreshToken = typeof result.refresh_token === 'string' ? result.refresh_token : null;
      schedule(Number(result.expires_in));
    };
    const withCredentials = () => grant({ grant_type: 'client_credentials', ...this.credentials() });

    const schedule = (expiresInS: number): void => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (closed) return;
      if (!Number.isFinite(expiresInS) || expiresInS <= 0) {
        this.log('warn', `${name}: public/auth gave no usable expires_in; the token is not refreshed`);
        return;
      }
      const delay = Math.min(MAX_TIMER_MS, Math.max(50, Math.floor(expiresInS * 1000 * REFRESH_AT)));
      timer = setTimeout(() => void refresh(), delay);
      timer.unref();
    };

    const refresh = async (): Promise<void> => {
      timer = null;
      if (closed) return;
      if (refreshToken !== null) {
        try {
          await grant({ grant_type: 'refresh_token', refresh_token: refreshToken });
          this.log('info', `${name}: access token refreshed`);
          return;
        } catch (error) {
          if (closed) return;
          this.log(
            'warn',
            `${name}: token refresh failed: ${this.describe(error)}; authenticating with client credentials`,
          );
        }
      }
      try {
        await withCredentials();
        this.log('info', `${name}: re-authenticated with client credentials`);
      } catch (error) {
        if (closed) return;
        const reason = `authentication lost: token refresh and client credentials failed: ${this.describe(error)}`;
        // As a missed heartbeat: in doubt (the engine pulls the quotes through the kill path),
        // then dropped; the reconnect authenticates afresh.
        rpc.reportInDoubt(reason);
        this.log('warn', `${name}: ${reason}; reconnecting`);
        rpc.terminate(reason);
      }
    };

    return withCredentials;
  }

  private channels(): string[] {
    const out: string[] = [];
    for (const instrument of this.config.instruments) {
      out.push(`book.${instrument}.${this.settings.bookInterval}`);
      out.push(`ticker.${instrument}.100ms`);
      out.push(`trades.${instrument}.raw`);
    }
    const kinds = this.config.kinds ?? ['future', 'option'];
    for (const currency of this.currencies) {
      for (const kind of kinds) {
        out.push(`user.orders.${kind}.${currency}.raw`);
        out.push(`user.trades.${kind}.${currency}.raw`);
      }
      out.push(`user.portfolio.${currency}`);
    }
    const indexes = this.config.indexNames ?? this.currencies.map((c) => `${c.toLowerCase()}_usd`);
    for (const index of indexes) out.push(`user.mmp_trigger.${index}`);
    return out;
  }

  private async openMain(): Promise<void> {
    const rpc = this.newRpc('main');
    this.ready = false;
    this.books.clear();
    rpc.onNotification((channel, data) => this.onNotification(rpc, channel, data));
    rpc.onState((state, reason) => {
      if (this.main !== rpc) return;
      if (state === 'down') {
        const wasReady = this.ready;
        this.ready = false;
        this.emitConnection('down', reason);
        if (!this.stopping && wasReady) void this.reconnectMain();
      } else if (state === 'in_doubt' && this.ready) {
        this.emitConnection('in_doubt', reason);
      } else if (state === 'up' && this.ready) {
        this.emitConnection('up', reason);
      }
    });
    rpc.onHeartbeatMiss((reason) => {
      // A connection that stopped talking is not trusted to come back: the engine has been told
      // (`in_doubt`, and it pulls the quotes through the kill path); drop it and reconnect.
      if (this.main !== rpc) return;
      this.log('warn', `main: ${reason}; reconnecting`);
      rpc.terminate(reason);
    });
    this.main = rpc;
    try {
      await rpc.connect();
      await this.authenticate(rpc, 'main');
      // <https://docs.deribit.com/api-reference/session-management/private-enable_cancel_on_disconnect>
      await rpc.call('private/enable_cancel_on_disconnect', { scope: 'connection' });
      // <https://docs.deribit.com/api-reference/subscription-management/private-subscribe>
      await rpc.call('private/subscribe', { channels: this.channels() });
      await this.reconcile(rpc, null);
      await this.resolveUnknown(rpc);
      if (this.main !== rpc) throw new Error('replaced while connecting');
      this.ready = true;
      this.emitConnection('up', 'connected, authenticated, subscribed and reconciled');
    } catch (error) {
      if (this.main === rpc) this.main = null;
      rpc.terminate('connection sequence failed');
      throw error;
    }
  }

  private async reconnectMain(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      const delay = backoffDelay(attempt, this.settings.reconnect, this.random);
      this.log('info', `main: reconnecting in ${delay} ms (attempt ${attempt + 1})`);
      await sleep(delay);
      if (this.stopping) return;
      try {
        await this.openMain();
        return;
      } catch (error) {
        this.log('warn', `main: reconnect failed: ${this.describe(error)}`);
      }
    }
  }

  private async openKill(): Promise<void> {
    const rpc = this.newRpc('kill');
    rpc.onState((state) => {
      if (state === 'down' && this.kill === rpc && !this.stopping) {
        this.kill = null;
        void this.reconnectKill();
      }
    });
    rpc.onHeartbeatMiss((reason) => rpc.terminate(reason));
    this.kill = rpc;
    try {
      await rpc.connect();
      await this.authenticate(rpc, 'kill');
    } catch (error) {
      if (this.kill === rpc) this.kill = null;
      rpc.terminate('kill connection sequence failed');
      throw error;
    }
  }

  private async reconnectKill(): Promise<void> {
    for (let attempt = 0; !this.stopping && this.kill === null; attempt++) {
      await sleep(backoffDelay(attempt, this.settings.reconnect, this.random));
      if (this.stopping || this.kill !== null) return;
      try {
        await this.openKill();
        return;
      } catch (error) {
        this.log('warn', `kill: reconnect failed: ${this.describe(error)}`);
      }
    }
  }

  // ---- reconciliation ----

  /**
   * Fills since the last reconciliation (or `afterTradeId`), then one `account` input with the
   * positions and open orders.
   */
  private async reconcile(rpc: DeribitRpc, afterTradeId: string | null | undefined): Promise<void> {
    if (afterTradeId !== undefined && afterTradeId !== null) {
      for (const currency of this.currencies) this.reconciledThrough.set(currency, afterTradeId);
    }
    const fills: FillEvent[] = [];
    const positions: { instrument: string; amount: number }[] = [];
    const openOrders: VenueOrder[] = [];
    const through = new Map<string, string | null>();
    let lastFill: FillEvent | null = null;
    for (const currency of this.currencies) {
      // <https://docs.deribit.com/api-reference/trading/private-get_open_orders_by_currency>
      const open = await rpc.call<unknown[]>('private/get_open_orders_by_currency', { currency });
      for (const entry of open) {
        if (isObject(entry)) openOrders.push(orderFromVenue(entry, this.venue));
      }
      // <https://docs.deribit.com/api-reference/account-management/private-get_positions>:
      // `size` signed (negative short), in the instrument's unit.
      const held = await rpc.call<unknown[]>('private/get_positions', { currency });
      for (const entry of held) {
        if (!isObject(entry) || typeof entry.instrument_name !== 'string') continue;
        const size = Number(entry.size);
        if (Number.isFinite(size) && size !== 0)
          positions.push({ instrument: entry.instrument_name, amount: size });
      }
      const after = this.reconciledThrough.get(currency) ?? null;
      let last = after;
      let start = after;
      for (let page = 0; page < this.settings.maxTradePages; page++) {
        // <https://docs.deribit.com/api-reference/trading/private-get_user_trades_by_currency>:
        // `start_id` is the first trade returned (inclusive), `has_more` says another page follows.
        const params: Json = { currency, count: 100, sorting: 'asc' };
        if (start !== null) params.start_id = start;
        const result = await rpc.call<Json>('private/get_user_trades_by_currency', params);
        const trades = Array.isArray(result.trades) ? result.trades : [];
        let fresh = 0;
        for (const entry of trades) {
          if (!isObject(entry)) continue;
          const id = String(entry.trade_id);
          if (id === start || id === after) continue;
          const fill = this.readFill(entry);
          if (fill === null) continue;
          fills.push(fill);
          fresh++;
          last = fill.id;
          if (lastFill === null || fill.timestampMs >= lastFill.timestampMs) lastFill = fill;
        }
        if (result.has_more !== true || fresh === 0) break;
        start = last;
      }
      through.set(currency, last);
    }
    fills.sort((a, b) => a.timestampMs - b.timestampMs || a.sequence - b.sequence);
    for (const fill of fills) this.emit({ kind: 'fill', event: fill });
    for (const [currency, id] of through) this.reconciledThrough.set(currency, id);
    const lastTradeId = lastFill?.id ?? [...through.values()].find((id) => id !== null) ?? null;
    this.emit({
      kind: 'account',
      venue: this.venue,
      timestampMs: this.now(),
      positions,
      openOrders,
      lastTradeId,
    });
  }

  /** After a reconnect: asks for the truth about each request whose outcome was lost. */
  private async resolveUnknown(rpc: DeribitRpc): Promise<void> {
    for (const clientOrderId of [...this.unresolved]) {
      await this.queryByLabel(rpc, clientOrderId);
    }
  }

  private async queryByLabel(rpc: DeribitRpc, clientOrderId: string): Promise<void> {
    const instrument = this.labels.get(clientOrderId);
    const currencies = instrument === undefined ? this.currencies : [currencyOf(instrument)];
    const found: VenueOrder[] = [];
    for (const currency of currencies) {
      // <https://docs.deribit.com/api-reference/trading/private-get_order_state_by_label>: a list.
      const result = await rpc.call<unknown[]>('private/get_order_state_by_label', {
        currency,
        label: clientOrderId,
      });
      for (const entry of result) if (isObject(entry)) found.push(orderFromVenue(entry, this.venue));
    }
    this.unresolved.delete(clientOrderId);
    if (found.length === 0) {
      this.emit({
        kind: 'reject',
        venue: this.venue,
        timestampMs: this.now(),
        clientOrderId,
        code: DERIBIT_ERRORS.ORDER_NOT_FOUND,
        message: 'order_not_found: no order with this label at the venue (the request never arrived)',
      });
      return;
    }
    for (const order of found) this.emit({ kind: 'order', order });
  }

  // ---- notifications ----

  private onNotification(rpc: DeribitRpc, channel: string, data: unknown): void {
    if (this.main !== rpc) return;
    const parts = channel.split('.');
    const head = parts[0];
    if (head === 'user') {
      this.onUserNotification(parts, data);
      return;
    }
    let events;
    try {
      events = parseDeribitNotification(
        { jsonrpc: '2.0', method: 'subscription', params: { channel, data } },
        0,
      );
    } catch (error) {
      this.log('error', `${channel}: ${this.describe(error)}`);
      return;
    }
    if (head !== 'book') {
      for (const event of events) this.emit({ kind: 'market', event });
      return;
    }
    for (const event of events) {
      let book = this.books.get(event.instrument);
      if (book === undefined) {
        book = { channel, lastChangeId: null, synced: false, resyncing: false };
        this.books.set(event.instrument, book);
      }
      if (event.type === 'book_snapshot') {
        book.lastChangeId = event.changeId;
        book.synced = true;
        this.emit({ kind: 'market', event });
        if (book.resyncing) {
          book.resyncing = false;
          this.emitConnection('up', `book resynced ${event.instrument} at change_id ${event.changeId}`);
        }
      } else if (event.type === 'book_change') {
        if (!book.synced) continue;
        if (event.prevChangeId !== book.lastChangeId) {
          book.synced = false;
          book.resyncing = true;
          this.emitConnection(
            'in_doubt',
            `book gap ${event.instrument}: prev_change_id ${event.prevChangeId}, last change_id ${book.lastChangeId}`,
          );
          void this.resubscribe(rpc, book.channel);
          continue;
        }
        book.lastChangeId = event.changeId;
        this.emit({ kind: 'market', event });
      }
    }
  }

  private async resubscribe(rpc: DeribitRpc, channel: string): Promise<void> {
    try {
      await rpc.call('private/unsubscribe', { channels: [channel] });
      await rpc.call('private/subscribe', { channels: [channel] });
    } catch (error) {
      this.log('warn', `resubscribe ${channel}: ${this.describe(error)}`);
    }
  }

  private onUserNotification(parts: string[], data: unknown): void {
    const kind = parts[1];
    const entries = Array.isArray(data) ? data : [data];
    if (kind === 'orders') {
      // <https://docs.deribit.com/subscriptions/user/userorderskindcurrencyraw>: one order (raw).
      for (const entry of entries) {
        if (!isObject(entry)) continue;
        try {
          this.emit({ kind: 'order', order: orderFromVenue(entry, this.venue) });
        } catch (error) {
          this.log('error', `user.orders: ${this.describe(error)}`);
        }
      }
    } else if (kind === 'trades') {
      // <https://docs.deribit.com/subscriptions/user/usertradeskindcurrencyinterval>: a list.
      for (const entry of entries) {
        if (!isObject(entry)) continue;
        const fill = this.readFill(entry);
        if (fill !== null) this.emit({ kind: 'fill', event: fill });
      }
    } else if (kind === 'portfolio') {
      const currency = parts[2];
      if (currency !== undefined && isObject(data)) this.portfolios.set(currency, data);
    } else if (kind === 'mmp_trigger') {
      // <https://docs.deribit.com/subscriptions/user/usermmp_triggerindex_name>: `frozen_until`
      // (ms; 0 = until reset), `index_name`, `mmp_group` (mass quotes only).
      if (!isObject(data)) return;
      const frozen = Number(data.frozen_until);
      this.emit({
        kind: 'mmp_trigger',
        venue: this.venue,
        timestampMs: this.now(),
        index: typeof data.index_name === 'string' ? data.index_name : (parts[2] ?? ''),
        group: typeof data.mmp_group === 'string' ? data.mmp_group : null,
        frozenUntilMs: Number.isFinite(frozen) && frozen > 0 ? frozen : null,
      });
    }
  }

  private readFill(entry: Json): FillEvent | null {
    try {
      return fillFromUserTrade(entry);
    } catch (error) {
      this.log('error', `trade ${String(entry.trade_id)}: ${this.describe(error)}`);
      return null;
    }
  }

  // ---- commands ----

  private requireMain(method: string): DeribitRpc {
    const rpc = this.main;
    if (rpc === null) throw new RpcClosedError(method, 'main connection is down');
    return rpc;
  }

  private async execute(command: VenueCommand): Promise<void> {
    switch (command.kind) {
      case 'place':
        this.labels.set(command.clientOrderId, command.instrument);
        await this.orderRequest(
          command.clientOrderId,
          command.side === 'buy' ? 'private/buy' : 'private/sell',
          {
            instrument_name: command.instrument,
            amount: command.amount,
            type: command.type,
            label: command.clientOrderId,
            ...(command.price === undefined ? {} : { price: command.price }),
            ...(command.postOnly === undefined ? {} : { post_only: command.postOnly }),
            ...(command.reduceOnly === undefined ? {} : { reduce_only: command.reduceOnly }),
            ...(command.timeInForce === undefined ? {} : { time_in_force: command.timeInForce }),
            ...(command.mmp === undefined ? {} : { mmp: command.mmp }),
          },
        );
        return;
      case 'edit':
        await this.orderRequest(command.clientOrderId, 'private/edit', {
          order_id: command.orderId,
          amount: command.amount,
          price: command.price,
        });
        return;
      case 'cancel':
        if (command.orderId !== null) {
          await this.orderRequest(command.clientOrderId, 'private/cancel', { order_id: command.orderId });
        } else {
          await this.orderRequest(command.clientOrderId, 'private/cancel_by_label', {
            label: command.clientOrderId,
          });
        }
        return;
      case 'cancel_all':
        await this.cancelAll(command.reason, command.killPath === true);
        return;
      case 'mass_quote':
        await this.massQuote(command);
        return;
      case 'set_mmp':
        // <https://docs.deribit.com/api-reference/trading/private-set_mmp_config>
        await this.simpleRequest('set_mmp', 'private/set_mmp_config', {
          index_name: command.index,
          ...(command.group === null ? {} : { mmp_group: command.group }),
          interval: command.intervalS,
          frozen_time: command.frozenTimeS,
          ...(command.quantityLimit === undefined ? {} : { quantity_limit: command.quantityLimit }),
          ...(command.deltaLimit === undefined ? {} : { delta_limit: command.deltaLimit }),
          ...(command.vegaLimit === undefined ? {} : { vega_limit: command.vegaLimit }),
          ...(command.maxQuoteQuantity === undefined ? {} : { max_quote_quantity: command.maxQuoteQuantity }),
        });
        return;
      case 'reset_mmp':
        // <https://docs.deribit.com/api-reference/trading/private-reset_mmp>
        await this.simpleRequest('reset_mmp', 'private/reset_mmp', {
          index_name: command.index,
          ...(command.group === null ? {} : { mmp_group: command.group }),
        });
        return;
      case 'query_order':
        await this.queryOrder(command.clientOrderId, command.orderId);
        return;
      case 'reconcile': {
        const rpc = this.requireMain('reconcile');
        await this.reconcile(rpc, command.afterTradeId);
        return;
      }
    }
  }

  /**
   * An order request (<https://docs.deribit.com/api-reference/trading/private-buy>: the answer is
   * `{order, trades}`; `private/edit` the same; `private/cancel` the order;
   * `private/cancel_by_label` a count). Venue errors become `reject` inputs; a lost outcome
   * (timeout, connection closed) is remembered and asked about.
   */
  private async orderRequest(clientOrderId: string, method: string, params: Json): Promise<void> {
    let result: unknown;
    await this.killBarrier();
    try {
      if (!this.ready) throw new RpcClosedError(method, `main connection is ${this.connectionState}`);
      result = await this.requireMain(method).call(method, params);
    } catch (error) {
      this.onRequestError(clientOrderId, method, error);
      return;
    }
    this.unresolved.delete(clientOrderId);
    this.emitOrderResult(result);
  }

  private onRequestError(clientOrderId: string, method: string, error: unknown): void {
    if (error instanceof DeribitRpcError) {
      this.emit({
        kind: 'reject',
        venue: this.venue,
        timestampMs: this.now(),
        clientOrderId,
        code: error.code,
        message: this.redact(error.venueMessage + (error.detail === null ? '' : ` ${error.detail}`)),
      });
      return;
    }
    if (this.outcomeUnknown(error)) {
      this.unresolved.add(clientOrderId);
      this.log('warn', `${method} ${clientOrderId}: outcome unknown: ${this.describe(error)}`);
      return;
    }
    // Not sent at all (no connection): the venue never saw it.
    this.emit({
      kind: 'reject',
      venue: this.venue,
      timestampMs: this.now(),
      clientOrderId,
      code: -1,
      message: this.describe(error),
    });
  }

  /** A request that may have reached the venue without an answer: timed out, or closed after it was sent. */
  private outcomeUnknown(error: unknown): boolean {
    return error instanceof RpcTimeoutError || (error instanceof RpcClosedError && this.wasSent(error));
  }

  /** A closed-before-answer error means the request may have reached the venue. */
  private wasSent(error: RpcClosedError): boolean {
    return !error.message.includes('not connected') && !error.message.includes('main connection is');
  }

  private emitOrderResult(result: unknown): void {
    if (!isObject(result)) return;
    const order = isObject(result.order) ? result.order : 'order_id' in result ? result : null;
    if (order !== null) {
      try {
        this.emit({ kind: 'order', order: orderFromVenue(order, this.venue) });
      } catch (error) {
        this.log('error', `order answer: ${this.describe(error)}`);
      }
    }
    if (Array.isArray(result.orders)) {
      for (const entry of result.orders) {
        if (isObject(entry)) this.emit({ kind: 'order', order: orderFromVenue(entry, this.venue) });
      }
    }
    if (Array.isArray(result.trades)) {
      for (const entry of result.trades) {
        if (!isObject(entry)) continue;
        const fill = this.readFill(entry);
        if (fill !== null) this.emit({ kind: 'fill', event: fill });
      }
    }
  }

  private async simpleRequest(what: string, method: string, params: Json): Promise<void> {
    try {
      await this.requireMain(method).call(method, params);
    } catch (error) {
      this.onRequestError(what, method, error);
    }
  }

  /**
   * `private/cancel_all` (<https://docs.deribit.com/api-reference/trading/private-cancel_all>: the
   * answer is the number of orders cancelled), over the kill connection when asked or when the
   * main one is not `up`.
   */
  private cancelAll(reason: string, killPath: boolean): Promise<void> {
    const done = this.cancelAllOnce(reason, killPath);
    this.killsInFlight.add(done);
    return done.finally(() => this.killsInFlight.delete(done));
  }

  /** Resolves when every cancel_all asked so far has been answered (or failed). */
  private async killBarrier(): Promise<void> {
    while (this.killsInFlight.size > 0) await Promise.allSettled([...this.killsInFlight]);
  }

  private async cancelAllOnce(reason: string, killPath: boolean): Promise<void> {
    const useKill = this.kill !== null && (killPath || this.connectionState !== 'up');
    const rpc = useKill ? this.kill : this.main;
    const report: KillReport = {
      reason,
      connection: useKill ? 'kill' : 'main',
      detectedAtMs: this.doubtSinceMs,
      requestedAtMs: this.now(),
      answeredAtMs: null,
      detectionToCancelMs: null,
      cancelled: null,
      error: null,
    };
    this.killReports.push(report);
    try {
      if (rpc === null) throw new RpcClosedError('private/cancel_all', 'no connection');
      const cancelled = await rpc.call<number>('private/cancel_all', {});
      report.answeredAtMs = this.now();
      if (report.detectedAtMs !== null)
        report.detectionToCancelMs = report.answeredAtMs - report.detectedAtMs;
      report.cancelled = typeof cancelled === 'number' ? cancelled : null;
      this.log(
        'warn',
        `cancel_all (${reason}) over the ${report.connection} connection: ${report.cancelled} cancelled in ${report.answeredAtMs - report.requestedAtMs} ms`,
      );
    } catch (error) {
      report.error = this.describe(error);
      this.onRequestError('cancel_all', 'private/cancel_all', error);
    }
  }

  /**
   * `private/mass_quote` (<https://docs.deribit.com/api-reference/trading/private-mass_quote>):
   * `quote_id`, `mmp_group`, `quotes: [{instrument_name, bid: {price, amount}, ask: {...}}]`,
   * `detailed: true`; the answer has `orders`, `trades` and `errors` (each naming the instrument,
   * the side and the error).
   */
  private async massQuote(command: Extract<VenueCommand, { kind: 'mass_quote' }>): Promise<void> {
    let result: unknown;
    await this.killBarrier();
    try {
      if (!this.ready)
        throw new RpcClosedError('private/mass_quote', `main connection is ${this.connectionState}`);
      result = await this.requireMain('private/mass_quote').call('private/mass_quote', {
        quote_id: command.quoteId,
        mmp_group: command.mmpGroup,
        detailed: true,
        quotes: command.quotes.map((quote) => ({
          instrument_name: quote.instrument,
          ...(quote.bid === undefined ? {} : { bid: quote.bid }),
          ...(quote.ask === undefined ? {} : { ask: quote.ask }),
        })),
      });
    } catch (error) {
      if (this.outcomeUnknown(error)) {
        // Quotes carry no label to ask about: the reconciliation's open orders and each slot's
        // timeout in the order manager settle them.
        this.log('warn', `private/mass_quote ${command.quoteId}: outcome unknown: ${this.describe(error)}`);
        return;
      }
      // Refused as a whole (or never sent): every side of it, by its slot.
      for (const quote of command.quotes)
        for (const side of ['bid', 'ask'] as const)
          if (quote[side] !== undefined)
            this.onRequestError(
              quoteSlotId(command.mmpGroup, quote.instrument, side),
              'private/mass_quote',
              error,
            );
      return;
    }
    this.emitOrderResult(result);
    if (isObject(result) && Array.isArray(result.errors)) {
      for (const entry of result.errors) {
        if (!isObject(entry)) continue;
        const error = isObject(entry.error) ? entry.error : {};
        // The refused side's slot (group, instrument, side), as its orders are named.
        const side =
          entry.side === 'bid' || entry.side === 'buy'
            ? 'bid'
            : entry.side === 'ask' || entry.side === 'sell'
              ? 'ask'
              : null;
        this.emit({
          kind: 'reject',
          venue: this.venue,
          timestampMs: this.now(),
          clientOrderId:
            side === null || typeof entry.instrument_name !== 'string'
              ? command.quoteId
              : quoteSlotId(command.mmpGroup, entry.instrument_name, side),
          code: typeof error.code === 'number' ? error.code : -1,
          message: this.redact(
            `${String(entry.instrument_name)} ${String(entry.side)}: ${String(error.message ?? 'error')}`,
          ),
        });
      }
    }
  }

  /** `private/get_order_state` by order id, else by label. */
  private async queryOrder(clientOrderId: string, orderId: string | null): Promise<void> {
    try {
      const rpc = this.requireMain('query_order');
      if (orderId === null) {
        await this.queryByLabel(rpc, clientOrderId);
        return;
      }
      // <https://docs.deribit.com/api-reference/trading/private-get_order_state>
      const order = await rpc.call<Json>('private/get_order_state', { order_id: orderId });
      this.unresolved.delete(clientOrderId);
      this.emit({ kind: 'order', order: orderFromVenue(order, this.venue) });
    } catch (error) {
      if (error instanceof DeribitRpcError) this.onRequestError(clientOrderId, 'query_order', error);
      else this.log('warn', `query_order ${clientOrderId}: ${this.describe(error)}`);
    }
  }

  // ---- output ----

  private emit(input: EngineInput): void {
    this.sink?.(input);
  }

  private emitConnection(state: 'up' | 'down' | 'in_doubt', reason: string): void {
    const at = this.now();
    if (state === 'up') this.doubtSinceMs = null;
    else this.doubtSinceMs ??= at;
    this.emit({
      kind: 'connection',
      venue: this.venue,
      timestampMs: at,
      state,
      reason: this.redact(reason),
    });
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.logger[level](`deribit: ${this.redact(message)}`);
  }

  private describe(error: unknown): string {
    return this.redact(error instanceof Error ? error.message : String(error));
  }
}
