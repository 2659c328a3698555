import { describe, expect, it } from 'vitest';
import { InstrumentCatalog } from '../../../src/model/instrument-catalog.js';
import { EXCHANGE_ACCOUNT } from '../../../src/sim/exchange/exchange.js';
import { FUTURE, PERP, T0, exchange, limit } from './helpers.js';

// DOMAIN.md: BTC options 0.0003 BTC per contract maker and taker, capped at 12.5% of the
// option price; BTC futures and perpetuals maker 0%, taker 0.05% of notional, in coin.
describe('fees', () => {
  it('option fee 0.0003 BTC per contract when under the cap, premium from buyer to seller', () => {
    const ex = exchange();
    ex.submit(limit('m', 'sell', 2, 0.05), T0);
    const fill = ex.submit(limit('t', 'buy', 2, 0.05), T0).fills[0];
    // cap = 0.125 x 0.05 = 0.00625 > 0.0003, so 2 x 0.0003 = 0.0006 each side
    expect(fill?.makerFee).toBeCloseTo(0.0006, 15);
    expect(fill?.takerFee).toBeCloseTo(0.0006, 15);
    expect(fill?.feeCurrency).toBe('BTC');
    expect(fill?.premium).toBeCloseTo(0.1, 15);
    expect(ex.balance('t', 'BTC')).toBeCloseTo(-0.1 - 0.0006, 15);
    expect(ex.balance('m', 'BTC')).toBeCloseTo(0.1 - 0.0006, 15);
    expect(ex.balance(EXCHANGE_ACCOUNT, 'BTC')).toBeCloseTo(0.0012, 15);
  });

  it('option fee capped at 12.5% of the premium for cheap options', () => {
    const ex = exchange();
    ex.submit(limit('m', 'sell', 1, 0.0015), T0);
    const fill = ex.submit(limit('t', 'buy', 1, 0.0015), T0).fills[0];
    // 0.125 x 0.0015 = 0.0001875 < 0.0003
    expect(fill?.takerFee).toBeCloseTo(0.0001875, 15);
    expect(fill?.makerFee).toBeCloseTo(0.0001875, 15);
  });

  it('future: maker 0, taker 0.05% of the USD notional in BTC at the trade price', () => {
    const ex = exchange();
    ex.submit({ participant: 'm', instrument: FUTURE, side: 'sell', amount: 1000, price: 50000 }, T0);
    const fill = ex.submit(
      { participant: 't', instrument: FUTURE, side: 'buy', amount: 1000, price: 50000 },
      T0,
    ).fills[0];
    // 0.0005 x 1000 USD / 50000 USD per BTC = 0.00001 BTC
    expect(fill?.takerFee).toBeCloseTo(0.00001, 18);
    expect(fill?.makerFee).toBe(0);
    expect(fill?.premium).toBe(0);
    expect(ex.balance('t', 'BTC')).toBeCloseTo(-0.00001, 18);
    expect(ex.position('t', FUTURE)).toBe(1000);
  });

  it('perpetual the same rates', () => {
    const ex = exchange();
    ex.submit({ participant: 'm', instrument: PERP, side: 'buy', amount: 100, price: 40000.5 }, T0);
    const fill = ex.submit(
      { participant: 't', instrument: PERP, side: 'sell', amount: 100, type: 'market' },
      T0,
    ).fills[0];
    expect(fill?.takerFee).toBeCloseTo((0.0005 * 100) / 40000.5, 18);
  });

  it('fee rates are configurable (weekly-future rebate shape: negative maker fee)', () => {
    const ex = exchange({
      fees: {
        inverseOption: { maker: 0.0003, taker: 0.0003, capShare: 0.125 },
        linearOption: { maker: 0.0001, taker: 0.0005, capShare: 0.125 },
        future: { maker: -0.0001, taker: 0.0005 },
        weeklyFuture: { maker: -0.0001, taker: 0.0005 },
        perpetual: { maker: 0, taker: 0.0005 },
        optionDelivery: { rate: 0.00015, capShare: 0.125 },
      },
    });
    ex.submit({ participant: 'm', instrument: FUTURE, side: 'sell', amount: 1000, price: 50000 }, T0);
    const fill = ex.submit(
      { participant: 't', instrument: FUTURE, side: 'buy', amount: 1000, price: 50000 },
      T0,
    ).fills[0];
    expect(fill?.makerFee).toBeCloseTo(-0.000002, 18);
    expect(ex.balance('m', 'BTC')).toBeCloseTo(0.000002, 18);
  });

  it('linear USDC option: 0.0001 x index maker, 0.0005 x index taker, per coin, capped at 12.5% of premium', () => {
    const catalog = new InstrumentCatalog();
    catalog.load({
      instrument_name: 'SOL_USDC-27DEC24-150-C',
      kind: 'option',
      base_currency: 'SOL',
      quote_currency: 'USDC',
      settlement_currency: 'USDC',
      expiration_timestamp: Date.UTC(2024, 11, 27, 8),
      strike: 150,
      option_type: 'call',
      contract_size: 10,
      min_trade_amount: 1,
      tick_size: 0.01,
    });
    const ex = exchange({ catalog, indexPrice: () => 150 });
    const req = (participant: string, side: 'buy' | 'sell', price: number) => ({
      participant,
      instrument: 'SOL_USDC-27DEC24-150-C',
      side,
      amount: 2,
      price,
    });
    ex.submit(req('m', 'sell', 5), T0);
    const fill = ex.submit(req('t', 'buy', 5), T0).fills[0];
    // maker min(0.0001 x 150, 0.125 x 5) = 0.015 USDC per SOL x 10 SOL x 2 contracts = 0.3
    expect(fill?.makerFee).toBeCloseTo(0.3, 12);
    // taker min(0.0005 x 150, 0.625) = 0.075 x 20 = 1.5
    expect(fill?.takerFee).toBeCloseTo(1.5, 12);
    expect(fill?.feeCurrency).toBe('USDC');
    expect(fill?.premium).toBeCloseTo(100, 12); // 5 USDC x 10 x 2
    ex.submit(req('m', 'sell', 0.2), T0);
    const cheap = ex.submit(req('t', 'buy', 0.2), T0).fills[0];
    // taker capped: 0.125 x 0.2 = 0.025 < 0.075, x 20 = 0.5; maker 0.015 < 0.025 stays 0.3
    expect(cheap?.takerFee).toBeCloseTo(0.5, 12);
    expect(cheap?.makerFee).toBeCloseTo(0.3, 12);
  });

  it('linear options need an index price for their fee', () => {
    const r = exchange().submit(
      { participant: 'a', instrument: 'SOL_USDC-27DEC24-150-C', side: 'buy', amount: 1, price: 5 },
      T0,
    );
    expect(r.order.rejectReason).toBe('invalid_or_unsupported_instrument');
  });
});
