/**
 * Black-76 price and greeks against the mpmath reference (`black76-reference.jsonl`, 4000
 * cases: expiries 1 minute to 5 years, vols 1% to 500%, strikes to 8 standard deviations either
 * side of the forward, rates -1% to 15%; see `scripts/reference/black76_reference.py`).
 *
 * Tolerance 1e-12. Price, delta, gamma, vega and rho keep their sign over the whole domain, so
 * the bound is relative to the reference. Theta, vanna and volga cross zero (theta where r V
 * balances the time decay, vanna at d2 = 0, volga at d1 d2 = 0), where a relative bound asks
 * for digits that cancellation of their terms has already removed; those are bounded by 1e-12
 * times max(|reference|, scale), the scale being the sum of the sizes of the terms (the
 * generator's docstring derives each).
 *
 * Every case goes through the scalar `black76` and, as one batch, through `black76Columns`.
 */
import { describe, expect, it } from 'vitest';
import {
  allocateGreekColumns,
  black76,
  black76Columns,
  black76PriceColumns,
} from '../../src/pricing/black76.js';
import {
  caseColumns,
  type Black76Case,
  describeCase,
  GREEK_NAMES,
  type GreekName,
  readJsonl,
  relErr,
} from './reference-fixtures.js';

const TOL = 1e-12;
const cases = readJsonl<Black76Case>('black76-reference.jsonl');

const SCALED: Partial<Record<GreekName, 'theta_scale' | 'vanna_scale' | 'volga_scale'>> = {
  theta: 'theta_scale',
  vanna: 'vanna_scale',
  volga: 'volga_scale',
};

/** Error of one greek in units of its bound's denominator (|ref|, or max(|ref|, scale)). */
function greekError(c: Black76Case, name: GreekName, actual: number): number {
  const expected = Number(c[name]);
  const scaleField = SCALED[name];
  const scale =
    scaleField === undefined ? Math.abs(expected) : Math.max(Math.abs(expected), Number(c[scaleField]));
  return relErr(actual, expected, scale);
}

interface Tally {
  worst: Record<GreekName, { err: number; index: number }>;
  failures: string[];
}

function newTally(): Tally {
  const worst = {} as Tally['worst'];
  for (const name of GREEK_NAMES) worst[name] = { err: 0, index: -1 };
  return { worst, failures: [] };
}

function record(tally: Tally, i: number, name: GreekName, actual: number): void {
  const c = cases[i]!;
  const err = greekError(c, name, actual);
  const w = tally.worst[name];
  if (!(err <= w.err)) {
    w.err = err;
    w.index = i;
  }
  if (!(err <= TOL)) {
    tally.failures.push(
      `#${i} ${describeCase(c)}: ${name} ${actual} vs ${c[name]} (error ${err.toExponential(3)})`,
    );
  }
}

function report(title: string, tally: Tally): void {
  const rows = GREEK_NAMES.map((name) => {
    const w = tally.worst[name];
    const c = cases[w.index];
    return {
      greek: name,
      'worst error': w.err.toExponential(2),
      'of tolerance': (w.err / TOL).toFixed(4),
      case: c === undefined ? '' : `#${w.index} ${describeCase(c)}`,
    };
  });
  console.log(`${title}: ${cases.length} cases, ${tally.failures.length} failures`);
  console.table(rows);
}

describe('black76 against the mpmath reference', () => {
  it('has the full case set', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4000);
  });

  it('scalar black76: every greek within tolerance', () => {
    const tally = newTally();
    cases.forEach((c, i) => {
      const g = black76(c.kind, c.forward, c.strike, c.expiry_years, c.vol, c.rate);
      for (const name of GREEK_NAMES) record(tally, i, name, g[name]);
    });
    report('black76 (scalar)', tally);
    expect(tally.failures, tally.failures.slice(0, 20).join('\n')).toEqual([]);
  });

  it('black76Columns: every greek within tolerance, and the price-only columns agree', () => {
    const n = cases.length;
    const input = caseColumns(cases);
    const out = allocateGreekColumns(n);
    black76Columns(input, out);
    const priceOnly = new Float64Array(n);
    black76PriceColumns(input, priceOnly);

    const tally = newTally();
    const priceOnlyTally = newTally();
    let bitDifferences = 0;
    cases.forEach((c, i) => {
      const scalar = black76(c.kind, c.forward, c.strike, c.expiry_years, c.vol, c.rate);
      for (const name of GREEK_NAMES) {
        const v = out[name][i]!;
        record(tally, i, name, v);
        if (!Object.is(v, scalar[name])) bitDifferences++;
      }
      record(priceOnlyTally, i, 'price', priceOnly[i]!);
    });
    report('black76Columns', tally);
    console.log(
      `black76PriceColumns: worst price error ${priceOnlyTally.worst.price.err.toExponential(2)}; ` +
        `column values differing in any bit from the scalar ones: ${bitDifferences}`,
    );
    expect(tally.failures, tally.failures.slice(0, 20).join('\n')).toEqual([]);
    expect(priceOnlyTally.failures, priceOnlyTally.failures.slice(0, 20).join('\n')).toEqual([]);
  });

  it('black76Columns honours count and gives NaN out for NaN in', () => {
    const input = {
      isCall: Uint8Array.from([1, 0, 1]),
      forward: Float64Array.from([NaN, 100, 100]),
      strike: Float64Array.from([100, NaN, 100]),
      expiryYears: Float64Array.from([1, 1, 1]),
      vol: Float64Array.from([0.5, 0.5, 0.5]),
      rate: Float64Array.from([0, 0, 0]),
    };
    const out = {
      price: new Float64Array(3).fill(-1),
      delta: new Float64Array(3),
      gamma: new Float64Array(3),
      vega: new Float64Array(3),
      theta: new Float64Array(3),
      rho: new Float64Array(3),
      vanna: new Float64Array(3),
      volga: new Float64Array(3),
    };
    black76Columns(input, out, 2);
    for (const name of GREEK_NAMES) {
      expect(out[name][0], `${name} for NaN forward`).toBeNaN();
      expect(out[name][1], `${name} for NaN strike`).toBeNaN();
    }
    expect(out.price[2]).toBe(-1);
  });
});
