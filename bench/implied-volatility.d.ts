// Types for the npm package `implied-volatility` (the JavaScript peer the pricing benchmark compares with).
declare module 'implied-volatility' {
  export function getImpliedVolatility(
    expectedCost: number,
    s: number,
    k: number,
    t: number,
    r: number,
    callPut: 'call' | 'put',
    estimate?: number,
  ): number;
}
