/**
 * Ballast as a library: the instrument model, the pricing core (normal distribution, Black-76,
 * implied volatility by Let's Be Rational), the coin/USD conversions of inverse options, and the
 * volatility surface (forward curve, chain reader, SVI and eSSVI slices, arbitrage checks), the
 * inventory (exact money, events, the ledger, valuation, aggregation, attribution,
 * reconciliation), the journal store (SQLite) with ledger snapshots, the import of fills, and
 * market data (order books, book metrics, volatility from the tape, recorded-data readers), and
 * risk control (limits and the pre-trade check, trading states, stress by full revaluation,
 * venue-style margin, liquidity, gamma and expiry risk, VaR), the simulator (`sim`), and the
 * strategies (Avellaneda-Stoikov, GLFT, online estimators, the options quoter in volatility with
 * mass quotes, cancellation rules, the rate-limit budget, delta hedging) with their backtests.
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
export * from './vol/forward-curve.js';
export * from './vol/chain.js';
export * from './vol/quote-arbitrage.js';
export * from './vol/svi.js';
export { calibrateRawSvi, type SviCalibration, type SviSliceData } from './vol/svi-calibrate.js';
export * from './vol/essvi.js';
export * from './vol/surface.js';
export * from './vol/surface-checks.js';
export {
  calibrateSurface,
  type CalibrationOptions,
  type SliceFit,
  type SliceQuotes,
  type SurfaceFit,
  type SurfaceModel,
} from './vol/calibrate-surface.js';
export * from './vol/chain-surface.js';
export * from './store/journal.js';
export { SqliteJournal, JOURNAL_SCHEMA_VERSION, type SqliteJournalOptions } from './store/sqlite/journal.js';
export {
  PostgresJournal,
  PostgresJournalError,
  type PostgresJournalOptions,
} from './store/postgres/journal.js';
export * from './inventory/import/import-fills.js';
export {
  readFillLines,
  formatOfPath,
  type FillFormat,
  type FillLine,
} from './inventory/import/read-fills.js';
export {
  FILL_COLUMNS,
  readFillRow,
  type FieldProblem,
  type FillRowResult,
} from './inventory/import/fill-row.js';
export * from './inventory/money.js';
export * from './inventory/events.js';
export * from './inventory/event-json.js';
export * from './inventory/ledger.js';
export * from './inventory/ledger-snapshot.js';
export * from './inventory/valuation.js';
export * from './inventory/aggregate.js';
export * from './inventory/attribution.js';
export * from './inventory/reconcile.js';
export * from './engine/journaled-ledger.js';
export * from './market/events.js';
export * from './market/book.js';
export * from './market/metrics.js';
export * from './market/volatility/index.js';
export * from './market/recorded/index.js';
export {
  parseDeribitNotification,
  readDeribitJsonl,
  readDeribitJsonlBatches,
} from './market/recorded/deribit-jsonl.js';
export * from './market/recorded/inspect.js';
export * from './risk/scenario.js';
export * from './risk/inputs.js';
export * from './risk/greeks-report.js';
export * from './risk/limits/config.js';
export * from './risk/limits/pretrade.js';
export * from './risk/trading-state.js';
export {
  createRevaluer,
  VOL_FLOOR,
  type RevaluerOptions,
  type StressRevaluer,
} from './risk/stress/revalue.js';
export {
  createStressPool,
  stressGrid,
  type GridOptions,
  type StressGrid,
  type StressPool,
} from './risk/stress/grid.js';
export * from './risk/margin/index.js';
export * from './risk/gamma.js';
export * from './risk/expiry.js';
export * from './risk/liquidity.js';
export * from './risk/var.js';
export * from './risk/historical.js';
export * from './risk/report.js';
export * as sim from './sim/index.js';
export * from './strategy/avellaneda-stoikov.js';
export * from './strategy/glft.js';
export * from './strategy/estimators/index.js';
export * from './strategy/mass-quote.js';
export * from './strategy/cancel-rules.js';
export * from './strategy/rate-budget.js';
export * from './strategy/hedging/index.js';
export { runBacktest, type BacktestReport } from './backtest/runner.js';
export { parseScenario, validateScenario, type Scenario } from './backtest/scenario.js';
export { runSweep, seedJobs, type SweepOptions } from './backtest/sweep.js';
export { htmlReport, type ChartSeries } from './backtest/chart.js';
export {
  fillRatio,
  markouts,
  maxDrawdown,
  sharpeRatio,
  spreadCaptured,
  type ReportFill,
} from './backtest/metrics.js';
export { locateWorker, serveWorker, startWorkerPool, type WorkerPool } from './engine/worker-pool.js';
export * from './engine/types.js';
export { Engine, COMMAND_TYPE, type EngineOptions, type LoopStats } from './engine/loop.js';
export {
  EngineCore,
  type CoreConfig,
  type HedgingConfig,
  type Outcome,
  type QuotingConfig,
} from './engine/core.js';
export {
  OrderManager,
  type ManagedOrder,
  type ManagedState,
  type OrderPurpose,
} from './engine/order-manager.js';
export * from './engine/config.js';
export { inputFromRecord, inputRecord, INPUT_TYPES } from './engine/inputs.js';
export { startApiServer, type ApiServer, type ApiServerOptions } from './server/api.js';
export { generateToken, resolveToken } from './server/token.js';
export { SimVenue, type SimVenueOptions } from './venues/sim/adapter.js';
export { DeribitAdapter, type DeribitAdapterConfig } from './venues/deribit/adapter.js';
export { loadDeribitCredentials } from './venues/deribit/credentials.js';
