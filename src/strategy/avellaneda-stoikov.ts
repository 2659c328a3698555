/**
 * Avellaneda-Stoikov quotes on a finite horizon: M. Avellaneda and S. Stoikov, "High-frequency
 * trading in a limit order book", Quantitative Finance 8(3), 2008, equations (29) and (30).
 *
 * - reservation price `r = s - q gamma sigma^2 (T - t)`;
 * - total spread `delta_a + delta_b = gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k)`,
 *   independent of the inventory;
 * - quotes `bid = r - spread/2`, `ask = r + spread/2`, so a long inventory (q > 0) moves both
 *   quotes down (and a large one can put the ask below the mid);
 * - the paper's benchmark, the symmetric strategy: the same spread centred on the mid `s`;
 * - fills at distance `delta` from the mid arrive with intensity `lambda(delta) = A exp(-k delta)`.
 *
 * `timeLeft` is `T - t`. Every input is checked; a bad one is an `InputError` naming the field.
 */
import { InputError } from '../model/errors.js';

/** The state and parameters the inventory strategy quotes from. */
export interface AsQuoteInput {
  /** Mid-price `s`. */
  mid: number;
  /** Signed inventory `q`, in units. */
  inventory: number;
  /** Risk aversion `gamma`, > 0. */
  gamma: number;
  /** Volatility of the mid `sigma`, price units per square root of time unit, >= 0. */
  sigma: number;
  /** Decay of the fill intensity with distance `k`, per price unit, > 0. */
  k: number;
  /** Time to the horizon `T - t`, >= 0. */
  timeLeft: number;
}

/** A pair of quotes. Distances are measured from the mid (positive = away from the mid). */
export interface AsQuotes {
  /** The price the quotes are centred on: `r` for the inventory strategy, `s` for the symmetric one. */
  reservation: number;
  /** `ask - bid`. */
  spread: number;
  bid: number;
  ask: number;
  /** `delta_b = s - bid`. */
  bidDistance: number;
  /** `delta_a = ask - s`. */
  askDistance: number;
}

function finite(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(field, value, 'a finite number');
}

function positive(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InputError(field, value, 'a finite number > 0');
  }
}

function nonNegative(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InputError(field, value, 'a finite number >= 0');
  }
}

/** `r = s - q gamma sigma^2 (T - t)` (the paper's equation (29)). */
export function reservationPrice(input: Omit<AsQuoteInput, 'k'>): number {
  finite('mid', input.mid);
  finite('inventory', input.inventory);
  positive('gamma', input.gamma);
  nonNegative('sigma', input.sigma);
  nonNegative('timeLeft', input.timeLeft);
  return input.mid - input.inventory * input.gamma * input.sigma * input.sigma * input.timeLeft;
}

/** Total spread `gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k)` (the paper's equation (30)). */
export function optimalSpread(input: Pick<AsQuoteInput, 'gamma' | 'sigma' | 'k' | 'timeLeft'>): number {
  positive('gamma', input.gamma);
  nonNegative('sigma', input.sigma);
  positive('k', input.k);
  nonNegative('timeLeft', input.timeLeft);
  const { gamma, sigma, k, timeLeft } = input;
  return gamma * sigma * sigma * timeLeft + (2 / gamma) * Math.log1p(gamma / k);
}

/** Bid and ask of the inventory strategy: the optimal spread centred on the reservation price. */
export function inventoryQuotes(input: AsQuoteInput): AsQuotes {
  const reservation = reservationPrice(input);
  const spread = optimalSpread(input);
  return around(input.mid, reservation, spread);
}

/** Bid and ask of the symmetric strategy: a given spread centred on the mid. */
export function symmetricQuotes(input: { mid: number; spread: number }): AsQuotes {
  finite('mid', input.mid);
  nonNegative('spread', input.spread);
  return around(input.mid, input.mid, input.spread);
}

function around(mid: number, centre: number, spread: number): AsQuotes {
  const bid = centre - spread / 2;
  const ask = centre + spread / 2;
  return { reservation: centre, spread, bid, ask, bidDistance: mid - bid, askDistance: ask - mid };
}

/**
 * Intensity of market orders reaching a quote at `distance` from the mid: `A exp(-k distance)`
 * (the paper's equation (12)). A negative distance (a quote through the mid) gives more than `A`.
 */
export function fillIntensity(input: { distance: number; A: number; k: number }): number {
  finite('distance', input.distance);
  nonNegative('A', input.A);
  positive('k', input.k);
  return input.A * Math.exp(-input.k * input.distance);
}
