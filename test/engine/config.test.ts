/** The run configuration: defaults that run with no file, every problem named by its path. */
import { describe, expect, it } from 'vitest';
import { coreConfigOf, DEFAULT_RUN_CONFIG, parseRunConfig } from '../../src/engine/config.js';
import { InputError } from '../../src/model/errors.js';

function field(text: string): string {
  try {
    parseRunConfig(text);
  } catch (error) {
    if (error instanceof InputError) return error.field;
    throw error;
  }
  return 'accepted';
}

describe('run configuration', () => {
  it('defaults: paper trading on the simulated exchange, API on 127.0.0.1:8420, journal under ./data', () => {
    expect(DEFAULT_RUN_CONFIG).toMatchObject({
      venue: 'sim',
      journal: { path: './data/journal.sqlite' },
      api: { host: '127.0.0.1', port: 8420 },
      currency: 'BTC',
    });
    const core = coreConfigOf(DEFAULT_RUN_CONFIG, 'sim');
    expect(core.quoting?.quoter.halfSpreadVol).toBeCloseTo(0.02, 15);
    expect(core.hedging?.instrument).toBe('BTC-PERPETUAL');
  });

  it('reads YAML and JSON, and sections can be switched off', () => {
    const c = parseRunConfig(
      'venue: sim\nsim: { seed: 7, speed: 10 }\nquoting: null\nhedging: { band_coin: 1 }\n',
    );
    expect(c.sim).toEqual({ seed: 7, speed: 10 });
    expect(c.quoting).toBeNull();
    expect(c.hedging?.band_coin).toBe(1);
    expect(coreConfigOf(c, 'sim').quoting).toBeUndefined();
    expect(parseRunConfig('{"api": {"port": 0}}').api.port).toBe(0);
    expect(
      parseRunConfig('journal: { kind: postgres, url: "postgres://127.0.0.1/ballast", schema: engine_a }')
        .journal,
    ).toMatchObject({
      kind: 'postgres',
      schema: 'engine_a',
    });
    expect(DEFAULT_RUN_CONFIG.journal.kind).toBe('sqlite');
  });

  it('names every bad field by its path', () => {
    expect(field('venue: binance')).toBe('venue');
    expect(field('api: { port: 70000 }')).toBe('api.port');
    expect(field('quoting: { limits: { vega_total: -1 } }')).toBe('quoting.limits.vega_total');
    expect(field('kill_switch: { fill_burst: { count: 3 } }')).toBe('kill_switch.fill_burst.window_ms');
    expect(field('deribit: { network: moon }')).toBe('deribit.network');
    expect(field('nonsense: 1')).toBe('config');
    expect(field('journal: { kind: postgres }')).toBe('journal.url');
    expect(field('journal: { kind: mysql }')).toBe('journal.kind');
    expect(field('quoting: { send: fix }')).toBe('quoting.send');
    expect(field('quoting: { mass_quote: { group: "a b" } }')).toBe('quoting.mass_quote.group');
    expect(field('quoting: { mass_quote: { mmp: { interval_s: 1 } } }')).toBe('quoting.mass_quote.mmp');
    expect(field('quoting: { mass_quote: { mmp: { interval_s: 0.5, quantity_limit: 5 } } }')).toBe(
      'quoting.mass_quote.mmp.interval_s',
    );
  });

  it('mass quoting: off by default; on, with the MMP group and its protection', () => {
    expect(coreConfigOf(DEFAULT_RUN_CONFIG, 'sim').quoting?.send).toBe('orders');
    const c = parseRunConfig(
      'quoting: { send: mass_quote, mass_quote: { group: mm-1, max_per_request: 5, mmp: { interval_s: 2, frozen_time_s: 0, vega_limit: 40, max_quote_quantity: 3 } } }',
    );
    expect(coreConfigOf(c, 'sim').quoting).toMatchObject({
      send: 'mass_quote',
      massQuote: {
        group: 'mm-1',
        maxPerRequest: 5,
        mmp: { intervalS: 2, frozenTimeS: 0, vegaLimit: 40, maxQuoteQuantity: 3 },
        coolDownMs: 5000,
      },
    });
  });
});
