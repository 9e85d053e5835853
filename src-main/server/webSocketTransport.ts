// The contract over a WebSocket (DESIGN §3): the web UI's transport, a port of the contract
// server (src-shared/contractServer.ts). Every text message is one RpcRequest; the node's state
// is pushed as RpcEvents, the current state first (only the newest while one is being written).
// While answers pile up for a client, its requests are left unread; a client that stops reading
// is dropped (slowReaders.ts). Who may
// connect (Host, Origin, token, how many) is decided by the HTTP server before the upgrade
// reaches this module.

import type { Duplex } from 'node:stream';
import type http from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { PAYLOAD_MAX_BYTES, type NodeApi } from '../../src-shared/contract.js';
import { serveContract } from '../../src-shared/contractServer.js';
import { UnreadableMessage, type ServerPort } from '../../src-shared/rpc.js';
import { watchReader, type ReaderWatch } from './slowReaders.js';

export const WEBSOCKET_PATH = '/api/ws';
/** Requests of one connection being carried out at once; more are refused until some finish. */
export const WS_IN_FLIGHT_MAX = 16;
/**
 * Answers waiting for one client beyond which its next requests are left unread until it takes
 * them: they wait in its own socket, not as answers in the node (a client that sent requests as
 * fast as it could without reading grew the node by 1.8 GB in 15 s). About one large state.
 */
export const WS_UNREAD_PAUSE_BYTES = 1024 * 1024;
/** A connection that does not answer a ping within this long is dropped. */
export const WS_PING_INTERVAL_MS = 30_000;
/** How long close() waits for clients to answer the closing handshake before cutting them off. */
const CLOSE_GRACE_MS = 500;
/** RFC 6455 §7.4.1: 1008 policy violation, 1001 going away. */
const CLOSE_POLICY = 1008;
const CLOSE_GOING_AWAY = 1001;

export interface WebSocketTransport {
  /** Takes over an upgrade request that passed the server's checks; `onClose` runs when that connection ends. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, onClose?: () => void): void;
  /** Number of open connections (for tests and logs). */
  readonly connections: number;
  /** Closes every connection (1001 going away); resolves once they are closed (at most ~0.5 s). */
  close(): Promise<void>;
}

function rawDataToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** A text message as the contract server takes it: parsed JSON, or what could not be read. */
function readMessage(data: RawData, isBinary: boolean): unknown {
  if (isBinary) return new UnreadableMessage('send each request as a text message of JSON: {"id":1,"command":"getState","payload":{}}');
  try {
    return JSON.parse(rawDataToString(data));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return new UnreadableMessage(`the message is not valid JSON: ${why.slice(0, 120)}`);
  }
}

/** Stops reading the client's requests while too many answers wait for it; reads again once they went. */
function pauseWhileUnread(ws: WebSocket, socket: Duplex): void {
  if (ws.isPaused || socket.writableLength <= WS_UNREAD_PAUSE_BYTES) return;
  ws.pause();
  socket.once('drain', () => ws.resume());
}

function webSocketPort(ws: WebSocket, socket: Duplex, reader: ReaderWatch): ServerPort {
  return {
    send(message) {
      if (ws.readyState !== ws.OPEN) return;
      // Resolves once the message is written to the socket (or the socket failed).
      return new Promise<void>((resolve) => {
        ws.send(JSON.stringify(message), (err) => {
          if (err === undefined || err === null) reader.progressed();
          resolve();
        });
        reader.check();
        pauseWhileUnread(ws, socket);
      });
    },
    onMessage(callback) {
      ws.on('message', (data: RawData, isBinary: boolean) => callback(readMessage(data, isBinary)));
    },
    onClose(callback) {
      ws.on('close', (code: number) => callback(`the WebSocket closed (${code})`));
    },
    close(reason) {
      ws.close(CLOSE_POLICY, reason);
    },
  };
}

/** Drops a connection that stops answering pings. */
function keepAlive(ws: WebSocket): void {
  let alive = true;
  const ping = setInterval(() => {
    if (!alive) return void ws.terminate();
    alive = false;
    ws.ping();
  }, WS_PING_INTERVAL_MS);
  ping.unref();
  ws.on('pong', () => (alive = true));
  ws.on('close', () => clearInterval(ping));
}

export function createWebSocketTransport(node: NodeApi, logError: (message: string, error: unknown) => void): WebSocketTransport {
  // perMessageDeflate off: state messages are small and compression costs CPU per client.
  const wss = new WebSocketServer({ noServer: true, maxPayload: PAYLOAD_MAX_BYTES, perMessageDeflate: false, clientTracking: true });
  const onConnection = (ws: WebSocket, socket: Duplex) => {
    // Protocol errors (bad frames, a message over maxPayload) close the connection with the
    // right code (1002, 1009); they must never reach the process as an uncaught error.
    ws.on('error', () => {});
    keepAlive(ws);
    // A stalled reader gets no closing handshake: it would wait behind what it does not read.
    const reader = watchReader(socket, () => ws.terminate());
    ws.on('close', () => reader.stop());
    serveContract(node, webSocketPort(ws, socket, reader), { label: 'sd-nearby WebSocket', logError, inFlightMax: WS_IN_FLIGHT_MAX, pushState: true });
  };

  return {
    handleUpgrade(req, socket, head, onClose) {
      if (onClose !== undefined) socket.once('close', onClose);
      wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, socket));
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
