// The contract over a WebSocket (DESIGN §3): the web UI's transport. Every text message is one
// RpcRequest (src-shared/rpc.ts) handled by serveRequest, which validates everything; the node's
// 'state' events are pushed as RpcEvents, the current state first. Who may connect (Host, Origin,
// token) is decided by the HTTP server before the upgrade reaches this module.

import type { Duplex } from 'node:stream';
import type http from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { PAYLOAD_MAX_BYTES, type NodeApi, type NodeState } from '../../src-shared/contract.js';
import { serveRequest, type RpcEvent, type RpcResponse } from '../../src-shared/rpc.js';

export const WEBSOCKET_PATH = '/api/ws';
/** Requests of one connection being carried out at once; more are refused until some finish. */
export const WS_IN_FLIGHT_MAX = 16;
/** A connection that does not answer a ping within this long is dropped. */
export const WS_PING_INTERVAL_MS = 30_000;
/** How long close() waits for clients to answer the closing handshake before cutting them off. */
const CLOSE_GRACE_MS = 500;
/** RFC 6455 §7.4.1: 1008 policy violation, 1001 going away. */
const CLOSE_POLICY = 1008;
const CLOSE_GOING_AWAY = 1001;

export interface WebSocketTransport {
  /** Takes over an upgrade request that passed the server's checks. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Number of open connections (for tests and logs). */
  readonly connections: number;
  /** Closes every connection (1001 going away); resolves once they are closed (at most ~0.5 s). */
  close(): Promise<void>;
}

function errorResponse(id: number, message: string, code: 'invalid-payload' | 'refused' = 'invalid-payload'): RpcResponse {
  return { id, ok: false, error: { code, message } };
}

export function createWebSocketTransport(node: NodeApi, logError: (message: string, error: unknown) => void): WebSocketTransport {
  // perMessageDeflate off: state messages are small and compression costs CPU per client.
  const wss = new WebSocketServer({ noServer: true, maxPayload: PAYLOAD_MAX_BYTES, perMessageDeflate: false, clientTracking: true });

  const onConnection = (ws: WebSocket) => {
    let inFlight = 0;
    let alive = true;
    // State events are coalesced: while one is being written, only the newest waits.
    let writingState = false;
    let pendingState: NodeState | null = null;
    let initialSent = false;

    const sendJson = (message: RpcResponse | RpcEvent, done?: () => void) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(JSON.stringify(message), () => done?.());
    };
    const pushState = (state: NodeState) => {
      if (!initialSent || writingState) {
        // Before the first state went out, or while one is being written: keep only the newest.
        pendingState = state;
        return;
      }
      writingState = true;
      sendJson({ event: 'state', payload: state }, () => {
        writingState = false;
        const next = pendingState;
        pendingState = null;
        if (next !== null) pushState(next);
      });
    };
    node.on('state', pushState);

    const ping = setInterval(() => {
      if (!alive) {
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, WS_PING_INTERVAL_MS);
    ping.unref();
    ws.on('pong', () => (alive = true));

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        sendJson(errorResponse(-1, 'send each request as a text message of JSON: {"id":1,"command":"getState","payload":{}}'));
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(rawDataToString(data));
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        sendJson(errorResponse(-1, `the message is not valid JSON: ${why.slice(0, 120)}`));
        return;
      }
      if (inFlight >= WS_IN_FLIGHT_MAX) {
        const id = typeof raw === 'object' && raw !== null && Number.isSafeInteger((raw as { id?: unknown }).id) ? (raw as { id: number }).id : -1;
        sendJson(errorResponse(id, `more than ${WS_IN_FLIGHT_MAX} requests at once; wait for answers before sending more`, 'refused'));
        return;
      }
      inFlight++;
      serveRequest(node, raw)
        .then((response) => sendJson(response))
        .catch((err: unknown) => logError('sd-nearby WebSocket: a request failed:', err)) // serveRequest does not throw; belt and braces
        .finally(() => inFlight--);
    });

    // Protocol errors (bad frames, a message over maxPayload) close the connection with the
    // right code (1002, 1009); they must never reach the process as an uncaught error.
    ws.on('error', () => {});
    ws.on('close', () => {
      clearInterval(ping);
      node.off('state', pushState);
      pendingState = null;
    });

    node.invoke('getState', {}).then(
      (state) => {
        initialSent = true;
        // A change announced while getState ran is newer than its answer.
        const first = pendingState ?? state;
        pendingState = null;
        pushState(first);
      },
      (err: unknown) => {
        logError('sd-nearby WebSocket: getState for a new connection failed:', err);
        ws.close(CLOSE_POLICY, 'the node could not report its state');
      },
    );
  };

  return {
    handleUpgrade(req, socket, head) {
      wss.handleUpgrade(req, socket, head, onConnection);
    },
    get connections() {
      return wss.clients.size;
    },
    async close() {
      const open = [...wss.clients];
      const closed = open.map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
      for (const ws of open) ws.close(CLOSE_GOING_AWAY, 'the node is stopping');
      // Clients that do not complete the closing handshake do not hold the shutdown.
      const timer = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, CLOSE_GRACE_MS);
      await Promise.all(closed);
      clearTimeout(timer);
      wss.close();
    },
  };
}

function rawDataToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
