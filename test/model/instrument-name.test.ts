import { describe, expect, it } from 'vitest';
import {
  InputError,
  ParseError,
  UnsupportedError,
  formatInstrumentName,
  formatStrike,
  isComboName,
  parseInstrumentName,
  plainDecimal,
  readStrike,
  type InstrumentNameSpec,
  type SettlementStyle,
} from '../../src/model/index.js';

type Expected = InstrumentNameSpec & { settlement: SettlementStyle; settlementCurrency: string };

const at8 = (year: number, month: number, day: number): number => Date.UTC(year, month - 1, day, 8);

/** Every name form the model knows, with what it must parse to. */
const VALID: ReadonlyArray<[string, Expected]> = [
  [
    'BTC-27DEC24-50000-C',
    {
      kind: 'option',
      base: 'BTC',
      quote: null,
      settlement: 'inverse',
      settlementCurrency: 'BTC',
      expiryMs: at8(2024, 12, 27),
      strike: 50000,
      optionType: 'call',
    },
  ],
  [
    'ETH-5JUN20-250-P',
    {
      kind: 'option',
      base: 'ETH',
      quote: null,
      settlement: 'inverse',
      settlementCurrency: 'ETH',
      expiryMs: at8(2020, 6, 5),
      strike: 250,
      optionType: 'put',
    },
  ],
  [
    'XRP_USDC-30JUN23-0d625-C',
    {
      kind: 'option',
      base: 'XRP',
      quote: 'USDC',
      settlement: 'linear',
      settlementCurrency: 'USDC',
      expiryMs: at8(2023, 6, 30),
      strike: 0.625,
      optionType: 'call',
    },
  ],
  [
    'SOL_USDC-27DEC24-62d5-P',
    {
      kind: 'option',
      base: 'SOL',
      quote: 'USDC',
      settlement: 'linear',
      settlementCurrency: 'USDC',
      expiryMs: at8(2024, 12, 27),
      strike: 62.5,
      optionType: 'put',
    },
  ],
  [
    'SOL_USDC-27DEC24-250-C',
    {
      kind: 'option',
      base: 'SOL',
      quote: 'USDC',
      settlement: 'linear',
      settlementCurrency: 'USDC',
      expiryMs: at8(2024, 12, 27),
      strike: 250,
      optionType: 'call',
    },
  ],
  [
    'BTC-27DEC24',
    {
      kind: 'future',
      base: 'BTC',
      quote: null,
      settlement: 'inverse',
      settlementCurrency: 'BTC',
      expiryMs: at8(2024, 12, 27),
    },
  ],
  [
    'ETH-29FEB24',
    {
      kind: 'future',
      base: 'ETH',
      quote: null,
      settlement: 'inverse',
      settlementCurrency: 'ETH',
      expiryMs: at8(2024, 2, 29),
    },
  ],
  [
    'SOL_USDC-27DEC24',
    {
      kind: 'future',
      base: 'SOL',
      quote: 'USDC',
      settlement: 'linear',
      settlementCurrency: 'USDC',
      expiryMs: at8(2024, 12, 27),
    },
  ],
  [
    'BTC-PERPETUAL',
    { kind: 'perpetual', base: 'BTC', quote: null, settlement: 'inverse', settlementCurrency: 'BTC' },
  ],
  [
    'BTC_USDC-PERPETUAL',
    { kind: 'perpetual', base: 'BTC', quote: 'USDC', settlement: 'linear', settlementCurrency: 'USDC' },
  ],
  [
    'BTC_USDC',
    { kind: 'spot', base: 'BTC', quote: 'USDC', settlement: 'linear', settlementCurrency: 'USDC' },
  ],
  ['ETH_BTC', { kind: 'spot', base: 'ETH', quote: 'BTC', settlement: 'linear', settlementCurrency: 'BTC' }],
];

describe('parseInstrumentName / formatInstrumentName', () => {
  it.each(VALID)('parses %s', (name, expected) => {
    expect(parseInstrumentName(name)).toEqual({ name, ...expected });
  });

  it.each(VALID.map(([name]) => name))('round-trips %s', (name) => {
    expect(formatInstrumentName(parseInstrumentName(name))).toBe(name);
  });

  it('formats from parts without a name', () => {
    expect(
      formatInstrumentName({
        kind: 'option',
        base: 'BTC',
        quote: null,
        expiryMs: at8(2020, 6, 5),
        strike: 9250,
        optionType: 'put',
      }),
    ).toBe('BTC-5JUN20-9250-P');
    expect(formatInstrumentName({ kind: 'perpetual', base: 'ETH', quote: 'USDC' })).toBe(
      'ETH_USDC-PERPETUAL',
    );
    expect(formatInstrumentName({ kind: 'spot', base: 'BTC', quote: 'USDC' })).toBe('BTC_USDC');
  });

  it('refuses parts no name can express', () => {
    const option = { kind: 'option', base: 'BTC', quote: null, expiryMs: at8(2024, 12, 27) } as const;
    expect(() => formatInstrumentName({ ...option, strike: 0, optionType: 'call' })).toThrow(InputError);
    expect(() => formatInstrumentName({ ...option, strike: -5, optionType: 'call' })).toThrow(/strike/);
    expect(() =>
      formatInstrumentName({ ...option, strike: 50000, optionType: 'call', expiryMs: at8(2024, 12, 27) + 1 }),
    ).toThrow(/expiryMs/);
    expect(() => formatInstrumentName({ kind: 'perpetual', base: 'btc', quote: null })).toThrow(/base/);
    const badType = { ...option, strike: 1, optionType: 'straddle' } as unknown as Parameters<
      typeof formatInstrumentName
    >[0];
    expect(() => formatInstrumentName(badType)).toThrow(/optionType/);
  });
});

describe('malformed names', () => {
  it.each([
    ['', /empty/],
    ['BTC-31FEB24-50000-C', /no such date: 31FEB24/],
    ['BTC-30FEB24', /February 2024 has 29 days/],
    ['BTC-27DXC24-50000-C', /unknown month "DXC"/],
    ['BTC-05JUN20-9000-C', /leading zero/],
    ['BTC-27DEC24-0-C', /strike "0" is not positive/],
    ['BTC-27DEC24-00-P', /not positive/],
    ['BTC-27DEC24-050000-C', /not written canonically/],
    ['XRP_USDC-30JUN23-0d6250-C', /not written canonically \(expected "0d625"/],
    ['XRP_USDC-30JUN23-0.625-C', /uses "\."/],
    ['BTC-27DEC24-abc-C', /not a number/],
    ['BTC-27DEC24-50000', /option type is missing/],
    ['BTC-27DEC24-50000-X', /neither "C" \(call\) nor "P" \(put\)/],
    ['BTC-27DEC24-50000-c', /must be upper case \(C or P\)/],
    ['BTC-27DEC24-50000-toString', /neither "C" \(call\) nor "P" \(put\)/],
    ['BTC-27DEC24-50000-constructor', /neither/],
    ['btc-27dec24-50000-c', /base currency "btc" must be upper case/],
    ['BTC-27dec24', /expiry month "dec" must be upper case/],
    ['btc-perpetual', /must be upper case/],
    ['BTC-perpetual', /"PERPETUAL" must be upper case/],
    ['BTC-PERP', /DMMMYY/],
    ['BTC-PERPETUAL-C', /nothing may follow "PERPETUAL"/],
    ['BTC', /alone is not an instrument/],
    ['BTC-', /empty part/],
    ['-BTC-PERPETUAL', /empty part/],
    ['BTC--PERPETUAL', /empty part/],
    ['BTC-27DEC24-50000-C-X', /too many parts/],
    ['BTC_USDC_X-PERPETUAL', /more than one "_"/],
    ['BTC_-PERPETUAL', /quote currency is empty/],
    ['B-PERPETUAL', /not a currency code/],
    [' BTC-PERPETUAL', /whitespace/],
    ['BTC-27DEC24 ', /whitespace/],
  ])('refuses %j with a ParseError that quotes it', (name, reason) => {
    let error: unknown;
    try {
      parseInstrumentName(name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ParseError);
    const parseError = error as ParseError;
    expect(parseError.text).toBe(name);
    expect(parseError.what).toBe('instrument name');
    expect(parseError.message).toContain(JSON.stringify(name));
    expect(parseError.reason).toMatch(reason);
  });
});

describe('combo names', () => {
  // FS from the venue's get_combo_details example, CS from Deribit Insights "introducing combos",
  // REV from the venue's create_combo example; the others as listed by the venue.
  it.each([
    'BTC-FS-27DEC24_PERP',
    'BTC-FS-29APR22_PERP',
    'BTC-CS-27DEC24-50000_60000',
    'BTC-CS-31MAR23-100000_200000',
    'BTC-PS-27DEC24-50000_60000',
    'BTC-RR-27DEC24-40000_60000',
    'BTC-STRD-27DEC24-50000',
    'BTC-STRG-27DEC24-40000_60000',
    'BTC-REV-29APR22-37500',
    'BTC-CCAL-28MAR25_27DEC24-90000',
    'BTC-ICOND-16JUL26-63000_63500_65500_66000',
    'BTC-CSR13-17JAN25-50000_55000',
    'ETH-CBUT-27DEC24-3000_3500_4000',
    'BTC_USDC-STRD-31JUL26-63000',
    'BTC-FS',
  ])('refuses %s with UnsupportedError', (name) => {
    expect(isComboName(name)).toBe(true);
    expect(() => parseInstrumentName(name)).toThrow(UnsupportedError);
    expect(() => parseInstrumentName(name)).toThrow(/combo instruments are not supported yet/);
  });

  it('does not take outright names for combos', () => {
    for (const name of ['BTC-PERPETUAL', 'BTC-27DEC24', 'BTC-27DEC24-50000-C', 'BTC_USDC']) {
      expect(isComboName(name)).toBe(false);
    }
  });
});

describe('strikes', () => {
  it('reads and writes integer and d-decimal strikes', () => {
    expect(readStrike('50000')).toEqual({ ok: true, strike: 50000 });
    expect(readStrike('0d625')).toEqual({ ok: true, strike: 0.625 });
    expect(readStrike('62d5')).toEqual({ ok: true, strike: 62.5 });
    expect(formatStrike(50000)).toBe('50000');
    expect(formatStrike(0.625)).toBe('0d625');
    expect(formatStrike(62.5)).toBe('62d5');
    expect(formatStrike(1e-7)).toBe('0d0000001');
    expect(readStrike('0d0000001')).toEqual({ ok: true, strike: 1e-7 });
  });

  it('refuses non-canonical strikes', () => {
    for (const text of ['1d0', '1d', 'd5', '0d', '01', '0d1234567890123456789', '1e5']) {
      expect(readStrike(text).ok).toBe(false);
    }
    expect(readStrike('9'.repeat(400)).ok).toBe(false);
  });

  it('writes numbers in positional form', () => {
    expect(plainDecimal(1.5e-7)).toBe('0.00000015');
    expect(plainDecimal(-2.5e-8)).toBe('-0.000000025');
    expect(plainDecimal(0.0005)).toBe('0.0005');
    expect(plainDecimal(1e20)).toBe('100000000000000000000');
    expect(() => plainDecimal(1e21)).toThrow(RangeError);
  });
});
