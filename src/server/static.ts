/**
 * Static files for the dashboard: one directory served at `/`, nothing outside it.
 *
 * A request path is decoded once, must not contain a NUL, a backslash or a `..` / `.`-prefixed
 * segment (hidden files such as `.env` are not served either), and the file it names must, after
 * symbolic links are resolved, still lie under the directory's own real path.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { ReadStream } from 'node:fs';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The content type for a file name (by extension; `application/octet-stream` when unknown). */
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup =
  | { kind: 'file'; file: string; size: number; contentType: string; open: () => ReadStream }
  | { kind: 'refused'; status: 400 | 403 | 404; reason: string };

/** Serves files under one directory (resolved to its real path once, on first use). */
export class StaticFiles {
  private rootReal: Promise<string> | null = null;

  constructor(readonly root: string) {}

  private realRoot(): Promise<string> {
    this.rootReal ??= fs.realpath(this.root);
    return this.rootReal;
  }

  /** Finds the file a request path (the URL's path, still percent-encoded, no query) names. */
  async lookup(urlPath: string): Promise<StaticLookup> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return { kind: 'refused', status: 400, reason: 'malformed percent-encoding in the path' };
    }
    if (decoded.includes('\0') || decoded.includes('\\'))
      return { kind: 'refused', status: 400, reason: 'the path contains a NUL or a backslash' };
    const segments = decoded.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '..'))
      return { kind: 'refused', status: 403, reason: 'the path leaves the served directory' };
    if (segments.some((s) => s.startsWith('.')))
      return { kind: 'refused', status: 404, reason: 'hidden files are not served' };

    const root = await this.realRoot();
    let target = path.join(root, ...segments);
    let real: string;
    try {
      real = await fs.realpath(target);
      if ((await fs.stat(real)).isDirectory()) {
        target = path.join(real, 'index.html');
        real = await fs.realpath(target);
      }
    } catch {
      return { kind: 'refused', status: 404, reason: 'no such file' };
    }
    if (real !== root && !real.startsWith(root + path.sep))
      return { kind: 'refused', status: 403, reason: 'the path leaves the served directory' };
    const stat = await fs.stat(real);
    if (!stat.isFile()) return { kind: 'refused', status: 404, reason: 'no such file' };
    return {
      kind: 'file',
      file: real,
      size: stat.size,
      contentType: contentTypeFor(real),
      open: () => createReadStream(real),
    };
  }
}
