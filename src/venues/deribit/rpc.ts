/**
 * JSON-RPC 2.0 over one WebSocket to Deribit's API v2.
 *
 * Message shapes (docs.deribit.com):
 * - request `{"jsonrpc":"2.0","id":N,"method":"...","params":{...}}`; answer with the same `id` and
 *   either `result` or `error: {code, message, data?}` (<https://docs.deribit.com/articles/errors>);
 * - notification: a request without `id`, `method: "subscription"`, `params: {channel, data}`
 *   (<https://docs.deribit.com/articles/notifications>);
 * - heartbeats: after `public/set_heartbeat {interval}` (seconds) the server sends
 *   `{"method":"heartbeat","params":{"type":"heartbeat"}}` and `{"params":{"type":"test_request"}}`;
 *   a `test_request` must be answered with `public/test`, or the server closes the connection
 *   (<https://docs.deribit.com/api-reference/session-management/public-set_heartbeat>).
 *
 * Liveness. A request that gets no answer within its timeout fails with `RpcTimeoutError` and
 * moves the connection to `in_doubt` (the request may or may not have been acted on); the next
 * answer to any request moves it back to `up`. With heartbeats set, no message at all for
 * `heartbeatMissFactor` intervals is a missed heartbeat: `in_doubt` too (the owner decides what
 * follows: the adapter cancels through its other connection and reconnects).
 *
 * Secrets: the client never logs or puts into an error the parameters of a request (the
 * parameters of `public/auth` carry the client secret); every text it logs or throws goes
 * through `redact` first.
 */
import WebSocket from 'ws';

/** The logger the adapter accepts (pino, console or a test's capture all fit). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/**
 * Deribit error codes the adapter reacts to, with the venue's names (API v2 error list; the
 * 2024+ article <https://docs.deribit.com/articles/errors> lists 10028 `too_many_requests` and
 * 13009 `invalid_token`; the long-standing API v2 reference list names 10004
 * `order_not_found`, 10009 `not_enough_funds`, 11044 `not_open_order`, 13004
 * `invalid_credentials`). The article's shorter table uses some numbers differently (it shows
 * 10009 as `invalid_argument`); the adapter reports the venue's own `message` with every code, so
 * a reader never depends on this table.
 */
export const DERIBIT_ERRORS = {
  AUTHORIZATION_REQUIRED: 10000,
  ORDER_NOT_FOUND: 10004,
  NOT_ENOUGH_FUNDS: 10009,
  TOO_MANY_REQUESTS: 10028,
  NOT_OPEN_ORDER: 11044,
  INVALID_CREDENTIALS: 13004,
  INVALID_TOKEN: 13009,
} as const;

const ERROR_NAMES: Record<number, string> = {
  10000: 'authorization_required',
  10004: 'order_not_found',
  10009: 'not_enough_funds',
  10028: 'too_many_requests',
  11044: 'not_open_order',
  13004: 'invalid_credentials',
  13009: 'invalid_token',
};

/** The name of a Deribit error code, or null when the table above does not know it. */
export function deribitErrorName(code: number): string | null {
  return ERROR_NAMES[code] ?? null;
}

/** The venue answered a request with an error. */
export class DeribitRpcError extends Error {
  override name = 'DeribitRpcError';
  constructor(
    readonly method: string,
    readonly code: number,
    readonly venueMessage: string,
    /** The error's `data` (reason, param), already redacted text. */
    readonly detail: string | null,
  ) {
    super(`${method}: Deribit error ${code} ${venueMessage}${detail === null ? '' : ` (${detail})`}`);
  }
  get rateLimited(): boolean {
    return this.code === DERIBIT_ERRORS.TOO_MANY_REQUESTS;
  }
}

/** No answer within the request's timeout; the venue may or may not have acted on it. */
export class RpcTimeoutError extends Error {
  override name = 'RpcTimeoutError';
  constructor(
    readonly method: string,
    readonly timeoutMs: number,
  ) {
    super(`${method}: no answer within ${timeoutMs} ms (outcome unknown)`);
  }
}

/** The connection closed (or was never open) before the answer came. */
export class RpcClosedError extends Error {
  override name = 'RpcClosedError';
  constructor(
    readonly method: string,
    reason: string,
  ) {
    super(`${method}: connection closed before the answer (${reason})`);
  }
}

export type ConnectionState = 'connecting' | 'up' | 'in_doubt' | 'down';

export interface RpcOptions {
  url: string;
  /** For log lines: `main`, `kill`. */
  name: string;
  /** Default per-request timeout. */
  requestTimeoutMs: number;
  /** A missed heartbeat: no message for this many intervals. Default 2. */
  heartbeatMissFactor?: number;
  connectTimeoutMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Applied to every text logged or thrown. */
  redact?: (text: string) => string;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class DeribitRpc {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly channelHandlers: ((channel: string, data: unknown) => void)[] = [];
  private readonly stateHandlers: ((state: ConnectionState, reason: string) => void)[] = [];
  private readonly heartbeatMissHandlers: ((reason: string) => void)[] = [];
  private stateValue: ConnectionState = 'down';
  private heartbeatMs: number | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private lastMessageAt = 0;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly redact: (text: string) => string;

  constructor(private readonly options: RpcOptions) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.redact = options.redact ?? ((text) => text);
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Subscription notifications, by channel. */
  onNotification(handler: (channel: string, data: unknown) => void): void {
    this.channelHandlers.push(handler);
  }

  /** Every state change, with its reason. */
  onState(handler: (state: ConnectionState, reason: string) => void): void {
    this.stateHandlers.push(handler);
  }

  /** A missed heartbeat (after the `in_doubt` state change it causes). */
  onHeartbeatMiss(handler: (reason: string) => void): void {
    this.heartbeatMissHandlers.push(handler);
  }

  /** Opens the socket; resolves when it is open. */
  connect(): Promise<void> {
    if (this.socket !== null) throw new Error(`${this.options.name}: already connected`);
    this.setState('connecting', 'connecting');
    const socket = new WebSocket(this.options.url, {
      handshakeTimeout: this.options.connectTimeoutMs ?? 5000,
    });
    this.socket = socket;
    socket.on('message', (raw) => this.onMessage(raw.toString()));
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      socket.once('open', () => {
        opened = true;
        this.lastMessageAt = this.now();
        this.setState('up', 'connected');
        resolve();
      });
      socket.on('error', (error) => {
        const text = this.redact(error.message);
        this.logger.warn(`deribit ${this.options.name}: socket error: ${text}`);
        if (!opened) reject(new Error(`${this.options.name}: cannot connect: ${text}`));
      });
      socket.once('close', (code, reason) => {
        const why = `closed (${code}${reason.length > 0 ? ` ${this.redact(reason.toString())}` : ''})`;
        this.closed(socket, why);
        if (!opened) reject(new Error(`${this.options.name}: cannot connect: ${why}`));
      });
    });
  }

  /** Sends a request; resolves with its `result`, rejects with one of the errors above. */
  call<T = unknown>(
    method: string,
    params: Json = {},
    timeoutMs = this.options.requestTimeoutMs,
  ): Promise<T> {
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new RpcClosedError(method, 'not connected'));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RpcTimeoutError(method, timeoutMs));
        this.markInDoubt(`no answer to ${method} within ${timeoutMs} ms`);
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (value: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }), (error) => {
        if (error === undefined || error === null) return;
        const entry = this.pending.get(id);
        if (entry === undefined) return;
        clearTimeout(entry.timer);
        this.pending.delete(id);
        reject(new RpcClosedError(method, this.redact(error.message)));
      });
    });
  }

  /**
   * `public/set_heartbeat` and the watchdog: a missed heartbeat (no message for
   * `heartbeatMissFactor` x interval) moves the connection to `in_doubt`.
   */
  async setHeartbeat(intervalS: number): Promise<void> {
    await this.call('public/set_heartbeat', { interval: intervalS });
    this.heartbeatMs = intervalS * 1000;
    this.lastMessageAt = this.now();
    if (this.watchdog !== null) clearInterval(this.watchdog);
    const limit = this.heartbeatMs * (this.options.heartbeatMissFactor ?? 2);
    this.watchdog = setInterval(
      () => {
        if (this.stateValue !== 'up') return;
        const silent = this.now() - this.lastMessageAt;
        if (silent <= limit) return;
        const reason = `missed heartbeat: no message for ${silent} ms`;
        this.markInDoubt(reason);
        for (const handler of this.heartbeatMissHandlers) handler(reason);
      },
      Math.max(10, Math.floor(this.heartbeatMs / 4)),
    );
    this.watchdog.unref();
  }

  /** Closes the socket (a clean close); pending requests fail with `RpcClosedError`. */
  close(reason = 'closed by us'): Promise<void> {
    const socket = this.socket;
    if (socket === null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) {
        this.closed(socket, reason);
        resolve();
        return;
      }
      socket.once('close', () => resolve());
      this.closed(socket, reason);
      socket.close(1000);
      setTimeout(() => socket.terminate(), 500).unref();
    });
  }

  /** Drops the socket at once (a connection in doubt is not trusted to close cleanly). */
  terminate(reason: string): void {
    const socket = this.socket;
    if (socket === null) return;
    this.closed(socket, reason);
    socket.terminate();
  }

  private closed(socket: WebSocket, reason: string): void {
    if (this.socket !== socket) return;
    this.socket = null;
    if (this.watchdog !== null) clearInterval(this.watchdog);
    this.watchdog = null;
    this.heartbeatMs = null;
    for (const [id, entry] of this.pending) {
      clearTimeout(entry.timer);
      this.pending.delete(id);
      entry.reject(new RpcClosedError(entry.method, reason));
    }
    this.setState('down', reason);
  }

  /**
   * The owner's verdict that the connection cannot be trusted (its authentication lost): `in_doubt`
   * with the reason, as a timeout or a missed heartbeat would.
   */
  reportInDoubt(reason: string): void {
    this.markInDoubt(reason);
  }

  private markInDoubt(reason: string): void {
    if (this.stateValue === 'up') this.setState('in_doubt', reason);
  }

  private setState(state: ConnectionState, reason: string): void {
    if (state === this.stateValue && state !== 'in_doubt') return;
    if (state === 'in_doubt' && this.stateValue === 'in_doubt') return;
    this.stateValue = state;
    const text = this.redact(reason);
    (state === 'up' || state === 'connecting' ? this.logger.info : this.logger.warn).call(
      this.logger,
      `deribit ${this.options.name}: ${state}: ${text}`,
    );
    for (const handler of this.stateHandlers) handler(state, text);
  }

  private onMessage(text: string): void {
    this.lastMessageAt = this.now();
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.logger.warn(`deribit ${this.options.name}: a message that is not JSON (${text.length} chars)`);
      return;
    }
    if (!isObject(message)) return;
    if (typeof message.id === 'number' && ('result' in message || 'error' in message)) {
      this.onAnswer(message.id, message);
      return;
    }
    if (message.method === 'heartbeat') {
      const params = isObject(message.params) ? message.params : {};
      if (params.type === 'test_request') {
        this.call('public/test', {}).catch((error: unknown) => {
          this.logger.warn(`deribit ${this.options.name}: public/test: ${this.describe(error)}`);
        });
      }
      return;
    }
    if (message.method === 'subscription' && isObject(message.params)) {
      const { channel, data } = message.params;
      if (typeof channel !== 'string') return;
      for (const handler of this.channelHandlers) {
        try {
          handler(channel, data);
        } catch (error) {
          this.logger.error(`deribit ${this.options.name}: ${channel}: ${this.describe(error)}`);
        }
      }
    }
  }

  private onAnswer(id: number, message: Json): void {
    const entry = this.pending.get(id);
    if (entry === undefined) {
      // The answer to a request that timed out: the caller has been told the outcome is
      // unknown and asks the venue for the truth (query_order); it is not guessed from here.
      this.logger.warn(`deribit ${this.options.name}: late answer to request ${id}, ignored`);
      return;
    }
    clearTimeout(entry.timer);
    this.pending.delete(id);
    if (this.stateValue === 'in_doubt') this.setState('up', `answers resumed (${entry.method})`);
    if (isObject(message.error)) {
      const code = typeof message.error.code === 'number' ? message.error.code : -1;
      const venueMessage =
        typeof message.error.message === 'string'
          ? this.redact(message.error.message)
          : (deribitErrorName(code) ?? 'error');
      const data = message.error.data;
      const detail = data === undefined || data === null ? null : this.redact(JSON.stringify(data));
      entry.reject(new DeribitRpcError(entry.method, code, venueMessage, detail));
      return;
    }
    entry.resolve(message.result);
  }

  private describe(error: unknown): string {
    return this.redact(error instanceof Error ? error.message : String(error));
  }
}
