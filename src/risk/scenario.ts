/**
 * A market scenario for full revaluation, and the contract of the revaluer every risk measure
 * uses (`src/risk/stress/revalue.ts` implements it): stress grids, value-at-risk, historical and
 * cross-asset scenarios all price the book through `Revaluer.pnlUsd`.
 */

/** How the volatility surface moves with spot. */
export type VolModel = 'sticky-strike' | 'sticky-moneyness' | 'term-structure';

/** One scenario: relative spot moves by coin, an absolute vol shift, time passing. */
export interface Scenario {
  /** A name for reports (`spot -10%, vol +5`, `2020-03-12`). */
  name?: string;
  /** Relative move of each coin's spot and forwards: `{ BTC: -0.1 }` is -10%. Coins absent do not move. */
  spot: Readonly<Record<string, number>>;
  /** Absolute vol shift: 0.05 = +5 vol points (before the vol model's term weighting). */
  volShift: number;
  /** Days that pass (expiries within settle at the shocked forward); 0 by default. */
  days?: number;
}

/** Prices a fixed book under scenarios. */
export interface Revaluer {
  /** The book's value in USD in the unshocked market. */
  readonly baseValueUsd: number;
  /** The change of the book's value in USD under `scenario`. */
  pnlUsd(scenario: Scenario): number;
  /** Positions priced with a fallback (an option without a mark implied vol), named for the report. */
  readonly warnings: readonly string[];
}
