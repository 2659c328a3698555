/**
 * Readers for the high-precision reference fixtures in `test/fixtures/pricing/`, written by
 * `scripts/reference/black76_reference.py` (mpmath, 100 digits; see its docstring for the
 * model, the case ranges and the meaning of every field). Reference values are 25-digit
 * decimal strings; `Number(s)` is the correctly rounded double of the reference (the generator
 * checks that the string and the full-precision value round to the same double).
 */
import { readFileSync } from 'node:fs';
import type { OptionKind } from '../../src/pricing/types.js';

const FIXTURE_DIR = new URL('../fixtures/pricing/', import.meta.url);

/** Machine epsilon as the test tolerances state it (2.2e-16, a shade below 2^-52). */
export const EPS = 2.2e-16;

export function readJsonl<T>(name: string): T[] {
  const text = readFileSync(new URL(name, FIXTURE_DIR), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURE_DIR), 'utf8')) as T;
}

/** One line of `black76-reference.jsonl`. */
export interface Black76Case {
  kind: OptionKind;
  forward: number;
  strike: number;
  expiry_years: number;
  vol: number;
  rate: number;
  price: string;
  delta: string;
  gamma: string;
  vega: string;
  theta: string;
  rho: string;
  vanna: string;
  volga: string;
  theta_scale: string;
  vanna_scale: string;
  volga_scale: string;
  iv_price: number;
  iv_bound_gap_ulps: number;
  iv_testable: boolean;
}

export type NormalLine =
  { fn: 'cdf'; x: number; cdf: string; pdf: string } | { fn: 'inv'; p: number; x: string };

export const GREEK_NAMES = ['price', 'delta', 'gamma', 'vega', 'theta', 'rho', 'vanna', 'volga'] as const;
export type GreekName = (typeof GREEK_NAMES)[number];

/** Relative error of `actual` against `expected` measured on `scale` (defaults to |expected|). */
export function relErr(actual: number, expected: number, scale = Math.abs(expected)): number {
  if (actual === expected) return 0;
  return Math.abs(actual - expected) / scale;
}

export function describeCase(c: Black76Case): string {
  return `${c.kind} F=${c.forward} K=${c.strike} T=${c.expiry_years} vol=${c.vol} r=${c.rate}`;
}

/**
 * The cases as the column APIs take them: `OptionColumns` (with `vol`) and `IvColumns` (with
 * `price`, the reference price rounded to a double) in one object.
 */
export function caseColumns(cases: readonly Black76Case[]): {
  isCall: Uint8Array;
  forward: Float64Array;
  strike: Float64Array;
  expiryYears: Float64Array;
  vol: Float64Array;
  rate: Float64Array;
  price: Float64Array;
} {
  return {
    isCall: Uint8Array.from(cases, (c) => (c.kind === 'call' ? 1 : 0)),
    forward: Float64Array.from(cases, (c) => c.forward),
    strike: Float64Array.from(cases, (c) => c.strike),
    expiryYears: Float64Array.from(cases, (c) => c.expiry_years),
    vol: Float64Array.from(cases, (c) => c.vol),
    rate: Float64Array.from(cases, (c) => c.rate),
    price: Float64Array.from(cases, (c) => c.iv_price),
  };
}
