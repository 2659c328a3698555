/**
 * Builds the dashboard (web/) into static files the API serves (`staticDir`):
 * `index.html`, `app.js` (web/src/main.ts bundled with uPlot by esbuild) and `app.css`
 * (uPlot's stylesheet, then ours). `node scripts/build-web.mjs [outDir]`; default `dist/web`.
 */
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Builds into `outDir` (absolute or relative to the working directory); resolves to its path. */
export async function buildWeb(outDir = join(root, 'dist/web')) {
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'web/src/main.ts')],
    outfile: join(out, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  const require = createRequire(import.meta.url);
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const ours = readFileSync(join(root, 'web/app.css'), 'utf8');
  writeFileSync(join(out, 'app.css'), `${uplotCss}\n${ours}`);
  copyFileSync(join(root, 'web/index.html'), join(out, 'index.html'));
  return out;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = await buildWeb(process.argv[2]);
  console.log(`dashboard built: ${out}`);
}
