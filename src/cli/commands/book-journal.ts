/**
 * What the `ballast book` commands share: the journal file (`--db`, default
 * `./data/journal.sqlite`), the ledger folded from it up to a time, times given as ISO 8601,
 * and money written as exact decimal strings.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { restoreLedger } from '../../engine/journaled-ledger.js';
import { EVENT_TYPES } from '../../inventory/events.js';
import { eventFromJson } from '../../inventory/event-json.js';
import { Ledger, type ByCurrency } from '../../inventory/ledger.js';
import { formatMoney } from '../../inventory/money.js';
import { InputError } from '../../model/errors.js';
import type { JournalStore } from '../../store/journal.js';
import { SqliteJournal } from '../../store/sqlite/journal.js';
import { InputFileError } from '../jsonl.js';

/** The journal used when `--db` is not given (relative to the working directory). */
export const DEFAULT_DB = './data/journal.sqlite';

/** Currencies `book show` always lists, held or not. */
export const SHOWN_CURRENCIES = ['BTC', 'ETH', 'USDC'] as const;

/**
 * Opens the journal at `path`. `create` makes the file (and its folder) if needed, for an
 * import; the reading commands refuse a missing file (`InputFileError`, exit status 2) rather
 * than create an empty journal and report an empty book.
 */
export function openJournal(path: string, create: boolean): SqliteJournal {
  if (!create && !existsSync(path))
    throw new InputFileError(path, 'no journal (run ballast book import first)');
  if (create) mkdirSync(dirname(path), { recursive: true });
  return SqliteJournal.open(path);
}

/** The ledger folded from the journal. */
export interface FoldedBook {
  ledger: Ledger;
  /** Fills folded. */
  fills: number;
  /** Events folded. */
  events: number;
}

/**
 * Folds the journal in canonical order, every event with `timestampMs <= untilMs`: the book as
 * it stood at that instant. Without `untilMs`, the whole journal, from its latest snapshot and
 * the events after it (`restoreLedger`).
 */
export function foldJournal(journal: JournalStore, untilMs?: number): FoldedBook {
  if (untilMs === undefined) {
    const { ledger } = restoreLedger(journal);
    const fills = ledger.positions().reduce((sum, position) => sum + position.fills, 0);
    return { ledger, fills, events: ledger.eventCount };
  }
  const book: FoldedBook = { ledger: new Ledger(), fills: 0, events: 0 };
  for (const record of journal.replay({ types: EVENT_TYPES })) {
    if (untilMs !== undefined && record.timestampMs > untilMs) break; // canonical order: time first
    book.ledger.apply(eventFromJson(record.body));
    book.events += 1;
    if (record.type === 'fill') book.fills += 1;
  }
  return book;
}

/** An ISO 8601 time (`2026-01-01T08:00:00Z`, or a date, taken as UTC midnight) to ms. */
export function parseTime(option: string, text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new InputError(option, text, 'an ISO 8601 time such as 2026-01-01T08:00:00Z');
  }
  return ms;
}

/** Money by currency as exact decimal strings, currencies in order. */
export function moneyRecord(amounts: ByCurrency, always: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ccy of [...new Set([...always, ...Object.keys(amounts)])].sort()) {
    out[ccy] = formatMoney(amounts[ccy] ?? 0n);
  }
  return out;
}
