/**
 * Reading a venue document into events: every entry mapped, every problem kept with where it
 * is, so that a whole file is validated before any of it is journaled.
 */
import { BallastError, InputError } from '../../model/errors.js';
import type { InventoryEvent } from '../events.js';
import { venueEntries, type VenueEntry } from './venue-document.js';
import type { Entry } from './venue-fields.js';

/** A bad entry: where it is and what is wrong with which field. */
export interface VenueProblem {
  lineNumber: number;
  path: string;
  field: string;
  message: string;
  text?: string;
}

/** Events read from a document, each with the line of its entry, and the problems found. */
export interface VenueRead {
  events: { event: InventoryEvent; lineNumber: number }[];
  problems: VenueProblem[];
  /** Entries read (good and bad). */
  entries: number;
}

/**
 * Maps each entry with `map` (which throws `InputError` naming the venue's field). `group`, if
 * given, first merges entries that are one event (the transaction log splits a trade that
 * closes and opens a position into two entries with the same trade id).
 */
export function readEntries(
  text: string,
  listKey: string,
  map: (entry: Entry, all: readonly VenueEntry[]) => InventoryEvent[],
): VenueRead {
  const entries = venueEntries(text, listKey);
  const read: VenueRead = { events: [], problems: [], entries: entries.length };
  for (const entry of entries) {
    if (entry.value === null) {
      read.problems.push(problem(entry, 'line', entry.problem ?? 'not an object'));
      continue;
    }
    try {
      for (const event of map(entry.value, entries))
        read.events.push({ event, lineNumber: entry.lineNumber });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      read.problems.push(problem(entry, error.field, error.message));
    }
  }
  return read;
}

function problem(entry: VenueEntry, field: string, message: string): VenueProblem {
  return {
    lineNumber: entry.lineNumber,
    path: entry.path,
    field,
    message,
    ...(entry.text === undefined ? {} : { text: entry.text }),
  };
}

/** Renders problems as lines `line 12 (result.logs[3]), amount: ...`. */
export function describeProblems(problems: readonly VenueProblem[], limit = 20): string {
  const shown = problems
    .slice(0, limit)
    .map((p) => `  line ${p.lineNumber}${p.path.startsWith('line') ? '' : ` (${p.path})`}, ${p.message}`);
  const more = problems.length > limit ? `\n  ... and ${problems.length - limit} more` : '';
  return `${shown.join('\n')}${more}`;
}

/** A venue document has bad entries; nothing was journaled. */
export class VenueValidationError extends BallastError {
  override name = 'VenueValidationError';
  constructor(
    readonly path: string,
    readonly problems: VenueProblem[],
  ) {
    super(
      `${path}: ${problems.length} invalid entr${problems.length === 1 ? 'y' : 'ies'}, nothing journaled:\n${describeProblems(problems)}`,
    );
  }
}
