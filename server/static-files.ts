import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Remix fingerprints every file under /build/: a name never changes content, so it is kept for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const SHORT = 'public, max-age=3600';

/**
 * Serves a file of `root` (the Remix client build in /build/ and the public folder) for GET and
 * HEAD, or returns false to let the app answer. Paths that leave `root` are never served. Only
 * names with an extension are looked for: every file there has one, and the app's own paths
 * (/dashboard, /api/v1/…, /healthz) then cost no `stat` on libuv's pool, which password hashing and
 * compression share (a failed `stat` and its error were ~0.1 ms of a /healthz's 2.5 ms of CPU).
 */
export async function serveStaticFile(req: IncomingMessage, res: ServerResponse, root: string): Promise<boolean> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const file = fileFor(root, req.url ?? '/');
  if (!file || !extname(file)) return false;
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return false;
  const pathname = new URL(req.url ?? '/', 'http://x').pathname;
  res.statusCode = 200;
  res.setHeader('Content-Type', CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
  res.setHeader('Content-Length', info.size);
  res.setHeader('Cache-Control', pathname.startsWith('/build/') ? IMMUTABLE : SHORT);
  res.setHeader('Last-Modified', info.mtime.toUTCString());
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  // pipeline waits for the socket to drain between reads and closes the file if the client leaves.
  await pipeline(createReadStream(file), res).catch(() => res.destroy());
  return true;
}

function fileFor(root: string, url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://x').pathname);
  } catch {
    return null;
  }
  if (pathname.endsWith('/') || pathname.includes('\0')) return null;
  const base = resolve(root);
  const file = resolve(join(base, pathname));
  return file.startsWith(base + sep) ? file : null;
}
