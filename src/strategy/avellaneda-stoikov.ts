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
 *
 * The stationary (infinite-horizon) form, the paper's section 2.4: the objective
 * `E[int_0^inf -exp(-omega t) exp(-gamma (x + q S_t)) dt]` with a discount `omega` gives the
 * value `v(x, s, q) = -exp(-gamma x - gamma q s) / (omega - gamma^2 sigma^2 q^2 / 2)`, finite
 * while `2 omega > gamma^2 sigma^2 q^2`. The reservation (indifference) prices solve
 * `v(x - r_b, s, q + 1) = v(x, s, q)` and `v(x + r_a, s, q - 1) = v(x, s, q)`:
 *   r_b = s + (1/gamma) ln(1 - (2q + 1) gamma^2 sigma^2 / (2 omega - gamma^2 sigma^2 q^2)),
 *   r_a = s + (1/gamma) ln(1 + (1 - 2q) gamma^2 sigma^2 / (2 omega - gamma^2 sigma^2 (q - 1)^2)).
 * (The published `r_a` has `q^2` in its denominator; solving the indifference condition above
 * gives `(q - 1)^2`, which also makes `r_a(q) - s = s - r_b(-q)`: we use the derived form.)
 * With inventory kept in `[-qMax, qMax]` the paper takes `omega = gamma^2 sigma^2 (qMax + 1)^2 / 2`,
 * so that every state reached is finite; at `q = qMax` the bid reservation price is `-inf` (never
 * buy) and at `q = -qMax` the ask one is `+inf` (never sell): those sides are not quoted (null).
 * The quotes sit `(1/gamma) ln(1 + gamma/k)` outside the reservation prices (the paper's
 * section 3: `s - r_b = delta_b - (1/gamma) ln(1 + gamma/k)` and likewise for the ask).
 * Here `omega` is per time unit of `sigma`.
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

/** The state and parameters of the stationary (infinite-horizon) quotes. */
export interface AsStationaryInput {
  /** Mid-price `s`. */
  mid: number;
  /** Signed inventory `q`, in units, within `[-maxInventory, maxInventory]`. */
  inventory: number;
  /** Risk aversion `gamma`, > 0. */
  gamma: number;
  /** Volatility of the mid `sigma`, price units per square root of time unit, > 0. */
  sigma: number;
  /** Decay of the fill intensity with distance `k`, per price unit, > 0. */
  k: number;
  /** Inventory bound `qMax` (> 0); sets the default discount. */
  maxInventory: number;
  /**
   * Discount `omega` per time unit; default `gamma^2 sigma^2 (qMax + 1)^2 / 2` (the paper's
   * choice). Must exceed `gamma^2 sigma^2 q^2 / 2` for every `q` in `[-qMax - 1, qMax + 1]` except
   * the end points, i.e. at least the default.
   */
  omega?: number;
}

/** Stationary quotes; a side that must not trade (at the inventory bound) is null. */
export interface AsStationaryQuotes {
  /** The discount used. */
  omega: number;
  /** Price at which one more unit bought leaves the value unchanged (`-Infinity` at `q = qMax`). */
  reservationBid: number;
  /** Price at which one unit less leaves the value unchanged (`+Infinity` at `q = -qMax`). */
  reservationAsk: number;
  bid: number | null;
  ask: number | null;
  /** `s - bid`, or null. */
  bidDistance: number | null;
  /** `ask - s`, or null. */
  askDistance: number | null;
}

/** The paper's discount for inventories bounded by `qMax`: `gamma^2 sigma^2 (qMax + 1)^2 / 2`. */
export function stationaryDiscount(input: { gamma: number; sigma: number; maxInventory: number }): number {
  positive('gamma', input.gamma);
  positive('sigma', input.sigma);
  positive('maxInventory', input.maxInventory);
  const g = input.gamma * input.sigma;
  return 0.5 * g * g * (input.maxInventory + 1) ** 2;
}

/**
 * Reservation bid and ask prices and the quotes of the stationary AS strategy (the paper's
 * section 2.4 with its section 3 quote rule); see the module comment for the formulas.
 */
export function stationaryQuotes(input: AsStationaryInput): AsStationaryQuotes {
  finite('mid', input.mid);
  finite('inventory', input.inventory);
  positive('gamma', input.gamma);
  positive('sigma', input.sigma);
  positive('k', input.k);
  positive('maxInventory', input.maxInventory);
  const { mid, inventory: q, gamma, sigma, k, maxInventory } = input;
  if (Math.abs(q) > maxInventory) {
    throw new InputError(
      'inventory',
      q,
      `within [-maxInventory, maxInventory] = [${-maxInventory}, ${maxInventory}]`,
    );
  }
  const minimum = stationaryDiscount({ gamma, sigma, maxInventory });
  const omega = input.omega ?? minimum;
  positive('omega', omega);
  if (omega < minimum * (1 - 1e-12)) {
    throw new InputError('omega', omega, `at least gamma^2 sigma^2 (maxInventory + 1)^2 / 2 = ${minimum}`);
  }
  const c = gamma * gamma * sigma * sigma;
  // 2 omega - c q'^2 for the states q' = q + 1, q, q - 1; one at (or, by rounding, about) zero is
  // the state beyond the bound, whose value is -inf: never trade into it.
  const tiny = 2 * omega * 1e-12;
  const above = 2 * omega - c * (q + 1) ** 2;
  const here = 2 * omega - c * q * q;
  const below = 2 * omega - c * (q - 1) ** 2;
  const reservationBid = above > tiny ? mid + Math.log(above / here) / gamma : -Infinity;
  const reservationAsk = below > tiny ? mid + Math.log(here / below) / gamma : Infinity;
  const edge = Math.log1p(gamma / k) / gamma;
  const bid = Number.isFinite(reservationBid) ? reservationBid - edge : null;
  const ask = Number.isFinite(reservationAsk) ? reservationAsk + edge : null;
  return {
    omega,
    reservationBid,
    reservationAsk,
    bid,
    ask,
    bidDistance: bid === null ? null : mid - bid,
    askDistance: ask === null ? null : ask - mid,
  };
}
