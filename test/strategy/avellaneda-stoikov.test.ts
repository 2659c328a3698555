/**
 * The Avellaneda-Stoikov quote formulas (Quantitative Finance 8(3), 2008, equations (12), (29) and
 * (30)) against values worked by hand, and bad input named by field.
 */
import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/model/errors.js';
import {
  fillIntensity,
  inventoryQuotes,
  optimalSpread,
  reservationPrice,
  symmetricQuotes,
} from '../../src/strategy/avellaneda-stoikov.js';

// s = 100, q = 3, gamma = 0.1, sigma = 2, k = 1.5, T - t = 0.5:
//   skew            q gamma sigma^2 (T - t) = 3 x 0.1 x 4 x 0.5 = 0.6, so r = 99.4
//   inventory term  gamma sigma^2 (T - t) = 0.1 x 4 x 0.5 = 0.2
//   arrival term    (2/gamma) ln(1 + gamma/k) = 20 ln(16/15) = 20 x 0.06453852113757118 = 1.2907704227514236
//   total spread    1.4907704227514236; bid = 99.4 - 0.7453852113757118, ask = 99.4 + 0.7453852113757118
const STATE = { mid: 100, inventory: 3, gamma: 0.1, sigma: 2, k: 1.5, timeLeft: 0.5 };

function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('reservation price and spread', () => {
  it('r = s - q gamma sigma^2 (T - t)', () => {
    expect(reservationPrice(STATE)).toBeCloseTo(99.4, 13);
    expect(reservationPrice({ ...STATE, inventory: -2 })).toBeCloseTo(100.4, 13);
    expect(reservationPrice({ ...STATE, timeLeft: 0 })).toBe(100);
  });

  it('spread = gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k), independent of q', () => {
    expect(optimalSpread(STATE)).toBeCloseTo(1.4907704227514236, 13);
    expect(optimalSpread({ ...STATE, timeLeft: 0 })).toBeCloseTo(1.2907704227514236, 13);
    // gamma = 1, T - t = 1: 4 + 2 ln(5/3) = 4 + 1.0216512475319814
    expect(optimalSpread({ gamma: 1, sigma: 2, k: 1.5, timeLeft: 1 })).toBeCloseTo(5.021651247531981, 13);
    // gamma -> 0: the arrival term tends to 2/k
    expect(optimalSpread({ gamma: 1e-9, sigma: 2, k: 1.5, timeLeft: 1 })).toBeCloseTo(2 / 1.5, 8);
  });

  it('inventory quotes: the spread around r; a long inventory moves both quotes down', () => {
    const q = inventoryQuotes(STATE);
    expect(q.reservation).toBeCloseTo(99.4, 13);
    expect(q.spread).toBeCloseTo(1.4907704227514236, 13);
    expect(q.bid).toBeCloseTo(98.6546147886243, 12);
    expect(q.ask).toBeCloseTo(100.14538521137571, 12);
    expect(q.bidDistance).toBeCloseTo(1.3453852113757, 12);
    expect(q.askDistance).toBeCloseTo(0.1453852113757, 12);
    const flat = inventoryQuotes({ ...STATE, inventory: 0 });
    expect(flat.bidDistance).toBeCloseTo(flat.askDistance, 13);
    // A large long puts the ask through the mid: a negative distance.
    expect(inventoryQuotes({ ...STATE, inventory: 2, gamma: 1, timeLeft: 1 }).askDistance).toBeLessThan(0);
  });

  it('symmetric quotes: the same spread around the mid', () => {
    const q = symmetricQuotes({ mid: 100, spread: 1.5 });
    expect(q).toEqual({
      reservation: 100,
      spread: 1.5,
      bid: 99.25,
      ask: 100.75,
      bidDistance: 0.75,
      askDistance: 0.75,
    });
  });
});

describe('fill intensity A exp(-k delta)', () => {
  it('matches hand values', () => {
    expect(fillIntensity({ distance: 0, A: 140, k: 1.5 })).toBe(140);
    // delta = ln 2 / k halves the intensity; a quote that far through the mid doubles it
    expect(fillIntensity({ distance: Math.LN2 / 1.5, A: 140, k: 1.5 })).toBeCloseTo(70, 12);
    expect(fillIntensity({ distance: -Math.LN2 / 1.5, A: 140, k: 1.5 })).toBeCloseTo(280, 12);
    // 140 exp(-0.75) = 66.13131738374206
    expect(fillIntensity({ distance: 0.5, A: 140, k: 1.5 })).toBeCloseTo(66.13131738374206, 11);
  });
});

describe('bad input is an InputError naming the field', () => {
  it.each([
    ['gamma', () => optimalSpread({ ...STATE, gamma: 0 })],
    ['gamma', () => reservationPrice({ ...STATE, gamma: -0.1 })],
    ['k', () => optimalSpread({ ...STATE, k: 0 })],
    ['sigma', () => optimalSpread({ ...STATE, sigma: -1 })],
    ['timeLeft', () => inventoryQuotes({ ...STATE, timeLeft: -0.1 })],
    ['mid', () => inventoryQuotes({ ...STATE, mid: Number.NaN })],
    ['inventory', () => reservationPrice({ ...STATE, inventory: Number.POSITIVE_INFINITY })],
    ['spread', () => symmetricQuotes({ mid: 100, spread: -1 })],
    ['A', () => fillIntensity({ distance: 0, A: -1, k: 1.5 })],
    ['k', () => fillIntensity({ distance: 0, A: 140, k: Number.NaN })],
    ['distance', () => fillIntensity({ distance: Number.NaN, A: 140, k: 1.5 })],
  ])('%s', (field, f) => {
    const error = inputError(f);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
  });
});
