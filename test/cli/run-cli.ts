/**
 * Runs the built CLI (`dist/cli/main.js`) as a child process, the way a user does. Builds it
 * with `npx tsup` when it is missing or older than a file under `src/` (the tests compare its
 * output with the library in `src/`). `BALLAST_CLI` may point at another build of the same
 * entry; it is then used as it is.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const builtCli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const cliPath = process.env['BALLAST_CLI'] ?? builtCli;

/** Builds `dist/` if the CLI is missing or stale; test files running in parallel build once. */
export function ensureBuilt(): void {
  if (cliPath !== builtCli) return;
  if (isFresh()) return;
  // Test files run in parallel workers: the first takes the lock and builds, the others wait.
  const lock = join(repoRoot, 'node_modules', '.cache', 'ballast-cli-build.lock');
  mkdirSync(join(lock, '..'), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    if (!isFresh()) execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'pipe' });
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(cliPath)) throw new Error(`npx tsup did not produce ${cliPath}`);
}

function isFresh(): boolean {
  if (!existsSync(builtCli)) return false;
  return statSync(builtCli).mtimeMs >= newestMtime(join(repoRoot, 'src'));
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node <cli> ...args` with `stdin` as its standard input. */
export function runCli(args: string[], stdin = '', cwd = repoRoot): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.on('error', () => undefined); // the CLI may exit before reading everything
    child.stdin.end(stdin);
  });
}

/** The non-empty lines of an output, each parsed as JSON. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
