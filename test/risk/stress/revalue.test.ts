import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../../src/model/errors.js';
import { parseInstrumentName } from '../../../src/model/instrument-name.js';
import { black76Price } from '../../../src/pricing/black76.js';
import type { RiskMarket, RiskPosition } from '../../../src/risk/inputs.js';
import { stressGrid } from '../../../src/risk/stress/grid.js';
import { createRevaluer, VOL_FLOOR } from '../../../src/risk/stress/revalue.js';
import type { ChainQuote } from '../../../src/vol/chain.js';
import { VolSurface } from '../../../src/vol/surface.js';
import { bookOf, REFERENCE, referenceMarket, SNAPSHOT } from './helpers.js';
import { readRiskMarket } from '../../../src/risk/inputs.js';

const close = (a: number, b: number, tol = 1e-9): void => {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));
};

/** The USD value of `amount` contracts of the snapshot option `q` at a forward, time and vol. */
const valueOf = (q: ChainQuote, amount: number, forward: number, years: number, vol: number): number =>
  amount * black76Price(q.kind, forward, q.strike, years, vol, q.rate);

describe('full revaluation', () => {
  let market: RiskMarket;
  beforeAll(async () => {
    market = await referenceMarket();
  });

  it('prices each option exactly as black76Price does (the same doubles)', async () => {
    for (const name of ['BTC-26JUN20-10000-C', 'BTC-29MAY20-8000-P', 'BTC-25DEC20-3000-C']) {
      const q = market.options.get(name)!;
      const r = createRevaluer(await bookOf([{ instrument: name, amount: 1 }]), market);
      expect(r.baseValueUsd).toBe(
        black76Price(q.kind, q.forwardUsd, q.strike, q.yearsToExpiry, q.ivMark!, q.rate),
      );
      expect(r.valueUsd({ spot: { BTC: -0.3 }, volShift: 0.2, days: 2 })).toBe(
        black76Price(
          q.kind,
          q.forwardUsd * 0.7,
          q.strike,
          q.yearsToExpiry - 2 / 365,
          q.ivMark! + 0.2,
          q.rate,
        ),
      );
    }
  });

  it('floors a shocked vol at one vol point', async () => {
    const name = 'BTC-26JUN20-10000-C';
    const q = market.options.get(name)!;
    const r = createRevaluer(await bookOf([{ instrument: name, amount: 3 }]), market);
    const base = valueOf(q, 3, q.forwardUsd, q.yearsToExpiry, q.ivMark!);
    close(r.baseValueUsd, base);
    const floored = valueOf(q, 3, q.forwardUsd * 0.9, q.yearsToExpiry, VOL_FLOOR);
    close(r.pnlUsd({ spot: { BTC: -0.1 }, volShift: -5 }), floored - base);
    close(r.pnlUsd({ spot: { BTC: -0.1 }, volShift: -q.ivMark! }), floored - base);
    expect(VOL_FLOOR).toBe(0.01);
  });

  it('weights the vol shift by (30 / days)^power, days floored at 1', async () => {
    const names = ['BTC-22MAY20-9250-P', 'BTC-29MAY20-10000-C', 'BTC-25DEC20-14000-C'];
    const book = await bookOf(names.map((instrument, i) => ({ instrument, amount: i + 1 })));
    for (const power of [0.5, 0.3]) {
      const r = createRevaluer(book, market, { volModel: 'term-structure', termPower: power });
      let expected = 0;
      names.forEach((name, i) => {
        const q = market.options.get(name)!;
        const days = Math.max(q.yearsToExpiry * 365, 1);
        const weight = (30 / days) ** power;
        expected +=
          valueOf(q, i + 1, q.forwardUsd * 1.05, q.yearsToExpiry, q.ivMark! + 0.1 * weight) -
          valueOf(q, i + 1, q.forwardUsd, q.yearsToExpiry, q.ivMark!);
      });
      close(r.pnlUsd({ spot: { BTC: 0.05 }, volShift: 0.1 }), expected);
    }
    // The 22MAY20 line expires in under a day: its weight is (30 / 1)^0.5.
    const q = market.options.get(names[0]!)!;
    expect(q.yearsToExpiry * 365).toBeLessThan(1);
    const r = createRevaluer(await bookOf([{ instrument: names[0]!, amount: 1 }]), market, {
      volModel: 'term-structure',
    });
    close(
      r.pnlUsd({ spot: {}, volShift: 0.02 }),
      valueOf(q, 1, q.forwardUsd, q.yearsToExpiry, q.ivMark! + 0.02 * Math.sqrt(30)) - r.baseValueUsd,
    );
  });

  it('settles options whose expiry passes at intrinsic on the shocked forward; the others age', async () => {
    const positions = [
      { instrument: 'BTC-22MAY20-9000-C', amount: -15 },
      { instrument: 'BTC-22MAY20-9250-P', amount: 10 },
      { instrument: 'BTC-29MAY20-8000-P', amount: -20 },
      { instrument: 'BTC-26JUN20', amount: -150000 },
    ];
    const r = createRevaluer(await bookOf(positions), market);
    const c = market.options.get('BTC-22MAY20-9000-C')!;
    const p = market.options.get('BTC-22MAY20-9250-P')!;
    const w = market.options.get('BTC-29MAY20-8000-P')!;
    for (const [s, days] of [
      [0.1, 1],
      [-0.1, 1],
      [-0.2, 7],
    ] as const) {
      const settled =
        -15 * Math.max(c.forwardUsd * (1 + s) - 9000, 0) + 10 * Math.max(9250 - p.forwardUsd * (1 + s), 0);
      const aged = valueOf(w, -20, w.forwardUsd * (1 + s), w.yearsToExpiry - days / 365, w.ivMark!);
      close(r.valueUsd({ spot: { BTC: s }, volShift: 0, days }), settled + aged - 150000 * s);
    }
    // Past the 29MAY20 expiry too: the put settles at K - F'.
    close(
      r.valueUsd({ spot: { BTC: -0.2 }, volShift: 0.3, days: 8 }),
      -15 * 0 + 10 * (9250 - p.forwardUsd * 0.8) - 20 * Math.max(8000 - w.forwardUsd * 0.8, 0) + 30000,
    );
    // The grid with days equals the revaluer cell by cell.
    const g = stressGrid(r, [-0.1, 0.1], [0, 0.1], { days: 1 });
    expect(g.pnl_usd[1]![0]).toBe(r.pnlUsd({ spot: { BTC: 0.1 }, volShift: 0, days: 1 }));
  });

  it('an inverse future adds N x s USD and ignores vol and time', async () => {
    const r = createRevaluer(await bookOf([{ instrument: 'BTC-26JUN20', amount: 1000 }]), market);
    expect(r.baseValueUsd).toBe(0);
    // Coin P&L N (1/F - 1/F') at F' = F (1 + s), valued at F'.
    const f = market.futures.get('BTC-26JUN20')!.markPrice;
    const s = -0.15;
    close(
      r.pnlUsd({ spot: { BTC: s }, volShift: 0.4, days: 30 }),
      1000 * (1 / f - 1 / (f * (1 + s))) * f * (1 + s),
    );
    expect(r.pnlUsd({ spot: { ETH: 0.5 }, volShift: 0 })).toBe(0);
  });

  it('sticky-moneyness: the option takes the base smile vol of strike K/(1+s) (hand-computed SVI)', () => {
    const name = 'BTC-26JUN20-11000-C';
    const parsed = parseInstrumentName(name);
    if (parsed.kind !== 'option') throw new Error('option');
    const t = 30 / 365;
    const asOfMs = parsed.expiryMs - 30 * 86_400_000;
    const F = 10000;
    const svi = { a: 0.01, b: 0.1, rho: -0.5, m: 0.05, sigma: 0.2 };
    const surface = new VolSurface(asOfMs, [
      { expiryMs: parsed.expiryMs, yearsToExpiry: t, forward: F, svi },
    ]);
    // w(k) = a + b (rho (k - m) + sqrt((k - m)^2 + sigma^2)), vol = sqrt(w / t), k = ln(K / F).
    const handVol = (strike: number): number => {
      const x = Math.log(strike / F) - svi.m;
      return Math.sqrt((svi.a + svi.b * (svi.rho * x + Math.sqrt(x * x + svi.sigma * svi.sigma))) / t);
    };
    const quote = {
      instrumentName: name,
      kind: 'call',
      strike: 11000,
      expiryMs: parsed.expiryMs,
      timestampMs: asOfMs,
      yearsToExpiry: t,
      forwardUsd: F,
      rate: 0,
      markCoin: 0,
      ivMark: handVol(11000),
    } as ChainQuote;
    const m: RiskMarket = {
      options: new Map([[name, quote]]),
      futures: new Map(),
      index: new Map([['BTC', F]]),
      timestampMs: asOfMs,
      warnings: [],
    };
    const book: RiskPosition[] = [{ instrument: name, parsed, amount: 2, line: 1 }];
    const r = createRevaluer(book, m, { volModel: 'sticky-moneyness', surface });
    const base = 2 * black76Price('call', F, 11000, t, handVol(11000), 0);
    close(r.baseValueUsd, base);
    for (const [s, shift] of [
      [0.1, 0],
      [-0.2, 0.05],
      [0.2, -0.1],
    ] as const) {
      const vol = handVol(11000 / (1 + s)) + shift;
      close(
        r.pnlUsd({ spot: { BTC: s }, volShift: shift }),
        2 * black76Price('call', F * (1 + s), 11000, t, vol, 0) - base,
      );
    }
    // Sticky-strike on the same book keeps the vol at K.
    const ss = createRevaluer(book, m, { surface });
    close(
      ss.pnlUsd({ spot: { BTC: 0.1 }, volShift: 0 }),
      2 * black76Price('call', F * 1.1, 11000, t, handVol(11000), 0) - base,
    );
    const g = stressGrid(r, [0.1], [0]);
    expect(g.pnl_usd[0]![0]).toBe(r.pnlUsd({ spot: { BTC: 0.1 }, volShift: 0 }));
  });

  it('values a mark without implied vol at the fitted surface vol, named in warnings', async () => {
    // BTC-26JUN20-7000-C marked below intrinsic (~0.235 BTC at F ~ 9150).
    const name = 'BTC-26JUN20-7000-C';
    const lines = SNAPSHOT.split('\n').map((l) =>
      l.includes(`"${name}"`) ? l.replace(/"mark_price": [0-9.e-]+/, '"mark_price": 0.1') : l,
    );
    const m = await readRiskMarket(lines);
    const q = m.options.get(name)!;
    expect(q.ivMark).toBeNull();
    const r = createRevaluer(await bookOf([{ instrument: name, amount: 1 }]), m);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/BTC-26JUN20-7000-C: .*no implied vol.*fitted surface's vol/);
    expect(Number.isFinite(r.pnlUsd({ spot: { BTC: -0.1 }, volShift: 0.1 }))).toBe(true);
    expect(r.baseValueUsd).toBeGreaterThan(q.forwardUsd - 7000);
  }, 30_000);

  it('bad input: one clear error naming the line and field', async () => {
    const book = await bookOf(REFERENCE.book);
    expect(() => createRevaluer(book, market, { volModel: 'sticky-delta' as never })).toThrow(/volModel/);
    expect(() => createRevaluer(book, market, { termPower: -1 })).toThrow(/termPower/);
    expect(() => createRevaluer(book, market, { marks: 'mid' as never })).toThrow(/marks/);
    const missing = await bookOf([
      { instrument: 'BTC-26JUN20-10000-C', amount: 1 },
      { instrument: 'BTC-26JUN20-10250-C', amount: 1 },
    ]);
    expect(() => createRevaluer(missing, market)).toThrow(/book line 2: instrument/);
    expect(() => createRevaluer(missing, market)).toThrow(InputError);
    const r = createRevaluer(book, market);
    expect(() => stressGrid(r, [-1], [0])).toThrow(/spotShocks\[0\]/);
    expect(() => stressGrid(r, [0], [])).toThrow(/volShifts/);
    expect(() => stressGrid(r, [0], [Number.NaN])).toThrow(/volShifts\[0\]/);
    expect(() => stressGrid(r, [0], [0], { days: -1 })).toThrow(/days/);
    expect(() => r.pnlUsd({ spot: { BTC: -1.5 }, volShift: 0 })).toThrow(/scenario.spot.BTC/);
    expect(() => r.pnlUsd({ spot: {}, volShift: Infinity })).toThrow(/scenario.volShift/);
    expect(() => r.pnlUsd({ spot: {}, volShift: 0, days: -2 })).toThrow(/scenario.days/);
  });
});
