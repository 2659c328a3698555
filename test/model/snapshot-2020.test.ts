import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InstrumentCatalog, formatInstrumentName, parseInstrumentName } from '../../src/model/index.js';

// Extract of the 2020-05-21 BTC option snapshot (see test/fixtures/deribit-instruments/README.md).
interface Row {
  instrument_name: string;
  option_type: string;
  strike: number;
  expiration_timestamp: number;
  timestamp: number;
  mark_price: number;
  best_bid_price: number;
  best_ask_price: number;
  bids: [number, number][];
  asks: [number, number][];
  min_price: number;
  max_price: number;
  last_price: number | null;
  settlement_price: number | null;
}

const readRows = (path: string): Row[] =>
  readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);

const rows = readRows(
  fileURLToPath(
    new URL('../fixtures/deribit-instruments/btc-options-2020-05-21-names-prices.jsonl', import.meta.url),
  ),
);

describe('2020-05-21 BTC option snapshot', () => {
  it('has the 326 instruments of the snapshot', () => {
    expect(rows).toHaveLength(326);
    expect(new Set(rows.map((row) => row.instrument_name)).size).toBe(326);
  });

  it('every name parses, round-trips, and agrees with the venue fields', () => {
    for (const row of rows) {
      const parsed = parseInstrumentName(row.instrument_name);
      expect(formatInstrumentName(parsed)).toBe(row.instrument_name);
      expect(parsed).toMatchObject({
        kind: 'option',
        base: 'BTC',
        settlement: 'inverse',
        expiryMs: row.expiration_timestamp,
        strike: row.strike,
        optionType: row.option_type,
      });
    }
  });

  it('every book, trade and band price is a multiple of the 0.0005 tick of the time', () => {
    const catalog = new InstrumentCatalog();
    let checked = 0;
    for (const row of rows) {
      const ticks = catalog.ticks(row.instrument_name);
      const prices = [
        row.best_bid_price,
        row.best_ask_price,
        row.min_price,
        row.max_price,
        row.last_price,
        row.settlement_price,
        ...row.bids.map(([price]) => price),
        ...row.asks.map(([price]) => price),
      ].filter((price): price is number => typeof price === 'number' && price > 0);
      for (const price of prices) {
        expect(ticks.tickAt(price, row.timestamp)).toBe(0.0005);
        if (!ticks.isOnTick(price, row.timestamp))
          throw new Error(`${row.instrument_name}: ${price} is off tick`);
        checked++;
      }
    }
    expect(checked).toBe(4567);
  });

  it('marks are model values, not order prices: most are off the tick', () => {
    const catalog = new InstrumentCatalog();
    const offTick = rows.filter(
      (row) => !catalog.ticks(row.instrument_name).isOnTick(row.mark_price, row.timestamp),
    );
    expect(offTick.length).toBeGreaterThan(rows.length / 2);
  });

  // When the chain work has copied the full snapshot into the repository, the extract must match it.
  const fullSnapshot = fileURLToPath(
    new URL('../../data/deribit/btc-options-2020-05-21.jsonl', import.meta.url),
  );
  it.skipIf(!existsSync(fullSnapshot))('matches data/deribit/btc-options-2020-05-21.jsonl', () => {
    const full = readRows(fullSnapshot);
    expect(full.map((row) => row.instrument_name)).toEqual(rows.map((row) => row.instrument_name));
    expect(full.map((row) => row.expiration_timestamp)).toEqual(rows.map((row) => row.expiration_timestamp));
    expect(full.map((row) => row.bids)).toEqual(rows.map((row) => row.bids));
  });
});
