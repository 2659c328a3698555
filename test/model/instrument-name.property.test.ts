import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  COMBO_STRATEGY_CODES,
  MONTH_CODES,
  ParseError,
  UnsupportedError,
  daysInMonth,
  formatInstrumentName,
  parseInstrumentName,
} from '../../src/model/index.js';

const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const alnum = [...letters, ...'0123456789'.split('')];

const currency = fc
  .tuple(fc.constantFrom(...letters), fc.array(fc.constantFrom(...alnum), { minLength: 1, maxLength: 11 }))
  .map(([first, rest]) => first + rest.join(''))
  .filter((code) => code !== 'PERPETUAL');

const expiryCode = fc
  .record({
    year: fc.integer({ min: 0, max: 99 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
  })
  .map(({ year, month, day }) => {
    const clamped = Math.min(day, daysInMonth(2000 + year, month));
    return `${clamped}${MONTH_CODES[month - 1] ?? ''}${String(year).padStart(2, '0')}`;
  });

/** Canonical strike text: a positive integer, or an integer part and a fraction without a trailing zero. */
const strikeText = fc.oneof(
  fc.integer({ min: 1, max: 10_000_000 }).map(String),
  fc
    .tuple(
      fc.integer({ min: 0, max: 100_000 }),
      fc.integer({ min: 1, max: 9999 }),
      fc.integer({ min: 0, max: 3 }),
    )
    .map(([whole, fraction, zeros]) => `${whole}d${'0'.repeat(zeros)}${String(fraction).replace(/0+$/, '')}`),
);

const prefix = fc.oneof(
  currency,
  fc.tuple(currency, currency).map(([base, quote]) => `${base}_${quote}`),
);
const pair = fc.tuple(currency, currency).map(([base, quote]) => `${base}_${quote}`);

const validName = fc.oneof(
  fc.tuple(prefix, expiryCode, strikeText, fc.constantFrom('C', 'P')).map((parts) => parts.join('-')),
  fc.tuple(prefix, expiryCode).map((parts) => parts.join('-')),
  prefix.map((p) => `${p}-PERPETUAL`),
  pair,
);

describe('instrument names, properties', () => {
  it('format(parse(name)) === name for generated valid names', () => {
    fc.assert(
      fc.property(validName, (name) => {
        fc.pre(!COMBO_STRATEGY_CODES.has(name.split('-')[1] ?? ''));
        const parsed = parseInstrumentName(name);
        expect(formatInstrumentName(parsed)).toBe(name);
        expect(parseInstrumentName(formatInstrumentName(parsed))).toEqual(parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it('random strings never crash: they parse or throw ParseError / UnsupportedError', () => {
    const nameLike = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: fc.constantFrom(...'BTCDEJUNP_-0123456789dcp '.split('')), maxLength: 30 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      validName.map((name) => name.toLowerCase()),
      fc.tuple(validName, fc.nat(), fc.string({ maxLength: 3 })).map(([name, at, insert]) => {
        const i = at % (name.length + 1);
        return name.slice(0, i) + insert + name.slice(i + 1);
      }),
    );
    fc.assert(
      fc.property(nameLike, (text) => {
        try {
          const parsed = parseInstrumentName(text);
          // Whatever parses must also round-trip.
          expect(formatInstrumentName(parsed)).toBe(text);
        } catch (error) {
          if (!(error instanceof ParseError || error instanceof UnsupportedError)) throw error;
          if (error instanceof ParseError) expect(error.text).toBe(text);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
