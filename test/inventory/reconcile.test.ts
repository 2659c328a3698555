/**
 * Reconciliation with the venue's account snapshot, read from the venue's documented examples of
 * `private/get_account_summary` and `private/get_positions`
 * (test/fixtures/deribit-account/README.md), against ledgers built to match them or to differ.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/inventory/ledger.js';
import {
  halfUnitOfLastDecimal,
  parseAccountSnapshot,
  reconcile,
  VENUE_TOLERANCE,
} from '../../src/inventory/reconcile.js';
import { deposit, fill, m } from './helpers.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/deribit-account/${name}`, import.meta.url), 'utf8');

/** The documented summary and positions as JSON Lines: one snapshot file. */
const SNAPSHOT = [fixture('get_account_summary.json'), fixture('get_positions.json')]
  .map((text) => JSON.stringify(JSON.parse(text)))
  .join('\n');

const T0 = Date.UTC(2019, 11, 1);

/** A ledger that holds what the documented snapshot says: 302.60065765 BTC, long 50 USD of BTC-PERPETUAL at 7440.18. */
function matchingLedger(): Ledger {
  const ledger = new Ledger();
  ledger.apply(deposit('BTC', '302.60065765', T0));
  ledger.apply(fill('BTC-PERPETUAL', 'buy', 50, '7440.18', T0 + 1));
  return ledger;
}

describe('parseAccountSnapshot', () => {
  it('reads the documented account summary and positions', () => {
    const snapshot = parseAccountSnapshot(SNAPSHOT);
    expect(snapshot.atMs).toBeNull();
    expect(snapshot.summaries).toEqual([{ currency: 'BTC', balance: m('302.60065765') }]);
    expect(snapshot.positions).toEqual([
      { instrument: 'BTC-PERPETUAL', size: m(50), averagePrice: m('7440.18'), currency: 'BTC' },
    ]);
  });

  it('takes the time from the combined form, or from the response usOut', () => {
    const summary = JSON.parse(fixture('get_account_summary.json')) as unknown;
    const combined = JSON.stringify({ timestamp: T0, account_summary: summary });
    expect(parseAccountSnapshot(combined).atMs).toBe(T0);
    const withUsOut = JSON.stringify({ ...(summary as object), usOut: T0 * 1000 + 123 });
    expect(parseAccountSnapshot(withUsOut).atMs).toBe(T0);
  });

  it('signs a short by direction and refuses what is not a snapshot, naming the field', () => {
    const short = JSON.stringify({
      result: [{ instrument_name: 'BTC-PERPETUAL', size: -20, direction: 'sell', average_price: 7000 }],
    });
    expect(parseAccountSnapshot(short).positions[0]?.size).toBe(m(-20));
    expect(() => parseAccountSnapshot('{"result":{"foo":1}}')).toThrow(/result/);
    expect(() =>
      parseAccountSnapshot(
        JSON.stringify({ result: [{ instrument_name: 'NOPE', size: 1, average_price: 1 }] }),
      ),
    ).toThrow(/result\[0\]\.instrument_name/);
    expect(() => parseAccountSnapshot('{"result":{"currency":"BTC","balance":"x"}}')).toThrow(
      /result\.balance/,
    );
  });
});

describe('reconcile', () => {
  it('finds no difference when the ledger holds what the venue reports', () => {
    const report = reconcile(parseAccountSnapshot(SNAPSHOT), matchingLedger());
    expect(report.differences).toEqual([]);
    expect(report.compared).toEqual({ cash: 1, positions: 1, averagePrices: 1 });
    expect(report.currencies).toEqual(['BTC']);
  });

  it('reports cash beyond 10^-8, a missing or different position, an average price beyond the venue precision', () => {
    const ledger = new Ledger();
    ledger.apply(deposit('BTC', '302.60065767', T0)); // 2e-8 more than the venue, less the option premium 0.05
    ledger.apply(fill('BTC-PERPETUAL', 'buy', 40, '7440.19', T0 + 1)); // 40 at 7440.19, venue 50 at 7440.18
    ledger.apply(fill('BTC-27DEC19-8000-C', 'buy', 1, '0.05', T0 + 2, { timestampMs: T0 + 2 })); // venue has none
    ledger.apply(fill('ETH-PERPETUAL', 'buy', 10, '150', T0 + 3)); // ETH: not in the snapshot, not compared
    const report = reconcile(parseAccountSnapshot(SNAPSHOT), ledger);
    expect(report.differences).toEqual([
      {
        kind: 'cash',
        currency: 'BTC',
        ours: '302.55065767',
        venue: '302.60065765',
        difference: '-0.04999998',
        tolerance: '0.00000001',
      },
      {
        kind: 'position',
        currency: 'BTC',
        instrument: 'BTC-27DEC19-8000-C',
        ours: '1',
        venue: '0',
        difference: '1',
        tolerance: '0.00000001',
      },
      {
        kind: 'position',
        currency: 'BTC',
        instrument: 'BTC-PERPETUAL',
        ours: '40',
        venue: '50',
        difference: '-10',
        tolerance: '0.00000001',
      },
      {
        kind: 'average_price',
        currency: 'BTC',
        instrument: 'BTC-PERPETUAL',
        ours: '7440.19',
        venue: '7440.18',
        difference: '0.01',
        tolerance: '0.00500001',
      },
    ]);
  });

  it('cash within 10^-8 and an average price within half a unit of the venue last decimal are no differences', () => {
    const ledger = new Ledger();
    ledger.apply(deposit('BTC', '302.600657651', T0)); // 1e-9 off
    // 25 at 7440 and 25 at 7440.36: harmonic mean 7440.17999564..., the venue prints 7440.18.
    ledger.apply(fill('BTC-PERPETUAL', 'buy', 25, '7440', T0 + 1));
    ledger.apply(fill('BTC-PERPETUAL', 'buy', 25, '7440.36', T0 + 2));
    const average = ledger.position('BTC-PERPETUAL').averagePrice ?? 0n;
    expect(average).not.toBe(m('7440.18'));
    expect(reconcile(parseAccountSnapshot(SNAPSHOT), ledger).differences).toEqual([]);
  });

  it('states its tolerances', () => {
    expect(VENUE_TOLERANCE).toBe(m('0.00000001'));
    expect(halfUnitOfLastDecimal(m('7440.18'))).toBe(m('0.005'));
    expect(halfUnitOfLastDecimal(m('7440'))).toBe(m('0.5'));
    expect(halfUnitOfLastDecimal(m('0.1537'))).toBe(m('0.00005'));
  });
});

describe('parseAccountSnapshot, other documented shapes', () => {
  it('reads every currency of private/get_account_summaries and rounds a long average price', () => {
    // The shape of the documented get_account_summaries example (fields trimmed to those read).
    const summaries = JSON.stringify({
      jsonrpc: '2.0',
      id: 2515,
      result: {
        id: 10,
        summaries: [
          { currency: 'BTC', balance: 302.60065765, equity: 302.61869214 },
          { currency: 'ETH', balance: 100, equity: 100 },
        ],
      },
    });
    expect(parseAccountSnapshot(summaries).summaries).toEqual([
      { currency: 'BTC', balance: m('302.60065765') },
      { currency: 'ETH', balance: m(100) },
    ]);
    const positions =
      '{"result":[{"instrument_name":"BTC-PERPETUAL","size":50,"direction":"buy","average_price":7440.123456789012345}]}';
    expect(parseAccountSnapshot(positions).positions[0]?.averagePrice).toBe(m('7440.123456789012'));
  });
});
