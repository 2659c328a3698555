/**
 * A throwaway PostgreSQL server for tests and benchmarks: a new cluster in a temporary
 * directory (`initdb`), started with `pg_ctl` on 127.0.0.1 at a free port with its socket in
 * that directory, one database created, stopped and deleted by `stop()`.
 *
 * PostgreSQL refuses to run as root: when the tests run as root, `initdb` and `pg_ctl` run as
 * the `postgres` user (`runuser`), which owns the directory. The binaries are Debian's
 * (`/usr/lib/postgresql/<version>/bin`, the highest version installed) or `pg_config
 * --bindir`'s. `postgresBinDir()` is null when none is installed: a test skips then, unless
 * `CI=true`, where a missing server is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** `postgresql://postgres@127.0.0.1:<port>/<database>`. */
  url: string;
  port: number;
  database: string;
  /** Stops the server and deletes its directory. */
  stop(): void;
}

export interface PostgresServerOptions {
  /** The database to create (default `ballast`). */
  database?: string;
  /** Flush to disk at commit as a production server does (default false: faster tests). */
  durable?: boolean;
}

/** Whether a missing PostgreSQL must fail the tests rather than skip them. */
export const postgresRequired = process.env['CI'] === 'true';

/** The directory of `initdb` and `pg_ctl`, or null when PostgreSQL is not installed. */
export function postgresBinDir(): string | null {
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => existsSync(join(debian, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(debian, versions[0], 'bin');
  }
  const config = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const dir = config.status === 0 ? config.stdout.trim() : '';
  return dir !== '' && existsSync(join(dir, 'initdb')) ? dir : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts a new server; throws when PostgreSQL is not installed or does not start. */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === null) throw new Error('PostgreSQL is not installed (no initdb found)');
  const database = options.database ?? 'ballast';
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]): void => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  };
  const dir = mkdtempSync(join(tmpdir(), 'ballast-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const port = await freePort();
  let started = false;
  const stop = (): void => {
    if (started) {
      started = false;
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // Already stopped.
      }
    }
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', stop);
  };
  try {
    run(join(bin, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--locale=C',
      ...(options.durable === true ? [] : ['--no-sync']),
    ]);
    const settings = [
      `-c listen_addresses=127.0.0.1`,
      `-c port=${port}`,
      `-c unix_socket_directories=${dir}`,
      ...(options.durable === true ? [] : ['-c fsync=off', '-c synchronous_commit=off']),
    ];
    run(join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      settings.join(' '),
      'start',
    ]);
    started = true;
    process.on('exit', stop);
    const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await admin.connect();
    try {
      // A linguistic default collation (ICU's en-US) where the server has ICU, so that a query
      // that forgot the byte order of ids (COLLATE "C") would be seen to sort them otherwise.
      const name = pg.escapeIdentifier(database);
      await admin
        .query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`)
        .catch(() => admin.query(`CREATE DATABASE ${name}`));
    } finally {
      await admin.end();
    }
  } catch (error) {
    stop();
    throw error;
  }
  return { url: `postgresql://postgres@127.0.0.1:${port}/${database}`, port, database, stop };
}
