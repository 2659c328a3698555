/**
 * The cancellation rules and the rate-limit budget in the quoting runner (`src/backtest/runner.ts`),
 * and the issue-8 must-show: `scenarios/quoting-cancel-informed.yaml` over its 10 seeds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runBacktest, type BacktestReport } from '../../src/backtest/runner.js';
import { parseScenarioSweep, type Scenario } from '../../src/backtest/scenario.js';
import { runSweep, seedJobs } from '../../src/backtest/sweep.js';

const TEXT = readFileSync(new URL('../../scenarios/quoting-cancel-informed.yaml', import.meta.url), 'utf8');
const VARIANTS = parseScenarioSweep(TEXT);
const [OFF, ON] = VARIANTS.map((v) => v.scenario) as [Scenario, Scenario];
/** The same scenario cut to 10 minutes for the mechanics tests. */
const short = (s: Scenario): Scenario => ({ ...s, durationS: 600, sessionS: 600 });

const markout60 = (r: BacktestReport): number => {
  const m = r.markouts.find((x) => x.horizon_ms === 60_000);
  if (m === undefined) throw new Error('no 60 s markout');
  return m.price;
};
/** The adverse-selection loss: minus the 60 s markout per unit volume when negative, else 0. */
const loss = (r: BacktestReport): number => Math.max(0, -markout60(r));

describe('cancellation rules in the quoting runner', () => {
  it('parses the sweep into the same quoter without and with the rules', () => {
    expect(VARIANTS.map((v) => v.params)).toEqual([
      { 'strategy.cancel.enabled': false },
      { 'strategy.cancel.enabled': true },
    ]);
    expect(OFF.strategy.cancel?.enabled).toBe(false);
    expect(ON.strategy.cancel?.rules.fillBurst).toEqual({
      windowMs: 10_000,
      maxFills: 3,
      oneSided: true,
      cooldownMs: 30_000,
    });
  });

  it('fires the rules, pulls sides and does not quote a pulled side before its cool-down ends', () => {
    const pulls: { side: string; from: number; until: number }[] = [];
    const quotes: { side: string; sentMs: number }[] = [];
    const r = runBacktest(short(ON), 11, {
      onPull: (side, from, until) => pulls.push({ side, from, until }),
      onQuote: (side, sentMs) => quotes.push({ side, sentMs }),
    });
    const c = r.cancel_rules;
    expect(c?.enabled).toBe(true);
    expect(c?.fired.fill_burst).toBeGreaterThan(0);
    expect(c?.cancels.fill_burst).toBeGreaterThan(0);
    expect(c?.cancel_requests).toBeGreaterThan(0);
    expect(c?.pulled_share.any).toBeGreaterThan(0);
    expect(pulls.length).toBeGreaterThan(0);
    expect(quotes.length).toBeGreaterThan(100);
    for (const p of pulls) expect(p.until - p.from).toBe(30_000);
    const violations = quotes.filter((q) =>
      pulls.some((p) => p.side === q.side && q.sentMs >= p.from && q.sentMs < p.until),
    );
    expect(violations).toEqual([]);
    // Quoting resumes after the cool-downs: quotes sent after some pull's end on its side.
    expect(quotes.some((q) => pulls.some((p) => p.side === q.side && q.sentMs >= p.until))).toBe(true);
  });

  it('reports zero counters with the rules disabled, and the rules change nothing in the draws', () => {
    const off = runBacktest(short(OFF), 11);
    expect(off.cancel_rules?.enabled).toBe(false);
    expect(off.cancel_rules?.cancel_requests).toBe(0);
    expect(off.cancel_rules?.pulled_share.any).toBe(0);
    const on = runBacktest(short(ON), 11);
    expect(on.taker_orders).toBe(off.taker_orders);
    expect(on.paths.mid).toEqual(off.paths.mid);
  });

  it('never lets the credits go negative nor requotes into the reserve', () => {
    const seen: { credits: number; kind: string }[] = [];
    const r = runBacktest(short(ON), 12, { onCredits: (credits, _t, kind) => seen.push({ credits, kind }) });
    expect(seen.length).toBeGreaterThan(200);
    for (const s of seen) {
      expect(s.credits).toBeGreaterThanOrEqual(0);
      if (s.kind === 'quote' || s.kind === 'requote') expect(s.credits).toBeGreaterThanOrEqual(5000);
    }
    const rl = r.rate_limit;
    expect(rl?.min_credits).toBe(Math.min(...seen.map((s) => s.credits)));
    const n = rl?.requests as Record<string, number>;
    // Every request paid for costs 500 credits.
    expect(rl?.credits_spent).toBe(500 * (n.quote! + n.requote! + n.cancel! + n.hedge!));
    expect(r.session_ended).toBeUndefined();
  });

  it('ends the session when a cancel cannot be paid for: no quote after, quotes pulled by cancel-on-disconnect', () => {
    const tight: Scenario = {
      ...short(ON),
      connection: { cancelOnDisconnect: true, drops: [] },
      rateLimit: {
        maxCredits: 2000,
        refillPerSecond: 20,
        costs: { quote: 100, requote: 100, cancel: 100, hedge: 0 },
        reserve: 0,
      },
    };
    const quotes: number[] = [];
    const r = runBacktest(tight, 11, { onQuote: (_side, sentMs) => quotes.push(sentMs) });
    const ended = r.session_ended;
    expect(ended).toBeDefined();
    expect(ended?.kind).toBe('cancel');
    expect(ended?.reason).toContain('too_many_requests');
    const at = ended?.at_ms as number;
    expect(quotes.length).toBeGreaterThan(0);
    expect(Math.max(...quotes)).toBeLessThanOrEqual(at);
    expect(r.protection_events.some((e) => e.type === 'disconnect' && e.time_ms === at)).toBe(true);
    // No fill after the end (the quotes are gone): the cumulative volume at the first step after
    // it (which counts the fills up to that step) is the final one.
    const volume = r.paths.volume_usd as number[];
    const after = r.paths.times_ms.findIndex((t) => t > at);
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(volume.length - 10);
    expect(volume[volume.length - 1]).toBe(volume[after]);
    expect(r.rate_limit?.refused.cancel).toBeGreaterThanOrEqual(1);
  });

  it('is deterministic: the same seed gives the same bytes', () => {
    const a = JSON.stringify(runBacktest(short(ON), 13));
    const b = JSON.stringify(runBacktest(short(ON), 13));
    expect(a).toBe(b);
    expect(JSON.stringify(runBacktest(short(ON), 14))).not.toBe(a);
  });

  it('must-show: cuts the 60 s adverse-selection loss per unit by >= 30% on at least 8 of 10 seeds', async () => {
    // 20 one-hour runs on 2 worker threads: about 10 s on this machine.
    const reports = await runSweep(
      VARIANTS.flatMap((v) => seedJobs(v.scenario, 10)),
      { workers: 2 },
    );
    const off = reports.slice(0, 10);
    const on = reports.slice(10);
    const rows = off.map((r, i) => {
      const w = on[i] as BacktestReport;
      expect(w.seed).toBe(r.seed);
      return {
        seed: r.seed,
        without: markout60(r),
        with: markout60(w),
        holds: loss(w) <= 0.7 * loss(r) && loss(r) > 0,
      };
    });
    expect(rows.map((x) => x.seed)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(rows.filter((x) => x.holds).length).toBeGreaterThanOrEqual(8);
  }, 120_000);
});
