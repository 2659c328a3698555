/**
 * JSON Lines in and out for the line-oriented commands (`ballast price`, `ballast iv`): read
 * one JSON object per line from stdin or a file, streaming (a million lines never sit in
 * memory), map each line to one output object, write the results in input order with
 * backpressure. A line that cannot be computed becomes `{"error": "line N: ..."}` and the
 * rest go on. Blank lines are skipped; line numbers count every physical line.
 */
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

import { BallastError, InputError } from '../model/errors.js';
import { nonBlankNumberedLines, type JsonObject, parseJsonObject } from '../model/json-lines.js';

export {
  finiteField,
  kindField,
  numberField,
  parseJsonObject,
  positiveField,
  type JsonObject,
} from '../model/json-lines.js';

/** A file the command was told to read cannot be opened or read (exit status 2). */
export class InputFileError extends BallastError {
  override name = 'InputFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot read input file ${JSON.stringify(path)}: ${reason}`);
  }
}

/** How a JSON Lines run ended: lines seen (non-blank) and how many became error lines. */
export interface JsonLinesSummary {
  lines: number;
  failed: number;
}

/**
 * Opens `path` for streaming, or returns stdin when no path is given. Opening first (rather
 * than letting a read stream fail later) turns a missing or unreadable file into one
 * `InputFileError` before any output is written.
 */
export async function openInput(path: string | undefined): Promise<Readable> {
  if (path === undefined) return process.stdin;
  try {
    const handle = await open(path, 'r');
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      throw new InputFileError(path, 'is a directory');
    }
    return handle.createReadStream();
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(path, systemReason(error));
  }
}

/**
 * Reads JSON Lines from `input`, maps each non-blank line with `compute`, writes one JSON line
 * per input line to `output`, in order. `compute` throws a `BallastError` (typed: field,
 * value, expectation) for a line it cannot compute; that becomes an error line. Any other
 * exception is a bug and propagates. A read error on the input propagates as `InputFileError`.
 */
export async function mapJsonLines(
  input: Readable,
  output: Writable,
  compute: (line: JsonObject) => JsonObject,
  inputName = 'stdin',
): Promise<JsonLinesSummary> {
  const writer = new LineWriter(output);
  let count = 0;
  let failed = 0;
  try {
    for await (const { lineNumber, text } of nonBlankLines(input, inputName)) {
      count += 1;
      let result: JsonObject;
      try {
        result = compute(parseJsonObject(text));
        requireFiniteResult(result);
      } catch (error) {
        if (!(error instanceof BallastError)) throw error;
        failed += 1;
        result = { error: `line ${lineNumber}: ${error.message}` };
      }
      await writer.write(JSON.stringify(result));
    }
  } finally {
    // Whatever has been computed is written out, also when a read error ends the input.
    await writer.end();
  }
  return { lines: count, failed };
}

/**
 * The non-blank lines of `input`, streaming, with their physical line numbers (blank lines
 * count). A read error ends the stream and is thrown as `InputFileError` naming `inputName`.
 */
export async function* nonBlankLines(
  input: Readable,
  inputName: string,
): AsyncGenerator<{ lineNumber: number; text: string }> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let readError: unknown;
  input.once('error', (error: unknown) => {
    readError = error;
    lines.close();
  });
  yield* nonBlankNumberedLines(lines);
  if (readError !== undefined) throw new InputFileError(inputName, systemReason(readError));
}

/**
 * Every number in a result must be finite: JSON.stringify would silently write NaN and
 * Infinity as null.
 */
function requireFiniteResult(result: JsonObject): void {
  for (const [key, value] of Object.entries(result)) {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InputError(
        `result ${key}`,
        value,
        'a finite number (the inputs are beyond double precision)',
      );
    }
  }
}

/** Buffers output lines and writes them in chunks, waiting for 'drain' when the stream is full. */
class LineWriter {
  private buffer: string[] = [];
  private bufferedChars = 0;
  private static readonly CHUNK_CHARS = 1 << 16;

  constructor(private readonly output: Writable) {}

  async write(line: string): Promise<void> {
    this.buffer.push(line);
    this.bufferedChars += line.length + 1;
    if (this.bufferedChars >= LineWriter.CHUNK_CHARS) await this.flush();
  }

  async end(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.join('\n') + '\n';
    this.buffer = [];
    this.bufferedChars = 0;
    if (!this.output.write(chunk)) await once(this.output, 'drain');
  }
}

function systemReason(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES') return 'permission denied';
    if (code === 'EISDIR') return 'is a directory';
    return error.message;
  }
  return String(error);
}

/**
 * Runs a JSON Lines command: reads `inputPath` (or stdin), writes to stdout, and returns the
 * exit status: 0 when every line was computed, 1 when any line became an error line.
 * Throws `InputFileError` (exit status 2 in `main`) when the input cannot be read.
 */
export async function runJsonLines(
  inputPath: string | undefined,
  compute: (line: JsonObject) => JsonObject,
): Promise<number> {
  const input = await openInput(inputPath);
  const summary = await mapJsonLines(input, process.stdout, compute, inputPath ?? 'stdin');
  return summary.failed > 0 ? 1 : 0;
}
