/**
 * The installed package's root directory, found from this module's own location so that the
 * CLI finds `package.json` and `data/` from any working directory, whether it runs from
 * `src/` (tsx, vitest) or from a bundled file anywhere under `dist/`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The nearest ancestor directory holding the `ballast` package.json. */
export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate) && readPackageName(candidate) === 'ballast') {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`package.json of ballast not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The `version` field of the package's package.json. */
export function packageVersion(): string {
  const json: unknown = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'));
  const version = (json as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

function readPackageName(path: string): unknown {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name;
  } catch {
    return undefined;
  }
}

/** The dashboard's built files (`npm run build:web`: `dist/web`), or null when not built. */
export function dashboardDir(): string | null {
  const web = join(packageRoot(), 'dist/web');
  return existsSync(join(web, 'index.html')) ? web : null;
}
