/**
 * Engine inputs as journal records, and back.
 *
 * - A fill (and a delivery) is the inventory's own record (`eventRecord`: venue, trade id, type `fill`), so the
 *   ledger replays it as any imported fill, and a duplicate notification (the same venue and
 *   trade id) is journaled once: the journal returns it as a duplicate and the loop does not
 *   apply it.
 * - Every other input is a record of type `input.<kind>` from venue `engine`, identified by the
 *   run's prefix and a number the loop assigns in arrival order; its body is the input's JSON.
 *   Its timestamp is the input's own (the canonical order of the journal is by time; the loop
 *   applies inputs in append order, which the replay reproduces with `ReplayOptions` by `seq`).
 */
import { eventFromJson, eventRecord } from '../inventory/event-json.js';
import type { DeliveryEvent, FillEvent } from '../inventory/events.js';
import type { JournalRecord, StoredRecord } from '../store/journal.js';
import type { EngineInput } from './types.js';

/** The journal venue of non-fill inputs. */
export const ENGINE_VENUE = 'engine';
/** Prefix of the journal types of non-fill inputs. */
export const INPUT_TYPE_PREFIX = 'input.';

/** The journal types of every input (for a replay of the inputs only). */
export const INPUT_TYPES: readonly string[] = [
  'fill',
  'delivery',
  ...(
    [
      'market',
      'order',
      'reject',
      'mmp_trigger',
      'account',
      'connection',
      'timer',
      'operator',
      'firm_state',
    ] as const
  ).map((k) => `${INPUT_TYPE_PREFIX}${k}`),
];

/** The time an input carries. */
export function inputTime(input: EngineInput): number {
  switch (input.kind) {
    case 'market':
    case 'fill':
    case 'delivery':
      return input.event.timestampMs;
    case 'order':
      return input.order.timestampMs;
    default:
      return input.timestampMs;
  }
}

function instrumentOf(input: EngineInput): string | null {
  switch (input.kind) {
    case 'market':
    case 'fill':
    case 'delivery':
      return input.event.instrument;
    case 'order':
      return input.order.instrument;
    default:
      return null;
  }
}

/**
 * The record of `input`; `id` (unique within the journal's `engine` venue, e.g. `<run>-<n>`) is
 * used for every input but a fill, which keeps its venue's trade id.
 */
export function inputRecord(input: EngineInput, id: string): JournalRecord {
  if (input.kind === 'fill' || input.kind === 'delivery') return eventRecord(input.event);
  // The journal keys records by whole milliseconds; an input's own time (a Tardis event's
  // microseconds) stays exact in its body.
  const t = inputTime(input);
  return {
    venue: ENGINE_VENUE,
    id,
    timestampMs: Number.isFinite(t) ? Math.floor(t) : 0,
    sequence: 0,
    type: `${INPUT_TYPE_PREFIX}${input.kind}`,
    instrument: instrumentOf(input),
    body: JSON.stringify(input),
  };
}

/** The input a journal record holds (a fill record, or an `input.*` record). */
export function inputFromRecord(record: Pick<StoredRecord, 'type' | 'body'>): EngineInput {
  if (record.type === 'fill') return { kind: 'fill', event: eventFromJson(record.body) as FillEvent };
  if (record.type === 'delivery')
    return { kind: 'delivery', event: eventFromJson(record.body) as DeliveryEvent };
  if (!record.type.startsWith(INPUT_TYPE_PREFIX)) {
    throw new Error(`journal record of type ${record.type} is not an engine input`);
  }
  return JSON.parse(record.body) as EngineInput;
}
