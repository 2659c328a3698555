/**
 * The bus beside a running engine (`ballast run` with `bus.nats` in its configuration): the
 * journal replicator (`replicator.ts`) and the firm-state watcher (`firm-watch.ts`) on one
 * connection. `stop` ends the watcher, then (once the engine has stopped and journaled its last
 * records) publishes what is left and closes.
 */
import { connect } from 'nats';
import type { EngineInput } from '../../engine/types.js';
import type { JournalStore } from '../../store/journal.js';
import { errorText } from './common.js';
import { FirmStateWatcher } from './firm-watch.js';
import { cursorPathOf, JournalReplicator } from './replicator.js';

export interface EngineBusOptions {
  servers: string[];
  engineId: string;
  replicas: number;
  journal: JournalStore;
  journalPath: string;
  /** Obey the firm states (default true). */
  firmLimits: boolean;
  push: (input: EngineInput) => void;
  clock: () => number;
  onError: (message: string) => void;
}

export interface EngineBus {
  replicator: JournalReplicator;
  watcher: FirmStateWatcher | undefined;
  /** Stops watching (call before the engine stops). */
  stopWatching(): Promise<void>;
  /** Publishes what is journaled (bounded) and closes (call after the engine stopped). */
  close(): Promise<void>;
}

export async function startEngineBus(options: EngineBusOptions): Promise<EngineBus> {
  const nc = await connect({
    servers: options.servers,
    name: `ballast-engine-${options.engineId}`,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
  });
  const onError = (error: unknown): void => options.onError(errorText(error));
  const replicator = await JournalReplicator.start({
    engineId: options.engineId,
    journal: options.journal,
    cursorPath: cursorPathOf(options.journalPath, options.engineId),
    connection: nc,
    replicas: options.replicas,
    onError,
  });
  const watcher = options.firmLimits
    ? await FirmStateWatcher.start({
        engineId: options.engineId,
        connection: nc,
        replicas: options.replicas,
        push: options.push,
        clock: options.clock,
        onError,
      })
    : undefined;
  return {
    replicator,
    watcher,
    stopWatching: async () => watcher?.stop(),
    close: async () => {
      await replicator.stop({ drain: true, timeoutMs: 10_000 });
      await nc.drain().catch(() => nc.close());
    },
  };
}
