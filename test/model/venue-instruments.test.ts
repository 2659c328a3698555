import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  InputError,
  InstrumentCatalog,
  ParseError,
  UnsupportedError,
  readVenueInstruments,
} from '../../src/model/index.js';

// Fixtures: the venue's documented examples, see test/fixtures/deribit-instruments/README.md
// (https://docs.deribit.com/#public-get_instruments and #public-get_instrument).
const fixture = (file: string): unknown =>
  JSON.parse(
    readFileSync(fileURLToPath(new URL(`../fixtures/deribit-instruments/${file}`, import.meta.url)), 'utf8'),
  ) as unknown;
const FUTURES = fixture('get_instruments-btc-future.json');
const OPTION = fixture('get_instrument-btc-option.json');

type Item = Record<string, unknown>;
const futureItem = (): Item => {
  const items = (FUTURES as { result: Item[] }).result;
  return { ...(items[0] as Item) };
};
const optionItem = (): Item => ({ ...(OPTION as { result: Item }).result });

describe('loading the venue get_instruments example', () => {
  it('reads both documented instruments with their details', () => {
    const { instruments, skippedCombos } = readVenueInstruments(FUTURES, { sourceLabel: 'docs example' });
    expect(skippedCombos).toEqual([]);
    expect(instruments.map((details) => details.name)).toEqual(['BTC-29SEP23', 'BTC-PERPETUAL']);
    const [future, perpetual] = instruments;
    expect(future).toMatchObject({
      kind: 'future',
      base: 'BTC',
      quote: null,
      settlement: 'inverse',
      settlementCurrency: 'BTC',
      priceCurrency: 'USD',
      contractSize: 10,
      amountUnit: 'USD',
      multiplier: null,
      minTradeAmount: 10,
      expiryMs: Date.UTC(2023, 8, 29, 8),
      creationMs: 1664524802000,
      settlementPeriod: 'month',
      source: 'venue',
      sourceNote: 'venue: docs example',
    });
    expect(future?.ticks?.tickAt(26000, Date.UTC(2023, 8, 1))).toBe(2.5);
    expect(future?.ticks?.isOnTick(26012.5, Date.UTC(2023, 8, 1))).toBe(true);
    expect(future?.ticks?.isOnTick(26013, Date.UTC(2023, 8, 1))).toBe(false);
    expect(perpetual).toMatchObject({
      kind: 'perpetual',
      expiryMs: null,
      contractSize: 10,
      minTradeAmount: 10,
    });
    expect(perpetual?.ticks?.snap(26013.3, Date.UTC(2023, 8, 1), 'nearest')).toBe(26013.5);
  });

  it('accepts the bare result array and a get_instrument response', () => {
    const bare = readVenueInstruments((FUTURES as { result: unknown[] }).result);
    expect(bare.instruments).toHaveLength(2);
    const { instruments } = readVenueInstruments(OPTION);
    expect(instruments[0]).toMatchObject({
      name: 'BTC-13JAN23-16000-P',
      kind: 'option',
      strike: 16000,
      optionType: 'put',
      priceCurrency: 'BTC',
      contractSize: 1,
      multiplier: 1,
      amountUnit: 'contracts',
      minTradeAmount: 0.1,
      settlementPeriod: 'week',
      expiryMs: 1673596800000,
    });
  });

  it('skips combos and lists them', () => {
    const combo: Item = { instrument_name: 'BTC-FS-29SEP23_PERP', kind: 'future_combo' };
    const { instruments, skippedCombos } = readVenueInstruments([futureItem(), combo]);
    expect(instruments).toHaveLength(1);
    expect(skippedCombos).toEqual(['BTC-FS-29SEP23_PERP']);
  });

  it.each([
    ['expiration_timestamp', 1695974400001, /result\[0\]\.expiration_timestamp/],
    ['kind', 'option', /result\[0\]\.kind.*"future" for BTC-29SEP23/],
    ['base_currency', 'ETH', /base_currency/],
    ['settlement_currency', 'USDC', /settlement_currency/],
    ['instrument_type', 'linear', /instrument_type.*"reversed"/],
    ['contract_size', 0, /contract_size.*positive/],
    ['min_trade_amount', '10', /min_trade_amount.*finite number/],
    ['tick_size', -2.5, /tick_size/],
    ['tick_size_steps', [{ above_price: 100, tick_size: 3 }], /multiple of the minimum tick/],
  ])('refuses a future whose %s disagrees or is invalid', (key, value, message) => {
    const item = { ...futureItem(), [key]: value };
    expect(() => readVenueInstruments([item])).toThrow(InputError);
    expect(() => readVenueInstruments([item])).toThrow(message);
  });

  it('refuses an option whose strike or type disagrees with its name', () => {
    expect(() => readVenueInstruments([{ ...optionItem(), strike: 16500 }])).toThrow(/result\[0\]\.strike/);
    expect(() => readVenueInstruments([{ ...optionItem(), option_type: 'call' }])).toThrow(/option_type/);
  });

  it('refuses malformed names and responses', () => {
    expect(() => readVenueInstruments([{ ...futureItem(), instrument_name: 'BTC-31FEB23' }])).toThrow(
      ParseError,
    );
    expect(() => readVenueInstruments([{ ...futureItem(), instrument_name: 42 }])).toThrow(/instrument_name/);
    expect(() =>
      readVenueInstruments({ jsonrpc: '2.0', error: { code: 11050, message: 'bad_request' } }),
    ).toThrow(/returned an error/);
    expect(() => readVenueInstruments('nope')).toThrow(InputError);
    expect(() => readVenueInstruments([7])).toThrow(/result\[0\]/);
  });
});

describe('InstrumentCatalog', () => {
  it('prefers loaded venue data, falls back to the built-in table', () => {
    const catalog = new InstrumentCatalog();
    expect(catalog.load(FUTURES)).toEqual({ loaded: ['BTC-29SEP23', 'BTC-PERPETUAL'], skippedCombos: [] });
    expect(catalog.get('BTC-PERPETUAL').source).toBe('venue');
    expect(catalog.get('BTC-27DEC24')).toMatchObject({
      source: 'built-in',
      contractSize: 10,
      minTradeAmount: 10,
    });
    expect(catalog.ticks('BTC-27DEC24').tickAt(90000, Date.UTC(2024, 11, 1))).toBe(2.5);
    expect(catalog.get('BTC-27DEC24-50000-C')).toMatchObject({
      source: 'built-in',
      contractSize: 1,
      multiplier: 1,
      minTradeAmount: 0.1,
      priceCurrency: 'BTC',
      settlementCurrency: 'BTC',
      expiryMs: Date.UTC(2024, 11, 27, 8),
    });
    expect(catalog.get('ETH-PERPETUAL')).toMatchObject({ contractSize: 1, amountUnit: 'USD', ticks: null });
    expect(catalog.get('SOL_USDC-27DEC24-250-C')).toMatchObject({
      multiplier: 10,
      settlementCurrency: 'USDC',
      priceCurrency: 'USDC',
    });
    expect(catalog.get('XRP_USDC-30JUN23-0d625-C')).toMatchObject({ multiplier: 1000, strike: 0.625 });
    expect(catalog.loadedNames()).toEqual(['BTC-29SEP23', 'BTC-PERPETUAL']);
  });

  it('keeps the built-in option tick history under a loaded option rule', () => {
    const catalog = new InstrumentCatalog();
    catalog.load(OPTION);
    const ticks = catalog.ticks('BTC-13JAN23-16000-P');
    // From creation (2022-12-22) the documented rule: 0.0005, steps above 120 and 200.
    expect(ticks.tickAt(0.01, Date.UTC(2023, 0, 2))).toBe(0.0005);
    expect(ticks.tickAt(150, Date.UTC(2023, 0, 2))).toBe(0.001);
    expect(ticks.tickAt(250, Date.UTC(2023, 0, 2))).toBe(0.003);
    // Before the instrument's creation, the built-in history answers.
    expect(ticks.tickAt(150, Date.UTC(2022, 0, 1))).toBe(0.0005);
    // A caller can say when the file was fetched instead.
    const fetched = new InstrumentCatalog();
    fetched.load(OPTION, { rulesEffectiveFromMs: Date.UTC(2023, 0, 10) });
    expect(fetched.ticks('BTC-13JAN23-16000-P').tickAt(150, Date.UTC(2023, 0, 2))).toBe(0.0005);
  });

  it('refuses what it cannot describe', () => {
    const catalog = new InstrumentCatalog();
    expect(() => catalog.get('DOGE_USDC-27DEC24-1d5-C')).toThrow(UnsupportedError);
    expect(() => catalog.get('DOGE_USDC-27DEC24-1d5-C')).toThrow(/public\/get_instruments/);
    expect(() => catalog.ticks('ETH-PERPETUAL')).toThrow(/no tick rule known/);
    expect(() => catalog.get('BTC-FS-27DEC24_PERP')).toThrow(/combo instruments are not supported yet/);
    expect(() => catalog.get('BTC-31FEB24')).toThrow(ParseError);
    const strict = new InstrumentCatalog({ useDefaults: false });
    expect(() => strict.get('BTC-27DEC24-50000-C')).toThrow(/not in the loaded instrument data/);
  });
});
