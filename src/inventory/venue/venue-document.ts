/**
 * A file of the venue's JSON: either the whole JSON-RPC response as the API returns it
 * (`{"jsonrpc":"2.0","result":{"trades":[...]}}`, `{"result":{"logs":[...]}}`, `{"result":[...]}`),
 * the `result` alone, a bare array, or JSON Lines with one entry per line (what a script that
 * pages through the API appends). Yields each entry with where it is in the file: its line
 * number (the line its object opens on) and its path in the document (`result.logs[3]`), so
 * that an error names the place a person looks at.
 *
 * Numbers: the venue writes JSON numbers. `JSON.parse` reads each to the nearest double, whose
 * shortest text is the decimal written for up to 15 significant digits, which covers every
 * amount, price and fee the venue reports (8 decimals at most; see `money.ts`); `parseMoney`
 * then reads that text exactly.
 */
import { InputError, ParseError } from '../../model/errors.js';
import { parseJsonObject } from '../../model/json-lines.js';

/** One entry of a venue document and where it is. */
export interface VenueEntry {
  /** Line of the file where the entry's object opens (1-based). */
  lineNumber: number;
  /** Path in the document, e.g. `result.logs[3]`; `line 4` for JSON Lines. */
  path: string;
  /** The entry, or null when the line is not a JSON object (see `problem`). */
  value: Record<string, unknown> | null;
  /** Text of a JSON Lines line (for rejects); undefined for a whole document. */
  text?: string;
  /** Why the line could not be read as an object. */
  problem?: string;
}

/**
 * The entries of a venue document. `listKey` names the array inside `result` (`trades`,
 * `logs`); a `result` that is itself an array (`private/get_positions`) is taken as it is.
 * Throws `ParseError` when the text is neither one JSON document nor JSON Lines.
 */
export function venueEntries(text: string, listKey: string | null): VenueEntry[] {
  const trimmed = text.trim();
  let whole: unknown;
  let isWhole = true;
  try {
    whole = JSON.parse(trimmed);
  } catch {
    isWhole = false;
  }
  if (isWhole && whole !== null && typeof whole === 'object') {
    const { list, path, depth } = locateList(whole, listKey);
    const lines = objectLinesAtDepth(text, depth);
    return list.map((value, index) => ({
      lineNumber: lines[index] ?? 1,
      path: `${path}[${index}]`,
      value: isObject(value) ? value : null,
      ...(isObject(value) ? {} : { problem: `${path}[${index}]: expected an object` }),
    }));
  }
  if (!trimmed.startsWith('{')) {
    throw new ParseError(
      'venue JSON',
      trimmed.slice(0, 60),
      'neither a JSON document nor JSON Lines of objects',
    );
  }
  return jsonLinesEntries(text);
}

function jsonLinesEntries(text: string): VenueEntry[] {
  const entries: VenueEntry[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  let lineNumber = 0;
  for (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    const path = `line ${lineNumber}`;
    try {
      entries.push({ lineNumber, path, value: parseJsonObject(line), text: line });
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      entries.push({ lineNumber, path, value: null, text: line, problem: `line: ${error.message}` });
    }
  }
  return entries;
}

/** Finds the list of entries in a parsed document, its path and the nesting depth of its items. */
function locateList(doc: object, listKey: string | null): { list: unknown[]; path: string; depth: number } {
  if (Array.isArray(doc)) return { list: doc, path: '', depth: 1 };
  const record = doc as Record<string, unknown>;
  if ('result' in record) {
    const result = record.result;
    if (Array.isArray(result)) return { list: result, path: 'result', depth: 2 };
    if (listKey !== null && isObject(result) && Array.isArray(result[listKey])) {
      return { list: result[listKey] as unknown[], path: `result.${listKey}`, depth: 3 };
    }
    if (isObject(result) && listKey === null) return { list: [result], path: 'result', depth: 1 };
    throw new InputError(listKey === null ? 'result' : `result.${listKey}`, undefined, 'the list of entries');
  }
  if (listKey !== null && Array.isArray(record[listKey])) {
    return { list: record[listKey] as unknown[], path: listKey, depth: 2 };
  }
  return { list: [record], path: '', depth: 0 };
}

/**
 * Line numbers of the objects that open at nesting `depth` (0 = the document itself), in order:
 * a scan that skips strings, so braces inside them do not count.
 */
function objectLinesAtDepth(text: string, depth: number): number[] {
  const lines: number[] = [];
  let line = 1;
  let level = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line += 1;
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (c === '{' && level === depth) lines.push(line);
      level += 1;
    } else if (c === '}' || c === ']') level -= 1;
  }
  return lines;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
