/**
 * The state stream (`/api/stream`): each WebSocket client gets the engine's current state when it
 * connects, then the states the engine publishes, at most `maxPerSecond` of them a second per
 * client. Between two sends the newest state replaces any older one waiting, and the one waiting
 * when the interval ends is always sent, so a client is never left behind on a stale state.
 *
 * Messages are JSON text frames `{"type":"state","state":EngineState}`. A client that does not
 * answer a ping within one ping interval is dropped; one that reads too slowly (more than
 * `maxBufferedBytes` unsent) is skipped until it catches up, still getting the latest state.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import type { EngineHandle, EngineState } from '../engine/types.js';

export interface StateStreamOptions {
  /** Most states sent to one client per second (default 20). */
  maxPerSecond: number;
  /** Ping every this many ms; a client silent for one whole interval is dropped (default 30 s). */
  pingIntervalMs: number;
  /** Unsent bytes above which a client is treated as slow (default 1 MiB). */
  maxBufferedBytes: number;
}

/** The stream's message for a state. */
export function stateMessage(state: EngineState): string {
  return JSON.stringify({ type: 'state', state });
}

interface Client {
  ws: WebSocket;
  alive: boolean;
  stop: () => void;
}

export class StateStream {
  private readonly clients = new Set<Client>();
  private readonly pinger: NodeJS.Timeout;
  private readonly intervalMs: number;

  constructor(
    private readonly engine: EngineHandle,
    private readonly log: Logger,
    private readonly options: StateStreamOptions,
  ) {
    this.intervalMs = 1000 / options.maxPerSecond;
    this.pinger = setInterval(() => this.ping(), options.pingIntervalMs);
    this.pinger.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes a connected client: sends the current state, then follows the engine. */
  add(ws: WebSocket, remote: string): void {
    let lastSentAt = Number.NEGATIVE_INFINITY;
    let pending: EngineState | null = null;
    let timer: NodeJS.Timeout | null = null;
    let unsubscribe: (() => void) | null = null;

    const schedule = (delayMs: number): void => {
      if (timer !== null) return;
      timer = setTimeout(flush, Math.max(0, delayMs));
    };
    const send = (state: EngineState): void => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > this.options.maxBufferedBytes) {
        pending = state;
        schedule(this.intervalMs);
        return;
      }
      lastSentAt = performance.now();
      ws.send(stateMessage(state), (error) => {
        if (error) this.log.debug({ remote, err: error.message }, 'stream send failed');
      });
    };
    function flush(): void {
      timer = null;
      const state = pending;
      pending = null;
      if (state !== null) send(state);
    }
    const offer = (state: EngineState): void => {
      pending = state;
      if (timer !== null) return;
      const wait = lastSentAt + this.intervalMs - performance.now();
      if (wait <= 0) flush();
      else schedule(wait);
    };

    const client: Client = {
      ws,
      alive: true,
      stop: () => {
        if (timer !== null) clearTimeout(timer);
        timer = null;
        pending = null;
        unsubscribe?.();
        unsubscribe = null;
      },
    };
    this.clients.add(client);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('message', () => {
      // The stream is one-way; what a client sends is ignored (frames are capped by maxPayload).
    });
    ws.on('error', (error) => {
      this.log.debug({ remote, err: error.message }, 'stream client error');
      ws.terminate();
    });
    ws.on('close', () => {
      client.stop();
      this.clients.delete(client);
      this.log.debug({ remote, clients: this.clients.size }, 'stream client left');
    });

    try {
      unsubscribe = this.engine.subscribe(offer);
      send(this.engine.state());
    } catch (error) {
      this.log.error({ err: error }, 'stream: cannot read the engine state');
      ws.close(1011, 'engine state unavailable');
      return;
    }
    this.log.debug({ remote, clients: this.clients.size }, 'stream client joined');
  }

  private ping(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.log.debug('stream client missed a pong; dropping it');
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }

  /** Drops every client and stops pinging. */
  close(): void {
    clearInterval(this.pinger);
    for (const client of this.clients) {
      client.stop();
      client.ws.terminate();
    }
    this.clients.clear();
  }
}
