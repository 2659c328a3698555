/**
 * Implied volatility against the mpmath reference (`black76-reference.jsonl`): for every case
 * whose reference price, rounded to a double (`iv_price`), lies strictly inside the attainable
 * range (`iv_testable`, decided exactly by the generator), the solver must recover the case's
 * vol from that double.
 *
 * Tolerance: |vol - true vol| <= 1e-12 vol + 8 * 2.2e-16 * price / vega (price and vega from
 * the reference). The second term is the attainable precision: the input price is itself only
 * known to half an ulp, and an error dp in the price is an error dp / vega in the vol, so no
 * solver can do better than about eps * price / vega where vega is small (deep in or out of
 * the money, very short expiries); eight of those leave room for the rounding inside the
 * solver's own price evaluations. The generator solves for the exact implied vol of each
 * rounded price and checks it lies within a quarter of this tolerance of the case's vol, so the
 * bound never asks for more than the price carries. Jäckel's method must get there in at most
 * two iterations.
 *
 * Prices within 2 ulps of a bound of the attainable range (a time value below the rounding of
 * D (F - K), or D K - price below an ulp) are not `iv_testable`: there the double does not
 * determine a vol (one ulp less, or more, has none, and the discount factor e^{-rT} is itself a
 * rounded double that moves the bound by about as much). For those the solver must still answer
 * sanely: either a vol whose Black-76 price is the input price to within 4 ulps, or an
 * `InputError` on `price`.
 */
import { describe, expect, it } from 'vitest';
import { black76Price } from '../../src/pricing/black76.js';
import { impliedVolColumns, impliedVolWithIterations } from '../../src/pricing/implied-vol.js';
import { InputError } from '../../src/model/errors.js';
import { type Black76Case, caseColumns, describeCase, EPS, readJsonl } from './reference-fixtures.js';

const cases = readJsonl<Black76Case>('black76-reference.jsonl');
const testable = cases.filter((c) => c.iv_testable);

/**
 * Distance of the price from the nearer end of the attainable range, in ulps of the price
 * (double arithmetic: for the report only; the fixture's `iv_testable` is decided exactly).
 */
function ulpsFromBounds(c: Black76Case): number {
  const discount = Math.exp(-c.rate * c.expiry_years);
  const call = c.kind === 'call';
  const lower = discount * Math.max(call ? c.forward - c.strike : c.strike - c.forward, 0);
  const upper = discount * (call ? c.forward : c.strike);
  const ulp = c.iv_price * EPS;
  return Math.min(c.iv_price - lower, upper - c.iv_price) / ulp;
}

function tolerance(c: Black76Case): number {
  return 1e-12 * c.vol + (8 * EPS * Number(c.price)) / Number(c.vega);
}

interface Worst {
  units: number;
  absolute: number;
  c: Black76Case | undefined;
}

function describeWorst(label: string, w: Worst): string {
  const where = w.c === undefined ? '' : ` at ${describeCase(w.c)}`;
  return `${label}: worst error ${w.units.toFixed(4)} of the tolerance (|dvol| = ${w.absolute.toExponential(2)})${where}`;
}

describe('impliedVol against the mpmath reference', () => {
  it('has enough testable cases', () => {
    expect(testable.length).toBeGreaterThan(3500);
  });

  it('impliedVolWithIterations recovers the vol within tolerance in at most 2 iterations', () => {
    const failures: string[] = [];
    const worst: Worst = { units: 0, absolute: 0, c: undefined };
    const passing: Worst = { units: 0, absolute: 0, c: undefined };
    const awayFromBounds: Worst = { units: 0, absolute: 0, c: undefined };
    const iterationCounts = new Map<number, number>();
    for (const c of testable) {
      let result: { vol: number; iterations: number };
      try {
        result = impliedVolWithIterations(c.kind, c.iv_price, c.forward, c.strike, c.expiry_years, c.rate);
      } catch (e) {
        failures.push(`${describeCase(c)} price=${c.iv_price}: threw ${String(e)}`);
        Object.assign(worst, { units: Infinity, absolute: NaN, c });
        continue;
      }
      iterationCounts.set(result.iterations, (iterationCounts.get(result.iterations) ?? 0) + 1);
      const err = Math.abs(result.vol - c.vol);
      const units = Number.isNaN(err) ? Infinity : err / tolerance(c);
      if (units > worst.units) Object.assign(worst, { units, absolute: err, c });
      if (units <= 1 && units > passing.units) Object.assign(passing, { units, absolute: err, c });
      if (ulpsFromBounds(c) > 4 && units > awayFromBounds.units)
        Object.assign(awayFromBounds, { units, absolute: err, c });
      if (!(units <= 1)) {
        const gap = ulpsFromBounds(c).toPrecision(3);
        failures.push(
          `${describeCase(c)} price=${c.iv_price} (~${gap} ulps from a bound): vol ${result.vol}, error ${units.toFixed(3)} tolerances`,
        );
      }
      if (!(result.iterations <= 2)) failures.push(`${describeCase(c)}: ${result.iterations} iterations`);
    }
    console.log(`${testable.length} testable cases of ${cases.length}`);
    console.log(describeWorst('impliedVolWithIterations', worst));
    console.log(describeWorst('impliedVolWithIterations, among the cases within tolerance', passing));
    console.log(
      describeWorst('impliedVolWithIterations, price more than 4 ulps from both bounds', awayFromBounds),
    );
    console.log(
      'iterations used:',
      [...iterationCounts.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
    );
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
  });

  it('impliedVolColumns gives the same', () => {
    const n = testable.length;
    const input = caseColumns(testable);
    const out = new Float64Array(n);
    impliedVolColumns(input, out);
    const failures: string[] = [];
    const worst: Worst = { units: 0, absolute: 0, c: undefined };
    const passing: Worst = { units: 0, absolute: 0, c: undefined };
    let bitDifferences = 0;
    testable.forEach((c, i) => {
      const v = out[i]!;
      const err = Math.abs(v - c.vol);
      const units = Number.isNaN(err) ? Infinity : err / tolerance(c);
      if (units > worst.units) Object.assign(worst, { units, absolute: err, c });
      if (units <= 1 && units > passing.units) Object.assign(passing, { units, absolute: err, c });
      if (!(units <= 1))
        failures.push(`${describeCase(c)} price=${c.iv_price}: column vol ${v}, error ${units} tolerances`);
      let scalar = NaN;
      try {
        scalar = impliedVolWithIterations(
          c.kind,
          c.iv_price,
          c.forward,
          c.strike,
          c.expiry_years,
          c.rate,
        ).vol;
      } catch {
        // the scalar test reports it; here only the column result is judged
      }
      if (!Object.is(scalar, v)) bitDifferences++;
    });
    console.log(describeWorst('impliedVolColumns', worst));
    console.log(describeWorst('impliedVolColumns, among the cases within tolerance', passing));
    console.log(`column vols differing in any bit from the scalar ones: ${bitDifferences}`);
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
  });

  it('answers sanely where the price lies within 2 ulps of a bound', () => {
    const nearBound = cases.filter((c) => !c.iv_testable && c.iv_bound_gap_ulps > 0);
    expect(nearBound.length).toBeGreaterThan(20);
    const failures: string[] = [];
    let refused = 0;
    for (const c of nearBound) {
      let vol: number;
      try {
        vol = impliedVolWithIterations(c.kind, c.iv_price, c.forward, c.strike, c.expiry_years, c.rate).vol;
      } catch (e) {
        if (e instanceof InputError && e.field === 'price') refused++;
        else failures.push(`${describeCase(c)}: threw ${String(e)}`);
        continue;
      }
      const repriced =
        vol === 0
          ? Math.exp(-c.rate * c.expiry_years) *
            Math.max(c.kind === 'call' ? c.forward - c.strike : c.strike - c.forward, 0)
          : black76Price(c.kind, c.forward, c.strike, c.expiry_years, vol, c.rate);
      const ulps = Math.abs(repriced - c.iv_price) / (EPS * c.iv_price);
      if (!(vol >= 0 && ulps <= 4))
        failures.push(`${describeCase(c)}: vol ${vol} reprices ${ulps} ulps away`);
    }
    console.log(
      `${nearBound.length} prices within 2 ulps of a bound: ${refused} refused, the rest reprice within 4 ulps`,
    );
    expect(failures, failures.slice(0, 20).join('\n')).toEqual([]);
  });

  it('impliedVolColumns writes NaN where no implied vol exists and honours count', () => {
    const input = {
      isCall: Uint8Array.from([1, 0, 1, 1, 1]),
      // above D F; above D K; negative; NaN; untouched (beyond count)
      price: Float64Array.from([101, 120, -1, NaN, 5]),
      forward: Float64Array.from([100, 100, 100, 100, 100]),
      strike: Float64Array.from([100, 110, 100, 100, 100]),
      expiryYears: Float64Array.from([1, 1, 1, 1, 1]),
      rate: Float64Array.from([0, 0, 0, 0, 0]),
    };
    const out = new Float64Array(5).fill(-1);
    impliedVolColumns(input, out, 4);
    for (let i = 0; i < 4; i++) expect(out[i], `row ${i}`).toBeNaN();
    expect(out[4]).toBe(-1);
  });
});
