/**
 * Ballast as a library: the instrument model, the pricing core (normal distribution, Black-76,
 * implied volatility by Let's Be Rational) and the coin/USD conversions of inverse options.
 */
export * from './model/index.js';
export * from './pricing/types.js';
export { erfc, erfcx, normCdf, normInv, normPdf } from './pricing/normal.js';
export {
  allocateGreekColumns,
  black76,
  black76Columns,
  black76Price,
  black76PriceColumns,
  logMoneyness,
  type GreekColumns,
  type OptionColumns,
} from './pricing/black76.js';
export {
  impliedVol,
  impliedVolColumns,
  impliedVolWithIterations,
  MAX_IV_ITERATIONS,
  type ImpliedVolResult,
  type IvColumns,
} from './pricing/implied-vol.js';
export { normalisedBlackCall, normalisedVega } from './pricing/normalised-black.js';
export * from './pricing/coin.js';
