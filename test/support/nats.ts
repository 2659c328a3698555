/**
 * A throwaway 3-node NATS JetStream cluster for tests and benchmarks: Debian's `nats-server`
 * (or the one on PATH) run three times on 127.0.0.1, each with its own client, cluster-route
 * and monitoring port (free ports picked at start) and its own JetStream store directory in
 * one temporary directory. `startNatsCluster()` resolves once every node answers and the
 * JetStream meta group has a leader; `killNode(i)` kills a node with SIGKILL (no clean
 * shutdown), `restartNode(i)` starts it again on the same ports and store, `stop()` stops all
 * and deletes the directory.
 *
 * `natsServerBin()` is null when no server is installed: a test skips then, unless `CI=true`,
 * where a missing server is a failure (`natsRequired`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether a missing nats-server must fail the tests rather than skip them. */
export const natsRequired = process.env['CI'] === 'true';

/** The path of `nats-server`, or null when it is not installed. */
export function natsServerBin(): string | null {
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const path = which.status === 0 ? which.stdout.trim() : '';
  return path !== '' ? path : null;
}

export interface NatsNode {
  name: string;
  clientPort: number;
  clusterPort: number;
  monitorPort: number;
  /** `nats://127.0.0.1:<clientPort>`. */
  url: string;
  storeDir: string;
  /** Whether the node's process is running. */
  running: boolean;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** The client URLs of all nodes. */
  servers: string[];
  /** Kills node `i` with SIGKILL and waits for its process to exit. */
  killNode(i: number): Promise<void>;
  /** Starts node `i` again (same ports and store) and waits until it is healthy. */
  restartNode(i: number): Promise<void>;
  /** Waits until the JetStream meta group has a leader seen by every running node. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops every node and deletes the directory. */
  stop(): Promise<void>;
}

export interface NatsClusterOptions {
  /** Number of nodes (default 3). */
  size?: number;
  /** Milliseconds to wait for the cluster to be ready (default 30 000). */
  readyTimeoutMs?: number;
}

async function freePorts(count: number): Promise<number[]> {
  // Hold every listener open until all are bound so the ports are distinct.
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const address = server.address();
          resolve(typeof address === 'object' && address !== null ? address.port : 0);
        });
      });
      ports.push(port);
    }
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
  return ports;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** Starts a new cluster; throws when nats-server is not installed or the cluster is not ready in time. */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const bin = natsServerBin();
  if (bin === null) throw new Error('nats-server is not installed');
  const size = options.size ?? 3;
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'ballast-nats-'));
  const ports = await freePorts(size * 3);
  const nodes: NatsNode[] = [];
  for (let i = 0; i < size; i++) {
    const clientPort = ports[i * 3]!;
    nodes.push({
      name: `n${i + 1}`,
      clientPort,
      clusterPort: ports[i * 3 + 1]!,
      monitorPort: ports[i * 3 + 2]!,
      url: `nats://127.0.0.1:${clientPort}`,
      storeDir: join(dir, `n${i + 1}`, 'store'),
      running: false,
    });
  }
  const configs = nodes.map((node) => {
    const routes = nodes.filter((n) => n !== node).map((n) => `nats-route://127.0.0.1:${n.clusterPort}`);
    mkdirSync(node.storeDir, { recursive: true });
    const file = join(dir, node.name, 'nats.conf');
    writeFileSync(
      file,
      [
        `server_name: ${node.name}`,
        `listen: 127.0.0.1:${node.clientPort}`,
        `http: 127.0.0.1:${node.monitorPort}`,
        `jetstream {`,
        `  store_dir: ${JSON.stringify(node.storeDir)}`,
        `  max_memory_store: 268435456`,
        `  max_file_store: 2147483648`,
        `}`,
        `cluster {`,
        `  name: ballast`,
        `  listen: 127.0.0.1:${node.clusterPort}`,
        `  routes: [${routes.join(', ')}]`,
        `}`,
        '',
      ].join('\n'),
    );
    return file;
  });
  const processes: (ChildProcess | null)[] = nodes.map(() => null);

  const launch = (i: number): void => {
    const node = nodes[i]!;
    const child = spawn(bin, ['-c', configs[i]!, '-l', join(dir, node.name, 'log')], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    processes[i] = child;
    node.running = true;
    child.once('exit', () => {
      if (processes[i] === child) {
        processes[i] = null;
        node.running = false;
      }
    });
  };

  const waitHealthy = async (i: number, deadline: number): Promise<void> => {
    const node = nodes[i]!;
    for (;;) {
      try {
        await getJson(`http://127.0.0.1:${node.monitorPort}/healthz`);
        return;
      } catch (error) {
        if (!node.running) throw new Error(`nats node ${node.name} exited`, { cause: error });
        if (Date.now() > deadline) throw new Error(`nats node ${node.name} not healthy`, { cause: error });
        await sleep(100);
      }
    }
  };

  const waitReady = async (timeoutMs = readyTimeoutMs): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let ready = true;
      for (const node of nodes) {
        if (!node.running) continue;
        try {
          const jsz = (await getJson(`http://127.0.0.1:${node.monitorPort}/jsz`)) as {
            meta_cluster?: { leader?: string };
          };
          if (jsz.meta_cluster?.leader === undefined || jsz.meta_cluster.leader === '') ready = false;
        } catch {
          ready = false;
        }
      }
      if (ready) return;
      if (Date.now() > deadline) throw new Error('nats cluster: no JetStream meta leader in time');
      await sleep(100);
    }
  };

  const killNode = async (i: number): Promise<void> => {
    const child = processes[i];
    if (child === null || child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };

  const restartNode = async (i: number): Promise<void> => {
    if (nodes[i]!.running) return;
    launch(i);
    await waitHealthy(i, Date.now() + readyTimeoutMs);
    await waitReady();
  };

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((_, i) => killNode(i)));
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', stopSync);
  };
  const stopSync = (): void => {
    for (const child of processes) child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stopSync);

  try {
    for (let i = 0; i < size; i++) launch(i);
    const deadline = Date.now() + readyTimeoutMs;
    for (let i = 0; i < size; i++) await waitHealthy(i, deadline);
    await waitReady();
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, servers: nodes.map((n) => n.url), killNode, restartNode, waitReady, stop };
}
