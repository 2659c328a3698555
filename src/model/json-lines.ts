/**
 * JSON Lines without I/O: number the non-blank lines of a text or of a (possibly async)
 * sequence of lines, parse one line as a JSON object, read typed fields from it. Shared by the
 * CLI's streaming commands (`src/cli/jsonl.ts`, which opens files and stdin) and the core's
 * readers (`src/vol/chain.ts`), which take lines from wherever the caller has them.
 */
import { InputError, ParseError } from './errors.js';

/** A JSON object as parsed from one input line. */
export type JsonObject = Record<string, unknown>;

/** One non-blank line and its physical line number (1-based; blank lines count). */
export interface NumberedLine {
  lineNumber: number;
  text: string;
}

/** Where lines come from: a whole text, or lines one by one (a readline interface, an array). */
export type LineSource = string | Iterable<string> | AsyncIterable<string>;

/**
 * The non-blank lines of `source` with their physical line numbers. A text is split at
 * `\r\n`, `\r` or `\n`, as Node's readline splits a stream, so a file read whole and the same
 * file streamed give the same numbers.
 */
export async function* nonBlankNumberedLines(source: LineSource): AsyncGenerator<NumberedLine> {
  const lines = typeof source === 'string' ? source.split(/\r\n|\r|\n/) : source;
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber += 1;
    if (text.trim() !== '') yield { lineNumber, text };
  }
}

/**
 * Parses one line as a JSON object. Malformed JSON and non-objects (arrays, numbers, strings,
 * null) throw `ParseError` quoting the line.
 */
export function parseJsonObject(text: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ParseError('JSON', abbreviate(text), `malformed (${reason})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw new ParseError(
      'JSON',
      abbreviate(text),
      `expected an object such as {"kind":"call",...}, got ${got}`,
    );
  }
  return value as JsonObject;
}

/** A field that must be a JSON number (a numeric string such as "100" is refused). */
export function numberField(line: JsonObject, field: string): number {
  const value = line[field];
  if (value === undefined) throw new InputError(field, undefined, 'a number');
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    throw new InputError(field, value, 'a JSON number, not a string (write 100, not "100")');
  }
  if (typeof value !== 'number') throw new InputError(field, value, 'a number');
  return value;
}

/** A number field that must be positive and finite. */
export function positiveField(line: JsonObject, field: string): number {
  const value = numberField(line, field);
  if (!Number.isFinite(value) || !(value > 0)) throw new InputError(field, value, 'a positive finite number');
  return value;
}

/** A number field that must be finite (any sign). */
export function finiteField(line: JsonObject, field: string): number {
  const value = numberField(line, field);
  if (!Number.isFinite(value)) throw new InputError(field, value, 'a finite number');
  return value;
}

/** A number field that must be finite and at least 0. */
export function nonNegativeField(line: JsonObject, field: string): number {
  const value = finiteField(line, field);
  if (value < 0) throw new InputError(field, value, 'a finite number >= 0');
  return value;
}

/** The option kind field: exactly "call" or "put". */
export function kindField(line: JsonObject, field = 'kind'): 'call' | 'put' {
  const value = line[field];
  if (value === 'call' || value === 'put') return value;
  throw new InputError(field, value, '"call" or "put"');
}

function abbreviate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
