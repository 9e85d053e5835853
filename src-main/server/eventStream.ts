// GET /api/events: the node's state as Server-Sent Events, the current state first, then each
// change. A push-only port of the contract server: its session counts as someone looking (issue
// 9) while the stream is open, and a slow reader gets the newest state, not a backlog; a reader
// that stops reading is dropped (slowReaders.ts).

import type http from 'node:http';
import type { NodeApi } from '../../src-shared/contract.js';
import { serveContract } from '../../src-shared/contractServer.js';
import type { RpcServerMessage, ServerPort } from '../../src-shared/rpc.js';
import { sendError } from './httpReplies.js';
import { watchReader, type ReaderWatch } from './slowReaders.js';

/** A comment line now and then keeps proxies and idle timers from closing a quiet stream. */
const SSE_KEEPALIVE_MS = 25_000;

const EVENT_STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

/** Writes `text`; resolves once the socket took it (or the stream closed), which lets the next, newest state go. */
function writeWhenTaken(res: http.ServerResponse, text: string, reader: ReaderWatch | null): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.on('close', done);
    res.write(text, () => {
      reader?.progressed();
      done();
    });
    reader?.check();
  });
}

/** Serves one event stream; returns what ends it (the server is closing). */
export function openEventStream(node: NodeApi, req: http.IncomingMessage, res: http.ServerResponse, logError: (message: string, error: unknown) => void): () => void {
  let ended = false;
  const socket = res.socket;
  const reader = socket === null ? null : watchReader(socket, () => res.destroy());
  const port: ServerPort = {
    send(message: RpcServerMessage) {
      if (ended || !('event' in message)) return;
      if (!res.headersSent) res.writeHead(200, EVENT_STREAM_HEADERS);
      return writeWhenTaken(res, `event: ${message.event}\ndata: ${JSON.stringify(message.payload)}\n\n`, reader);
    },
    onMessage() {
      // Push only: a client of the event stream sends nothing.
    },
    onClose(callback) {
      const once = () => {
        if (ended) return;
        ended = true;
        clearInterval(keepalive);
        reader?.stop();
        callback('the event stream closed');
      };
      req.on('close', once);
      res.on('close', once);
    },
    close() {
      // The server refused this client (its first state failed) before anything was sent.
      if (!res.headersSent) sendError(res, 500, 'internal', 'the node failed to report its state; the details are in its log (stderr)');
      else res.end();
    },
  };
  const keepalive = setInterval(() => {
    if (!ended && res.headersSent) res.write(': keepalive\n\n');
  }, SSE_KEEPALIVE_MS);
  keepalive.unref();
  const connection = serveContract(node, port, { label: 'sd-nearby API', logError, inFlightMax: 0, pushState: true });
  return () => {
    connection.close();
    clearInterval(keepalive);
    ended = true;
    res.end();
  };
}
