/**
 * Unusable input to the pricing entry points: each throws an `InputError` whose `field` names
 * the argument and whose message quotes the value, and a price exactly at the lower end of the
 * attainable range has implied vol 0.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { black76, black76Price } from '../../src/pricing/black76.js';
import { impliedVol, impliedVolWithIterations } from '../../src/pricing/implied-vol.js';
import type { OptionKind } from '../../src/pricing/types.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

function expectInputError(f: () => unknown, field: string, value: number): void {
  const e = thrown(f);
  expect(e, 'throws').toBeInstanceOf(InputError);
  const err = e as InputError;
  expect(err.field).toBe(field);
  expect(Object.is(err.value, value) || (Number.isNaN(value) && Number.isNaN(err.value as number))).toBe(
    true,
  );
  expect(err.message).toContain(String(value));
}

type Args = [OptionKind, number, number, number, number, number];
const GOOD: Args = ['call', 100, 110, 0.5, 0.6, 0.03];
const FIELDS = ['forward', 'strike', 'expiryYears', 'vol', 'rate'] as const;

function withArg(field: (typeof FIELDS)[number], value: number): Args {
  const args: Args = [...GOOD];
  args[1 + FIELDS.indexOf(field)] = value;
  return args;
}

describe('black76 and black76Price reject unusable input', () => {
  const bad: [(typeof FIELDS)[number], number][] = [
    ['forward', 0],
    ['forward', -100],
    ['forward', NaN],
    ['strike', 0],
    ['strike', -110],
    ['strike', NaN],
    ['expiryYears', 0],
    ['expiryYears', -0.5],
    ['expiryYears', NaN],
    ['vol', 0],
    ['vol', -0.6],
    ['vol', NaN],
    ['rate', NaN],
  ];
  for (const [field, value] of bad) {
    it(`${field} = ${value}`, () => {
      const args = withArg(field, value);
      expectInputError(() => black76(...args), field, value);
      expectInputError(() => black76Price(...args), field, value);
    });
  }

  it('accepts a negative rate', () => {
    expect(black76('put', 100, 110, 0.5, 0.6, -0.01).price).toBeGreaterThan(0);
  });
});

describe('impliedVol rejects prices with no implied vol', () => {
  // F = 110, K = 100, T = 1, r = 0: discount 1, so every bound below is exact in doubles.
  const F = 110;
  const K = 100;
  const T = 1;

  const cases: [string, OptionKind, number, number, number][] = [
    // label, kind, price, forward, strike
    ['call below the intrinsic value', 'call', 9.5, F, K],
    ['call one ulp below the intrinsic value', 'call', 10 - 2 ** -49, F, K],
    ['call at the forward', 'call', F, F, K],
    ['call above the forward', 'call', 120, F, K],
    ['put below the intrinsic value', 'put', 9.5, K, F],
    ['put at the strike', 'put', F, K, F],
    ['put above the strike', 'put', 200, K, F],
    ['negative price (out of the money call)', 'call', -1, K, F],
    ['negative price (in the money put)', 'put', -1, K, F],
    ['NaN price', 'call', NaN, F, K],
  ];
  for (const [label, kind, price, forward, strike] of cases) {
    it(label, () => {
      expectInputError(() => impliedVol(kind, price, forward, strike, T, 0), 'price', price);
      expectInputError(() => impliedVolWithIterations(kind, price, forward, strike, T, 0), 'price', price);
    });
  }

  it('with discounting: below D (F - K) and at or above D F are rejected', () => {
    const r = 0.05;
    const D = Math.exp(-r * T);
    expectInputError(() => impliedVol('call', 0.99 * D * (F - K), F, K, T, r), 'price', 0.99 * D * (F - K));
    expectInputError(() => impliedVol('call', 1.01 * D * F, F, K, T, r), 'price', 1.01 * D * F);
    expectInputError(() => impliedVol('put', 1.01 * D * F, K, F, T, r), 'price', 1.01 * D * F);
  });

  it('names the other fields as black76 does', () => {
    expectInputError(() => impliedVol('call', 5, -1, K, T, 0), 'forward', -1);
    expectInputError(() => impliedVol('call', 5, F, 0, T, 0), 'strike', 0);
    expectInputError(() => impliedVol('call', 5, F, K, 0, 0), 'expiryYears', 0);
    expectInputError(() => impliedVol('call', 5, F, K, T, NaN), 'rate', NaN);
  });
});

describe('a price exactly at the lower bound has implied vol 0', () => {
  it('in the money call and put at their intrinsic value (r = 0)', () => {
    expect(impliedVol('call', 10, 110, 100, 1, 0)).toBe(0);
    expect(impliedVol('put', 10, 100, 110, 1, 0)).toBe(0);
  });

  it('out of the money options at price 0', () => {
    expect(impliedVol('call', 0, 100, 110, 1, 0.05)).toBe(0);
    expect(impliedVol('put', 0, 110, 100, 1, 0.05)).toBe(0);
  });

  it('at the money at price 0', () => {
    expect(impliedVol('call', 0, 100, 100, 1, 0.05)).toBe(0);
  });
});
