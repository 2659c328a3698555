/**
 * The instruments the engine knows: details loaded from the venue's instrument data, falling
 * back to the built-in table for instruments no loaded file describes.
 */
import { defaultInstrumentDetails, INVERSE_OPTION_TICKS } from './default-instruments.js';
import { UnsupportedError } from './errors.js';
import type { InstrumentDetails } from './instrument-details.js';
import { parseInstrumentName, type ParsedInstrumentName } from './instrument-name.js';
import type { TickSchedule } from './tick-schedule.js';
import { readVenueInstruments, type VenueReadOptions } from './venue-instruments.js';

/** What a load added. */
export interface LoadReport {
  loaded: string[];
  skippedCombos: string[];
}

/** Options for a catalog. */
export interface CatalogOptions {
  /** Fall back to the built-in table for names no loaded file has (default true). */
  useDefaults?: boolean;
}

/**
 * Earlier tick rules the catalog keeps under a loaded file's rule: the built-in BTC/ETH
 * inverse option history, so that a 2020 price is checked against the 2020 tick.
 */
export function builtInTickHistory(parsed: ParsedInstrumentName): TickSchedule | null {
  if (
    parsed.kind === 'option' &&
    parsed.settlement === 'inverse' &&
    (parsed.base === 'BTC' || parsed.base === 'ETH')
  ) {
    return INVERSE_OPTION_TICKS;
  }
  return null;
}

/** Instrument details by name: loaded venue data first, then the built-in table. */
export class InstrumentCatalog {
  private readonly loaded = new Map<string, InstrumentDetails>();
  private readonly useDefaults: boolean;

  constructor(options: CatalogOptions = {}) {
    this.useDefaults = options.useDefaults ?? true;
  }

  /**
   * Loads a `public/get_instruments` (or `get_instrument`) response or its `result`. An
   * instrument already known is replaced. Nothing is added if any instrument is invalid.
   */
  load(data: unknown, options: VenueReadOptions = {}): LoadReport {
    const read = readVenueInstruments(data, { tickHistory: builtInTickHistory, ...options });
    for (const details of read.instruments) this.loaded.set(details.name, details);
    return { loaded: read.instruments.map((details) => details.name), skippedCombos: read.skippedCombos };
  }

  /**
   * Details for `name`. Throws `ParseError` for a malformed name, `UnsupportedError` for a combo
   * or for an instrument neither loaded nor in the built-in table.
   */
  get(name: string): InstrumentDetails {
    const parsed = parseInstrumentName(name);
    const loaded = this.loaded.get(name);
    if (loaded !== undefined) return loaded;
    if (!this.useDefaults) {
      throw new UnsupportedError(`${JSON.stringify(name)} is not in the loaded instrument data`);
    }
    return defaultInstrumentDetails(parsed);
  }

  /** Like `get`, but the tick schedule is required: `UnsupportedError` when it is not known. */
  ticks(name: string): TickSchedule {
    const details = this.get(name);
    if (details.ticks === null) {
      throw new UnsupportedError(
        `no tick rule known for ${JSON.stringify(name)}: load the venue's instrument data (public/get_instruments) for it`,
      );
    }
    return details.ticks;
  }

  /** Names of the loaded instruments. */
  loadedNames(): string[] {
    return [...this.loaded.keys()];
  }
}
