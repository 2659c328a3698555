/**
 * Input checks shared by the volatility estimators (internal: not re-exported). Each throws an
 * `InputError` naming the field, the value and what was expected.
 */
import { InputError } from '../../model/errors.js';

/** A finite number. */
export function checkFinite(field: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(field, value, 'a finite number');
  }
}

/** A positive finite number. */
export function checkPositiveFinite(field: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) {
    throw new InputError(field, value, 'a positive finite number');
  }
}

/** An integer at least `min`. */
export function checkInteger(field: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InputError(field, value, `an integer >= ${min}`);
  }
}

/** An array-like of at least `min` entries. */
export function checkLength(field: string, values: ArrayLike<unknown>, min: number, what: string): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new InputError(field, values, `an array of ${what}`);
  }
  if (values.length < min) {
    throw new InputError(`${field}.length`, values.length, `at least ${min} ${what}`);
  }
}

/** Times (ms) that are finite and non-decreasing (equal times are allowed: trades share them). */
export function checkTimes(field: string, times: ArrayLike<number>): void {
  let previous = -Infinity;
  for (let i = 0; i < times.length; i++) {
    const t = times[i] as number;
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new InputError(`${field}[${i}]`, t, 'a finite time in ms');
    }
    if (t < previous) {
      throw new InputError(
        `${field}[${i}]`,
        t,
        `a time at or after the previous one (${previous}): sorted times`,
      );
    }
    previous = t;
  }
}
