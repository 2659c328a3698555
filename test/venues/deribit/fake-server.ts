/**
 * A fake Deribit for the adapter's tests: a WebSocket server on 127.0.0.1 (port 0) speaking the
 * subset of Deribit's JSON-RPC API v2 that the adapter uses, with the venue's documented
 * message shapes, an order book per instrument in which our orders rest and fill against
 * scripted takers, and switches that inject faults.
 *
 * Shapes (docs.deribit.com; the fixtures in `test/fixtures/deribit-ws/` hold the documented
 * examples and say which lines are documented and which constructed):
 * - envelope, errors: <https://docs.deribit.com/articles/errors> (`error: {code, message}`);
 * - notifications: <https://docs.deribit.com/articles/notifications>;
 * - heartbeats: <https://docs.deribit.com/api-reference/session-management/public-set_heartbeat>
 *   (`heartbeat` messages of type `heartbeat` and `test_request`; an unanswered `test_request`
 *   closes the connection);
 * - `public/auth` answer: `access_token`, `expires_in`, `refresh_token`, `scope`, `token_type`
 *   (<https://docs.deribit.com/api-reference/authentication/public-auth>);
 * - order objects: the `user.orders.(kind).(currency).raw` example
 *   (<https://docs.deribit.com/subscriptions/user/userorderskindcurrencyraw>) plus `label`, `mmp`,
 *   `cancel_reason`;
 * - trades: the `user.trades.(kind).(currency).(interval)` example
 *   (<https://docs.deribit.com/subscriptions/user/usertradeskindcurrencyinterval>) and
 *   `private/get_user_trades_by_currency` (`{trades, has_more}`);
 * - books: `book.{instrument}.{interval}` snapshot and change (`change_id`, `prev_change_id`);
 * - positions: `private/get_positions` (`instrument_name`, `size` signed, `direction`, `kind`);
 * - `private/buy` answer `{order, trades}`; `private/cancel_all` a count; `private/mass_quote`
 *   `{orders, trades, errors}`; MMP trigger `{index_name, frozen_until, mmp_group}`.
 *
 * Faults (`faults`): close the socket on a request (before acting, or after acting without an
 * answer), duplicate or reversed fill notifications, a one-shot error answer for a method (a
 * rejected order, the rate limit 10028), delayed answers, a silent main connection (no
 * heartbeats, no answers), no account notifications, a book gap (`gapNext`), and a fill nobody
 * is told about (`hiddenFill`).
 *
 * For the engine's integration tests (`test/engine/deribit-integration.test.ts`) it also
 * publishes option tickers (`ticker`: the `ticker.{instrument_name}.{interval}` example of
 * <https://docs.deribit.com/subscriptions/market-data/tickerinstrument_nameinterval>, with
 * `mark_iv`, `bid_iv`, `ask_iv`, `underlying_price`, `index_price`), lets several takers' fills go
 * out as one batch (`notify`, so that `reverseFills` reverses fills across orders), holds a
 * request back before it is even read (`holdRequest`: a slow path to the venue, not a slow
 * answer), changes a position without a trade (`adjustPosition`: a transfer or a delivery the
 * account's trades do not show), and remembers the tokens it issued (`issuedTokens`), so a test
 * can search for them.
 *
 * Tokens (<https://docs.deribit.com/api-reference/authentication/public-auth>): `public/auth`
 * takes `grant_type` `client_credentials` (client id and secret) or `refresh_token` (the refresh
 * token of the connection's last grant; each grant rotates both tokens, so a used refresh token is
 * no longer valid). Tokens live `tokenLifetimeS` seconds (`expires_in`; default 900, settable for
 * tests); a private request on a connection whose token has expired is answered with Deribit's
 * 13009 `invalid_token`, data `{reason: "token has expired", param: "access_token"}` (the example
 * of <https://docs.deribit.com/articles/errors>). Faults: `rejectRefresh` (refresh grants to
 * reject), `rejectAuth` (every grant rejected, both kinds). `expiredTokenRejections` counts the
 * private requests refused for an expired token.
 */
import { WebSocketServer, WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface FakeFaults {
  /** On the first request of `method`: close the socket before acting, or act then close without answering. */
  closeOnRequest: { method: string; when: 'before' | 'after'; then?: () => void } | null;
  /** Send every user.trades notification twice. */
  duplicateFills: boolean;
  /** Send the fills of one taker event in reverse order, one notification each. */
  reverseFills: boolean;
  /** Answer the next request of `method` with this error (once). */
  rejectNext: { method: string; code: number; message: string } | null;
  /** Delay answers to `method` by `ms`. */
  delay: { method: string; ms: number } | null;
  /** The main connection sends nothing and answers nothing (a half-open socket). */
  silenceMain: boolean;
  /** No user.orders / user.trades notifications (only queries show the truth). */
  quietAccount: boolean;
  /**
   * The next request of `method` is held `ms` before the venue reads it (logged and acted on
   * then): the request is slow to reach the venue, whatever connection it took. Once.
   */
  holdRequest: { method: string; ms: number } | null;
  /** The next `n` refresh-token grants are rejected (13009 invalid_token). */
  rejectRefresh: number;
  /** Every `public/auth` is rejected (a refresh with 13009, client credentials with 13004). */
  rejectAuth: boolean;
  /** Mass quotes: this side of every quote is refused (10009 not_enough_funds, in `errors`). */
  rejectQuoteSide: 'bid' | 'ask' | null;
}

export interface ReceivedRequest {
  connection: number;
  /** Whether it came over the connection that subscribed to channels (the adapter's main one). */
  main: boolean;
  method: string;
  /** `performance.now()` when the venue read it. */
  atMs: number;
  /** `Date.now()` when the venue read it (the clock of the adapter's connection inputs). */
  wallMs: number;
  label?: string;
  /** For `public/auth`: the `grant_type` asked for. */
  grant?: string;
}

interface Connection {
  id: number;
  socket: WebSocket;
  authed: boolean;
  channels: Set<string>;
  cancelOnDisconnect: boolean;
  heartbeat: NodeJS.Timeout | null;
  testPending: boolean;
  /** Closing: sends nothing more. */
  dead: boolean;
  silenced: boolean;
  /** Half-open: the venue never notices this connection close (no cancel-on-disconnect). */
  halfOpen: boolean;
  /** The refresh token of the connection's last grant (the only one a refresh accepts). */
  refreshToken: string | null;
  /** `Date.now()` when the connection's access token expires. */
  tokenExpiresAt: number;
}

interface FakeOrder extends Json {
  order_id: string;
  label: string;
  instrument_name: string;
  direction: 'buy' | 'sell';
  price: number;
  amount: number;
  filled_amount: number;
  average_price: number;
  order_state: string;
  last_update_timestamp: number;
}

export interface FakeOptions {
  clientId?: string;
  clientSecret?: string;
  instruments?: string[];
  /** `expires_in` of the tokens issued, in seconds (default 900). */
  tokenLifetimeS?: number;
}

export const FAKE_INDEX_PRICE = 8953.53;

export class FakeDeribit {
  readonly received: ReceivedRequest[] = [];
  readonly faults: FakeFaults = {
    closeOnRequest: null,
    duplicateFills: false,
    reverseFills: false,
    rejectNext: null,
    delay: null,
    silenceMain: false,
    quietAccount: false,
    holdRequest: null,
    rejectRefresh: 0,
    rejectAuth: false,
    rejectQuoteSide: null,
  };
  /** `expires_in` (seconds) of the tokens issued from now on. */
  tokenLifetimeS: number;
  /** Private requests refused because the connection's token had expired. */
  expiredTokenRejections = 0;
  /** Every access and refresh token the fake issued (secrets the client must not reveal). */
  readonly issuedTokens: string[] = [];
  readonly orders = new Map<string, FakeOrder>();
  readonly trades: Json[] = [];
  readonly positions = new Map<string, number>();
  readonly connections = new Map<number, Connection>();
  private readonly changeIds = new Map<string, number>();
  private readonly orderConnection = new Map<string, number>();
  /** Mass quotes: the order of each (group, instrument, side), and the groups with an MMP config. */
  private readonly quoteKeys = new Map<string, string>();
  private readonly mmpGroups = new Set<string>();
  private nextConnection = 1;
  private nextOrder = 4008978075;
  private nextTrade = 48079262;
  private tradeSeq = 74405;

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
    private readonly options: Required<Omit<FakeOptions, 'tokenLifetimeS'>>,
    tokenLifetimeS: number,
  ) {
    this.tokenLifetimeS = tokenLifetimeS;
    for (const instrument of options.instruments) this.changeIds.set(instrument, 297217);
  }

  static async start(options: FakeOptions = {}): Promise<FakeDeribit> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeDeribit(
      server,
      `ws://127.0.0.1:${port}`,
      {
        clientId: options.clientId ?? 'test-client',
        clientSecret: options.clientSecret ?? 'test-secret',
        instruments: options.instruments ?? ['BTC-PERPETUAL'],
      },
      options.tokenLifetimeS ?? 900,
    );
    server.on('connection', (socket) => fake.accept(socket));
    return fake;
  }

  async stop(): Promise<void> {
    for (const connection of this.connections.values()) this.drop(connection);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The connection that subscribed to channels last (the adapter's main one), if open. */
  mainConnection(): Connection | null {
    let found: Connection | null = null;
    for (const connection of this.connections.values()) if (connection.channels.size > 0) found = connection;
    return found;
  }

  /**
   * The current main connection goes silent: no heartbeats, no answers, no notifications. With
   * `venueSeesClose` false it is half-open: when the client drops it, the venue does not notice,
   * so cancel-on-disconnect does not fire and only a cancel over another connection pulls its
   * orders.
   */
  silenceMain(venueSeesClose = true): number | null {
    const main = this.mainConnection();
    if (main !== null) {
      main.silenced = true;
      main.halfOpen = !venueSeesClose;
    }
    return main?.id ?? null;
  }

  /** Drops the main connection (as a network fault would). */
  dropMain(): void {
    const main = this.mainConnection();
    if (main !== null) this.drop(main);
  }

  openOrders(): FakeOrder[] {
    return [...this.orders.values()].filter((o) => o.order_state === 'open');
  }

  // ---- scripted market ----

  /**
   * A taker trades against our resting orders: `side` is the taker's; our opposite orders at or
   * better than `limit` fill, best price first. Returns the trades (ours, maker side).
   */
  takerTrade(
    instrument: string,
    side: 'buy' | 'sell',
    amount: number,
    limit?: number,
    notify = true,
  ): Json[] {
    const ours = this.openOrders()
      .filter((o) => o.instrument_name === instrument && o.direction !== side)
      .filter((o) => limit === undefined || (side === 'sell' ? o.price >= limit : o.price <= limit))
      .sort((a, b) => (side === 'sell' ? b.price - a.price : a.price - b.price));
    const made: Json[] = [];
    let left = amount;
    for (const order of ours) {
      if (left <= 0) break;
      const size = Math.min(left, order.amount - order.filled_amount);
      left -= size;
      const filled = order.filled_amount + size;
      order.average_price = (order.average_price * order.filled_amount + order.price * size) / filled;
      order.filled_amount = filled;
      order.order_state = filled >= order.amount ? 'filled' : 'open';
      order.last_update_timestamp = Date.now();
      made.push(this.recordTrade(order, size, order.price));
    }
    if (notify) this.notifyFills(made);
    return made;
  }

  /** A fill the account is not told about (visible only in get_positions / get_user_trades). */
  hiddenFill(instrument: string, direction: 'buy' | 'sell', amount: number, price: number): Json {
    const order: FakeOrder = this.makeOrder(
      { instrument_name: instrument, amount, price, label: '' },
      direction,
    );
    order.filled_amount = amount;
    order.average_price = price;
    order.order_state = 'filled';
    this.orders.set(order.order_id, order);
    return this.recordTrade(order, amount, price);
  }

  /** Notifies fills made with `notify = false` (several takers' fills as one batch). */
  notify(trades: Json[]): void {
    this.notifyFills(trades);
  }

  /**
   * A position changed without a trade the account can see (a transfer between subaccounts, a
   * delivery): only `private/get_positions` shows it.
   */
  adjustPosition(instrument: string, delta: number): void {
    this.positions.set(instrument, (this.positions.get(instrument) ?? 0) + delta);
  }

  /**
   * A ticker notification (`ticker.{instrument}.` channels): the documented fields given, plus
   * `instrument_name` and `timestamp`.
   */
  ticker(instrument: string, fields: Json): void {
    this.publish(`ticker.${instrument}.`, { timestamp: Date.now(), instrument_name: instrument, ...fields });
  }

  /** Sends a book change on every connection subscribed to the book. */
  bookChange(instrument: string, bids: [string, number, number][], asks: [string, number, number][]): void {
    const prev = this.changeIds.get(instrument) ?? 0;
    const next = prev + 1;
    this.changeIds.set(instrument, next);
    this.publish(`book.${instrument}.`, {
      type: 'change',
      timestamp: Date.now(),
      prev_change_id: prev,
      instrument_name: instrument,
      change_id: next,
      bids,
      asks,
    });
  }

  /** The next book change of `instrument` skips a change_id (a message lost). */
  gapNext(instrument: string): void {
    this.changeIds.set(instrument, (this.changeIds.get(instrument) ?? 0) + 1);
  }

  /** An MMP trigger notification (documented fields). */
  mmpTrigger(indexName: string, frozenUntil: number, group?: string): void {
    this.publish(`user.mmp_trigger.${indexName}`, {
      index_name: indexName,
      frozen_until: frozenUntil,
      ...(group === undefined ? {} : { mmp_group: group }),
    });
  }

  // ---- internals ----

  private accept(socket: WebSocket): void {
    const connection: Connection = {
      id: this.nextConnection++,
      socket,
      authed: false,
      channels: new Set(),
      cancelOnDisconnect: false,
      heartbeat: null,
      testPending: false,
      dead: false,
      silenced: false,
      halfOpen: false,
      refreshToken: null,
      tokenExpiresAt: 0,
    };
    this.connections.set(connection.id, connection);
    socket.on('message', (raw) => this.onMessage(connection, raw.toString()));
    socket.on('close', () => this.onClose(connection));
    socket.on('error', () => {});
  }

  private onClose(connection: Connection): void {
    if (!this.connections.has(connection.id)) return;
    this.connections.delete(connection.id);
    connection.dead = true;
    if (connection.heartbeat !== null) clearInterval(connection.heartbeat);
    if (!connection.cancelOnDisconnect || connection.halfOpen) return;
    // Cancel on disconnect: the orders placed over this connection are cancelled.
    for (const order of this.openOrders()) {
      if (this.orderConnection.get(order.order_id) !== connection.id) continue;
      order.order_state = 'cancelled';
      order.cancel_reason = 'cancel_on_disconnect';
      order.last_update_timestamp = Date.now();
    }
  }

  private drop(connection: Connection): void {
    connection.dead = true;
    connection.socket.terminate();
    this.onClose(connection);
  }

  private send(connection: Connection, message: Json): void {
    if (connection.dead || connection.silenced || connection.socket.readyState !== WebSocket.OPEN) return;
    connection.socket.send(JSON.stringify({ jsonrpc: '2.0', ...message }));
  }

  private publish(channelPrefix: string, data: unknown): void {
    for (const connection of this.connections.values()) {
      for (const channel of connection.channels) {
        if (channel.startsWith(channelPrefix)) {
          this.send(connection, { method: 'subscription', params: { channel, data } });
        }
      }
    }
  }

  private publishAccount(kind: 'orders' | 'trades', instrument: string, data: unknown): void {
    if (this.faults.quietAccount) return;
    const currency = instrument.split('-')[0] ?? '';
    for (const connection of this.connections.values()) {
      for (const channel of connection.channels) {
        const parts = channel.split('.');
        if (parts[0] === 'user' && parts[1] === kind && parts[3] === currency) {
          this.send(connection, { method: 'subscription', params: { channel, data } });
        }
      }
    }
  }

  private notifyFills(trades: Json[]): void {
    const ordered = this.faults.reverseFills ? [...trades].reverse() : trades;
    for (const trade of ordered) {
      const instrument = String(trade.instrument_name);
      const times = this.faults.duplicateFills ? 2 : 1;
      for (let i = 0; i < times; i++) this.publishAccount('trades', instrument, [trade]);
      const order = this.orders.get(String(trade.order_id));
      if (order !== undefined) this.publishAccount('orders', instrument, { ...order });
    }
  }

  private recordTrade(order: FakeOrder, amount: number, price: number): Json {
    const currency = order.instrument_name.split('-')[0] ?? 'BTC';
    const trade: Json = {
      trade_seq: this.tradeSeq++,
      trade_id: String(this.nextTrade++),
      timestamp: Date.now(),
      tick_direction: 2,
      state: order.order_state,
      reduce_only: false,
      price,
      post_only: order.post_only === true,
      order_type: 'limit',
      order_id: order.order_id,
      matching_id: null,
      mark_price: price,
      liquidity: 'M',
      instrument_name: order.instrument_name,
      index_price: FAKE_INDEX_PRICE,
      fee_currency: currency,
      fee: 0,
      direction: order.direction,
      amount,
      label: order.label,
    };
    this.trades.push(trade);
    const signed = order.direction === 'buy' ? amount : -amount;
    this.positions.set(order.instrument_name, (this.positions.get(order.instrument_name) ?? 0) + signed);
    return trade;
  }

  private makeOrder(params: Json, direction: 'buy' | 'sell'): FakeOrder {
    const now = Date.now();
    return {
      time_in_force: typeof params.time_in_force === 'string' ? params.time_in_force : 'good_til_cancelled',
      replaced: false,
      reduce_only: params.reduce_only === true,
      price: Number(params.price),
      post_only: params.post_only === true,
      order_type: typeof params.type === 'string' ? params.type : 'limit',
      order_state: 'open',
      order_id: String(this.nextOrder++),
      max_show: Number(params.amount),
      last_update_timestamp: now,
      label: typeof params.label === 'string' ? params.label : '',
      is_rebalance: false,
      is_liquidation: false,
      instrument_name: String(params.instrument_name),
      filled_amount: 0,
      direction,
      creation_timestamp: now,
      average_price: 0,
      api: true,
      amount: Number(params.amount),
      mmp: params.mmp === true,
    };
  }

  private onMessage(connection: Connection, text: string): void {
    let message: Json;
    try {
      message = JSON.parse(text) as Json;
    } catch {
      return;
    }
    const hold = this.faults.holdRequest;
    if (hold !== null && hold.method === String(message.method)) {
      this.faults.holdRequest = null;
      setTimeout(() => {
        if (!connection.dead) this.onRequest(connection, message);
      }, hold.ms);
      return;
    }
    this.onRequest(connection, message);
  }

  private onRequest(connection: Connection, message: Json): void {
    const id = message.id;
    const method = String(message.method);
    const params = (
      typeof message.params === 'object' && message.params !== null ? message.params : {}
    ) as Json;
    const isMain = connection.channels.size > 0;
    this.received.push({
      connection: connection.id,
      main: isMain,
      method,
      atMs: performance.now(),
      wallMs: Date.now(),
      ...(typeof params.label === 'string' ? { label: params.label } : {}),
      ...(method === 'public/auth' ? { grant: String(params.grant_type) } : {}),
    });
    if (connection.silenced || (this.faults.silenceMain && isMain)) {
      connection.silenced = true;
      return;
    }
    const close = this.faults.closeOnRequest;
    if (close !== null && close.method === method) {
      this.faults.closeOnRequest = null;
      if (close.when === 'before') {
        this.drop(connection);
        return;
      }
      connection.dead = true; // acts, but nothing more reaches this socket
      this.handle(connection, method, params);
      close.then?.();
      this.drop(connection);
      return;
    }
    const reject = this.faults.rejectNext;
    if (reject !== null && reject.method === method) {
      this.faults.rejectNext = null;
      this.answer(connection, id, method, { error: { code: reject.code, message: reject.message } });
      return;
    }
    let outcome: { result: unknown; after?: () => void } | { error: Json };
    try {
      outcome = this.handle(connection, method, params);
    } catch (error) {
      outcome = { error: { code: 10001, message: error instanceof Error ? error.message : 'error' } };
    }
    this.answer(connection, id, method, outcome);
  }

  private answer(
    connection: Connection,
    id: unknown,
    method: string,
    outcome: { result: unknown; after?: () => void } | { error: Json },
  ): void {
    const go = () => {
      const usIn = Date.now() * 1000;
      const body = 'error' in outcome ? { error: outcome.error } : { result: outcome.result };
      this.send(connection, { id, ...body, usIn, usOut: usIn + 150, usDiff: 150, testnet: true });
      if ('after' in outcome) outcome.after?.();
    };
    const delay = this.faults.delay;
    if (delay !== null && delay.method === method) setTimeout(go, delay.ms);
    else go();
  }

  private handle(
    connection: Connection,
    method: string,
    params: Json,
  ): { result: unknown; after?: () => void } | { error: Json } {
    if (method.startsWith('private/') && !connection.authed) {
      return { error: { code: 13009, message: 'invalid_token' } };
    }
    if (method.startsWith('private/') && Date.now() >= connection.tokenExpiresAt) {
      this.expiredTokenRejections++;
      return {
        error: {
          code: 13009,
          message: 'invalid_token',
          data: { reason: 'token has expired', param: 'access_token' },
        },
      };
    }
    switch (method) {
      case 'public/auth': {
        if (params.grant_type === 'refresh_token') {
          if (this.faults.rejectRefresh > 0 || this.faults.rejectAuth) {
            if (this.faults.rejectRefresh > 0) this.faults.rejectRefresh--;
            return { error: { code: 13009, message: 'invalid_token' } };
          }
          if (connection.refreshToken === null || params.refresh_token !== connection.refreshToken) {
            return { error: { code: 13009, message: 'invalid_token' } };
          }
        } else if (
          params.grant_type !== 'client_credentials' ||
          this.faults.rejectAuth ||
          params.client_id !== this.options.clientId ||
          params.client_secret !== this.options.clientSecret
        ) {
          return { error: { code: 13004, message: 'invalid_credentials' } };
        }
        connection.authed = true;
        const access = `access-${connection.id}-${Math.random().toString(36).slice(2)}`;
        const refresh = `refresh-${connection.id}-${Math.random().toString(36).slice(2)}`;
        this.issuedTokens.push(access, refresh);
        connection.refreshToken = refresh;
        connection.tokenExpiresAt = Date.now() + this.tokenLifetimeS * 1000;
        return {
          result: {
            access_token: access,
            expires_in: this.tokenLifetimeS,
            refresh_token: refresh,
            scope: 'connection mainaccount trade:read_write',
            token_type: 'bearer',
          },
        };
      }
      case 'public/set_heartbeat': {
        const intervalMs = Number(params.interval) * 1000;
        if (connection.heartbeat !== null) clearInterval(connection.heartbeat);
        connection.heartbeat = setInterval(() => {
          if (connection.silenced) return;
          if (connection.testPending) {
            this.drop(connection); // documented: an unanswered test_request closes the connection
            return;
          }
          connection.testPending = true;
          this.send(connection, { method: 'heartbeat', params: { type: 'heartbeat' } });
          this.send(connection, { method: 'heartbeat', params: { type: 'test_request' } });
        }, intervalMs);
        return { result: 'ok' };
      }
      case 'public/test':
        connection.testPending = false;
        return { result: { version: '1.2.26' } };
      case 'private/enable_cancel_on_disconnect':
        connection.cancelOnDisconnect = true;
        return { result: 'ok' };
      case 'private/subscribe': {
        const channels = (params.channels as string[]) ?? [];
        for (const channel of channels) connection.channels.add(channel);
        return { result: channels, after: () => this.sendSnapshots(connection, channels) };
      }
      case 'private/unsubscribe': {
        const channels = (params.channels as string[]) ?? [];
        for (const channel of channels) connection.channels.delete(channel);
        return { result: channels };
      }
      case 'private/buy':
      case 'private/sell': {
        const order = this.makeOrder(params, method === 'private/buy' ? 'buy' : 'sell');
        this.orders.set(order.order_id, order);
        this.orderConnection.set(order.order_id, connection.id);
        if (order.time_in_force === 'immediate_or_cancel' || order.time_in_force === 'fill_or_kill') {
          order.order_state = 'cancelled';
          order.cancel_reason = 'immediate_or_cancel';
        }
        this.publishAccount('orders', order.instrument_name, { ...order });
        return { result: { order: { ...order }, trades: [] } };
      }
      case 'private/edit': {
        const order = this.orders.get(String(params.order_id));
        if (order === undefined) return { error: { code: 10004, message: 'order_not_found' } };
        if (order.order_state !== 'open') return { error: { code: 11044, message: 'not_open_order' } };
        order.amount = Number(params.amount);
        order.price = Number(params.price);
        order.replaced = true;
        order.last_update_timestamp = Date.now();
        this.publishAccount('orders', order.instrument_name, { ...order });
        return { result: { order: { ...order }, trades: [] } };
      }
      case 'private/cancel': {
        const order = this.orders.get(String(params.order_id));
        if (order === undefined) return { error: { code: 10004, message: 'order_not_found' } };
        if (order.order_state !== 'open') return { error: { code: 11044, message: 'not_open_order' } };
        this.cancelOrder(order, 'user_request');
        return { result: { ...order } };
      }
      case 'private/cancel_by_label': {
        const matching = this.openOrders().filter((o) => o.label === params.label);
        for (const order of matching) this.cancelOrder(order, 'user_request');
        return { result: matching.length };
      }
      case 'private/cancel_all': {
        const open = this.openOrders();
        for (const order of open) this.cancelOrder(order, 'user_request');
        return { result: open.length };
      }
      case 'private/get_order_state': {
        const order = this.orders.get(String(params.order_id));
        if (order === undefined) return { error: { code: 10004, message: 'order_not_found' } };
        return { result: { ...order } };
      }
      case 'private/get_order_state_by_label':
        return {
          result: [...this.orders.values()]
            .filter(
              (o) => o.label === params.label && o.instrument_name.startsWith(`${String(params.currency)}-`),
            )
            .map((o) => ({ ...o })),
        };
      case 'private/get_open_orders_by_currency':
        return {
          result: this.openOrders()
            .filter((o) => o.instrument_name.startsWith(`${String(params.currency)}-`))
            .map((o) => ({ ...o })),
        };
      case 'private/get_positions':
        return {
          result: [...this.positions]
            .filter(
              ([instrument, size]) => size !== 0 && instrument.startsWith(`${String(params.currency)}-`),
            )
            .map(([instrument, size]) => ({
              instrument_name: instrument,
              size,
              direction: size > 0 ? 'buy' : 'sell',
              kind: instrument.endsWith('-C') || instrument.endsWith('-P') ? 'option' : 'future',
              average_price: 0,
              mark_price: FAKE_INDEX_PRICE,
              index_price: FAKE_INDEX_PRICE,
            })),
        };
      case 'private/get_user_trades_by_currency': {
        const mine = this.trades.filter((t) =>
          String(t.instrument_name).startsWith(`${String(params.currency)}-`),
        );
        let from = 0;
        if (typeof params.start_id === 'string') {
          from = mine.findIndex((t) => Number(t.trade_id) >= Number(params.start_id));
          if (from < 0) from = mine.length;
        }
        const count = Number(params.count ?? 10);
        const page = mine.slice(from, from + count);
        return { result: { trades: page, has_more: from + count < mine.length } };
      }
      case 'private/mass_quote': {
        // One quote per side per instrument per MMP group: a quote on a key with an open order
        // edits it (amount: the new open amount), amount 0 cancels it, else a new MMP order
        // (<https://docs.deribit.com/articles/mass-quotes-specifications>). The order objects carry
        // `quote`, `quote_id` and `mmp_group`.
        const group = String(params.mmp_group);
        if (!this.mmpGroups.has(group))
          return { error: { code: 13778, message: 'mmp_group_not_configured' } };
        const orders: FakeOrder[] = [];
        const errors: Json[] = [];
        for (const quote of (params.quotes as Json[]) ?? []) {
          for (const [side, direction] of [
            ['bid', 'buy'],
            ['ask', 'sell'],
          ] as const) {
            const level = quote[side] as { price: number; amount: number } | undefined;
            if (level === undefined) continue;
            const instrument = String(quote.instrument_name);
            const key = `${group}\u0000${instrument}\u0000${side}`;
            const existing = this.orders.get(this.quoteKeys.get(key) ?? '');
            const open = existing !== undefined && existing.order_state === 'open' ? existing : undefined;
            if (this.faults.rejectQuoteSide === side) {
              errors.push({
                instrument_name: instrument,
                side,
                error: { code: 10009, message: 'not_enough_funds' },
              });
              continue;
            }
            if (level.amount === 0) {
              if (open !== undefined) {
                this.cancelOrder(open, 'user_request');
                orders.push({ ...open });
              }
              continue;
            }
            if (open !== undefined) {
              open.amount = open.filled_amount + level.amount;
              open.price = level.price;
              open.quote_id = params.quote_id;
              open.last_update_timestamp = Date.now();
              this.publishAccount('orders', instrument, { ...open });
              orders.push({ ...open });
              continue;
            }
            const order = this.makeOrder(
              {
                instrument_name: instrument,
                price: level.price,
                amount: level.amount,
                mmp: true,
                post_only: true,
              },
              direction,
            );
            order.quote = true;
            order.quote_id = params.quote_id;
            order.mmp_group = group;
            this.orders.set(order.order_id, order);
            this.orderConnection.set(order.order_id, connection.id);
            this.quoteKeys.set(key, order.order_id);
            this.publishAccount('orders', instrument, { ...order });
            orders.push(order);
          }
        }
        return { result: { orders: orders.map((o) => ({ ...o })), trades: [], errors } };
      }
      case 'private/set_mmp_config':
        if (typeof params.mmp_group === 'string') this.mmpGroups.add(params.mmp_group);
        return { result: [{ ...params }] };
      case 'private/reset_mmp':
        return { result: 'ok' };
      case 'private/simulate_portfolio': {
        let exposure = 0;
        for (const [, size] of this.positions) exposure += Math.abs(size);
        const simulated = (params.simulated_positions ?? {}) as Record<string, number>;
        for (const size of Object.values(simulated)) exposure += Math.abs(size);
        const initial = (exposure / FAKE_INDEX_PRICE) * 0.01;
        return {
          result: {
            currency: params.currency,
            projected_initial_margin: initial,
            initial_margin: initial,
            projected_maintenance_margin: initial * 0.75,
            maintenance_margin: initial * 0.75,
          },
        };
      }
      default:
        return { error: { code: -32601, message: 'Method not found' } };
    }
  }

  private cancelOrder(order: FakeOrder, reason: string): void {
    order.order_state = 'cancelled';
    order.cancel_reason = reason;
    order.last_update_timestamp = Date.now();
    this.publishAccount('orders', order.instrument_name, { ...order });
  }

  private sendSnapshots(connection: Connection, channels: string[]): void {
    for (const channel of channels) {
      const parts = channel.split('.');
      if (parts[0] !== 'book' || parts.length !== 3) continue;
      const instrument = parts[1] ?? '';
      const changeId = this.changeIds.get(instrument) ?? 1;
      // The documented example's levels are a perpetual's (USD); an option's book starts empty
      // here (its prices are in coin: those levels would cross every option quote).
      const option = /-[CP]$/.test(instrument);
      this.send(connection, {
        method: 'subscription',
        params: {
          channel,
          data: {
            type: 'snapshot',
            timestamp: Date.now(),
            instrument_name: instrument,
            change_id: changeId,
            bids: option
              ? []
              : [
                  ['new', 5042.34, 30],
                  ['new', 5041.94, 20],
                ],
            asks: option
              ? []
              : [
                  ['new', 5042.64, 40],
                  ['new', 5043.3, 40],
                ],
          },
        },
      });
    }
  }
}
