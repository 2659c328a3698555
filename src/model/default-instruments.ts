/**
 * Built-in instrument details for instruments not in any loaded venue file. Only what the
 * venue documents is filled in; a field the sources do not give is null, and the caller has to
 * load the venue's instrument data (`public/get_instruments`) to use it.
 *
 * Sources:
 * - [A] Deribit API docs v2.1.1, `public/get_instrument` example (BTC-13JAN23-16000-P):
 *   option `contract_size` 1, `min_trade_amount` 0.1, `quote_currency` BTC.
 *   https://docs.deribit.com/#public-get_instrument
 * - [B] Deribit API docs v2.1.1, `public/get_instruments` example (BTC-29SEP23, BTC-PERPETUAL):
 *   `contract_size` 10, `min_trade_amount` 10 (USD), `tick_size` 2.5 (future) and 0.5
 *   (perpetual), `quote_currency` USD. https://docs.deribit.com/#public-get_instruments
 * - [C] Deribit support, "6 July 2023 (TS)": BTC and ETH option tick 0.0001 up to 0.005 and
 *   0.0005 above, from 6 July 2023; before, 0.0005 at every price (every price in the
 *   2020-05-21 snapshot is a multiple of 0.0005).
 *   https://support.deribit.com/hc/en-us/articles/25944779257373-6-July-2023-TS
 * - [D] Deribit Insights, "USDC settled altcoin options, live trade examples" (March 2024):
 *   contract multipliers SOL 10, XRP 1,000, MATIC 1,000; priced and settled in USDC.
 *   https://insights.deribit.com/education/usdc-settled-altcoin-options-live-trade-examples
 *
 * Not verified against a venue source, so taken from the project's domain notes: ETH inverse
 * futures and perpetual contract size 1 USD; ETH option minimum amount 0.1 (the venue example
 * shows BTC only).
 */
import { UnsupportedError } from './errors.js';
import type { InstrumentDetails } from './instrument-details.js';
import type { ParsedInstrumentName } from './instrument-name.js';
import { TickSchedule } from './tick-schedule.js';

/**
 * The instant the 6 July 2023 option tick change is taken to apply from. The venue gives the
 * date only; we take 08:00 UTC, the venue's daily settlement and expiry time, when its session
 * rolls over. The old grid (multiples of 0.0005) is a subset of the new one, so prices snapped
 * under the old rule stay valid after the change whatever the exact hour was; only a fine-tick
 * price (such as 0.0012) seen between 00:00 and 08:00 UTC that day would be flagged off-tick.
 */
export const OPTION_TICK_CHANGE_2023_MS = Date.UTC(2023, 6, 6, 8);

/** BTC and ETH inverse option tick rules over time [C]. */
export const INVERSE_OPTION_TICKS = new TickSchedule([
  {
    effectiveFromMs: Number.NEGATIVE_INFINITY,
    tickSize: 0.0005,
    steps: [],
    source: 'Deribit support "6 July 2023 (TS)" (rule before the change)',
  },
  {
    effectiveFromMs: OPTION_TICK_CHANGE_2023_MS,
    tickSize: 0.0001,
    steps: [{ abovePrice: 0.005, tickSize: 0.0005 }],
    source: 'Deribit support "6 July 2023 (TS)"',
  },
]);

/** Option contract multipliers of USDC-linear options [D]. */
export const LINEAR_OPTION_MULTIPLIERS: Readonly<Record<string, number>> = {
  SOL: 10,
  XRP: 1000,
  MATIC: 1000,
};

const INVERSE_OPTION_BASES = new Set(['BTC', 'ETH']);

/**
 * Built-in details for a parsed name, or `UnsupportedError` when the table has nothing for it
 * (load the venue's instrument file instead).
 */
export function defaultInstrumentDetails(parsed: ParsedInstrumentName): InstrumentDetails {
  const common = {
    name: parsed.name,
    kind: parsed.kind,
    base: parsed.base,
    quote: parsed.quote,
    settlement: parsed.settlement,
    settlementCurrency: parsed.settlementCurrency,
    expiryMs: parsed.kind === 'option' || parsed.kind === 'future' ? parsed.expiryMs : null,
    creationMs: null,
    strike: parsed.kind === 'option' ? parsed.strike : null,
    optionType: parsed.kind === 'option' ? parsed.optionType : null,
    settlementPeriod: parsed.kind === 'perpetual' ? 'perpetual' : null,
    source: 'built-in' as const,
  };
  if (parsed.kind === 'option' && parsed.settlement === 'inverse' && INVERSE_OPTION_BASES.has(parsed.base)) {
    return {
      ...common,
      priceCurrency: parsed.base,
      contractSize: 1,
      amountUnit: 'contracts',
      multiplier: 1,
      minTradeAmount: 0.1,
      ticks: INVERSE_OPTION_TICKS,
      sourceNote: 'built-in: Deribit get_instrument example; support "6 July 2023 (TS)"',
    };
  }
  if ((parsed.kind === 'future' || parsed.kind === 'perpetual') && parsed.settlement === 'inverse') {
    if (parsed.base === 'BTC') {
      return {
        ...common,
        priceCurrency: 'USD',
        contractSize: 10,
        amountUnit: 'USD',
        multiplier: null,
        minTradeAmount: 10,
        ticks: TickSchedule.constant(
          parsed.kind === 'future' ? 2.5 : 0.5,
          [],
          'Deribit get_instruments example (2023)',
        ),
        sourceNote: 'built-in: Deribit get_instruments example (BTC-29SEP23, BTC-PERPETUAL)',
      };
    }
    if (parsed.base === 'ETH') {
      return {
        ...common,
        priceCurrency: 'USD',
        contractSize: 1,
        amountUnit: 'USD',
        multiplier: null,
        minTradeAmount: null,
        ticks: null,
        sourceNote: 'built-in: contract size from the project domain notes (not venue-verified)',
      };
    }
  }
  const multiplier = Object.hasOwn(LINEAR_OPTION_MULTIPLIERS, parsed.base)
    ? LINEAR_OPTION_MULTIPLIERS[parsed.base]
    : undefined;
  if (parsed.kind === 'option' && parsed.quote === 'USDC' && multiplier !== undefined) {
    return {
      ...common,
      priceCurrency: 'USDC',
      contractSize: multiplier,
      amountUnit: 'contracts',
      multiplier,
      minTradeAmount: null,
      ticks: null,
      sourceNote: 'built-in: multiplier from Deribit Insights, USDC altcoin options (2024)',
    };
  }
  throw new UnsupportedError(
    `no built-in details for ${JSON.stringify(parsed.name)}: load the venue's instrument data (public/get_instruments) for it`,
  );
}
