export { BallastError, InputError, ParseError, UnsupportedError, describeValue } from './errors.js';
export { plainDecimal, decimalPlaces } from './decimal.js';
export {
  MS_PER_DAY,
  MS_PER_YEAR,
  EXPIRY_HOUR_UTC,
  yearsToExpiry,
  expiryMsOfDate,
  daysInMonth,
} from './time.js';
export { MONTH_CODES, readExpiryCode, formatExpiryCode, type ExpiryCodeResult } from './expiry-code.js';
export { readStrike, formatStrike, type StrikeResult } from './strike.js';
export { COMBO_STRATEGY_CODES, comboStrategyCode, isComboName } from './combo.js';
export {
  parseInstrumentName,
  formatInstrumentName,
  type InstrumentKind,
  type OptionType,
  type SettlementStyle,
  type InstrumentNameSpec,
  type OptionNameSpec,
  type FutureNameSpec,
  type PerpetualNameSpec,
  type SpotNameSpec,
  type ParsedInstrumentName,
  type ParsedOptionName,
  type ParsedFutureName,
  type ParsedPerpetualName,
  type ParsedSpotName,
} from './instrument-name.js';
export {
  TickSchedule,
  TICK_TOLERANCE,
  tickTolerance,
  type TickRule,
  type TickStep,
  type SnapMode,
} from './tick-schedule.js';
export type { InstrumentDetails, AmountUnit, DetailsSource } from './instrument-details.js';
export {
  defaultInstrumentDetails,
  INVERSE_OPTION_TICKS,
  LINEAR_OPTION_MULTIPLIERS,
  OPTION_TICK_CHANGE_2023_MS,
} from './default-instruments.js';
export {
  readVenueInstruments,
  venueInstrumentDetails,
  type VenueReadOptions,
  type VenueInstruments,
} from './venue-instruments.js';
export {
  InstrumentCatalog,
  builtInTickHistory,
  type LoadReport,
  type CatalogOptions,
} from './instrument-catalog.js';
