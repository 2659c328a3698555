/**
 * The engine's side of the firm-wide limits (issue 11, Build item 2): watches its key
 * (`engine.<engine-id>`) in the `ballast_firm` bucket and pushes each new value into the engine
 * as a `firm_state` input, journaled and applied like every input: REDUCING or HALTED raise the
 * trading controller's `firm_limit` condition, ACTIVE lifts it. The watch starts with the
 * current value, so an engine (re)started during a breach obeys it at once; a value it already
 * applied (the same revision, seen again after a reconnect) is not pushed twice.
 */
import { connect, type KV, type NatsConnection } from 'nats';
import type { EngineInput } from '../../engine/types.js';
import { checkEngineId, errorText, firmBucket, firmKey, sleep, type FirmStateValue } from './common.js';

export interface FirmWatchOptions {
  engineId: string;
  /** Where the inputs go (`Engine.push`). */
  push: (input: EngineInput) => void;
  /** The engine's clock (the time stamped on the input). */
  clock: () => number;
  servers?: string[];
  connection?: NatsConnection;
  /** Bucket replicas when the watcher creates it (default 3). */
  replicas?: number;
  onError?: (error: unknown) => void;
  /** Told of each firm state pushed (wall clock ms). */
  onState?: (value: FirmStateValue, atMs: number) => void;
}

export class FirmStateWatcher {
  private stopped = false;
  private lastRevision = 0;
  private nc: NatsConnection | undefined;
  private current: { stop(): void } | undefined;
  private loop: Promise<void> | undefined;

  private constructor(private readonly options: FirmWatchOptions) {
    checkEngineId(options.engineId);
  }

  static async start(options: FirmWatchOptions): Promise<FirmStateWatcher> {
    const w = new FirmStateWatcher(options);
    w.nc =
      options.connection ??
      (await connect({
        servers: options.servers ?? [],
        name: `ballast-firm-watch-${options.engineId}`,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        waitOnFirstConnect: true,
      }));
    w.loop = w.run();
    return w;
  }

  private async run(): Promise<void> {
    const key = firmKey(this.options.engineId);
    while (!this.stopped) {
      try {
        const kv: KV = await firmBucket(this.nc!, this.options.replicas ?? 3);
        const iter = await kv.watch({ key });
        this.current = iter;
        for await (const entry of iter) {
          if (this.stopped) break;
          if (entry.revision <= this.lastRevision) continue;
          this.lastRevision = entry.revision;
          if (entry.operation !== 'PUT') continue;
          const value = JSON.parse(new TextDecoder().decode(entry.value)) as FirmStateValue;
          this.options.push({
            kind: 'firm_state',
            timestampMs: this.options.clock(),
            state: value.state,
            detail: value.detail,
            revision: entry.revision,
          });
          this.options.onState?.(value, Date.now());
        }
      } catch (error) {
        this.options.onError?.(new Error(`firm state watch: ${errorText(error)}`));
      }
      // The watch ended (a server gone, the stream moved): watch again.
      if (!this.stopped) await sleep(200);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.current?.stop();
    await this.loop;
    if (this.options.connection === undefined) await this.nc?.close();
  }
}
