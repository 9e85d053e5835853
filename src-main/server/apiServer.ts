// The node's HTTP API for scripts (DESIGN §3): the contract's commands over plain HTTP + JSON,
// state changes as Server-Sent Events, and optionally the web UI's static files.
//
//   GET  /api/state            -> the node's state
//   POST /api/<command>        -> the command's result (JSON body = its payload; empty body = {})
//   GET  /api/events           -> text/event-stream of `state` events, the current state first
//   GET  /api/ws (upgrade)     -> WebSocket: RpcRequest in, RpcResponse/RpcEvent out (webSocketTransport.ts)
//   GET  /anything-else        -> a file of staticDir (index.html for app routes), when given
//
// Protections: the Host header must name this server (DNS rebinding), an Origin header must be
// this server's own origin (cross-site requests from a browser), a bearer token is required when
// the API listens beyond loopback (on the WebSocket also as `?token=`, browsers cannot set its
// headers), and bodies and WebSocket messages are capped at PAYLOAD_MAX_BYTES.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import http from 'node:http';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import {
  commandSchemas,
  CommandError,
  isCommandName,
  parsePayload,
  PAYLOAD_MAX_BYTES,
  type CommandName,
  type NodeApi,
  type NodeState,
} from '../../src-shared/contract.js';
import { createWebSocketTransport, WEBSOCKET_PATH } from './webSocketTransport.js';

export interface ApiServerOptions {
  node: NodeApi;
  /** Address to listen on: an IP literal or `localhost`. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Listen on this Unix socket instead of host:port (Host header `localhost`; no token needed). */
  socketPath?: string;
  /** Bearer token. Required beyond loopback (generated when absent); on loopback only if given. */
  token?: string;
  /** Folder of the web UI, served for GET paths outside /api/. */
  staticDir?: string;
  /** Where failures of the node are logged (default: console.error, i.e. stderr). */
  logError?: (message: string, error: unknown) => void;
}

export interface ApiServer {
  /** `http://HOST:PORT` (IPv6 hosts bracketed), with the port actually bound. */
  url: string;
  port: number;
  host: string;
  /** The token clients must send as `Authorization: Bearer <token>`, or null when none is needed. */
  token: string | null;
  close(): Promise<void>;
  server: http.Server;
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const SSE_KEEPALIVE_MS = 25_000;

/** Strips IPv6 brackets and lowercases. */
function bareHost(host: string): string {
  const h = host.trim().toLowerCase();
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** `host:port` as it appears in a Host header / URL: IPv6 literals bracketed. */
export function formatHostPort(host: string, port: number): string {
  const h = bareHost(host);
  return isIPv6(h) ? `[${h}]:${port}` : `${h}:${port}`;
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = bareHost(host);
  if (h === 'localhost' || h === 'localhost.') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  if (isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return mapped !== null && mapped[1] !== undefined && mapped[1].startsWith('127.');
  }
  return false;
}

/** A token is required whenever the API listens on anything but a loopback address. */
export function requiresToken(host: string): boolean {
  return !isLoopbackHost(host);
}

function isWildcardHost(host: string): boolean {
  const h = bareHost(host);
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** Constant-time comparison (hashing first makes the lengths equal). */
function tokenMatches(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Why a request is refused, as the HTTP answer it gets. */
interface RequestProblem {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

interface ErrorBody {
  error: { code: string; message: string };
}

const JSON_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

function sendJson(res: http.ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(text)), ...extraHeaders });
  res.end(text);
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string, extraHeaders: Record<string, string> = {}): void {
  const body: ErrorBody = { error: { code, message } };
  sendJson(res, status, body, extraHeaders);
}

/** Answers an upgrade request with an HTTP error (no WebSocket) and closes the socket. */
function refuseUpgrade(socket: Duplex, problem: RequestProblem): void {
  const body = JSON.stringify({ error: { code: problem.code, message: problem.message } } satisfies ErrorBody);
  const headers = { ...JSON_HEADERS, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close', ...(problem.headers ?? {}) };
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.end(`HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status] ?? 'Error'}\r\n${head}\r\n${body}`);
}

function statusForCommandError(code: string): number {
  switch (code) {
    case 'not-found':
    case 'unknown-command':
      return 404;
    case 'refused':
      return 409;
    case 'invalid-payload':
      return 400;
    default:
      return 500;
  }
}

const COMMAND_NAMES = Object.keys(commandSchemas) as CommandName[];

class BodyError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Reads a JSON body of at most PAYLOAD_MAX_BYTES; an empty body is `{}`. */
function readJsonBody(req: http.IncomingMessage, command: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new BodyError(413, 'payload-too-large', `the ${command} request body is larger than ${PAYLOAD_MAX_BYTES} bytes`);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > PAYLOAD_MAX_BYTES) {
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > PAYLOAD_MAX_BYTES) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const raw = Buffer.concat(chunks);
      if (raw.length === 0 || raw.toString('utf8').trim() === '') {
        resolve({});
        return;
      }
      const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (type !== 'application/json') {
        reject(
          new BodyError(
            415,
            'invalid-payload',
            `the ${command} request body must be JSON sent with "Content-Type: application/json"${type ? `, not "${type}"` : ''}`,
          ),
        );
        return;
      }
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
      } catch {
        reject(new BodyError(400, 'invalid-payload', `the ${command} request body is not valid UTF-8 text`));
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        reject(new BodyError(400, 'invalid-payload', `the ${command} request body is not valid JSON: ${why}`));
      }
    });
  });
}

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

function bindErrorMessage(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = formatHostPort(host, port);
  switch (err.code) {
    case 'EADDRINUSE':
      return `the API address ${where} is in use by another program; choose another with --api HOST:PORT`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine; choose one of its addresses with --api HOST:PORT (127.0.0.1 for this machine only)`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to listen on ${where}${port > 0 && port < 1024 ? ' (ports below 1024 need administrator rights)' : ''}; choose another port with --api HOST:PORT`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${host} is not a known host name; give an IP address of this machine with --api HOST:PORT`;
    default:
      return `cannot listen on ${where} for the API: ${err.message}`;
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { node } = opts;
  const logError = opts.logError ?? ((message: string, error: unknown) => console.error(message, error));
  const host = opts.host;
  if (opts.token !== undefined && !/^[\x21-\x7e]+$/.test(opts.token)) {
    throw new Error('the API token must be printable ASCII without spaces');
  }
  const token: string | null = opts.token ?? (opts.socketPath === undefined && requiresToken(host) ? randomBytes(32).toString('base64url') : null);
  const staticRoot = opts.staticDir !== undefined ? path.resolve(opts.staticDir) : null;
  let boundPort = opts.port;
  const sseClosers = new Set<() => void>();

  const allowedHostHeaders = (): Set<string> => {
    if (opts.socketPath !== undefined) return new Set(['localhost']);
    const set = new Set<string>([
      `localhost:${boundPort}`,
      `127.0.0.1:${boundPort}`,
      `[::1]:${boundPort}`,
      formatHostPort(host, boundPort),
    ]);
    if (boundPort === 80) for (const h of ['localhost', '127.0.0.1', '[::1]']) set.add(h);
    if (isWildcardHost(host)) {
      // Listening on every interface: the machine's own addresses are legitimate Host names
      // (IP literals cannot be rebound by a DNS attacker).
      for (const list of Object.values(networkInterfaces())) {
        for (const info of list ?? []) {
          const addr = info.address.split('%')[0] ?? info.address;
          if (isIP(addr) !== 0) set.add(formatHostPort(addr, boundPort));
        }
      }
    }
    return set;
  };

  /** Why a request may not be served (403: Host or Origin), or null when it may. */
  const hostOrOriginProblem = (req: http.IncomingMessage): RequestProblem | null => {
    const allowed = allowedHostHeaders();
    const hostHeader = (req.headers.host ?? '').trim().toLowerCase();
    if (!allowed.has(hostHeader)) {
      return {
        status: 403,
        code: 'forbidden-host',
        message: `requests must be addressed to this API by one of ${[...allowed].join(', ')} (got Host "${hostHeader}"); this protects against DNS rebinding`,
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined) {
      const o = origin.trim().toLowerCase();
      const ok = o.startsWith('http://') && allowed.has(o.slice('http://'.length));
      if (!ok) {
        return {
          status: 403,
          code: 'forbidden-origin',
          message: `requests from web pages of other sites are refused (Origin "${origin}"); open the page from this server or call the API without an Origin header`,
        };
      }
    }
    return null;
  };

  /** Returns true when the request passed; otherwise it has been answered with 403. */
  const checkHostAndOrigin = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const problem = hostOrOriginProblem(req);
    if (problem !== null) sendError(res, problem.status, problem.code, problem.message);
    return problem === null;
  };

  /**
   * Why the request lacks the token (401), or null when it carries it or none is needed. A
   * browser cannot set headers on a WebSocket, so there (`queryToken`) `?token=` counts too.
   */
  const tokenProblem = (req: http.IncomingMessage, queryToken: string | null = null): RequestProblem | null => {
    if (token === null) return null;
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (m !== null && m[1] !== undefined && tokenMatches(m[1], token)) return null;
    if (queryToken !== null && tokenMatches(queryToken, token)) return null;
    const where = opts.token !== undefined
      ? 'the token this server was started with (--api-token)'
      : 'the token printed when the node started';
    return {
      status: 401,
      code: 'unauthorized',
      message:
        auth === '' && queryToken === null
          ? `this API needs a token: send the header "Authorization: Bearer <token>" with ${where}`
          : `the token is wrong: send the header "Authorization: Bearer <token>" with ${where}`,
      headers: { 'WWW-Authenticate': 'Bearer realm="sd-nearby"' },
    };
  };

  /** Returns true when the request carries the token (or none is needed); otherwise answered 401. */
  const checkToken = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const problem = tokenProblem(req);
    if (problem !== null) sendError(res, problem.status, problem.code, problem.message, problem.headers);
    return problem === null;
  };

  const handleCommand = async (command: CommandName, req: http.IncomingMessage, res: http.ServerResponse) => {
    let payload: unknown;
    try {
      const body = command === 'getState' && req.method === 'GET' ? {} : await readJsonBody(req, command);
      payload = parsePayload(command, body);
    } catch (err) {
      if (err instanceof BodyError) {
        sendError(res, err.status, err.code, err.message, err.status === 413 ? { Connection: 'close' } : {});
      } else if (err instanceof CommandError) {
        sendError(res, 400, 'invalid-payload', err.message);
      } else {
        sendError(res, 400, 'invalid-payload', `the ${command} request body could not be read`);
      }
      return;
    }
    try {
      // The payload was validated for exactly this command above.
      const result = await node.invoke(command, payload as never);
      sendJson(res, 200, result);
    } catch (err) {
      if (err instanceof CommandError) {
        sendError(res, statusForCommandError(err.code), err.code, err.message);
      } else {
        logError(`sd-nearby API: ${command} failed:`, err);
        sendError(res, 500, 'internal', `the node failed to carry out ${command}; the details are in its log (stderr)`);
      }
    }
  };

  const handleEvents = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    let ready = false;
    let pending: NodeState | null = null;
    let closed = false;
    const write = (state: NodeState) => {
      if (!closed) res.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
    };
    const listener = (state: NodeState) => {
      if (ready) write(state);
      else pending = state;
    };
    const keepalive = setInterval(() => {
      if (!closed) res.write(': keepalive\n\n');
    }, SSE_KEEPALIVE_MS);
    keepalive.unref();
    const cleanup = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      node.off('state', listener);
      sseClosers.delete(closeStream);
    };
    const closeStream = () => {
      cleanup();
      res.end();
    };
    node.on('state', listener);
    sseClosers.add(closeStream);
    req.on('close', cleanup);
    res.on('close', cleanup);
    let initial: NodeState;
    try {
      initial = await node.invoke('getState', {});
    } catch (err) {
      cleanup();
      if (err instanceof CommandError) {
        sendError(res, statusForCommandError(err.code), err.code, err.message);
      } else {
        logError('sd-nearby API: getState for /api/events failed:', err);
        sendError(res, 500, 'internal', 'the node failed to report its state; the details are in its log (stderr)');
      }
      return;
    }
    if (closed) return;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    write(initial);
    ready = true;
    // A change that happened while the first state was fetched: the last event is the newest.
    const late = pending as NodeState | null;
    if (late !== null) write(late);
  };

  const handleApi = async (route: string, req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!checkToken(req, res)) return;
    const method = req.method ?? 'GET';
    if (route === 'state') {
      if (method !== 'GET') return sendError(res, 405, 'method-not-allowed', 'use GET /api/state', { Allow: 'GET' });
      return handleCommand('getState', req, res);
    }
    if (route === WEBSOCKET_PATH.slice('/api/'.length)) {
      return sendError(res, 426, 'upgrade-required', `${WEBSOCKET_PATH} is the WebSocket of the contract; connect to it with a WebSocket client`, { Upgrade: 'websocket', Connection: 'Upgrade' });
    }
    if (route === 'events') {
      if (method !== 'GET') return sendError(res, 405, 'method-not-allowed', 'use GET /api/events', { Allow: 'GET' });
      return handleEvents(req, res);
    }
    if (!isCommandName(route)) {
      const shown = route.length > 64 ? `${route.slice(0, 64)}…` : route;
      return sendError(
        res,
        404,
        'unknown-command',
        `unknown command "${shown}"; the commands are ${COMMAND_NAMES.join(', ')} (POST /api/<command>), plus GET /api/state and GET /api/events`,
      );
    }
    if (method !== 'POST') {
      return sendError(res, 405, 'method-not-allowed', `use POST /api/${route} with a JSON body`, { Allow: 'POST' });
    }
    return handleCommand(route, req, res);
  };

  const serveStatic = async (pathname: string, req: http.IncomingMessage, res: http.ServerResponse) => {
    const notFound = () => sendError(res, 404, 'not-found', `nothing at ${pathname.slice(0, 200)}`);
    if (staticRoot === null) {
      return sendError(res, 404, 'not-found', 'nothing here; the API is under /api/ (GET /api/state, POST /api/<command>, GET /api/events)');
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      return sendError(res, 405, 'method-not-allowed', `use GET for ${pathname.slice(0, 200)}`, { Allow: 'GET, HEAD' });
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return sendError(res, 400, 'bad-path', 'the path is not valid percent-encoding');
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return notFound();
    const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.some((s) => s === '..')) return notFound();
    let realRoot: string;
    try {
      realRoot = await fsp.realpath(staticRoot);
    } catch {
      return notFound();
    }
    const inside = (p: string) => p === realRoot || p.startsWith(realRoot + path.sep);
    const resolveFile = async (rel: string[]): Promise<string | null> => {
      const candidate = path.resolve(realRoot, ...rel);
      if (!inside(candidate)) return null;
      try {
        let real = await fsp.realpath(candidate);
        if (!inside(real)) return null;
        let st = await fsp.stat(real);
        if (st.isDirectory()) {
          real = path.join(real, 'index.html');
          st = await fsp.stat(real);
          real = await fsp.realpath(real);
          if (!inside(real)) return null;
        }
        return st.isFile() ? real : null;
      } catch {
        return null;
      }
    };
    let file = await resolveFile(segments);
    const last = segments[segments.length - 1] ?? '';
    if (file === null && !last.includes('.')) file = await resolveFile(['index.html']); // app routes
    if (file === null) return notFound();
    const ext = path.extname(file).toLowerCase();
    const type = CONTENT_TYPES[ext] ?? 'application/octet-stream';
    let size: number;
    try {
      size = (await fsp.stat(file)).size;
    } catch {
      return notFound();
    }
    res.writeHead(200, {
      'Content-Type': type,
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
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!checkHostAndOrigin(req, res)) return;
    const rawUrl = req.url ?? '/';
    const pathname = rawUrl.split('?')[0]?.split('#')[0] ?? '/';
    if (pathname === '/api' || pathname.startsWith('/api/')) {
      const route = pathname === '/api' ? '' : pathname.slice('/api/'.length);
      return handleApi(route, req, res);
    }
    return serveStatic(pathname, req, res);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logError('sd-nearby API: request failed:', err);
      if (!res.headersSent) sendError(res, 500, 'internal', 'the API failed to answer; the details are in the node log (stderr)');
      else res.destroy();
    });
  });
  const webSocket = createWebSocketTransport(node, logError);
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy()); // a client gone mid-handshake is not our failure
    const refuse = (problem: RequestProblem) => refuseUpgrade(socket, problem);
    const hostProblem = hostOrOriginProblem(req);
    if (hostProblem !== null) return refuse(hostProblem);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse({ status: 400, code: 'bad-path', message: 'the request path is not a valid URL path' });
    }
    if (url.pathname !== WEBSOCKET_PATH) {
      return refuse({ status: 404, code: 'not-found', message: `the only WebSocket here is ${WEBSOCKET_PATH}` });
    }
    const authProblem = tokenProblem(req, url.searchParams.get('token'));
    if (authProblem !== null) return refuse(authProblem);
    webSocket.handleUpgrade(req, socket, head);
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new Error(bindErrorMessage(err, host, opts.port), { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if (opts.socketPath !== undefined) server.listen({ path: opts.socketPath });
    else server.listen({ host: bareHost(host), port: opts.port });
  });
  server.on('error', (err) => logError('sd-nearby API: server error:', err));

  const address = server.address();
  if (address !== null && typeof address === 'object') boundPort = address.port;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const closeStream of [...sseClosers]) closeStream();
      const webSocketsClosed = webSocket.close();
      server.close(() => void webSocketsClosed.then(() => resolve()));
      server.closeIdleConnections();
      // Streams and slow requests must not hold the shutdown.
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
    return closing;
  };

  return {
    url: opts.socketPath !== undefined ? `unix:${opts.socketPath}` : `http://${formatHostPort(host, boundPort)}`,
    port: boundPort,
    host,
    token,
    close,
    server,
  };
}
