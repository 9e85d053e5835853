// The contract over Electron IPC (DESIGN §3): one channel in (RPC_CHANNEL, an RpcRequest per
// message, answered by serveRequest, which validates everything), one channel out
// (MESSAGE_CHANNEL: answers to the sender, 'state' events to every window). Only our own windows,
// showing our own page in their top frame, may ask; anything else gets a typed refusal and a log line.
//
// `createIpcBridge` is the logic and knows nothing of Electron (unit-tested with a fake node);
// `attachIpcBridge` wires it to ipcMain. Electron is imported for types only: loading this file
// does not load electron.

import type { BrowserWindow, IpcMain, IpcMainEvent, WebContents } from 'electron';
import type { CommandErrorCode, NodeApi, NodeState } from '../../src-shared/contract.js';
import { jsonSize, serveRequest, type RpcResponse, type RpcServerMessage } from '../../src-shared/rpc.js';
import { MESSAGE_CHANNEL, REQUEST_MAX_BYTES, RPC_CHANNEL } from './ipcProtocol.js';

/** Requests one window may have unanswered at once; more are refused, not queued. */
export const REQUESTS_IN_FLIGHT_MAX = 32;
const LOGGED_TEXT_MAX_CHARS = 120;

/** Who sent an IPC message, as far as main can tell. */
export interface IpcSender {
  webContentsId: number;
  /** URL of the frame that sent it; null when the frame is gone or navigated away. */
  frameUrl: string | null;
  /** Whether that frame is the top frame of its window. */
  isMainFrame: boolean;
}

export interface IpcBridgeOptions {
  node: NodeApi;
  /** True only for our windows' top frames showing our page. */
  isTrustedSender(sender: IpcSender): boolean;
  /** Delivers a message to one window. */
  send(webContentsId: number, message: RpcServerMessage): void;
  /** Delivers a message to all our windows. */
  broadcast(message: RpcServerMessage): void;
  log?(line: string): void;
}

export interface IpcBridge {
  /** A message on RPC_CHANNEL: answers the sender (and returns the answer, for tests). */
  handleRequest(sender: IpcSender, raw: unknown): Promise<RpcResponse>;
  /** A message on any other channel, or a synchronous one: refused and logged. */
  refuseChannel(channel: string, sender: IpcSender): RpcResponse;
  /** Stops pushing state events. */
  close(): void;
}

function clip(text: string): string {
  return JSON.stringify(text.length > LOGGED_TEXT_MAX_CHARS ? `${text.slice(0, LOGGED_TEXT_MAX_CHARS)}…` : text);
}

function describeSender(sender: IpcSender): string {
  return `window ${sender.webContentsId}, ${sender.isMainFrame ? 'top frame' : 'subframe'} ${sender.frameUrl === null ? '(gone)' : clip(sender.frameUrl)}`;
}

function requestId(raw: unknown): number {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : -1;
}

export function createIpcBridge(opts: IpcBridgeOptions): IpcBridge {
  const log = opts.log ?? ((line: string) => console.warn(`nearby: ${line}`));
  const inFlight = new Map<number, number>();
  let closed = false;

  const deliver = (target: number, message: RpcServerMessage) => {
    try {
      opts.send(target, message);
    } catch (err) {
      log(`could not answer window ${target}: ${(err as Error).message}`);
    }
  };
  const onState = (state: NodeState) => {
    try {
      opts.broadcast({ event: 'state', payload: state });
    } catch (err) {
      log(`could not push the state to the windows: ${(err as Error).message}`);
    }
  };
  opts.node.on('state', onState);

  const refusal = (raw: unknown, code: CommandErrorCode, message: string): RpcResponse => ({ id: requestId(raw), ok: false, error: { code, message } });

  async function answer(sender: IpcSender, raw: unknown): Promise<RpcResponse> {
    if (closed) return refusal(raw, 'refused', 'the app is shutting down');
    let trusted = false;
    try {
      trusted = opts.isTrustedSender(sender);
    } catch {
      trusted = false;
    }
    if (!trusted) {
      log(`refused a request from an untrusted sender (${describeSender(sender)})`);
      return refusal(raw, 'refused', 'only the Nearby window may talk to the node');
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return refusal(raw, 'invalid-payload', 'a request is an object {id, command, payload}');
    }
    if (jsonSize(raw) > REQUEST_MAX_BYTES) {
      return refusal(raw, 'invalid-payload', `the request is larger than ${REQUEST_MAX_BYTES} bytes`);
    }
    const pending = inFlight.get(sender.webContentsId) ?? 0;
    if (pending >= REQUESTS_IN_FLIGHT_MAX) {
      return refusal(raw, 'refused', `too many requests at once (at most ${REQUESTS_IN_FLIGHT_MAX}); wait for the answers`);
    }
    inFlight.set(sender.webContentsId, pending + 1);
    try {
      return await serveRequest(opts.node, raw);
    } catch {
      // serveRequest answers every failure itself; this is the last line for the unexpected.
      return refusal(raw, 'internal', 'the node could not carry out this command; see its log');
    } finally {
      const left = (inFlight.get(sender.webContentsId) ?? 1) - 1;
      if (left > 0) inFlight.set(sender.webContentsId, left);
      else inFlight.delete(sender.webContentsId);
    }
  }

  return {
    async handleRequest(sender, raw) {
      const response = await answer(sender, raw);
      deliver(sender.webContentsId, response);
      return response;
    },
    refuseChannel(channel, sender) {
      log(`refused a message on unknown channel ${clip(String(channel))} (${describeSender(sender)})`);
      return { id: -1, ok: false, error: { code: 'unknown-command', message: `there is no IPC channel ${clip(String(channel))}; use ${RPC_CHANNEL}` } };
    },
    close() {
      if (closed) return;
      closed = true;
      opts.node.off('state', onState);
    },
  };
}

/**
 * Whether `url` is the page at `indexUrl` (both file: URLs); query and fragment do not matter,
 * a different file, host or scheme does.
 */
export function isAppPageUrl(url: string | null | undefined, indexUrl: string, platform: NodeJS.Platform = process.platform): boolean {
  if (!url) return false;
  try {
    const candidate = new URL(url);
    const index = new URL(indexUrl);
    if (candidate.protocol !== 'file:' || index.protocol !== 'file:') return false;
    if (candidate.host !== index.host) return false;
    // The URL parser has resolved dot segments; decoding makes %41 and A the same file.
    const a = decodeURIComponent(candidate.pathname);
    const b = decodeURIComponent(index.pathname);
    // Windows and macOS file systems are case-insensitive by default; Linux is not.
    return platform === 'linux' ? a === b : a.toLowerCase() === b.toLowerCase();
  } catch {
    return false;
  }
}

/** The policy: one of our windows, its top frame, showing our page. */
export function isTrustedSender(sender: IpcSender, ourWindows: { has(webContentsId: number): boolean }, indexUrl: string): boolean {
  return ourWindows.has(sender.webContentsId) && sender.isMainFrame && isAppPageUrl(sender.frameUrl, indexUrl);
}

function senderOf(event: IpcMainEvent): IpcSender {
  let frameUrl: string | null = null;
  let isMainFrame = false;
  try {
    const frame = event.senderFrame;
    if (frame && !frame.isDestroyed()) {
      frameUrl = frame.url;
      isMainFrame = frame.parent === null;
    }
  } catch {
    // The frame went away while the message was in flight: it stays untrusted.
  }
  return { webContentsId: event.sender.id, frameUrl, isMainFrame };
}

export interface AttachedIpc {
  /** Lets this window talk to the node (and only through RPC_CHANNEL). */
  addWindow(window: BrowserWindow): void;
  close(): void;
}

/** Wires the bridge to Electron. `ipcMain` is passed in so that this file imports electron for types only. */
export function attachIpcBridge(opts: { ipcMain: IpcMain; node: NodeApi; indexUrl: string; log?: (line: string) => void }): AttachedIpc {
  const windows = new Map<number, WebContents>();
  const sendTo = (contents: WebContents | undefined, message: RpcServerMessage) => {
    if (contents && !contents.isDestroyed()) contents.send(MESSAGE_CHANNEL, message);
  };
  const bridge = createIpcBridge({
    node: opts.node,
    isTrustedSender: (s) => isTrustedSender(s, windows, opts.indexUrl),
    send: (id, message) => sendTo(windows.get(id), message),
    broadcast: (message) => {
      for (const contents of windows.values()) sendTo(contents, message);
    },
    ...(opts.log ? { log: opts.log } : {}),
  });
  const onRequest = (event: IpcMainEvent, raw: unknown) => {
    void bridge.handleRequest(senderOf(event), raw);
  };
  opts.ipcMain.on(RPC_CHANNEL, onRequest);

  return {
    addWindow(window) {
      const contents = window.webContents;
      const id = contents.id;
      windows.set(id, contents);
      // ipcMain only hears channels someone listens on; these see every channel of this window.
      contents.on('ipc-message', (event, channel) => {
        if (channel !== RPC_CHANNEL) bridge.refuseChannel(channel, senderOf(event));
      });
      contents.on('ipc-message-sync', (event, channel) => {
        // Synchronous IPC would block the renderer; nothing here answers it but a refusal.
        event.returnValue = bridge.refuseChannel(channel, senderOf(event));
      });
      contents.once('destroyed', () => windows.delete(id));
    },
    close() {
      opts.ipcMain.removeListener(RPC_CHANNEL, onRequest);
      bridge.close();
      windows.clear();
    },
  };
}
