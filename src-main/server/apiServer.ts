// The node's HTTP API for scripts (DESIGN §3): the contract's commands over plain HTTP + JSON,
// state changes as Server-Sent Events, the contract over a WebSocket, and optionally the web
// UI's static files. This file puts the parts together and listens:
//
//   GET  /api/state            -> the node's state                       (commandRoutes.ts)
//   POST /api/<command>        -> the command's result (JSON body = its payload; empty body = {})
//   GET  /api/events           -> text/event-stream of `state` events, the current state first (eventStream.ts)
//   GET  /api/ws (upgrade)     -> WebSocket: RpcRequest in, RpcResponse/RpcEvent out (webSocketTransport.ts)
//   GET  /anything-else        -> a file of staticDir (index.html for app routes), when given (staticFiles.ts)
//
// Every request passes the Host and Origin checks first, then the token (httpGuards.ts); bodies
// and WebSocket messages are capped at PAYLOAD_MAX_BYTES; connections and event streams are
// capped per server (connectionLimits.ts).

import { randomBytes } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { NodeApi } from '../../src-shared/contract.js';
import { handleApiRoute, type ApiRouteContext } from './commandRoutes.js';
import { BUSY_RETRY_AFTER_SECONDS, limitConnections, streamsFullMessage, type ConnectionLimits } from './connectionLimits.js';
import { openEventStream } from './eventStream.js';
import { bareHost, createGuards, formatHostPort, requiresToken, type Guards } from './httpGuards.js';
import { refuseUpgrade, sendError, sendProblem, type RequestProblem } from './httpReplies.js';
import { serveStatic } from './staticFiles.js';
import { createWebSocketTransport, WEBSOCKET_PATH, type WebSocketTransport } from './webSocketTransport.js';

export interface ApiServerOptions {
  node: NodeApi;
  /** Address to listen on: an IP literal or `localhost`. */
  host: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Listen on this Unix socket instead of host:port (Host header `localhost`; no token needed: the socket is made 0600). */
  socketPath?: string;
  /** Bearer token. Required beyond loopback (generated when absent); on loopback only if given. */
  token?: string;
  /** Where the token comes from, for the 401's sentence (e.g. `the file /home/me/.local/share/sd-nearby/api-token`). */
  tokenSource?: string;
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

const HEADERS_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** After close(), connections still open (a slow request) are cut after this long. */
const CLOSE_CONNECTIONS_AFTER_MS = 1000;

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

/** The token to require: the one given, else a fresh one beyond loopback, else none. */
function tokenFor(opts: ApiServerOptions): string | null {
  if (opts.token !== undefined && !/^[\x21-\x7e]+$/.test(opts.token)) throw new Error('the API token must be printable ASCII without spaces');
  return opts.token ?? (opts.socketPath === undefined && requiresToken(opts.host) ? randomBytes(32).toString('base64url') : null);
}

/** Checks an upgrade request and hands it to the WebSocket, or answers it with the refusal. */
function upgradeHandler(guards: Guards, limits: ConnectionLimits, webSocket: WebSocketTransport) {
  return (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy()); // a client gone mid-handshake is not our failure
    if (limits.isRefused(req.socket)) return; // its 503 went out when it connected
    const hostProblem = guards.hostOrOriginProblem(req);
    if (hostProblem !== null) return refuseUpgrade(socket, hostProblem);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuseUpgrade(socket, { status: 400, code: 'bad-path', message: 'the request path is not a valid URL path' });
    }
    if (url.pathname !== WEBSOCKET_PATH) return refuseUpgrade(socket, { status: 404, code: 'not-found', message: `the only WebSocket here is ${WEBSOCKET_PATH}` });
    const authProblem = guards.tokenProblem(req, url.searchParams.get('token'));
    if (authProblem !== null) return refuseUpgrade(socket, authProblem);
    limits.trust(req.socket);
    const releaseStream = limits.openStream();
    if (releaseStream === null) return refuseUpgrade(socket, busyProblem());
    webSocket.handleUpgrade(req, socket, head, releaseStream);
  };
}

/** The answer to one event stream too many. */
function busyProblem(): RequestProblem {
  return { status: 503, code: 'busy', message: streamsFullMessage(), headers: { 'Retry-After': String(BUSY_RETRY_AFTER_SECONDS) } };
}

function listen(server: http.Server, opts: ApiServerOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(new Error(bindErrorMessage(err, opts.host, opts.port), { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if (opts.socketPath !== undefined) server.listen({ path: opts.socketPath });
    else server.listen({ host: bareHost(opts.host), port: opts.port });
  });
}

/** The routes' view of this server: the node, who may call it, and event streams within the cap. */
function routeContext(opts: ApiServerOptions, guards: Guards, limits: ConnectionLimits, eventStreams: Set<() => void>, logError: ApiRouteContext['logError']): ApiRouteContext {
  return {
    node: opts.node,
    authorize: (req) => {
      const problem = guards.tokenProblem(req);
      if (problem === null) limits.trust(req.socket);
      return problem;
    },
    logError,
    openEvents: (req, res) => {
      const releaseStream = limits.openStream();
      if (releaseStream === null) {
        const busy = busyProblem();
        return sendProblem(res, { ...busy, headers: { ...busy.headers, Connection: 'close' } });
      }
      const end = openEventStream(opts.node, req, res, logError);
      eventStreams.add(end);
      res.on('close', () => {
        eventStreams.delete(end);
        releaseStream();
      });
    },
  };
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const logError = opts.logError ?? ((message: string, error: unknown) => console.error(message, error));
  const token = tokenFor(opts);
  const staticRoot = opts.staticDir !== undefined ? path.resolve(opts.staticDir) : null;
  let boundPort = opts.port;
  const tokenSource = opts.tokenSource ?? (opts.token !== undefined ? 'the token this server was started with (--api-token)' : 'the token printed when the node started');
  const guards = createGuards({ host: opts.host, port: () => boundPort, socketPath: opts.socketPath, token, tokenSource });
  const server = http.createServer();
  const limits = limitConnections(server);
  const eventStreams = new Set<() => void>();
  const routes = routeContext(opts, guards, limits, eventStreams, logError);
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const problem = guards.hostOrOriginProblem(req);
    if (problem !== null) return sendProblem(res, problem);
    const pathname = (req.url ?? '/').split('?')[0]?.split('#')[0] ?? '/';
    if (pathname === '/api' || pathname.startsWith('/api/')) return handleApiRoute(pathname === '/api' ? '' : pathname.slice('/api/'.length), req, res, routes);
    return serveStatic(staticRoot, pathname, req, res, logError);
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (limits.isRefused(req.socket)) return; // its 503 went out when it connected
    handle(req, res).catch((err: unknown) => {
      logError('sd-nearby API: request failed:', err);
      if (!res.headersSent) sendError(res, 500, 'internal', 'the API failed to answer; the details are in the node log (stderr)');
      else res.destroy();
    });
  });
  const webSocket = createWebSocketTransport(opts.node, logError);
  server.on('upgrade', upgradeHandler(guards, limits, webSocket));
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  await listen(server, opts);
  // Whoever may connect to a Unix socket may use the API: only this user.
  if (opts.socketPath !== undefined) await chmod(opts.socketPath, 0o600);
  server.on('error', (err) => logError('sd-nearby API: server error:', err));
  const address = server.address();
  if (address !== null && typeof address === 'object') boundPort = address.port;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      for (const end of [...eventStreams]) end();
      const webSocketsClosed = webSocket.close();
      server.close(() => void webSocketsClosed.then(() => resolve()));
      server.closeIdleConnections();
      // Streams and slow requests must not hold the shutdown.
      setTimeout(() => server.closeAllConnections(), CLOSE_CONNECTIONS_AFTER_MS).unref();
    });
    return closing;
  };
  return { url: opts.socketPath !== undefined ? `unix:${opts.socketPath}` : `http://${formatHostPort(opts.host, boundPort)}`, port: boundPort, host: opts.host, token, close, server };
}
