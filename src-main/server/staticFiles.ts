// The web UI's files (`serve --ui`): GET and HEAD under the static folder, never outside it (no
// `..`, no symlink out), app routes answered with index.html, every file with its type and the
// page's Content-Security-Policy. (No static-file library is a dependency; this is what we need.)
//
// The built index.html carries the Electron window's policy in a meta tag (a file:// page gets no
// response headers; it talks to the node over IPC, so it may connect nowhere). Served here, that
// tag is taken out and the policy comes as a header that lets the page connect to its own server
// only: its WebSocket at ws://<the host it was loaded from>.

import { createReadStream, promises as fsp } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { sendError } from './httpReplies.js';

/**
 * The web UI's policy for a page loaded through `host` (the Host header, already checked to name
 * this server): scripts, styles and images from the server, connections to it alone.
 */
export function contentSecurityPolicy(host: string): string {
  return `default-src 'self'; script-src 'self'; connect-src 'self' ws://${host}; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

/** The meta tag of the Electron window's policy in the built index.html. */
const META_POLICY_TAG = /<meta\s+http-equiv=["']Content-Security-Policy["'][^>]*>\s*/giu;

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
  // HTML is read whole to take the window's meta policy out (the header is the policy here).
  let html: string | undefined;
  if (ext === '.html') {
    try {
      html = (await fsp.readFile(file, 'utf8')).replace(META_POLICY_TAG, '');
    } catch {
      return notFound();
    }
  }
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
    'Content-Length': String(html !== undefined ? Buffer.byteLength(html) : size),
    'Cache-Control': ext === '.html' ? 'no-cache' : 'public, max-age=300',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': contentSecurityPolicy(req.headers.host ?? ''),
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
  });
  if (method === 'HEAD' || html !== undefined) {
    res.end(method === 'HEAD' ? undefined : html);
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', (err) => {
    logError(`sd-nearby API: reading ${file} failed:`, err);
    res.destroy();
  });
  stream.pipe(res);
}
