/**
 * The venue's worked examples, booked by the ledger. Each cites its page; where the page rounds
 * its own arithmetic loosely, the comparison is at the precision printed there.
 */
import { describe, expect, test } from 'vitest';
import { Ledger } from '../../src/inventory/ledger.js';
import { formatMoney, inverseFuturePnl, mulDivMoney } from '../../src/inventory/money.js';
import { delivery, deposit, fill, funding, m, settlement } from './helpers.js';

const EXPIRY = Date.UTC(2026, 11, 25, 8); // 25DEC26, a Friday, 08:00 UTC
const DAY = 86_400_000;
const T0 = EXPIRY - 30 * DAY;
const FUTURE = 'BTC-25DEC26';

describe('inverse future (Deribit "Example (futures)", deribit.com/docs/example-futures)', () => {
  // 100 contracts of 10 USD bought at 600 and sold at 700: 1000/600 - 1000/700 = 0.238095 BTC;
  // both taker: 2 x 0.05% of 1000 USD, debited in BTC: 0.5/600 + 0.5/700.
  test('1000 USD long from 600 to 700 earns 0.238095 BTC, booked to cash at settlement', () => {
    const feeOpen = mulDivMoney(m('0.0005'), m(1000), m(600));
    const feeClose = mulDivMoney(m('0.0005'), m(1000), m(700));
    const ledger = new Ledger();
    ledger.apply(fill(FUTURE, 'buy', 1000, 600, T0, { fee: feeOpen }));
    ledger.apply(fill(FUTURE, 'sell', 1000, 700, T0 + 1000, { fee: feeClose }));
    const position = ledger.position(FUTURE);
    expect(position.amount).toBe(0n);
    expect(formatMoney(position.realizedPnl, 6)).toBe('0.238095');
    expect(position.realizedPnl).toBe(inverseFuturePnl(m(1000), m(600), m(700)));
    // The session P&L stays out of cash until the daily settlement.
    expect(ledger.cash().BTC).toBe(-(feeOpen + feeClose));
    ledger.apply(settlement(FUTURE, 700, T0 + DAY));
    expect(formatMoney(ledger.cash().BTC ?? 0n, 12)).toBe('0.236547619048');
    // The page prints the fee as 0.00154755 (it rounds 0.5/700 to 0.00071425); exactly it is 0.0015476190...
    expect(formatMoney(ledger.feesPaid().BTC ?? 0n, 4)).toBe(formatMoney(m('0.00154755'), 4));
    expect(formatMoney(feeOpen + feeClose, 10)).toBe('0.0015476190');
  });
});

describe('fees (Deribit support "Fees")', () => {
  test('futures: 0.05% taker of a 50,000 USD trade at 100,000 is 0.00025 BTC; weekly maker rebate 0.01% of 10,000 USD is 0.00001 BTC', () => {
    expect(formatMoney(mulDivMoney(m('0.0005'), m(50_000), m(100_000)))).toBe('0.00025');
    expect(formatMoney(mulDivMoney(m('-0.0001'), m(10_000), m(100_000)))).toBe('-0.00001');
  });

  test('a rebate (negative fee) adds to cash; fees paid count it negative', () => {
    const ledger = new Ledger();
    ledger.apply(fill(FUTURE, 'buy', 10_000, 100_000, T0, { fee: m('-0.00001'), liquidity: 'maker' }));
    expect(ledger.cash().BTC).toBe(m('0.00001'));
    expect(ledger.feesPaid().BTC).toBe(m('-0.00001'));
  });
});

describe('inverse options (Deribit support "Inverse Options")', () => {
  const CALL = 'BTC-25DEC26-100000-C';

  test('a 100,000 call bought for 0.05 BTC, delivered at 125,000 in cash, settles 0.2 BTC: profit 0.15 BTC', () => {
    const ledger = new Ledger();
    ledger.apply(deposit('BTC', 1, T0 - 1));
    ledger.apply(fill(CALL, 'buy', 1, '0.05', T0));
    expect(ledger.cash().BTC).toBe(m('0.95')); // the premium leaves cash at trade time
    expect(ledger.position(CALL).averagePrice).toBe(m('0.05'));
    ledger.apply(delivery(CALL, 125_000, EXPIRY));
    expect(ledger.cash().BTC).toBe(m('1.15'));
    expect(ledger.position(CALL).realizedPnl).toBe(m('0.15'));
    expect(ledger.position(CALL).amount).toBe(0n);
  });

  test('since 2026 the same call settles into BTC-25DEC26 at the strike, which delivers at 125,000: same cash and P&L', () => {
    const cashPath = new Ledger();
    const physicalPath = new Ledger();
    for (const ledger of [cashPath, physicalPath]) ledger.apply(fill(CALL, 'buy', 1, '0.05', T0));
    cashPath.apply(delivery(CALL, 125_000, EXPIRY, 'cash'));
    physicalPath.apply(delivery(CALL, 125_000, EXPIRY, 'physical'));
    // One contract (1 BTC) of a 100,000 call becomes 100,000 USD long of the future at 100,000.
    expect(physicalPath.position(FUTURE).amount).toBe(m(100_000));
    expect(physicalPath.position(FUTURE).averagePrice).toBe(m(100_000));
    physicalPath.apply(delivery(FUTURE, 125_000, EXPIRY + 1));
    expect(physicalPath.position(FUTURE).amount).toBe(0n);
    expect(physicalPath.cash()).toEqual(cashPath.cash());
    expect(physicalPath.cash().BTC).toBe(m('0.15'));
    const total = (ledger: Ledger): bigint => Object.values(ledger.realizedPnl()).reduce((a, b) => a + b, 0n);
    expect(total(physicalPath)).toBe(total(cashPath));
  });

  test('physical delivery nets with a short future position already held (one delivery of the net)', () => {
    const ledger = new Ledger();
    ledger.apply(fill(CALL, 'buy', 2, '0.05', T0));
    ledger.apply(fill(FUTURE, 'sell', 200_000, 100_000, T0 + 1));
    ledger.apply(delivery(CALL, 125_000, EXPIRY, 'physical'));
    expect(ledger.position(FUTURE).amount).toBe(0n);
    // Short 200,000 at 100,000 and long 200,000 at the strike 100,000: nothing left to deliver.
    ledger.apply(delivery(FUTURE, 125_000, EXPIRY));
    expect(ledger.cash().BTC).toBe(m('-0.1'));
  });

  test('a 300 put delivered at 200 pays 0.5 BTC per contract (Deribit "Options explained")', () => {
    const PUT = 'BTC-25DEC26-300-P';
    const ledger = new Ledger();
    ledger.apply(fill(PUT, 'sell', 2, '0.1', T0));
    ledger.apply(delivery(PUT, 200, EXPIRY, 'cash', '0.0003'));
    expect(ledger.cash().BTC).toBe(m('0.2') - m(1) - m('0.0003'));
    const physical = new Ledger();
    physical.apply(fill(PUT, 'sell', 2, '0.1', T0));
    physical.apply(delivery(PUT, 200, EXPIRY, 'physical', '0.0003'));
    expect(physical.position(FUTURE).amount).toBe(m(600)); // short put -> long 2 x 300 USD
    physical.apply(delivery(FUTURE, 200, EXPIRY));
    expect(physical.cash()).toEqual(ledger.cash());
  });

  test('an out-of-the-money option expires worthless either way', () => {
    const ledger = new Ledger();
    ledger.apply(fill(CALL, 'buy', 1, '0.05', T0));
    ledger.apply(delivery(CALL, 90_000, EXPIRY, 'physical'));
    expect(ledger.position(FUTURE).amount).toBe(0n);
    expect(ledger.cash().BTC).toBe(m('-0.05'));
    expect(ledger.position(CALL).realizedPnl).toBe(m('-0.05'));
  });
});

describe('daily settlement (Deribit futures contract specifications: session P&L booked to cash at 08:00 UTC)', () => {
  test('the session P&L moves to cash and the next session starts from the settlement price', () => {
    const ledger = new Ledger();
    const PERP = 'BTC-PERPETUAL';
    ledger.apply(fill(PERP, 'buy', 1000, 600, T0));
    ledger.apply(settlement(PERP, 650, T0 + DAY));
    expect(ledger.cash().BTC).toBe(inverseFuturePnl(m(1000), m(600), m(650)));
    expect(ledger.position(PERP).averagePrice).toBe(m(600)); // the entry price is kept
    ledger.apply(fill(PERP, 'sell', 1000, 700, T0 + DAY + 1));
    expect(ledger.position(PERP).sessionRealizedPnl).toBe(inverseFuturePnl(m(1000), m(650), m(700)));
    ledger.apply(settlement(PERP, 710, T0 + 2 * DAY));
    const cash = ledger.cash().BTC ?? 0n;
    const whole = inverseFuturePnl(m(1000), m(600), m(700));
    expect(cash - whole <= 1n && whole - cash <= 1n).toBe(true); // one unit of 10^-12 for two roundings
    expect(ledger.position(PERP).realizedPnl).toBe(whole);
  });
});

describe('funding (Deribit support "Funding Specifications", "Inverse perpetual")', () => {
  test('funding accrues to the session realized P&L and reaches cash at the settlement', () => {
    // Payment = funding rate x position x time fraction (elapsed / 8 h); with the mark 0.1% over
    // the index the rate is 0.1% - 0.025% (damper) = 0.075% per 8 h; a long of 100,000 USD at an
    // index of 100,000 (1 BTC) over 8 hours pays 0.00075 BTC.
    const paid = mulDivMoney(m('0.00075'), m(100_000), m(100_000));
    expect(paid).toBe(m('0.00075'));
    const ledger = new Ledger();
    const PERP = 'BTC-PERPETUAL';
    ledger.apply(fill(PERP, 'buy', 100_000, 100_000, T0));
    ledger.apply(funding(PERP, formatMoney(-paid), T0 + 8 * 3_600_000));
    expect(ledger.cash().BTC ?? 0n).toBe(0n);
    expect(ledger.fundingReceived().BTC).toBe(-paid);
    ledger.apply(settlement(PERP, 100_000, T0 + DAY));
    expect(ledger.cash().BTC).toBe(-paid);
  });
});
