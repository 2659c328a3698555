import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { divRound, formatMoney, parseMoney, roundMoney, toNumber } from '../../src/inventory/money.js';
import { InputError } from '../../src/model/errors.js';

describe('money', () => {
  test('reads decimal text and numbers exactly, never through binary arithmetic', () => {
    expect(parseMoney('0.1') + parseMoney('0.2')).toBe(parseMoney('0.3'));
    expect(parseMoney(0.1)).toBe(100_000_000_000n);
    expect(formatMoney(parseMoney(1e-7))).toBe('0.0000001');
    expect(formatMoney(parseMoney('-0012.500'))).toBe('-12.5');
    expect(() => parseMoney(0.1 + 0.2)).toThrow(InputError); // 0.30000000000000004: 17 decimals
    expect(formatMoney(parseMoney(0.1 + 0.2, { rounding: 'half-even' }))).toBe('0.3');
    expect(() => parseMoney('1,5', { field: 'price' })).toThrow(/price/);
    expect(() => parseMoney(Number.POSITIVE_INFINITY)).toThrow(InputError);
  });

  test('rounding modes on ties and on both signs', () => {
    const cases: [bigint, bigint, string, bigint][] = [
      [5n, 2n, 'half-even', 2n],
      [7n, 2n, 'half-even', 4n],
      [-5n, 2n, 'half-even', -2n],
      [5n, 2n, 'half-up', 3n],
      [-5n, 2n, 'half-up', -3n],
      [-5n, 2n, 'floor', -3n],
      [-5n, 2n, 'ceiling', -2n],
      [5n, 2n, 'down', 2n],
      [5n, 2n, 'up', 3n],
    ];
    for (const [n, d, mode, want] of cases) expect(divRound(n, d, mode as 'half-even')).toBe(want);
    expect(formatMoney(roundMoney(parseMoney('0.238095238095'), 8))).toBe('0.23809524');
    expect(formatMoney(parseMoney('0.125'), 2)).toBe('0.12');
  });

  test('format then parse is the identity; toNumber is the nearest double', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (x) => {
        expect(parseMoney(formatMoney(x))).toBe(x);
        // The shortest form is the 12-decimal form (a separate code path) without trailing zeros.
        expect(formatMoney(x)).toBe(formatMoney(x, 12).replace(/\.?0+$/, '') || '0');
        expect(toNumber(x)).toBe(Number(formatMoney(x)));
      }),
    );
  });
});
