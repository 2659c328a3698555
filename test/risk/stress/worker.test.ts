import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RiskMarket, RiskPosition } from '../../../src/risk/inputs.js';
import { createStressPool, stressGrid, type StressPool } from '../../../src/risk/stress/grid.js';
import { createRevaluer } from '../../../src/risk/stress/revalue.js';
import { bookOf, REFERENCE, referenceMarket } from './helpers.js';

const spots = Array.from({ length: 41 }, (_, i) => -0.5 + i * 0.025);
const shifts = Array.from({ length: 21 }, (_, j) => -0.5 + j * 0.05);

describe('stress worker pool', () => {
  let market: RiskMarket;
  let book: RiskPosition[];
  let pool: StressPool;
  beforeAll(async () => {
    market = await referenceMarket();
    book = await bookOf([
      ...REFERENCE.book,
      ...[...market.options.keys()]
        .slice(0, 60)
        .map((instrument, i) => ({ instrument, amount: (i % 7) - 3 })),
    ]);
    pool = await createStressPool({ workers: 2 });
  }, 30_000);
  afterAll(async () => {
    await pool?.close();
  });

  it('equals the single-thread grid exactly, for each vol model and with days', async () => {
    expect(pool.size).toBe(2);
    for (const volModel of ['sticky-strike', 'term-structure', 'sticky-moneyness'] as const) {
      const r = createRevaluer(book, market, { volModel });
      for (const days of [0, 1, 7]) {
        const single = stressGrid(r, spots, shifts, { days });
        const threaded = await pool.grid(r, spots, shifts, { days });
        expect(threaded).toStrictEqual(single);
      }
    }
    // Fewer rows than workers, and a book given as book + market.
    const one = await pool.grid({ book, market }, [0.1], [0, 0.1]);
    expect(one).toStrictEqual(stressGrid({ book, market }, [0.1], [0, 0.1]));
  }, 30_000);

  it('rejects a bad grid before posting it', async () => {
    await expect(pool.grid({ book, market }, [Number.NaN], [0])).rejects.toThrow(/spotShocks\[0\]/);
  });
});
