import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { BadRecord, MarketEvent } from '../../../src/market/events.js';
import {
  parseDeribitNotification,
  readDeribitJsonl,
  readDeribitJsonlBatches,
} from '../../../src/market/recorded/deribit-jsonl.js';
import { ParseError } from '../../../src/model/errors.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/deribit-ws');
const fixture = (name: string): string => join(FIXTURES, name);
const tmp = mkdtempSync(join(tmpdir(), 'ballast-deribit-jsonl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function readAll(path: string, options = {}): Promise<MarketEvent[]> {
  const events: MarketEvent[] = [];
  for await (const event of readDeribitJsonl(path, options)) events.push(event);
  return events;
}

function writeTmp(name: string, text: string | Buffer): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const SNAPSHOT =
  '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.100ms","data":{"type":"snapshot","timestamp":1554373962454,"instrument_name":"BTC-PERPETUAL","change_id":297217,"bids":[["new",5042.34,30],["new",5041.94,20]],"asks":[["new",5042.64,40],["new",5043.3,40]]}}}';

describe('readDeribitJsonl: the documented examples, field by field', () => {
  it('book.{instrument}.{interval}: the snapshot, then changes with consistent change ids', async () => {
    const events = await readAll(fixture('book-snapshot-changes.jsonl'));
    expect(events).toStrictEqual([
      {
        type: 'book_snapshot',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1554373962454,
        changeId: 297217,
        bids: [
          { price: 5042.34, amount: 30 },
          { price: 5041.94, amount: 20 },
        ],
        asks: [
          { price: 5042.64, amount: 40 },
          { price: 5043.3, amount: 40 },
        ],
        full: true,
      },
      {
        type: 'book_change',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1554373911330,
        changeId: 297218,
        prevChangeId: 297217,
        bids: [
          { price: 5041.94, amount: 0, action: 'delete' },
          { price: 5042.34, amount: 0, action: 'delete' },
        ],
        asks: [],
      },
      {
        type: 'book_change',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1554373962554,
        changeId: 297219,
        prevChangeId: 297218,
        bids: [
          { price: 5042, amount: 10, action: 'new' },
          { price: 5041.5, amount: 2500, action: 'new' },
        ],
        asks: [{ price: 5042.64, amount: 25, action: 'change' }],
      },
      {
        type: 'book_change',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1554373962654,
        changeId: 297220,
        prevChangeId: 297219,
        bids: [{ price: 5042, amount: 60, action: 'change' }],
        asks: [
          { price: 5043.3, amount: 0, action: 'delete' },
          { price: 5043.5, amount: 1200, action: 'new' },
        ],
      },
    ]);
  });

  it('a gap: prev_change_id differs from the last change_id, and the reader passes it on unchanged', async () => {
    const events = await readAll(fixture('book-gap.jsonl'));
    const ids = events.map((e) =>
      e.type === 'book_change' ? [e.prevChangeId, e.changeId] : [null, (e as { changeId: number }).changeId],
    );
    expect(ids).toEqual([
      [null, 297217],
      [297217, 297218],
      [297220, 297221],
    ]);
  });

  it('book.{instrument}.{group}.{depth}.{interval}: a top-of-book snapshot, not full', async () => {
    const events = await readAll(fixture('grouped-book.jsonl'));
    expect(events).toStrictEqual([
      {
        type: 'book_snapshot',
        venue: 'deribit',
        instrument: 'ETH-PERPETUAL',
        timestampMs: 1554375447971,
        changeId: 109615,
        bids: [{ price: 160, amount: 40 }],
        asks: [{ price: 161, amount: 20 }],
        full: false,
      },
      {
        type: 'book_snapshot',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1554373962554,
        changeId: 297219,
        bids: [
          { price: 5042, amount: 10 },
          { price: 5041.5, amount: 2500 },
        ],
        asks: [
          { price: 5042.64, amount: 25 },
          { price: 5043.3, amount: 40 },
        ],
        full: false,
      },
    ]);
  });

  it('trades.{instrument}.{interval} and trades.{kind}.{currency}.{interval}: one event per trade', async () => {
    const records: [number, number][] = [];
    const events = await readAll(fixture('trades.jsonl'), {
      onRecord: (line: number, evs: readonly MarketEvent[]) => records.push([line, evs.length]),
    });
    expect(records).toEqual([
      [1, 1],
      [2, 1],
      [3, 2],
    ]);
    expect(events).toStrictEqual([
      {
        type: 'trade',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1590484512188,
        tradeId: '48079269',
        tradeSeq: 30289442,
        price: 8950,
        amount: 10,
        side: 'sell',
        markPrice: 8948.9,
        indexPrice: 8955.88,
      },
      {
        type: 'trade',
        venue: 'deribit',
        instrument: 'BTC-27MAY20-9000-C',
        timestampMs: 1590484589306,
        tradeId: '48079289',
        tradeSeq: 2,
        price: 0.0075,
        amount: 3,
        side: 'sell',
        markPrice: 0.01062686,
        indexPrice: 8956.17,
        iv: 47.58,
      },
      {
        type: 'trade',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1590484512290,
        tradeId: '48079270',
        tradeSeq: 30289443,
        price: 8950.5,
        amount: 2000,
        side: 'buy',
        markPrice: 8948.95,
        indexPrice: 8955.9,
      },
      {
        type: 'trade',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1590484512290,
        tradeId: '48079271',
        tradeSeq: 30289444,
        price: 8950.5,
        amount: 130,
        side: 'buy',
        markPrice: 8948.95,
        indexPrice: 8955.9,
        liquidation: true,
      },
    ]);
  });

  it('ticker.{instrument}.{interval}: a perpetual and an option', async () => {
    const events = await readAll(fixture('ticker.jsonl'));
    expect(events).toStrictEqual([
      {
        type: 'ticker',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1623060194301,
        markPrice: 36446.51,
        indexPrice: 36441.64,
        lastPrice: 36457.5,
        openInterest: 502097590,
        fundingRate: 0,
        funding8h: 0.0000211,
        bidPrice: 36442.5,
        bidAmount: 5000,
        askPrice: 36443,
        askAmount: 100,
      },
      {
        type: 'ticker',
        venue: 'deribit',
        instrument: 'BTC-27MAY20-9000-C',
        timestampMs: 1590484589306,
        markPrice: 0.01062686,
        indexPrice: 8956.17,
        underlyingPrice: 8960.25,
        underlyingIndex: 'BTC-29MAY20',
        lastPrice: 0.0075,
        openInterest: 412.3,
        markIv: 52.34,
        bidIv: 49.8,
        askIv: 55.1,
        bidPrice: 0.01,
        bidAmount: 5.5,
        askPrice: 0.0115,
        askAmount: 12,
        delta: 0.53971,
        gamma: 0.00096,
        vega: 2.68473,
        theta: -33.71651,
        rho: 0.33815,
      },
    ]);
  });

  it('quote.{instrument}: best bid and ask; an empty side is null', async () => {
    const events = await readAll(fixture('quote.jsonl'));
    expect(events).toStrictEqual([
      {
        type: 'quote',
        venue: 'deribit',
        instrument: 'BTC-PERPETUAL',
        timestampMs: 1550658624149,
        bidPrice: 3914.97,
        bidAmount: 40,
        askPrice: 3996.61,
        askAmount: 50,
      },
      {
        type: 'quote',
        venue: 'deribit',
        instrument: 'BTC-27MAY20-9000-C',
        timestampMs: 1590484589400,
        bidPrice: null,
        bidAmount: null,
        askPrice: 0.0115,
        askAmount: 12,
      },
    ]);
  });

  it('responses, heartbeats and other channels are records with no events; wrappers and bare params are read', async () => {
    const records: [number, string[]][] = [];
    const bad: BadRecord[] = [];
    const events = await readAll(fixture('mixed.jsonl'), {
      onRecord: (line: number, evs: readonly MarketEvent[]) => records.push([line, evs.map((e) => e.type)]),
      onBadRecord: (b: BadRecord) => bad.push(b),
    });
    expect(bad).toEqual([]);
    expect(records).toEqual([
      [1, []],
      [2, ['book_snapshot']],
      [4, []],
      [5, []],
      [6, ['quote']],
    ]);
    expect(events[0]).toMatchObject({
      type: 'book_snapshot',
      localTimestampMs: 1554373962460,
      changeId: 297217,
    });
    expect(events[1]).toMatchObject({ type: 'quote', bidPrice: 3914.97 });
    expect(events[1]).not.toHaveProperty('localTimestampMs');
  });
});

describe('parseDeribitNotification', () => {
  it('takes a parsed object as well as a line', () => {
    expect(parseDeribitNotification(JSON.parse(SNAPSHOT) as object, 1)).toEqual(
      parseDeribitNotification(SNAPSHOT, 1),
    );
  });

  it('accepts the message of a wrapper as a JSON text too', () => {
    const [event] = parseDeribitNotification({ local_timestamp_ms: 7, message: SNAPSHOT }, 1);
    expect(event).toMatchObject({ type: 'book_snapshot', localTimestampMs: 7 });
  });

  it('sorts snapshot levels best first when the message did not', () => {
    const line = SNAPSHOT.replace(
      '["new",5042.34,30],["new",5041.94,20]',
      '["new",5041.94,20],["new",5042.34,30]',
    );
    const [event] = parseDeribitNotification(line, 1);
    expect(event).toMatchObject({ bids: [{ price: 5042.34 }, { price: 5041.94 }] });
  });
});

describe('readDeribitJsonl: gzip, line ends, early exit', () => {
  const names = readdirSync(FIXTURES).filter((n) => n.endsWith('.jsonl'));

  it.each(names)(
    '%s gzipped gives the same events and records as plain (with or without .gz)',
    async (name) => {
      const plain = fixture(name);
      const gz = gzipSync(readFileSync(plain));
      for (const path of [writeTmp(`${name}.gz`, gz), writeTmp(`${name}.bin`, gz)]) {
        const a: [number, number][] = [];
        const b: [number, number][] = [];
        const onA = (l: number, e: readonly MarketEvent[]): number => a.push([l, e.length]);
        const onB = (l: number, e: readonly MarketEvent[]): number => b.push([l, e.length]);
        expect(await readAll(path, { onRecord: onB })).toStrictEqual(await readAll(plain, { onRecord: onA }));
        expect(b).toEqual(a);
      }
    },
  );

  it('reads \\r\\n line ends, a last line without an end, blank lines counted in the numbering', async () => {
    const path = writeTmp('crlf.jsonl', `\r\n${SNAPSHOT}\r\n   \r\n${SNAPSHOT}`);
    const lines: number[] = [];
    const events = await readAll(path, { onRecord: (l: number) => lines.push(l) });
    expect(events).toHaveLength(2);
    expect(lines).toEqual([2, 4]);
  });

  it('lines split across chunks of a large file come out whole and in order', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      lines.push(SNAPSHOT.replace('"change_id":297217', `"change_id":${i}`));
    }
    const path = writeTmp('large.jsonl', lines.join('\n') + '\n');
    let count = 0;
    let batches = 0;
    for await (const batch of readDeribitJsonlBatches(path)) {
      batches += 1;
      for (const event of batch) expect(event).toMatchObject({ changeId: count++ });
    }
    expect(count).toBe(20_000);
    expect(batches).toBeGreaterThan(1);
    const gz = writeTmp('large.jsonl.gz', gzipSync(readFileSync(path)));
    expect((await readAll(gz)).length).toBe(20_000);
  });

  it('stops reading when the consumer breaks out', async () => {
    const path = writeTmp('three.jsonl', [SNAPSHOT, SNAPSHOT, '{bad'].join('\n'));
    let seen = 0;
    for await (const _event of readDeribitJsonl(path)) {
      seen += 1;
      break;
    }
    expect(seen).toBe(1);
  });
});

/** A valid line with one thing broken, and the field the error must name. */
const BAD_LINES: [string, string][] = [
  ['{"jsonrpc":"2.0",', 'JSON: malformed'],
  ['[1,2]', 'line: got [1,2], expected a JSON object'],
  ['"text"', 'line: got "text"'],
  ['{"jsonrpc":"2.0"}', 'method: missing'],
  ['{"jsonrpc":"2.0","method":"subscription"}', 'params: missing'],
  ['{"jsonrpc":"2.0","method":"subscription","params":{"data":{}}}', 'channel: missing'],
  ['{"jsonrpc":"2.0","method":7}', 'method: got 7'],
  [SNAPSHOT.replace('"type":"snapshot"', '"type":"delta"'), 'data.type: got "delta"'],
  [SNAPSHOT.replace('"change_id":297217', '"change_id":-1'), 'data.change_id: got -1'],
  [SNAPSHOT.replace('"change_id":297217', '"change_id":1e400'), 'data.change_id: got Infinity'],
  [
    SNAPSHOT.replace('"change_id":297217', '"change_id":9007199254740993'),
    'data.change_id: got 9007199254740992',
  ],
  [SNAPSHOT.replace('"change_id":297217', '"change_id":"297217"'), 'data.change_id: got "297217"'],
  [
    SNAPSHOT.replace('5042.34,30', '"5042.34",30'),
    'data.bids[0][1]: got "5042.34", expected a finite number',
  ],
  [SNAPSHOT.replace('5042.34,30', '5042.34,-30'), 'data.bids[0][2]: got -30'],
  [SNAPSHOT.replace('5042.34,30', '5042.34,0'), 'data.bids[0][2]: got 0, expected a finite number > 0'],
  [SNAPSHOT.replace('["new",5042.64,40]', '["change",5042.64,40]'), 'data.asks[0][0]: got "change"'],
  [SNAPSHOT.replace('["new",5042.64,40]', '[5042.64,40]'), 'data.asks[0]: got [5042.64,40]'],
  [
    SNAPSHOT.replace('"instrument_name":"BTC-PERPETUAL"', '"instrument_name":""'),
    'data.instrument_name: got ""',
  ],
  [
    SNAPSHOT.replace('"instrument_name":"BTC-PERPETUAL"', '"instrument_name":"ETH-PERPETUAL"'),
    'data.instrument_name: got "ETH-PERPETUAL", expected "BTC-PERPETUAL" as in the channel',
  ],
  [SNAPSHOT.replace('"timestamp":1554373962454,', ''), 'data.timestamp: missing'],
  [SNAPSHOT.replace(',"asks":[["new",5042.64,40],["new",5043.3,40]]', ''), 'data.asks: missing'],
  [
    SNAPSHOT.replace('"type":"snapshot"', '"type":"change"').replace(
      '["new",5042.34,30]',
      '["move",5042.34,30]',
    ),
    'data.prev_change_id: missing',
  ],
  [
    SNAPSHOT.replace('"type":"snapshot"', '"type":"change","prev_change_id":297216').replace(
      '["new",5042.34,30]',
      '["move",5042.34,30]',
    ),
    'data.bids[0][0]: got "move"',
  ],
  [
    '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.BTC-PERPETUAL.raw","data":{"trade_id":"1"}}}',
    'data: got {"trade_id":"1"}, expected an array of trades',
  ],
  [
    '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.option.BTC.raw","data":[{"trade_id":"1","timestamp":1,"price":1,"amount":1,"instrument_name":"X","direction":"up"}]}}',
    'data[0].direction: got "up"',
  ],
  [
    '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"trades.option.BTC.raw","data":[{"trade_id":"1","timestamp":1,"price":1,"amount":1,"instrument_name":"X","direction":"buy","liquidation":"X"}]}}',
    'data[0].liquidation: got "X"',
  ],
  [
    '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-PERPETUAL.raw","data":{"timestamp":1,"instrument_name":"BTC-PERPETUAL","mark_price":"1"}}}',
    'data.mark_price: got "1", expected a finite number or null',
  ],
  [
    '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.X.raw","data":{"timestamp":1,"instrument_name":"X","greeks":{"delta":true}}}}',
    'data.greeks.delta: got true',
  ],
  [
    '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"quote.X","data":{"timestamp":1,"instrument_name":"X","best_bid_price":1,"best_bid_amount":-1}}}',
    'data.best_bid_amount: got -1',
  ],
  [
    '{"channel":"book.X.none.10.100ms","data":{"timestamp":1,"instrument_name":"X","change_id":1,"bids":[[1]],"asks":[]}}',
    'data.bids[0]: got [1], expected [price, amount]',
  ],
  ['{"local_timestamp_ms":"now","message":{}}', 'local_timestamp_ms: got "now"'],
  ['{"local_timestamp_ms":1,"message":"{oops"}', 'message: got "{oops"'],
];

describe('bad records', () => {
  it.each(BAD_LINES)('%s -> %s', (line, field) => {
    let error: unknown;
    try {
      parseDeribitNotification(line, 12);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParseError);
    const message = (error as ParseError).message;
    expect(message.startsWith('line 12 ')).toBe(true);
    expect((error as ParseError).reason).toContain(field);
  });

  it('without onBadRecord the first bad line throws a ParseError naming its line and field', async () => {
    const path = writeTmp('bad.jsonl', [SNAPSHOT, '', BAD_LINES[12]![0], '{broken'].join('\n'));
    await expect(readAll(path)).rejects.toThrow(
      /^line 3 ".*": data\.bids\[0\]\[1\]: got "5042\.34", expected a finite number$/,
    );
  });

  it('with onBadRecord each bad line is reported and skipped, and still counted as a record', async () => {
    const lines = [SNAPSHOT, ...BAD_LINES.map(([l]) => l), SNAPSHOT];
    const path = writeTmp('bads.jsonl', lines.join('\n'));
    const bad: BadRecord[] = [];
    const records: number[] = [];
    const events = await readAll(path, {
      onBadRecord: (b: BadRecord) => bad.push(b),
      onRecord: (l: number, e: readonly MarketEvent[]) => records.push(l * 10 + e.length),
    });
    expect(events).toHaveLength(2);
    expect(bad.map((b) => b.lineNumber)).toEqual(BAD_LINES.map((_, i) => i + 2));
    bad.forEach((b, i) => {
      expect(b.message).toContain(BAD_LINES[i]![1]);
      expect(b.text).toBe(lines[i + 1]!.slice(0, 200));
    });
    expect(records).toEqual(lines.map((_, i) => (i + 1) * 10 + (i === 0 || i === lines.length - 1 ? 1 : 0)));
  });
});

describe('fuzz: random and corrupted lines', () => {
  // The market-data examples (account.jsonl holds the private channels, which this reader does not read).
  const valid = readdirSync(FIXTURES)
    .filter((n) => n.endsWith('.jsonl') && n !== 'account.jsonl')
    .flatMap((n) => readFileSync(fixture(n), 'utf8').split('\n'))
    .filter((l) => l.trim() !== '');

  /** Every path to a value inside a parsed line. */
  function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
    if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        const path = [...prefix, Array.isArray(value) ? Number(key) : key];
        out.push(path);
        paths((value as Record<string, unknown>)[key], path, out);
      }
    }
    return out;
  }

  function edit(
    line: string,
    pick: number,
    change: (parent: Record<string | number, unknown>, key: string | number) => void,
  ) {
    const value = JSON.parse(line) as Record<string, unknown>;
    const all = paths(value);
    const path = all[pick % all.length]!;
    let parent = value as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    change(parent, path[path.length - 1]!);
    return JSON.stringify(value);
  }

  const weird = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(-1, 0, 1e308, -1e308, 2 ** 53 + 2, 0.1, '', 'new', 'delete', null, [], {}),
  );
  const anyText = fc
    .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 })
    .map((codes) => String.fromCharCode(...codes));
  const line: fc.Arbitrary<string> = fc.oneof(
    // valid lines, unchanged
    { arbitrary: fc.constantFrom(...valid), weight: 2 },
    // truncation
    {
      arbitrary: fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([l, k]) => l.slice(0, k % l.length)),
      weight: 3,
    },
    // random characters (lone surrogates included) written over the line
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), fc.nat(), anyText)
        .map(([l, k, s]) => l.slice(0, k % l.length) + s + l.slice((k % l.length) + s.length)),
      weight: 3,
    },
    // random bytes (as Latin-1 text), random JSON
    { arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('latin1')), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 1 },
    // a field of a valid line replaced by a value of another type
    {
      arbitrary: fc.tuple(fc.constantFrom(...valid), fc.nat(), weird).map(([l, k, v]) =>
        edit(l, k, (p, key) => {
          p[key] = v;
        }),
      ),
      weight: 4,
    },
    // a field removed
    {
      arbitrary: fc.tuple(fc.constantFrom(...valid), fc.nat()).map(([l, k]) =>
        edit(l, k, (p, key) => {
          if (Array.isArray(p)) p.splice(Number(key), 1);
          else delete p[key];
        }),
      ),
      weight: 3,
    },
    // a number made huge or not representable
    {
      arbitrary: fc
        .tuple(
          fc.constantFrom(...valid),
          fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '1e-400'),
        )
        .map(([l, huge]) => l.replace(/(?<=[:,[])\d+(\.\d+)?(?=[,\]}])/, huge)),
      weight: 2,
    },
    // deep nesting where a value or the whole line should be (deeper still: the test below)
    {
      arbitrary: fc
        .tuple(fc.constantFrom(...valid), fc.integer({ min: 50, max: 2000 }))
        .map(([l, depth]) => l.replace(/"bids":/, `"bids":${'['.repeat(depth)}${']'.repeat(depth)},"x":`)),
      weight: 1,
    },
    {
      arbitrary: fc
        .integer({ min: 50, max: 2000 })
        .map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
      weight: 1,
    },
  );

  it('nesting deep enough to overflow a recursive walk is a bad record', () => {
    for (const depth of [20_000, 200_000]) {
      const withBids = valid.find((l) => l.includes('"bids":')) as string;
      const deepBids = withBids.replace(/"bids":/, `"bids":${'['.repeat(depth)}${']'.repeat(depth)},"x":`);
      const deepLine = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
      expect(() => parseDeribitNotification(deepBids, 1)).toThrow(ParseError);
      expect(() => parseDeribitNotification(deepLine, 1)).toThrow(ParseError);
      expect(() => parseDeribitNotification(JSON.parse(deepBids) as object, 1)).toThrow(ParseError);
    }
  });

  const BATCH = 500;
  const RUNS = 100; // 100 batches of 500 lines, twice: 100,000 lines in all

  it('without onBadRecord only ParseError is ever thrown', () => {
    fc.assert(
      fc.property(fc.array(line, { minLength: BATCH, maxLength: BATCH }), (lines) => {
        lines.forEach((l, i) => {
          try {
            parseDeribitNotification(l, i + 1);
          } catch (error) {
            if (!(error instanceof ParseError)) throw error;
            if (!error.message.startsWith(`line ${i + 1} `) || !/^[\w.[\]]+: ./.test(error.reason)) {
              throw new Error(`unclear error: ${error.message}`, { cause: error });
            }
          }
        });
      }),
      { numRuns: RUNS },
    );
  }, 20_000);

  it('through the reader with onBadRecord nothing is thrown and every bad line is reported with a message', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: BATCH, maxLength: BATCH }), async (generated) => {
        // One line per line: a line holding a newline is two records.
        const lines = generated.flatMap((l) => l.split(/\r?\n/));
        const path = writeTmp(`fuzz-${run++}.jsonl`, lines.join('\n'));
        const expectedBad: number[] = [];
        lines.forEach((l, i) => {
          if (l.trim() === '') return;
          try {
            parseDeribitNotification(l, i + 1);
          } catch {
            expectedBad.push(i + 1);
          }
        });
        const bad: BadRecord[] = [];
        let records = 0;
        await readAll(path, { onBadRecord: (b: BadRecord) => bad.push(b), onRecord: () => (records += 1) });
        expect(bad.map((b) => b.lineNumber)).toEqual(expectedBad);
        for (const b of bad) expect(b.message.length).toBeGreaterThan(0);
        expect(records).toBe(lines.filter((l) => l.trim() !== '').length);
      }),
      { numRuns: RUNS },
    );
  }, 30_000);
});
