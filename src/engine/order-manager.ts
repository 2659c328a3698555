/**
 * The order manager: every order the engine sends, from the request to its end, as a state
 * machine driven by the venue's answers (issue 9, Build item 2).
 *
 *   pending --(venue: open)--> open --(fill)--> partially_filled --(fill)--> filled
 *      |                         |                    |
 *      |                         +--(cancel sent)--> pending_cancel --(venue: cancelled)--> cancelled
 *      +--(venue: rejected / error)--> rejected
 *
 * Rules:
 * - Client order ids are `<prefix>-<n>`, n counting every order the manager ever sent; the core
 *   is a fold over the journal, so a replay gives every order the same id again. An answer is
 *   matched by client id (the venue's `label`), else by the venue's order id; an answer for an
 *   order the manager never sent is kept as `foreign` (reconciliation reports it).
 * - Idempotent: an order is sent once; an answer seen twice changes nothing the second time, and
 *   a state never goes back (a late `open` after `filled` is ignored). One exception: an order
 *   the reconciliation closed because the venue did not list it as open is `cancelled` by
 *   inference; the venue's own terminal word on it (filled, cancelled, rejected: the by-label
 *   query after a lost answer) replaces that guess.
 * - A request not answered within `timeoutMs` is asked about (`query_order`), once per timeout.
 * - Every request spends the venue's credits (`RateBudget`): quotes only above the reserve,
 *   cancels and hedges from it; a refused request is not sent (the caller sees null).
 * - Mass quotes (<https://docs.deribit.com/articles/mass-quotes-specifications>): the venue keeps
 *   one quote per side per instrument per MMP group and a new quote on that key edits it in
 *   place (amount: the new open amount; 0 cancels the side). The manager keeps each key as a
 *   slot, an order whose client id is `mq:<group>:<instrument>:<bid|ask>` (`quoteSlotId`, the id
 *   the venue adapters give the venue's quote orders). A slot whose order is done and is quoted
 *   again starts a new order under the same id; the done order's venue id is retired, so a late
 *   word on it changes nothing.
 */
import type { Side } from '../inventory/events.js';
import type { RateBudget, RequestKind } from '../strategy/rate-budget.js';
import type { VenueCommand, VenueOrder } from './types.js';

export type ManagedState =
  'pending' | 'open' | 'partially_filled' | 'filled' | 'pending_cancel' | 'cancelled' | 'rejected';

/** Deribit's `order_not_found`: the venue has no order under the id or label asked about. */
const ORDER_NOT_FOUND = 10004;

const DONE: ReadonlySet<ManagedState> = new Set(['filled', 'cancelled', 'rejected']);

/** What an order is for: the budget's request kind and the strategies' bookkeeping. */
export type OrderPurpose = 'quote' | 'hedge' | 'manual';

export interface ManagedOrder {
  clientOrderId: string;
  orderId: string | null;
  instrument: string;
  side: Side;
  price: number | null;
  amount: number;
  filled: number;
  state: ManagedState;
  purpose: OrderPurpose;
  postOnly: boolean;
  sentMs: number;
  lastUpdateMs: number;
  /** When the manager asks the venue if no answer came (NaN: not waiting). */
  deadlineMs: number;
  reason: string | null;
  /**
   * Closed by inference (the venue's open orders did not list it), not by the venue's word on
   * it: the venue's own terminal state for it, when it comes, replaces the inference (an order
   * whose answer a lost connection swallowed may have filled, not been cancelled).
   */
  inferred?: boolean;
}

/** A new order's terms. */
export interface OrderRequest {
  instrument: string;
  side: Side;
  amount: number;
  /** Omitted: a market order. */
  price?: number;
  postOnly?: boolean;
  reduceOnly?: boolean;
  timeInForce?: 'good_til_cancelled' | 'immediate_or_cancel' | 'fill_or_kill';
}

/** One side of one instrument in a mass quote: a new open amount at a price, 0 to cancel. */
export interface SlotQuote {
  price: number;
  amount: number;
}

/** A mass quote's entry for one instrument. */
export interface MassQuoteEntry {
  instrument: string;
  bid?: SlotQuote;
  ask?: SlotQuote;
}

/** The client id of a mass-quote slot: the venue's key (group, instrument, side). */
export function quoteSlotId(group: string, instrument: string, side: 'bid' | 'ask'): string {
  return `mq:${group}:${instrument}:${side}`;
}

export class OrderManager {
  private readonly orders = new Map<string, ManagedOrder>();
  private readonly byVenueId = new Map<string, string>();
  /** Venue ids of slot orders that ended before their slot was quoted again. */
  private readonly retired = new Map<string, number>();
  private quotesSent = 0;
  private sent = 0;
  /** Venue orders that match nothing we sent. */
  readonly foreign = new Map<string, VenueOrder>();

  constructor(
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly budget?: RateBudget,
  ) {}

  /** Orders not yet done (pending, open, partially filled, pending cancel). */
  live(): ManagedOrder[] {
    return [...this.orders.values()].filter((o) => !DONE.has(o.state));
  }

  /** Whether an order for `purpose` is live (no array built: the hedger asks on every input). */
  hasLive(purpose: OrderPurpose): boolean {
    for (const o of this.orders.values()) if (o.purpose === purpose && !DONE.has(o.state)) return true;
    return false;
  }

  get(clientOrderId: string): ManagedOrder | undefined {
    return this.orders.get(clientOrderId);
  }

  /** Orders ever sent (the next id's number). */
  get count(): number {
    return this.sent;
  }

  /** Mass-quote requests ever sent (the next quote id's number). */
  get massQuoteCount(): number {
    return this.quotesSent;
  }

  private pay(kind: RequestKind, nowMs: number): boolean {
    return this.budget === undefined || this.budget.spend(kind, nowMs);
  }

  /** A new order; null when the budget refuses it. */
  place(request: OrderRequest, purpose: OrderPurpose, nowMs: number): VenueCommand | null {
    if (!this.pay(purpose === 'hedge' ? 'hedge' : 'quote', nowMs)) return null;
    this.sent += 1;
    const clientOrderId = `${this.prefix}-${this.sent}`;
    this.orders.set(clientOrderId, {
      clientOrderId,
      orderId: null,
      instrument: request.instrument,
      side: request.side,
      price: request.price ?? null,
      amount: request.amount,
      filled: 0,
      state: 'pending',
      purpose,
      postOnly: request.postOnly === true,
      sentMs: nowMs,
      lastUpdateMs: nowMs,
      deadlineMs: nowMs + this.timeoutMs,
      reason: null,
    });
    return {
      kind: 'place',
      clientOrderId,
      instrument: request.instrument,
      side: request.side,
      amount: request.amount,
      type: request.price === undefined ? 'market' : 'limit',
      ...(request.price === undefined ? {} : { price: request.price }),
      ...(request.postOnly === true ? { postOnly: true } : {}),
      ...(request.reduceOnly === true ? { reduceOnly: true } : {}),
      ...(request.timeInForce === undefined ? {} : { timeInForce: request.timeInForce }),
    };
  }

  /**
   * A journaled `place` command again, after a restart: the order is known as pending (the venue's
   * view, asked on connecting, settles it), and ids continue after it. Spends no credits.
   */
  restorePlace(
    command: Extract<VenueCommand, { kind: 'place' }>,
    sentMs: number,
    purpose: OrderPurpose,
  ): void {
    this.sent = Math.max(this.sent, this.numberOf(command.clientOrderId, `${this.prefix}-`));
    if (this.orders.has(command.clientOrderId)) return;
    this.orders.set(command.clientOrderId, {
      clientOrderId: command.clientOrderId,
      orderId: null,
      instrument: command.instrument,
      side: command.side,
      price: command.price ?? null,
      amount: command.amount,
      filled: 0,
      state: 'pending',
      purpose,
      postOnly: command.postOnly === true,
      sentMs,
      lastUpdateMs: sentMs,
      deadlineMs: Number.NaN,
      reason: null,
    });
  }

  /**
   * Mass quotes for `entries` in `group`, at most `maxPerRequest` instruments per request (the
   * venue's limit); each request spends one requote's credits (a cancel's with `kind` cancel:
   * pulling quotes draws on the reserve), and the entries of a refused
   * request are not sent (their slots stay as they were). Sides whose slot waits for the venue's
   * answer (pending, pending cancel) must not be in `entries`: the caller quotes them again once
   * answered.
   */
  massQuote(
    group: string,
    entries: readonly MassQuoteEntry[],
    nowMs: number,
    maxPerRequest: number,
    kind: 'requote' | 'cancel' = 'requote',
  ): VenueCommand[] {
    const out: VenueCommand[] = [];
    for (let start = 0; start < entries.length; start += maxPerRequest) {
      if (!this.pay(kind, nowMs)) break;
      const chunk = entries.slice(start, start + maxPerRequest);
      this.quotesSent += 1;
      const command: Extract<VenueCommand, { kind: 'mass_quote' }> = {
        kind: 'mass_quote',
        quoteId: `${this.prefix}-q${this.quotesSent}`,
        mmpGroup: group,
        quotes: chunk.map((e) => ({ ...e })),
      };
      this.applyMassQuote(command, nowMs, nowMs + this.timeoutMs);
      out.push(command);
    }
    return out;
  }

  /** A journaled `mass_quote` again, after a restart (spends no credits; the venue's view settles it). */
  restoreMassQuote(command: Extract<VenueCommand, { kind: 'mass_quote' }>, sentMs: number): void {
    this.quotesSent = Math.max(this.quotesSent, this.numberOf(command.quoteId, `${this.prefix}-q`));
    this.applyMassQuote(command, sentMs, Number.NaN);
  }

  private applyMassQuote(
    command: Extract<VenueCommand, { kind: 'mass_quote' }>,
    nowMs: number,
    deadlineMs: number,
  ): void {
    for (const entry of command.quotes) {
      for (const side of ['bid', 'ask'] as const) {
        const quote = entry[side];
        if (quote === undefined) continue;
        const id = quoteSlotId(command.mmpGroup, entry.instrument, side);
        const o = this.orders.get(id);
        const resting = o !== undefined && (o.state === 'open' || o.state === 'partially_filled');
        if (quote.amount === 0) {
          if (o === undefined || DONE.has(o.state)) continue;
          o.state = 'pending_cancel';
          o.lastUpdateMs = nowMs;
          o.deadlineMs = deadlineMs;
          continue;
        }
        if (o !== undefined && resting) {
          // An edit in place: the new open amount on top of what filled.
          o.price = quote.price;
          o.amount = o.filled + quote.amount;
          o.lastUpdateMs = nowMs;
          o.deadlineMs = deadlineMs;
          continue;
        }
        if (o?.orderId !== null && o?.orderId !== undefined) {
          this.retired.set(o.orderId, nowMs);
          this.byVenueId.delete(o.orderId);
        }
        this.orders.set(id, {
          clientOrderId: id,
          orderId: null,
          instrument: entry.instrument,
          side: side === 'bid' ? 'buy' : 'sell',
          price: quote.price,
          amount: quote.amount,
          filled: 0,
          state: 'pending',
          purpose: 'quote',
          postOnly: true,
          sentMs: nowMs,
          lastUpdateMs: nowMs,
          deadlineMs,
          reason: null,
        });
      }
    }
  }

  /** The counter in an id this manager made (`<head><n>`); 0 for any other id. */
  private numberOf(id: string, head: string): number {
    const n = Number(id.slice(head.length));
    return id.startsWith(head) && Number.isSafeInteger(n) ? n : 0;
  }

  /** A new price and amount for a resting order (it must be open with a venue id); null if not possible. */
  edit(clientOrderId: string, price: number, amount: number, nowMs: number): VenueCommand | null {
    const o = this.orders.get(clientOrderId);
    if (o === undefined || o.orderId === null || (o.state !== 'open' && o.state !== 'partially_filled'))
      return null;
    if (!this.pay('requote', nowMs)) return null;
    o.price = price;
    o.amount = amount;
    o.lastUpdateMs = nowMs;
    o.deadlineMs = nowMs + this.timeoutMs;
    return { kind: 'edit', clientOrderId, orderId: o.orderId, amount, price };
  }

  /** Cancels a live order; null if it is done or already being cancelled, or the budget refuses. */
  cancel(clientOrderId: string, nowMs: number): VenueCommand | null {
    const o = this.orders.get(clientOrderId);
    if (o === undefined || DONE.has(o.state) || o.state === 'pending_cancel') return null;
    if (!this.pay('cancel', nowMs)) return null;
    o.state = 'pending_cancel';
    o.lastUpdateMs = nowMs;
    o.deadlineMs = nowMs + this.timeoutMs;
    return { kind: 'cancel', clientOrderId, orderId: o.orderId };
  }

  /** Every live order to pending cancel, and the venue's cancel-all (through the kill path when asked). */
  cancelAll(reason: string, nowMs: number, killPath = false): VenueCommand {
    for (const o of this.live()) {
      o.state = 'pending_cancel';
      o.lastUpdateMs = nowMs;
      o.deadlineMs = nowMs + this.timeoutMs;
    }
    // The kill path is never refused: it spends from the reserve, and without credits it still goes.
    this.budget?.spend('cancel', nowMs);
    return { kind: 'cancel_all', reason, ...(killPath ? { killPath: true } : {}) };
  }

  /** The venue's word on an order. Returns the managed order it updated, if any. */
  onOrder(order: VenueOrder): ManagedOrder | undefined {
    if (this.retired.has(order.orderId)) return undefined;
    const key =
      order.clientOrderId !== null && this.orders.has(order.clientOrderId)
        ? order.clientOrderId
        : this.byVenueId.get(order.orderId);
    if (key === undefined) {
      if (order.state === 'open' || order.state === 'untriggered') this.foreign.set(order.orderId, order);
      else this.foreign.delete(order.orderId);
      return undefined;
    }
    const o = this.orders.get(key) as ManagedOrder;
    if (o.orderId === null) {
      o.orderId = order.orderId;
      this.byVenueId.set(order.orderId, key);
    }
    if (DONE.has(o.state)) {
      const word = order.state === 'filled' || order.state === 'cancelled' || order.state === 'rejected';
      if (o.inferred !== true || !word) return o;
    }
    o.inferred = false;
    o.filled = Math.max(o.filled, order.filledAmount);
    o.amount = order.amount;
    if (order.price !== null) o.price = order.price;
    o.lastUpdateMs = order.timestampMs;
    o.deadlineMs = Number.NaN;
    switch (order.state) {
      case 'open':
      case 'untriggered':
        // A cancel in flight stays in flight: the venue's open is older than our cancel.
        if (o.state !== 'pending_cancel') o.state = o.filled > 0 ? 'partially_filled' : 'open';
        else o.deadlineMs = order.timestampMs + this.timeoutMs;
        break;
      case 'filled':
        o.state = 'filled';
        break;
      case 'cancelled':
        o.state = 'cancelled';
        o.reason = order.reason;
        break;
      case 'rejected':
        o.state = 'rejected';
        o.reason = order.reason;
        break;
    }
    return o;
  }

  /** The venue refused a request about `clientOrderId`. */
  onReject(clientOrderId: string, code: number, message: string, nowMs: number): ManagedOrder | undefined {
    const o = this.orders.get(clientOrderId);
    if (o === undefined) return o;
    // Closed by inference, and the venue says it has no such order (10004 order_not_found): the
    // request never arrived; that word replaces the inference. Any other refusal of a done order
    // changes nothing.
    const neverArrived = o.inferred === true && code === ORDER_NOT_FOUND;
    if (DONE.has(o.state) && !neverArrived) return o;
    o.lastUpdateMs = nowMs;
    o.deadlineMs = Number.NaN;
    if (neverArrived) {
      o.inferred = false;
      o.state = 'rejected';
      o.reason = `${code} ${message}`;
    } else if (o.state === 'pending') {
      o.state = 'rejected';
      o.reason = `${code} ${message}`;
    } else if (o.state === 'pending_cancel' && code === ORDER_NOT_FOUND) {
      // Nothing at the venue to cancel (it ended, or never arrived: a mass quote lost on its way).
      // Closed by inference, so the venue's own word on it, if one comes, still replaces this.
      o.state = 'cancelled';
      o.reason = `not at the venue: ${code} ${message}`;
      o.inferred = true;
    } else if (o.state === 'pending_cancel') {
      // A refused cancel: the order is still where it was; ask the venue.
      o.deadlineMs = nowMs;
      o.reason = `cancel refused: ${code} ${message}`;
    } else {
      o.reason = `${code} ${message}`;
    }
    return o;
  }

  /** A fill of one of our orders (by the venue's order id); returns the order. */
  onFill(orderId: string, amount: number, nowMs: number): ManagedOrder | undefined {
    const key = this.byVenueId.get(orderId);
    if (key === undefined) return undefined;
    const o = this.orders.get(key) as ManagedOrder;
    if (DONE.has(o.state)) return o;
    o.filled = Math.min(o.amount, o.filled + amount);
    o.lastUpdateMs = nowMs;
    if (o.filled >= o.amount - 1e-12) o.state = 'filled';
    else if (o.state === 'open' || o.state === 'pending') o.state = 'partially_filled';
    return o;
  }

  /** The clock moved: requests past their deadline are asked about (once per timeout). */
  onTime(nowMs: number): VenueCommand[] {
    const out: VenueCommand[] = [];
    for (const o of this.orders.values()) {
      if (DONE.has(o.state) || !(o.deadlineMs <= nowMs)) continue;
      o.deadlineMs = nowMs + this.timeoutMs;
      out.push({ kind: 'query_order', clientOrderId: o.clientOrderId, orderId: o.orderId });
    }
    return out;
  }

  /**
   * The venue's open orders (reconciliation): ours it does not list are over (cancelled: the
   * venue forgot them, e.g. cancel-on-disconnect); returns the client ids so closed, and the
   * venue's open orders that are not ours.
   */
  reconcile(open: readonly VenueOrder[], nowMs: number): { closed: string[]; foreign: VenueOrder[] } {
    const listed = new Set(open.map((o) => o.clientOrderId ?? `#${o.orderId}`));
    const listedIds = new Set(open.map((o) => o.orderId));
    for (const o of open) this.onOrder(o);
    const closed: string[] = [];
    for (const o of this.live()) {
      if (listed.has(o.clientOrderId) || (o.orderId !== null && listedIds.has(o.orderId))) continue;
      if (o.state === 'pending') continue; // not yet at the venue when it answered
      o.state = 'cancelled';
      o.reason = 'not open at the venue';
      o.inferred = true;
      o.lastUpdateMs = nowMs;
      o.deadlineMs = Number.NaN;
      closed.push(o.clientOrderId);
    }
    const foreign = open.filter((o) => o.clientOrderId === null || !this.orders.has(o.clientOrderId));
    return { closed, foreign };
  }

  /** Forgets done orders older than `beforeMs` (memory stays flat on a long run). */
  prune(beforeMs: number): void {
    for (const [key, o] of this.orders) {
      if (DONE.has(o.state) && o.lastUpdateMs < beforeMs) {
        this.orders.delete(key);
        if (o.orderId !== null) this.byVenueId.delete(o.orderId);
      }
    }
    for (const [orderId, atMs] of this.retired) if (atMs < beforeMs) this.retired.delete(orderId);
  }
}
