// The only module that knows how the renderer reaches the node (DESIGN §3). In the Electron
// window the preload script exposes `window.nearby`; in a browser (`sd-nearby serve --ui`) the
// page opens a WebSocket to its own server at /api/ws. Either is a port of the contract
// (src-shared/rpc.ts) and ContractClient makes the typed calls; the rest of the UI sees NodeConnection.

import { Backoff } from '../../src-shared/backoff.js';
import { CommandError, type NodeState } from '../../src-shared/contract.js';
import { ContractClient } from '../../src-shared/contractClient.js';
import type { ClientPort, RpcRequest, RpcServerMessage } from '../../src-shared/rpc.js';
import type { ConnectionStatus, NodeConnection } from './connectionTypes.js';
import { takeToken, webSocketUrl } from './pageToken.js';

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

export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 8_000;
const NOT_CONNECTED = 'Not connected to the node; trying again in a moment';

/** Listeners of one kind of value, with the unsubscribe returned. */
class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }
  emit(value: T): void {
    for (const listener of [...this.set]) listener(value);
  }
}

class StatusHub {
  private status: ConnectionStatus = { state: 'connecting' };
  private readonly listeners = new Listeners<ConnectionStatus>();

  set(status: ConnectionStatus): void {
    this.status = status;
    this.listeners.emit(status);
  }

  subscribe(listener: (s: ConnectionStatus) => void): () => void {
    const off = this.listeners.add(listener);
    listener(this.status);
    return off;
  }
}

function connectThroughBridge(bridge: NearbyBridge): NodeConnection {
  const port: ClientPort = {
    send: (request) => bridge.send(request),
    onMessage: (callback) => bridge.onMessage(callback),
    onClose() {}, // the window and the node live and end together
    close() {},
  };
  const client = new ContractClient(port);
  const status = new StatusHub();
  status.set({ state: 'open' });
  return {
    call: (command, payload) => client.call(command, payload),
    onState: (listener) => client.on('state', listener),
    onStatus: (listener) => status.subscribe(listener),
  };
}

/** One WebSocket as a port; `closeReason` says in words why it closed. */
function webSocketPort(ws: WebSocket, closeReason: (event: CloseEvent) => string): ClientPort {
  return {
    send(request) {
      if (ws.readyState !== WebSocket.OPEN) throw new CommandError('internal', NOT_CONNECTED);
      ws.send(JSON.stringify(request));
    },
    onMessage(callback) {
      ws.addEventListener('message', (event: MessageEvent) => {
        if (typeof event.data !== 'string') return;
        try {
          callback(JSON.parse(event.data) as RpcServerMessage);
        } catch {
          // the node only sends JSON; anything else is not for us
        }
      });
    },
    onClose(callback) {
      ws.addEventListener('close', (event: CloseEvent) => callback(closeReason(event)));
    },
    close: () => ws.close(),
  };
}

/** Why the page could not reach the node before any connection opened. */
function unreachableReason(hasToken: boolean): string {
  return hasToken
    ? 'Cannot reach the node. Is `sd-nearby serve --ui` still running? Its token may have changed: open the address it printed (it ends in #token=…)'
    : 'Cannot reach the node without its token: open the address `sd-nearby serve --ui` printed (it ends in #token=…)';
}

function connectThroughWebSocket(url: string, hasToken: boolean): NodeConnection {
  const status = new StatusHub();
  const states = new Listeners<NodeState>();
  let client: ContractClient | null = null;
  const reconnect = new Backoff({ minMs: RECONNECT_MIN_MS, maxMs: RECONNECT_MAX_MS });

  const open = () => {
    status.set({ state: 'connecting' });
    const ws = new WebSocket(url);
    let opened = false;
    const reasonOf = (event: CloseEvent) =>
      opened
        ? `The connection to the node was lost${event.reason ? ` (${event.reason})` : ''}`
        : unreachableReason(hasToken);
    const current = new ContractClient(webSocketPort(ws, reasonOf));
    current.on('state', (state) => states.emit(state));
    client = current;
    ws.addEventListener('open', () => {
      opened = true;
      reconnect.reset();
      status.set({ state: 'open' });
    });
    ws.addEventListener('close', (event: CloseEvent) => {
      if (client !== current) return;
      client = null;
      const wait = reconnect.next();
      status.set({ state: 'closed', reason: reasonOf(event), retryAt: Date.now() + wait });
      setTimeout(open, wait);
    });
  };
  open();
  return {
    call: (command, payload) => (client === null ? Promise.reject(new CommandError('internal', NOT_CONNECTED)) : client.call(command, payload)),
    onState: (listener) => states.add(listener),
    onStatus: (listener) => status.subscribe(listener),
  };
}

/** Picks the transport of this window: the Electron preload when present, else the WebSocket. */
export function connectToNode(win: Window = window): NodeConnection {
  if (win.nearby !== undefined) return connectThroughBridge(win.nearby);
  const token = takeToken(win);
  return connectThroughWebSocket(webSocketUrl(win.location, token), token !== null);
}
