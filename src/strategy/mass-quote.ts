/**
 * Quotes to mass-quote requests, and MMP trigger handling (issue 8, Build item 2).
 *
 * Venue shapes (Deribit API v2, field names kept as documented):
 * - `private/mass_quote` (https://docs.deribit.com/api-reference/trading/private-mass_quote;
 *   "Mass Quotes Specifications", https://docs.deribit.com/articles/mass-quotes-specifications):
 *   params `quote_id`, `mmp_group` (one group per request) and `quotes`, a list of
 *   `{instrument_name, quote_set_id?, bid?: {price, amount}, ask?: {price, amount}}`; amount 0
 *   cancels that side. Only one quote per side per instrument is allowed within a group, so
 *   several levels on one side mean several groups, hence several requests.
 * - `private/set_mmp_config` (https://docs.deribit.com/api-reference/trading/private-set_mmp_config):
 *   `index_name`, `mmp_group`, `interval` (s), `frozen_time` (s, 0 = until reset),
 *   `quantity_limit`, `delta_limit`, `vega_limit`, `max_quote_quantity`.
 * - `user.mmp_trigger.{index_name}` (https://docs.deribit.com/subscriptions/user/usermmp_triggerindex_name):
 *   `index_name`, `frozen_until` (ms; 0 = until `private/reset_mmp`), `mmp_group` (present for
 *   mass-quote triggers).
 * - `private/reset_mmp` (https://docs.deribit.com/api-reference/trading/private-reset_mmp):
 *   `index_name`, `mmp_group`.
 *
 * `MassQuoteBuilder` remembers what each group has live, so a side no longer quoted is sent
 * with amount 0 and an unchanged side is not re-sent. `MmpGuard` holds the trigger state: a
 * triggered group is not quoted until it is reset (by the venue at `frozen_until`, or by the
 * caller sending the `private/reset_mmp` the guard hands out after a cool-down).
 */
import { InputError } from '../model/errors.js';
import type { MassQuoteEntry, MassQuoteRequest, MmpTriggerEvent } from '../sim/exchange/types.js';
import type { OptionQuote } from './options-quoter.js';

/** One level of one instrument: what a group quotes (size 0 or null price: side not quoted). */
export interface QuoteLevel {
  instrument: string;
  bidPrice: number | null;
  bidSize: number;
  askPrice: number | null;
  askSize: number;
}

/** `private/set_mmp_config` params (venue names). */
export interface MmpConfigParams {
  index_name: string;
  mmp_group: string;
  interval: number;
  frozen_time: number;
  quantity_limit?: number;
  delta_limit?: number;
  vega_limit?: number;
  max_quote_quantity: number;
}

/** The `user.mmp_trigger.{index_name}` notification's data (venue names). */
export interface MmpTriggerNotification {
  index_name: string;
  frozen_until: number;
  mmp_group?: string;
}

/** `private/reset_mmp` to send. */
export interface ResetMmpRequest {
  method: 'private/reset_mmp';
  params: { index_name: string; mmp_group: string };
}

/** Options of a builder. */
export interface MassQuoteBuilderOptions {
  /** MMP groups, one per level: level l goes to `groups[l]`. */
  groups: readonly string[];
  /** At most this many entries per request (default: no limit). */
  maxEntriesPerRequest?: number;
  /** `quote_set_id` of every entry (optional). */
  quoteSetId?: string;
  /** Re-send sides whose price and amount did not change (default false). */
  resendUnchanged?: boolean;
}

interface Live {
  price: number;
  amount: number;
}

/** The venue index name of an inverse coin (`BTC` -> `btc_usd`). */
export function indexNameOf(base: string): string {
  return `${base.toLowerCase()}_usd`;
}

/** The simulator's trigger event as the venue's notification. */
export function triggerNotificationOf(event: MmpTriggerEvent): MmpTriggerNotification {
  return {
    index_name: indexNameOf(event.index),
    frozen_until: event.frozenUntilMs ?? 0,
    mmp_group: event.group,
  };
}

/** A quoter's output as level 0 (one level per instrument). */
export function levelsOf(quotes: readonly OptionQuote[]): QuoteLevel[] {
  return quotes.map((q) => ({
    instrument: q.instrument,
    bidPrice: q.bidPrice,
    bidSize: q.bidSize,
    askPrice: q.askPrice,
    askSize: q.askSize,
  }));
}

/** Builds mass-quote requests from quote levels, remembering each group's live quotes. */
export class MassQuoteBuilder {
  private readonly groups: readonly string[];
  private readonly maxEntries: number;
  private readonly quoteSetId: string | undefined;
  private readonly resendUnchanged: boolean;
  /** Live quotes per group: instrument -> side -> price and amount. */
  private readonly live = new Map<string, Map<string, { bid?: Live; ask?: Live }>>();
  private nextQuoteId = 1;

  constructor(options: MassQuoteBuilderOptions) {
    if (options === null || typeof options !== 'object')
      throw new InputError('options', options, 'an object');
    const { groups } = options;
    if (!Array.isArray(groups) || groups.length === 0)
      throw new InputError('groups', groups, 'at least one MMP group');
    groups.forEach((g, i) => {
      if (typeof g !== 'string' || g === '')
        throw new InputError(`groups[${i}]`, g, 'a non-empty group name');
    });
    if (new Set(groups).size !== groups.length)
      throw new InputError('groups', groups, 'distinct group names');
    const max = options.maxEntriesPerRequest ?? Infinity;
    if (!(max >= 1) || (max !== Infinity && !Number.isInteger(max)))
      throw new InputError('maxEntriesPerRequest', max, 'a positive integer');
    this.groups = groups;
    this.maxEntries = max;
    this.quoteSetId = options.quoteSetId;
    this.resendUnchanged = options.resendUnchanged ?? false;
    for (const g of groups) this.live.set(g, new Map());
  }

  /**
   * Requests for `levels[l]` (level l to `groups[l]`); groups for which `canQuote(group)` is
   * false are skipped (their live state is left as is: see `forget`). An instrument of a group
   * that was live and is absent from its level, or whose side now has no size, is cancelled
   * (amount 0). Assumes each request is sent; call `forget` for a group whose orders the venue
   * cancelled (an MMP trigger).
   */
  build(
    levels: readonly (readonly QuoteLevel[])[],
    canQuote: (group: string) => boolean = () => true,
  ): MassQuoteRequest[] {
    if (!Array.isArray(levels)) throw new InputError('levels', levels, 'an array of levels');
    if (levels.length > this.groups.length)
      throw new InputError('levels', levels.length, `at most ${this.groups.length} levels (one per group)`);
    const requests: MassQuoteRequest[] = [];
    this.groups.forEach((group, l) => {
      if (!canQuote(group)) return;
      const level: readonly QuoteLevel[] = levels[l] ?? [];
      const live = this.live.get(group) as Map<string, { bid?: Live; ask?: Live }>;
      const entries: MassQuoteEntry[] = [];
      const seen = new Set<string>();
      level.forEach((q, i) => {
        if (q === null || typeof q !== 'object' || typeof q.instrument !== 'string')
          throw new InputError(`levels[${l}][${i}].instrument`, q?.instrument, 'an instrument name');
        if (seen.has(q.instrument))
          throw new InputError(
            `levels[${l}][${i}].instrument`,
            q.instrument,
            'one quote per instrument per level',
          );
        seen.add(q.instrument);
        const state = live.get(q.instrument) ?? {};
        const entry: MassQuoteEntry = { instrument_name: q.instrument };
        const bid = this.side(state, 'bid', q.bidPrice, q.bidSize, `levels[${l}][${i}].bid`);
        const ask = this.side(state, 'ask', q.askPrice, q.askSize, `levels[${l}][${i}].ask`);
        if (bid !== undefined) entry.bid = bid;
        if (ask !== undefined) entry.ask = ask;
        if (state.bid === undefined && state.ask === undefined) live.delete(q.instrument);
        else live.set(q.instrument, state);
        if (entry.bid !== undefined || entry.ask !== undefined) entries.push(this.tag(entry));
      });
      for (const [instrument, state] of [...live]) {
        if (seen.has(instrument)) continue;
        const entry: MassQuoteEntry = { instrument_name: instrument };
        if (state.bid !== undefined) entry.bid = { price: state.bid.price, amount: 0 };
        if (state.ask !== undefined) entry.ask = { price: state.ask.price, amount: 0 };
        live.delete(instrument);
        entries.push(this.tag(entry));
      }
      for (
        let start = 0;
        start < entries.length;
        start += this.maxEntries === Infinity ? entries.length : this.maxEntries
      ) {
        const end = this.maxEntries === Infinity ? entries.length : start + this.maxEntries;
        requests.push({
          quote_id: String(this.nextQuoteId++),
          mmp_group: group,
          quotes: entries.slice(start, end),
        });
      }
    });
    return requests;
  }

  /** The venue cancelled a group's quotes (MMP trigger): nothing of it is live any more. */
  forget(group: string): void {
    this.live.get(group)?.clear();
  }

  /** Sides live in a group (for tests and reports). */
  liveCount(group: string): number {
    let n = 0;
    for (const s of this.live.get(group)?.values() ?? []) n += (s.bid ? 1 : 0) + (s.ask ? 1 : 0);
    return n;
  }

  private tag(entry: MassQuoteEntry): MassQuoteEntry {
    return this.quoteSetId === undefined ? entry : { ...entry, quote_set_id: this.quoteSetId };
  }

  private side(
    state: { bid?: Live; ask?: Live },
    side: 'bid' | 'ask',
    price: number | null,
    size: number,
    field: string,
  ): { price: number; amount: number } | undefined {
    const before = state[side];
    const quoted = price !== null && size > 0;
    if (quoted && !(Number.isFinite(price) && price > 0))
      throw new InputError(`${field}Price`, price, 'a positive price');
    if (!(size >= 0) || size === Infinity) throw new InputError(`${field}Size`, size, 'a non-negative size');
    if (!quoted) {
      if (before === undefined) return undefined;
      delete state[side];
      return { price: before.price, amount: 0 };
    }
    if (!this.resendUnchanged && before !== undefined && before.price === price && before.amount === size)
      return undefined;
    state[side] = { price, amount: size };
    return { price, amount: size };
  }
}

/** Builds `private/set_mmp_config` params for each group, validated. */
export function mmpConfigParams(
  indexName: string,
  groups: readonly string[],
  limits: Omit<MmpConfigParams, 'index_name' | 'mmp_group'>,
): MmpConfigParams[] {
  if (typeof indexName !== 'string' || indexName === '')
    throw new InputError('index_name', indexName, 'an index name');
  for (const field of ['interval', 'frozen_time'] as const) {
    const v = limits[field];
    if (!(Number.isInteger(v) && v >= 0 && v <= 3600))
      throw new InputError(field, v, 'whole seconds in [0, 3600]');
  }
  if (!(limits.max_quote_quantity > 0))
    throw new InputError('max_quote_quantity', limits.max_quote_quantity, 'a positive quantity (required)');
  if (
    limits.quantity_limit === undefined &&
    limits.delta_limit === undefined &&
    limits.vega_limit === undefined
  )
    throw new InputError(
      'quantity_limit',
      undefined,
      'at least one of quantity_limit, delta_limit, vega_limit',
    );
  return groups.map((mmp_group) => ({ index_name: indexName, mmp_group, ...limits }));
}

interface Frozen {
  triggeredMs: number;
  /** Venue's frozen_until (0: until reset). */
  frozenUntil: number;
  resetSent: boolean;
}

/**
 * MMP trigger state per (index, group). After a trigger the group is not quoted until:
 * - `frozen_until` > 0: the venue thaws it then; quoting resumes at max(frozen_until,
 *   trigger time + cool-down);
 * - `frozen_until` = 0: after the cool-down `due` hands out a `private/reset_mmp` for it once,
 *   and quoting resumes when the caller confirms it with `onReset`.
 * A notification without `mmp_group` (a trigger of the index's order-level MMP) freezes every
 * group of that index, conservatively.
 */
export class MmpGuard {
  private readonly frozen = new Map<string, Frozen>();
  private readonly groups: readonly string[];

  constructor(
    readonly coolDownMs: number,
    groups: readonly string[],
  ) {
    if (!(Number.isFinite(coolDownMs) && coolDownMs >= 0))
      throw new InputError('coolDownMs', coolDownMs, 'a non-negative number of ms');
    if (!Array.isArray(groups)) throw new InputError('groups', groups, 'the MMP group names');
    this.groups = groups;
  }

  /** A `user.mmp_trigger.{index_name}` notification received at `atMs`. */
  onTrigger(notification: MmpTriggerNotification, atMs: number): void {
    if (notification === null || typeof notification !== 'object')
      throw new InputError('notification', notification, 'an object');
    const { index_name, frozen_until, mmp_group } = notification;
    if (typeof index_name !== 'string' || index_name === '')
      throw new InputError('index_name', index_name, 'an index name');
    if (!(Number.isFinite(frozen_until) && frozen_until >= 0))
      throw new InputError('frozen_until', frozen_until, 'a timestamp in ms or 0');
    if (!Number.isFinite(atMs)) throw new InputError('atMs', atMs, 'a time in ms');
    const groups = mmp_group === undefined || mmp_group === '' ? this.groups : [mmp_group];
    for (const g of groups)
      this.frozen.set(key(index_name, g), { triggeredMs: atMs, frozenUntil: frozen_until, resetSent: false });
  }

  /** Whether a group of an index may be quoted at `atMs` (thaws venue-timed freezes). */
  canQuote(indexName: string, group: string, atMs: number): boolean {
    const k = key(indexName, group);
    const f = this.frozen.get(k);
    if (f === undefined) return true;
    if (f.frozenUntil > 0 && atMs >= Math.max(f.frozenUntil, f.triggeredMs + this.coolDownMs)) {
      this.frozen.delete(k);
      return true;
    }
    return false;
  }

  /** `private/reset_mmp` requests due at `atMs` (each handed out once). */
  due(atMs: number): ResetMmpRequest[] {
    const out: ResetMmpRequest[] = [];
    for (const [k, f] of this.frozen) {
      if (f.frozenUntil !== 0 || f.resetSent || atMs < f.triggeredMs + this.coolDownMs) continue;
      f.resetSent = true;
      const [index_name, mmp_group] = k.split('\u0000') as [string, string];
      out.push({ method: 'private/reset_mmp', params: { index_name, mmp_group } });
    }
    return out;
  }

  /** The reset of a group went through: quoting may resume. */
  onReset(indexName: string, group: string): void {
    this.frozen.delete(key(indexName, group));
  }
}

function key(indexName: string, group: string): string {
  return `${indexName}\u0000${group}`;
}
