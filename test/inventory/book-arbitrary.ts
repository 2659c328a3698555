/** A random book of inventory events for property tests: fills on four instruments, settlements, funding, expiry. */
import fc from 'fast-check';
import type { InventoryEvent } from '../../src/inventory/events.js';
import { delivery, deposit, fill, funding, m, settlement } from './helpers.js';

export const EXPIRY = Date.UTC(2026, 11, 25, 8);
export const T0 = EXPIRY - 10 * 86_400_000;
export const FUTURE = 'BTC-25DEC26';
export const PERP = 'BTC-PERPETUAL';
export const CALL = 'BTC-25DEC26-100000-C';
export const PUT = 'BTC-25DEC26-90000-P';

/** A random book: fills on four instruments, settlements, funding, then expiry. */
export const bookArb = fc
  .record({
    physical: fc.boolean(),
    deliveryPrice: fc.integer({ min: 80_000, max: 120_000 }),
    steps: fc.array(
      fc.record({
        kind: fc.constantFrom('fill', 'fill', 'fill', 'settlement', 'funding'),
        instrument: fc.constantFrom(FUTURE, PERP, CALL, PUT),
        side: fc.constantFrom('buy' as const, 'sell' as const),
        lots: fc.integer({ min: 1, max: 50 }),
        price: fc.integer({ min: 80_000, max: 120_000 }),
        premiumTicks: fc.integer({ min: 1, max: 2000 }),
        fee: fc.integer({ min: -5, max: 20 }),
        at: fc.integer({ min: 0, max: 9 * 86_400_000 }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
  })
  .map(({ physical, deliveryPrice, steps }) => {
    const events: InventoryEvent[] = [deposit('BTC', 10, T0 - 1)];
    for (const step of steps) {
      const at = T0 + step.at;
      const option = step.instrument === CALL || step.instrument === PUT;
      if (step.kind === 'settlement') events.push(settlement(step.instrument, step.price, at));
      else if (step.kind === 'funding') events.push(funding(PERP, `${step.fee}e-6`, at));
      else
        events.push(
          fill(
            step.instrument,
            step.side,
            option ? `${step.lots}e-1` : step.lots * 10,
            option ? `${step.premiumTicks}e-4` : `${step.price}.5`,
            at,
            {
              fee: m(`${step.fee}e-5`),
            },
          ),
        );
    }
    events.push(delivery(CALL, deliveryPrice, EXPIRY, physical ? 'physical' : 'cash'));
    events.push(delivery(PUT, deliveryPrice, EXPIRY, physical ? 'physical' : 'cash'));
    events.push(delivery(FUTURE, deliveryPrice, EXPIRY + 1));
    return events;
  });
