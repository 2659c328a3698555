/** Venue-style portfolio margin and liquidation distance (see docs/margin.md). */
export {
  DERIBIT_BTC_PM_CONFIG,
  bookPnlCoin,
  portfolioMargin,
  prepareBook,
  resolveMarginConfig,
  shockedVols,
  type MarginAddOns,
  type MarginScenario,
  type PortfolioMarginConfig,
  type PortfolioMarginOptions,
  type PortfolioMarginResult,
  type PreparedBook,
  type VolMove,
} from './portfolio-margin.js';
export {
  liquidationDistance,
  type LiquidationDistance,
  type LiquidationOptions,
  type LiquidationPoint,
} from './liquidation.js';
