/**
 * Limits, the pre-trade check and the trading states: each limit named in a test, REDUCING
 * takes a reducing order and refuses an increasing one, HALTED refuses all but cancels, and
 * every change of state is journaled with its reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreLedger } from '../../src/engine/journaled-ledger.js';
import { eventRecord } from '../../src/inventory/event-json.js';
import { InputError } from '../../src/model/errors.js';
import { readRiskMarket } from '../../src/risk/inputs.js';
import { MEASURES, parseLimitsText, validateLimits } from '../../src/risk/limits/config.js';
import { PreTradeChecker, unitExposure, type UnitExposure } from '../../src/risk/limits/pretrade.js';
import { stateChangeRecord, TradingController, type StateChange } from '../../src/risk/trading-state.js';
import { SqliteJournal } from '../../src/store/sqlite/journal.js';
import { repoRoot } from '../cli/run-cli.js';
import { fill } from '../inventory/helpers.js';

/** Exposures chosen so every figure below is easy to check by hand. */
const UNIT: Record<string, UnitExposure> = {
  'BTC-26JUN20-10000-C': {
    position: 1,
    notional_usd: 9000,
    delta_coin: 0.4,
    delta_usd: 3600,
    gamma_coin: 0.02,
    vega_usd: 20,
    vega_weighted_usd: 15,
    vega_parallel_usd: 20,
    vega_skew_usd: 4,
    vega_butterfly_usd: 0.8,
    theta_usd: -5,
  },
  'BTC-26JUN20-8000-P': {
    position: 1,
    notional_usd: 9000,
    delta_coin: -0.2,
    delta_usd: -1800,
    gamma_coin: 0.01,
    vega_usd: 10,
    vega_weighted_usd: 7.5,
    vega_parallel_usd: 10,
    vega_skew_usd: -6,
    vega_butterfly_usd: 3.6,
    theta_usd: -2,
  },
  'BTC-PERPETUAL': {
    position: 1,
    notional_usd: 1,
    delta_coin: 1e-4,
    delta_usd: 0.9,
    gamma_coin: 0,
    vega_usd: 0,
    vega_weighted_usd: 0,
    vega_parallel_usd: 0,
    vega_skew_usd: 0,
    vega_butterfly_usd: 0,
    theta_usd: 0,
  },
};

function checker(limits: unknown[]): PreTradeChecker {
  const config = validateLimits({ limits });
  return new PreTradeChecker(config, (name) => {
    const e = UNIT[name];
    if (e === undefined) throw new InputError('instrument', name, 'known');
    return e;
  });
}

describe('the limits file', () => {
  it('reads JSON and YAML alike, with defaults', () => {
    const yaml = parseLimitsText(
      'limits:\n  - scope: { underlying: BTC }\n    measure: delta_coin\n    max: 25\n',
    );
    const json = parseLimitsText(
      '{"limits":[{"scope":{"underlying":"BTC"},"measure":"delta_coin","max":25}]}',
    );
    expect(yaml).toEqual(json);
    expect(json).toEqual({
      delta: 'premium_adjusted',
      limits: [
        {
          name: 'underlying=BTC:delta_coin',
          scope: { underlying: 'BTC' },
          measure: 'delta_coin',
          min: -25,
          max: 25,
          includeResting: false,
        },
      ],
    });
  });

  it.each([
    ['limits: [ { measure: delta, max: 1 } ]', 'limits.limits[0].measure'],
    ['limits: [ { measure: vega_usd } ]', 'limits.limits[0].max'],
    ['limits: [ { measure: vega_usd, max: 1, colour: red } ]', 'limits.limits[0].colour'],
    ['limits: [ { measure: vega_usd, min: 2, max: 1 } ]', 'limits.limits[0].min'],
    [
      'limits: [ { measure: vega_usd, max: 1, scope: { strike_bucket: [9, 1] } } ]',
      'limits.limits[0].scope.strike_bucket',
    ],
    ['limits: [ { measure: vega_usd, max: 1 }, { measure: vega_usd, max: 2 } ]', 'limits.limits[1].name'],
    ['delta: gross\nlimits: []', 'limits.delta'],
    ['limits: [ {', 'limits'],
  ])('refuses %j naming %s', (text, field) => {
    try {
      parseLimitsText(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).field).toBe(field);
    }
  });
});

describe('the pre-trade check', () => {
  it.each(MEASURES.filter((m) => !m.endsWith('loss_usd') && !m.startsWith('drawdown')))(
    'names a breached %s limit with current, after and allowed',
    (measure) => {
      const per = (UNIT['BTC-26JUN20-10000-C'] as UnitExposure)[measure as keyof UnitExposure];
      const max = 100 * Math.abs(per);
      const c = checker([{ name: `lim-${measure}`, measure, max }]);
      const amount = 101;
      const result = c.check({ instrument: 'BTC-26JUN20-10000-C', amount });
      expect(result.accepted).toBe(false);
      expect(result.breaches).toEqual([
        { limit: `lim-${measure}`, measure, current: 0, after: amount * per, allowed: { min: -max, max } },
      ]);
      expect(c.check({ instrument: 'BTC-26JUN20-10000-C', amount: 1 }).accepted).toBe(true);
    },
  );

  it('applies each limit to its scope only: underlying, expiry, strike bucket, instrument', () => {
    const c = checker([
      { name: 'eth', scope: { underlying: 'ETH' }, measure: 'position', max: 0 },
      { name: 'sep', scope: { expiry: '25SEP20' }, measure: 'position', max: 0 },
      { name: 'low-strikes', scope: { strike_bucket: [5000, 9000] }, measure: 'position', max: 5 },
      { name: 'perp', scope: { instrument: 'BTC-PERPETUAL' }, measure: 'position', max: 100 },
    ]);
    expect(c.check({ instrument: 'BTC-26JUN20-10000-C', amount: 50 }).accepted).toBe(true);
    expect(c.check({ instrument: 'BTC-26JUN20-8000-P', amount: 6 }).breaches.map((b) => b.limit)).toEqual([
      'low-strikes',
    ]);
    expect(c.check({ instrument: 'BTC-PERPETUAL', amount: -110 }).breaches.map((b) => b.limit)).toEqual([
      'perp',
    ]);
  });

  it('adds fills incrementally and, where asked, the worst case of every resting order filling', () => {
    const c = checker([
      { name: 'delta', measure: 'delta_coin', max: 10 },
      { name: 'delta-resting', measure: 'delta_coin', max: 10, include_resting: true },
    ]);
    c.addPosition('BTC-26JUN20-10000-C', 20); // delta 8
    c.addResting({ instrument: 'BTC-26JUN20-10000-C', amount: 4 }); // could add 1.6
    const r = c.check({ instrument: 'BTC-26JUN20-10000-C', amount: 2 }); // 8 + 0.8 = 8.8; +1.6 resting = 10.4
    expect(r.breaches).toEqual([
      {
        limit: 'delta-resting',
        measure: 'delta_coin',
        current: 8,
        after: expect.closeTo(10.4, 12),
        allowed: { min: -10, max: 10 },
      },
    ]);
    c.addResting({ instrument: 'BTC-26JUN20-10000-C', amount: 4 }, true);
    expect(c.check({ instrument: 'BTC-26JUN20-10000-C', amount: 2 }).accepted).toBe(true);
    expect(c.exposures().map((e) => e.value)).toEqual([8, 8]);
  });

  it('REDUCING accepts an order that reduces the breached exposure and refuses one that increases it', () => {
    const c = checker([{ name: 'vega', measure: 'vega_usd', max: 500 }]);
    c.addPosition('BTC-26JUN20-10000-C', 30); // vega 600: breached
    const reduce = c.check({ instrument: 'BTC-26JUN20-10000-C', amount: -5 }, true);
    expect(reduce).toEqual({ accepted: true, breaches: [] });
    const increase = c.check({ instrument: 'BTC-26JUN20-8000-P', amount: 1 }, true);
    expect(increase.accepted).toBe(false);
    expect(increase.breaches.map((b) => b.limit)).toEqual(['vega']);
    // An order touching no breached limit reduces nothing: refused in REDUCING, with why.
    const other = c.check({ instrument: 'BTC-PERPETUAL', amount: 10 }, true);
    expect(other.accepted).toBe(false);
    expect(other.breaches.map((b) => b.limit)).toEqual(['vega']);
  });

  it('a breached daily loss or drawdown passes only orders that reduce their position', () => {
    const c = checker([
      { name: 'loss', measure: 'daily_loss_usd', max: 10_000 },
      { name: 'drawdown', measure: 'drawdown_usd', max: 50_000 },
    ]);
    c.addPosition('BTC-PERPETUAL', 1000);
    expect(c.check({ instrument: 'BTC-PERPETUAL', amount: 10 }).accepted).toBe(true);
    c.setPnl(12_000, 60_000);
    const more = c.check({ instrument: 'BTC-PERPETUAL', amount: 10 });
    expect(more.breaches.map((b) => [b.limit, b.current])).toEqual([
      ['loss', 12_000],
      ['drawdown', 60_000],
    ]);
    expect(c.check({ instrument: 'BTC-PERPETUAL', amount: -400 }).accepted).toBe(true);
    expect(c.check({ instrument: 'BTC-PERPETUAL', amount: -2000 }).accepted).toBe(false); // flips the position
  });

  it('reads exposures from the shared snapshot: Black delta as the venue shows it, premium-adjusted by default', async () => {
    const market = await readRiskMarket(
      readFileSync(join(repoRoot, 'data/deribit/btc-options-2020-05-21.jsonl'), 'utf8'),
    );
    const q = market.options.get('BTC-26JUN20-10000-C');
    expect(q?.venueGreeks).not.toBeNull();
    const black = unitExposure('BTC-26JUN20-10000-C', market, 'black');
    const adjusted = unitExposure('BTC-26JUN20-10000-C', market, 'premium_adjusted');
    // The venue prints delta with 5 decimals, from its own mark iv: 1e-3 covers both.
    expect(black.delta_coin).toBeCloseTo(q?.venueGreeks?.delta as number, 3);
    expect(black.delta_coin - adjusted.delta_coin).toBeCloseTo(q?.markCoin as number, 3);
    expect(black.vega_usd).toBeCloseTo(q?.venueGreeks?.vega as number, 1);
    // The vega split: x = ln(K/F) / (sigma sqrt(T)) computed here from the line itself.
    const quote = q as NonNullable<typeof q>;
    const x =
      Math.log(quote.strike / quote.forwardUsd) / ((quote.ivMark as number) * Math.sqrt(quote.yearsToExpiry));
    expect(black.vega_parallel_usd).toBe(black.vega_usd);
    expect(black.vega_skew_usd).toBeCloseTo(black.vega_usd * x, 10);
    expect(black.vega_butterfly_usd).toBeCloseTo(black.vega_usd * x * x, 10);
    expect(() => unitExposure('BTC-26JUN20', market, 'black')).toThrow(InputError);
  });

  it('costs microseconds, not a book revaluation (sanity bound, the figure is in npm run bench)', () => {
    const c = checker(
      Array.from({ length: 40 }, (_, i) => ({ name: `l${i}`, measure: MEASURES[i % 11], max: 1e9 })),
    );
    c.addPosition('BTC-26JUN20-10000-C', 5);
    const start = performance.now();
    for (let i = 0; i < 20_000; i++) c.check({ instrument: 'BTC-26JUN20-10000-C', amount: 1 + (i % 3) });
    expect((performance.now() - start) / 20_000).toBeLessThan(1000); // < 1 ms each, even on a loaded machine
  });
});

describe('trading states', () => {
  function controller(): { ctl: TradingController; changes: StateChange[] } {
    const changes: StateChange[] = [];
    const ctl = new TradingController(
      {
        drawdown: { reducingUsd: 10_000, haltedUsd: 20_000 },
        staleAfterMs: 5000,
        fillBurst: { count: 3, windowMs: 1000 },
      },
      (c) => changes.push(c),
    );
    return { ctl, changes };
  }

  it('HALTED refuses every order and passes cancels; REDUCING passes reducing orders only', () => {
    const { ctl } = controller();
    expect(ctl.allowsOrder(false)).toBe(true);
    ctl.onGreekLimits(['vega'], 1);
    expect(ctl.state).toBe('REDUCING');
    expect([ctl.allowsOrder(true), ctl.allowsOrder(false)]).toEqual([true, false]);
    ctl.pause('alice', 2);
    expect(ctl.state).toBe('HALTED');
    expect([ctl.allowsOrder(true), ctl.allowsOrder(false), ctl.allowsCancel()]).toEqual([false, false, true]);
  });

  it('each trigger moves the state with its reason; live conditions lift, latched ones wait for an operator', () => {
    const { ctl, changes } = controller();
    ctl.onGreekLimits(['delta'], 10);
    ctl.onGreekLimits([], 20); // lifted by itself
    ctl.onDrawdown(12_000, 30); // REDUCING, latched
    ctl.onDrawdown(5_000, 40); // recovered, still latched
    ctl.onMarketData(50);
    ctl.onTime(6_000); // data 5,950 ms old: stale
    ctl.onMarketData(6_100); // fresh again: back to the latched REDUCING
    ctl.onBookStatus('BTC-PERPETUAL', true, 6_200);
    ctl.onBookStatus('BTC-PERPETUAL', false, 6_300);
    ctl.onFill(7_000);
    ctl.onFill(7_500);
    ctl.onFill(7_900); // 3 within 1 s
    ctl.resume('alice', 8_000);
    ctl.onReconciliation(false, 'cash BTC differs by 0.1', 9_000);
    ctl.onDrawdown(25_000, 9_100); // already HALTED: no change
    ctl.resume('bob', 9_200);
    expect(changes.map((c) => [c.from, c.to, c.reason, c.timestampMs])).toEqual([
      ['ACTIVE', 'REDUCING', 'greek_breach', 10],
      ['REDUCING', 'ACTIVE', 'condition_cleared', 20],
      ['ACTIVE', 'REDUCING', 'drawdown', 30],
      ['REDUCING', 'HALTED', 'stale_market_data', 6_000],
      ['HALTED', 'REDUCING', 'condition_cleared', 6_100],
      ['REDUCING', 'HALTED', 'stale_market_data', 6_200],
      ['HALTED', 'REDUCING', 'condition_cleared', 6_300],
      ['REDUCING', 'HALTED', 'fill_burst', 7_900],
      ['HALTED', 'ACTIVE', 'operator_resume', 8_000],
      ['ACTIVE', 'HALTED', 'reconciliation_mismatch', 9_000],
      ['HALTED', 'ACTIVE', 'operator_resume', 9_200],
    ]);
    expect(changes.map((c) => c.number)).toEqual(changes.map((_, i) => i + 1));
  });

  it('every change is journaled with its reason, and the ledger reads past those records', () => {
    const journal = SqliteJournal.open(':memory:');
    const ctl = new TradingController({}, (c) => journal.append([stateChangeRecord(c)]));
    const f = fill('BTC-PERPETUAL', 'buy', 100, 10_000, 1000, { id: 'f1' });
    journal.append([eventRecord(f)]);
    ctl.pause('alice', 2000);
    ctl.resume('alice', 3000);
    const records = [...journal.replay({ types: ['trading_state'] })];
    expect(records.map((r) => [r.id, JSON.parse(r.body).to, JSON.parse(r.body).reason])).toEqual([
      ['state-1', 'HALTED', 'operator_pause'],
      ['state-2', 'ACTIVE', 'operator_resume'],
    ]);
    expect(JSON.parse(records[0]?.body as string).detail).toBe('paused by alice');
    const { ledger } = restoreLedger(journal);
    expect(ledger.eventCount).toBe(1);
    expect(ledger.position('BTC-PERPETUAL').amount).toBe(100_000_000_000_000n);
    journal.close();
  });
});
