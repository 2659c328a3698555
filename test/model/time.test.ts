import { describe, expect, it } from 'vitest';
import {
  InputError,
  MS_PER_DAY,
  MS_PER_YEAR,
  daysInMonth,
  expiryMsOfDate,
  formatExpiryCode,
  readExpiryCode,
  yearsToExpiry,
} from '../../src/model/index.js';

describe('time to expiry', () => {
  it('uses a 365-day year in milliseconds', () => {
    expect(MS_PER_DAY).toBe(86_400_000);
    expect(MS_PER_YEAR).toBe(31_536_000_000);
  });

  it('is (expiry - now) / MS_PER_YEAR', () => {
    // A row of the 2020 snapshot: BTC-22MAY20-9250-P, quoted at 1590103193775.
    const expiryMs = 1590134400000;
    const nowMs = 1590103193775;
    expect(yearsToExpiry(expiryMs, nowMs)).toBe((expiryMs - nowMs) / 31_536_000_000);
    expect(yearsToExpiry(Date.UTC(2025, 0, 1, 8), Date.UTC(2024, 0, 1, 8))).toBe(366 / 365);
    expect(yearsToExpiry(nowMs, expiryMs)).toBeLessThan(0);
  });

  it('refuses non-finite timestamps with the field name', () => {
    expect(() => yearsToExpiry(Number.NaN, 0)).toThrow(InputError);
    expect(() => yearsToExpiry(0, Number.POSITIVE_INFINITY)).toThrow(/nowMs/);
  });

  it('puts expiries at 08:00 UTC and knows month lengths', () => {
    expect(new Date(expiryMsOfDate(2024, 12, 27)).toISOString()).toBe('2024-12-27T08:00:00.000Z');
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2023, 2)).toBe(28);
    expect(daysInMonth(2100, 2)).toBe(28);
    expect(() => expiryMsOfDate(2024, 2, 30)).toThrow(InputError);
    expect(() => expiryMsOfDate(2024, 13, 1)).toThrow(/month/);
  });
});

describe('expiry codes', () => {
  const read = (code: string): number => {
    const result = readExpiryCode(code);
    if (!result.ok) throw new Error(result.reason);
    return result.expiryMs;
  };

  it('reads one- and two-digit days, two-digit years as 20YY, at 08:00 UTC', () => {
    expect(new Date(read('5JUN20')).toISOString()).toBe('2020-06-05T08:00:00.000Z');
    expect(new Date(read('27DEC24')).toISOString()).toBe('2024-12-27T08:00:00.000Z');
    expect(new Date(read('29FEB24')).toISOString()).toBe('2024-02-29T08:00:00.000Z');
    expect(new Date(read('1JAN00')).toISOString()).toBe('2000-01-01T08:00:00.000Z');
  });

  it.each([
    ['31FEB24', /no such date.*February 2024 has 29 days/],
    ['29FEB23', /February 2023 has 28 days/],
    ['31APR25', /April 2025 has 30 days/],
    ['0JUN20', /day 0/],
    ['05JUN20', /leading zero/],
    ['27DXC24', /unknown month "DXC"/],
    ['27dec24', /must be upper case/],
    ['27DEC2024', /DMMMYY/],
    ['DEC24', /DMMMYY/],
    ['', /empty/],
  ])('refuses %s', (code, reason) => {
    const result = readExpiryCode(code);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('writes codes without a leading zero and round-trips', () => {
    expect(formatExpiryCode(Date.UTC(2020, 5, 5, 8))).toBe('5JUN20');
    expect(formatExpiryCode(Date.UTC(2024, 11, 27, 8))).toBe('27DEC24');
    expect(formatExpiryCode(Date.UTC(2009, 0, 9, 8))).toBe('9JAN09');
    for (const code of ['5JUN20', '27DEC24', '29FEB24', '1JAN00', '31DEC99']) {
      expect(formatExpiryCode(read(code))).toBe(code);
    }
  });

  it('refuses to write an instant that is not 08:00 UTC of a 20YY date', () => {
    expect(() => formatExpiryCode(Date.UTC(2024, 11, 27, 7))).toThrow(/08:00:00.000 UTC/);
    expect(() => formatExpiryCode(Date.UTC(2024, 11, 27, 8, 0, 0, 1))).toThrow(InputError);
    expect(() => formatExpiryCode(Date.UTC(1999, 11, 31, 8))).toThrow(/2000-2099/);
    expect(() => formatExpiryCode(Date.UTC(2100, 0, 1, 8))).toThrow(/2000-2099/);
    expect(() => formatExpiryCode(Number.NaN)).toThrow(InputError);
  });
});
