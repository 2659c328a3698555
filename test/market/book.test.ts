/**
 * The order book: faults turn it stale and a snapshot makes it live again; any sequence of
 * valid changes gives the same book as a naive reference (a Map of price to amount, sorted
 * when read).
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { OrderBook, type StaleEvent } from '../../src/market/book.js';
import type { BookChangeEvent, BookSnapshotEvent, Level, LevelChange } from '../../src/market/events.js';

const I = 'BTC-PERPETUAL';

function snapshot(
  changeId: number | null,
  bids: [number, number][],
  asks: [number, number][],
): BookSnapshotEvent {
  const levels = (xs: [number, number][]): Level[] => xs.map(([price, amount]) => ({ price, amount }));
  return {
    type: 'book_snapshot',
    venue: 'deribit',
    instrument: I,
    timestampMs: 1000,
    changeId,
    bids: levels(bids),
    asks: levels(asks),
    full: true,
  };
}

function change(
  changeId: number | null,
  prevChangeId: number | null,
  bids: LevelChange[] = [],
  asks: LevelChange[] = [],
): BookChangeEvent {
  return {
    type: 'book_change',
    venue: 'deribit',
    instrument: I,
    timestampMs: 2000,
    changeId,
    prevChangeId,
    bids,
    asks,
  };
}

function live(onStale?: (e: StaleEvent) => void): OrderBook {
  const book = new OrderBook(I, onStale === undefined ? {} : { onStale });
  book.applySnapshot(
    snapshot(
      10,
      [
        [100, 5],
        [99.5, 3],
        [99, 7],
      ],
      [
        [100.5, 2],
        [101, 4],
      ],
    ),
  );
  return book;
}

describe('OrderBook faults', () => {
  it('applies a change in sequence: new, change and delete levels', () => {
    const book = live();
    expect(
      book.applyChange(
        change(
          11,
          10,
          [
            { action: 'new', price: 100.25, amount: 1 },
            { action: 'delete', price: 99.5, amount: 0 },
          ],
          [{ action: 'change', price: 101, amount: 9 }],
        ),
      ),
    ).toBe('applied');
    expect(book.status).toBe('live');
    expect(book.lastChangeId).toBe(11);
    expect(book.top(5)).toEqual({
      bids: [
        { price: 100.25, amount: 1 },
        { price: 100, amount: 5 },
        { price: 99, amount: 7 },
      ],
      asks: [
        { price: 100.5, amount: 2 },
        { price: 101, amount: 9 },
      ],
    });
  });

  it.each([
    ['gap', change(13, 12, [{ action: 'new', price: 98, amount: 1 }])],
    ['duplicate', change(10, 9, [{ action: 'new', price: 98, amount: 1 }])],
    ['out_of_order', change(9, 8, [{ action: 'new', price: 98, amount: 1 }])],
    ['crossed', change(11, 10, [{ action: 'new', price: 100.5, amount: 1 }])],
    ['missing_level', change(11, 10, [{ action: 'change', price: 98, amount: 1 }])],
    ['existing_level', change(11, 10, [], [{ action: 'new', price: 101, amount: 1 }])],
    ['invalid_level', change(11, 10, [{ action: 'new', price: Number.NaN, amount: 1 }])],
  ])('a %s marks the book stale, asks for a snapshot, ignores changes until one comes', (reason, bad) => {
    const seen: StaleEvent[] = [];
    const book = live((e) => seen.push(e));
    expect(book.applyChange(bad)).toBe('stale');
    expect(book.status).toBe('stale');
    expect(book.staleReason?.reason).toBe(reason);
    expect(seen.map((e) => e.reason)).toEqual([reason]);
    // Further changes, even in sequence, are ignored: no state is guessed.
    expect(book.applyChange(change(11, 10, [{ action: 'new', price: 98, amount: 1 }]))).toBe('ignored');
    expect(seen).toHaveLength(1);
    book.applySnapshot(snapshot(20, [[100, 1]], [[101, 1]]));
    expect(book.status).toBe('live');
    expect(book.staleReason).toBeUndefined();
    expect(book.applyChange(change(21, 20, [{ action: 'new', price: 100.5, amount: 2 }]))).toBe('applied');
    expect(book.bestBid()).toEqual({ price: 100.5, amount: 2 });
  });

  it('a change before any snapshot, or on a top-of-book snapshot, is refused', () => {
    const book = new OrderBook(I);
    expect(book.status).toBe('empty');
    expect(book.applyChange(change(1, 0))).toBe('ignored');
    expect(book.staleReason?.reason).toBe('no_snapshot');
    book.applySnapshot({ ...snapshot(5, [[100, 1]], [[101, 1]]), full: false });
    expect(book.status).toBe('live');
    expect(book.applyChange(change(6, 5))).toBe('stale');
    expect(book.staleReason?.reason).toBe('no_snapshot');
  });

  it('a crossed or disordered snapshot leaves the book stale', () => {
    const book = new OrderBook(I);
    book.applySnapshot(snapshot(1, [[101, 1]], [[100, 1]]));
    expect(book.staleReason?.reason).toBe('crossed');
    book.applySnapshot(
      snapshot(
        2,
        [
          [99, 1],
          [100, 1],
        ],
        [[101, 1]],
      ),
    );
    expect(book.staleReason?.reason).toBe('invalid_level');
  });

  it('without sequence numbers (Tardis) it applies amounts, 0 removing a level, absent or not', () => {
    const book = new OrderBook(I);
    book.applySnapshot(snapshot(null, [[100, 1]], [[101, 1]]));
    expect(
      book.applyChange(
        change(null, null, [
          { price: 100, amount: 0 },
          { price: 99, amount: 0 },
        ]),
      ),
    ).toBe('applied');
    expect(book.bidLevels()).toBe(0);
    expect(book.applyChange(change(null, null, [], [{ price: 100.5, amount: 3 }]))).toBe('applied');
    expect(book.askPrice(0)).toBe(100.5);
  });
});

/** A naive reference book: Maps of price to amount. */
class ReferenceBook {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  apply(side: 'bids' | 'asks', c: LevelChange): void {
    if (c.amount === 0) this[side].delete(c.price);
    else this[side].set(c.price, c.amount);
  }
  top(): { bids: Level[]; asks: Level[] } {
    const sorted = (m: Map<number, number>, desc: boolean): Level[] =>
      [...m.entries()]
        .sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]))
        .map(([price, amount]) => ({ price, amount }));
    return { bids: sorted(this.bids, true), asks: sorted(this.asks, false) };
  }
}

test('after any sequence of valid changes the book equals a naive reference book', () => {
  // Bids on ticks 0..99 and asks on 101..200 (never crossing), prices 0.5 apart.
  const levelChange = (lo: number, hi: number) =>
    fc.record({
      tick: fc.integer({ min: lo, max: hi }),
      amount: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })),
    });
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          bids: fc.array(levelChange(0, 99), { maxLength: 4 }),
          asks: fc.array(levelChange(101, 200), { maxLength: 4 }),
        }),
        {
          maxLength: 200,
        },
      ),
      (messages) => {
        const book = new OrderBook(I);
        const reference = new ReferenceBook();
        book.applySnapshot(snapshot(0, [], []));
        let id = 0;
        for (const message of messages) {
          // The venue's actions, from what the book holds at that point of the message.
          const held = { bids: new Map(reference.bids), asks: new Map(reference.asks) };
          const toChanges = (
            side: 'bids' | 'asks',
            xs: { tick: number; amount: number }[],
          ): LevelChange[] => {
            const out: LevelChange[] = [];
            for (const { tick, amount } of xs) {
              const price = 50_000 + tick * 0.5;
              const exists = held[side].has(price);
              if (!exists && amount === 0) continue;
              const action = amount === 0 ? 'delete' : exists ? 'change' : 'new';
              if (amount === 0) held[side].delete(price);
              else held[side].set(price, amount);
              out.push({ action, price, amount });
            }
            return out;
          };
          const bids = toChanges('bids', message.bids);
          const asks = toChanges('asks', message.asks);
          expect(book.applyChange(change(id + 1, id, bids, asks))).toBe('applied');
          id += 1;
          for (const c of bids) reference.apply('bids', c);
          for (const c of asks) reference.apply('asks', c);
        }
        expect(book.status).toBe('live');
        expect(book.top(1000)).toEqual(reference.top());
        for (let tick = 0; tick <= 200; tick++) {
          const price = 50_000 + tick * 0.5;
          expect(book.amountAt('buy', price)).toBe(reference.bids.get(price) ?? 0);
          expect(book.amountAt('sell', price)).toBe(reference.asks.get(price) ?? 0);
        }
      },
    ),
    { numRuns: 300 },
  );
});
