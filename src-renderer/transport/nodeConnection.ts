// The only module that knows how the renderer reaches the node (DESIGN §3). In the Electron
// window the preload script exposes `window.nearby`; in a browser (`sd-nearby serve --ui`) the
// page opens a WebSocket to its own server at /api/ws. Either way the messages are the contract's
// (src-shared/rpc.ts) and RpcClient makes the typed calls; the rest of the UI sees NodeConnection.

import { Backoff } from '../../src-shared/backoff.js';
import { CommandError } from '../../src-shared/contract.js';
import { RpcClient, type RpcRequest, type RpcServerMessage } from '../../src-shared/rpc.js';
import type { ConnectionStatus, NodeConnection } from './connectionTypes.js';

export type { ConnectionStatus, NodeConnection };

/** What the Electron preload exposes as `window.nearby` (contextBridge). */
export interface NearbyBridge {
  send(request: RpcRequest): void;
  onMessage(callback: (message: RpcServerMessage) => void): void;
}

declare global {
  interface Window {
    nearby?: NearbyBridge;
  }
}

export const WEBSOCKET_PATH = '/api/ws';
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 8_000;

/** `ws(s)://<host>/api/ws`, with `?token=` from the page's `#token=` fragment when present. */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host' | 'hash'>): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.hash.replace(/^#/u, '')).get('token');
  return `${scheme}//${location.host}${WEBSOCKET_PATH}${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

class StatusHub {
  private status: ConnectionStatus = { state: 'connecting' };
  private readonly listeners = new Set<(s: ConnectionStatus) => void>();

  set(status: ConnectionStatus): void {
    this.status = status;
    for (const l of this.listeners) l(status);
  }

  subscribe(listener: (s: ConnectionStatus) => void): () => void {
    this.listeners.add(listener);
    listener(this.status);
    return () => this.listeners.delete(listener);
  }
}

function fromClient(client: RpcClient, status: StatusHub): NodeConnection {
  return {
    call: (command, payload) => client.call(command, payload),
    onState: (listener) => client.on('state', listener),
    onStatus: (listener) => status.subscribe(listener),
  };
}

function connectThroughBridge(bridge: NearbyBridge): NodeConnection {
  const client = new RpcClient((request) => bridge.send(request));
  bridge.onMessage((message) => client.receive(message));
  const status = new StatusHub();
  status.set({ state: 'open' });
  return fromClient(client, status);
}

function connectThroughWebSocket(url: string): NodeConnection {
  const status = new StatusHub();
  let socket: WebSocket | null = null;
  const reconnect = new Backoff({ minMs: RECONNECT_MIN_MS, maxMs: RECONNECT_MAX_MS });
  const client = new RpcClient((request) => {
    if (socket === null || socket.readyState !== WebSocket.OPEN) {
      throw new CommandError('internal', 'Not connected to the node; trying again in a moment');
    }
    socket.send(JSON.stringify(request));
  });

  const open = () => {
    status.set({ state: 'connecting' });
    const ws = new WebSocket(url);
    socket = ws;
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      reconnect.reset();
      status.set({ state: 'open' });
    });
    ws.addEventListener('message', (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      let message: RpcServerMessage;
      try {
        message = JSON.parse(event.data) as RpcServerMessage;
      } catch {
        return; // the node only sends JSON; anything else is not for us
      }
      client.receive(message);
    });
    ws.addEventListener('close', (event: CloseEvent) => {
      if (socket !== ws) return;
      socket = null;
      const reason = opened
        ? `The connection to the node was lost${event.reason ? ` (${event.reason})` : ''}`
        : 'Cannot reach the node. Is `sd-nearby serve --ui` still running? If it listens beyond this machine, open the address it printed, with its #token=';
      client.close(reason);
      const wait = reconnect.next();
      status.set({ state: 'closed', reason, retryAt: Date.now() + wait });
      setTimeout(open, wait);
    });
  };
  open();
  return fromClient(client, status);
}

/** Picks the transport of this window: the Electron preload when present, else the WebSocket. */
export function connectToNode(win: Window = window): NodeConnection {
  if (win.nearby !== undefined) return connectThroughBridge(win.nearby);
  return connectThroughWebSocket(webSocketUrl(win.location));
}
