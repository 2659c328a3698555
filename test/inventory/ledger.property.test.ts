/**
 * Invariants of the ledger: order of arrival and duplicates do not matter; two accounts trading
 * with each other conserve cash and positions; realized + unrealized P&L is the change in
 * mark-to-market value; bad input is refused with the field named.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { eventFromJson, eventToJson } from '../../src/inventory/event-json.js';
import { Ledger } from '../../src/inventory/ledger.js';
import { abs } from '../../src/inventory/money.js';
import { InputError } from '../../src/model/errors.js';
import { bookArb, CALL, FUTURE, PERP, PUT, T0, EXPIRY } from './book-arbitrary.js';
import { fill, funding, m } from './helpers.js';

function snapshot(ledger: Ledger): unknown {
  return {
    positions: ledger.positions(),
    cash: ledger.cash(),
    fees: ledger.feesPaid(),
    funding: ledger.fundingReceived(),
  };
}

describe('order of arrival', () => {
  test('any permutation of the same events, with duplicates mixed in, gives the same state', () => {
    fc.assert(
      fc.property(
        bookArb.chain((events) =>
          fc.tuple(
            fc.constant(events),
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            fc.subarray(events),
          ),
        ),
        ([events, shuffled, repeated]) => {
          const inOrder = new Ledger();
          inOrder.applyAll(events);
          const shuffledLedger = new Ledger();
          const mixed = [...shuffled];
          repeated.forEach((event, i) => mixed.splice((i * 7) % (mixed.length + 1), 0, event));
          const result = shuffledLedger.applyAll(mixed);
          expect(result.applied).toBe(events.length);
          expect(result.duplicates.length).toBe(repeated.length);
          expect(result.conflicts).toEqual([]);
          expect(snapshot(shuffledLedger)).toEqual(snapshot(inOrder));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('conservation', () => {
  test('fills between two accounts: positions, cash and realized P&L cancel', () => {
    fc.assert(
      fc.property(bookArb, (events) => {
        const a = new Ledger();
        const b = new Ledger();
        for (const event of events) {
          if (event.type === 'fill') {
            a.apply({ ...event, fee: 0n });
            b.apply({ ...event, fee: 0n, side: event.side === 'buy' ? 'sell' : 'buy' });
          } else if (event.type === 'funding') {
            a.apply(event);
            b.apply({ ...event, amount: -event.amount });
          } else if (event.type !== 'deposit') {
            a.apply(event);
            b.apply(event);
          }
        }
        for (const position of a.positions())
          expect(position.amount + b.position(position.instrument).amount).toBe(0n);
        expect((a.cash().BTC ?? 0n) + (b.cash().BTC ?? 0n)).toBe(0n);
        expect((a.realizedPnl().BTC ?? 0n) + (b.realizedPnl().BTC ?? 0n)).toBe(0n);
      }),
      { numRuns: 150 },
    );
  });
});

describe('P&L explains the change in value', () => {
  test('realized + unrealized + funding - fees = equity at the marks - deposits (to 10^-12 per step)', () => {
    fc.assert(
      fc.property(
        bookArb,
        fc.integer({ min: 80_000, max: 120_000 }),
        fc.integer({ min: 1, max: 3000 }),
        (events, futureMark, optionTicks) => {
          const ledger = new Ledger();
          ledger.applyAll(events.filter((e) => e.type !== 'delivery'));
          const marks = {
            [FUTURE]: m(futureMark),
            [PERP]: m(futureMark),
            [CALL]: m(`${optionTicks}e-4`),
            [PUT]: m(`${optionTicks}e-4`),
          };
          const pnl =
            (ledger.realizedPnl().BTC ?? 0n) +
            (ledger.unrealizedPnl(marks).BTC ?? 0n) +
            (ledger.fundingReceived().BTC ?? 0n) -
            (ledger.feesPaid().BTC ?? 0n);
          const change = (ledger.equity(marks).BTC ?? 0n) - m(10);
          expect(abs(pnl - change) <= BigInt(events.length * 3)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('JSON form', () => {
  test('round-trips every event exactly', () => {
    fc.assert(
      fc.property(bookArb, (events) => {
        for (const event of events) {
          const back = eventFromJson(JSON.stringify(eventToJson(event)));
          expect(back).toEqual(event);
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe('bad input', () => {
  const field = (f: () => unknown): string => {
    try {
      f();
    } catch (error) {
      if (error instanceof InputError) return error.field;
      throw error;
    }
    throw new Error('no error');
  };
  const good = fill(FUTURE, 'buy', 10, 100_000, T0);

  test('names the field and changes nothing', () => {
    const ledger = new Ledger();
    expect(field(() => ledger.apply({ ...good, amount: m(-10) }))).toBe('amount');
    expect(field(() => ledger.apply({ ...good, instrument: 'BTC-32DEC26' }))).toBe('instrument');
    expect(field(() => ledger.apply({ ...good, timestampMs: EXPIRY + 1 }))).toBe('timestampMs');
    expect(field(() => eventFromJson({ ...eventToJson(good), price: Number.NaN }))).toBe('price');
    expect(field(() => eventFromJson({ ...eventToJson(good), price: 'abc' }))).toBe('price');
    expect(field(() => ledger.apply(funding(FUTURE, 1, T0)))).toBe('instrument');
    expect(field(() => ledger.applyAll([good, { ...good, id: 'x', side: 'hold' as 'buy' }]))).toBe(
      'events[1].side',
    );
    expect(ledger.eventCount).toBe(0);
    expect(ledger.cash()).toEqual({});
  });

  test('a conflicting duplicate (same id, other content) is reported and ignored', () => {
    const ledger = new Ledger();
    ledger.apply(good);
    expect(ledger.apply({ ...good, amount: m(20) })).toEqual({
      status: 'duplicate',
      identical: false,
      refolded: [],
    });
    expect(ledger.position(FUTURE).amount).toBe(m(10));
  });
});
