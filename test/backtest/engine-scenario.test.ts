/**
 * `kind: engine` backtests: the engine's own loop and core on the simulated venue. The same seed
 * gives the same report, another seed another; the hedger holds the delta near its band; bad
 * scenarios are named by path.
 */
import { describe, expect, it } from 'vitest';
import { runEngineSeed, validateEngineScenario } from '../../src/backtest/engine-scenario.js';
import { parseDocument } from '../../src/backtest/fields.js';
import { InputError } from '../../src/model/errors.js';
import { defaultChainFile } from '../../src/venues/sim/adapter.js';
import { prepareChain } from '../../src/venues/sim/market.js';

const TEXT = 'kind: engine\nname: t\nseed: 1\nduration_s: 300\nconfig: { hedging: { band_coin: 0.2 } }\n';

describe('engine backtests', () => {
  it('the same seed gives the same report; another seed another', async () => {
    const scenario = validateEngineScenario(parseDocument(TEXT, 't'));
    const chain = await prepareChain(defaultChainFile());
    const a = await runEngineSeed(scenario, 1, chain);
    const b = await runEngineSeed(scenario, 1, chain);
    const c = await runEngineSeed(scenario, 2, chain);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
    expect(a.orders_sent).toBeGreaterThan(20);
    expect(a.trading_state).toBe('ACTIVE');
    // The hedger keeps |delta| near its 0.2 BTC band (a hedge at most every 5 s lets it run over a little).
    expect(a.max_abs_delta_coin).toBeLessThan(1);
    expect(a.mass_quotes_sent).toBe(0);
  }, 120_000);

  it('quoting with mass quotes: the quotes go as mass-quote requests, orders only for hedges', async () => {
    const scenario = validateEngineScenario(
      parseDocument(TEXT.replace('config: {', 'config: { quoting: { send: mass_quote },'), 't'),
    );
    const chain = await prepareChain(defaultChainFile());
    const r = await runEngineSeed(scenario, 1, chain);
    expect(r.mass_quotes_sent).toBeGreaterThan(20);
    expect(r.orders_sent).toBe(r.hedges);
    expect(r.trading_state).toBe('ACTIVE');
  }, 120_000);

  it('names bad fields by path', () => {
    const field = (text: string): string => {
      try {
        validateEngineScenario(parseDocument(text, 't'));
      } catch (error) {
        if (error instanceof InputError) return error.field;
        throw error;
      }
      return 'accepted';
    };
    expect(field(TEXT.replace('duration_s: 300', 'duration_s: 0'))).toBe('duration_s');
    expect(field(TEXT.replace('band_coin: 0.2', 'band_coin: -1'))).toBe('config.hedging.band_coin');
    expect(field(TEXT.replace('config: {', 'config: { venue: deribit,'))).toBe('config.venue');
    expect(field(`${TEXT}extra: 1\n`)).toBe('extra');
  });
});
