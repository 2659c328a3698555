/**
 * What the engine needs to know about an instrument beyond its name: sizes, minimum amount,
 * tick rules, currencies, dates. Filled from the venue's own instrument data
 * (`venue-instruments.ts`) or, for instruments not in any loaded file, from the built-in table
 * (`default-instruments.ts`).
 */
import type { InstrumentKind, OptionType, SettlementStyle } from './instrument-name.js';
import type { TickSchedule } from './tick-schedule.js';

/**
 * Unit in which the venue counts an order's `amount` and `min_trade_amount`: `USD` for inverse
 * futures and perpetuals, `contracts` for options (one contract covers `multiplier` coins of the
 * underlying), `base` (coins of the base currency) for linear futures, perpetuals and spot
 * (Deribit API docs, `public/get_instruments`, `min_trade_amount`: "For perpetual and inverse
 * futures the amount is in USD units. For options and linear futures it is the underlying base
 * currency coin.").
 */
export type AmountUnit = 'USD' | 'contracts' | 'base';

/** Where the details came from. */
export type DetailsSource = 'venue' | 'built-in';

/** An instrument's contract details. */
export interface InstrumentDetails {
  name: string;
  kind: InstrumentKind;
  /** Underlying currency (venue `base_currency`). */
  base: string;
  /** Quote currency in the name (`USDC` in `SOL_USDC-...`), null for inverse instruments. */
  quote: string | null;
  settlement: SettlementStyle;
  /** Currency P&L and delivery are paid in (venue `settlement_currency`; quote for spot). */
  settlementCurrency: string;
  /** Currency prices are quoted in (venue `quote_currency`): BTC for BTC options, USD for BTC futures. */
  priceCurrency: string;
  /**
   * Venue `contract_size`: USD per contract for inverse futures and perpetuals (10 for BTC),
   * coins of the underlying per contract for options (1 for BTC, 10 for SOL), base units for
   * linear and spot instruments.
   */
  contractSize: number;
  amountUnit: AmountUnit;
  /** Coins of the underlying one option contract covers (= contractSize); null for non-options. */
  multiplier: number | null;
  /** Smallest order amount, in `amountUnit` (venue `min_trade_amount`); null when not known. */
  minTradeAmount: number | null;
  /** Price tick rules over time; null when not known (load the venue's instrument file). */
  ticks: TickSchedule | null;
  /** Expiry instant (08:00 UTC); null for perpetuals and spot. */
  expiryMs: number | null;
  /** Venue `creation_timestamp`; null when not known. */
  creationMs: number | null;
  strike: number | null;
  optionType: OptionType | null;
  /** Venue `settlement_period` (`day`, `week`, `month`, `perpetual`); null when not known. */
  settlementPeriod: string | null;
  source: DetailsSource;
  /** Which file or documentation the numbers come from. */
  sourceNote: string;
}
