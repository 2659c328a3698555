/**
 * The rate budget: refill arithmetic worked by hand, the reserve kept for cancels and hedges,
 * exhaustion as an explicit end state, and (property) the balance never negative.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/model/errors.js';
import {
  DERIBIT_NON_MATCHING_ENGINE,
  matchingEngineTier,
  RateBudget,
  type RateBudgetConfig,
  type RequestKind,
} from '../../src/strategy/rate-budget.js';

// Pool 1000 credits, refill 100 a second (0.1 a ms); quote/requote 200, cancel 100, hedge 150;
// reserve 300.
const CONFIG: RateBudgetConfig = {
  maxCredits: 1000,
  refillPerSecond: 100,
  costs: { quote: 200, requote: 200, cancel: 100, hedge: 150 },
  reserve: 300,
  startMs: 0,
};

function field(f: () => unknown): string {
  try {
    f();
  } catch (error) {
    if (error instanceof InputError) return error.field;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('refill', () => {
  it('adds rate x elapsed, capped at the pool', () => {
    const b = new RateBudget({ ...CONFIG, startCredits: 0 });
    // 0 + 100/s x 0.25 s = 25
    expect(b.credits(250)).toBe(25);
    // 25 + 100/s x 0.001 s = 25.1 (held in thousandths: 25100 + 100)
    expect(b.credits(251)).toBe(25.1);
    // to 1000 after 10 s; capped beyond
    expect(b.credits(10_000)).toBe(1000);
    expect(b.credits(60_000)).toBe(1000);
  });

  it('does not move back in time', () => {
    const b = new RateBudget({ ...CONFIG, startCredits: 0 });
    expect(b.credits(1000)).toBe(100);
    expect(b.credits(500)).toBe(100);
    expect(b.credits(1500)).toBe(150);
  });

  it('spends exact amounts', () => {
    const b = new RateBudget(CONFIG);
    expect(b.spend('quote', 0)).toBe(true); // 800
    expect(b.spend('hedge', 0)).toBe(true); // 650
    expect(b.spend('cancel', 0, 2)).toBe(true); // 450
    expect(b.credits(0)).toBe(450);
    // 450 + 100 x 1.5 = 600
    expect(b.credits(1500)).toBe(600);
    expect(b.counts().spent).toEqual({ quote: 1, requote: 0, cancel: 2, hedge: 1 });
  });
});

describe('reserve', () => {
  it('requotes stop at the reserve; cancels and hedges dip into it', () => {
    const b = new RateBudget({ ...CONFIG, startCredits: 700 });
    // 700 - 200 = 500 >= 300
    expect(b.spend('requote', 0)).toBe(true);
    // 500 - 200 = 300 = reserve: allowed (exactly at the reserve)
    expect(b.spend('requote', 0)).toBe(true);
    // 300 - 200 = 100 < 300: refused for the reserve, nothing spent
    expect(b.request('requote', 0)).toEqual({ ok: false, kind: 'requote', credits: 300, refusal: 'reserve' });
    expect(b.available('requote', 0)).toBe(0);
    expect(b.available('cancel', 0)).toBe(300);
    expect(b.spend('hedge', 0)).toBe(true); // 150
    expect(b.spend('cancel', 0)).toBe(true); // 50
    expect(b.state).toBe('ok');
    // 1 ms later: 50.1; a requote needs 200 above the reserve: 2 s of refill to 250.1 is still short
    expect(b.spend('quote', 2001)).toBe(false);
    // at 50 + 100 x t >= 500 -> t = 4.5 s
    expect(b.canSpend('requote', 4499)).toBe(false);
    expect(b.canSpend('requote', 4500)).toBe(true);
  });

  it('a hedge that cannot be paid is refused without ending the session', () => {
    const b = new RateBudget({ ...CONFIG, startCredits: 120 });
    expect(b.request('hedge', 0)).toEqual({
      ok: false,
      kind: 'hedge',
      credits: 120,
      refusal: 'insufficient',
    });
    expect(b.state).toBe('ok');
  });
});

describe('exhaustion', () => {
  it('a cancel that cannot be paid ends the session, with the reason', () => {
    const b = new RateBudget({ ...CONFIG, startCredits: 150 });
    expect(b.spend('cancel', 0)).toBe(true); // 50
    expect(b.spend('cancel', 0)).toBe(false);
    expect(b.state).toBe('exhausted');
    expect(b.exhaustedReason).toMatchObject({ kind: 'cancel', atMs: 0, credits: 50, needed: 100 });
    expect(b.exhaustedReason?.detail).toContain('10028');
    // nothing after, even with the pool refilled
    expect(b.credits(60_000)).toBe(1000);
    expect(b.request('cancel', 60_000).refusal).toBe('exhausted');
    expect(b.spend('quote', 60_000)).toBe(false);
  });
});

describe('property: never negative, reserve honoured', () => {
  it('holds under random requests', () => {
    const kinds: RequestKind[] = ['quote', 'requote', 'cancel', 'hedge'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(
          fc.record({
            dt: fc.integer({ min: 0, max: 3000 }),
            kind: fc.constantFrom(...kinds),
            count: fc.integer({ min: 1, max: 4 }),
          }),
          { maxLength: 200 },
        ),
        (start, requests) => {
          const b = new RateBudget({ ...CONFIG, startCredits: start });
          let t = 0;
          let ended = false;
          for (const r of requests) {
            t += r.dt;
            const before = b.credits(t);
            const result = b.request(r.kind, t, r.count);
            const after = b.credits(t);
            expect(after).toBeGreaterThanOrEqual(0);
            expect(after).toBeLessThanOrEqual(1000);
            if (result.ok) {
              expect(ended).toBe(false);
              // the budget's own balance is exact in thousandths; the test's subtraction is in doubles
              expect(after).toBeCloseTo(before - CONFIG.costs[r.kind] * r.count, 9);
              if (r.kind === 'quote' || r.kind === 'requote') expect(after).toBeGreaterThanOrEqual(300);
            } else {
              expect(after).toBe(before);
            }
            if (b.state === 'exhausted') ended = true;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('presets and config', () => {
  it('matches the documented defaults', () => {
    expect(DERIBIT_NON_MATCHING_ENGINE.maxCredits / DERIBIT_NON_MATCHING_ENGINE.costPerRequest).toBe(100);
    expect(DERIBIT_NON_MATCHING_ENGINE.refillPerSecond / DERIBIT_NON_MATCHING_ENGINE.costPerRequest).toBe(20);
    expect(matchingEngineTier(30, 100)).toEqual({
      costPerRequest: 500,
      maxCredits: 50_000,
      refillPerSecond: 15_000,
    });
  });

  it('names the bad field', () => {
    expect(field(() => new RateBudget({ ...CONFIG, maxCredits: 0 }))).toBe('maxCredits');
    expect(field(() => new RateBudget({ ...CONFIG, refillPerSecond: -1 }))).toBe('refillPerSecond');
    expect(field(() => new RateBudget({ ...CONFIG, reserve: 2000 }))).toBe('reserve');
    expect(field(() => new RateBudget({ ...CONFIG, costs: { ...CONFIG.costs, cancel: Number.NaN } }))).toBe(
      'costs.cancel',
    );
    expect(field(() => new RateBudget({ ...CONFIG, startCredits: 1001 }))).toBe('startCredits');
    expect(field(() => new RateBudget(CONFIG).spend('quote', 0, 0))).toBe('count');
    expect(field(() => new RateBudget(CONFIG).spend('nope' as RequestKind, 0))).toBe('kind');
    expect(field(() => matchingEngineTier(0, 10))).toBe('sustainedPerSecond');
  });
});
