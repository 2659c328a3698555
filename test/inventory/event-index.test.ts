import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventIndex } from '../../src/inventory/event-index.js';
import type { InventoryEvent } from '../../src/inventory/events.js';

function deposit(venue: string, id: string): InventoryEvent {
  return { type: 'deposit', venue, id, timestampMs: 0, sequence: 0, currency: 'BTC', amount: 1n };
}

describe('EventIndex', () => {
  it('agrees with a Map keyed by venue and id, through growth, for any mix of keys and repeats', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('deribit', 'other', ''), fc.string({ maxLength: 6 })), {
          maxLength: 3000,
        }),
        (keys) => {
          const index = new EventIndex();
          const model = new Map<string, InventoryEvent>();
          for (const [venue, id] of keys) {
            const event = deposit(venue, id);
            const key = JSON.stringify([venue, id]);
            const held = index.addIfAbsent(event);
            expect(held).toBe(model.get(key));
            if (held === undefined) model.set(key, event);
            expect(index.get(venue, id)).toBe(model.get(key));
          }
          expect(index.size).toBe(model.size);
          for (const [key, event] of model) {
            const [venue, id] = JSON.parse(key) as [string, string];
            expect(index.get(venue, id)).toBe(event);
            expect(index.get(venue, `${id}x`)).toBe(model.get(JSON.stringify([venue, `${id}x`])));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('holds 200,000 distinct ids and finds each, and tells a venue from another with the same id', () => {
    const index = new EventIndex();
    for (let i = 0; i < 200_000; i++) expect(index.addIfAbsent(deposit('deribit', `T-${i}`))).toBeUndefined();
    expect(index.size).toBe(200_000);
    for (let i = 0; i < 200_000; i += 997) expect(index.get('deribit', `T-${i}`)?.id).toBe(`T-${i}`);
    expect(index.get('other', 'T-5')).toBeUndefined();
    expect(index.addIfAbsent(deposit('other', 'T-5'))).toBeUndefined();
    expect(index.addIfAbsent(deposit('deribit', 'T-5'))?.venue).toBe('deribit');
  });
});
