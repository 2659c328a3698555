/** A throwaway `nats-server -js` for the benchmarks (the tests use test/support/nats.ts's cluster). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from 'nats';

import { natsServerBin } from '../test/support/nats.js';

/** One `nats-server -js` on 127.0.0.1 at a free port. */
export async function startNatsServer(): Promise<{ servers: string[]; stop(): Promise<void> }> {
  const bin = natsServerBin();
  if (bin === null) throw new Error('nats-server is not installed');
  const port = await new Promise<number>((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const p = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(p));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'ballast-bench-nats-'));
  const child = spawn(bin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: 'ignore' });
  const url = `nats://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const nc = await connect({ servers: url, reconnect: false });
      await (await nc.jetstreamManager()).getAccountInfo();
      await nc.close();
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error('nats-server did not start', { cause: error });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    servers: [url],
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
