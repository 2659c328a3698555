import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXCHANGE_ACCOUNT, type Exchange } from '../../../src/sim/exchange/exchange.js';
import type { OrderRequest } from '../../../src/sim/exchange/types.js';
import { CALL, EXPIRY, FUTURE, PERP, PUT, T0, exchange } from './helpers.js';

const PARTICIPANTS = ['a', 'b', 'c'] as const;
const INSTRUMENTS = [
  { name: CALL, tick: 0.0005, base: 10, lot: 0.1 },
  { name: PUT, tick: 0.0005, base: 10, lot: 0.1 },
  { name: FUTURE, tick: 2.5, base: 20000, lot: 10 },
  { name: PERP, tick: 0.5, base: 100000, lot: 10 },
] as const;

type Action =
  | {
      kind: 'order';
      who: number;
      inst: number;
      side: 'buy' | 'sell';
      lots: number;
      ticks: number;
      flavour: number;
      mmp: boolean;
    }
  | { kind: 'edit'; pick: number; lots: number; ticks: number }
  | { kind: 'cancel'; pick: number }
  | { kind: 'cancelAll'; who: number }
  | { kind: 'disconnect'; who: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 24,
    arbitrary: fc.record({
      kind: fc.constant('order' as const),
      who: fc.integer({ min: 0, max: 2 }),
      inst: fc.integer({ min: 0, max: 3 }),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      lots: fc.integer({ min: 1, max: 30 }),
      ticks: fc.integer({ min: -3, max: 3 }),
      flavour: fc.integer({ min: 0, max: 5 }),
      mmp: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      pick: fc.nat(),
      lots: fc.integer({ min: 1, max: 30 }),
      ticks: fc.integer({ min: -6, max: 6 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancelAll' as const), who: fc.integer({ min: 0, max: 2 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('disconnect' as const), who: fc.integer({ min: 0, max: 2 }) }),
  },
);

function run(ex: Exchange, actions: Action[]): number {
  let t = T0;
  for (const p of PARTICIPANTS) ex.enableCancelOnDisconnect(p, `ws-${p}`);
  ex.setMmpConfig({ participant: 'a', index: 'BTC', intervalMs: 50, frozenTimeMs: 100, quantityLimit: 2 });
  let fills = 0;
  for (const act of actions) {
    t += 7;
    if (act.kind === 'order') {
      const spec = INSTRUMENTS[act.inst] as (typeof INSTRUMENTS)[number];
      const who = PARTICIPANTS[act.who] as string;
      const price = Number(((spec.base + act.ticks) * spec.tick).toFixed(6));
      const req: OrderRequest = {
        participant: who,
        connection: `ws-${who}`,
        instrument: spec.name,
        side: act.side,
        amount: Number((act.lots * spec.lot).toFixed(6)),
        price,
        mmp: act.mmp,
      };
      if (act.flavour === 1) req.type = 'market';
      if (act.flavour === 2) req.timeInForce = 'immediate_or_cancel';
      if (act.flavour === 3) req.postOnly = true;
      if (act.flavour === 4) req.reduceOnly = true;
      if (act.flavour === 5) req.postOnly = req.rejectPostOnly = true;
      fills += ex.submit(req, t).fills.length;
    } else if (act.kind === 'edit' || act.kind === 'cancel') {
      const open = ex.openOrders();
      if (open.length === 0) continue;
      const order = open[act.pick % open.length]!;
      if (act.kind === 'cancel') ex.cancel(order.orderId, order.participant, t);
      else {
        const spec = INSTRUMENTS.find((i) => i.name === order.instrument)!;
        const price = Number(((spec.base + act.ticks) * spec.tick).toFixed(6));
        fills += ex.edit(
          order.orderId,
          order.participant,
          { amount: Number((act.lots * spec.lot).toFixed(6)), price },
          t,
        ).fills.length;
      }
    } else if (act.kind === 'cancelAll') ex.cancelAll(PARTICIPANTS[act.who] as string, t);
    else ex.disconnect(`ws-${PARTICIPANTS[act.who]}`, t);
    checkBooks(ex);
  }
  return fills;
}

/** Books never cross and hold positive amounts. */
function checkBooks(ex: Exchange): void {
  for (const spec of INSTRUMENTS) {
    const bid = ex.depth(spec.name, 'bids')[0];
    const ask = ex.depth(spec.name, 'asks')[0];
    if (bid !== undefined && ask !== undefined) expect(bid.price).toBeLessThan(ask.price);
    for (const level of [...ex.depth(spec.name, 'bids'), ...ex.depth(spec.name, 'asks')])
      expect(level.amount).toBeGreaterThan(0);
  }
}

function checkConservation(ex: Exchange): void {
  const accounts = ex.participants();
  const { currencies, instruments } = ex.holdings();
  for (const currency of currencies) {
    const total = accounts.reduce((sum, p) => sum + ex.balance(p, currency), 0);
    expect(Math.abs(total)).toBeLessThan(1e-9);
  }
  for (const instrument of instruments) {
    const total = accounts.reduce((sum, p) => sum + ex.position(p, instrument), 0);
    expect(Math.abs(total)).toBeLessThan(1e-9);
  }
  expect(ex.balance(EXCHANGE_ACCOUNT, 'BTC')).toBeGreaterThanOrEqual(0);
}

describe('conservation over random order streams', () => {
  it('cash per currency and positions per instrument sum to zero over all accounts (fees in the exchange account)', () => {
    let totalFills = 0;
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 1, maxLength: 150, size: 'max' }),
        fc.integer({ min: 1, max: 4 }),
        (actions, s) => {
          const ex = exchange();
          totalFills += run(ex, actions);
          checkConservation(ex);
          // and after expiry settlement of the dated instruments
          ex.settle(CALL, 40000 + 10000 * s, EXPIRY);
          ex.settle(PUT, 40000 + 10000 * s, EXPIRY);
          ex.settle(FUTURE, 40000 + 10000 * s, EXPIRY);
          checkConservation(ex);
          for (const p of ex.participants()) {
            expect(ex.position(p, PUT)).toBe(0);
            expect(ex.position(p, CALL)).toBe(0);
            expect(ex.position(p, FUTURE)).toBe(0);
          }
        },
      ),
      { numRuns: 200, seed: 20261125 },
    );
    expect(totalFills).toBeGreaterThan(1000);
  });
});
