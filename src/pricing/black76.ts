/**
 * Black-76: European options on a forward F, struck at K, expiring in T years, with volatility
 * sigma and a continuously compounded discount rate r (F. Black, "The pricing of commodity
 * contracts", Journal of Financial Economics 3 (1976)).
 *
 *   call V = e^{-rT} [F N(d1) - K N(d2)],   put V = e^{-rT} [K N(-d2) - F N(-d1)],
 *   d1 = ln(F/K)/(sigma sqrt T) + sigma sqrt(T)/2,   d2 = d1 - sigma sqrt T.
 *
 * Greeks in the model's own units: delta = dV/dF, gamma = d2V/dF2, vega = dV/dsigma (per 1.00
 * of vol), theta = -dV/dT per year (F, sigma, r held), rho = dV/dr (F held, so rho = -T V),
 * vanna = d2V/dF dsigma, volga = d2V/dsigma2.
 *
 * The price is e^{-rT} sqrt(FK) b(theta x, s) with Jäckel's normalised Black function b (see
 * `normalised-black.ts`), which keeps full relative precision far out of the money and at very
 * small sigma sqrt(T), where F N(d1) - K N(d2) cancels. In the money the intrinsic value F - K
 * is added exactly. x = ln(F/K) is taken through log1p when F and K are within a factor of two
 * (F - K is then exact), so it keeps its relative precision at the money.
 */
import { InputError } from '../model/errors.js';
import { normCdf } from './normal.js';
import {
  normalisedBlackOtm,
  normalisedSide,
  SIDE_CDF_MINUS,
  SIDE_CDF_PLUS,
  SIDE_VEGA,
} from './normalised-black.js';
import type { Black76Greeks, OptionKind } from './types.js';

/** Inputs for the column API: one entry per option. `isCall` is 1 for a call, 0 for a put. */
export interface OptionColumns {
  isCall: Uint8Array;
  forward: Float64Array;
  strike: Float64Array;
  expiryYears: Float64Array;
  vol: Float64Array;
  rate: Float64Array;
}

/** Outputs of the column API, one entry per option, same units as `Black76Greeks`. */
export interface GreekColumns {
  price: Float64Array;
  delta: Float64Array;
  gamma: Float64Array;
  vega: Float64Array;
  theta: Float64Array;
  rho: Float64Array;
  vanna: Float64Array;
  volga: Float64Array;
}

/** ln(F/K) to full relative precision, also when F and K are close. */
export function logMoneyness(forward: number, strike: number): number {
  if (forward <= 2 * strike && strike <= 2 * forward) return Math.log1p((forward - strike) / strike);
  return Math.log(forward / strike);
}

/**
 * Prices one option and writes its greeks at index i of `out`. No allocation: the scalar and the
 * column entry points share it. One log, one exp (two with a non-zero rate) and two rational
 * erfcx evaluations per option: the normalised Black evaluation also yields the density
 * F phi(d1) = sqrt(FK) db/ds and the probabilities N(h' +- t) that delta needs.
 */
function priceInto(
  isCall: boolean,
  forward: number,
  strike: number,
  expiryYears: number,
  vol: number,
  rate: number,
  out: GreekColumns,
  i: number,
): void {
  const sqrtT = Math.sqrt(expiryYears);
  const s = vol * sqrtT;
  const sqrtF = Math.sqrt(forward);
  const sqrtK = Math.sqrt(strike);
  const sqrtFK = sqrtF * sqrtK;
  const x = logMoneyness(forward, strike);
  const discount = rate === 0 ? 1 : Math.exp(-rate * expiryYears);
  const price = discount * undiscountedPrice(isCall, forward, strike, sqrtF, sqrtK, x, s);
  const side = normalisedSide;
  // Three independent divisions serve every greek.
  const invVol = 1 / vol;
  const invSqrtT = 1 / sqrtT;
  const invF = 1 / forward;
  const t = 0.5 * s;
  const d1 = x * invVol * invSqrtT + t;
  const d2 = d1 - s;
  // N(theta d1) from the out-of-the-money side's N(h' + t), N(h' - t), h' = -|x|/s.
  let probability: number;
  if (isCall) probability = x <= 0 ? side[SIDE_CDF_PLUS]! : 1 - side[SIDE_CDF_MINUS]!;
  else probability = x >= 0 ? side[SIDE_CDF_MINUS]! : 1 - side[SIDE_CDF_PLUS]!;
  if (probability < 0.25 && !(isCall ? x <= 0 : x >= 0)) probability = normCdf(isCall ? d1 : -d1);
  const dfPhi = discount * sqrtFK * side[SIDE_VEGA]!; // e^{-rT} F phi(d1)
  const vega = dfPhi * sqrtT;
  out.price[i] = price;
  out.delta[i] = isCall ? discount * probability : -discount * probability;
  out.gamma[i] = dfPhi * invF * invF * invVol * invSqrtT; // e^{-rT} phi(d1) / (F sigma sqrt T)
  out.vega[i] = vega;
  out.theta[i] = rate * price - 0.5 * dfPhi * vol * invSqrtT;
  out.rho[i] = -expiryYears * price;
  out.vanna[i] = -dfPhi * invF * d2 * invVol;
  out.volga[i] = vega * d1 * d2 * invVol;
}

/**
 * theta (F - K)^+ + sqrt(FK) b(-|x|, s): the undiscounted price, the intrinsic value added
 * exactly in the money. Sets `normalisedSide` (vega and the probabilities) for the greeks.
 */
function undiscountedPrice(
  isCall: boolean,
  forward: number,
  strike: number,
  sqrtF: number,
  sqrtK: number,
  x: number,
  s: number,
): number {
  // e^{|x|/2} from the square roots, without another exp.
  const halfExp = sqrtF > sqrtK ? sqrtF / sqrtK : sqrtK / sqrtF;
  const otm = sqrtF * sqrtK * normalisedBlackOtm(-Math.abs(x), s, halfExp);
  const intrinsic = isCall ? forward - strike : strike - forward;
  return intrinsic > 0 ? intrinsic + otm : otm;
}

/** Price only, for the column API. */
function priceOnly(
  isCall: boolean,
  forward: number,
  strike: number,
  expiryYears: number,
  vol: number,
  rate: number,
): number {
  const s = vol * Math.sqrt(expiryYears);
  const x = logMoneyness(forward, strike);
  const discount = rate === 0 ? 1 : Math.exp(-rate * expiryYears);
  return discount * undiscountedPrice(isCall, forward, strike, Math.sqrt(forward), Math.sqrt(strike), x, s);
}

const scratch = allocateGreekColumns(1);

/** Checks the inputs every Black-76 entry point shares; throws `InputError` naming the field. */
export function checkBlackInputs(
  kind: OptionKind,
  forward: number,
  strike: number,
  expiryYears: number,
  rate: number,
): void {
  if (kind !== 'call' && kind !== 'put') throw new InputError('kind', kind, '"call" or "put"');
  checkPositive('forward', forward);
  checkPositive('strike', strike);
  checkPositive('expiryYears', expiryYears);
  if (typeof rate !== 'number' || !Number.isFinite(rate))
    throw new InputError('rate', rate, 'a finite number');
}

export function checkPositive(field: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) {
    throw new InputError(field, value, 'a positive finite number');
  }
}

/** Black-76 price and greeks of one option; throws `InputError` for unusable input. */
export function black76(
  kind: OptionKind,
  forward: number,
  strike: number,
  expiryYears: number,
  vol: number,
  rate: number,
): Black76Greeks {
  checkBlackInputs(kind, forward, strike, expiryYears, rate);
  checkPositive('vol', vol);
  priceInto(kind === 'call', forward, strike, expiryYears, vol, rate, scratch, 0);
  return {
    price: scratch.price[0]!,
    delta: scratch.delta[0]!,
    gamma: scratch.gamma[0]!,
    vega: scratch.vega[0]!,
    theta: scratch.theta[0]!,
    rho: scratch.rho[0]!,
    vanna: scratch.vanna[0]!,
    volga: scratch.volga[0]!,
  };
}

/** Black-76 price of one option; throws `InputError` for unusable input. */
export function black76Price(
  kind: OptionKind,
  forward: number,
  strike: number,
  expiryYears: number,
  vol: number,
  rate: number,
): number {
  checkBlackInputs(kind, forward, strike, expiryYears, rate);
  checkPositive('vol', vol);
  return priceOnly(kind === 'call', forward, strike, expiryYears, vol, rate);
}

/**
 * Prices `count` options (default: all) from columns into columns, allocating nothing. Inputs
 * are not validated here: a NaN or non-positive input gives NaN or a limit value in its row.
 */
export function black76Columns(input: OptionColumns, out: GreekColumns, count = input.forward.length): void {
  const { isCall, forward, strike, expiryYears, vol, rate } = input;
  for (let i = 0; i < count; i++) {
    priceInto(isCall[i] === 1, forward[i]!, strike[i]!, expiryYears[i]!, vol[i]!, rate[i]!, out, i);
  }
}

/** Prices only, from columns into `outPrice`, allocating nothing. */
export function black76PriceColumns(
  input: OptionColumns,
  outPrice: Float64Array,
  count = input.forward.length,
): void {
  const { isCall, forward, strike, expiryYears, vol, rate } = input;
  for (let i = 0; i < count; i++) {
    outPrice[i] = priceOnly(isCall[i] === 1, forward[i]!, strike[i]!, expiryYears[i]!, vol[i]!, rate[i]!);
  }
}

/** Allocates output columns for `n` options. */
export function allocateGreekColumns(n: number): GreekColumns {
  return {
    price: new Float64Array(n),
    delta: new Float64Array(n),
    gamma: new Float64Array(n),
    vega: new Float64Array(n),
    theta: new Float64Array(n),
    rho: new Float64Array(n),
    vanna: new Float64Array(n),
    volga: new Float64Array(n),
  };
}

/**
 * The per-row evaluations themselves, unchecked, for callers that evaluate single rows of their
 * own columns: price and greeks into row i of `out` (what `black76Columns` does per row, no
 * allocation), and the price alone (what `black76PriceColumns` does per row).
 */
export { priceInto as black76Into, priceOnly as black76PriceUnchecked };
