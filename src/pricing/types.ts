/** Call or put. */
export type OptionKind = 'call' | 'put';

/**
 * Black-76 price and greeks in the model's own units (see `black76.ts`): price in the currency
 * of forward and strike; delta = dV/dF; gamma = d2V/dF2; vega = dV/dsigma per 1.00 of vol;
 * theta = -dV/dT per year (F, sigma, r held); rho = dV/dr (F held); vanna = d2V/dF dsigma;
 * volga = d2V/dsigma2.
 */
export interface Black76Greeks {
  price: number;
  delta: number;
  gamma: number;
  vega: number;
  theta: number;
  rho: number;
  vanna: number;
  volga: number;
}
