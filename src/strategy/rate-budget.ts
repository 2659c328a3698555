/**
 * The venue's rate-limit credits as a hard budget: a token bucket in credits, refilled by the
 * time the caller's events carry (never the wall clock), spent per request kind, with a reserve
 * that only protective requests (cancels and hedges) may use.
 *
 * The venue's rules (Deribit, "Rate Limits", https://docs.deribit.com/articles/rate-limits and
 * https://support.deribit.com/hc/en-us/articles/25944617523357-Rate-Limits, read 2026-11):
 * - every request costs credits from a pool per sub-account; the pool refills continuously at a
 *   fixed rate ("credits per second") up to a maximum;
 * - non-matching-engine requests by default: 500 credits each, at most 50,000 credits, refilled
 *   at 10,000 credits a second (20 requests a second sustained, bursts of 100);
 * - matching-engine requests (orders, edits, cancels) have a per-sub-account limit set by the
 *   7-day volume tier, as a sustained rate and a burst (for example 30 requests a second with a
 *   burst of 100 over USD 25 million, 20 a second with a burst of 50 over USD 5 million); the
 *   current values are in `private/get_account_summary`;
 * - a request that arrives with no credits left gets `too_many_requests` (error code 10028) and
 *   the venue terminates the session; mass quotes follow their own separate limits.
 *
 * So running dry is not a slowdown but the end of the session. This budget therefore refuses
 * (returns false, spends nothing) any request it cannot pay for, and keeps `reserve` credits that
 * quotes and requotes may not touch, so that cancels and hedges can still go out when quoting
 * has used everything else. If even a cancel cannot be paid for, the budget turns `exhausted`
 * with the reason, refuses everything after, and the caller must end the session (pull what it
 * can by other means, e.g. the venue's cancel-on-disconnect).
 *
 * Arithmetic. Credits are held in thousandths (credit x ms / s units): `dtMs` of refill adds
 * `refillPerSecond x dtMs` thousandths, so with integer rates, costs and times the balance is an
 * exact integer and refill never drifts.
 */
import { InputError } from '../model/errors.js';

/** What a request is for: quotes and requotes are optional, cancels and hedges protective. */
export type RequestKind = 'quote' | 'requote' | 'cancel' | 'hedge';

/** The kinds that may spend the reserve. */
export const PROTECTIVE_KINDS: readonly RequestKind[] = ['cancel', 'hedge'];

export interface RateBudgetConfig {
  /** The pool's maximum (credits, > 0). */
  maxCredits: number;
  /** Refill rate, credits per second (> 0). */
  refillPerSecond: number;
  /** Cost of one request of each kind, credits (>= 0; a cancel must cost no more than the pool). */
  costs: Record<RequestKind, number>;
  /** Credits kept for cancels and hedges (0 <= reserve <= maxCredits). */
  reserve: number;
  /** Time of the first event, ms. */
  startMs: number;
  /** Credits at `startMs`; default `maxCredits`. */
  startCredits?: number;
}

/** Deribit's documented defaults for non-matching-engine requests (see the module comment). */
export const DERIBIT_NON_MATCHING_ENGINE = {
  costPerRequest: 500,
  maxCredits: 50_000,
  refillPerSecond: 10_000,
} as const;

/**
 * A matching-engine tier (sustained requests a second and burst) in the same credit units as the
 * non-matching default (500 a request): pool = burst x 500, refill = rate x 500 a second.
 */
export function matchingEngineTier(
  sustainedPerSecond: number,
  burst: number,
): { costPerRequest: number; maxCredits: number; refillPerSecond: number } {
  if (!(sustainedPerSecond > 0) || !Number.isFinite(sustainedPerSecond))
    throw new InputError('sustainedPerSecond', sustainedPerSecond, 'a positive finite rate');
  if (!Number.isInteger(burst) || burst < 1) throw new InputError('burst', burst, 'an integer >= 1');
  const cost = DERIBIT_NON_MATCHING_ENGINE.costPerRequest;
  return { costPerRequest: cost, maxCredits: burst * cost, refillPerSecond: sustainedPerSecond * cost };
}

/** `ok` while the session can go on; `exhausted` once a cancel could not be paid for. */
export type BudgetState = 'ok' | 'exhausted';

/** Why the budget ran out: the refused request and the balance at that time. */
export interface ExhaustionReason {
  kind: RequestKind;
  atMs: number;
  /** Credits held when refused. */
  credits: number;
  /** Credits the request needed. */
  needed: number;
  detail: string;
}

/** The outcome of a request: spent or refused, and why. */
export interface SpendResult {
  ok: boolean;
  kind: RequestKind;
  /** Credits after the request (unchanged when refused). */
  credits: number;
  /** Why refused: `reserve` (a requote would eat into the reserve), `insufficient`, `exhausted`. */
  refusal?: 'reserve' | 'insufficient' | 'exhausted';
}

const SCALE = 1000;
const KINDS: readonly RequestKind[] = ['quote', 'requote', 'cancel', 'hedge'];

function finiteAtLeast(field: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw new InputError(field, value, `a finite number >= ${min}`);
}

export class RateBudget {
  readonly maxCredits: number;
  readonly refillPerSecond: number;
  readonly reserve: number;
  private readonly costs: Record<RequestKind, number>;
  /** Balance in thousandths of a credit. */
  private scaled: number;
  private readonly maxScaled: number;
  private clockMs: number;
  private exhaustion: ExhaustionReason | undefined;
  private readonly spentByKind: Record<RequestKind, number> = { quote: 0, requote: 0, cancel: 0, hedge: 0 };
  private readonly refusedByKind: Record<RequestKind, number> = { quote: 0, requote: 0, cancel: 0, hedge: 0 };

  constructor(config: RateBudgetConfig) {
    if (!(config.maxCredits > 0) || !Number.isFinite(config.maxCredits))
      throw new InputError('maxCredits', config.maxCredits, 'a positive finite number');
    if (!(config.refillPerSecond > 0) || !Number.isFinite(config.refillPerSecond))
      throw new InputError('refillPerSecond', config.refillPerSecond, 'a positive finite rate');
    if (typeof config.costs !== 'object' || config.costs === null)
      throw new InputError('costs', config.costs, 'credits per request for quote, requote, cancel and hedge');
    for (const kind of KINDS) finiteAtLeast(`costs.${kind}`, config.costs[kind], 0);
    finiteAtLeast('reserve', config.reserve, 0);
    if (config.reserve > config.maxCredits)
      throw new InputError('reserve', config.reserve, `at most maxCredits (${config.maxCredits})`);
    if (config.costs.cancel > config.maxCredits)
      throw new InputError('costs.cancel', config.costs.cancel, `at most maxCredits (${config.maxCredits})`);
    finiteAtLeast('startMs', config.startMs, -Number.MAX_VALUE);
    const start = config.startCredits ?? config.maxCredits;
    finiteAtLeast('startCredits', start, 0);
    if (start > config.maxCredits)
      throw new InputError('startCredits', start, `at most maxCredits (${config.maxCredits})`);
    this.maxCredits = config.maxCredits;
    this.refillPerSecond = config.refillPerSecond;
    this.reserve = config.reserve;
    this.costs = { ...config.costs };
    this.maxScaled = config.maxCredits * SCALE;
    this.scaled = start * SCALE;
    this.clockMs = config.startMs;
  }

  /** `ok`, or `exhausted` (the caller must end the session). */
  get state(): BudgetState {
    return this.exhaustion === undefined ? 'ok' : 'exhausted';
  }

  /** Why the budget is exhausted (undefined while ok). */
  get exhaustedReason(): ExhaustionReason | undefined {
    return this.exhaustion;
  }

  /** Requests paid for and refused so far, by kind. */
  counts(): { spent: Record<RequestKind, number>; refused: Record<RequestKind, number> } {
    return { spent: { ...this.spentByKind }, refused: { ...this.refusedByKind } };
  }

  /** Cost of one request of a kind, credits. */
  cost(kind: RequestKind): number {
    return this.costOf(kind);
  }

  /**
   * Credits available at `nowMs` (refilled up to then). A time before the last one seen adds
   * nothing (the clock never goes back).
   */
  credits(nowMs: number): number {
    this.advance(nowMs);
    return this.scaled / SCALE;
  }

  /** Credits a quote or requote may still use at `nowMs`: what is above the reserve. */
  available(kind: RequestKind, nowMs: number): number {
    this.advance(nowMs);
    const floor = PROTECTIVE_KINDS.includes(kind) ? 0 : this.reserve * SCALE;
    return Math.max(0, this.scaled - floor) / SCALE;
  }

  /** Whether `count` requests of `kind` could be paid for at `nowMs` (spends nothing). */
  canSpend(kind: RequestKind, nowMs: number, count = 1): boolean {
    return this.check(kind, nowMs, count) === undefined;
  }

  /**
   * Pays for `count` requests of `kind` at `nowMs` and returns true, or refuses (spends nothing)
   * and returns false. A refused cancel turns the budget `exhausted`.
   */
  spend(kind: RequestKind, nowMs: number, count = 1): boolean {
    return this.request(kind, nowMs, count).ok;
  }

  /** As `spend`, with the balance and the reason for a refusal. */
  request(kind: RequestKind, nowMs: number, count = 1): SpendResult {
    const refusal = this.check(kind, nowMs, count);
    if (refusal === undefined) {
      this.scaled -= this.costOf(kind) * count * SCALE;
      this.spentByKind[kind] += count;
      return { ok: true, kind, credits: this.scaled / SCALE };
    }
    this.refusedByKind[kind] += count;
    if (kind === 'cancel' && this.exhaustion === undefined) {
      const needed = this.costOf(kind) * count;
      this.exhaustion = {
        kind,
        atMs: Math.max(nowMs, this.clockMs),
        credits: this.scaled / SCALE,
        needed,
        detail: `a cancel needing ${needed} credits found ${this.scaled / SCALE}: the venue would answer too_many_requests (10028) and end the session`,
      };
    }
    return { ok: false, kind, credits: this.scaled / SCALE, refusal };
  }

  private costOf(kind: RequestKind): number {
    const cost = this.costs[kind];
    if (cost === undefined) throw new InputError('kind', kind, 'quote, requote, cancel or hedge');
    return cost;
  }

  private check(kind: RequestKind, nowMs: number, count: number): SpendResult['refusal'] {
    if (!Number.isInteger(count) || count < 1) throw new InputError('count', count, 'an integer >= 1');
    const cost = this.costOf(kind) * count * SCALE;
    this.advance(nowMs);
    if (this.exhaustion !== undefined) return 'exhausted';
    if (PROTECTIVE_KINDS.includes(kind)) return this.scaled - cost >= 0 ? undefined : 'insufficient';
    if (this.scaled - cost >= this.reserve * SCALE) return undefined;
    return this.scaled - cost >= 0 ? 'reserve' : 'insufficient';
  }

  private advance(nowMs: number): void {
    if (typeof nowMs !== 'number' || !Number.isFinite(nowMs))
      throw new InputError('nowMs', nowMs, 'a finite time in ms');
    if (nowMs <= this.clockMs) return;
    this.scaled = Math.min(this.maxScaled, this.scaled + this.refillPerSecond * (nowMs - this.clockMs));
    this.clockMs = nowMs;
  }
}
