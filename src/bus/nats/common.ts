/**
 * What the engines and the aggregator share on NATS JetStream (issue 11, Build items 1-2).
 *
 * - Stream `BALLAST_JOURNAL`, subjects `ballast.journal.<engine-id>`: every engine's journal,
 *   record by record in its append order, file storage, replicated (3 in a cluster), kept by
 *   limits (no age): the stream is the firm's copy of the journals, and the aggregator can
 *   always refold it from the start. Each message's body is the record (`WireRecord`), its
 *   `Nats-Msg-Id` `<engine-id>/<venue>/<id>`, so a record published twice (a cursor that had not
 *   been saved when the engine died) is stored once within the duplicate window; the consumers
 *   are idempotent by event id beyond it.
 * - Key-value bucket `ballast_firm`: the firm-level trading state of each engine under key
 *   `engine.<engine-id>` (`FirmStateValue`), written by the aggregator, watched by each engine.
 */
import { StorageType, type JetStreamManager, type KV, type NatsConnection } from 'nats';
import type { StoredRecord } from '../../store/journal.js';
import { guardNatsTransport } from './transport-guard.js';

// Every bus module imports this one: a NATS node going away must not end the process.
guardNatsTransport();

export const JOURNAL_STREAM = 'BALLAST_JOURNAL';
export const JOURNAL_SUBJECT_PREFIX = 'ballast.journal';
export const FIRM_BUCKET = 'ballast_firm';
/** Duplicate window of the stream's message-id de-duplication, ms. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

/** An engine id: one subject token (letters, digits, `-`, `_`). */
export const ENGINE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function checkEngineId(engineId: string): string {
  if (!ENGINE_ID_PATTERN.test(engineId))
    throw new Error(`engine id ${JSON.stringify(engineId)}: letters, digits, '-' and '_' only (1-64)`);
  return engineId;
}

/** The subject of an engine's journal. */
export function journalSubject(engineId: string): string {
  return `${JOURNAL_SUBJECT_PREFIX}.${engineId}`;
}

/** The key of an engine's firm state in the bucket. */
export function firmKey(engineId: string): string {
  return `engine.${engineId}`;
}

/** A journal record on the wire: the stored record as JSON (`seq`: its append position). */
export type WireRecord = StoredRecord;

/** The firm-level state of one engine, as the aggregator writes it. */
export interface FirmStateValue {
  state: 'ACTIVE' | 'REDUCING' | 'HALTED';
  /** The breached limits this engine contributes to ('' when ACTIVE). */
  detail: string;
  /** Wall clock (ms) when the aggregator detected the breach (or its end). */
  detected_ms: number;
  /** The aggregator's count of events folded when it decided. */
  events: number;
}

/** Creates the journal stream if it does not exist (the same configuration from every client). */
export async function ensureJournalStream(jsm: JetStreamManager, replicas: number): Promise<void> {
  try {
    await jsm.streams.info(JOURNAL_STREAM);
    return;
  } catch {
    // Not there yet.
  }
  try {
    await jsm.streams.add({
      name: JOURNAL_STREAM,
      subjects: [`${JOURNAL_SUBJECT_PREFIX}.>`],
      num_replicas: replicas,
      storage: StorageType.File,
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
    });
  } catch (error) {
    // Another client created it in between: fine when it is there now.
    await jsm.streams.info(JOURNAL_STREAM).catch(() => {
      throw error;
    });
  }
}

/** The firm-state bucket (created when missing). */
export async function firmBucket(nc: NatsConnection, replicas: number): Promise<KV> {
  return nc.jetstream().views.kv(FIRM_BUCKET, { replicas, history: 5 });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
