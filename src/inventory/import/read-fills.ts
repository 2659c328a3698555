/**
 * Reads the documented fill format (`docs/import-format.md`) from lines, without I/O: JSON
 * Lines (one object per line) or CSV (a header line naming the columns, then one fill per line).
 * Yields every non-blank line with its physical number and either the fill or every problem
 * found, so that a caller can validate a whole file before journaling any of it.
 */
import { createReadStream } from 'node:fs';
import { ParseError } from '../../model/errors.js';
import { nonBlankNumberedLines, parseJsonObject, type LineSource } from '../../model/json-lines.js';
import type { FillEvent } from '../events.js';
import { splitCsvLine } from './csv-line.js';
import { FILL_COLUMNS, OPTIONAL_FILL_COLUMNS, readFillRow, type FieldProblem } from './fill-row.js';

/** The two layouts of the format. */
export type FillFormat = 'jsonl' | 'csv';

/** One line read: a fill, or the problems that keep it out (the CSV header yields neither). */
export interface FillLine {
  lineNumber: number;
  text: string;
  fill?: FillEvent;
  problems?: FieldProblem[];
}

/** Chooses the layout from a file name (`.csv`; `.jsonl`, `.ndjson`, `.json`), else undefined. */
export function formatOfPath(path: string): FillFormat | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson') || lower.endsWith('.json')) return 'jsonl';
  return undefined;
}

/**
 * Reads lines one at a time, synchronously (the import's hot path: a promise per line through
 * stacked async generators cost as much as parsing the line). `read` takes each non-blank line
 * with its physical number, in file order.
 */
export class FillLineReader {
  private layout: FillFormat | undefined;
  private header: string[] | undefined;
  private headerProblems: FieldProblem[] | undefined;

  constructor(format?: FillFormat) {
    this.layout = format;
  }

  read(lineNumber: number, text: string): FillLine {
    this.layout ??= text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
    if (this.layout === 'jsonl') return readJsonLine(lineNumber, text);
    if (this.header === undefined) {
      const { header, problems } = readHeader(text);
      this.header = header;
      this.headerProblems = problems;
      return problems.length > 0 ? { lineNumber, text, problems } : { lineNumber, text };
    }
    if (this.headerProblems !== undefined && this.headerProblems.length > 0) {
      return {
        lineNumber,
        text,
        problems: [{ field: 'header', message: 'header: the header line is invalid' }],
      };
    }
    return readCsvLine(lineNumber, text, this.header);
  }
}

/**
 * The lines of `source` read as fills. Without `format`, a first non-blank line starting with
 * `{` means JSON Lines, anything else CSV.
 */
export async function* readFillLines(source: LineSource, format?: FillFormat): AsyncGenerator<FillLine> {
  const reader = new FillLineReader(format);
  for await (const { lineNumber, text } of nonBlankNumberedLines(source)) yield reader.read(lineNumber, text);
}

/**
 * The file's lines read as fills, handed to `each` synchronously a chunk of the file at a time:
 * the same lines, numbers and results as `readFillLines` over the file. Line ends are `\n`,
 * `\r\n` or a lone `\r`, as `readline` splits them. `chunkBytes`: how much is read at a time.
 */
export async function forEachFillLine(
  path: string,
  format: FillFormat | undefined,
  each: (line: FillLine) => void | Promise<void>,
  chunkBytes = 1 << 20,
): Promise<void> {
  const reader = new FillLineReader(format);
  let lineNumber = 0;
  let rest = '';
  // Synchronous unless `each` returns a promise: no microtask per line.
  const take = (text: string): void | Promise<void> => {
    lineNumber += 1;
    if (text.trim() === '') return;
    return each(reader.read(lineNumber, text));
  };
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: chunkBytes })) {
    const text = rest + (chunk as string);
    let start = 0;
    if (!text.includes('\r')) {
      // The common case, `\n` alone: found by `indexOf`, not a test per character.
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
        const pending = take(text.slice(start, i));
        if (pending !== undefined) await pending;
        start = i + 1;
      }
      rest = text.slice(start);
      continue;
    }
    // A `\r` at the end of the chunk may be the first half of `\r\n`: wait for the next chunk.
    const end = text.endsWith('\r') ? text.length - 1 : text.length;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const pending = take(text.slice(start, i));
      if (pending !== undefined) await pending;
      if (c === 13 && text.charCodeAt(i + 1) === 10) i += 1;
      start = i + 1;
    }
    rest = text.slice(start);
  }
  if (rest.endsWith('\r')) rest = rest.slice(0, -1);
  if (rest !== '') await take(rest);
}

function readJsonLine(lineNumber: number, text: string): FillLine {
  let row: Record<string, unknown>;
  try {
    row = parseJsonObject(text);
  } catch (error) {
    if (error instanceof ParseError)
      return { lineNumber, text, problems: [{ field: 'line', message: error.message }] };
    throw error;
  }
  return fromRow(lineNumber, text, readFillRow(row, 'json'));
}

function readCsvLine(lineNumber: number, text: string, header: readonly string[]): FillLine {
  let fields: string[];
  try {
    fields = splitCsvLine(text);
  } catch (error) {
    if (error instanceof ParseError)
      return { lineNumber, text, problems: [{ field: 'line', message: error.message }] };
    throw error;
  }
  if (fields.length !== header.length) {
    const message = `line: ${fields.length} fields, expected ${header.length} as in the header`;
    return { lineNumber, text, problems: [{ field: 'line', message }] };
  }
  const row: Record<string, string> = {};
  header.forEach((name, i) => (row[name] = fields[i] as string));
  return fromRow(lineNumber, text, readFillRow(row, 'csv'));
}

function fromRow(lineNumber: number, text: string, result: ReturnType<typeof readFillRow>): FillLine {
  return result.ok
    ? { lineNumber, text, fill: result.fill }
    : { lineNumber, text, problems: result.problems };
}

function readHeader(text: string): { header: string[]; problems: FieldProblem[] } {
  let header: string[];
  try {
    header = splitCsvLine(text).map((name) => name.trim());
  } catch (error) {
    if (error instanceof ParseError)
      return { header: [], problems: [{ field: 'header', message: error.message }] };
    throw error;
  }
  const problems: FieldProblem[] = [];
  const known = new Set<string>([...FILL_COLUMNS, ...OPTIONAL_FILL_COLUMNS]);
  for (const name of FILL_COLUMNS) {
    if (!header.includes(name)) problems.push({ field: name, message: `${name}: missing from the header` });
  }
  const seen = new Set<string>();
  for (const name of header) {
    if (!known.has(name)) problems.push({ field: name, message: `${name}: an unknown column in the header` });
    if (seen.has(name)) problems.push({ field: name, message: `${name}: named twice in the header` });
    seen.add(name);
  }
  return { header, problems };
}
