import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type FillEvent } from '../../src/inventory/events.js';
import { eventFromJson, eventJsonText, eventToJson } from '../../src/inventory/event-json.js';
import { parseMoney } from '../../src/inventory/money.js';
import { Ledger } from '../../src/inventory/ledger.js';
import { InputError } from '../../src/model/errors.js';

const FILL: FillEvent = {
  type: 'fill',
  venue: 'deribit',
  id: 'ETH-1001',
  timestampMs: 1_767_225_600_000,
  sequence: 7,
  instrument: 'BTC-25DEC26-80000-C',
  side: 'buy',
  amount: 1_500_000_000_000n,
  price: 21_500_000_000n,
  fee: -3_000_000n,
  feeCurrency: 'BTC',
  liquidity: 'maker',
  orderId: '5501',
};

describe('event JSON', () => {
  test('a fill body as the journal writes it and the same object through JSON.parse read alike', () => {
    const money = fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n });
    fc.assert(
      fc.property(
        fc.record({
          id: fc.string({ minLength: 1, maxLength: 20 }),
          orderId: fc.string({ maxLength: 20 }),
          sequence: fc.nat(),
          fee: money,
          amount: fc.bigInt({ min: 1n, max: 10n ** 20n }),
          price: fc.bigInt({ min: 0n, max: 10n ** 20n }),
          side: fc.constantFrom('buy' as const, 'sell' as const),
          liquidation: fc.option(fc.boolean(), { nil: undefined }),
        }),
        (fields) => {
          const { liquidation, ...rest } = fields;
          const fill: FillEvent = { ...FILL, ...rest, ...(liquidation === undefined ? {} : { liquidation }) };
          const text = JSON.stringify(eventToJson(fill));
          expect(eventJsonText(fill)).toBe(text);
          expect(eventFromJson(text)).toEqual(fill);
          expect(eventFromJson(JSON.parse(text))).toEqual(fill);
        },
      ),
    );
  });

  test('text that departs from the journal layout is read by JSON.parse, with the same result or error', () => {
    const text = JSON.stringify(eventToJson(FILL));
    const variants = [
      text.replace('"id":"ETH-1001"', '"id":"ETH\\u002d1001"'),
      text.replace(',"sequence"', ', "sequence"'),
      text.replace('"sequence":7', '"sequence":7.0'),
      `${text} `,
    ];
    for (const variant of variants) expect(eventFromJson(variant)).toEqual(FILL);
    for (const bad of [
      text.replace('"sequence":7', '"sequence":07'),
      text.replace('"id":"ETH-1001"', '"id":"ETH\u00011001"'),
      text.replace('"id":"ETH-1001"', '"id":""'),
      text.replace('"amount":"1.5"', '"amount":"1.5x"'),
      text.replace('"timestampMs":1767225600000', '"timestampMs":17672256000000000'),
      text.slice(0, -1),
    ]) {
      expect(() => eventFromJson(bad)).toThrow(InputError);
    }
  });

  test('plain decimals read by the fast path equal the general reading', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 27n), max: 10n ** 27n }),
        fc.nat({ max: 12 }),
        (units, places) => {
          const digits = (units < 0n ? -units : units).toString().padStart(places + 1, '0');
          const text = `${units < 0n ? '-' : ''}${digits.slice(0, digits.length - places)}${places > 0 ? '.' : ''}${digits.slice(digits.length - places)}`;
          // The exponent form never takes the fast path.
          expect(parseMoney(text)).toBe(parseMoney(`${text}e0`));
          expect(parseMoney(text)).toBe(units * 10n ** BigInt(12 - places));
        },
      ),
    );
  });
});

describe('Ledger.applyJson', () => {
  test('gives the state of applying the same events, and names the index of a bad body', () => {
    const fills: FillEvent[] = [
      FILL,
      { ...FILL, id: 'ETH-1002', side: 'sell', amount: 500_000_000_000n, price: 30_000_000_000n },
      {
        ...FILL,
        id: 'ETH-1003',
        instrument: 'BTC-PERPETUAL',
        amount: 10_000_000_000_000n,
        price: 65_000n * 10n ** 12n,
      },
    ];
    const bodies = fills.map((f) => JSON.stringify(eventToJson(f)));
    const direct = new Ledger();
    for (const f of fills) direct.apply(f);
    const replayed = new Ledger();
    expect(replayed.applyJson([...bodies, bodies[0] as string])).toEqual({
      applied: 3,
      duplicates: [FILL],
      conflicts: [],
    });
    expect(replayed.positions()).toEqual(direct.positions());
    expect(replayed.cash()).toEqual(direct.cash());
    expect(() =>
      new Ledger().applyJson([bodies[0] as string, bodies[1]?.replace('"sell"', '"short"') ?? '']),
    ).toThrow(/events\[1\]\.side/);
  });
});
