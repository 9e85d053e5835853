// The web UI's files (`serve --ui`): GET and HEAD under the static folder, never outside it (no
// `..`, no symlink out), app routes answered with index.html, every file with its type and the
// page's Content-Security-Policy. (No static-file library is a dependency; this is what we need.)

import { createReadStream, promises as fsp } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { sendError } from './httpReplies.js';

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

/** The real path of the file `segments` name under `realRoot` (a folder: its index.html), or null when it is missing or outside. */
async function fileInside(realRoot: string, segments: string[]): Promise<string | null> {
  const inside = (p: string) => p === realRoot || p.startsWith(realRoot + path.sep);
  const candidate = path.resolve(realRoot, ...segments);
  if (!inside(candidate)) return null;
  try {
    let real = await fsp.realpath(candidate);
    if (!inside(real)) return null;
    let st = await fsp.stat(real);
    if (st.isDirectory()) {
      real = await fsp.realpath(path.join(real, 'index.html'));
      if (!inside(real)) return null;
      st = await fsp.stat(real);
    }
    return st.isFile() ? real : null;
  } catch {
    return null;
  }
}

/** The safe path segments of a URL path, or a reason to answer 400 / 404. */
function segmentsOf(pathname: string): string[] | 'bad-encoding' | 'not-found' {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 'bad-encoding';
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return 'not-found';
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  return segments.some((s) => s === '..') ? 'not-found' : segments;
}

/** Which file answers `segments`: the file itself, else index.html for an app route (no dot in its last part). */
async function resolveRequested(staticRoot: string, segments: string[]): Promise<string | null> {
  let realRoot: string;
  try {
    realRoot = await fsp.realpath(staticRoot);
  } catch {
    return null;
  }
  const file = await fileInside(realRoot, segments);
  if (file !== null) return file;
  const last = segments[segments.length - 1] ?? '';
  return last.includes('.') ? null : fileInside(realRoot, ['index.html']);
}

export async function serveStatic(
  staticRoot: string | null,
  pathname: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  logError: (message: string, error: unknown) => void,
): Promise<void> {
  const notFound = () => sendError(res, 404, 'not-found', `nothing at ${pathname.slice(0, 200)}`);
  if (staticRoot === null) {
    return sendError(res, 404, 'not-found', 'nothing here; the API is under /api/ (GET /api/state, POST /api/<command>, GET /api/events)');
  }
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    return sendError(res, 405, 'method-not-allowed', `use GET for ${pathname.slice(0, 200)}`, { Allow: 'GET, HEAD' });
  }
  const segments = segmentsOf(pathname);
  if (segments === 'bad-encoding') return sendError(res, 400, 'bad-path', 'the path is not valid percent-encoding');
  if (segments === 'not-found') return notFound();
  const file = await resolveRequested(staticRoot, segments);
  if (file === null) return notFound();
  let size: number;
  try {
    size = (await fsp.stat(file)).size;
  } catch {
    return notFound();
  }
  const ext = path.extname(file).toLowerCase();
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'Content-Length': String(size),
    'Cache-Control': ext === '.html' ? 'no-cache' : 'public, max-age=300',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  });
  if (method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', (err) => {
    logError(`sd-nearby API: reading ${file} failed:`, err);
    res.destroy();
  });
  stream.pipe(res);
}
