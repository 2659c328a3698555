/**
 * Journal replication (issue 11, Build item 1): an engine's local journal, the source of truth,
 * copied to the JetStream stream `BALLAST_JOURNAL` under `ballast.journal.<engine-id>`.
 *
 * The replicator tails the journal (`replay({ order: 'append', afterSeq: cursor })`, a batch at a
 * time, on an interval and when asked), publishes each record in append order with
 * `Nats-Msg-Id` `<engine-id>/<venue>/<id>` and waits for every acknowledgement of the batch;
 * only then does the cursor (the last acknowledged journal position) move and get saved, in a
 * small file beside the journal (`<journal>.nats-<engine-id>.cursor`, written to a temporary file
 * and renamed). After any failure (a NATS node or the whole cluster gone, a timeout, the engine
 * killed) it starts again from the saved cursor: records published but not yet counted go
 * again, and the stream's de-duplication (or, beyond its window, the consumers' idempotence by
 * event id) drops them. At least once, in order per engine.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect, headers, type JetStreamClient, type NatsConnection } from 'nats';
import type { JournalStore, StoredRecord } from '../../store/journal.js';
import {
  checkEngineId,
  ensureJournalStream,
  errorText,
  journalSubject,
  sleep,
  type WireRecord,
} from './common.js';

export interface ReplicatorOptions {
  engineId: string;
  journal: JournalStore;
  /** The cursor file (default: beside the journal when `journalPath` is given). */
  cursorPath: string;
  /** NATS servers (`nats://127.0.0.1:4222`, ...), or a connection to use (not closed by `stop`). */
  servers?: string[];
  connection?: NatsConnection;
  /** Stream replicas when the replicator creates the stream (default 3). */
  replicas?: number;
  /** Tail period, ms (default 50). */
  pollMs?: number;
  /** Records per batch (default 500). */
  batch?: number;
  /** Publish acknowledgement timeout, ms (default 5,000). */
  ackTimeoutMs?: number;
  /** Told of every failed attempt (it retries). */
  onError?: (error: unknown) => void;
}

/** The default cursor file of a journal file. */
export function cursorPathOf(journalPath: string, engineId: string): string {
  return `${journalPath}.nats-${engineId}.cursor`;
}

/** The cursor saved in `path` (0 when there is none). */
export function readCursor(path: string): number {
  if (!existsSync(path)) return 0;
  const data = JSON.parse(readFileSync(path, 'utf8')) as { seq?: unknown };
  const seq = data.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
    throw new Error(`${path}: not a replication cursor`);
  return seq;
}

function writeCursor(path: string, engineId: string, seq: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ engine_id: engineId, seq })}\n`);
  renameSync(tmp, path);
}

/** What the replicator did. */
export interface ReplicatorStats {
  published: number;
  /** Acknowledged as duplicates by the stream (sent again after a restart or a failure). */
  duplicates: number;
  batches: number;
  failures: number;
}

export class JournalReplicator {
  private cursorSeq: number;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private stopped = false;
  private streamReady = false;
  readonly stats: ReplicatorStats = { published: 0, duplicates: 0, batches: 0, failures: 0 };

  private constructor(private readonly options: ReplicatorOptions) {
    checkEngineId(options.engineId);
    this.cursorSeq = readCursor(options.cursorPath);
  }

  /** Connects (when given servers) and starts tailing the journal. */
  static async start(options: ReplicatorOptions): Promise<JournalReplicator> {
    const r = new JournalReplicator(options);
    if (options.connection !== undefined) r.nc = options.connection;
    else {
      if (options.servers === undefined || options.servers.length === 0)
        throw new Error('replicator: servers or a connection');
      r.nc = await connect({
        servers: options.servers,
        name: `ballast-replicator-${options.engineId}`,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        waitOnFirstConnect: true,
      });
    }
    r.js = r.nc.jetstream({ timeout: options.ackTimeoutMs ?? 5000 });
    r.timer = setInterval(() => void r.pump(), options.pollMs ?? 50);
    r.timer.unref?.();
    void r.pump();
    return r;
  }

  /** The last journal position the stream acknowledged (and saved). */
  get cursor(): number {
    return this.cursorSeq;
  }

  /** Publishes what the journal holds beyond the cursor, once (a pass already running is joined). */
  pump(): Promise<void> {
    if (this.pumping === undefined) {
      this.pumping = this.pass().finally(() => (this.pumping = undefined));
    }
    return this.pumping;
  }

  /**
   * Resolves once everything journaled up to now is acknowledged; rejects after `timeoutMs`
   * (default 60,000).
   */
  async flush(timeoutMs = 60_000): Promise<void> {
    const target = this.options.journal.lastSeq();
    const deadline = Date.now() + timeoutMs;
    while (this.cursorSeq < target) {
      if (this.stopped) throw new Error('replicator stopped');
      if (Date.now() > deadline)
        throw new Error(`replicator ${this.options.engineId}: at ${this.cursorSeq} of ${target}`);
      await this.pump();
      if (this.cursorSeq < target) await sleep(20);
    }
  }

  private async pass(): Promise<void> {
    const js = this.js;
    if (js === undefined || this.stopped) return;
    const { engineId, journal } = this.options;
    const subject = journalSubject(engineId);
    const size = this.options.batch ?? 500;
    try {
      if (!this.streamReady) {
        await ensureJournalStream(await this.nc!.jetstreamManager(), this.options.replicas ?? 3);
        this.streamReady = true;
      }
      while (!this.stopped) {
        // Read the batch whole before any await: the engine appends to the same journal.
        const batch: StoredRecord[] = [];
        for (const r of journal.replay({ order: 'append', afterSeq: this.cursorSeq })) {
          batch.push(r);
          if (batch.length >= size) break;
        }
        if (batch.length === 0) return;
        const acks = await Promise.all(
          batch.map((r) => {
            const h = headers();
            h.set('Ballast-Type', r.type);
            h.set('Ballast-Seq', String(r.seq));
            const wire: WireRecord = r;
            return js.publish(subject, new TextEncoder().encode(JSON.stringify(wire)), {
              msgID: `${engineId}/${r.venue}/${r.id}`,
              headers: h,
            });
          }),
        );
        if (this.stopped) return;
        for (const a of acks) if (a.duplicate) this.stats.duplicates += 1;
        this.stats.published += batch.length;
        this.stats.batches += 1;
        this.cursorSeq = batch[batch.length - 1]!.seq;
        writeCursor(this.options.cursorPath, engineId, this.cursorSeq);
      }
    } catch (error) {
      // The cursor did not move: the next pass sends the batch again.
      this.stats.failures += 1;
      this.options.onError?.(error);
      if (!this.stopped) await sleep(100);
    }
  }

  /**
   * Stops tailing. `drain` (default false): first publish what is journaled (bounded by
   * `timeoutMs`). Closes the connection it opened.
   */
  async stop(options: { drain?: boolean; timeoutMs?: number } = {}): Promise<void> {
    if (options.drain === true) {
      try {
        await this.flush(options.timeoutMs ?? 10_000);
      } catch (error) {
        this.options.onError?.(new Error(`replicator stop: ${errorText(error)}`));
      }
    }
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.pumping;
    if (this.options.connection === undefined) await this.nc?.close();
  }

  /**
   * Abandons the replicator as a crash would: no more publishing, nothing saved, the connection
   * closed without draining. For tests (an engine process killed).
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    // Publishes in flight may be stored, but the cursor does not move: they go again on restart.
    await this.pumping;
    if (this.options.connection === undefined) await this.nc?.close();
  }
}
