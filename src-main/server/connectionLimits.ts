// How many clients one server (the API, the web UI) holds at once (issue 11): every open socket
// costs a file descriptor, and an event stream (GET /api/events, /api/ws) a session, a state
// pushed on each change and the buffers of a client that may not read. Without a cap, 2,000
// connections that never read were all accepted.
//
// Connections that proved the token (or needed none) are kept; when the server is full, the
// oldest of those that did not is closed to make room, so a flood of connections without the
// token cannot lock the owner out. When every connection proved the token, a new one is refused
// with a 503 and a sentence. Event streams have a cap of their own, checked after the token.

import http from 'node:http';
import type { Socket } from 'node:net';

/** Open connections per server; well under the usual 1,024 file descriptors of a process (both servers, the P2P links and mDNS share them). */
export const CONNECTIONS_MAX = 256;
/** Event streams (SSE and WebSocket together) per server: a browser tab holds one; a few dozen is plenty for one person's tabs and scripts. */
export const EVENT_STREAMS_MAX = 32;
/** How long a refused client is asked to wait before it tries again (Retry-After, seconds). */
export const BUSY_RETRY_AFTER_SECONDS = 10;
/** A socket ended with a refusal is destroyed after this long even if the client never reads it. */
const REFUSED_SOCKET_LINGER_MS = 1_000;

export interface ConnectionLimits {
  /** The connection of a request that passed the token check: never closed to make room. */
  trust(socket: Socket): void;
  /** A connection refused on arrival (its 503 is on the way): whatever it asks is not carried out. */
  isRefused(socket: Socket): boolean;
  /** Takes an event stream's place; null when all are taken, else what gives it back (call once, when the stream ends). */
  openStream(): (() => void) | null;
  readonly connections: number;
  readonly streams: number;
}

/** The sentence a client gets when this server holds all the event streams it may. */
export function streamsFullMessage(): string {
  return `this node already serves ${EVENT_STREAMS_MAX} event streams (GET /api/events and /api/ws together); close one, or read the state once with GET /api/state`;
}

/** An HTTP 503 with a JSON body, written on a raw socket that is then closed. */
function refuseSocket(socket: Socket, message: string): void {
  const body = JSON.stringify({ error: { code: 'busy', message } });
  const head = [
    'HTTP/1.1 503 Service Unavailable',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    `Retry-After: ${BUSY_RETRY_AFTER_SECONDS}`,
    'Connection: close',
  ].join('\r\n');
  socket.on('error', () => socket.destroy());
  socket.end(`${head}\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), REFUSED_SOCKET_LINGER_MS).unref();
}

/** Caps the connections of `server` and counts its event streams. */
export function limitConnections(server: http.Server): ConnectionLimits {
  // Insertion order is age: the first untrusted socket found is the oldest.
  const open = new Set<Socket>();
  const trusted = new WeakSet<Socket>();
  const refused = new WeakSet<Socket>();
  let streams = 0;

  const makeRoom = (): boolean => {
    for (const socket of open) {
      if (trusted.has(socket)) continue;
      open.delete(socket);
      socket.destroy();
      return true;
    }
    return false;
  };

  server.on('connection', (socket: Socket) => {
    if (open.size >= CONNECTIONS_MAX && !makeRoom()) {
      refused.add(socket);
      refuseSocket(socket, `this node already holds ${CONNECTIONS_MAX} connections of clients that gave the token; close some and try again`);
      return;
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });

  return {
    trust: (socket) => void trusted.add(socket),
    isRefused: (socket) => refused.has(socket),
    openStream() {
      if (streams >= EVENT_STREAMS_MAX) return null;
      streams++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        streams--;
      };
    },
    get connections() {
      return open.size;
    },
    get streams() {
      return streams;
    },
  };
}
