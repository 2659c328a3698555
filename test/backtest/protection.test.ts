/**
 * Scenarios that exercise bursts of large orders, market maker protection and
 * cancel-on-disconnect through the backtest runner: each protection is checked against what
 * the venue promises (no fill while frozen, none while disconnected with cancel-on-disconnect),
 * and shown to matter (without it, the same draws fill the stale quotes).
 */
import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestReport } from '../../src/backtest/runner.js';
import { parseScenario } from '../../src/backtest/scenario.js';
import { InputError } from '../../src/model/errors.js';

const BASE = `
name: protection
seed: 1
instrument: BTC-PERPETUAL
start: 2026-01-01T00:00:00Z
duration_s: 600
step_ms: 1000
market: { model: gbm, s0: 100000, sigma: 0.6 }
strategy: { kind: avellaneda-stoikov, gamma: 0.00001, k: 0.05, quote_size_usd: 1000, max_inventory: 20 }
latency: { model: constant, ms: 20 }
`;
const FLOW = 'flow: { rate_per_s: 2, k: 0.05, size_usd: 1000, size_log_std: 0 }\n';

/** The maker's cumulative volume at the last step at or before `t`. */
function volumeAt(r: BacktestReport, t: number): number {
  const times = r.paths.times_ms;
  const volume = r.paths.volume_usd as number[];
  let i = 0;
  while (i + 1 < times.length && (times[i + 1] as number) <= t) i += 1;
  return volume[i] as number;
}

describe('bursts of large orders in a scenario', () => {
  it('adds Neyman-Scott clusters: the count of burst orders matches its mean and variance over seeds', () => {
    // 600 s at 0.05 bursts/s of 1 + Poisson(4) orders: mean 30 x 5 = 150 orders, variance
    // 30 x E[N^2] = 30 x (4 + 25) = 870 (the module's formula; bursts cut at the end lose a few).
    const plain = parseScenario(BASE + FLOW);
    const bursty = parseScenario(
      `${BASE}flow: { rate_per_s: 2, k: 0.05, size_usd: 1000, size_log_std: 0, bursts: { rate_per_s: 0.05, mean_orders: 5, mean_gap_ms: 200, size_usd: 20000 } }\n`,
    );
    const counts: number[] = [];
    for (let seed = 1; seed <= 12; seed++) {
      counts.push(runBacktest(bursty, seed).taker_orders - runBacktest(plain, seed).taker_orders);
    }
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    // The mean of 12 counts: standard error sqrt(870 / 12) = 8.5; within 3.5 of them.
    expect(Math.abs(mean - 150)).toBeLessThan(3.5 * Math.sqrt(870 / 12));
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it('buying bursts of market orders take the asks: the maker holds a shorter inventory', () => {
    const plain = parseScenario(BASE + FLOW);
    const bursty = parseScenario(
      `${BASE}flow: { rate_per_s: 2, k: 0.05, size_usd: 1000, size_log_std: 0, bursts: { rate_per_s: 0.02, mean_orders: 4, mean_gap_ms: 100, size_usd: 5000, buy_share: 1 } }\n`,
    );
    const meanInventory = (r: BacktestReport): number =>
      r.paths.inventory_usd.reduce((x, y) => x + y, 0) / r.paths.inventory_usd.length;
    let shorter = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const a = runBacktest(plain, seed);
      const b = runBacktest(bursty, seed);
      expect(b.volume_usd).toBeGreaterThanOrEqual(a.volume_usd);
      if (meanInventory(b) < meanInventory(a)) shorter += 1;
    }
    expect(shorter).toBeGreaterThanOrEqual(8);
  });
});

describe('market maker protection in a scenario', () => {
  const withMmp = parseScenario(
    `${BASE}flow: { rate_per_s: 8, k: 0.05, size_usd: 1000, size_log_std: 0 }\n`.replace(
      'max_inventory: 20 }',
      'max_inventory: 20, mmp: { interval_ms: 1000, frozen_ms: 5000, quantity_limit_usd: 1500 } }',
    ),
  );
  const without = parseScenario(`${BASE}flow: { rate_per_s: 8, k: 0.05, size_usd: 1000, size_log_std: 0 }\n`);

  it('fires, pulls the quotes and trades nothing while frozen', () => {
    const r = runBacktest(withMmp, 3);
    expect(r.mmp_triggers).toBeGreaterThan(0);
    const triggers = r.protection_events.filter((e) => e.type === 'mmp_trigger');
    expect(triggers).toHaveLength(r.mmp_triggers);
    for (const e of triggers) {
      // The first whole step after the trigger and the last step inside the 5 s freeze: no fill between.
      const from = Math.ceil(e.time_ms / 1000) * 1000;
      const to = e.time_ms + 5000 - 1;
      if (to > (r.paths.times_ms.at(-1) as number)) continue;
      expect(volumeAt(r, to)).toBe(volumeAt(r, from));
    }
    // The same draws without protection trade more.
    expect(runBacktest(without, 3).volume_usd).toBeGreaterThan(r.volume_usd);
  });
});

describe('cancel-on-disconnect in a scenario', () => {
  const drops =
    'connection: { cancel_on_disconnect: COD, drops: [{ at_s: 100, for_s: 60 }, { at_s: 300, for_s: 60 }] }\n';
  const cod = parseScenario(BASE + FLOW + drops.replace('COD', 'true'));
  const stale = parseScenario(BASE + FLOW + drops.replace('COD', 'false'));
  const start = Date.parse('2026-01-01T00:00:00Z');

  it('cancels the quotes when the connection drops: no fill until it is back', () => {
    let cancelled = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const r = runBacktest(cod, seed);
      expect(r.protection_events.map((e) => e.type)).toEqual([
        'disconnect',
        'reconnect',
        'disconnect',
        'reconnect',
      ]);
      cancelled += r.cancelled_on_disconnect;
      for (const at of [100, 300]) {
        expect(volumeAt(r, start + (at + 60) * 1000)).toBe(volumeAt(r, start + at * 1000));
      }
    }
    // A quote may have been filled before the drop; most drops find one or two to cancel.
    expect(cancelled).toBeGreaterThanOrEqual(5);
  });

  it('without it, the quotes left behind keep trading while the maker cannot move them', () => {
    let filledWhileDown = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = runBacktest(stale, seed);
      expect(r.cancelled_on_disconnect).toBe(0);
      for (const at of [100, 300]) {
        if (volumeAt(r, start + (at + 60) * 1000) > volumeAt(r, start + at * 1000)) filledWhileDown += 1;
      }
    }
    // Over seeds 1-20, 28 of 40 windows filled a stale quote (a quote is left at the drop and the
    // mid wanders to it within the minute); a run where cancel-on-disconnect leaked would show 0.
    expect(filledWhileDown).toBeGreaterThanOrEqual(8); // of 20 windows
  });

  it('names bad protection settings by path', () => {
    const bad = (text: string): string => {
      try {
        parseScenario(text);
      } catch (error) {
        if (error instanceof InputError) return error.field;
        throw error;
      }
      return 'accepted';
    };
    expect(bad(BASE + FLOW + 'connection: { drops: [{ at_s: 10, for_s: 0 }] }\n')).toBe(
      'connection.drops.0.for_s',
    );
    expect(
      bad(BASE + FLOW + 'connection: { drops: [{ at_s: 10, for_s: 30 }, { at_s: 20, for_s: 5 }] }\n'),
    ).toBe('connection.drops.1.at_s');
    expect(bad(BASE + FLOW + 'connection: { cancel_on_disconnect: 1 }\n')).toBe(
      'connection.cancel_on_disconnect',
    );
    expect(
      bad(
        BASE.replace(
          'max_inventory: 20 }',
          'max_inventory: 20, mmp: { interval_ms: 1000, frozen_ms: 0, quantity_limit_usd: 1 } }',
        ) + FLOW,
      ),
    ).toBe('strategy.mmp.frozen_ms');
    expect(
      bad(
        `${BASE}flow: { rate_per_s: 2, k: 0.05, size_usd: 1000, bursts: { rate_per_s: 1, mean_orders: 0.5, mean_gap_ms: 1, size_usd: 1 } }\n`,
      ),
    ).toBe('flow.bursts.mean_orders');
  });
});
