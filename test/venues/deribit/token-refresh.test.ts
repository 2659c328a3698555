/**
 * The Deribit adapter's access tokens against a fake Deribit whose tokens live about a second:
 * refreshes with the refresh grant (per connection), the fallback to client credentials, the loss
 * of both (in doubt, the kill path, a reconnect), and tokens kept out of every text.
 *
 * <https://docs.deribit.com/api-reference/authentication/public-auth>: `grant_type`
 * `client_credentials` or `refresh_token`; the answer's `expires_in` is the token's lifetime in
 * seconds. An expired token: 13009 `invalid_token` (<https://docs.deribit.com/articles/errors>).
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineInput } from '../../../src/engine/types.js';
import { type DeribitAdapterConfig } from '../../../src/venues/deribit/adapter.js';
import { DeribitRpc, DeribitRpcError } from '../../../src/venues/deribit/rpc.js';
import { FakeDeribit } from './fake-server.js';
import { SECRET, startHarness, stopHarness, waitFor as waitUntil, type Harness } from './harness.js';

let open: Harness[] = [];
let rpcs: DeribitRpc[] = [];
let fakes: FakeDeribit[] = [];

afterEach(async () => {
  for (const h of open) await stopHarness(h);
  for (const rpc of rpcs) await rpc.close();
  for (const fake of fakes) await fake.stop();
  open = [];
  rpcs = [];
  fakes = [];
});

async function harness(
  tokenLifetimeS: number,
  overrides: Partial<DeribitAdapterConfig> = {},
): Promise<Harness> {
  const h = await startHarness({ seed: 11, tokenLifetimeS, overrides });
  open.push(h);
  return h;
}

const waitFor = <T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 4000): Promise<T> =>
  waitUntil(what, probe, timeoutMs);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const connections = (inputs: EngineInput[]) =>
  inputs.flatMap((i) => (i.kind === 'connection' ? [`${i.state}: ${i.reason}`] : []));
const ofKind = <K extends EngineInput['kind']>(inputs: EngineInput[], kind: K) =>
  inputs.filter((i): i is Extract<EngineInput, { kind: K }> => i.kind === kind);
const grants = (fake: FakeDeribit, grant: string) =>
  fake.received.filter((r) => r.method === 'public/auth' && r.grant === grant);

function everything(h: Harness): string {
  return [
    ...h.logs,
    JSON.stringify(h.inputs, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    inspect(h.adapter, { depth: 6, showHidden: true }),
    inspect(h.adapter.killReports, { depth: 6 }),
  ].join('\n');
}

function expectNoSecrets(h: Harness): void {
  const text = everything(h);
  expect(text).not.toContain(SECRET);
  expect(h.fake.issuedTokens.length).toBeGreaterThan(0);
  for (const token of h.fake.issuedTokens) expect(text).not.toContain(token);
}

describe('the fake Deribit: tokens', () => {
  it('rejects a private request with an expired token (13009 invalid_token); a refresh rotates the tokens', async () => {
    const fake = await FakeDeribit.start({ clientSecret: SECRET, tokenLifetimeS: 0.2 });
    fakes.push(fake);
    const rpc = new DeribitRpc({ url: fake.url, name: 'probe', requestTimeoutMs: 500 });
    rpcs.push(rpc);
    await rpc.connect();
    const first = await rpc.call<{ refresh_token: string; expires_in: number }>('public/auth', {
      grant_type: 'client_credentials',
      client_id: 'test-client',
      client_secret: SECRET,
    });
    expect(first.expires_in).toBe(0.2);
    await rpc.call('private/get_positions', { currency: 'BTC' });
    await pause(250);
    const expired = await rpc.call('private/get_positions', { currency: 'BTC' }).catch((e: unknown) => e);
    expect(expired).toBeInstanceOf(DeribitRpcError);
    expect((expired as DeribitRpcError).code).toBe(13009);
    expect((expired as DeribitRpcError).detail).toContain('token has expired');
    expect(fake.expiredTokenRejections).toBe(1);
    const second = await rpc.call<{ refresh_token: string }>('public/auth', {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
    });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    await rpc.call('private/get_positions', { currency: 'BTC' });
    // Rotated: the used refresh token is no longer valid.
    const reused = await rpc
      .call('public/auth', { grant_type: 'refresh_token', refresh_token: first.refresh_token })
      .catch((e: unknown) => e);
    expect((reused as DeribitRpcError).code).toBe(13009);
  });
});

describe('DeribitAdapter: token refresh', () => {
  it('with tokens of 1 s, keeps private access for several seconds on both connections by refreshing', async () => {
    const h = await harness(1);
    const [mainConnection, killConnection] = [
      h.fake.mainConnection()?.id,
      [...h.fake.connections.values()].find((c) => c.channels.size === 0)?.id,
    ];
    expect(mainConnection).toBeDefined();
    expect(killConnection).toBeDefined();
    const started = Date.now();
    let calls = 0;
    while (Date.now() - started < 3500) {
      // A private request on the main connection, every 250 ms: each must succeed.
      const margin = await h.adapter.compareMargin('BTC', 0);
      expect(margin.currency).toBe('BTC');
      calls++;
      await pause(250);
    }
    expect(calls).toBeGreaterThan(10);
    const refreshes = grants(h.fake, 'refresh_token');
    const onMain = refreshes.filter((r) => r.connection === mainConnection);
    const onKill = refreshes.filter((r) => r.connection === killConnection);
    // About one every 800 ms (80% of 1 s) on each connection.
    expect(onMain.length).toBeGreaterThanOrEqual(3);
    expect(onKill.length).toBeGreaterThanOrEqual(3);
    // Only the two first grants used the client credentials.
    expect(grants(h.fake, 'client_credentials')).toHaveLength(2);
    expect(h.fake.expiredTokenRejections).toBe(0);
    // The kill path still works with a refreshed token.
    h.adapter.send({ kind: 'cancel_all', reason: 'test', killPath: true });
    const report = await waitFor('kill answered', () =>
      h.adapter.killReports.find((r) => r.answeredAtMs !== null || r.error !== null),
    );
    expect(report.error).toBeNull();
    expect(report.connection).toBe('kill');
    // Never in doubt, never down: the connection stayed up all along.
    expect(connections(h.inputs).map((s) => s.split(':')[0])).toEqual(['up']);
    expect(h.logs.some((l) => l.includes('main: access token refreshed'))).toBe(true);
    expect(h.logs.some((l) => l.includes('kill: access token refreshed'))).toBe(true);
    expectNoSecrets(h);
  });

  it('a rejected refresh falls back to client credentials on the same connection', async () => {
    const h = await harness(1);
    h.fake.faults.rejectRefresh = 1;
    await waitFor('a rejected refresh and a fallback', () => {
      const authReceived = h.fake.received.filter((r) => r.method === 'public/auth');
      const refused = authReceived.findIndex((r) => r.grant === 'refresh_token');
      if (refused < 0) return false;
      const connection = authReceived[refused]?.connection;
      return authReceived
        .slice(refused + 1)
        .some((r) => r.connection === connection && r.grant === 'client_credentials');
    });
    // The fake has the fallback grant; the adapter logs it once the answer is back.
    await waitFor('the fallback answered', () =>
      h.logs.some((l) => l.includes('re-authenticated with client credentials')),
    );
    expect(h.fake.faults.rejectRefresh).toBe(0);
    expect(grants(h.fake, 'client_credentials')).toHaveLength(3);
    expect(h.logs.some((l) => /token refresh failed: .*13009.*client credentials/.test(l))).toBe(true);
    // Refreshing resumes after the fallback, and private requests keep working.
    const refreshesBefore = grants(h.fake, 'refresh_token').length;
    await pause(1800);
    expect(grants(h.fake, 'refresh_token').length).toBeGreaterThanOrEqual(refreshesBefore + 3);
    await h.adapter.compareMargin('BTC', 0);
    expect(h.fake.expiredTokenRejections).toBe(0);
    expect(connections(h.inputs).map((s) => s.split(':')[0])).toEqual(['up']);
    expectNoSecrets(h);
  });

  it('refresh and client credentials both refused: in doubt, the kill path, then a reconnect once auth works again', async () => {
    const h = await harness(1);
    h.onInput = (input) => {
      // The core's rule: quotes are pulled through the kill path when the main connection is in doubt.
      if (input.kind === 'connection' && input.state === 'in_doubt') {
        h.adapter.send({ kind: 'cancel_all', reason: input.reason, killPath: true });
      }
    };
    h.fake.faults.rejectAuth = true;
    const doubt = await waitFor('in doubt', () =>
      connections(h.inputs).find((s) => s.startsWith('in_doubt: authentication lost')),
    );
    expect(doubt).toMatch(/13004 invalid_credentials/);
    expect(h.adapter.killReports.length).toBeGreaterThan(0);
    await waitFor('down', () => connections(h.inputs).some((s) => s.startsWith('down')));
    h.fake.faults.rejectAuth = false;
    await waitFor('up again', () => connections(h.inputs).at(-1)?.startsWith('up: connected'));
    expect(ofKind(h.inputs, 'account').length).toBeGreaterThanOrEqual(2);
    await h.adapter.compareMargin('BTC', 0);
    expectNoSecrets(h);
  });
});
