/**
 * What the Deribit tests share: an adapter started against a fresh fake Deribit (real WebSockets
 * on 127.0.0.1), collecting every input it emits and every log line, and a poll that waits for
 * a condition.
 */
import { mulberry32 } from '../../../scripts/generate-fills.js';
import type { EngineInput } from '../../../src/engine/types.js';
import { DeribitAdapter, type DeribitAdapterConfig } from '../../../src/venues/deribit/adapter.js';
import { FakeDeribit } from './fake-server.js';

export const SECRET = 'sEcReT-0f-the-account-7c1d9e';
export const INSTRUMENT = 'BTC-PERPETUAL';

export interface Harness {
  fake: FakeDeribit;
  adapter: DeribitAdapter;
  inputs: EngineInput[];
  logs: string[];
  onInput: ((input: EngineInput) => void) | null;
}

/**
 * A started adapter on a fresh fake (short heartbeats, timeouts and backoff, jitter seeded by
 * `seed`); the caller stops both (`stopHarness`).
 */
export async function startHarness(options: {
  seed: number;
  tokenLifetimeS?: number;
  overrides?: Partial<DeribitAdapterConfig>;
}): Promise<Harness> {
  const fake = await FakeDeribit.start({
    clientSecret: SECRET,
    ...(options.tokenLifetimeS === undefined ? {} : { tokenLifetimeS: options.tokenLifetimeS }),
  });
  const logs: string[] = [];
  const capture = (level: string) => (message: string) => logs.push(`${level} ${message}`);
  const adapter = new DeribitAdapter({
    url: fake.url,
    clientId: 'test-client',
    clientSecret: SECRET,
    instruments: [INSTRUMENT],
    kinds: ['future'],
    heartbeatIntervalS: 0.1,
    requestTimeoutMs: 300,
    reconnect: { initialMs: 40, maxMs: 300 },
    random: mulberry32(options.seed),
    logger: { info: capture('info'), warn: capture('warn'), error: capture('error') },
    ...options.overrides,
  });
  const h: Harness = { fake, adapter, inputs: [], logs, onInput: null };
  await adapter.start((input) => {
    h.inputs.push(input);
    h.onInput?.(input);
  });
  return h;
}

export async function stopHarness(h: Harness): Promise<void> {
  await h.adapter.stop();
  await h.fake.stop();
}

/** Polls `probe` every 10 ms until it gives a value, or fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
