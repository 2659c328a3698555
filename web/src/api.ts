/**
 * The dashboard's side of the engine's API (`src/server/api.ts`): the state stream over a
 * reconnecting WebSocket, the polled reads, and the operator commands with the Bearer token
 * (kept in sessionStorage: it lives as long as the tab, never in a URL or localStorage).
 */
import type { CommandResult, EngineDetails, EngineState, InstrumentView } from '../../src/engine/types.js';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

/** Follows `/api/stream`; reconnects with a growing delay (0.5 s to 5 s) after a drop. */
export function followStream(
  onState: (state: EngineState) => void,
  onStatus: (status: StreamStatus, detail: string) => void,
): void {
  let delay = 500;
  const open = (): void => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/stream`;
    const ws = new WebSocket(url);
    ws.onopen = () => {
      delay = 500;
      onStatus('live', '');
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      let message: { type?: string; state?: EngineState };
      try {
        message = JSON.parse(event.data) as { type?: string; state?: EngineState };
      } catch {
        return;
      }
      if (message.type === 'state' && message.state !== undefined) onState(message.state);
    };
    ws.onclose = (event) => {
      onStatus('reconnecting', event.reason || `closed (${event.code})`);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 5000);
    };
    // An error is always followed by a close, which reconnects.
    ws.onerror = () => undefined;
  };
  onStatus('connecting', '');
  open();
}

async function getJson<T>(path: string): Promise<T | null> {
  try {
    const response = await fetch(path, { cache: 'no-store' });
    if (!response.ok) return null;
    return (await response.json()) as T;
  } catch {
    return null;
  }
}

export const fetchDetails = (): Promise<EngineDetails | null> => getJson<EngineDetails>('/api/details');

export const fetchInstrument = (name: string): Promise<InstrumentView | null> =>
  getJson<InstrumentView>(`/api/instrument/${encodeURIComponent(name)}`);

/** Calls `fn` now and then every `ms` after each call settles (no pile-up when the engine is slow). */
export function poll(fn: () => Promise<void>, ms: number): { stop: () => void } {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async (): Promise<void> => {
    try {
      await fn();
    } finally {
      if (!stopped) timer = setTimeout(() => void run(), ms);
    }
  };
  void run();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

const TOKEN_KEY = 'ballast.operatorToken';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null || token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage refused (private mode): the token is then asked again after a reload.
  }
}

export type CommandOutcome =
  { ok: true; result: CommandResult } | { ok: false; status: number; reason: string; result?: CommandResult };

/** Sends an operator command; the API's reason when it refuses (401 wrong/missing token, 409, ...). */
export async function sendCommand(
  command: 'kill' | 'pause' | 'resume',
  token: string | null,
): Promise<CommandOutcome> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token !== null && token !== '') headers.Authorization = `Bearer ${token}`;
  const body = command === 'resume' ? '{}' : JSON.stringify({ reason: 'dashboard' });
  let response: Response;
  try {
    response = await fetch(`/api/${command}`, { method: 'POST', headers, body, cache: 'no-store' });
  } catch (error) {
    return { ok: false, status: 0, reason: `no answer from the engine: ${String(error)}` };
  }
  const payload: unknown = await response.json().catch(() => null);
  if (response.ok) return { ok: true, result: payload as CommandResult };
  const p = (payload ?? {}) as { error?: unknown; detail?: unknown; accepted?: unknown };
  if (typeof p.accepted === 'boolean')
    return { ok: false, status: response.status, reason: String(p.detail), result: payload as CommandResult };
  return {
    ok: false,
    status: response.status,
    reason: typeof p.error === 'string' ? p.error : `HTTP ${response.status}`,
  };
}
