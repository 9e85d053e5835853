// The only module that knows how the renderer reaches the node (DESIGN §3). In the Electron
// window the preload script exposes `window.nearby`; in a browser (`sd-nearby serve --ui`) the
// page opens a WebSocket to its own server at /api/ws. Either is a port of the contract
// (src-shared/rpc.ts) and ContractClient makes the typed calls; the rest of the UI sees NodeConnection.

import { Backoff } from '../../src-shared/backoff.js';
import { CommandError, type NodeState } from '../../src-shared/contract.js';
import { ContractClient } from '../../src-shared/contractClient.js';
import type { ClientPort, RpcRequest, RpcServerMessage } from '../../src-shared/rpc.js';
import type { ConnectionStatus, DisconnectCause, NodeConnection } from './connectionTypes.js';
import { causeOfRefusal, disconnectReason, retryHelps, takeToken, takeTokenFromAddress, TOKEN_CHECK_PATH, webSocketUrl } from './pageToken.js';

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

/** The HTTP status of the token check (pageToken.ts), or null when nothing answered. */
async function checkToken(token: string | null): Promise<number | null> {
  try {
    const answer = await fetch(TOKEN_CHECK_PATH, { cache: 'no-store', headers: token === null ? {} : { Authorization: `Bearer ${token}` } });
    return answer.status;
  } catch {
    return null;
  }
}

/**
 * The WebSocket to the page's own server, opened again after each loss (with backoff). When it
 * does not open, the token check says why: a missing or refused token waits for a token added to
 * the address (`hashchange`, no reload needed); a node that does not answer is tried again.
 */
function connectThroughWebSocket(win: Window, firstToken: string | null): NodeConnection {
  const status = new StatusHub();
  const states = new Listeners<NodeState>();
  let token = firstToken;
  let client: ContractClient | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let isOpen = false;
  const reconnect = new Backoff({ minMs: RECONNECT_MIN_MS, maxMs: RECONNECT_MAX_MS });

  const closed = (cause: DisconnectCause, detail: string) => {
    const wait = retryHelps(cause) ? reconnect.next() : null;
    status.set({ state: 'closed', cause, reason: disconnectReason(cause, detail), retryAt: wait === null ? null : Date.now() + wait });
    if (wait !== null) retryTimer = setTimeout(open, wait);
  };
  const open = () => {
    retryTimer = null;
    status.set({ state: 'connecting' });
    const tokenUsed = token;
    const ws = new WebSocket(webSocketUrl(win.location, tokenUsed));
    const current = new ContractClient(webSocketPort(ws, (event) => (isOpen ? disconnectReason('lost', event.reason) : NOT_CONNECTED)));
    current.on('state', (state) => states.emit(state));
    client = current;
    ws.addEventListener('open', () => {
      isOpen = true;
      reconnect.reset();
      status.set({ state: 'open' });
    });
    ws.addEventListener('close', (event: CloseEvent) => {
      if (client !== current) return;
      client = null;
      if (isOpen) {
        isOpen = false;
        return closed('lost', event.reason);
      }
      if (token !== tokenUsed) return open(); // a token came while this one was tried
      void checkToken(tokenUsed).then((answer) => {
        if (client === null && retryTimer === null && token === tokenUsed) closed(causeOfRefusal(answer, tokenUsed !== null), '');
      });
    });
  };
  // A token added to the address in this tab: taken at once, and used unless a connection is open.
  win.addEventListener('hashchange', () => {
    const added = takeTokenFromAddress(win);
    if (added === null || isOpen) return;
    token = added;
    if (retryTimer !== null) clearTimeout(retryTimer);
    reconnect.reset();
    if (client === null) open();
  });
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
  return connectThroughWebSocket(win, takeToken(win));
}
