/**
 * Plain decimal text for venue numbers (strikes, tick sizes). JavaScript prints very small or
 * very large numbers in exponent form (`1e-7`); venue names and tick arithmetic need the
 * positional form (`0.0000001`), and the shortest one that reads back to the same double.
 */

/**
 * The shortest positional decimal text that parses back to `value` (no exponent, no sign for
 * zero, no trailing zeros). Throws `RangeError` for non-finite input or magnitudes >= 1e21,
 * which have no exact shortest positional form in JavaScript.
 */
export function plainDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${String(value)}`);
  if (Math.abs(value) >= 1e21) throw new RangeError(`too large for positional form: ${String(value)}`);
  if (value === 0) return '0';
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (match === null) return text;
  const sign = match[1] ?? '';
  const digits = (match[2] ?? '') + (match[3] ?? '');
  const exponent = Number(match[4]);
  // value = 0.<digits> x 10^(exponent + 1); only negative exponents reach here (|value| < 1e21).
  const pointAt = exponent + 1;
  if (pointAt <= 0) return `${sign}0.${'0'.repeat(-pointAt)}${digits}`;
  if (pointAt >= digits.length) return `${sign}${digits}${'0'.repeat(pointAt - digits.length)}`;
  return `${sign}${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
}

/** Number of digits after the decimal point in `plainDecimal(value)` (0 for integers). */
export function decimalPlaces(value: number): number {
  const text = plainDecimal(value);
  const point = text.indexOf('.');
  return point < 0 ? 0 : text.length - point - 1;
}
