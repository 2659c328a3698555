/**
 * Backtests through the engine itself (`kind: engine`): the same loop and core that run live
 * (`src/engine/loop.ts`, journal-first, the options quoter, the hedger, the trading state, the
 * order manager) on the simulated venue (`src/venues/sim/`) in fast mode, driven second by
 * second: the strategies meet the market exactly as they would in `ballast run`, only the clock
 * is the simulation's. Each seed's journal is a temporary SQLite file, removed afterwards.
 *
 * ```yaml
 * kind: engine
 * name: engine-paper
 * seed: 1
 * duration_s: 1800
 * config: { quoting: { half_spread_vol_points: 2 }, hedging: { band_coin: 0.5 } }   # the run configuration (src/engine/config.ts)
 * ```
 *
 * The report per seed: fills, orders sent, positions at the end, P&L in USD at the marks, the
 * largest |delta| seen (sampled each second) and the hedges with their cost, the trading state
 * and the alerts' kinds counted. The same seed gives the same report.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { coreConfigOf, validateRunConfig, type RunConfig } from '../engine/config.js';
import { Engine } from '../engine/loop.js';
import { InputError } from '../model/errors.js';
import { SqliteJournal } from '../store/sqlite/journal.js';
import { defaultChainFile, SimVenue } from '../venues/sim/adapter.js';
import { prepareChain, type PreparedChain } from '../venues/sim/market.js';
import { Fields } from './fields.js';

export interface EngineScenario {
  kind: 'engine';
  name: string;
  description: string | undefined;
  seed: number;
  durationS: number;
  config: RunConfig;
}

/** Validates a parsed `kind: engine` document; problems named by path. */
export function validateEngineScenario(data: unknown): EngineScenario {
  const f = Fields.of('', data, ['kind', 'name', 'description', 'seed', 'duration_s', 'config']);
  f.text('kind', ['engine']);
  let config: RunConfig;
  try {
    config = validateRunConfig(f.data.config ?? {});
  } catch (error) {
    if (error instanceof InputError)
      throw new InputError(`config.${error.field}`, error.value, error.expected);
    throw error;
  }
  if (config.venue !== 'sim')
    throw new InputError('config.venue', config.venue, 'sim (backtests run on the simulated venue)');
  return {
    kind: 'engine',
    name: f.text('name'),
    description: f.data.description === undefined ? undefined : f.text('description'),
    seed: f.number('seed', { min: 0, integer: true }),
    durationS: f.number('duration_s', { above: 0, integer: true }),
    config,
  };
}

/** One seed's figures. */
export interface EngineSeedReport {
  seed: number;
  simulated_s: number;
  inputs: number;
  orders_sent: number;
  /** Mass-quote requests sent (`quoting.send: mass_quote`; 0 otherwise). */
  mass_quotes_sent: number;
  fills: number;
  positions: number;
  pnl_usd: number;
  max_abs_delta_coin: number;
  final_delta_coin: number;
  hedges: number;
  hedging_cost_usd: number;
  trading_state: string;
  alerts: Record<string, number>;
}

/** Runs one seed through the engine on the simulated venue; `chain` read once for all seeds. */
export async function runEngineSeed(
  scenario: EngineScenario,
  seed: number,
  chain?: PreparedChain,
): Promise<EngineSeedReport> {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-engine-backtest-'));
  const journal = SqliteJournal.open(join(dir, 'journal.sqlite'));
  try {
    const venue = new SimVenue({
      seed,
      speed: 'fast',
      chain: chain ?? (await prepareChain(defaultChainFile())),
      idPrefix: `bt${seed}-`,
    });
    const engine = Engine.open({
      core: coreConfigOf(scenario.config, venue.venue),
      journal,
      venue,
      timerMs: 0,
      clock: () => venue.nowMs(),
      runId: `bt${seed}`,
      snapshotEveryFills: Number.MAX_SAFE_INTEGER,
    });
    await engine.start();
    let maxDelta = 0;
    const currency = scenario.config.currency;
    for (let s = 0; s < scenario.durationS; s++) {
      venue.stepFor(1000);
      engine.push({ kind: 'timer', timestampMs: venue.nowMs() });
      engine.flush();
      engine.flush();
      maxDelta = Math.max(maxDelta, Math.abs(engine.core.state().greeks[currency]?.delta ?? 0));
    }
    const state = engine.state();
    const alerts: Record<string, number> = {};
    for (const a of state.alerts) alerts[a.kind] = (alerts[a.kind] ?? 0) + 1;
    const report: EngineSeedReport = {
      seed,
      simulated_s: scenario.durationS,
      inputs: engine.stats.inputs,
      orders_sent: engine.core.orders.count,
      mass_quotes_sent: engine.core.orders.massQuoteCount,
      fills: journal.count({ types: ['fill'] }),
      positions: state.positions.length,
      pnl_usd: state.pnl.usd,
      max_abs_delta_coin: maxDelta,
      final_delta_coin: state.greeks[currency]?.delta ?? 0,
      hedges: state.hedges.count,
      hedging_cost_usd: state.hedges.cost_usd,
      trading_state: state.trading_state,
      alerts,
    };
    await engine.stop();
    return report;
  } finally {
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `seeds` seeds from the scenario's, one after another (each reads the chain once, shared). */
export async function runEngineScenario(
  scenario: EngineScenario,
  seeds: number,
  onProgress?: (done: number, total: number) => void,
): Promise<EngineSeedReport[]> {
  if (!Number.isSafeInteger(seeds) || seeds < 1) throw new InputError('seeds', seeds, 'an integer >= 1');
  const chain = await prepareChain(defaultChainFile());
  const out: EngineSeedReport[] = [];
  for (let i = 0; i < seeds; i++) {
    out.push(await runEngineSeed(scenario, scenario.seed + i, chain));
    onProgress?.(i + 1, seeds);
  }
  return out;
}
