/**
 * Online estimates of the quoting models' parameters: the volatility from the tape and the fill
 * intensity `A exp(-k delta)` from our own quotes' exposure, pooled across options.
 */
export {
  checkExposure,
  IntensityEstimator,
  PooledIntensityEstimator,
  type Exposure,
  type IntensityFit,
  type IntensityOptions,
  type PooledIntensityFit,
  type PooledIntensityOptions,
} from './intensity.js';
export {
  TapeVolatility,
  type TapeVolatilityEstimate,
  type TapeVolatilityOptions,
} from './tape-volatility.js';
