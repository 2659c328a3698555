/**
 * Typed errors for bad input. Every error names the field, the value it was given and what
 * was expected, so the CLI can print one clear line and a caller can tell what to fix.
 */
export class BallastError extends Error {
  override name = 'BallastError';
}

/** An input value that cannot be used: names the field, the value and what was expected. */
export class InputError extends BallastError {
  override name = 'InputError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}: ${describeValue(value)}, expected ${expected}`);
  }
}

/** A name or identifier that does not parse; quotes the offending text. */
export class ParseError extends BallastError {
  override name = 'ParseError';
  constructor(
    readonly what: string,
    readonly text: string,
    readonly reason: string,
  ) {
    super(`${what} ${JSON.stringify(text)}: ${reason}`);
  }
}

/** Something recognised but deliberately not supported yet (for example combo instruments). */
export class UnsupportedError extends BallastError {
  override name = 'UnsupportedError';
}

/** Renders a value for an error message: `missing`, or `got <value>` at full precision. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'number') return `got ${String(value)}`;
  try {
    return `got ${JSON.stringify(value)}`;
  } catch {
    return `got ${String(value)}`;
  }
}
