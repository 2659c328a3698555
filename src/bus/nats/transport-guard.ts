/**
 * A guard around nats.js 2.29's Node transport (`nats/lib/src/node_transport.js`).
 *
 * When a connection closes, the transport removes every listener of its socket and destroys it.
 * If the server ended the connection (a NATS node killed) just after the client flushed a write,
 * that write fails with `ERR_STREAM_WRITE_AFTER_END`, and Node emits the error on the socket a
 * tick later, when it has no listener left: an uncaught exception that ends the process (seen in
 * `test/bus/nats-firm.test.ts`, which kills a node of the cluster). The connection has already
 * been reported closed and reconnects; the late error carries nothing more.
 *
 * The guard wraps the transport's close so that the socket it closes keeps one listener, which
 * takes such late errors and hands them to `onLateError` (default: ignored). Installed once per
 * process, on first import of the bus modules; the version is pinned (package.json), and the
 * test above fails again if a new version changes what is wrapped.
 */
import type { Socket } from 'node:net';
import { NodeTransport } from 'nats/lib/src/node_transport.js';

let installed = false;
let onLate: (error: Error) => void = () => {};

/** Installs the guard (once); `onLateError` sees each late socket error it takes. */
export function guardNatsTransport(onLateError?: (error: Error) => void): void {
  if (onLateError !== undefined) onLate = onLateError;
  if (installed) return;
  installed = true;
  const proto = NodeTransport.prototype as unknown as {
    _closed: (this: { socket?: Socket }, ...args: unknown[]) => Promise<void>;
  };
  const close = proto._closed;
  if (typeof close !== 'function') throw new Error('nats transport guard: NodeTransport._closed not found');
  proto._closed = function (this: { socket?: Socket }, ...args: unknown[]): Promise<void> {
    const socket = this.socket;
    if (socket !== undefined) {
      const removeAll = socket.removeAllListeners.bind(socket);
      socket.removeAllListeners = ((event?: string | symbol) => {
        const out = event === undefined ? removeAll() : removeAll(event);
        if (socket.listenerCount('error') === 0) socket.on('error', (error: Error) => onLate(error));
        return out;
      }) as Socket['removeAllListeners'];
    }
    return close.apply(this, args);
  };
}
