import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { EngineState } from '../../src/engine/types.js';
import { ApiConfigError, isLoopbackHost, startApiServer } from '../../src/server/api.js';
import type { ApiServer, ApiServerOptions } from '../../src/server/api.js';
import { generateToken } from '../../src/server/token.js';
import { FakeEngine, sampleState } from './fake-engine.js';

const TOKEN = generateToken();
const quiet = pino({ level: 'silent' });

let servers: ApiServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(
  options: Partial<ApiServerOptions> = {},
): Promise<{ server: ApiServer; engine: FakeEngine }> {
  const engine = (options.engine as FakeEngine | undefined) ?? new FakeEngine();
  const server = await startApiServer({ engine, token: TOKEN, port: 0, logger: quiet, ...options });
  servers.push(server);
  return { server, engine };
}

function post(
  server: ApiServer,
  route: string,
  init: { token?: string; body?: unknown; type?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] = init.type ?? 'application/json';
  }
  return fetch(`${server.url}${route}`, { method: 'POST', headers, body });
}

/** A request exactly as written (fetch would normalise `..` and the Host header). */
function raw(
  server: ApiServer,
  pathText: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: pathText, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A stream client that records every state it receives, with the time it came. */
async function connect(
  server: ApiServer,
  options: ConstructorParameters<typeof WebSocket>[2] = {},
): Promise<{ ws: WebSocket; states: { at: number; state: EngineState }[] }> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/stream`, options);
  const states: { at: number; state: EngineState }[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; state: EngineState };
    expect(message.type).toBe('state');
    states.push({ at: performance.now(), state: message.state });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, states };
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reading the state', () => {
  it('GET /api/state returns the engine state with every field', async () => {
    const { server, engine } = await start();
    const res = await fetch(`${server.url}/api/state`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as EngineState;
    expect(body).toEqual(engine.current);
    expect(['ACTIVE', 'REDUCING', 'HALTED']).toContain(body.trading_state);
    expect(body.positions[0]).toEqual({ instrument: 'BTC-26JUN20-9000-C', amount: -12.5 });
    expect(body.greeks.BTC).toEqual({ delta: 0.42, gamma: 0.0011, vega: -310.5, theta: 95.25 });
  });

  it('GET /api/details and /api/instrument/:name serve the breakdown; an unknown or malformed name is refused', async () => {
    const { server, engine } = await start();
    const details = await fetch(`${server.url}/api/details`);
    expect(details.status).toBe(200);
    expect(await details.json()).toEqual(engine.details());
    const view = await fetch(`${server.url}/api/instrument/BTC-PERPETUAL`);
    expect(view.status).toBe(200);
    expect(await view.json()).toEqual(engine.instrument('BTC-PERPETUAL'));
    expect((await fetch(`${server.url}/api/instrument/ETH-NOPE`)).status).toBe(404);
    const bad = await fetch(`${server.url}/api/instrument/${encodeURIComponent('a b$')}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'name' });
  });

  it('GET /api/health reports the wall clock and the trading state', async () => {
    const { server } = await start({ now: () => 1_234 });
    const res = await fetch(`${server.url}/api/health`);
    expect(await res.json()).toEqual({
      ok: true,
      time_ms: 1_234,
      trading_state: 'ACTIVE',
      engine_time_ms: 1_600_000_000_000,
      connection: 'up',
    });
  });

  it('the default address is 127.0.0.1', async () => {
    const { server } = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('unknown API routes are JSON 404s', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/api/nothing`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toMatch(/no route GET \/api\/nothing/);
  });
});

describe('operator commands need the token', () => {
  const routes = ['/api/kill', '/api/pause', '/api/resume', '/api/limits'];

  it.each(routes)('%s without a token: 401 saying it is missing; the engine sees nothing', async (route) => {
    const { server, engine } = await start();
    const res = await post(server, route, { body: { text: 'limits: []' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await res.json()) as { error: string }).error).toMatch(/missing Authorization header/);
    expect(engine.commands).toEqual([]);
    expect(engine.current.trading_state).toBe('ACTIVE');
  });

  it.each(routes)('%s with a wrong token: 401 "wrong token"; the engine sees nothing', async (route) => {
    const { server, engine } = await start();
    for (const wrong of [generateToken(), TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const res = await post(server, route, { token: wrong });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/wrong token/);
    }
    expect(engine.commands).toEqual([]);
  });

  it('a malformed Authorization header is refused as such; so is a bad body without a token', async () => {
    const { server, engine } = await start();
    const basic = await fetch(`${server.url}/api/kill`, {
      method: 'POST',
      headers: { authorization: `Basic ${TOKEN}` },
    });
    expect(basic.status).toBe(401);
    expect(((await basic.json()) as { error: string }).error).toMatch(/malformed Authorization header/);
    // Authentication comes before the body is read: no 400 leaks to an unauthenticated caller.
    const bad = await post(server, '/api/kill', { body: '{not json' });
    expect(bad.status).toBe(401);
    expect(engine.commands).toEqual([]);
  });

  it('kill with the token: HALTED, and again: 200 and HALTED', async () => {
    const { server, engine } = await start();
    for (let i = 0; i < 2; i++) {
      const res = await post(
        server,
        '/api/kill',
        i === 0 ? { token: TOKEN, body: { reason: 'vol spike' } } : { token: TOKEN },
      );
      expect(res.status).toBe(200);
      const result = (await res.json()) as { accepted: boolean; trading_state: string };
      expect(result.trading_state).toBe('HALTED');
      const state = (await (await fetch(`${server.url}/api/state`)).json()) as EngineState;
      expect(state.trading_state).toBe('HALTED');
    }
    expect(engine.commands).toEqual([{ type: 'kill', reason: 'vol spike' }, { type: 'kill' }]);
  });

  it('kill is 200 even when the engine reports it did nothing new, as long as the book is HALTED', async () => {
    const engine = new FakeEngine(sampleState({ trading_state: 'HALTED' }));
    engine.override = async () => ({ accepted: false, trading_state: 'HALTED', detail: 'already halted' });
    const { server } = await start({ engine });
    expect((await post(server, '/api/kill', { token: TOKEN })).status).toBe(200);
  });

  it('pause then resume', async () => {
    const { server, engine } = await start();
    const paused = await post(server, '/api/pause', { token: TOKEN, body: { reason: 'news' } });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as { trading_state: string }).trading_state).toBe('REDUCING');
    const resumed = await post(server, '/api/resume', { token: TOKEN });
    expect(resumed.status).toBe(200);
    expect(((await resumed.json()) as { trading_state: string }).trading_state).toBe('ACTIVE');
    expect(engine.commands).toEqual([{ type: 'pause', reason: 'news' }, { type: 'resume' }]);
  });

  it('a command the engine refuses is a 409 carrying its reason', async () => {
    const engine = new FakeEngine(sampleState({ trading_state: 'HALTED' }));
    const { server } = await start({ engine });
    const res = await post(server, '/api/pause', { token: TOKEN });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({
      accepted: false,
      trading_state: 'HALTED',
      detail: 'halted: resume first',
    });
  });

  it('bad bodies are 400s naming the field, and never reach the engine', async () => {
    const { server, engine } = await start();
    const cases: [string, unknown, string][] = [
      ['/api/kill', { reason: 5 }, 'reason'],
      ['/api/kill', { reason: '' }, 'reason'],
      ['/api/pause', { why: 'x' }, 'why'],
      ['/api/resume', { now: true }, 'now'],
      ['/api/kill', '[1, 2]', 'body'],
      ['/api/kill', '{not json', 'body'],
      ['/api/limits', { document: 'limits: []' }, 'text'],
      ['/api/limits', { text: 'limits: []', extra: 1 }, 'extra'],
      ['/api/limits', {}, 'text'],
      ['/api/limits', { text: 42 }, 'text'],
    ];
    for (const [route, body, field] of cases) {
      const res = await post(server, route, { token: TOKEN, body });
      expect(res.status, `${route} ${JSON.stringify(body)}`).toBe(400);
      const answer = (await res.json()) as { error: string; field: string };
      expect(answer.field).toBe(field);
      expect(answer.error.startsWith(`${field}:`)).toBe(true);
    }
    expect(engine.commands).toEqual([]);
  });

  it('the engine failing or not answering: 500 or 504, never a hang', async () => {
    const engine = new FakeEngine();
    const { server } = await start({ engine, commandTimeoutMs: 100 });
    engine.override = () => new Promise(() => undefined);
    const slow = await post(server, '/api/kill', { token: TOKEN });
    expect(slow.status).toBe(504);
    expect(((await slow.json()) as { error: string }).error).toMatch(/did not answer within 100 ms/);
    engine.override = async () => {
      throw new Error('journal full');
    };
    const failed = await post(server, '/api/pause', { token: TOKEN });
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as { error: string }).error).toMatch(/journal full/);
  });
});

describe('limits', () => {
  const yamlDoc =
    'limits:\n  - name: btc-delta\n    scope: { underlying: BTC }\n    measure: delta_coin\n    max: 25\n';

  it('a good document as {text} (JSON) or as raw YAML reaches the engine as text', async () => {
    const { server, engine } = await start();
    const json = JSON.stringify({ limits: [{ measure: 'daily_loss_usd', max: 50000 }] });
    const a = await post(server, '/api/limits', { token: TOKEN, body: { text: json } });
    expect(a.status).toBe(200);
    expect(((await a.json()) as { detail: string }).detail).toBe('1 limits in force');
    for (const type of ['text/yaml', 'application/yaml', 'text/plain']) {
      const b = await post(server, '/api/limits', { token: TOKEN, body: yamlDoc, type });
      expect(b.status, type).toBe(200);
    }
    expect(engine.commands).toEqual([
      { type: 'limits', text: json },
      { type: 'limits', text: yamlDoc },
      { type: 'limits', text: yamlDoc },
      { type: 'limits', text: yamlDoc },
    ]);
  });

  it('a bad document is a 400 naming the field in the document; the engine sees nothing', async () => {
    const { server, engine } = await start();
    const cases: [unknown, string | undefined, string][] = [
      [{ text: 'limits:\n  - measure: delta_coin\n    max: ten\n' }, undefined, 'limits.limits[0].max'],
      ['limits:\n  - measure: gamma_usd\n    max: 1\n', 'text/yaml', 'limits.limits[0].measure'],
      [
        { text: '{"limits": [{"measure": "position", "max": 1}], "deltas": "black"}' },
        undefined,
        'limits.deltas',
      ],
      [{ text: '{"limits": [' }, undefined, 'limits'],
    ];
    for (const [body, type, field] of cases) {
      const res = await post(
        server,
        '/api/limits',
        type === undefined ? { token: TOKEN, body } : { token: TOKEN, body, type },
      );
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { error: string; field: string };
      expect(answer.field).toBe(field);
      expect(answer.error).toContain(field);
    }
    expect(engine.commands).toEqual([]);
  });
});

describe('the state stream', () => {
  it('sends the current state on connect, then each published state', async () => {
    const { server, engine } = await start({ streamMaxPerSecond: 50 });
    const { ws, states } = await connect(server);
    await until(() => states.length === 1);
    expect(states[0]?.state).toEqual(engine.current);
    await sleep(30);
    engine.publish({ time_ms: 1, positions: [{ instrument: 'BTC-PERPETUAL', amount: 10 }] });
    await until(() => states.length === 2);
    await sleep(30);
    engine.publish({ time_ms: 2, trading_state: 'HALTED' });
    await until(() => states.length === 3);
    expect(states[1]?.state.positions).toEqual([{ instrument: 'BTC-PERPETUAL', amount: 10 }]);
    expect(states[2]?.state).toEqual(engine.current);
    ws.close();
  });

  it('throttles to N a second, the newest state winning', async () => {
    const perSecond = 5;
    const { server, engine } = await start({ streamMaxPerSecond: perSecond });
    const { ws, states } = await connect(server);
    await until(() => states.length === 1);
    // 200 states over one second, one every 5 ms.
    const started = performance.now();
    let seq = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        engine.publish({ time_ms: ++seq });
        if (seq === 200) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const elapsed = (performance.now() - started) / 1000;
    await sleep(2 * (1000 / perSecond) + 50);
    const updates = states.slice(1);
    // At most one per interval over the publishing span, plus the trailing send of the last.
    expect(updates.length).toBeLessThanOrEqual(Math.ceil(elapsed * perSecond) + 1);
    expect(updates.length).toBeGreaterThanOrEqual(2);
    expect(updates.at(-1)?.state.time_ms).toBe(200);
    const seqs = updates.map((u) => u.state.time_ms);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    for (let i = 1; i < states.length; i++) {
      expect(states[i]!.at - states[i - 1]!.at).toBeGreaterThan(1000 / perSecond - 80);
    }
    ws.close();
  });

  it('a burst between two sends delivers only the latest', async () => {
    const { server, engine } = await start({ streamMaxPerSecond: 4 });
    const { ws, states } = await connect(server);
    await until(() => states.length === 1);
    for (let i = 1; i <= 100; i++) engine.publish({ time_ms: i });
    await sleep(400);
    expect(states.slice(1).map((s) => s.state.time_ms)).toEqual([100]);
    ws.close();
  });

  it('unsubscribes from the engine when a client leaves, and when the server closes', async () => {
    const { server, engine } = await start();
    const a = await connect(server);
    const b = await connect(server);
    await until(() => engine.listeners.size === 2);
    a.ws.close();
    await until(() => engine.listeners.size === 1);
    await server.close();
    expect(engine.listeners.size).toBe(0);
    await until(() => b.ws.readyState === WebSocket.CLOSED);
  });

  it('pings clients, and drops one that does not answer', async () => {
    const { server, engine } = await start({ pingIntervalMs: 80 });
    const live = await connect(server);
    let pings = 0;
    live.ws.on('ping', () => pings++);
    const mute = await connect(server, { autoPong: false });
    let muteClosed = false;
    mute.ws.on('close', () => (muteClosed = true));
    await until(() => muteClosed, 2000);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    await until(() => engine.listeners.size === 1);
    live.ws.close();
  });

  it('refuses other paths, foreign Host headers and cross-origin browsers', async () => {
    const { server } = await start();
    const base = server.url.replace('http', 'ws');
    const status = (url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url, options);
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          ws.terminate();
        });
        ws.on('open', () => reject(new Error('connected')));
        ws.on('error', () => undefined);
      });
    expect(await status(`${base}/api/other`)).toBe(404);
    expect(await status(`${base}/api/stream`, { origin: 'http://evil.example' })).toBe(403);
    expect(await status(`${base}/api/stream`, { headers: { host: 'evil.example:8420' } })).toBe(403);
    // The page served by this server (same origin) may connect.
    const same = await connect(server, { origin: server.url });
    same.ws.close();
  });
});

describe('static files', () => {
  let root: string;
  let site: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ballast-static-'));
    site = path.join(root, 'site');
    await mkdir(path.join(site, 'assets'), { recursive: true });
    await writeFile(path.join(site, 'index.html'), '<!doctype html><title>Ballast</title>');
    await writeFile(path.join(site, 'assets', 'app.js'), 'console.log("dashboard");');
    await writeFile(path.join(site, 'assets', 'app.css'), 'body { margin: 0 }');
    await writeFile(path.join(site, 'assets', 'data.json'), '{"a":1}');
    await writeFile(path.join(site, '.env'), 'SECRET_IN_DOTFILE');
    await writeFile(path.join(root, 'secret.txt'), 'SECRET_OUTSIDE');
    await symlink(path.join(root, 'secret.txt'), path.join(site, 'escape.txt'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('serves the directory at / with content types', async () => {
    const { server } = await start({ staticDir: site });
    const expectations: [string, RegExp, string][] = [
      ['/', /^text\/html/, '<title>Ballast</title>'],
      ['/index.html', /^text\/html/, '<title>Ballast</title>'],
      ['/assets/app.js', /^text\/javascript/, 'dashboard'],
      ['/assets/app.css', /^text\/css/, 'margin'],
      ['/assets/data.json', /^application\/json/, '"a":1'],
    ];
    for (const [route, type, content] of expectations) {
      const res = await fetch(`${server.url}${route}`);
      expect(res.status, route).toBe(200);
      expect(res.headers.get('content-type'), route).toMatch(type);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toContain(content);
    }
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
    // The API keeps its own routes beside the files.
    expect((await fetch(`${server.url}/api/state`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/nothing`)).status).toBe(404);
  });

  it('refuses to leave the directory, by any spelling, and hides dotfiles', async () => {
    const { server } = await start({ staticDir: site });
    const attempts = [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e%5csecret.txt',
      '/..\\secret.txt',
      '/escape.txt',
      '/.env',
      '/%2eenv',
      '/index.html%00.js',
      `/${'..%2f'.repeat(8)}etc/passwd`,
    ];
    for (const attempt of attempts) {
      const res = await raw(server, attempt);
      expect(res.status, attempt).toBeGreaterThanOrEqual(400);
      expect(res.body, attempt).not.toContain('SECRET');
      expect(res.body, attempt).not.toContain('root:');
    }
  });

  it('without staticDir nothing is served at /', async () => {
    const { server } = await start();
    expect((await fetch(`${server.url}/`)).status).toBe(404);
  });
});

describe('binding and hosts', () => {
  it('refuses a non-loopback host without allowRemote, with a clear error', async () => {
    for (const host of ['0.0.0.0', '192.168.1.10', '::', 'example.com']) {
      const attempt = startApiServer({
        engine: new FakeEngine(),
        token: TOKEN,
        port: 0,
        host,
        logger: quiet,
      });
      await expect(attempt).rejects.toBeInstanceOf(ApiConfigError);
      await expect(attempt).rejects.toThrow(/not a loopback address.*allowRemote: true/);
    }
  });

  it('binds a non-loopback host when allowRemote is set', async () => {
    const { server } = await start({ host: '0.0.0.0', allowRemote: true });
    expect(server.url).toBe(`http://0.0.0.0:${server.port}`);
    expect((await fetch(`http://127.0.0.1:${server.port}/api/health`)).status).toBe(200);
  });

  it('loopback names', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'localhost.evil.com', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('answers only requests addressed to a loopback name (DNS rebinding)', async () => {
    const { server } = await start();
    expect((await raw(server, '/api/state', { host: 'evil.example' })).status).toBe(403);
    expect((await raw(server, '/api/state', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('refuses a short token and a bad port', async () => {
    await expect(
      startApiServer({ engine: new FakeEngine(), token: 'short', port: 0, logger: quiet }),
    ).rejects.toThrow(/at least 16/);
    await expect(
      startApiServer({ engine: new FakeEngine(), token: TOKEN, port: 70000, logger: quiet }),
    ).rejects.toThrow(/port/);
  });
});

describe('logging', () => {
  it('never writes the token, however it is sent', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const { server } = await start({ logger });
    await post(server, '/api/kill', { token: TOKEN, body: { reason: `typed ${TOKEN} by mistake` } });
    await post(server, '/api/pause', { token: `${TOKEN}x` });
    await post(server, '/api/resume', { token: TOKEN.slice(0, 20) });
    await fetch(`${server.url}/api/state?token=${TOKEN}`);
    await fetch(`${server.url}/api/${TOKEN}`);
    await post(server, '/api/limits', {
      token: TOKEN,
      body: { text: `limits:\n  - measure: ${TOKEN}\n    max: 1\n` },
    });
    await fetch(`${server.url}/api/kill`, { method: 'POST', headers: { authorization: TOKEN } });
    const { ws, states } = await connect(server);
    await until(() => states.length === 1);
    ws.close();
    await server.close();
    const output = lines.join('');
    // It did log: the commands, the refusals and the requests.
    expect(output).toContain('operator command');
    expect(output).toContain('wrong token');
    expect(output).toContain('/api/state');
    expect(output).toContain('[redacted]');
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(TOKEN.slice(0, 20));
  });
});
