/**
 * Reads the documented fill format (`docs/import-format.md`) from lines, without I/O: JSON
 * Lines (one object per line) or CSV (a header line naming the columns, then one fill per line).
 * Yields every non-blank line with its physical number and either the fill or every problem
 * found, so that a caller can validate a whole file before journaling any of it.
 */
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
 * The lines of `source` read as fills. Without `format`, a first non-blank line starting with
 * `{` means JSON Lines, anything else CSV.
 */
export async function* readFillLines(source: LineSource, format?: FillFormat): AsyncGenerator<FillLine> {
  let layout = format;
  let header: string[] | undefined;
  let headerProblems: FieldProblem[] | undefined;
  for await (const { lineNumber, text } of nonBlankNumberedLines(source)) {
    layout ??= text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
    if (layout === 'jsonl') {
      yield readJsonLine(lineNumber, text);
      continue;
    }
    if (header === undefined) {
      ({ header, problems: headerProblems } = readHeader(text));
      yield headerProblems.length > 0 ? { lineNumber, text, problems: headerProblems } : { lineNumber, text };
      continue;
    }
    if (headerProblems !== undefined && headerProblems.length > 0) {
      yield {
        lineNumber,
        text,
        problems: [{ field: 'header', message: 'header: the header line is invalid' }],
      };
      continue;
    }
    yield readCsvLine(lineNumber, text, header);
  }
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
