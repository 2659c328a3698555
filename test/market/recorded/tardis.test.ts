/**
 * Tardis CSV readers: each data type read from the fixtures (made from the documented schemas and
 * sample rows, see test/fixtures/tardis/README.md) field by field, gzipped equal to plain, the
 * data type from the option, the name or the header, bad rows reported or thrown with their line
 * and field, and a fuzz test over about 50,000 corrupted lines.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BadRecord, MarketEvent } from '../../../src/market/events.js';
import {
  CsvLineSplitter,
  parseDecimal,
  parseTardisCsvText,
  readTardisCsv,
  readTardisCsvBatches,
  TARDIS_HEADERS,
  tardisDataTypeFromFileName,
  type CsvLineSink,
  type TardisDataType,
  type TardisReadOptions,
} from '../../../src/market/recorded/index.js';
import { ParseError } from '../../../src/model/errors.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/tardis');
const FILES: Record<TardisDataType, string> = {
  incremental_book_L2: 'deribit_incremental_book_L2_2020-09-01_BTC-PERPETUAL.csv',
  book_snapshot_25: 'deribit_book_snapshot_25_2020-09-01_BTC-PERPETUAL.csv',
  trades: 'deribit_trades_2020-09-01_BTC-PERPETUAL.csv',
  quotes: 'deribit_quotes_2020-09-01_BTC-PERPETUAL.csv',
  derivative_ticker: 'deribit_derivative_ticker_2020-09-01_BTC-PERPETUAL.csv',
  options_chain: 'deribit_options_chain_2020-06-08_OPTIONS.csv',
};
const fixture = (t: TardisDataType): string => join(FIXTURES, FILES[t]);

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ballast-tardis-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

async function collect(path: string, options?: TardisReadOptions): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const e of readTardisCsv(path, options)) out.push(e);
  return out;
}

function write(name: string, text: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const V = { venue: 'deribit', instrument: 'BTC-PERPETUAL' };

describe('fixtures, field by field', () => {
  it('incremental_book_L2: rows grouped by timestamp and is_snapshot; a later snapshot run resets', async () => {
    const events = await collect(fixture('incremental_book_L2'));
    expect(events).toEqual([
      {
        type: 'book_change',
        ...V,
        timestampMs: 1598918400012,
        localTimestampMs: 1598918400015.433,
        changeId: null,
        prevChangeId: null,
        bids: [],
        asks: [{ price: 11657.5, amount: 0 }],
      },
      {
        type: 'book_snapshot',
        ...V,
        timestampMs: 1598918400108,
        localTimestampMs: 1598918400110.871,
        changeId: null,
        bids: [
          { price: 11657, amount: 189410 },
          { price: 11656.5, amount: 10 },
          { price: 11656, amount: 24990 },
        ],
        asks: [
          { price: 11657.5, amount: 250370 },
          { price: 11658, amount: 3830 },
          { price: 11658.5, amount: 20 },
        ],
        full: true,
      },
      {
        type: 'book_change',
        ...V,
        timestampMs: 1598918400193,
        localTimestampMs: 1598918400195.781,
        changeId: null,
        prevChangeId: null,
        bids: [{ price: 11657, amount: 189400 }],
        asks: [{ price: 11658, amount: 0 }],
      },
      {
        type: 'book_change',
        ...V,
        timestampMs: 1598918400240,
        localTimestampMs: 1598918400243.307,
        changeId: null,
        prevChangeId: null,
        bids: [{ price: 11657.5, amount: 1000 }],
        asks: [],
      },
      {
        type: 'book_snapshot',
        ...V,
        timestampMs: 1598918461377,
        localTimestampMs: 1598918461380.123,
        changeId: null,
        bids: [{ price: 11660, amount: 5000 }],
        asks: [{ price: 11660.5, amount: 7000 }],
        full: true,
      },
      {
        type: 'book_change',
        ...V,
        timestampMs: 1598918461402,
        localTimestampMs: 1598918461405.55,
        changeId: null,
        prevChangeId: null,
        bids: [],
        asks: [{ price: 11661, amount: 120 }],
      },
    ]);
  });

  it('incremental_book_L2: onRecord once per row, the group event on its first row', async () => {
    const calls: [number, number][] = [];
    await collect(fixture('incremental_book_L2'), { onRecord: (n, evs) => calls.push([n, evs.length]) });
    expect(calls.map((c) => c[0])).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(calls.filter((c) => c[1] === 1).map((c) => c[0])).toEqual([2, 3, 9, 11, 12, 14]);
  });

  it('book_snapshot_25: top 25 levels, full false, empty levels skipped', async () => {
    const events = await collect(fixture('book_snapshot_25'));
    expect(events).toHaveLength(2);
    const [a, b] = events;
    expect(a).toMatchObject({ type: 'book_snapshot', ...V, timestampMs: 1598918400108, full: false });
    expect(a).toMatchObject({ localTimestampMs: 1598918400110.871, changeId: null });
    if (a?.type !== 'book_snapshot') throw new Error('not a snapshot');
    expect(a.asks).toHaveLength(25);
    expect(a.bids).toHaveLength(25);
    expect(a.asks[0]).toEqual({ price: 11657.5, amount: 100 });
    expect(a.asks[24]).toEqual({ price: 11669.5, amount: 2500 });
    expect(a.bids[0]).toEqual({ price: 11657, amount: 150 });
    expect(a.bids[24]).toEqual({ price: 11645, amount: 3750 });
    expect(b).toEqual({
      type: 'book_snapshot',
      ...V,
      timestampMs: 1598918400193,
      localTimestampMs: 1598918400195.781,
      changeId: null,
      bids: [{ price: 11657, amount: 189400 }],
      asks: [
        { price: 11658, amount: 3830 },
        { price: 11658.5, amount: 20 },
      ],
      full: false,
    });
  });

  it('trades', async () => {
    expect(await collect(fixture('trades'))).toEqual([
      {
        type: 'trade',
        ...V,
        timestampMs: 1598918400084,
        localTimestampMs: 1598918400086.925,
        tradeId: '71223585',
        price: 11657.5,
        amount: 1000,
        side: 'buy',
      },
      {
        type: 'trade',
        ...V,
        timestampMs: 1598918400201,
        localTimestampMs: 1598918400203.377,
        tradeId: '71223586',
        price: 11657,
        amount: 20,
        side: 'sell',
      },
      {
        type: 'trade',
        ...V,
        timestampMs: 1598918401330,
        localTimestampMs: 1598918401332.616,
        tradeId: '71223587',
        price: 11656.5,
        amount: 3320,
        side: 'sell',
      },
    ]);
  });

  it('quotes, an empty side null', async () => {
    const events = await collect(fixture('quotes'));
    expect(events[0]).toEqual({
      type: 'quote',
      ...V,
      timestampMs: 1598918400108,
      localTimestampMs: 1598918400110.871,
      bidPrice: 11657,
      bidAmount: 189410,
      askPrice: 11657.5,
      askAmount: 250370,
    });
    expect(events[1]).toMatchObject({ bidAmount: 189400, timestampMs: 1598918400193 });
    expect(events[2]).toEqual({
      type: 'quote',
      ...V,
      timestampMs: 1598918402000,
      localTimestampMs: 1598918402003.001,
      bidPrice: null,
      bidAmount: null,
      askPrice: 11657.5,
      askAmount: 250370,
    });
  });

  it('derivative_ticker', async () => {
    const events = await collect(fixture('derivative_ticker'));
    expect(events).toStrictEqual([
      {
        type: 'ticker',
        ...V,
        timestampMs: 1598918400108,
        localTimestampMs: 1598918400110.871,
        fundingRate: 0.00001523,
        openInterest: 116520950,
        lastPrice: 11657.5,
        indexPrice: 11651.37,
        markPrice: 11657.21,
      },
      {
        type: 'ticker',
        ...V,
        timestampMs: 1598918401108,
        localTimestampMs: 1598918401111.02,
        fundingRate: -0.00000287,
        openInterest: 116521950,
        lastPrice: 11657,
        indexPrice: 11650.94,
        markPrice: 11656.88,
      },
    ]);
  });

  it('options_chain: the documented Deribit row, ivs in vol points as given, greeks', async () => {
    const events = await collect(fixture('options_chain'));
    expect(events[0]).toStrictEqual({
      type: 'ticker',
      venue: 'deribit',
      instrument: 'BTC-9JUN20-9875-P',
      timestampMs: 1591574399413,
      localTimestampMs: 1591574400196.008,
      openInterest: 0.1,
      lastPrice: 0.0295,
      bidPrice: 0.0205,
      bidAmount: 15,
      bidIv: 55.91,
      askPrice: 0.0235,
      askAmount: 15,
      askIv: 68.94,
      markPrice: 0.02210436,
      markIv: 62.89,
      underlyingIndex: 'SYN.BTC-9JUN20',
      underlyingPrice: 9756.36,
      delta: -0.61752,
      gamma: 0.00103,
      vega: 2.24964,
      theta: -53.05655,
      rho: -0.22796,
    });
    expect(events[1]).toStrictEqual({
      type: 'ticker',
      venue: 'deribit',
      instrument: 'BTC-26JUN20-10000-C',
      timestampMs: 1591574399589,
      localTimestampMs: 1591574400203.112,
      openInterest: 1745.7,
      bidPrice: 0.0455,
      bidAmount: 3.5,
      bidIv: 62.4,
      askPrice: 0.047,
      askAmount: 10,
      askIv: 64.91,
      markPrice: 0.04627866,
      markIv: 63.76,
      underlyingIndex: 'BTC-26JUN20',
      underlyingPrice: 9773.29,
      delta: 0.4651,
      gamma: 0.00012,
      vega: 11.7201,
      theta: -11.70215,
      rho: 2.33961,
    });
  });
});

describe('plain, gzipped, names and headers', () => {
  it('a gzipped file gives the same events as the plain one, each data type', async () => {
    for (const t of Object.keys(FILES) as TardisDataType[]) {
      const gz = write(`${FILES[t]}.gz`, gzipSync(readFileSync(fixture(t))));
      expect(await collect(gz)).toEqual(await collect(fixture(t)));
    }
  });

  it('gzip is told by the magic bytes, not the name; batches hold the same events', async () => {
    const t: TardisDataType = 'incremental_book_L2';
    const disguised = write('plain-name.csv', gzipSync(readFileSync(fixture(t))));
    const batches: MarketEvent[] = [];
    for await (const b of readTardisCsvBatches(disguised)) batches.push(...b);
    expect(batches).toEqual(await collect(fixture(t)));
  });

  it('the data type from the option, else the file name, else the header', async () => {
    expect(tardisDataTypeFromFileName('/x/deribit_incremental_book_L2_2020-04-01_BTC-PERPETUAL.csv.gz')).toBe(
      'incremental_book_L2',
    );
    expect(tardisDataTypeFromFileName('deribit_options_chain_2020-06-08_OPTIONS.csv')).toBe('options_chain');
    expect(tardisDataTypeFromFileName('data.csv')).toBeUndefined();
    const text = readFileSync(fixture('trades'), 'utf8');
    const byHeader = write('data.csv', text);
    expect(await collect(byHeader)).toEqual(await collect(fixture('trades')));
    // The file name says quotes, the header is trades': a bad header naming the expectation.
    const misnamed = write('deribit_quotes_2020-09-01_X.csv', text);
    await expect(collect(misnamed)).rejects.toThrow(
      /line 1 .*header: .*expected .*\(quotes, from the file name\)/,
    );
    // The option wins over the name.
    expect(await collect(misnamed, { dataType: 'trades' })).toHaveLength(3);
  });

  it('a header of no known type, an empty file: line 1, thrown or reported, nothing read', async () => {
    const unknown = write('unknown.csv', 'a,b,c\n1,2,3\n');
    await expect(collect(unknown)).rejects.toThrow(ParseError);
    await expect(collect(unknown)).rejects.toThrow(
      /^line 1 "a,b,c": header: got "a,b,c", expected the header of one of/,
    );
    const bad: BadRecord[] = [];
    const records: number[] = [];
    expect(
      await collect(unknown, { onBadRecord: (b) => bad.push(b), onRecord: (n) => records.push(n) }),
    ).toEqual([]);
    expect(bad).toEqual([{ lineNumber: 1, text: 'a,b,c', message: expect.stringMatching(/^header: /) }]);
    expect(records).toEqual([]);
    const empty = write('empty.csv', '');
    await expect(collect(empty)).rejects.toThrow(/line 1 "": header: missing/);
  });

  it('CRLF line ends and a last line without LF read the same', async () => {
    const text = readFileSync(fixture('quotes'), 'utf8');
    const crlf = write('crlf_quotes_x.csv', text.replace(/\n/g, '\r\n').replace(/\r\n$/, ''));
    expect(await collect(crlf)).toEqual(await collect(fixture('quotes')));
  });

  it('the splitter gives the same lines whatever the chunking, multi-byte UTF-8 across chunks', () => {
    const text = 'h\nαβγ,1\n\n"q",2\r\nlast';
    const bytes = Buffer.from(text, 'utf8');
    const expected = [
      [1, 'h', false],
      [2, 'αβγ,1', false],
      [3, '', false],
      [4, '"q",2', true],
      [5, 'last', false],
    ];
    for (let size = 1; size <= bytes.length; size++) {
      const got: unknown[] = [];
      const sink: CsvLineSink = {
        line: (t, s, e, n) => got.push([n, t.slice(s, e), false]),
        quotedLine: (t, s, e, n) => got.push([n, t.slice(s, e), true]),
      };
      const splitter = new CsvLineSplitter(sink);
      for (let i = 0; i < bytes.length; i += size) splitter.push(bytes.subarray(i, i + size));
      splitter.end();
      expect(got).toEqual(expected);
    }
  });

  it('parseDecimal reads exactly what Number reads, and refuses what is not a plain decimal', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = String(x);
        expect(Object.is(parseDecimal(s, 0, s.length), Number(s))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 12 }), (m, k) => {
        const s = k === 0 ? String(m) : `${Math.floor(m / 10 ** k)}.${String(m % 10 ** k).padStart(k, '0')}`;
        expect(parseDecimal(s, 0, s.length)).toBe(Number(s));
      }),
      { numRuns: 2000 },
    );
    for (const s of [
      '',
      '-',
      '.',
      'abc',
      '1e400',
      'Infinity',
      'NaN',
      '0x1f',
      ' 1',
      '1 ',
      '+1',
      '1.2.3',
      '1e',
      '--1',
    ]) {
      expect(parseDecimal(s, 0, s.length), s).toBeNaN();
    }
    expect(parseDecimal('12345678901234567890', 0, 20)).toBe(Number('12345678901234567890'));
    expect(parseDecimal('1e-7', 0, 4)).toBe(1e-7);
  });
});

describe('bad rows', () => {
  const L2 = TARDIS_HEADERS.incremental_book_L2;
  const good = 'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,bid,11657,189410';
  const cases: [string, RegExp][] = [
    [
      'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,bid,abc,1',
      /^price: got "abc", expected a finite number > 0$/,
    ],
    ['deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,bid,0,1', /^price: got "0", expected/],
    [
      'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,bid,1,-5',
      /^amount: got "-5", expected a finite number >= 0$/,
    ],
    [
      'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,buy,1,5',
      /^side: got "buy", expected "bid" or "ask"$/,
    ],
    [
      'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,TRUE,bid,1,5',
      /^is_snapshot: got "TRUE", expected "true" or "false"$/,
    ],
    [
      'deribit,BTC-PERPETUAL,1598918400108000.5,1598918400110871,true,bid,1,5',
      /^timestamp: got "1598918400108000.5", expected microseconds/,
    ],
    [
      'deribit,BTC-PERPETUAL,1598918400108000,,true,bid,1,5',
      /^local_timestamp: got "", expected microseconds/,
    ],
    [
      'deribit,,1598918400108000,1598918400110871,true,bid,1,5',
      /^symbol: got "", expected an instrument name$/,
    ],
    [
      'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,bid,1',
      /^expected 8 fields \(incremental_book_L2\), got 7$/,
    ],
    [
      'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,bid,1,5,6',
      /^expected 8 fields \(incremental_book_L2\), got 9$/,
    ],
    [
      'deribit,BTC-PERPETUAL,1598918400108000,1598918400110871,true,bid,1e400,5',
      /^price: got "1e400", expected a finite/,
    ],
    ['', /^empty line, expected a data row$/],
    [
      'deribit,"BTC-PERPETUAL",1598918400108000,1598918400110871,true,bid,1,5',
      /^quoted fields are not supported/,
    ],
  ];

  it('each bad incremental_book_L2 row reported with its line, text and a message naming the field', async () => {
    const lines = [L2, good, ...cases.map((c) => c[0]), good.replace('bid,11657', 'ask,11658')];
    const path = write('deribit_incremental_book_L2_bad.csv', lines.join('\n') + '\n');
    const bad: BadRecord[] = [];
    const records: [number, number][] = [];
    const events = await collect(path, {
      onBadRecord: (b) => bad.push(b),
      onRecord: (n, evs) => records.push([n, evs.length]),
    });
    expect(bad.map((b) => b.lineNumber)).toEqual(cases.map((_, i) => i + 3));
    bad.forEach((b, i) => {
      expect(b.message).toMatch(cases[i]![1]);
      expect(b.text).toBe(cases[i]![0]);
    });
    // The good rows around the bad ones still make one snapshot (same timestamp, is_snapshot).
    expect(events).toEqual([
      expect.objectContaining({
        type: 'book_snapshot',
        bids: [{ price: 11657, amount: 189410 }],
        asks: [{ price: 11658, amount: 189410 }],
      }),
    ]);
    expect(records.map((r) => r[0])).toEqual(lines.slice(1).map((_, i) => i + 2));
    expect(records.filter((r) => r[1] > 0)).toEqual([[2, 1]]);
  });

  it('without onBadRecord the first bad row throws a ParseError with its line and field, after the events before it', async () => {
    const lines = [
      TARDIS_HEADERS.trades,
      'deribit,BTC-PERPETUAL,1598918400084000,1598918400086925,1,buy,11657.5,1000',
      'deribit,BTC-PERPETUAL,1598918400084000,1598918400086925,2,sideways,11657.5,1000',
      'deribit,BTC-PERPETUAL,1598918400084000,1598918400086925,3,buy,11657.5,1000',
    ];
    const path = write('deribit_trades_bad.csv', lines.join('\n') + '\n');
    const seen: MarketEvent[] = [];
    let error: unknown;
    try {
      for await (const e of readTardisCsv(path)) seen.push(e);
    } catch (e) {
      error = e;
    }
    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toBe(
      `line 3 ${JSON.stringify(lines[2])}: side: got "sideways", expected "buy", "sell" or "unknown"`,
    );
  });

  it('bad rows of the other types name their field', () => {
    const H = TARDIS_HEADERS;
    const check = (header: string, row: string, message: RegExp): void => {
      const bad: BadRecord[] = [];
      parseTardisCsvText(`${header}\n${row}\n`, { onBadRecord: (b) => bad.push(b) });
      expect(bad, row).toHaveLength(1);
      expect(bad[0]!.message).toMatch(message);
      expect(() => parseTardisCsvText(`${header}\n${row}\n`)).toThrow(/^line 2 /);
    };
    const base = 'deribit,BTC-PERPETUAL,1598918400084000,1598918400086925';
    check(H.trades, `${base},1,buy,11657.5,0`, /^amount: got "0", expected a finite number > 0$/);
    check(H.trades, `${base},1,buy,-1,1`, /^price: got "-1"/);
    check(H.quotes, `${base},10,,11657,5`, /^ask_price: got "", expected a price when ask_amount is given$/);
    check(H.quotes, `${base},10,11658,11657,x`, /^bid_amount: got "x"/);
    check(H.derivative_ticker, `${base},soon,0.0001,,1,2,3,4`, /^funding_timestamp: got "soon"/);
    check(H.derivative_ticker, `${base},,0.0001,,-1,2,3,4`, /^open_interest: got "-1"/);
    const opt = 'deribit,BTC-9JUN20-9875-P,1591574399413000,1591574400196008';
    check(
      H.options_chain,
      `${opt},straddle,9875,1591689600000000,0.1,,,,,,,,0.02,62.89,SYN.BTC-9JUN20,9756.36,-0.6,0.001,2.2,-53,-0.2`,
      /^type: got "straddle", expected "call" or "put"$/,
    );
    check(
      H.options_chain,
      `${opt},put,9875,1591689600000000,0.1,,,,,,,,0.02,62.89,SYN.BTC-9JUN20,9756.36,delta,0.001,2.2,-53,-0.2`,
      /^delta: got "delta", expected a finite number$/,
    );
    const levels = (first: string): string => `${base},${first}` + ',,,,'.repeat(24);
    check(
      H.book_snapshot_25,
      levels('11658,,11657,5'),
      /^asks\[0\]\.amount: got "", expected an amount when the price is given$/,
    );
    check(H.book_snapshot_25, levels('11658,1,11657,-5'), /^bids\[0\]\.amount: got "-5"/);
  });
});

// --- Fuzz ------------------------------------------------------------------------------------

const DATA_TYPES = Object.keys(FILES) as TardisDataType[];
const VALID_ROWS: Record<string, string[]> = Object.fromEntries(
  DATA_TYPES.map((t) => [t, readFileSync(fixture(t), 'utf8').trim().split('\n').slice(1)]),
);

type Mutation =
  | { kind: 'valid' }
  | { kind: 'dropField'; at: number }
  | { kind: 'duplicateField'; at: number }
  | { kind: 'replaceField'; at: number; value: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'huge'; at: number; value: string }
  | { kind: 'randomBytes'; bytes: Uint8Array }
  | { kind: 'empty' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Mutation>({ kind: 'valid' }) },
  fc.record({ kind: fc.constant('dropField' as const), at: fc.nat(200) }),
  fc.record({ kind: fc.constant('duplicateField' as const), at: fc.nat(200) }),
  fc.record({
    kind: fc.constant('replaceField' as const),
    at: fc.nat(200),
    value: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(
        '',
        '-1',
        'NaN',
        'Infinity',
        '1e',
        'true',
        'bid',
        'ask',
        'buy',
        '0',
        '-0',
        '1,2',
        '"x"',
      ),
    ),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(300) }),
  fc.record({
    kind: fc.constant('huge' as const),
    at: fc.nat(200),
    value: fc.constantFrom(
      '1e400',
      '-1e400',
      '9'.repeat(400),
      '1' + '0'.repeat(30),
      '99999999999999999',
      '1e-400',
    ),
  }),
  fc.record({ kind: fc.constant('randomBytes' as const), bytes: fc.uint8Array({ maxLength: 80 }) }),
  fc.constant<Mutation>({ kind: 'empty' }),
);

function applyMutation(row: string, m: Mutation): string | Buffer {
  const fields = row.split(',');
  switch (m.kind) {
    case 'valid':
      return row;
    case 'dropField':
      fields.splice(m.at % fields.length, 1);
      return fields.join(',');
    case 'duplicateField': {
      const i = m.at % fields.length;
      fields.splice(i, 0, fields[i]!);
      return fields.join(',');
    }
    case 'replaceField':
    case 'huge':
      fields[m.at % fields.length] = m.value;
      return fields.join(',');
    case 'truncate':
      return row.slice(0, m.at % (row.length + 1));
    case 'randomBytes':
      return Buffer.from(m.bytes);
    case 'empty':
      return '';
  }
}

/** Physical lines of a file's bytes (an LF ends a line; a last line without LF counts). */
function physicalLines(bytes: Buffer): number {
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? n + 1 : n;
}

describe('fuzz: corrupted lines', () => {
  const LINES_PER_FILE = 1000;
  const FILES_PER_TYPE = 17; // 6 types x 17 files x ~1000 lines = 102,000 lines

  it.each(DATA_TYPES)(
    '%s: never throws with onBadRecord (each bad line reported), only ParseError without',
    async (type) => {
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(), mutation), { minLength: LINES_PER_FILE, maxLength: LINES_PER_FILE }),
          fc.boolean(),
          fc.boolean(),
          async (rows, gzip, breakHeader) => {
            const valid = VALID_ROWS[type]!;
            const parts: Buffer[] = [
              Buffer.from(breakHeader && n % 3 === 0 ? 'exchange,symbol\n' : `${TARDIS_HEADERS[type]}\n`),
            ];
            for (const [i, m] of rows) {
              const line = applyMutation(valid[i % valid.length]!, m);
              parts.push(typeof line === 'string' ? Buffer.from(line) : line, Buffer.from('\n'));
            }
            const bytes = Buffer.concat(parts);
            const name = `fuzz_${type}_${n++}.csv`;
            const path = write(gzip ? `${name}.gz` : name, gzip ? gzipSync(bytes) : bytes);

            const bad: BadRecord[] = [];
            const records: number[] = [];
            let events = 0;
            let recordEvents = 0;
            for await (const _ of readTardisCsv(path, {
              onBadRecord: (b) => bad.push(b),
              onRecord: (line, evs) => {
                records.push(line);
                recordEvents += evs.length;
              },
            })) {
              events++;
            }
            for (const b of bad) {
              expect(b.lineNumber).toBeGreaterThanOrEqual(1);
              expect(b.message.length).toBeGreaterThan(5);
              expect(b.text.length).toBeLessThanOrEqual(200);
            }
            const lines = physicalLines(bytes);
            if (bad[0]?.lineNumber === 1) {
              expect(bad).toHaveLength(1);
              expect(events).toBe(0);
            } else {
              // One onRecord per data line, in order, and the events they carry are the events read.
              expect(records).toEqual(Array.from({ length: lines - 1 }, (_, i) => i + 2));
              expect(recordEvents).toBe(events);
            }

            let thrown: unknown;
            try {
              for await (const _ of readTardisCsv(path)) void _;
            } catch (error) {
              thrown = error;
            }
            if (bad.length === 0) {
              expect(thrown).toBeUndefined();
            } else {
              expect(thrown).toBeInstanceOf(ParseError);
              expect((thrown as Error).message.startsWith(`line ${bad[0]!.lineNumber} `)).toBe(true);
              expect((thrown as Error).message).toContain(bad[0]!.message);
            }
          },
        ),
        { numRuns: FILES_PER_TYPE },
      );
    },
    20_000,
  );
});
