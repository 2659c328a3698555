/**
 * The stationary Avellaneda-Stoikov quotes (Quantitative Finance 8(3), 2008, section 2.4) against
 * the value function they come from, v(x, s, q) = -exp(-gamma x - gamma q s) / (omega -
 * gamma^2 sigma^2 q^2 / 2), evaluated here: the reservation prices must leave it unchanged.
 */
import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/model/errors.js';
import { stationaryDiscount, stationaryQuotes } from '../../src/strategy/avellaneda-stoikov.js';

const BASE = { mid: 100, gamma: 0.1, sigma: 2, k: 1.5, maxInventory: 5 };

function value(x: number, s: number, q: number, gamma: number, sigma: number, omega: number): number {
  return -Math.exp(-gamma * x - gamma * q * s) / (omega - (gamma * gamma * sigma * sigma * q * q) / 2);
}

function inputError(f: () => unknown): InputError {
  try {
    f();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('no error thrown');
}

describe('stationary AS quotes', () => {
  it('omega defaults to gamma^2 sigma^2 (qMax + 1)^2 / 2', () => {
    expect(stationaryDiscount(BASE)).toBeCloseTo(0.5 * 0.04 * 36, 14);
    expect(stationaryQuotes({ ...BASE, inventory: 0 }).omega).toBeCloseTo(0.72, 14);
  });

  it('reservation prices leave the value unchanged (relative 1e-12)', () => {
    const x = 3;
    for (const omega of [0.72, 2]) {
      for (let q = -5; q <= 5; q++) {
        const quotes = stationaryQuotes({ ...BASE, inventory: q, omega });
        const here = value(x, 100, q, 0.1, 2, omega);
        if (q < 5 || omega > 0.72) {
          const afterBuy = value(x - quotes.reservationBid, 100, q + 1, 0.1, 2, omega);
          expect(Math.abs(afterBuy / here - 1)).toBeLessThan(1e-12);
        }
        if (q > -5 || omega > 0.72) {
          const afterSell = value(x + quotes.reservationAsk, 100, q - 1, 0.1, 2, omega);
          expect(Math.abs(afterSell / here - 1)).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('quotes sit (1/gamma) ln(1 + gamma/k) outside the reservation prices; symmetric in q', () => {
    const edge = 10 * Math.log(16 / 15);
    for (let q = -4; q <= 4; q++) {
      const quotes = stationaryQuotes({ ...BASE, inventory: q });
      expect(quotes.bid as number).toBeCloseTo(quotes.reservationBid - edge, 12);
      expect(quotes.ask as number).toBeCloseTo(quotes.reservationAsk + edge, 12);
      const mirror = stationaryQuotes({ ...BASE, inventory: -q });
      expect(quotes.askDistance as number).toBeCloseTo(mirror.bidDistance as number, 12);
    }
    // q = 1 by hand: c = 0.04, 2 omega = 1.44; r_b = 100 + 10 ln((1.44 - 0.16) / (1.44 - 0.04))
    const one = stationaryQuotes({ ...BASE, inventory: 1 });
    expect(one.reservationBid).toBeCloseTo(100 + 10 * Math.log(1.28 / 1.4), 12);
    expect(one.reservationAsk).toBeCloseTo(100 + 10 * Math.log(1.4 / 1.44), 12);
  });

  it('no bid at q = qMax and no ask at q = -qMax with the default discount', () => {
    const top = stationaryQuotes({ ...BASE, inventory: 5 });
    expect(top.bid).toBeNull();
    expect(top.reservationBid).toBe(-Infinity);
    expect(top.ask).not.toBeNull();
    const bottom = stationaryQuotes({ ...BASE, inventory: -5 });
    expect(bottom.ask).toBeNull();
    expect(bottom.bid).not.toBeNull();
  });

  it('a large discount approaches the finite-horizon skew with T - t = 1/omega', () => {
    // r_b - s -> -(2q + 1) gamma sigma^2 / (2 omega) as gamma^2 sigma^2 q^2 / omega -> 0: relative error O(c/omega)
    const omega = 1e4;
    for (const q of [-3, 0, 2]) {
      const quotes = stationaryQuotes({ ...BASE, inventory: q, omega });
      const expected = (-(2 * q + 1) * 0.1 * 4) / (2 * omega);
      expect(Math.abs((quotes.reservationBid - 100) / expected - 1)).toBeLessThan(1e-4);
    }
  });

  it('bad inputs are InputErrors naming the field', () => {
    expect(inputError(() => stationaryQuotes({ ...BASE, inventory: 6 })).field).toBe('inventory');
    expect(inputError(() => stationaryQuotes({ ...BASE, inventory: 0, omega: 0.5 })).field).toBe('omega');
    expect(inputError(() => stationaryQuotes({ ...BASE, inventory: 0, gamma: 0 })).field).toBe('gamma');
    expect(inputError(() => stationaryQuotes({ ...BASE, inventory: 0, sigma: -1 })).field).toBe('sigma');
    expect(inputError(() => stationaryQuotes({ ...BASE, inventory: 0, maxInventory: 0 })).field).toBe(
      'maxInventory',
    );
  });
});
