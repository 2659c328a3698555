/**
 * The engine's HTTP and WebSocket API (issue 9, item 4), served by Fastify on 127.0.0.1:8420.
 *
 * Reading (no token):
 * - `GET /api/state`: the engine's state (`EngineState`, every field), as JSON.
 * - `GET /api/health`: `{ ok, time_ms, trading_state, engine_time_ms, connection }`.
 * - `GET /api/stream` (WebSocket): the state on connect, then the engine's updates, throttled
 *   (`stream.ts`).
 * - `GET /*`: the dashboard's static files when `staticDir` is given (`static.ts`).
 *
 * Operator commands (`Authorization: Bearer <token>`; checked before the body is even parsed, so
 * a refused request never reaches the engine), each answered with the engine's `CommandResult`:
 * - `POST /api/kill` `{reason?}`: to HALTED; repeatable (200 every time the book is HALTED).
 * - `POST /api/pause` `{reason?}`, `POST /api/resume` (no body or `{}`).
 * - `POST /api/limits`: a limits document (JSON or YAML) as `{"text": "..."}`, or raw with
 *   content type `text/yaml`, `application/yaml` or `text/plain`. It is validated here with the
 *   limits parser first, so a bad document is a 400 naming its field and never reaches the engine.
 *
 * Status codes: 200 accepted; 400 bad input (`{error, field}`); 401 no or wrong token
 * (`{error}` saying which); 403 a Host or Origin not this server's; 409 the engine refused the
 * command (the `CommandResult` says why); 504 the engine did not answer in time (the command may
 * still apply: it is journaled).
 *
 * Safety: it binds only a loopback address unless `allowRemote` (plain HTTP would carry the token
 * in clear); when bound to loopback it answers only requests whose Host is a loopback name
 * (no DNS rebinding), and a WebSocket from a browser only from this server's own origin. The token
 * and the Authorization header are never logged: request lines are logged without headers or
 * query strings, known paths are redacted, and any string equal to the token is scrubbed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import type { CommandResult, EngineHandle, OperatorCommand } from '../engine/types.js';
import { InputError } from '../model/errors.js';
import { parseLimitsText } from '../risk/limits/config.js';
import { StaticFiles } from './static.js';
import { StateStream } from './stream.js';
import { checkToken } from './token.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8420;
export const STREAM_PATH = '/api/stream';

export interface ApiServerOptions {
  engine: EngineHandle;
  /** The operator token (`token.ts`); at least 16 printable characters. */
  token: string;
  /** Default 127.0.0.1; any other than a loopback address needs `allowRemote`. */
  host?: string;
  /** Default 8420; 0 for any free port. */
  port?: number;
  /** Allow binding a non-loopback address (the token then crosses the network in clear). */
  allowRemote?: boolean;
  /** A pino logger; the API logs through a child of it with redaction. Default: pino at `info`. */
  logger?: Logger;
  /** A directory served at `/` (the dashboard's built files). */
  staticDir?: string;
  /** States per second per stream client (default 20). */
  streamMaxPerSecond?: number;
  /** Stream keepalive ping interval, ms (default 30,000). */
  pingIntervalMs?: number;
  /** How long to wait for the engine to answer a command before a 504, ms (default 10,000). */
  commandTimeoutMs?: number;
  /** The wall clock for `/api/health` (default `Date.now`). */
  now?: () => number;
}

export interface ApiServer {
  /** `http://127.0.0.1:8420` (IPv6 hosts in brackets). */
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

/** A server option that cannot be used (a non-loopback host without `allowRemote`, a bad port). */
export class ApiConfigError extends Error {
  override name = 'ApiConfigError';
}

/** Whether `host` is a loopback name or address (`localhost`, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

const reasonBody = z
  .object({
    reason: z.string().trim().min(1, 'must not be empty').max(500, 'at most 500 characters').optional(),
  })
  .strict();
const emptyBody = z.object({}).strict();
const limitsBody = z
  .object({ text: z.string().min(1, 'must not be empty').max(1_000_000, 'at most 1,000,000 characters') })
  .strict();

/** A 400: the field at fault and what was wrong with it. */
class BadRequest extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new BadRequest('body', 'invalid');
  const at = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    throw new BadRequest([...at, key].join('.') || 'body', 'no such field');
  }
  const field = at.join('.') || 'body';
  const message = issue.code === 'invalid_type' && at.length === 0 ? 'expected a JSON object' : issue.message;
  throw new BadRequest(field, message);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Why an Authorization header does not carry the token, or null when it does (constant time). */
function authFailure(header: string | undefined, expected: Buffer): string | null {
  if (header === undefined || header === '')
    return 'missing Authorization header: send "Authorization: Bearer <token>"';
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (match === null || match[1] === undefined)
    return 'malformed Authorization header: expected "Bearer <token>"';
  return timingSafeEqual(digest(match[1]), expected) ? null : 'wrong token';
}

/** The host name of a Host header (`127.0.0.1:8420` -> `127.0.0.1`, `[::1]:8420` -> `[::1]`). */
function hostName(hostHeader: string | undefined): string | null {
  if (hostHeader === undefined || hostHeader === '') return null;
  const h = hostHeader.toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? null : h.slice(0, end + 1);
  }
  return h.split(':')[0] ?? null;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** A logger that never writes the token: known paths redacted, any string equal to or containing it scrubbed. */
function apiLogger(base: Logger | undefined, token: string): Logger {
  const redact = {
    paths: [
      'authorization',
      'token',
      'headers.authorization',
      'req.headers.authorization',
      'request.headers.authorization',
      'headers.cookie',
      'req.headers.cookie',
    ],
    censor: '[redacted]',
  };
  const scrub = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string')
      return value.includes(token) ? value.split(token).join('[redacted]') : value;
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null && !(value instanceof Error)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
    if (value instanceof Error) {
      out.type = value.name;
      out.message = scrub(value.message, depth + 1);
    }
    return out;
  };
  if (base !== undefined)
    return base.child(
      { component: 'api' },
      { redact, formatters: { log: (o: object) => scrub(o, 0) as object } },
    );
  return pino({
    level: 'info',
    redact,
    formatters: { log: (o: Record<string, unknown>) => scrub(o, 0) as Record<string, unknown> },
    base: { component: 'api' },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
const TIMED_OUT = Symbol('timed out');

function rejectUpgrade(socket: Duplex, status: number, text: string, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Starts the API; resolves once it listens. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const engine = options.engine;
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  const allowRemote = options.allowRemote ?? false;
  const maxPerSecond = options.streamMaxPerSecond ?? 20;
  const pingIntervalMs = options.pingIntervalMs ?? 30_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
  const now = options.now ?? Date.now;

  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ApiConfigError(`port: got ${String(port)}, expected an integer from 0 to 65535`);
  if (!(Number.isFinite(maxPerSecond) && maxPerSecond > 0))
    throw new ApiConfigError(`streamMaxPerSecond: got ${String(maxPerSecond)}, expected a number > 0`);
  if (!(Number.isFinite(pingIntervalMs) && pingIntervalMs > 0))
    throw new ApiConfigError(`pingIntervalMs: got ${String(pingIntervalMs)}, expected a number > 0`);
  const loopback = isLoopbackHost(host);
  if (!loopback && !allowRemote) {
    throw new ApiConfigError(
      `refusing to listen on ${host}: not a loopback address. The API's operator token would cross ` +
        'the network over plain HTTP; listen on 127.0.0.1 (the default), or set allowRemote: true ' +
        'behind a TLS-terminating proxy you trust.',
    );
  }
  const token = checkToken(options.token, 'token');
  const expected = digest(token);
  const log = apiLogger(options.logger, token);

  // Host names this server answers to when bound to loopback (DNS-rebinding guard).
  const hostNames = loopback
    ? new Set(['localhost', '127.0.0.1', '[::1]', isIP(host) === 6 ? `[${host}]` : host.toLowerCase()])
    : null;
  const hostAllowed = (header: string | undefined): boolean => {
    if (hostNames === null) return true;
    const name = hostName(header);
    return name !== null && hostNames.has(name);
  };

  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    bodyLimit: 1_048_576,
    trustProxy: false,
  });

  app.addContentTypeParser(
    ['text/yaml', 'application/yaml', 'application/x-yaml'],
    { parseAs: 'string' },
    (_request, body, done) => done(null, body),
  );

  app.addHook('onRequest', async (request, reply) => {
    if (!hostAllowed(request.headers.host)) {
      log.warn({ ip: request.ip, path: pathOf(request.url) }, 'refused: Host header not this server');
      return reply.code(403).send({ error: 'Host header does not name this server' });
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = {
      method: request.method,
      path: pathOf(request.url),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
    };
    if (request.method === 'GET' && reply.statusCode < 400) log.debug(entry, 'request');
    else log.info(entry, 'request');
  });

  app.setErrorHandler((error: FastifyError | BadRequest | InputError, request, reply) => {
    if (error instanceof BadRequest)
      return reply.code(400).send({ error: error.message, field: error.field });
    if (error instanceof InputError)
      return reply.code(400).send({ error: error.message, field: error.field, expected: error.expected });
    const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      const body =
        status === 400 ? { error: `body: ${error.message}`, field: 'body' } : { error: error.message };
      return reply.code(status).send(body);
    }
    log.error({ err: error, path: pathOf(request.url) }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${pathOf(request.url)}` }),
  );

  const requireToken = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const failure = authFailure(request.headers.authorization, expected);
    if (failure === null) return;
    log.warn({ ip: request.ip, path: pathOf(request.url), reason: failure }, 'operator command refused');
    await reply
      .code(401)
      .header('WWW-Authenticate', 'Bearer realm="ballast"')
      .send({ error: `unauthorized: ${failure}` });
  };

  const runCommand = async (request: FastifyRequest, reply: FastifyReply, command: OperatorCommand) => {
    const summary = {
      command: command.type,
      ip: request.ip,
      ...('reason' in command && command.reason !== undefined ? { reason: command.reason } : {}),
      ...(command.type === 'limits' ? { bytes: Buffer.byteLength(command.text) } : {}),
    };
    log.info(summary, 'operator command');
    let result: CommandResult | typeof TIMED_OUT;
    try {
      result = await withTimeout(engine.command(command), commandTimeoutMs);
    } catch (error) {
      log.error({ ...summary, err: error }, 'operator command failed in the engine');
      return reply.code(500).send({
        error: `the engine could not apply the ${command.type} command: ${
          error instanceof Error ? error.message : String(error)
        }`,
      });
    }
    if (result === TIMED_OUT) {
      log.error(summary, 'operator command: no answer from the engine in time');
      return reply.code(504).send({
        error: `the engine did not answer within ${commandTimeoutMs} ms; the command is journaled and may still apply`,
      });
    }
    const ok = result.accepted || (command.type === 'kill' && result.trading_state === 'HALTED');
    log.info(
      { ...summary, accepted: result.accepted, trading_state: result.trading_state },
      'operator command done',
    );
    return reply.code(ok ? 200 : 409).send(result);
  };

  app.get('/api/state', async (_request, reply) => {
    return reply.header('Cache-Control', 'no-store').send(engine.state());
  });
  app.get('/api/details', async (_request, reply) => {
    return reply.header('Cache-Control', 'no-store').send(engine.details());
  });
  app.get<{ Params: { name: string } }>('/api/instrument/:name', async (request, reply) => {
    const name = request.params.name;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name))
      return reply.code(400).send({ error: 'an instrument name such as BTC-PERPETUAL', field: 'name' });
    const view = engine.instrument(name);
    if (view === null) return reply.code(404).send({ error: `no such instrument: ${name}`, field: 'name' });
    return reply.header('Cache-Control', 'no-store').send(view);
  });
  app.get('/api/health', async (_request, reply) => {
    const time_ms = now();
    try {
      const state = engine.state();
      return reply.header('Cache-Control', 'no-store').send({
        ok: true,
        time_ms,
        trading_state: state.trading_state,
        engine_time_ms: state.time_ms,
        connection: state.connection,
      });
    } catch (error) {
      log.error({ err: error }, 'health: cannot read the engine state');
      return reply.code(503).send({ ok: false, time_ms, error: 'engine state unavailable' });
    }
  });

  const command = { onRequest: requireToken };
  app.post('/api/kill', command, async (request, reply) => {
    const { reason } = parseBody(reasonBody, request.body);
    return runCommand(request, reply, reason === undefined ? { type: 'kill' } : { type: 'kill', reason });
  });
  app.post('/api/pause', command, async (request, reply) => {
    const { reason } = parseBody(reasonBody, request.body);
    return runCommand(request, reply, reason === undefined ? { type: 'pause' } : { type: 'pause', reason });
  });
  app.post('/api/resume', command, async (request, reply) => {
    parseBody(emptyBody, request.body);
    return runCommand(request, reply, { type: 'resume' });
  });
  app.post('/api/limits', command, async (request, reply) => {
    const text = typeof request.body === 'string' ? request.body : parseBody(limitsBody, request.body).text;
    if (text.trim() === '') throw new BadRequest('text', 'must not be empty');
    parseLimitsText(text, 'limits'); // throws InputError naming the field: a 400
    return runCommand(request, reply, { type: 'limits', text });
  });

  if (options.staticDir !== undefined) {
    const files = new StaticFiles(options.staticDir);
    app.get('/*', async (request, reply) => {
      const path = pathOf(request.url);
      if (path === '/api' || path.startsWith('/api/'))
        return reply.code(404).send({ error: `no route GET ${path}` });
      const found = await files.lookup(path);
      if (found.kind === 'refused') return reply.code(found.status).send({ error: found.reason });
      return reply
        .header('Content-Type', found.contentType)
        .header('Content-Length', found.size)
        .header('X-Content-Type-Options', 'nosniff')
        .header('Cache-Control', 'no-cache')
        .send(found.open());
    });
  }

  const stream = new StateStream(engine, log, { maxPerSecond, pingIntervalMs, maxBufferedBytes: 1 << 20 });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const path = pathOf(request.url ?? '/');
    if (path !== STREAM_PATH) return rejectUpgrade(socket, 404, 'Not Found', `no WebSocket at ${path}`);
    if (!hostAllowed(request.headers.host))
      return rejectUpgrade(socket, 403, 'Forbidden', 'Host header does not name this server');
    const origin = request.headers.origin;
    if (origin !== undefined) {
      let originHost: string | null;
      try {
        originHost = new URL(origin).host.toLowerCase();
      } catch {
        originHost = null;
      }
      if (originHost === null || originHost !== request.headers.host?.toLowerCase()) {
        log.warn({ path }, 'stream refused: cross-origin WebSocket');
        return rejectUpgrade(socket, 403, 'Forbidden', 'cross-origin WebSocket refused');
      }
    }
    const remote = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`;
    wss.handleUpgrade(request, socket, head, (ws) => stream.add(ws, remote));
  });

  try {
    await app.listen({ host, port });
  } catch (error) {
    stream.close();
    await app.close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    throw new ApiConfigError(
      `cannot listen on ${host}:${port}${code !== undefined ? ` (${code})` : ''}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const url = `http://${isIP(host) === 6 ? `[${host}]` : host}:${boundPort}`;
  log.info({ url, static: options.staticDir ?? null, remote: allowRemote && !loopback }, 'API listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    port: boundPort,
    host,
    close: () => {
      closing ??= (async () => {
        stream.close();
        wss.close();
        await app.close();
        log.info({ url }, 'API closed');
      })();
      return closing;
    },
  };
}
