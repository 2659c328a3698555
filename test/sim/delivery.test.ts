import { describe, expect, it } from 'vitest';
import { DELIVERY_WINDOW_MS, timeAveragedDeliveryPrice } from '../../src/sim/delivery.js';
import { InputError } from '../../src/model/errors.js';

const EXPIRY = Date.UTC(2026, 11, 25, 8);
const MIN = 60_000;

describe('timeAveragedDeliveryPrice', () => {
  it('weights each index value by the time it was in force within the last 30 minutes', () => {
    // 100 in force from before the window until 07:40, 110 until 07:55, 90 to expiry:
    // (10 x 100 + 15 x 110 + 5 x 90) / 30 = (1000 + 1650 + 450) / 30 = 103.333...
    const path = {
      timestampMs: [EXPIRY - 60 * MIN, EXPIRY - 20 * MIN, EXPIRY - 5 * MIN, EXPIRY + MIN],
      prices: [100, 110, 90, 500],
    };
    expect(timeAveragedDeliveryPrice(path, EXPIRY)).toBeCloseTo(3100 / 30, 12);
    expect(DELIVERY_WINDOW_MS).toBe(30 * MIN);
  });

  it('a constant index delivers at that index; a one-minute grid gives the discrete average', () => {
    expect(timeAveragedDeliveryPrice({ timestampMs: [EXPIRY - 31 * MIN], prices: [95_000] }, EXPIRY)).toBe(
      95_000,
    );
    const times = Array.from({ length: 31 }, (_, i) => EXPIRY - (30 - i) * MIN);
    const prices = times.map((_, i) => 100 + i);
    // Values 100 ... 129 each for one minute (130 at expiry counts for no time): mean 114.5.
    expect(timeAveragedDeliveryPrice({ timestampMs: times, prices }, EXPIRY)).toBeCloseTo(114.5, 12);
  });

  it('refuses a path starting inside the window, unsorted times or a bad price, naming the field', () => {
    expect(() => timeAveragedDeliveryPrice({ timestampMs: [EXPIRY - MIN], prices: [1] }, EXPIRY)).toThrow(
      /timestampMs\[0\]/,
    );
    expect(() =>
      timeAveragedDeliveryPrice(
        { timestampMs: [EXPIRY - 40 * MIN, EXPIRY - 50 * MIN], prices: [1, 1] },
        EXPIRY,
      ),
    ).toThrow(/timestampMs\[1\]/);
    expect(() =>
      timeAveragedDeliveryPrice({ timestampMs: [EXPIRY - 40 * MIN], prices: [0] }, EXPIRY),
    ).toThrow(InputError);
  });
});
