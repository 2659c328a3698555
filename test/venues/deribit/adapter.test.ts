/**
 * The Deribit adapter against a fake Deribit (real WebSockets on 127.0.0.1), fault by fault.
 * The test plays the engine's loop: it collects every input the adapter emits and, where the
 * core would, sends commands back (a kill on `in_doubt`, a query after a timeout).
 */
import { mulberry32 } from '../../../scripts/generate-fills.js';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineInput } from '../../../src/engine/types.js';
import { DeribitAdapter, type DeribitAdapterConfig } from '../../../src/venues/deribit/adapter.js';
import { backoffDelay } from '../../../src/venues/deribit/orders.js';
import {
  INSTRUMENT,
  SECRET,
  startHarness,
  stopHarness,
  waitFor as waitUntil,
  type Harness,
} from './harness.js';

let open: Harness[] = [];

afterEach(async () => {
  for (const h of open) await stopHarness(h);
  open = [];
});

async function harness(overrides: Partial<DeribitAdapterConfig> = {}): Promise<Harness> {
  const h = await startHarness({ seed: 7, overrides });
  open.push(h);
  return h;
}

const waitFor = <T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 3000): Promise<T> =>
  waitUntil(what, probe, timeoutMs);

const fillIds = (inputs: EngineInput[]) => inputs.flatMap((i) => (i.kind === 'fill' ? [i.event.id] : []));
const connections = (inputs: EngineInput[]) =>
  inputs.flatMap((i) => (i.kind === 'connection' ? [`${i.state}: ${i.reason}`] : []));
const ofKind = <K extends EngineInput['kind']>(inputs: EngineInput[], kind: K) =>
  inputs.filter((i): i is Extract<EngineInput, { kind: K }> => i.kind === kind);

function place(h: Harness, clientOrderId: string, side: 'buy' | 'sell', price: number, amount = 10): void {
  h.adapter.send({
    kind: 'place',
    clientOrderId,
    instrument: INSTRUMENT,
    side,
    amount,
    type: 'limit',
    price,
    postOnly: true,
  });
}

async function openOrder(h: Harness, clientOrderId: string) {
  return waitFor(`order ${clientOrderId} open`, () =>
    ofKind(h.inputs, 'order').find(
      (i) => i.order.clientOrderId === clientOrderId && i.order.state === 'open',
    ),
  );
}

describe('DeribitAdapter against a fake Deribit', () => {
  it('connects: auth, heartbeat, cancel-on-disconnect, subscriptions, reconciliation, then up', async () => {
    const h = await harness();
    const main = h.fake.received.filter((r) => r.main || r.method === 'private/subscribe');
    const methods = h.fake.received.filter((r) => r.connection === main[0]?.connection).map((r) => r.method);
    expect(methods.slice(0, 5)).toEqual([
      'public/auth',
      'public/set_heartbeat',
      'private/enable_cancel_on_disconnect',
      'private/subscribe',
      'private/get_open_orders_by_currency',
    ]);
    expect(methods).toContain('private/get_user_trades_by_currency');
    // The second connection authenticated and set heartbeats, and subscribed to nothing.
    const kill = h.fake.received.filter((r) => r.connection !== main[0]?.connection).map((r) => r.method);
    expect(kill).toEqual(['public/auth', 'public/set_heartbeat']);
    const kinds = h.inputs.map((i) => i.kind);
    expect(kinds.indexOf('account')).toBeLessThan(kinds.indexOf('connection'));
    expect(connections(h.inputs)[0]).toMatch(/^up/);
    await waitFor('book snapshot', () =>
      ofKind(h.inputs, 'market').find((i) => i.event.type === 'book_snapshot'),
    );

    // Orders, fills, edit, cancel, mass quote, MMP.
    place(h, 'run-1', 'buy', 5000);
    const opened = await openOrder(h, 'run-1');
    h.fake.takerTrade(INSTRUMENT, 'sell', 4);
    await waitFor('fill', () => fillIds(h.inputs).length === 1);
    h.adapter.send({
      kind: 'edit',
      clientOrderId: 'run-1',
      orderId: opened.order.orderId,
      amount: 20,
      price: 5001,
    });
    await waitFor('edited', () => ofKind(h.inputs, 'order').find((i) => i.order.price === 5001));
    h.adapter.send({ kind: 'cancel', clientOrderId: 'run-1', orderId: opened.order.orderId });
    await waitFor('cancelled', () => ofKind(h.inputs, 'order').find((i) => i.order.state === 'cancelled'));
    h.adapter.send({
      kind: 'set_mmp',
      index: 'btc_usd',
      group: 'g1',
      intervalS: 1,
      frozenTimeS: 0,
      quantityLimit: 100,
      maxQuoteQuantity: 50,
    });
    h.adapter.send({
      kind: 'mass_quote',
      quoteId: 'q1',
      mmpGroup: 'g1',
      quotes: [
        { instrument: INSTRUMENT, bid: { price: 4990, amount: 10 }, ask: { price: 5100, amount: 10 } },
      ],
    });
    await waitFor('quotes', () => ofKind(h.inputs, 'order').filter((i) => i.order.mmp).length >= 2);
    const config = h.fake.received.find((r) => r.method === 'private/set_mmp_config');
    expect(config).toBeDefined();
    // The venue's quote orders come named by their key: group, instrument, side.
    const quoted = ofKind(h.inputs, 'order').filter((i) => i.order.mmp);
    expect(new Set(quoted.map((i) => i.order.clientOrderId))).toEqual(
      new Set([`mq:g1:${INSTRUMENT}:bid`, `mq:g1:${INSTRUMENT}:ask`]),
    );
    const bidId = quoted.find((i) => i.order.side === 'buy')?.order.orderId;
    // A new bid edits the quote in place; amount 0 pulls the ask; a refused side is named by its key.
    h.fake.faults.rejectQuoteSide = null;
    h.adapter.send({
      kind: 'mass_quote',
      quoteId: 'q2',
      mmpGroup: 'g1',
      quotes: [{ instrument: INSTRUMENT, bid: { price: 4995, amount: 5 }, ask: { price: 5100, amount: 0 } }],
    });
    await waitFor('requoted', () =>
      ofKind(h.inputs, 'order').find((i) => i.order.mmp && i.order.state === 'cancelled'),
    );
    const bid = ofKind(h.inputs, 'order')
      .filter((i) => i.order.orderId === bidId)
      .at(-1)?.order;
    expect(bid).toMatchObject({
      price: 4995,
      amount: 5,
      state: 'open',
      clientOrderId: `mq:g1:${INSTRUMENT}:bid`,
    });
    h.fake.faults.rejectQuoteSide = 'ask';
    h.adapter.send({
      kind: 'mass_quote',
      quoteId: 'q3',
      mmpGroup: 'g1',
      quotes: [{ instrument: INSTRUMENT, ask: { price: 5090, amount: 5 } }],
    });
    const refused = await waitFor('refused side', () => ofKind(h.inputs, 'reject')[0]);
    expect(refused).toMatchObject({ clientOrderId: `mq:g1:${INSTRUMENT}:ask`, code: 10009 });
    h.fake.faults.rejectQuoteSide = null;
    // A request refused as a whole (the rate limit): a reject for each of its sides, by slot.
    h.fake.faults.rejectNext = { method: 'private/mass_quote', code: 10028, message: 'too_many_requests' };
    h.adapter.send({
      kind: 'mass_quote',
      quoteId: 'q4',
      mmpGroup: 'g1',
      quotes: [{ instrument: INSTRUMENT, bid: { price: 4980, amount: 1 }, ask: { price: 5110, amount: 1 } }],
    });
    await waitFor('the whole request refused', () => ofKind(h.inputs, 'reject').length === 3);
    expect(
      ofKind(h.inputs, 'reject')
        .slice(1)
        .map((x) => [x.clientOrderId, x.code]),
    ).toEqual([
      [`mq:g1:${INSTRUMENT}:bid`, 10028],
      [`mq:g1:${INSTRUMENT}:ask`, 10028],
    ]);
    h.adapter.send({ kind: 'reset_mmp', index: 'btc_usd', group: 'g1' });
    await waitFor('mmp calls', () => h.fake.received.some((r) => r.method === 'private/reset_mmp'));
    h.fake.mmpTrigger('btc_usd', 0, 'g1');
    const trigger = await waitFor('mmp trigger', () => ofKind(h.inputs, 'mmp_trigger')[0]);
    expect(trigger).toMatchObject({ index: 'btc_usd', group: 'g1', frozenUntilMs: null });
    const margin = await h.adapter.compareMargin('BTC', 0.001);
    expect(margin.venueInitialMargin).toBeGreaterThan(0);
    expect(margin.difference).toBeCloseTo(0.001 - margin.venueInitialMargin, 12);
    expect(ofKind(h.inputs, 'reject')).toHaveLength(3);
  });

  it('a disconnect before the venue acts: reconnects, reconciles, and the lost order is reported not found', async () => {
    const h = await harness();
    h.fake.faults.closeOnRequest = { method: 'private/buy', when: 'before' };
    place(h, 'lost-1', 'buy', 5000);
    const reject = await waitFor('reject of the lost order', () =>
      ofKind(h.inputs, 'reject').find((i) => i.clientOrderId === 'lost-1'),
    );
    expect(reject.code).toBe(10004);
    const states = connections(h.inputs);
    expect(states.filter((s) => s.startsWith('down'))).toHaveLength(1);
    expect(states.at(-1)).toMatch(/^up/);
    expect(ofKind(h.inputs, 'account')).toHaveLength(2);
    expect(h.fake.orders.size).toBe(0);
    expect(fillIds(h.inputs)).toEqual([]);
  });

  it('a disconnect after the venue acted (filled while we were away): the fill comes from the reconciliation', async () => {
    const h = await harness();
    h.fake.faults.closeOnRequest = {
      method: 'private/buy',
      when: 'after',
      then: () => h.fake.takerTrade(INSTRUMENT, 'sell', 10),
    };
    place(h, 'mid-1', 'buy', 5000);
    const filled = await waitFor('the order found filled', () =>
      ofKind(h.inputs, 'order').find((i) => i.order.clientOrderId === 'mid-1' && i.order.state === 'filled'),
    );
    expect(filled.order.filledAmount).toBe(10);
    const venueIds = h.fake.trades.map((t) => String(t.trade_id));
    expect(new Set(fillIds(h.inputs))).toEqual(new Set(venueIds));
    const account = ofKind(h.inputs, 'account').at(-1);
    expect(account?.positions).toEqual([{ instrument: INSTRUMENT, amount: 10 }]);
    expect(account?.lastTradeId).toBe(venueIds[0]);
  });

  it('duplicate and out-of-order fill notifications: every trade id arrives, none is invented', async () => {
    const h = await harness();
    h.fake.faults.duplicateFills = true;
    h.fake.faults.reverseFills = true;
    for (const [id, price] of [
      ['d-1', 5000],
      ['d-2', 4999],
      ['d-3', 4998],
    ] as const) {
      place(h, id, 'buy', price);
      await openOrder(h, id);
    }
    h.fake.takerTrade(INSTRUMENT, 'sell', 30);
    await waitFor('six fill notifications', () => fillIds(h.inputs).length === 6);
    const venueIds = h.fake.trades.map((t) => String(t.trade_id));
    const seen = fillIds(h.inputs);
    expect(new Set(seen)).toEqual(new Set(venueIds));
    expect(seen.slice(0, 2)).toEqual([venueIds[2], venueIds[2]]); // reversed, duplicated
    // Each duplicate carries the same fill: the journal keeps one per trade id.
    const byId = new Map<string, string>();
    for (const input of ofKind(h.inputs, 'fill')) {
      const text = JSON.stringify(input.event, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      if (byId.has(input.event.id)) expect(text).toBe(byId.get(input.event.id));
      byId.set(input.event.id, text);
    }
    // A reconnect's reconciliation sends them again (dedupe by trade id), and nothing else.
    h.fake.dropMain();
    await waitFor('reconciled again', () => ofKind(h.inputs, 'account').length === 2);
    expect(new Set(fillIds(h.inputs))).toEqual(new Set(venueIds));
  });

  it('a book gap: in_doubt, the gapped change dropped, a resubscription and a fresh snapshot', async () => {
    const h = await harness();
    await waitFor('snapshot', () => ofKind(h.inputs, 'market').find((i) => i.event.type === 'book_snapshot'));
    h.fake.bookChange(INSTRUMENT, [['new', 5041, 5]], []);
    await waitFor('a change', () => ofKind(h.inputs, 'market').find((i) => i.event.type === 'book_change'));
    h.fake.gapNext(INSTRUMENT);
    h.fake.bookChange(INSTRUMENT, [['new', 5040, 7]], []);
    await waitFor('resynced', () => connections(h.inputs).find((s) => s.startsWith('up: book resynced')));
    const states = connections(h.inputs);
    expect(states.some((s) => s.startsWith('in_doubt: book gap BTC-PERPETUAL'))).toBe(true);
    const methods = h.fake.received.map((r) => r.method);
    expect(methods.lastIndexOf('private/unsubscribe')).toBeLessThan(methods.lastIndexOf('private/subscribe'));
    const market = ofKind(h.inputs, 'market').map((i) => i.event.type);
    expect(market).toEqual(['book_snapshot', 'book_change', 'book_snapshot']);
  });

  it('a rejected order and the rate limit: reject inputs with the venue codes', async () => {
    const h = await harness();
    h.fake.faults.rejectNext = { method: 'private/buy', code: 10009, message: 'not_enough_funds' };
    place(h, 'r-1', 'buy', 5000);
    const funds = await waitFor('reject', () =>
      ofKind(h.inputs, 'reject').find((i) => i.clientOrderId === 'r-1'),
    );
    expect(funds).toMatchObject({ code: 10009, message: 'not_enough_funds' });
    h.fake.faults.rejectNext = { method: 'private/sell', code: 10028, message: 'too_many_requests' };
    place(h, 'r-2', 'sell', 5100);
    const limited = await waitFor('reject', () =>
      ofKind(h.inputs, 'reject').find((i) => i.clientOrderId === 'r-2'),
    );
    expect(limited).toMatchObject({ code: 10028, message: 'too_many_requests' });
    expect(connections(h.inputs).every((s) => s.startsWith('up'))).toBe(true);
  });

  it('a slow reply: timeout, in_doubt, and query_order finds the truth', async () => {
    const h = await harness();
    h.fake.faults.delay = { method: 'private/buy', ms: 700 };
    h.fake.faults.quietAccount = true;
    place(h, 'slow-1', 'buy', 5000);
    await waitFor('in doubt', () =>
      connections(h.inputs).find((s) => s.startsWith('in_doubt: no answer to private/buy')),
    );
    expect(ofKind(h.inputs, 'order')).toEqual([]);
    h.adapter.send({ kind: 'query_order', clientOrderId: 'slow-1', orderId: null });
    const truth = await openOrder(h, 'slow-1');
    expect(truth.order.orderId).toBe([...h.fake.orders.keys()][0]);
    expect(connections(h.inputs).at(-1)).toMatch(/^up: answers resumed/);
    // The late answer is ignored, not taken as a second truth.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ofKind(h.inputs, 'order')).toHaveLength(1);
    expect(h.logs.some((l) => l.includes('late answer'))).toBe(true);
  });

  it('a missed heartbeat: in_doubt, cancel_all over the second connection, reconnect and reconcile', async () => {
    const h = await harness();
    place(h, 'hb-1', 'buy', 5000);
    place(h, 'hb-2', 'sell', 5100);
    await openOrder(h, 'hb-1');
    await openOrder(h, 'hb-2');
    let detectedAt = 0;
    h.onInput = (input) => {
      // The core's rule: quotes are pulled through the kill path when the main connection is in doubt.
      if (input.kind === 'connection' && input.state === 'in_doubt' && detectedAt === 0) {
        detectedAt = input.timestampMs;
        h.adapter.send({ kind: 'cancel_all', reason: input.reason, killPath: true });
      }
    };
    const silenced = h.fake.silenceMain();
    await waitFor('in doubt', () =>
      connections(h.inputs).find((s) => s.startsWith('in_doubt: missed heartbeat')),
    );
    const report = await waitFor('kill answered', () =>
      h.adapter.killReports.find((r) => r.answeredAtMs !== null),
    );
    expect(report.connection).toBe('kill');
    expect(report.cancelled).toBe(2);
    const cancel = h.fake.received.find((r) => r.method === 'private/cancel_all');
    expect(cancel?.main).toBe(false);
    expect(cancel?.connection).not.toBe(silenced);
    const detectionToCancelMs = (report.answeredAtMs ?? 0) - detectedAt;
    console.log(
      `missed heartbeat: detection to cancel_all answered over the kill path: ${detectionToCancelMs} ms`,
    );
    expect(detectionToCancelMs).toBeLessThan(500);
    expect(h.fake.openOrders()).toEqual([]);
    await waitFor('up again', () => connections(h.inputs).at(-1)?.startsWith('up: connected'));
    const states = connections(h.inputs).map((s) => s.split(':')[0]);
    expect(states.slice(-3)).toEqual(['in_doubt', 'down', 'up']);
    const account = ofKind(h.inputs, 'account').at(-1);
    expect(account?.openOrders).toEqual([]);
  });

  it('a position changed behind our back: the reconciliation after a reconnect fetches the fills and the positions', async () => {
    const h = await harness();
    // More than a page of trades (100), so the reconciliation follows has_more.
    for (let i = 0; i < 120; i++) h.fake.hiddenFill(INSTRUMENT, 'buy', 10, 9000 + i);
    h.fake.hiddenFill(INSTRUMENT, 'sell', 200, 9100);
    h.fake.dropMain();
    await waitFor('reconciled', () => ofKind(h.inputs, 'account').length === 2);
    const account = ofKind(h.inputs, 'account')[1];
    expect(account?.positions).toEqual([{ instrument: INSTRUMENT, amount: 1000 }]);
    const venueIds = h.fake.trades.map((t) => String(t.trade_id));
    expect(fillIds(h.inputs)).toEqual(venueIds);
    expect(account?.lastTradeId).toBe(venueIds.at(-1));
    // Fills come before the account input that reports their effect.
    const lastFill = h.inputs.map((i) => i.kind).lastIndexOf('fill');
    expect(lastFill).toBeLessThan(h.inputs.indexOf(account as EngineInput));
    // Reconnect delays follow the backoff (attempt 0: between initialMs/2 and initialMs).
    expect(h.logs.some((l) => /reconnecting in (2\d|3\d|40) ms \(attempt 1\)/.test(l))).toBe(true);
    // The engine's reconcile command from its journal's last fill fetches only what follows it.
    h.fake.hiddenFill(INSTRUMENT, 'buy', 10, 9200);
    const before = fillIds(h.inputs).length;
    h.adapter.send({ kind: 'reconcile', afterTradeId: venueIds.at(-1) ?? null });
    await waitFor('reconciled', () => ofKind(h.inputs, 'account').length === 3);
    expect(fillIds(h.inputs).slice(before)).toEqual([String(h.fake.trades.at(-1)?.trade_id)]);
  });

  it('the client secret never appears in logs, errors, inputs or the adapter', async () => {
    const h = await harness();
    h.fake.faults.rejectNext = { method: 'private/buy', code: 10009, message: `not_enough_funds ${SECRET}` };
    place(h, 's-1', 'buy', 5000);
    await waitFor('reject', () => ofKind(h.inputs, 'reject')[0]);
    h.fake.dropMain();
    await waitFor('reconnected', () => ofKind(h.inputs, 'account').length === 2);
    // A wrong secret: start fails, and says so without the secret it was given.
    const wrong = new DeribitAdapter({
      url: h.fake.url,
      clientId: 'test-client',
      clientSecret: `${SECRET}-wrong`,
      instruments: [INSTRUMENT],
      logger: { info: (m) => h.logs.push(m), warn: (m) => h.logs.push(m), error: (m) => h.logs.push(m) },
    });
    const thrown = await wrong
      .start(() => {})
      .then(
        () => '',
        (error: unknown) =>
          error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error),
      );
    await wrong.stop();
    expect(thrown).toMatch(/13004 invalid_credentials/);
    const everything = [
      ...h.logs,
      thrown,
      JSON.stringify(h.inputs, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      inspect(h.adapter, { depth: 6, showHidden: true }),
      inspect(wrong, { depth: 6, showHidden: true }),
    ].join('\n');
    expect(everything).not.toContain(SECRET);
    expect(everything).toContain('[redacted]');
  });

  it('backoff: exponential, capped, jittered from the injected random', () => {
    const random = mulberry32(1);
    const delays = Array.from({ length: 8 }, (_, attempt) =>
      backoffDelay(attempt, { initialMs: 100, maxMs: 2000 }, random),
    );
    delays.forEach((delay, attempt) => {
      const ceiling = Math.min(2000, 100 * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
    const again = mulberry32(1);
    expect(
      Array.from({ length: 8 }, (_, a) => backoffDelay(a, { initialMs: 100, maxMs: 2000 }, again)),
    ).toEqual(delays);
  });
});
