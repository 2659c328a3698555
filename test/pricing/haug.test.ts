/**
 * Published European option values and greeks from E. G. Haug, "The Complete Guide to Option
 * Pricing Formulas" (McGraw-Hill, first edition), as listed by QuantLib's European option test
 * suite (`test-suite/europeanoption.cpp`, testValues and testGreekValues), with that suite's
 * tolerance of 1e-4 absolute (the published figures have four decimals). Page numbers and the
 * conversion are in `test/fixtures/pricing/haug-values.json`.
 *
 * The book prices on spot S with dividend yield q; that is Black-76 with F = S e^{(r-q)T} and
 * discount e^{-rT}. Its greeks hold S fixed where ours hold F fixed: vega maps directly, and the
 * others are the combinations of our forward greeks given in the fixture's `fromBlack76`.
 */
import { describe, expect, it } from 'vitest';
import { black76 } from '../../src/pricing/black76.js';
import type { Black76Greeks, OptionKind } from '../../src/pricing/types.js';
import { readJson } from './reference-fixtures.js';

interface HaugEntry {
  page: string;
  kind: OptionKind;
  spot: number;
  strike: number;
  dividendYield: number;
  rate: number;
  expiryYears: number;
  vol: number;
  expected: number;
  tolerance: number;
  greek?: string;
}

const haug = readJson<{ values: HaugEntry[]; greeks: HaugEntry[] }>('haug-values.json');

function forwardOf(e: HaugEntry): number {
  return e.spot * Math.exp((e.rate - e.dividendYield) * e.expiryYears);
}

function priceOf(e: HaugEntry): { forward: number; g: Black76Greeks } {
  const forward = forwardOf(e);
  return { forward, g: black76(e.kind, forward, e.strike, e.expiryYears, e.vol, e.rate) };
}

/** The spot-model greek Haug publishes, from our forward greeks (see the fixture). */
function spotGreek(e: HaugEntry): number {
  const { forward: F, g } = priceOf(e);
  const S = e.spot;
  const T = e.expiryYears;
  const carry = e.rate - e.dividendYield;
  const thetaSpot = g.theta - carry * F * g.delta;
  switch (e.greek) {
    case 'delta':
      return (g.delta * F) / S;
    case 'elasticity':
      return (g.delta * F) / g.price;
    case 'gamma':
      return g.gamma * (F / S) ** 2;
    case 'vega':
      return g.vega;
    case 'theta':
      return thetaSpot;
    case 'thetaPerDay':
      return thetaSpot / 365;
    case 'rho':
      return g.rho + T * F * g.delta;
    case 'dividendRho':
      return -T * F * g.delta;
    default:
      throw new Error(`unknown greek ${String(e.greek)} in haug-values.json`);
  }
}

function label(e: HaugEntry): string {
  return `p. ${e.page} ${e.kind} S=${e.spot} K=${e.strike} q=${e.dividendYield} r=${e.rate} T=${e.expiryYears} vol=${e.vol}`;
}

describe("Haug's published values", () => {
  it('has the 43 values and 11 greek examples', () => {
    expect(haug.values.length).toBe(43);
    expect(haug.greeks.length).toBe(11);
  });

  for (const e of haug.values) {
    it(`value ${label(e)} = ${e.expected}`, () => {
      const { g } = priceOf(e);
      expect(Math.abs(g.price - e.expected), `got ${g.price}`).toBeLessThanOrEqual(e.tolerance);
    });
  }

  for (const e of haug.greeks) {
    it(`${e.greek} ${label(e)} = ${e.expected}`, () => {
      const got = spotGreek(e);
      expect(Math.abs(got - e.expected), `got ${got}`).toBeLessThanOrEqual(e.tolerance);
    });
  }
});
